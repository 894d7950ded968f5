import { foldWidth } from './text.js';

// Maps, not plain objects: these are looked up with the shopper's characters and words, and
// `{}` answers for `constructor` and `__proto__` too (issue 14).
const ZH_DIGIT = new Map<string, number>(Object.entries({
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
}));
const ZH_SMALL_UNIT = new Map<string, number>(Object.entries({ 十: 10, 百: 100, 千: 1000 }));
const ZH_BIG_UNIT = new Map<string, number>(Object.entries({ 万: 1e4, 亿: 1e8 }));

/** Chinese numeral characters (digits and units). */
export const ZH_NUM_CHARS = '零〇一二两三四五六七八九十百千万亿';
/** An Arabic number with optional thousands separators and decimals. */
export const ARABIC_NUM = '\\d{1,12}(?:,\\d{3}){0,4}(?:\\.\\d{1,6})?';
/**
 * Any number NUM-reading code accepts: Arabic with a k suffix ("1.5k"), Arabic with a
 * Chinese unit ("1.5万", "3百"), a run of Chinese numerals ("两千五"), or plain Arabic.
 */
export const NUMBER = `(?:\\d{1,12}(?:\\.\\d{1,6})?\\s?[kK](?![A-Za-z])|\\d{1,12}(?:\\.\\d{1,6})?[十百千万亿]{1,3}[${ZH_NUM_CHARS}]{0,8}|[${ZH_NUM_CHARS}]{1,12}|${ARABIC_NUM})`;

const EN_SMALL = new Map<string, number>(Object.entries({
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70,
  eighty: 80, ninety: 90,
}));
const EN_WORDS = [...EN_SMALL.keys(), 'hundred', 'thousand', 'dozen'].sort((a, b) => b.length - a.length);
const EN_WORD = `(?:${EN_WORDS.join('|')})`;
/** English number words: "three", "twenty-five", "two hundred", "a dozen", "a couple". */
export const EN_NUMBER = `(?:(?:a|an)\\s+(?:couple|dozen|hundred|thousand)|couple|${EN_WORD})(?:[\\s-]{1,3}(?:and\\s+)?${EN_WORD}){0,5}`;

/**
 * Reads a Chinese numeral, possibly mixed with Arabic digits: "十二", "一百零五", "两千五"
 * (2500: a trailing digit after a unit counts in the next unit down), "三万二" (32000),
 * "1.5万", "3百", "二〇二六" (digit by digit), full-width digits. Undefined when it is not one.
 */
export function parseChineseNumber(input: string): number | undefined {
  const s = foldWidth(String(input)).replace(/[\s,]/g, '');
  if (s === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  // Digit by digit, no units: "二〇二六", "一二三".
  if ([...s].every((c) => ZH_DIGIT.has(c)) && s.length > 1) {
    return Number([...s].map((c) => ZH_DIGIT.get(c)).join(''));
  }
  let total = 0;
  let section = 0;
  let pending: number | undefined;
  let lastUnit = 0;
  let zeroSince = false;
  let sawSomething = false;
  for (let i = 0; i < s.length; ) {
    const arabic = /^\d+(?:\.\d+)?/.exec(s.slice(i));
    if (arabic) {
      if (pending !== undefined) return undefined;
      pending = Number(arabic[0]);
      i += arabic[0].length;
      sawSomething = true;
      continue;
    }
    const c = s[i] as string;
    i++;
    if (c === '零' || c === '〇') {
      if (pending !== undefined) return undefined;
      zeroSince = true;
      sawSomething = true;
      continue;
    }
    const digit = ZH_DIGIT.get(c);
    if (digit !== undefined) {
      if (pending !== undefined) return undefined;
      pending = digit;
      sawSomething = true;
      continue;
    }
    const small = ZH_SMALL_UNIT.get(c);
    if (small !== undefined) {
      if (lastUnit !== 0 && lastUnit < small && section > 0) return undefined; // "十百"
      section += (pending ?? 1) * small;
      pending = undefined;
      lastUnit = small;
      zeroSince = false;
      sawSomething = true;
      continue;
    }
    const big = ZH_BIG_UNIT.get(c);
    if (big !== undefined) {
      let value = section + (pending ?? 0);
      if (value === 0 && !sawSomething) value = 1;
      if (big === 1e8) total = (total + value) * big;
      else total += value * big;
      section = 0;
      pending = undefined;
      lastUnit = big;
      zeroSince = false;
      sawSomething = true;
      continue;
    }
    return undefined;
  }
  if (!sawSomething) return undefined;
  if (pending !== undefined) {
    // "两千五" = 2500, "三万二" = 32000; but "一百零五" = 105 and "二十五" = 25.
    section += !zeroSince && lastUnit > 10 && Number.isInteger(pending) ? pending * (lastUnit / 10) : pending;
  }
  const result = total + section;
  return Number.isFinite(result) ? result : undefined;
}

/** Reads English number words: "three", "twenty-five", "two hundred and five", "a dozen", "a couple". */
export function parseEnglishNumber(input: string): number | undefined {
  const words = String(input)
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((w) => w !== '' && w !== 'and' && w !== 'of');
  if (words.length === 0) return undefined;
  let total = 0;
  let current = 0;
  let seen = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if ((w === 'a' || w === 'an') && i === 0) {
      current = 1;
      continue;
    }
    if (w === 'couple') {
      current = 2;
      seen = true;
    } else if (w === 'dozen') {
      current = (current || 1) * 12;
      seen = true;
    } else if (w === 'hundred') {
      current = (current || 1) * 100;
      seen = true;
    } else if (w === 'thousand') {
      total += (current || 1) * 1000;
      current = 0;
      seen = true;
    } else if (EN_SMALL.has(w)) {
      current += EN_SMALL.get(w)!;
      seen = true;
    } else {
      return undefined;
    }
  }
  return seen ? total + current : undefined;
}

/**
 * The general number reader: Arabic ("1,299", "1.5k", full-width "１２３"), Chinese and
 * mixed numerals ("两千五", "1.5万", "3百") and English words ("twenty", "a dozen").
 */
export function readNumber(input: string): number | undefined {
  const n = readAnyNumber(input);
  // 400 digits read as Infinity: not a number anyone typed on purpose.
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

function readAnyNumber(input: string): number | undefined {
  const s = foldWidth(String(input)).trim();
  if (s === '') return undefined;
  const k = /^(\d+(?:,\d{3})*(?:\.\d+)?)\s?[kK]$/.exec(s);
  if (k) return Number((k[1] as string).replace(/,/g, '')) * 1000;
  if (/^\d+(?:,\d{3})*(?:\.\d+)?$/.test(s)) return Number(s.replace(/,/g, ''));
  if (/^[\d.,\s零〇一二两三四五六七八九十百千万亿]+$/.test(s)) return parseChineseNumber(s);
  return parseEnglishNumber(s);
}
