/**
 * Fuzzing of the pure understanding functions a shopper's text goes through: every entity
 * extractor on its own (on the whole text, not the extractor's 2,000-character cap),
 * the combined EntityExtractor, language detection, sentiment and the classifier's text
 * features. Random unicode up to 10k characters, plus adversarial strings built from the
 * tokens the regexes look for (digits, separators, currency, Chinese numerals), which is
 * where catastrophic backtracking would show. Properties: no throw, well-formed results
 * (spans inside the text, `text === input.slice(start, end)`, finite numbers, scores and
 * sentiment in range), and each call's time, whose maximum is printed per function.
 * Prototype keys (issue 14): every Object.prototype name, `__proto__`, `prototype` and what
 * functions, arrays and strings answer for, in every case, mixed into ordinary English and
 * Chinese shopper sentences; every parser must treat them as the unknown words they are.
 * FUZZ_SEED reproduces a run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Bm25Index } from '../../knowledge/index.js';
import { analyze } from '../../knowledge/retrieval/analyzer.js';
import { understandBasics } from '../../skills/basic.js';
import { detectLanguage } from '../../skills/language.js';
import {
  AttributeExtractor,
  EntityExtractor,
  extractDates,
  extractEmails,
  extractMoney,
  extractOrderNumbers,
  extractPhones,
  extractPriceRanges,
  extractQuantities,
  parseAmount,
  parseChineseNumber,
  parseEnglishNumber,
  readNumber,
} from '../../skills/nlu/entities/index.js';
import { hashedFeatures, normalizeText } from '../../skills/nlu/features.js';
import { scoreSentiment } from '../../skills/nlu/sentiment.js';
import type { Entity } from '../../skills/types.js';
import { DANGEROUS_KEYS, PROTOTYPE_KEYS } from '../helpers/prototype-keys.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** A generous bound: a 10k-character message handled in well under this is linear work; backtracking takes seconds. */
const MAX_CALL_MS = 1500;
const maxMs = new Map<string, { ms: number; chars: number }>();
let tried = 0;

function timed<T>(name: string, text: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  record(name, text, performance.now() - t0);
  return out;
}

function record(name: string, text: string, ms: number): void {
  tried++;
  const prev = maxMs.get(name);
  if (!prev || ms > prev.ms) maxMs.set(name, { ms, chars: text.length });
  expect(ms, `${name} took ${ms.toFixed(1)} ms on ${text.length} chars: ${JSON.stringify(text.slice(0, 200))}`).toBeLessThan(MAX_CALL_MS);
}

const NOW = new Date('2026-11-29T08:00:00Z');
const TOKENS = [
  '0', '1', '9', '12', '138', '0000', '.', ',', '-', '+', ' ', '  ', '/', ':', '@', '_', 'a', 'Z', 'x', 'SA', 'sa', '$', '¥', '￥', '元', '块', '美元',
  'under', 'between', 'and', 'to', '~', '到', '以下', '以内', '左右', '两', '三', '百', '千', '万', '十', '一', '零', '两三百',
  'yesterday', 'last week', 'next', 'monday', '月', '日', '号', '昨天', '上周', '2026', '年', 'pcs', '件', '个', 'size', 'XL', 'M', '码', '44',
  'red', '红色', 'light', 'not', 'no', 'happy', '!!!', '???', '投诉', '差评', 'lawyer', '😡', '😀', '\u3000', '１２３', 'ＳＡ', '\n', 'e', 'E', '.com', 'mail',
];
const adversarial = fc
  .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 2500 })
  .map((parts) => parts.join('').slice(0, 10_000));
const repeated = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 4 }), fc.integer({ min: 100, max: 3000 }))
  .map(([unit, n]) => unit.join('').repeat(n).slice(0, 10_000));
const unicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', minLength: 2000, maxLength: 10_000 }),
);

// ---- prototype keys in shopper sentences (issue 14: "Is the constructor set included?" scored NaN)

/** A key as a shopper might type it: any case, capitalised, plural, possessive, with punctuation. */
const keyForm = (keys: readonly string[]) =>
  fc.tuple(fc.constantFrom(...keys), fc.constantFrom('as is', 'lower', 'upper', 'title', 'plural', 'possessive', 'question')).map(([k, form]) => {
    switch (form) {
      case 'lower':
        return k.toLowerCase();
      case 'upper':
        return k.toUpperCase();
      case 'title':
        return k.charAt(0).toUpperCase() + k.slice(1);
      case 'plural':
        return `${k}s`;
      case 'possessive':
        return `${k}'s`;
      case 'question':
        return `${k}?`;
      default:
        return k;
    }
  });
