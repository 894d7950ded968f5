import type { Entity } from '../../types.js';
import { escapeRegExp, matchAll } from './text.js';

type ColorEntity = Extract<Entity, { type: 'color' }>;
type SizeEntity = Extract<Entity, { type: 'size' }>;

/** What the catalogue spells: the distinct colour and size values of its products. */
export interface AttributeVocabulary {
  colors?: Iterable<string>;
  sizes?: Iterable<string>;
}

/**
 * Colour words (EN and ZH) by canonical value; the canonical values are the demo
 * catalogue's `attributes.color` spellings, plus plain families (blue, green, ...) that
 * shoppers ask for and no single catalogue colour is.
 */
// eslint-disable-next-line no-restricted-syntax -- only iterated (Object.entries), never looked up by a word
export const COLOR_SYNONYMS: Record<string, string[]> = {
  black: ['black', '黑色', '黑'],
  white: ['white', '白色', '白'],
  'off-white': ['off-white', 'off white', '米白色', '米白', '乳白色', '乳白'],
  ivory: ['ivory', '象牙白', '象牙色'],
  red: ['red', '红色', '红'],
  burgundy: ['burgundy', 'wine red', 'maroon', '酒红色', '酒红', '勃艮第红'],
  coral: ['coral', '珊瑚色', '珊瑚红', '珊瑚橙'],
  terracotta: ['terracotta', '陶土色', '赤陶色', '砖红色', '砖红'],
  orange: ['orange', '橙色', '橘色', '橙'],
  yellow: ['yellow', '黄色', '黄'],
  blue: ['blue', '蓝色', '蓝'],
  navy: ['navy blue', 'navy', '藏青色', '藏青', '海军蓝', '深蓝色', '深蓝'],
  'sky blue': ['sky blue', 'light blue', '天蓝色', '天蓝', '浅蓝色', '浅蓝'],
  'midnight blue': ['midnight blue', '午夜蓝', '午夜蓝色'],
  green: ['green', '绿色', '绿'],
  'sage green': ['sage green', 'sage', '鼠尾草绿', '灰绿色', '灰绿'],
  'forest green': ['forest green', 'dark green', '森林绿', '墨绿色', '墨绿', '深绿色', '深绿'],
  olive: ['olive green', 'olive', '橄榄绿', '橄榄色', '军绿色', '军绿'],
  'volt green': ['volt green', 'neon green', 'volt', '荧光绿'],
  grey: ['grey', 'gray', '灰色', '灰'],
  'grey marl': ['grey marl', 'gray marl', 'heather grey', 'heather gray', '麻灰色', '麻灰', '花灰色', '花灰'],
  charcoal: ['charcoal', 'dark grey', 'dark gray', '炭灰色', '炭灰', '深灰色', '深灰'],
  silver: ['silver', '银色', '银'],
  gold: ['gold', '金色'],
  'rose gold': ['rose gold', '玫瑰金'],
  pink: ['pink', '粉色', '粉红色', '粉红', '粉'],
  'dusty pink': ['dusty pink', 'dusty rose', '豆沙粉', '脏粉色', '脏粉'],
  'blush pink': ['blush pink', 'blush', '浅粉色', '浅粉', '裸粉色', '裸粉'],
  purple: ['purple', 'violet', '紫色', '紫'],
  beige: ['beige', '米色', '杏色'],
  sand: ['sand', '沙色', '沙漠色'],
  khaki: ['khaki', '卡其色', '卡其'],
  tan: ['tan', '棕褐色', '驼色'],
  brown: ['brown', '棕色', '咖啡色', '褐色', '啡色'],
  'floral print': ['floral print', 'floral', '碎花', '印花', '花色'],
  'light wash': ['light wash', '浅色水洗', '浅水洗'],
  'mid wash': ['mid wash', 'medium wash', '中色水洗', '中度水洗'],
  'dark indigo': ['dark indigo', '深靛蓝', '深靛蓝色'],
  'raw indigo': ['raw indigo', '原色靛蓝', '原色牛仔'],
};

/**
 * Colour families: a shopper's plain colour word ("blue", "蓝色") also fits the catalogue's
 * shades of it. A Map keyed by canonical colour values (never by the shopper's text itself).
 */
export const COLOR_FAMILIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['blue', ['navy', 'sky blue', 'midnight blue', 'dark indigo', 'raw indigo']],
  ['green', ['sage green', 'forest green', 'olive', 'volt green']],
  ['grey', ['grey marl', 'charcoal', 'silver']],
  ['white', ['off-white', 'ivory']],
  ['red', ['burgundy']],
  ['orange', ['coral', 'terracotta']],
  ['pink', ['dusty pink', 'blush pink', 'rose gold']],
  ['brown', ['tan']],
  ['beige', ['sand', 'khaki']],
]);

const COLOR_WORDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(COLOR_SYNONYMS));

/**
 * Whether a product offered in `offered` colours fits the colour a shopper asked for: the
 * same colour (as the catalogue spells it, case-insensitive), or a shade of the asked family.
 */
