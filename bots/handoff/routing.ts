import type { Agent, Conversation, Locale } from '../../store/index.js';

/**
 * The pure rules of the hand-off: what a conversation is about, how urgent it is, and which
 * agent should take it. Kept free of I/O so they are tested on their own.
 */

/** Why a conversation went to a human. Skills may add their own as `skill:<name>`. */
export type HandoffReason = 'requested' | 'fallbacks' | 'sentiment' | 'high_value_order' | `skill:${string}`;

const TOPICS: Record<string, string> = {
  track_order: 'orders',
  cancel_order: 'orders',
  change_order: 'orders',
  change_address: 'orders',
  place_order: 'orders',
  delivery_time: 'shipping',
  shipping_options: 'shipping',
  return_item: 'returns',
  exchange_item: 'returns',
  refund_status: 'refunds',
  refund_policy: 'refunds',
  warranty: 'warranty',
  payment_methods: 'payments',
  payment_issue: 'payments',
  cancellation_fee: 'payments',
  coupon: 'payments',
  invoice: 'invoices',
  product_question: 'products',
  stock_check: 'products',
  price_check: 'products',
  recommend: 'products',
  create_account: 'accounts',
  delete_account: 'accounts',
  reset_password: 'accounts',
  edit_account: 'accounts',
  complaint: 'escalations',
};

/** The agent skill a conversation about `intent` needs, or undefined for small talk and the like. */
export function topicOf(intent: string | undefined): string | undefined {
  return intent && Object.hasOwn(TOPICS, intent) ? TOPICS[intent] : undefined;
}

const BASE: Record<string, number> = { high_value_order: 40, sentiment: 30, requested: 20, fallbacks: 10 };

/**
 * Stored priority (higher is more urgent): the reason's base, +50 for a VIP, and up to +20
 * for how negative the shopper's last message was. Waiting time is added when the queue is
 * read (`effectivePriority`), so nobody waits for ever behind newer urgent cases.
 */
export function priorityOf(reason: string, opts: { vip: boolean; sentiment?: number }): number {
  const base = (Object.hasOwn(BASE, reason) ? BASE[reason] : undefined) ?? 20;
  const mood = opts.sentiment !== undefined && opts.sentiment < 0 ? Math.round(-opts.sentiment * 20) : 0;
  return base + (opts.vip ? 50 : 0) + mood;
}

/** One point per minute waited. */
export const AGING_PER_MINUTE = 1;

export function effectivePriority(c: Pick<Conversation, 'priority' | 'queuedAt'>, now: Date): number {
  const waited = c.queuedAt ? Math.max(0, now.getTime() - c.queuedAt.getTime()) / 60_000 : 0;
  return c.priority + waited * AGING_PER_MINUTE;
}

/** Most urgent first; ties: who waited longest, then id (stable). */
export function queueOrder<C extends Pick<Conversation, 'id' | 'priority' | 'queuedAt'>>(queued: C[], now: Date): C[] {
  return [...queued].sort(
    (a, b) =>
      effectivePriority(b, now) - effectivePriority(a, now) ||
      (a.queuedAt?.getTime() ?? 0) - (b.queuedAt?.getTime() ?? 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export interface RoutingNeed {
  language: Locale;
  topic?: string;
  vip: boolean;
}

/** Can this agent take this conversation now? Online, speaks its language, has room. */
export function canTake(agent: Agent, load: number, need: RoutingNeed): boolean {
  return agent.status === 'online' && agent.languages.includes(need.language) && load < agent.capacity;
}

/**
 * Skills-based routing: among agents who can take it, those with the topic's skill (and
 * the `vip` skill for a VIP) come first; then the least busy by load/capacity, then by
 * load, then by id. Undefined when nobody can take it (it waits in the queue).
 */
export function pickAgent(agents: Agent[], loads: Record<string, number>, need: RoutingNeed): Agent | undefined {
  const fit = (a: Agent) => (need.topic && a.skills.includes(need.topic) ? 2 : 0) + (need.vip && a.skills.includes('vip') ? 1 : 0);
  const candidates = agents.filter((a) => canTake(a, loads[a.id] ?? 0, need));
  candidates.sort((a, b) => {
    const la = loads[a.id] ?? 0;
    const lb = loads[b.id] ?? 0;
    return fit(b) - fit(a) || la / a.capacity - lb / b.capacity || la - lb || (a.id < b.id ? -1 : 1);
  });
  return candidates[0];
}

/** WeChat lets an Official Account message a follower for 48 hours after the follower's last message. */
export const WECHAT_WINDOW_MS = 48 * 3600_000;

export interface WeChatWindow {
  open: boolean;
  lastInboundAt: Date | null;
  closesAt: Date | null;
}

export function wechatWindow(lastInboundAt: Date | null, now: Date): WeChatWindow {
  if (!lastInboundAt) return { open: false, lastInboundAt: null, closesAt: null };
  const closesAt = new Date(lastInboundAt.getTime() + WECHAT_WINDOW_MS);
  return { open: now < closesAt, lastInboundAt, closesAt };
}

/** How long after a resolve the shopper's rating is taken (the 1-5 question's answer). */
export const RATING_WINDOW_MS = 24 * 3600_000;

/**
 * A rating answer: the question's quick reply (`csat:4`, explicit) or a bare score typed
 * back ("4", "4分", "4 stars", "4/5").
 */
export function parseRating(text: string): { score: number; explicit: boolean } | undefined {
  const m = /^csat:([1-5])$/.exec(text) ?? /^([1-5])(?:\s*(?:分|星|stars?|\/\s*5))?$/i.exec(text.trim());
  return m ? { score: Number(m[1]), explicit: text.startsWith('csat:') } : undefined;
}

/** A conversation an agent resolved within the window whose rating question is still unanswered. */
export function awaitsRating(c: Conversation, now: number, windowMs: number = RATING_WINDOW_MS): boolean {
  return c.status === 'resolved' && c.queuedAt !== undefined && c.rating === undefined && c.resolvedAt !== undefined && now - c.resolvedAt.getTime() < windowMs;
}
