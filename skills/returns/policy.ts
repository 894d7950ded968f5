import type { Order, Product } from '../../store/index.js';

/** Why a shopper returns something; the first two are "no reason" returns under the 7-day rule. */
export const RETURN_REASONS = ['changed_mind', 'wrong_size', 'faulty', 'not_as_described', 'damaged_or_wrong'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

export const NO_REASON_DAYS = 7;
export const QUALITY_DAYS = 15;

export function isQualityReason(reason: ReturnReason): boolean {
  return reason === 'faulty' || reason === 'not_as_described' || reason === 'damaged_or_wrong';
}

export type PolicyVerdict =
  | { ok: true; windowDays: number; daysLeft: number; conditionCheck?: 'sealed' | 'hygiene' | 'unused' }
  | { ok: false; why: 'not_delivered' | 'window_closed'; windowDays?: number; daysSince?: number };

/**
 * The shop's return policy ("Return policy", "Items that cannot be returned without a fault"):
 * 7 days after delivery for any reason if unused and complete; 15 days for a quality problem;
 * opened skincare and in-ear earphones with a broken hygiene seal only when faulty.
 * Days count from the day after delivery, in the shop's time zone.
 */
export function checkReturn(order: Order, products: Product[], reason: ReturnReason, now: Date, timeZone = 'Asia/Shanghai'): PolicyVerdict {
  if (order.status !== 'delivered' || !order.deliveredAt) return { ok: false, why: 'not_delivered' };
  const daysSince = calendarDay(now, timeZone) - calendarDay(order.deliveredAt, timeZone);
  const windowDays = isQualityReason(reason) ? QUALITY_DAYS : NO_REASON_DAYS;
  if (daysSince > windowDays) return { ok: false, why: 'window_closed', windowDays, daysSince };
  let conditionCheck: 'sealed' | 'hygiene' | 'unused' | undefined;
  if (!isQualityReason(reason)) {
    if (products.some((p) => p.category === 'skincare')) conditionCheck = 'sealed';
    else if (products.some((p) => isInEar(p))) conditionCheck = 'hygiene';
    else conditionCheck = 'unused';
  }
  return { ok: true, windowDays, daysLeft: windowDays - daysSince, ...(conditionCheck ? { conditionCheck } : {}) };
}

function isInEar(p: Product): boolean {
  if (p.category !== 'headphones') return false;
  const text = `${p.title.en} ${p.tags.join(' ')} ${JSON.stringify(p.attributes)}`.toLowerCase();
  return /earbud|in-ear|in ear|neckband|true wireless|tws/.test(text);
}

/** Days since the epoch of the calendar day `d` falls on in `timeZone`. */
export function calendarDay(d: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  return Math.floor(Date.parse(`${parts}T00:00:00Z`) / 86_400_000);
}