export function colorFits(asked: string, offered: readonly string[]): boolean {
  const want = asked.toLowerCase();
  const shades = COLOR_FAMILIES.get(want) ?? [];
  return offered.some((c) => {
    const have = c.toLowerCase();
    return have === want || shades.includes(have);
  });
}

/** A colour's name in the reply language: its first Chinese synonym in Chinese (never the English value). */
export function colorName(value: string, locale: 'en' | 'zh'): string {
  if (locale === 'en') return value;
  const words = COLOR_WORDS.get(value.toLowerCase()) ?? [];
  return words.find((w) => /[\u4e00-\u9fff]/.test(w)) ?? '';
}

// One Han character alone ("白", "红") is part of many words (明白, 红包, 蓝牙): it counts as a
// colour only when followed by 的/款/色/码 or the end of a clause, and not after these.
const SINGLE_HAN_BLOCK_BEFORE = '明坦告表空蛋洁苍雪漂纯黑白红蓝绿灰粉黄紫银';
const SINGLE_HAN_NEXT = '(?=[的款色码那个吗呢吧啊，。,.!?！？\\s]|$)';

/** Size words: Chinese size names and the spellings shoppers use for letter sizes. */
const SIZE_WORDS: ReadonlyMap<string, string> = new Map(Object.entries({
  小号: 'S', 中号: 'M', 大号: 'L', 加大号: 'XL', 加大: 'XL', 特大号: 'XXL', 加加大: 'XXL',
  '2xl': 'XXL', xxl: 'XXL', '3xl': 'XXXL', xxxl: 'XXXL', xl: 'XL', xs: 'XS', l: 'L', m: 'M', s: 'S',
  small: 'S', medium: 'M', large: 'L', 'extra large': 'XL', 'x-large': 'XL', 'extra small': 'XS',
}));

interface Term {
  phrase: string;
  value: string;
}

function buildColorRegex(terms: Term[]): RegExp {
  const parts = terms
    .sort((a, b) => b.phrase.length - a.phrase.length)
    .map((t) => {
      const p = escapeRegExp(t.phrase).replace(/\\?\s+/g, '[\\s-]+').replace(/\\-/g, '[\\s-]?');
      if (/^[A-Za-z]/.test(t.phrase)) return `(?<![A-Za-z])${p}(?![A-Za-z])`;
      if ([...t.phrase].length === 1) return `(?<![${SINGLE_HAN_BLOCK_BEFORE}])${p}${SINGLE_HAN_NEXT}`;
      return p;
    });
  return new RegExp(parts.join('|'), 'gi');
}

/** Extracts colours and sizes, spelling values as the catalogue does when one is given. */
export class AttributeExtractor {
  private readonly colorRe: RegExp;
  private readonly colorByPhrase = new Map<string, string>();
  private readonly catalogColors = new Map<string, string>();
  private readonly catalogSizes = new Map<string, string>();

  constructor(vocabulary: AttributeVocabulary = {}) {
    for (const c of vocabulary.colors ?? []) this.catalogColors.set(c.toLowerCase(), c);
    for (const s of vocabulary.sizes ?? []) this.catalogSizes.set(normSize(s), s);
    const terms: Term[] = [];
    for (const [value, phrases] of Object.entries(COLOR_SYNONYMS)) {
      for (const phrase of phrases) {
        terms.push({ phrase, value });
        this.colorByPhrase.set(normColor(phrase), value);
      }
    }
    // Catalogue colours we have no synonyms for are still found by their own name.
    for (const c of this.catalogColors.values()) {
      if (!this.colorByPhrase.has(normColor(c)) && c.trim() !== '') {
        terms.push({ phrase: c, value: c });
        this.colorByPhrase.set(normColor(c), c);
      }
    }
    this.colorRe = buildColorRegex(terms);
  }

  colors(text: string): ColorEntity[] {
    const out: ColorEntity[] = [];
    for (const m of matchAll(this.colorRe, text)) {
      const canonical = this.colorByPhrase.get(normColor(m[0]));
      if (!canonical) continue;
      if (namesNoColor(text, m.index, m.index + m[0].length)) continue;
      const value = this.catalogColors.get(canonical.toLowerCase()) ?? canonical;
      out.push({ type: 'color', value, text: m[0], start: m.index, end: m.index + m[0].length });
    }
    return out;
  }

