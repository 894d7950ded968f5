/**
 * Issue 14, point 6: a plain object looked up with a shopper's word answers for
 * `constructor`, `toString`, `__proto__` … too ("Is the constructor set included?" scored
 * NaN). This runs every understanding entry point over every Object.prototype property
 * name, the names a function, an array or a string answers for, and the keys the issue
 * names, alone and inside English and Chinese shopper sentences: language detection,
 * basics, the classifier's features and the classifier itself (also trained on intents
 * named like prototype keys), every entity extractor, sentiment, the BM25 analyzer and
 * index, the lexical embedder, the knowledge base's hybrid search, the catalogue matcher,
 * the recommender and ad targeting, and the tables skills and hand-offs keep by intent.
 * Each must return finite numbers and well-formed results, and treat those names as the
 * ordinary unknown words they are.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoShop } from '../app/seed.js';
import { priorityOf, topicOf } from '../bots/handoff/routing.js';
import { Bm25Index, KnowledgeBase, LexicalEmbeddings, parseFrontMatter } from '../knowledge/index.js';
import { analyze } from '../knowledge/retrieval/analyzer.js';
import { keywordIn, targetingMatches } from '../recommender/ads/targeting.js';
import { createModel, restoreModel } from '../recommender/models/index.js';
import { RecommendationService } from '../recommender/service.js';
import { detectLanguage, understandBasics } from '../skills/index.js';
import { IntentClassifier, Nlu, scorePredictions, type IntentExample } from '../skills/nlu/index.js';
import {
  AttributeExtractor,
  CatalogMatcher,
  EntityExtractor,
  extractDates,
  extractMoney,
  extractPriceRanges,
  extractQuantities,
  parseAmount,
  parseChineseNumber,
  parseEnglishNumber,
  productText,
  productTexts,
  readNumber,
} from '../skills/nlu/entities/index.js';
import { hashedFeatures, normalizeText } from '../skills/nlu/features.js';
import { scoreSentiment } from '../skills/nlu/sentiment.js';
import { ordersSkill } from '../skills/orders/index.js';
import type { Entity, Turn } from '../skills/types.js';
import { isShopError, openStore, type Store } from '../store/index.js';
import { DANGEROUS_KEYS, PROTOTYPE_KEYS } from './helpers/prototype-keys.js';

const NOW = new Date('2026-11-29T08:00:00Z');

/** Shopper sentences around one key, in English and Chinese. */
function sentencesWith(key: string): string[] {
  return [
    key,
    `Is the ${key} set included?`,
    `I want 3 ${key} under 200 yuan by Monday`,
    `${key} ${key} ${key}!!`,
    `not ${key} but very ${key}`,
    `请问${key}有货吗`,
    `我要两件${key}，三百块以内`,
  ];
}
const SENTENCES = [...new Set(DANGEROUS_KEYS.flatMap(sentencesWith))];

const quiet = { info: () => {}, warn: () => {} };

function finite(x: unknown, what: string): void {
  expect(typeof x === 'number' && Number.isFinite(x), `${what} = ${String(x)}`).toBe(true);
}

function checkEntities(text: string, entities: Entity[]): void {
  for (const e of entities) {
    expect(typeof e.type).toBe('string');
    expect(e.text).toBe(text.slice(e.start, e.end));
    for (const [k, v] of Object.entries(e)) if (typeof v === 'number') finite(v, `${e.type}.${k} in ${JSON.stringify(text)}`);
    const value = (e as { value?: unknown }).value;
    if (value !== undefined) expect(['string', 'number'], `${e.type}.value in ${JSON.stringify(text)}`).toContain(typeof value);
  }
}