const SHOPPER_WORDS = [
  'is', 'the', 'set', 'included', 'where', 'my', 'order', 'I', 'want', 'two', 'red', 'size', 'M', 'under', '300', 'yuan', 'not', 'very',
  'happy', 'terrible', 'but', 'refund', 'please', 'SA100123', 'by', 'Monday', 'thanks', 'angry', 'again', '!!', '??', 'a', 'pair', 'of',
  '请问', '有货吗', '我要', '两件', '三百块以内', '太差了', '退货', '谢谢', '昨天', '红色', 'XL码', '不满意', '，', '。',
];
/** Sentence templates with one slot per `{}`: a shopper's question with a prototype key where a product name would be. */
const TEMPLATES = [
  'Is the {} set included?', 'Do you have the {} in red, size M, under 300 yuan?', 'I want 2 {} by Monday please', 'where is my {} order SA100123??',
  'not {} but very {}', 'the {} is terrible, I want a refund', 'the {} is great, thanks!', '{} {} {}', 'I asked about the {} three times!!',
  '请问{}有货吗？三百元以内', '我要两件{}，红色XL码', '{}太差了，我要退货', '{}很好，谢谢', '昨天买的{}还没到', '{}和{}有什么区别',
];
const fill = (template: string, keys: string[]): string => {
  let i = 0;
  return template.replace(/\{\}/g, () => keys[i++ % keys.length]!);
};
const protoSentence = (keys: readonly string[]) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(keyForm(keys), { minLength: 1, maxLength: 3 })).map(([t, ks]) => fill(t, ks)),
    fc.tuple(fc.array(fc.oneof(fc.constantFrom(...SHOPPER_WORDS), keyForm(keys)), { minLength: 1, maxLength: 14 }), fc.constantFrom(' ', '', ', ')).map(([ws, sep]) => ws.join(sep)),
  );
const prototypeText = protoSentence(DANGEROUS_KEYS);
/** Ordinary words no lexicon knows, to stand in for keys. */
const PLACEHOLDERS = ['gizmo', 'sprocket', 'doohickey'];

const anyText = fc.oneof({ weight: 3, arbitrary: unicode }, { weight: 3, arbitrary: adversarial }, { weight: 1, arbitrary: repeated }, { weight: 2, arbitrary: prototypeText });

function checkSpans(text: string, entities: Entity[] | Array<{ start: number; end: number; text: string }>): void {
  for (const e of entities) {
    expect(Number.isInteger(e.start) && Number.isInteger(e.end)).toBe(true);
    expect(e.start).toBeGreaterThanOrEqual(0);
    expect(e.end).toBeGreaterThan(e.start);
    expect(e.end).toBeLessThanOrEqual(text.length);
    expect(e.text).toBe(text.slice(e.start, e.end));
  }
}