  sizes(text: string): SizeEntity[] {
    const out: SizeEntity[] = [];
    const push = (raw: string, value: string, start: number) => {
      const end = start + raw.length;
      if (out.some((e) => e.start < end && start < e.end)) return;
      out.push({ type: 'size', value: this.spell(value), text: raw, start, end });
    };
    // "size M", "size 42", "尺码 XL", "EU 40", "42码", "L码", "45 mm" (watch cases)
    for (const m of matchAll(SIZE_KEYWORD, text)) {
      const token = (m[1] ?? '').trim();
      const value = /^\d/.test(token) ? token : SIZE_WORDS.get(token.toLowerCase());
      if (value) push(m[0], value, m.index);
    }
    for (const m of matchAll(SIZE_SUFFIX, text)) {
      const token = m[1] ?? '';
      const value = /^\d/.test(token) ? token : SIZE_WORDS.get(token.toLowerCase());
      if (value) push(m[0], value, m.index);
    }
    for (const m of matchAll(WATCH_SIZE, text)) push(m[0], `${m[1] ?? ''} mm`, m.index);
    for (const m of matchAll(ZH_SIZE, text)) {
      const value = SIZE_WORDS.get(m[0]);
      if (value) push(m[0], value, m.index);
    }
    // Upper-case letter sizes standing alone: "M", "XL" (not the "S" in "SA100123" or "T-shirt").
    for (const m of matchAll(LETTER_SIZE, text)) {
      if (m[0].length === 1 && !LONE_LETTER_OK(text, m.index)) continue;
      const value = SIZE_WORDS.get(m[0].toLowerCase());
      if (value) push(m[0], value, m.index);
    }
    return out.sort((a, b) => a.start - b.start);
  }

  private spell(value: string): string {
    return this.catalogSizes.get(normSize(value)) ?? value;
  }
}

const LETTER = '(?:XXXL|XXL|3XL|2XL|XL|XS|S|M|L)';
const SIZE_KEYWORD = new RegExp(
  `(?:(?<![A-Za-z])(?:size|sz|eu)\\s*[:：]?\\s*|尺码\\s*[:：]?\\s*|尺寸\\s*[:：]?\\s*|码数\\s*[:：]?\\s*)((?<![A-Za-z0-9])(?:xxxl|xxl|3xl|2xl|xl|xs|s|m|l|small|medium|large|extra large|x-large|extra small)(?![A-Za-z0-9])|\\d{2}(?:\\.5)?(?![\\d.]))`,
  'gi',
);
const SIZE_SUFFIX = new RegExp(`(?<![A-Za-z0-9.])(\\d{2}(?:\\.5)?|${LETTER})\\s?(?:码|号码|尺码)`, 'gi');
const WATCH_SIZE = /(?<![\d.])(3\d|4\d|5\d)\s?mm(?![A-Za-z])/gi;
const ZH_SIZE = /加加大|特大号|加大号|加大|小号|中号|大号/g;
const LETTER_SIZE = new RegExp(`(?<![A-Za-z0-9_'’\\-/.])${LETTER}(?![A-Za-z0-9_'’\\-/])`, 'g');

// A lone capital S/M/L is a size only next to something size-like: not "I" sentences'
// initials, "M&S", "Plan B". Accept it at the end, before punctuation/CJK/space, after a
// CJK character or after "in", "an", "a", "the", "one", "want", "need", "get", "buy".
function LONE_LETTER_OK(text: string, at: number): boolean {
  const next = text[at + 1];
  if (next === '&' || next === '.') return false;
  const before = text.slice(Math.max(0, at - 8), at);
  if (/[\u4e00-\u9fff]\s*$/.test(before) || at === 0) return true;
  return /(?:^|[^A-Za-z])(?:in|an|a|the|one|want|need|get|buy|or|and|size|是|要)\s*$/i.test(before) || /[,/(（]\s*$/.test(before);
}

// A colour word that names a tier, a programme, a card, a day or a service rather than a colour:
// "gold account", "silver tier", "platinum-level", "black friday", "orange money", "green card",
// "金色会员", "黑色星期五"; or that follows one: "membership level: gold", "会员等级是金色".
// A product with the word stays a colour ("red card holder", "黑色卡包").
const NON_COLOR_AFTER =
  /^(?:[\s-]*(?:accounts?|members?|membership|tiers?|cards?(?![\s-]*(?:holders?|cases?|wallets?|sleeves?|slots?))|levels?|status|plans?|packages?|subscriptions?|club|rewards?|program(?:me)?s?|customers?|users?|partners?|medal(?:ist)?s?|badges?|friday|monday|money|pay)(?![A-Za-z])|\s*(?:会员|级会员|卡(?![包套夹])|等级|级别|用户|账户|账号|套餐|星期五|周五|礼拜五))/i;
const NON_COLOR_BEFORE =
  /(?:(?<![A-Za-z])(?:account|member(?:ship)?|tier|level|status|plan|rank|loyalty|vip)(?:\s+(?:level|tier|status))?\s*(?:is|was|:|-|of|to)?\s*|(?:会员|等级|级别|会员等级)\s*(?:是|为|[:：])?\s*)$/i;

/** The colour word at text[start, end) names something else (a tier, a card, a day), not a colour. */
function namesNoColor(text: string, start: number, end: number): boolean {
  return NON_COLOR_AFTER.test(text.slice(end, end + 24)) || NON_COLOR_BEFORE.test(text.slice(Math.max(0, start - 32), start));
}

function normColor(s: string): string {
  return s.toLowerCase().replace(/[\s-]+/g, ' ').trim();
}

function normSize(s: string): string {
  return s.toUpperCase().replace(/\s+/g, '').replace(/^2XL$/, 'XXL').replace(/^3XL$/, 'XXXL');
}