describe('the keys themselves', () => {
  it('cover every Object.prototype name, the keys the issue names, and what functions, arrays and strings answer for', () => {
    for (const k of Object.getOwnPropertyNames(Object.prototype)) expect(PROTOTYPE_KEYS).toContain(k);
    for (const k of ['__proto__', 'prototype', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf']) expect(PROTOTYPE_KEYS).toContain(k);
    for (const k of ['length', 'name', 'call', 'find', 'keys', 'values', 'tostring', 'hasownproperty']) expect(DANGEROUS_KEYS).toContain(k);
  });
});

describe('pure understanding functions over prototype keys', () => {
  it('language detection and the basics: a language, an intent, a probability', () => {
    for (const text of SENTENCES) {
      expect(['en', 'zh']).toContain(detectLanguage(text, 'en'));
      const b = understandBasics(text);
      expect(typeof b.intent).toBe('string');
      finite(b.confidence, `basics confidence of ${JSON.stringify(text)}`);
      checkEntities(text, b.entities);
    }
  });

  it('sentiment: a finite score in [-1, 1] for every sentence, and a prototype name alone is a neutral unknown word', () => {
    for (const text of SENTENCES) {
      const s = scoreSentiment(text, { previous: [text, 'where is my order'] });
      finite(s.score, `sentiment of ${JSON.stringify(text)}`);
      expect(s.score).toBeGreaterThanOrEqual(-1);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(typeof s.anger).toBe('boolean');
      for (const c of s.cues) expect(c).not.toMatch(/undefined|function|\[object/);
    }
    for (const key of PROTOTYPE_KEYS) {
      for (const text of [key, key.toLowerCase(), key.toUpperCase(), `Is the ${key} set included?`, `请问${key}有货吗`]) {
        expect(scoreSentiment(text), JSON.stringify(text)).toEqual({ score: 0, anger: false, cues: [] });
      }
      // Still a real lexicon around the unknown word: praise stays praise, a complaint a complaint.
      expect(scoreSentiment(`the ${key} is great`).score).toBeGreaterThan(0.3);
      expect(scoreSentiment(`the ${key} is terrible`).score).toBeLessThan(-0.3);
      expect(scoreSentiment(`${key}太差了`).score).toBeLessThan(-0.3);
    }
  });

  it('number readers: a prototype name is no number, and does not spoil the number next to it', () => {
    for (const key of DANGEROUS_KEYS) {
      for (const f of [readNumber, parseEnglishNumber, parseChineseNumber]) {
        expect(f(key), `${f.name}(${JSON.stringify(key)})`).toBeUndefined();
        expect(f(`one ${key}`), `${f.name}("one ${key}")`).toBeUndefined();
        expect(f(`二${key}`), `${f.name}("二${key}")`).toBeUndefined();
      }
      expect(parseAmount(key)).toBeUndefined();
    }
    expect(parseEnglishNumber('twenty five')).toBe(25);
    expect(parseChineseNumber('两千五')).toBe(2500);
  });

  it('entity extractors: spans inside the text, finite values; the price next to a prototype name is still read', async () => {
    const attributes = new AttributeExtractor({ colors: ['navy'], sizes: ['XL'] });
    const extractor = new EntityExtractor({ timeZone: 'Asia/Shanghai' });
    for (const text of SENTENCES) {
      for (const found of [extractMoney(text), extractPriceRanges(text), extractQuantities(text), extractDates(text, { now: NOW }), attributes.sizes(text), attributes.colors(text)]) {
        checkEntities(text, found as Entity[]);
      }
      checkEntities(text, await extractor.extract(text, { now: NOW }));
    }
    for (const key of DANGEROUS_KEYS) {
      const text = `I want 3 ${key} under 200 yuan by Monday`;
      const found = await extractor.extract(text, { now: NOW });
      expect(found.find((e) => e.type === 'price_range'), text).toMatchObject({ max: 200, currency: 'CNY' });
      expect(found.some((e) => e.type === 'date'), text).toBe(true);
    }
  });

  it('the classifier features, the BM25 analyzer and the lexical embedder: finite numbers, plain string terms', () => {
    const embedder = new LexicalEmbeddings({ dimension: 64 }).fit(SENTENCES.slice(0, 200));
    for (const text of SENTENCES) {
      expect(typeof normalizeText(text)).toBe('string');
      const v = hashedFeatures(text, 1024);
      for (const i of v.idx) expect(i >= 0 && i < 1024).toBe(true);
      for (const x of v.val) finite(x, `feature of ${JSON.stringify(text)}`);
      for (const t of analyze(text)) expect(typeof t).toBe('string');
      for (const x of embedder.embed(text)) finite(x, `lexical embedding of ${JSON.stringify(text)}`);
    }
    const restored = LexicalEmbeddings.fromJSON(JSON.parse(JSON.stringify(embedder.toJSON())));
    expect(restored.embed('Is the constructor set included?')).toEqual(embedder.embed('Is the constructor set included?'));
  });

  it('a BM25 index finds documents by prototype names and scores the rest as unknown terms', () => {
    const index = new Bm25Index<{ key: string }>();
    index.add('plain', 'Shipping takes three days within mainland China', { key: '' });
    for (const key of PROTOTYPE_KEYS) index.add(`doc-${key}`, `The ${key} set is included with every order`, { key });
    for (const key of PROTOTYPE_KEYS) {
      finite(index.idf(key.toLowerCase()), `idf(${key})`);
      const hits = index.search(key, 3);
      expect(hits[0]?.id, `search ${key}`).toBe(`doc-${key}`);
      for (const h of hits) finite(h.score, `bm25 score for ${key}`);
    }
    const fresh = new Bm25Index();
    fresh.add('a', 'where is my order', {});
    for (const key of DANGEROUS_KEYS) {
      finite(fresh.idf(key), `idf(${key}) in an index without it`);
      expect(fresh.search(`${key} ${key}`, 5)).toEqual([]);
      finite(fresh.referenceScore(key), `referenceScore(${key})`);
    }
  });
});

describe('tables keyed by intent, category, model and front-matter names from data', () => {
  it('skills and hand-offs: a prototype-named intent is nobody\'s intent', () => {
    const skill = ordersSkill({} as Parameters<typeof ordersSkill>[0]);
    for (const key of DANGEROUS_KEYS) {
      const turn = { text: 'where is my order', nlu: { intent: key, confidence: 1, entities: [] } } as unknown as Turn;
      expect(skill.canHandle(turn), `orders skill for intent ${key}`).toBe(false);
      expect(topicOf(key), `topic of ${key}`).toBeUndefined();
      expect(priorityOf(key, { vip: false })).toBe(20);
    }
    expect(skill.canHandle({ text: 'where is my order', nlu: { intent: 'track_order', confidence: 1, entities: [] } } as unknown as Turn)).toBe(true);
    expect(topicOf('track_order')).toBe('orders');
  });

  it('recommender models: a prototype name is an unknown model (400), not Object', () => {
    for (const key of DANGEROUS_KEYS) {
      expect(() => createModel(key), key).toThrow(/unknown model/);
      try {
        restoreModel({ kind: key, meta: {}, arrays: {} });
        expect.unreachable(`restoreModel(${key})`);
      } catch (err) {
        expect(isShopError(err, 'bad_request'), `restoreModel(${key}): ${String(err)}`).toBe(true);
      }
    }
  });

  it('front matter: prototype names are ordinary fields, each once', () => {
    const keys = PROTOTYPE_KEYS.filter((k) => /^[A-Za-z][\w-]*$/.test(k));
    const { data } = parseFrontMatter(`---\n${keys.map((k) => `${k}: value of ${k}`).join('\n')}\n---\nbody`, 'p.en.md');
    for (const k of keys) expect(Object.hasOwn(data, k) && data[k], k).toBe(`value of ${k}`);
    expect(() => parseFrontMatter('---\nconstructor: a\nconstructor: b\n---\nbody', 'p.en.md')).toThrow(/constructor: appears twice/);
  });

  it('catalogue texts and ad targeting: a product category or keyword named like a prototype key', () => {
    for (const key of DANGEROUS_KEYS) {
      const texts = productTexts({ title: { en: `The ${key} set`, zh: `${key}套装` }, category: key, tags: [key] });
      expect(texts.en).toContain(key);
      expect(texts.zh).toContain(key);
      expect(keywordIn(`is the ${key} set included?`, key)).toBe(true);
      expect(targetingMatches({ categories: [], intents: [key], keywords: [] }, { intent: key })).toBe(true);
      expect(targetingMatches({ categories: ['jackets'], intents: [], keywords: [] }, { categories: [key] })).toBe(false);
    }
  });

  it('an intent classifier trained on intents named like prototype keys: finite calibrated confidences, own-key metrics', async () => {
    const names = [...new Set(PROTOTYPE_KEYS.map((k) => k.toLowerCase()).filter((k) => /^[a-z][a-z0-9_]*$/.test(k)))];
    expect(names).toContain('constructor');
    const examples: IntentExample[] = [];
    const topics = ['parcel delivery', 'refund money', 'jacket size', 'coupon code', 'invoice copy', 'password reset', 'store hours', 'gift wrap', 'warranty repair', 'phone case'];
    names.forEach((name, i) => {
      const topic = topics[i % topics.length]!;
      for (const form of ['question about the', 'help me with the', 'I need the', 'what about my', 'tell me about', 'I have a question on', 'sort out my', 'check the']) {
        examples.push({ text: `${form} ${topic} ${name}`, intent: name, source: 'test' });
      }
    });
    for (const text of ['what is the weather', 'tell me a joke', 'who won the game', 'play some music', 'what time is it', 'sing a song', 'how tall is everest', 'write a poem']) {
      examples.push({ text, intent: 'out_of_scope', source: 'test' });
    }
    const classifier = await IntentClassifier.train(examples, new LexicalEmbeddings({ dimension: 128 }), { modelId: 'lexical' });
    for (const name of names) expect(classifier.classes).toContain(name);
    const texts = [...names.map((n) => `help me with the ${n}`), ...SENTENCES.slice(0, 150)];
    const predictions = await classifier.classifyBatch(texts);
    predictions.forEach((p, i) => {
      expect([...classifier.classes, 'out_of_scope'], texts[i]).toContain(p.intent);
      finite(p.confidence, `confidence for ${JSON.stringify(texts[i])}`);
      for (const a of p.alternatives) finite(a.confidence, `alternative ${a.intent}`);
    });
    const report = scorePredictions(names.map((n) => n), predictions.slice(0, names.length));
    for (const name of names) {
      expect(Object.hasOwn(report.perIntent, name), name).toBe(true);
      finite(report.perIntent[name]!.f1, `f1 of ${name}`);
    }
    finite(report.macroF1, 'macro F1');
  });
});

describe('the wired modules on the seeded demo shop (SQLite, lexical embeddings)', () => {
  let dir: string;
  let store: Store;
  let nlu: Nlu;
  let kb: KnowledgeBase;
  let catalog: CatalogMatcher;
  let recommender: RecommendationService;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sa-proto-keys-'));
    store = await openStore({ kind: 'sqlite', file: path.join(dir, 'shop.sqlite') });
    await seedDemoShop(store);
    // Shop data with the same names: a category, a title and tags, and a help article.
    await store.products.upsert({
      id: 'P-PROTO',
      category: 'constructor',
      title: { en: 'The toString Constructor Set', zh: 'constructor 积木套装' },
      description: { en: 'A building set. valueOf: hasOwnProperty.', zh: '积木' },
      price: 120,
      currency: 'CNY',
      stock: 5,
      attributes: { color: ['red'], constructor: 'yes' },
      tags: ['__proto__', 'prototype', 'toString'],
    });
    const products = (await store.products.list({}, { limit: 500 })).items;
    const embeddings = new LexicalEmbeddings().fit(products.map(productText));
    const common = { store, embeddings, modelId: 'lexical', indexDir: path.join(dir, 'indexes'), logger: quiet };
    kb = await KnowledgeBase.open({ ...common, vectorWeight: 0.5 });
    await kb.upsertArticle({ slug: 'constructor-set', locale: 'en', title: 'Is the constructor set included?', body: 'The constructor set ships with every toString kit. hasOwnProperty and valueOf parts are spare parts.', category: 'products', tags: ['__proto__', 'constructor'] });
    catalog = await CatalogMatcher.create(common);
    const entities = new EntityExtractor({ catalog, logger: quiet });
    nlu = await Nlu.create({ embeddings, modelId: 'lexical', modelFile: path.join(dir, 'nlu.json'), entities, logger: quiet });
    recommender = await RecommendationService.open({ store, modelFile: path.join(dir, 'recommender.bin'), embeddings });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('NLU parse: an intent it knows, calibrated finite confidences, well-formed entities', async () => {
    const known = new Set([...nlu.classifier.classes, 'out_of_scope', 'greeting', 'help', 'link_account', 'thanks']);
    for (const text of SENTENCES) {
      const u = await nlu.parse(text, { now: NOW });
      expect(known.has(u.intent), `${u.intent} for ${JSON.stringify(text)}`).toBe(true);
      finite(u.confidence, `confidence for ${JSON.stringify(text)}`);
      expect(u.confidence).toBeGreaterThanOrEqual(0);
      expect(u.confidence).toBeLessThanOrEqual(1);
      for (const a of u.alternatives ?? []) finite(a.confidence, `alternative for ${JSON.stringify(text)}`);
      expect(['en', 'zh']).toContain(u.language);
      checkEntities(normalizeText(text, 2000), u.entities);
    }
  }, 120_000);

  it('knowledge search: finite confidences in [0, 1]; the article about the constructor set is found', async () => {
    for (const text of SENTENCES.filter((_, i) => i % 3 === 0)) {
      for (const h of await kb.search(text, { k: 3, minConfidence: 0 })) {
        finite(h.confidence, `kb confidence for ${JSON.stringify(text)}`);
        finite(h.score, `kb score for ${JSON.stringify(text)}`);
        expect(h.confidence).toBeGreaterThanOrEqual(0);
        expect(h.confidence).toBeLessThanOrEqual(1);
      }
    }
    const [top] = await kb.search('Is the constructor set included?', { locale: 'en', k: 1 });
    expect(top?.slug).toBe('constructor-set');
  }, 120_000);

  it('catalogue matcher: finite scores; the product and category named like prototype keys are matched as data', async () => {
    for (const text of SENTENCES.filter((_, i) => i % 3 === 0)) {
      for (const m of await catalog.match(text)) {
        finite(m.score, `catalogue match in ${JSON.stringify(text)}`);
        expect(text.slice(m.start, m.end)).toBe(m.text);
      }
      for (const h of await catalog.searchProducts(text, { k: 3 })) finite(h.score, `product hit for ${JSON.stringify(text)}`);
    }
    const found = await catalog.match('do you have the toString constructor set?');
    expect(found.some((m) => m.value === 'P-PROTO' || m.value === 'constructor'), JSON.stringify(found)).toBe(true);
  }, 120_000);

  it('recommender: prototype names as category, product, basket, clicks or ad text are unknowns, never a crash', async () => {
    for (const key of DANGEROUS_KEYS) {
      const r = await recommender.recommend({ customerId: 'cus_demo_004', locale: 'en', k: 3, category: key === 'constructor' ? 'no-such-category' : key, like: key, with: [key], clicked: [key], exclude: [key], intent: key, text: `Is the ${key} set included?` });
      expect(r.items).toEqual([]);
      const open = await recommender.recommend({ customerId: 'cus_demo_004', locale: 'zh', k: 3, intent: key, text: `请问${key}有货吗`, ads: true });
      expect(open.items.length).toBeGreaterThan(0);
      for (const item of open.items) finite(item.score, `recommendation score with ${key}`);
    }
    const proto = await recommender.recommend({ customerId: 'cus_demo_004', locale: 'en', k: 3, category: 'constructor' });
    expect(proto.items.map((i) => i.product.id)).toEqual(['P-PROTO']);
  }, 120_000);
});
