import type { Entity } from '../../types.js';
import { EN_NUMBER, NUMBER, ZH_NUM_CHARS, parseChineseNumber, readNumber } from './numbers.js';
import { matchAll } from './text.js';

type MoneyEntity = Extract<Entity, { type: 'money' }>;
type PriceRangeEntity = Extract<Entity, { type: 'price_range' }>;

/** "about 1000" / "一千左右" becomes 800..1200: a shopper's round number is rarely exact. */
export const APPROX_TOLERANCE = 0.2;

const CUR_PRE = '(?:US\\$|\\$|USD\\s?|RMB\\s?|CNY\\s?|[¥￥]\\s?)';
const CUR_POST = '(?:\\s?(?:dollars?|bucks?|usd|rmb|cny|yuan|元|块钱|块|圆)(?![A-Za-z]))';
const NUM = `(?<![A-Za-z0-9]|\\d[.,])${NUMBER}`;
/** An amount with a currency marker (or a "k" suffix). */
const MONEY = `(?:${CUR_PRE}\\s?${NUMBER}${CUR_POST}?|${NUM}${CUR_POST}|(?<![A-Za-z])${EN_NUMBER}\\s(?:dollars?|bucks|yuan)(?![A-Za-z])|(?<![A-Za-z0-9]|\\d[.,])\\d+(?:\\.\\d+)?\\s?[kK](?![A-Za-z]))`;
// A bare number that is followed by a unit is a count or a duration, not a price.
const NOT_A_UNIT =
  '(?!\\s?(?:(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|seconds?|pairs?|pieces?|pcs|items?|units?|times|people|persons?|orders?|reviews?|stars?|kg|g|cm|mm|ml|km|gb|tb|inch(?:es)?|size)(?![A-Za-z])|%|[天周月年日号点件个双条只台瓶盒套包副支份对次岁斤克米码寸位人分秒]))';
/** An amount, with or without a currency (bounds such as "under 500" need none). */
const AMT = `(?:${MONEY}|${NUM}(?![\\d.])${NOT_A_UNIT})`;

const MONEY_RE = new RegExp(MONEY, 'gi');
const UPPER_EN = '(?:under|below|less\\s+than|cheaper\\s+than|lower\\s+than|no\\s+more\\s+than|not\\s+more\\s+than|no\\s+higher\\s+than|not\\s+over|at\\s+most|up\\s+to|max(?:imum)?|within|<=?)';
const LOWER_EN = '(?:over|above|more\\s+than|greater\\s+than|higher\\s+than|at\\s+least|min(?:imum)?|starting\\s+(?:at|from)|>=?)';
const UPPER_ZH_PRE = '(?:不超过|不高于|不到|低于|少于|小于|最多|最高|顶多|控制在)';
const LOWER_ZH_PRE = '(?:超过|高于|多于|大于|至少|最少|最低)';
const UPPER_ZH_POST = '(?:以下|以内|之内|之下|内)';
const LOWER_ZH_POST = '(?:以上|之上|起)';
const APPROX_PRE = '(?:around|about|approximately|approx\\.?|roughly|circa|~|～|大概|大约|大致|约)';
const APPROX_POST = '(?:左右|上下)';
const PRICE_WORD = '(?:price|budget|priced|cost|costs|价格|价位|预算|价钱|售价|元|块)';

const RANGE_PATTERNS: Array<{ re: RegExp; kind: 'between' | 'dash' | 'max' | 'min' | 'approx' }> = [
  { re: new RegExp(`(?<![A-Za-z])(?:between\\s+(${AMT})\\s+and\\s+(${AMT})|from\\s+(${AMT})\\s+to\\s+(${AMT}))`, 'gi'), kind: 'between' },
  { re: new RegExp(`(${AMT})\\s*(?:-|–|—|~|～|to|到|至)\\s*(${AMT})`, 'gi'), kind: 'dash' },
  { re: new RegExp(`(?:(?<![A-Za-z])${UPPER_EN}\\s*(?:of\\s+)?|${UPPER_ZH_PRE}\\s*)(${AMT})|(${AMT})\\s*${UPPER_ZH_POST}`, 'gi'), kind: 'max' },
  { re: new RegExp(`(?:(?<![A-Za-z])${LOWER_EN}\\s*|${LOWER_ZH_PRE}\\s*)(${AMT})|(${AMT})\\s*${LOWER_ZH_POST}`, 'gi'), kind: 'min' },
  { re: new RegExp(`(?:(?<![A-Za-z])${APPROX_PRE}\\s*)(${AMT})(?:\\s*${APPROX_POST})?|(${AMT})\\s*${APPROX_POST}`, 'gi'), kind: 'approx' },
];
// "两三百" = 200..300, "三四千" = 3000..4000: two neighbouring digits before a unit.
const NEIGHBOURS = new RegExp(`(?<![${ZH_NUM_CHARS}\\d])([一二两三四五六七八九])([一二两三四五六七八九])([十百千万]{1,2})${CUR_POST}?`, 'g');
const PRICE_CONTEXT = new RegExp(PRICE_WORD, 'i');
// No digit, numeral or number word: no amount (skips the range patterns on long chatter).
const HAS_NUMBER = new RegExp(`[\\d${ZH_NUM_CHARS}]|(?<![A-Za-z])(?:${EN_NUMBER})(?![A-Za-z])`, 'i');

