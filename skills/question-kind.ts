import type { Turn } from './types.js';

/** The shopper speaks of their own order, parcel, refund or item: a case to look up, not a policy to quote. */
const OWN_CASE = /\b(?:my|mine|our)\b|\bi (?:want|wanna|need|would like|'d like)\b|\bi'd like\b|\b(?:please|pls|plz) (?:cancel|return|refund|track|change|check)\b|\bthis order\b|我的|我要|我想|帮我|给我|我那|我买的|我下的|我刚/i;
/** A question as such: how long, can I, what happens if… */
const QUESTION = /[?？]|^\s*(?:how|what|when|can|could|do|does|is|are|will|which|why|if|should|may)\b|多久|多长时间|几天|能不能|能否|可以.{0,8}吗|可不可以|吗\s*[?？。!！]*\s*$|么\s*[?？]?\s*$|怎么|怎样|如何|咋/i;

/**
 * A general question that only mentions orders, returns or refunds ("how long does a refund to
 * a Visa card take?", "发货了还能取消吗"): answered from the help articles, never with "which
 * order is it?". Not when it names an order number or speaks of the shopper's own case
 * ("where is my refund?", "我想退货"): that starts the order or return flow.
 */
export function isGeneralQuestion(turn: Pick<Turn, 'text' | 'nlu'>): boolean {
  if (turn.nlu.entities.some((e) => e.type === 'order_number')) return false;
  if (OWN_CASE.test(turn.text)) return false;
  return QUESTION.test(turn.text.trim());
}
