import type { Entity } from '../../types.js';
import { isOrderNumber, type OrderNumberFormat } from './order-numbers.js';
import { matchAll, sentenceAround } from './text.js';

type InvoiceEntity = Extract<Entity, { type: 'invoice_number' }>;

// An invoice word, an optional "number" marker, then the number: "invoice INV-2024-00123",
// "invoice #98765", "invoice no. 12345", "发票号 12345678", "发票号码：044031900111".
const AFTER_WORD =
  /(?:(?<![A-Za-z])(?:invoice|fapiao|bill)(\s*(?:number|no\.?|num|id|#))?|发票(号码|代码|编号|号)?)\s*(?:is\s+|[:：#]\s*|是\s*|为\s*)?(#\s?)?((?:[A-Za-z]{1,6}-?)?\d(?:\d|-(?=\d)){2,29})(?![A-Za-z0-9]|-\d)/gi;
// An invoice number that says so itself, anywhere: "INV-2024-00123", "inv12345".
const PREFIXED = /(?<![A-Za-z0-9])INV[-#]?\d(?:\d|-(?=\d)){2,29}(?![A-Za-z0-9]|-\d)/gi;
/** Digits an all-digit invoice number needs ("invoice 2023" is more likely a year). */
const MIN_DIGITS = 5;
// A number standing alone in a sentence about an invoice (and about no order or phone):
// "I can't find my invoice - 12345678", "发票开错了 044031900111".
const BARE = /(?<![A-Za-z0-9#-])((?:[A-Za-z]{1,6}-)?\d(?:\d|-(?=\d)){5,29})(?![A-Za-z0-9@.]|-\d|\s*(?:yuan|rmb|cny|usd|dollars?|元|块|%))/gi;
const INVOICE_CONTEXT = /(?<![A-Za-z])(?:invoices?|fapiao|bills?|billing)(?![A-Za-z])|发票/i;
const NOT_INVOICE_CONTEXT =
  /(?<![A-Za-z])(?:orders?|ordered|purchases?|tracking|phone|call|mobile|tel|reach me|contact me|my number)(?![A-Za-z])|订单|单号|手机|电话|联系/i;

/**
 * Invoice numbers, upper-case with their dashes. A number right after an invoice word ("bill"
 * too), one that starts with INV, or one of 6+ digits standing alone in a sentence about an
 * invoice that names no order and no phone. A lettered number in the shop's order format after a bare "invoice"
 * ("invoice SA100123") is the order the invoice is for, not an invoice number; with a marker
 * ("invoice number SA100123", "发票号") it is the invoice's, and so is any all-digit number
 * right after the word ("fapiao 12345678"), whatever the order format.
 */
export function extractInvoiceNumbers(text: string, orders?: OrderNumberFormat): InvoiceEntity[] {
  const out: InvoiceEntity[] = [];
  const push = (token: string, start: number) => {
    const end = start + token.length;
    if (out.some((e) => e.start < end && start < e.end)) return;
    out.push({ type: 'invoice_number', value: token.toUpperCase(), text: token, start, end });
  };
  for (const m of matchAll(PREFIXED, text)) push(m[0], m.index);
  for (const m of matchAll(AFTER_WORD, text)) {
    const [, enMarker, zhMarker, hash, token = ''] = m;
    const marked = Boolean(enMarker || zhMarker || hash || /[:：]/.test(m[0]));
    const digits = token.replace(/\D/g, '');
    const letters = /^[A-Za-z]/.test(token);
    if (!letters && digits.length < MIN_DIGITS) continue;
    if (!marked && letters && orders && (isOrderNumber(orders, token) || isOrderNumber(orders, token.replace(/-/g, '')))) continue;
    push(token, m.index + m[0].length - token.length);
  }
  for (const m of matchAll(BARE, text)) {
    const token = m[1] ?? '';
    const around = sentenceAround(text, m.index, m.index + token.length);
    if (INVOICE_CONTEXT.test(around) && !NOT_INVOICE_CONTEXT.test(around)) push(token, m.index);
  }
  return out.sort((a, b) => a.start - b.start);
}
