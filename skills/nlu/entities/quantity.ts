import type { Entity } from '../../types.js';
import { EN_NUMBER, readNumber } from './numbers.js';
import { matchAll } from './text.js';

type QuantityEntity = Extract<Entity, { type: 'quantity' }>;

/** Largest count read as a quantity; bigger numbers are ids, years or prices. */
export const MAX_QUANTITY = 9999;

// A Map, not a plain object: looked up with a word of the message (issue 14).
const EN_UNITS: ReadonlyMap<string, string> = new Map(Object.entries({
  pair: 'pair', pairs: 'pair', piece: 'piece', pieces: 'piece', pcs: 'piece', pc: 'piece', item: 'item', items: 'item',
  unit: 'unit', units: 'unit', box: 'box', boxes: 'box', pack: 'pack', packs: 'pack', set: 'set', sets: 'set',
  bottle: 'bottle', bottles: 'bottle', tube: 'tube', tubes: 'tube', jar: 'jar', jars: 'jar',
}));
const EN_UNIT = [...EN_UNITS.keys()].sort((a, b) => b.length - a.length).join('|');
// Chinese classifiers for goods (块 is left out: "三百块" is money).
const ZH_UNIT = '件|个|双|条|只|台|瓶|盒|套|副|支|份|顶|对|部|罐|包|袋|箱';
const ZH_NUM = '[零〇一二两三四五六七八九十百千]{1,4}';

const PATTERNS: Array<{ re: RegExp; unit: (m: RegExpExecArray) => string | undefined }> = [
  // "2 pairs", "three pieces of", "a dozen items"
  { re: new RegExp(`(?<![A-Za-z0-9$¥￥#/-]|\\d[.,])(\\d{1,4}|${EN_NUMBER})\\s*(${EN_UNIT})(?![A-Za-z])`, 'gi'), unit: (m) => EN_UNITS.get((m[2] as string).toLowerCase()) },
  // "a pair", "a box"
  { re: new RegExp(`(?<![A-Za-z])(a|an)\\s+(pair|box|pack|set|bottle|tube|jar)(?![A-Za-z])`, 'gi'), unit: (m) => EN_UNITS.get((m[2] as string).toLowerCase()) },
  // "three of them", "2 of these", "a couple of"
  { re: new RegExp(`(?<![A-Za-z0-9$¥￥#/-]|\\d[.,])(\\d{1,4}|${EN_NUMBER})\\s+of\\s+(?:them|these|those|it|this|that)(?![A-Za-z])`, 'gi'), unit: () => undefined },
  { re: /(?<![A-Za-z])(a\s+couple|a\s+dozen)(?=\s+of\s)/gi, unit: () => undefined },
  // "x3", "× 2", "qty 3", "quantity: 2"
  { re: /(?<![A-Za-z0-9])(?:[x×]\s?|qty\.?\s*:?\s*|quantity\s*:?\s*)(\d{1,4})(?![\d.,])/gi, unit: () => undefined },
  // "两件", "三个", "一双", "5条"; not "第一件" (the first one), not "3个月" (a duration)
  { re: new RegExp(`(?<![0-9零〇一二两三四五六七八九十百千万亿第.])(\\d{1,4}|${ZH_NUM})\\s?(${ZH_UNIT})(?!月|小时|星期|礼拜|工作日|人)`, 'g'), unit: (m) => m[2] },
];

/** Counts of things: "2 pairs", "three of them", "x3", "两件", "三个", "一双", "5条"; unit when given. */
export function extractQuantities(text: string): QuantityEntity[] {
  const out: QuantityEntity[] = [];
  for (const { re, unit } of PATTERNS) {
    for (const m of matchAll(re, text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (out.some((e) => e.start < end && start < e.end)) continue;
      const word = (m[1] as string).trim();
      const value = /^an?$/i.test(word) ? 1 : readNumber(word);
      if (value === undefined || !Number.isInteger(value) || value <= 0 || value > MAX_QUANTITY) continue;
      const u = unit(m);
      out.push(u ? { type: 'quantity', value, unit: u, text: m[0], start, end } : { type: 'quantity', value, text: m[0], start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
