import type { EntityType } from '../../skills/index.js';

/**
 * How the console shows what NLU found in a shopper's message. Every kind the extractor
 * produces (skills/types.ts `Entity`) has its own shape: a price range has `min`/`max` and no
 * `value`, a date has `from`/`to`, a product carries a score. The view adds `display`, the
 * language-neutral text after the kind's label ("under 800 → ≤ 800"), so the page never
 * prints a field a kind does not have ("under 800 → undefined", the bug of issue 15).
 *
 * Stored entities are free-form JSON (older versions, other writers): any field may be
 * missing or of the wrong type, and the display still says something sensible.
 */

/** The entity a console message carries: the stored fields plus `display`. */
export type ConsoleEntity = Record<string, unknown> & { type: string; display: string };

/** Recorded on the shopper's message that proved an order (skills/orders/access.ts `rememberVerified`). */
export const ORDER_PROOF: EntityType = 'order_proof';

const MAX_SHOWN = 120;

function str(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t.length > MAX_SHOWN ? `${t.slice(0, MAX_SHOWN - 1)}…` : t;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** 800 -> "800", 12.5 -> "12.5", 0.1 + 0.2 -> "0.3": at most two decimals, no trailing zeros (a huge value as it is). */
function amount(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return String(Number.isFinite(rounded) ? rounded : n);
}

function withCurrency(text: string, currency: unknown): string {
  const c = str(currency);
  return c ? `${text} ${c}` : text;
}

function percent(score: unknown): string {
  const s = num(score);
  return s === undefined ? '' : ` (${Math.round(Math.max(0, Math.min(1, s)) * 100)}%)`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The normalised value of an entity, per kind; undefined when the entity lacks what its kind needs. */
function valueOf(e: Record<string, unknown>): string | undefined {
  switch (e['type']) {
    case 'order_number':
    case 'phone':
    case 'email':
    case 'color':
    case 'size':
      return str(e['value']);
    case 'money': {
      const v = num(e['value']);
      return v === undefined ? undefined : withCurrency(amount(v), e['currency']);
    }
    case 'price_range': {
      const min = num(e['min']);
      const max = num(e['max']);
      if (min !== undefined && max !== undefined) return withCurrency(min === max ? amount(min) : `${amount(min)}–${amount(max)}`, e['currency']);
      if (max !== undefined) return withCurrency(`≤ ${amount(max)}`, e['currency']);
      if (min !== undefined) return withCurrency(`≥ ${amount(min)}`, e['currency']);
      return undefined;
    }
    case 'quantity': {
      const v = num(e['value']);
      if (v === undefined) return undefined;
      const unit = str(e['unit']);
      return unit ? `${amount(v)} ${unit}` : amount(v);
    }
    case 'date': {
      const from = str(e['from']);
      const to = str(e['to']);
      if (!from || !DAY.test(from)) return undefined;
      return !to || to === from || !DAY.test(to) ? from : `${from} – ${to}`;
    }
    case 'product':
    case 'category': {
      const v = str(e['value']);
      return v === undefined ? undefined : `${v}${percent(e['score'])}`;
    }
    case 'link_code':
      // A one-time code that links two accounts: a credential, never shown to staff.
      return '••••••';
    case ORDER_PROOF: {
      const v = str(e['value']);
      return v === undefined ? undefined : `${v} ✓`;
    }
    default:
      return undefined;
  }
}

/** Kinds whose matched text says nothing an agent needs, or must not be shown. */
const HIDE_TEXT = new Set<string>(['link_code', ORDER_PROOF]);

/** An entity of an unknown kind (or a known one missing its fields): its scalar fields, never "undefined". */
function fallback(e: Record<string, unknown>): string {
  const v = e['value'];
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return str(String(v)) ?? '?';
  const parts: string[] = [];
  for (const [k, x] of Object.entries(e)) {
    if (k === 'type' || k === 'text' || k === 'start' || k === 'end') continue;
    if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)) || typeof x === 'boolean') parts.push(`${k}=${str(String(x)) ?? ''}`);
  }
  return parts.length > 0 ? parts.join(', ').slice(0, MAX_SHOWN) : '?';
}

/**
 * What follows the kind's label: the value, and before it what the shopper wrote when that
 * reads differently ("under 800 → ≤ 800", "tomorrow → 2025-05-02", "SA100123").
 */
export function entityDisplay(e: Record<string, unknown>): string {
  const value = valueOf(e) ?? fallback(e);
  const kind = typeof e['type'] === 'string' ? e['type'] : '';
  const text = HIDE_TEXT.has(kind) ? undefined : str(e['text']);
  return text && text.toLowerCase() !== value.toLowerCase() ? `${text} → ${value}` : value;
}

/** A stored entity as the console shows it: with `display`; a link code's value and text left out. */
export function consoleEntity(e: Record<string, unknown>): ConsoleEntity {
  const type = typeof e['type'] === 'string' && e['type'] !== '' ? e['type'] : 'unknown';
  const out: ConsoleEntity = { ...e, type, display: entityDisplay(e) };
  if (type === 'link_code') {
    delete out['value'];
    delete out['text'];
  }
  return out;
}
