import type { Entity } from '../../types.js';
import { DEFAULT_ORDER_NUMBER_FORMAT, formatFromRegExp, isOrderNumber, prefixesOf, type OrderNumberFormat } from './order-numbers.js';
import { matchAll, sentenceAround } from './text.js';

type OrderNumberEntity = Extract<Entity, { type: 'order_number' }>;
type PhoneEntity = Extract<Entity, { type: 'phone' }>;
type EmailEntity = Extract<Entity, { type: 'email' }>;

/** The demo shop's order numbers: "SA" and six digits (the default of ORDER_NUMBER_PATTERN). */
export const DEFAULT_ORDER_NUMBER_PATTERN = /SA\d{6}/;

// Letters then digits, with the spaces, dashes and '#' people put in between.
const LOOSE_ORDER = /(?<![A-Za-z0-9])(#\s?)?([A-Za-z]{1,6})[\s\-#]{0,2}(\d{3,16})(?!\d)/g;
// Any letters-and-digits token, dashes inside ("ORD-2024-000123", "1000234598", "#1001").
const TOKEN = /(?<![A-Za-z0-9-])(#\s?)?([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){2,39})(?![A-Za-z0-9])/g;
// What the shopper calls an order number, after an order word: "order 100123", "my order 00004587345",
// "order no. ORD-88", "订单号100123", "单号 202412150001" (not a carrier's 运单号 / 快递单号 / 物流单号).
const ORDER_WORD_TOKEN =
  /(?:(?<![A-Za-z])order(?:\s*(?:number|no\.?|num|id|#))?|订单(?:号码|编号|号)?|(?<![运递流])单号)\s*(?:is\s+|[:：#]\s*|是\s*|为\s*)?#?\s?(?:([A-Za-z]{1,6})([\s-]?))?(\d(?:-?\d){2,29})(?![A-Za-z0-9])/gi;
/** Digits a number the shopper calls an order number needs before it is read as one in another format. */
const CANDIDATE_DIGITS = 5;
// Words that make a sentence about an order ("where is 13800000001 I ordered last week", "我下单的 13800000001",
// "refund for 13800000001 please").
const ORDER_CONTEXT =
  /(?<![A-Za-z])(?:orders?|ordered|ordering|purchases?|purchased|bought|shipment|parcel|package|tracking|refund(?:s|ed)?|return(?:s|ed)?|cancel(?:s|led|ed|ling|ing)?|deliver(?:y|ed)?|arrived?|shipped)(?![A-Za-z])|订单|下单|下的单|买的|购买|(?<![运递流])单号|包裹|到哪|退款|退货|取消|发货|到货|物流/i;
// Words that make a number in it a phone number all the same ("call me on", "手机号", "收货人").
const PHONE_CONTEXT =
  /(?<![A-Za-z])(?:phone|call|calling|mobile|cell|tel|telephone|text me|sms|whatsapp|reach me|contact me|my number|recipient)(?![A-Za-z])|手机|电话|致电|联系|打给|来电|短信|号码是|收货人|收件人/i;
// A number shaped like a phone: a Chinese mobile, or an area code 0[1-9].. and 7-8 digits ("010-12345678").
const PHONE_SHAPED = /^(?:1[3-9]\d{9}|0[1-9]\d{1,2}-?\d{7,8})$/;
// A label right before a number that names it as something else: a carrier's tracking number,
// an invoice, a phone, an account or card ("tracking number 1234567890123", "运单号 1234567890123").
const OTHER_LABEL =
  /(?:(?<![A-Za-z])(?:tracking|waybill|invoice|inv|fapiao|phone|mobile|tel|cell|account|member(?:ship)?|card|coupon|voucher|zip|postcode|postal code|sku)(?:\s*(?:number|no\.?|num|id|code|#))?|运单|快递单|物流单|发票|手机|电话|会员|卡|账户|账号|优惠券|邮编)(?:号码|编号|代码|号)?\s*(?:is\s+|[:：#]\s*|是\s*|为\s*)?#?\s?$/i;

/**
 * A number shaped like a phone (a Chinese mobile, a landline with its area code) that is also in the
 * shop's format reads as an order number only when its sentence is about an order and says nothing
 * of phoning.
 */
function inOrderContext(text: string, start: number, end: number): boolean {
  const around = sentenceAround(text, start, end);
  return ORDER_CONTEXT.test(around) && !PHONE_CONTEXT.test(around);
}

function formatOf(format: OrderNumberFormat | RegExp): OrderNumberFormat {
  return format instanceof RegExp ? formatFromRegExp(format) : format;
}

/**
 * Order numbers, as `format` (ORDER_NUMBER_PATTERN; default SA + 6 digits) spells them,
 * upper-case: "sa-100123", "#SA100123", "订单SA 100123" and "order 100123" (digits after an
 * order word get the format's letter prefix) all read as "SA100123"; a bare token in the
 * format counts too ("1000234598" for \d{10}; any of the patterns when ORDER_NUMBER_PATTERN
 * lists several), all-digit ones from 6 digits, and one shaped like a phone number (a mobile,
 * 010-12345678) only in a sentence about an order that says nothing of phoning ("where is 13800000001 I
 * ordered last week"; a bare "13800000001" stays a phone). A number the shopper CALLS an
 * order number ("my order 00004587345", "订单号 202412150001") is one even in another format
 * (the order skill then says ours look different): never a phone. Digits after an order word
 * get each pattern's letter prefix tried, the first pattern's first.
 */
export function extractOrderNumbers(text: string, format: OrderNumberFormat | RegExp = DEFAULT_ORDER_NUMBER_FORMAT): OrderNumberEntity[] {
  const f = formatOf(format);
  const prefixes = prefixesOf(f);
  const out: OrderNumberEntity[] = [];
  const free = (start: number, end: number) => !out.some((e) => e.start < end && start < e.end);
  for (const m of matchAll(LOOSE_ORDER, text)) {
    const value = `${m[2] ?? ''}${m[3] ?? ''}`.toUpperCase();
    if (!isOrderNumber(f, value)) continue;
    out.push({ type: 'order_number', value, text: m[0], start: m.index, end: m.index + m[0].length });
  }
  for (const m of matchAll(TOKEN, text)) {
    const token = m[2] ?? '';
    const start = m.index + m[0].length - token.length;
    if (!free(start, start + token.length)) continue;
    const value = [token.toUpperCase(), token.replace(/-/g, '').toUpperCase()].find((v) => isOrderNumber(f, v));
    if (!value) continue;
    const digitsOnly = /^[\d-]+$/.test(token);
    if (OTHER_LABEL.test(text.slice(Math.max(0, m.index - 30), m.index + m[0].length - token.length))) continue;
    if (digitsOnly && !m[1] && (value.match(/\d/g) ?? []).length < 6) continue;
    if (digitsOnly && !m[1] && PHONE_SHAPED.test(token) && !inOrderContext(text, start, start + token.length)) continue;
    out.push({ type: 'order_number', value, text: m[1] ? m[0] : token, start: m[1] ? m.index : start, end: start + token.length });
  }
  for (const m of matchAll(ORDER_WORD_TOKEN, text)) {
    const [, letters = '', gap = '', number = ''] = m;
    const digits = number.replace(/-/g, '');
    const known = [letters ? `${letters}${gap.trim()}${number}` : '', letters ? `${letters}${digits}` : '', number, digits, ...prefixes.map((p) => `${p}${digits}`)]
      .map((v) => v.toUpperCase())
      .find((v) => v !== '' && isOrderNumber(f, v));
    if (!known && digits.length < CANDIDATE_DIGITS) continue;
    // A word before the number ("my order was 00004587345") is not part of it; letters joined to it are ("ORD88231").
    const joined = letters !== '' && gap !== ' ';
    const withLetters = known ? letters !== '' && known.startsWith(letters.toUpperCase()) : joined;
    const token = withLetters ? `${letters}${gap}${number}` : number;
    const start = m.index + m[0].length - token.length;
    if (!free(start, start + token.length)) continue;
    const value = known ?? (withLetters ? `${letters}${digits}` : digits).toUpperCase();
    out.push({ type: 'order_number', value, text: token, start, end: start + token.length });
  }
  return out.sort((a, b) => a.start - b.start);
}

// Chinese mobile: 1[3-9] + 9 digits, optional +86/0086, single spaces or dashes between digits.
const CN_MOBILE = /(?<![\dA-Za-z+¥￥$])(?:(?:\+|00)\s?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d])/g;
// Landline with area code: 010-12345678, (021) 1234 5678, 0755 12345678. Area codes start 0[1-9]
// ("00004587345" is a zero-padded order number, not a call to area code 000).
const CN_LANDLINE = /(?<![\dA-Za-z+¥￥$])(?:\(0[1-9]\d{1,2}\)\s?|0[1-9]\d{1,2}[\s-]?)\d{3,4}[\s-]?\d{4}(?!\d)/g;
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
