import type { Entity } from '../../types.js';
import { matchAll } from './text.js';

type OrderNumberEntity = Extract<Entity, { type: 'order_number' }>;
type PhoneEntity = Extract<Entity, { type: 'phone' }>;
type EmailEntity = Extract<Entity, { type: 'email' }>;

/** The shop's order numbers: "SA" and six digits. */
export const DEFAULT_ORDER_NUMBER_PATTERN = /SA\d{6}/;

// Letters then digits, with the spaces, dashes and '#' people put in between.
const LOOSE_ORDER = /(?<![A-Za-z0-9])(#\s?)?([A-Za-z]{1,6})[\s\-#]{0,2}(\d{3,16})(?!\d)/g;
// "order 100123", "order number: 100123", "订单号100123", "单号 100123".
const ORDER_WORD_DIGITS =
  /(?:(?<![A-Za-z])order(?:\s*(?:number|no\.?|num|id|#))?|订单(?:号码|编号|号)?|单号)\s*(?:is\s+|[:：#]\s*|是\s*|为\s*)?#?(\d{3,16})(?!\d)/gi;

/**
 * Order numbers: the canonical form is what `pattern` matches in full (default SA + 6
 * digits); "sa-100123", "#SA100123", "订单SA 100123" and "order 100123" (digits after an
 * order word get the pattern's letter prefix) all read as "SA100123".
 */
export function extractOrderNumbers(text: string, pattern: RegExp = DEFAULT_ORDER_NUMBER_PATTERN): OrderNumberEntity[] {
  const flags = pattern.flags.replace(/[gy]/g, '');
  const whole = new RegExp(`^(?:${pattern.source})$`, flags);
  const prefix = /^\^?([A-Za-z]+)/.exec(pattern.source)?.[1]?.toUpperCase() ?? '';
  const out: OrderNumberEntity[] = [];
  for (const m of matchAll(LOOSE_ORDER, text)) {
    const value = `${m[2] ?? ''}${m[3] ?? ''}`.toUpperCase();
    if (!whole.test(value)) continue;
    out.push({ type: 'order_number', value, text: m[0], start: m.index, end: m.index + m[0].length });
  }
  for (const m of matchAll(ORDER_WORD_DIGITS, text)) {
    const digits = m[1] ?? '';
    const value = `${prefix}${digits}`;
    if (!whole.test(value)) continue;
    const start = m.index + m[0].length - digits.length;
    if (out.some((e) => e.start <= start && e.end >= start + digits.length)) continue;
    out.push({ type: 'order_number', value, text: digits, start, end: start + digits.length });
  }
  return out;
}

// Chinese mobile: 1[3-9] + 9 digits, optional +86/0086, single spaces or dashes between digits.
const CN_MOBILE = /(?<![\dA-Za-z+¥￥$])(?:(?:\+|00)\s?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d])/g;
// Landline with area code: 010-12345678, (021) 1234 5678, 0755 12345678.
const CN_LANDLINE = /(?<![\dA-Za-z+¥￥$])(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s-]?)\d{3,4}[\s-]?\d{4}(?!\d)/g;
// International: + country code and 6..14 more digits.
const INTERNATIONAL = /(?<![\dA-Za-z])(?:\+|00(?=[1-9]))\s?[1-9]\d{0,2}(?:[\s-]?\d){6,14}(?!\d)/g;

/**
 * Phone numbers. Chinese numbers are normalised to national digits ("+86 138 0013 8000"
 * -> "13800138000", "+86 10 1234 5678" -> "01012345678"); others keep "+" and the
 * country code. An order number or a price is never read as a phone (the digits must
 * not follow a letter or a currency sign).
 */
export function extractPhones(text: string): PhoneEntity[] {
  const out: PhoneEntity[] = [];
  const push = (value: string, m: RegExpExecArray) => {
    const start = m.index;
    const end = start + m[0].length;
    if (out.some((e) => e.start < end && start < e.end)) return;
    out.push({ type: 'phone', value, text: m[0], start, end });
  };
  for (const m of matchAll(CN_MOBILE, text)) {
    const digits = m[0].replace(/\D/g, '');
    push(digits.slice(-11), m);
  }
  for (const m of matchAll(INTERNATIONAL, text)) {
    let digits = m[0].replace(/\D/g, '');
    if (m[0].trimStart().startsWith('00')) digits = digits.slice(2);
    if (digits.startsWith('86')) {
      const national = digits.slice(2);
      if (/^1[3-9]\d{9}$/.test(national)) push(national, m);
      else if (national.length >= 9 && national.length <= 11) push(`0${national}`, m);
      continue;
    }
    push(`+${digits}`, m);
  }
  for (const m of matchAll(CN_LANDLINE, text)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 12) continue;
    push(digits, m);
  }
  return out.sort((a, b) => a.start - b.start);
}

const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

/** E-mail addresses; the domain is lower-cased, the local part kept as written. */
export function extractEmails(text: string): EmailEntity[] {
  const out: EmailEntity[] = [];
  for (const m of matchAll(EMAIL, text)) {
    const at = m[0].lastIndexOf('@');
    const value = `${m[0].slice(0, at)}@${m[0].slice(at + 1).toLowerCase()}`;
    out.push({ type: 'email', value, text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}