function checkValues(entities: Array<Record<string, unknown>>): void {
  for (const e of entities) {
    for (const k of ['value', 'min', 'max', 'score'] as const) {
      if (typeof e[k] === 'number') expect(Number.isFinite(e[k]), `${String(e['type'])}.${k} = ${String(e[k])}`).toBe(true);
    }
    if (typeof e['score'] === 'number') {
      expect(e['score']).toBeGreaterThanOrEqual(0);
      expect(e['score']).toBeLessThanOrEqual(1);
    }
    if (e['type'] === 'date') {
      expect(e['from']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(e['to']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(String(e['from']) <= String(e['to'])).toBe(true);
    }
  }
}

afterAll(() => {
  const rows = [...maxMs].sort((a, b) => b[1].ms - a[1].ms).map(([name, m]) => `  ${name.padEnd(22)} ${m.ms.toFixed(1).padStart(8)} ms  (${m.chars} chars)`);
  console.log(`nlu fuzz: ${tried} calls (seed ${SEED}; FUZZ_SEED=${SEED} reproduces it); slowest call per function:\n${rows.join('\n')}`);
});

describe('NLU fuzz: entity extractors on the whole text', () => {
  const attributes = new AttributeExtractor({ colors: ['navy', '藏青色'], sizes: ['XXL', '42'] });
  const extractors: Array<[string, (t: string) => Array<Entity & Record<string, unknown>>]> = [
    ['extractOrderNumbers', (t) => extractOrderNumbers(t) as Array<Entity & Record<string, unknown>>],
    ['extractPhones', (t) => extractPhones(t) as Array<Entity & Record<string, unknown>>],
    ['extractEmails', (t) => extractEmails(t) as Array<Entity & Record<string, unknown>>],
    ['extractMoney', (t) => extractMoney(t) as Array<Entity & Record<string, unknown>>],
    ['extractPriceRanges', (t) => extractPriceRanges(t) as Array<Entity & Record<string, unknown>>],
    ['extractDates', (t) => extractDates(t, { now: NOW }) as Array<Entity & Record<string, unknown>>],
    ['extractQuantities', (t) => extractQuantities(t) as Array<Entity & Record<string, unknown>>],
    ['attributes.sizes', (t) => attributes.sizes(t) as Array<Entity & Record<string, unknown>>],
    ['attributes.colors', (t) => attributes.colors(t) as Array<Entity & Record<string, unknown>>],
  ];
  for (const [name, extract] of extractors) {
    it(`${name}: no throw, spans inside the text, finite values, bounded time`, () => {
      fc.assert(
        fc.property(anyText, (text) => {
          const found = timed(name, text, () => extract(text));
          checkSpans(text, found);
          checkValues(found);
        }),
        { seed: SEED, numRuns: runs(150) },
      );
    });
  }

  it('readNumber and parseAmount: a finite number or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((p) => p.join(''))), (text) => {
        const n = timed('readNumber', text, () => readNumber(text));
        if (n !== undefined) expect(Number.isFinite(n)).toBe(true);
        const a = timed('parseAmount', text, () => parseAmount(text));
        if (a !== undefined) expect(Number.isFinite(a.value)).toBe(true);
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });
});

describe('NLU fuzz: the combined extractor, language, sentiment, features', () => {
  const extractor = new EntityExtractor({ timeZone: 'Asia/Shanghai' });

  it('EntityExtractor.extract: sorted, non-overlapping spans inside the text', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.constantFrom('en', 'zh', undefined), async (text, locale) => {
        const t0 = performance.now();
        const found = await extractor.extract(text, { now: NOW, ...(locale ? { locale } : {}) });
        record('EntityExtractor', text, performance.now() - t0);
        checkSpans(text, found);
        checkValues(found as unknown as Array<Record<string, unknown>>);
        for (let i = 1; i < found.length; i++) expect(found[i]!.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
      }),
      { seed: SEED, numRuns: runs(200) },
    );
  });

  it('detectLanguage: en or zh, whatever the text', () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom('en', 'zh') as fc.Arbitrary<'en' | 'zh'>, (text, fallback) => {
        expect(['en', 'zh']).toContain(timed('detectLanguage', text, () => detectLanguage(text, fallback)));
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('understandBasics: a command word (link / 绑定, greetings, help) then anything: bounded time, a link code of letters and digits', () => {
    // The keyword patterns are anchored on their command word, which random text almost never
    // starts with: put it first, then long runs of what the patterns allow between their parts.
    const command = fc.constantFrom('link', 'LINK ', '绑定', '关联', 'link my account', '绑定账号', 'link account：', 'hi', 'help', '你好');
    const runsOf = fc
      .tuple(fc.constantFrom(' ', '\u3000', ' 1', '1 ', '- ', ' :', 'a'), fc.integer({ min: 100, max: 5000 }), fc.constantFrom('x', '', '!', '。', '7KQ2'))
      .map(([unit, n, end]) => unit.repeat(n) + end);
    fc.assert(
      fc.property(command, fc.oneof(runsOf, adversarial, repeated), (cmd, tail) => {
        const text = `${cmd}${tail}`.slice(0, 10_000);
        const u = timed('understandBasics', text, () => understandBasics(text));
        for (const e of u.entities) {
          expect(e.text).toBe(text.slice(e.start, e.end));
          if (e.type === 'link_code') expect(e.value).toMatch(/^[0-9A-Z]{1,24}$/);
        }
      }),
      { seed: SEED, numRuns: runs(200) },
    );
  });

  it('scoreSentiment: score in [-1, 1], a boolean anger, string cues', () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.oneof(unicode, adversarial), { maxLength: 3 }), (text, previous) => {
        const s = timed('scoreSentiment', text, () => scoreSentiment(text, { previous }));
        expect(Number.isFinite(s.score)).toBe(true);
        expect(s.score).toBeGreaterThanOrEqual(-1);
        expect(s.score).toBeLessThanOrEqual(1);
        expect(typeof s.anger).toBe('boolean');
        for (const c of s.cues) expect(typeof c).toBe('string');
      }),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('normalizeText and hashedFeatures: bounded length, finite weights in their buckets', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const norm = timed('normalizeText', text, () => normalizeText(text));
        expect(norm.length).toBeLessThanOrEqual(text.length + 512);
        const v = timed('hashedFeatures', text, () => hashedFeatures(text, 4096));
        for (const i of v.idx) expect(i >= 0 && i < 4096).toBe(true);
        for (const x of v.val) expect(Number.isFinite(x)).toBe(true);
      }),
      { seed: SEED, numRuns: runs(100) },
    );
  });
});

