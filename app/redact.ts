/**
 * PII redaction for logs and (optionally) stored transcripts: e-mail addresses, phone
 * numbers (Chinese mobiles, and international numbers written with a leading +), payment
 * card numbers (13–19 digits, spaces or dashes allowed, Luhn-valid, issuer digit 2–6) and
 * Chinese resident ID numbers (18 characters, valid birth date, ISO 7064 MOD 11-2 check
 * character). Order numbers (SA100123) and tracking numbers are not PII and stay: a number
 * glued to letters is never matched, and a digit run is only redacted when its checksum
 * (card, ID) or its shape (a mobile number: 1[3-9] and 11 digits) says what it is.
 */

export const REDACTED = {
  email: '[email]',
  phone: '[phone]',
  card: '[card]',
  idNumber: '[id-number]',
} as const;

/** Not preceded/followed by a letter or a digit (so `SA100123`, `JDVB64042113801` never match). */
const NB = '(?<![A-Za-z0-9])';
const NA = '(?![A-Za-z0-9])';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const ID_NUMBER = new RegExp(`${NB}[1-9]\\d{16}[0-9Xx]${NA}`, 'g');
/** 13–19 digits, single spaces or dashes allowed between them. */
const CARD = new RegExp(`${NB}\\d(?:[ -]?\\d){12,18}${NA}`, 'g');
/** A Chinese mobile, optionally with +86 / 86, written whole or 3-4-4. */
const CN_MOBILE = new RegExp(`${NB}(?:\\+?86[ -]?)?1[3-9]\\d(?:[ -]?\\d{4}){2}${NA}`, 'g');
/** +country code and the rest: 8–15 digits in all, spaces, dots, dashes and brackets between. */
const INTL_PHONE = new RegExp(`(?<![A-Za-z0-9+])\\+\\d[\\d ().-]{6,22}\\d${NA}`, 'g');

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** ISO 7064 MOD 11-2 check character of a Chinese resident ID number, and a real birth date. */
export function isChineseIdNumber(raw: string): boolean {
  const id = raw.toUpperCase();
  if (!/^[1-9]\d{16}[0-9X]$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i]!;
  if (ID_CHECK[sum % 11] !== id[17]) return false;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (year < 1800 || year > new Date().getUTCFullYear()) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getTime() <= Date.now();
}

/** The Luhn (mod 10) checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A payment card number: 13–19 digits, Luhn-valid, and the first digit (the ISO/IEC 7812
 * major industry identifier) 2–6, where every card network issues (Mastercard 2/5, Amex,
 * JCB and Diners 3, Visa 4, UnionPay, Discover and Maestro 6). Digit-only tracking
 * numbers, which often start with 7–9 or 1, are left alone.
 */
export function isCardNumber(raw: string): boolean {
  const digits = raw.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
}

/** `text` with every e-mail, phone, card and Chinese ID number replaced by a `[kind]` marker. */
export function redactPII(text: string): string {
  if (!text || !/[\d@]/.test(text)) return text;
  return text
    .replace(EMAIL, REDACTED.email)
    .replace(ID_NUMBER, (m) => (isChineseIdNumber(m) ? REDACTED.idNumber : m))
    .replace(CARD, (m) => (isCardNumber(m) ? REDACTED.card : m))
    .replace(CN_MOBILE, REDACTED.phone)
    .replace(INTL_PHONE, (m) => {
      const n = m.replace(/\D/g, '').length;
      return n >= 8 && n <= 15 ? REDACTED.phone : m;
    });
}

/** Log-field names whose string values are message text (redacted by the logger's serializers). */
export const TEXT_LOG_FIELDS = ['text', 'message', 'query', 'q', 'utterance', 'body', 'reply', 'input'] as const;

/**
 * A deep copy of a log value with every string passed through `redactPII` (bounded depth).
 * Copies are null-prototype objects: a logged object's keys are often someone else's words
 * (a parsed request body), and an own `__proto__` key (which `JSON.parse` creates) copied
 * into `{}` would set the copy's prototype instead of becoming a field — the field vanished
 * from the log, unredacted values rode along on the prototype. On a null-prototype object
 * every key, `__proto__` included, is an ordinary own property.
 */
export function redactDeep(value: unknown, depth = 4): unknown {
  if (typeof value === 'string') return redactPII(value);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth - 1));
  if (value instanceof Error) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth - 1);
  return out;
}