/** The currency an amount's text names, if any. */
export function currencyOf(text: string): string | undefined {
  if (/\$|usd|dollar|buck/i.test(text)) return 'USD';
  if (/[¥￥元块圆]|rmb|cny|yuan/i.test(text)) return 'CNY';
  return undefined;
}

/** Reads an amount's text ("$50", "299元", "三百块", "1.5k", "fifty dollars") into a value and currency. */
export function parseAmount(text: string): { value: number; currency?: string } | undefined {
  const currency = currencyOf(text);
  const bare = text
    .replace(/US\$|\$|[¥￥]|\b(?:usd|rmb|cny|dollars?|bucks?|yuan)\b|元|块钱|块|圆/gi, ' ')
    .trim();
  const value = readNumber(bare);
  if (value === undefined || !Number.isFinite(value) || value < 0) return undefined;
  return currency ? { value, currency } : { value };
}

/** Amounts of money: "$50", "50 dollars", "USD 20", "¥299", "299元", "三百块", "RMB 200", "1.5k". */
export function extractMoney(text: string): MoneyEntity[] {
  const out: MoneyEntity[] = [];
  if (!HAS_NUMBER.test(text)) return out;
  for (const m of matchAll(MONEY_RE, text)) {
    const raw = m[0].trimEnd();
    const amount = parseAmount(raw);
    if (!amount) continue;
    out.push({ type: 'money', ...amount, text: raw, start: m.index, end: m.index + raw.length });
  }
  return out;
}

function range(min: number | undefined, max: number | undefined, currency: string | undefined, text: string, start: number): PriceRangeEntity {
  const e: PriceRangeEntity = { type: 'price_range', text, start, end: start + text.length };
  if (min !== undefined) e.min = min;
  if (max !== undefined) e.max = max;
  if (currency) e.currency = currency;
  return e;
}

/**
 * Price ranges: upper bounds ("under $50", "500元以下", "不超过200"), lower bounds ("over
 * 100", "200以上"), both ("between 100 and 200", "100-200元", "100到200", "两三百") and
 * approximations ("around 1000", "一千左右": ±20%, see APPROX_TOLERANCE).
 */
export function extractPriceRanges(text: string): PriceRangeEntity[] {
  const out: PriceRangeEntity[] = [];
  if (!HAS_NUMBER.test(text)) return out;
  const taken = (s: number, e: number) => out.some((r) => r.start < e && s < r.end);
  for (const { re, kind } of RANGE_PATTERNS) {
    for (const m of matchAll(re, text)) {
      const raw = m[0].trimEnd();
      const start = m.index;
      if (taken(start, start + raw.length)) continue;
      const groups = m.slice(1).filter((g): g is string => g !== undefined);
      const amounts = groups.map((g) => parseAmount(g.trim()));
      if (amounts.length === 0 || amounts.some((a) => a === undefined)) continue;
      const values = amounts.map((a) => a!.value);
      const currency = amounts.find((a) => a!.currency)?.currency ?? currencyOf(raw);
      if (kind === 'between' || kind === 'dash') {
        const [a, b] = values as [number, number];
        const before = text.slice(Math.max(0, start - 24), start);
        if (kind === 'between' && /^from/i.test(raw) && !currency && !PRICE_CONTEXT.test(before)) continue; // "size from 40 to 41"
        if (kind === 'dash') {
          // "3-5" alone is not a price: it needs a currency, a price word before it, or 到/至.
          if (!currency && !PRICE_CONTEXT.test(before.slice(-12)) && !/[到至]/.test(raw)) continue;
          if (/^\d{4}-\d{1,2}$/.test(raw.replace(/\s/g, ''))) continue; // 2026-03 is a month
        }
        if (a >= b) continue;
        out.push(range(a, b, currency, raw, start));
      } else if (kind === 'max') {
        out.push(range(undefined, values[0], currency, raw, start));
      } else if (kind === 'min') {
        // "99元起" is a lower bound; "一起" (together) is not.
        if (raw.endsWith('起') && !currency && !/\d/.test(raw)) continue;
        out.push(range(values[0], undefined, currency, raw, start));
      } else {
        const v = values[0] as number;
        out.push(range(round2(v * (1 - APPROX_TOLERANCE)), round2(v * (1 + APPROX_TOLERANCE)), currency, raw, start));
      }
    }
  }
  for (const m of matchAll(NEIGHBOURS, text)) {
    const d1 = parseChineseNumber(m[1] as string)!;
    const d2 = parseChineseNumber(m[2] as string)!;
    const unit = parseChineseNumber(`一${m[3] as string}`);
    if (unit === undefined || d2 !== d1 + 1) continue;
    const raw = m[0].trimEnd();
    if (taken(m.index, m.index + raw.length)) continue;
    out.push(range(d1 * unit, d2 * unit, currencyOf(raw), raw, m.index));
  }
  return out.sort((a, b) => a.start - b.start);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