describe('NLU fuzz: prototype keys in English and Chinese shopper sentences', () => {
  const extractor = new EntityExtractor({ timeZone: 'Asia/Shanghai' });
  const attributes = new AttributeExtractor({ colors: ['navy', '藏青色'], sizes: ['XXL', '42'] });
  const index = new Bm25Index<{ n: number }>();
  ['Is the constructor set included?', 'Where is my order?', '退货政策是什么', 'The toString kit ships in two days'].forEach((t, n) => index.add(`d${n}`, t, { n }));
  const noFunctionText = (s: string) => expect(s).not.toMatch(/undefined|NaN|function |\[object /);

  it('sentiment: finite, in [-1, 1], and the same score as with an ordinary unknown word in place of each key', () => {
    fc.assert(
      fc.property(fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.boolean()), { minLength: 1, maxLength: 3 })), ([template, picks]) => {
        const keys = picks.map(([k, upper]) => (upper ? k.toUpperCase() : k));
        const text = fill(template, keys);
        // The same sentence with words the lexicon does not know either: one per distinct key (so a
        // repeated key is a repeated word there too), shouted where the key was.
        const distinct = [...new Set(keys.map((k) => k.toLowerCase()))];
        const plain = fill(template, keys.map((k) => PLACEHOLDERS[distinct.indexOf(k.toLowerCase())]!).map((w, i) => (picks[i]![1] ? w.toUpperCase() : w)));
        const s = timed('scoreSentiment', text, () => scoreSentiment(text, { previous: [text] }));
        expect(Number.isFinite(s.score), `${JSON.stringify(text)} scored ${s.score}`).toBe(true);
        expect(Math.abs(s.score)).toBeLessThanOrEqual(1);
        s.cues.forEach(noFunctionText);
        const p = scoreSentiment(plain, { previous: [plain] });
        expect({ score: s.score, anger: s.anger }, `${JSON.stringify(text)} vs ${JSON.stringify(plain)}`).toEqual({ score: p.score, anger: p.anger });
      }),
      { seed: SEED, numRuns: runs(400) },
    );
  });

  it('every parser: no throw, finite numbers, well-formed spans and results', async () => {
    await fc.assert(
      fc.asyncProperty(prototypeText, async (text) => {
        const s = timed('scoreSentiment', text, () => scoreSentiment(text));
        expect(Number.isFinite(s.score), `${JSON.stringify(text)} scored ${s.score}`).toBe(true);
        s.cues.forEach(noFunctionText);
        expect(['en', 'zh']).toContain(timed('detectLanguage', text, () => detectLanguage(text, 'en')));
        const basics = timed('understandBasics', text, () => understandBasics(text));
        expect(typeof basics.intent).toBe('string');
        expect(Number.isFinite(basics.confidence)).toBe(true);
        for (const f of [readNumber, parseEnglishNumber, parseChineseNumber]) {
          const n = timed(f.name, text, () => f(text));
          if (n !== undefined) expect(Number.isFinite(n) && typeof n === 'number', `${f.name}(${JSON.stringify(text)}) = ${String(n)}`).toBe(true);
        }
        const a = parseAmount(text);
        if (a !== undefined) expect(Number.isFinite(a.value)).toBe(true);
        for (const found of [extractMoney(text), extractPriceRanges(text), extractQuantities(text), extractDates(text, { now: NOW }), attributes.sizes(text), attributes.colors(text)]) {
          checkSpans(text, found);
          checkValues(found as unknown as Array<Record<string, unknown>>);
        }
        const t0 = performance.now();
        const all = await extractor.extract(text, { now: NOW });
        record('EntityExtractor', text, performance.now() - t0);
        checkSpans(text, all);
        checkValues(all as unknown as Array<Record<string, unknown>>);
        for (const e of all) if ('value' in e) expect(['string', 'number']).toContain(typeof e.value);
        for (const term of timed('analyze', text, () => analyze(text))) expect(typeof term).toBe('string');
        for (const h of timed('bm25.search', text, () => index.search(text, 4))) expect(Number.isFinite(h.score)).toBe(true);
        const v = hashedFeatures(text, 4096);
        for (const x of v.val) expect(Number.isFinite(x)).toBe(true);
      }),
      { seed: SEED, numRuns: runs(400) },
    );
  });

  it('a price, a quantity or an order number next to a prototype key is still read', async () => {
    await fc.assert(
      fc.asyncProperty(keyForm(DANGEROUS_KEYS), async (key) => {
        const text = `I want 2 pairs of ${key} under 300 yuan, order SA100123`;
        const found = await extractor.extract(text, { now: NOW });
        expect(found.find((e) => e.type === 'price_range'), text).toMatchObject({ max: 300 });
        expect(found.find((e) => e.type === 'quantity'), text).toMatchObject({ value: 2 });
        expect(found.find((e) => e.type === 'order_number'), text).toMatchObject({ value: 'SA100123' });
      }),
      { seed: SEED, numRuns: runs(150) },
    );
  });
});
