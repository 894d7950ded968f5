import type { Turn } from './types.js';

/** The shopper speaks of their own order, parcel, refund or item: a case to look up, not a policy to quote. */
const OWN_CASE =
  /\b(?:my|our)\s+(?:\w+\s+){0,2}?(?:orders?|parcels?|packages?|refunds?|returns?|money|items?|purchases?|delivery|deliveries|shipments?|stuff|things|payment|address)\b|\bi (?:want|wanna|need|would like|'d like) to (?:cancel|return|refund|change|track|check|send|exchange)\b|\b(?:please|pls|plz) (?:cancel|return|refund|track|change|check)\b|\bthis order\b|我的(?:订单|包裹|快递|退款|钱|货|东西|单)|我(?:要|想)(?:退|取消|改|查|换)|帮我(?:退|取消|改|查|换)|我那|我买的|我下的|我刚买/i;
/** How to do something yourself ("where do I find my tracking number?", "怎么查物流"): a help article, whatever it mentions. */
const HOW_TO = /\b(?:how (?:do|can|could) (?:i|we|you)|where (?:do|can) (?:i|we) (?:find|see|get|check)|where is the)\b|怎么查|如何查|在哪(?:里)?(?:看|查|找)|怎样查/i;
/** Where a parcel is now, or when it comes: always the shopper's own parcel. */
const WHERE_IS_IT = /\bwhere(?:'s| is| are)\b|\bwhen will (?:it|they|my|the order)\b|到哪|在哪|到了吗|啥时候到|什么时候到|几时到/i;
/** A question about what happens in a case ("after it has shipped", "if I opened it", "发货后", "拆封了"): a rule, whoever's order it is. */
const CONDITION = /\b(?:after|once|if|when) (?:it|they|the (?:order|parcel|item)s?)(?:'s| has| have| is| are| was)? (?:already )?(?:been )?(?:shipped|delivered|dispatched|opened|used|worn|washed|hemmed)\b|\bif i (?:already )?(?:opened|used|wore|washed)\b|发货(?:了|后|之后)|签收(?:了|后)|拆封(?:了|后)|用过(?:了)?还/i;
/** A question as such: how long, can I, what happens if… */
const QUESTION = /[?？]|^\s*(?:how|what|when|can|could|do|does|is|are|will|which|why|if|should|may|who)\b|\b(?:can|could) (?:i|we|you)\b|多久|多长时间|几天|能不能|能否|可以.{0,8}吗|可不可以|[吗呀呢]\s*[?？。!！]*\s*$|么\s*[?？]?\s*$|怎么|怎样|如何|咋|谁/i;

/**
 * A general question that only mentions orders, returns or refunds ("how long does a refund to
 * a Visa card take?", "发货了还能取消吗"): answered from the help articles, never with "which
 * order is it?". Not when it names an order number or speaks of the shopper's own case
 * ("where is my refund?", "我想退货"): that starts the order or return flow.
 */
export function isGeneralQuestion(turn: Pick<Turn, 'text' | 'nlu'>): boolean {
  if (turn.nlu.entities.some((e) => e.type === 'order_number')) return false;
  if (HOW_TO.test(turn.text) || CONDITION.test(turn.text)) return true;
  if (OWN_CASE.test(turn.text) || WHERE_IS_IT.test(turn.text)) return false;
  return QUESTION.test(turn.text.trim());
}

/** A follow-up that only makes sense after the previous answer: "and to Hong Kong?", "what about SF?", "那顺丰呢", "改到香港呢". */
const FOLLOW_UP = /^\s*(?:and|what about|how about|or|also|same for|what if)\b|^\s*(?:那|那么|还有|如果是|要是)|呢\s*[?？。!！~～]*\s*(?:多少钱|几天|多久|怎么算)?\s*[?？]*\s*$/i;

export function isFollowUp(text: string): boolean {
  const t = text.trim();
  return t.length <= 60 && FOLLOW_UP.test(t);
}

/** "Which size should I take?", "身高165 胸围86 穿什么码": size advice, which the size guides give (not a product list). */
const WHICH_SIZE = /\bsize (?:chart|guide|table)s?\b|尺码表|尺码对照|码数表|尺码指南|\bwhat size (?:should|do|would|shall|to)\b|\bwhich size (?:should|do|would|shall|to)\b|\bwhat size (?:am|is) (?:i|my)\b|\bsize (?:should|do) i (?:get|take|buy|order)\b|穿(?:什么|多大|几)码|(?:选|买|拿)(?:什么|多大|哪个|几)码|多大(?:的)?码|什么尺码|哪个尺码|尺码怎么选|码数怎么选/i;

export function asksWhichSize(text: string): boolean {
  return WHICH_SIZE.test(text);
}

/** "When will my shoes arrive?", "我那双鞋到底啥时候到": the shopper's own parcel (not a restock: 到货). */
const MINE = /\bmy\b|我的|我那|我买的|我下的|我订的|我定的/i;

export function asksWhereMyParcelIs(text: string): boolean {
  return MINE.test(text) && WHERE_IS_IT.test(text) && !/到货|补货|restock|back in stock/i.test(text);
}

/** Saying one wants to complain ("I'd like to file a complaint", "我想投诉一下"): a complaint, whatever else the words resemble. */
const COMPLAINT = /\b(?:file|make|lodge|raise|submit)\s+(?:a\s+)?(?:formal\s+)?complaint\b|\bwant to complain\b|\bcomplain about\b|投诉|我要反馈|想反馈|反馈一下/i;

export function saysComplaint(text: string): boolean {
  return COMPLAINT.test(text);
}
