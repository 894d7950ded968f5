import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoShop } from '../../app/seed.js';
import { LexicalEmbeddings, makeTinyModel, TransformersEmbeddings } from '../../knowledge/index.js';
import { CatalogMatcher, EntityExtractor, productText } from '../../skills/nlu/entities/index.js';
import { openStore, type Product, type Store } from '../../store/index.js';

interface LogLine {
  level: 'info' | 'warn';
  msg: string;
  obj: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]) {
  return {
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', msg, obj }),
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', msg, obj }),
  };
}

describe('CatalogMatcher on the seeded demo shop (SQLite, lexical embeddings)', () => {
  let dir: string;
  let store: Store;
  let products: Product[];
  let embeddings: LexicalEmbeddings;
  let matcher: CatalogMatcher;
  const lines: LogLine[] = [];
  const byTitle = (prefix: string) => {
    const p = products.find((x) => x.title.en.startsWith(prefix));
    if (!p) throw new Error(`no product titled ${prefix}`);
    return p;
  };
  const categoryOf = (id: string) => products.find((p) => p.id === id)?.category;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'catalog-matcher-'));
    store = await openStore({ kind: 'sqlite', file: path.join(dir, 'shop.sqlite') });
    await seedDemoShop(store);
    products = (await store.products.list({}, { limit: 500 })).items;
    embeddings = new LexicalEmbeddings().fit(products.map(productText));
    matcher = await CatalogMatcher.create({ store, embeddings, modelId: 'lexical-test', indexDir: path.join(dir, 'index'), logger: recordingLogger(lines) });
  });

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the products index once and logs its thresholds', () => {
    expect(lines.filter((l) => l.msg === 'products index rebuilt').map((l) => l.obj['reason'])).toEqual(['missing']);
    const { category, product } = matcher.thresholds;
    expect(category).toBeGreaterThan(0);
    expect(product).toBeGreaterThan(category);
  });

  it('"running shoes" finds running shoes in the index', async () => {
    const hits = await matcher.searchProducts('running shoes', { k: 10 });
    expect(hits).toHaveLength(10);
    expect(hits.every((h) => categoryOf(h.productId) === 'running-shoes')).toBe(true);
    expect(hits[0]!.score).toBeGreaterThan(matcher.thresholds.category);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });

  it('searchProducts applies a metadata filter and bounds k', async () => {
    const hits = await matcher.searchProducts('wireless', { k: 5, filter: (m) => m.category === 'headphones' && m.price < 1000 });
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      const p = products.find((x) => x.id === h.productId)!;
      expect([p.category, p.price < 1000]).toEqual(['headphones', true]);
    }
    expect((await matcher.searchProducts('shoes', { k: 10_000 })).length).toBeLessThanOrEqual(100);
    expect(await matcher.searchProducts('   ')).toEqual([]);
  });

  it.each([
    ['running shoes', 'running-shoes'],
    ['I want sneakers', 'sneakers'],
    ['有跑鞋吗', 'running-shoes'],
    ['想买降噪耳机', 'headphones'],
    ['wireless earbuds', 'headphones'],
    ['有没有羽绒服', 'jackets'],
    ['a T-shirt', 't-shirts'],
    ['连衣裙', 'dresses'],
    ['洗面奶', 'skincare'],
  ])('%j names the category %s', async (text, category) => {
    const found = await matcher.match(text);
    expect(found.filter((m) => m.type === 'category').map((m) => m.value)).toEqual([category]);
    for (const m of found) expect(text.slice(m.start, m.end)).toBe(m.text);
  });

  it.each(['where is my order', '我的订单到哪了', 'I want a refund', 'hello', '转人工', 'can I change the delivery address'])('%j names nothing in the catalogue', async (text) => {
    expect(await matcher.match(text)).toEqual([]);
  });

  it('finds the category through the index when no category word is used', async () => {
    const found = await matcher.match('noise-cancelling over-ear');
    const category = found.find((m) => m.type === 'category');
    expect(category?.value).toBe('headphones');
    expect(category!.score).toBeGreaterThanOrEqual(matcher.thresholds.category);
    expect(category!.score).toBeLessThan(1);
  });

  it('finds a product through the index when its name is not written as in the title', async () => {
    const mossback = byTitle('Northpace Mossback');
    const [found] = (await matcher.match('mossback trail')).filter((m) => m.type === 'product');
    expect(found).toMatchObject({ value: mossback.id, text: 'mossback trail' });
    expect(found!.score).toBeGreaterThanOrEqual(matcher.thresholds.product);
    expect(found!.score).toBeLessThan(0.9);
  });

  it('a generic "shoes" goes to the shoe category the index ranks first', async () => {
    const found = await matcher.match('shoes for road running');
    const category = found.find((m) => m.type === 'category');
    expect(category).toMatchObject({ value: 'running-shoes', text: 'shoes' });
  });

  it('finds products by title, brand + model and model, in English and Chinese', async () => {
    const aero = byTitle('Northpace Aero 3');
    const hush = byTitle('Quietwave Hush 700');
    const cases: Array<[string, string, string]> = [
      [aero.title.en, aero.id, aero.title.en],
      ['is the Northpace Aero 3 any good', aero.id, 'Northpace Aero 3'],
      ['北境Aero 3有42码吗', aero.id, '北境Aero 3'],
      [`${aero.title.zh}多少钱`, aero.id, aero.title.zh],
      ['hush 700 in stock?', hush.id, 'hush 700'],
    ];
    for (const [text, id, span] of cases) {
      const found = (await matcher.match(text)).filter((m) => m.type === 'product');
      expect(found.map((m) => [m.value, m.text])).toEqual([[id, span]]);
    }
    // A lone model word counts only capitalised as in the title.
    const everyday = byTitle('Tidewear Everyday');
    expect((await matcher.match('is the Everyday soft?')).filter((m) => m.type === 'product').map((m) => m.value)).toEqual([everyday.id]);
    expect((await matcher.match('I wear it everyday')).filter((m) => m.type === 'product')).toEqual([]);
    // "Hush" alone names two headphones: no product.
    expect((await matcher.match('the Hush one')).filter((m) => m.type === 'product')).toEqual([]);
  });

  it('the extractor combines catalogue matches with the other entities and uses catalogue spellings', async () => {
    const extractor = new EntityExtractor({ catalog: matcher });
    const text = 'Northpace Aero 3 in gray, size 42, under ¥800';
    const found = await extractor.extract(text, { locale: 'en' });
    expect(found.map((e) => [e.type, 'value' in e ? e.value : undefined, e.text])).toEqual([
      ['product', byTitle('Northpace Aero 3').id, 'Northpace Aero 3'],
      ['color', 'grey', 'gray'],
      ['size', '42', 'size 42'],
      ['price_range', undefined, 'under ¥800'],
    ]);
  });

  it('an empty catalogue matches nothing and does not fail', async () => {
    const empty = await openStore({ kind: 'sqlite', file: path.join(dir, 'empty.sqlite') });
    try {
      const none = await CatalogMatcher.create({ store: empty, embeddings, modelId: 'lexical-test', indexDir: path.join(dir, 'empty-index'), logger: recordingLogger([]) });
      expect(await none.match('running shoes under 500')).toEqual([]);
      expect(await none.searchProducts('running shoes')).toEqual([]);
    } finally {
      await empty.close();
    }
  });

  it('works on the transformers.js path too (generated tiny model): dimension from the model, a model change rebuilds', async () => {
    const modelsDir = path.join(dir, 'models');
    await makeTinyModel(modelsDir, 'tiny-bert');
    const tiny = new TransformersEmbeddings({ modelId: 'tiny-bert', modelsDir, allowRemote: false });
    const log: LogLine[] = [];
    const indexDir = path.join(dir, 'index-tiny');
    const viaModel = await CatalogMatcher.create({ store, embeddings: tiny, modelId: 'tiny-bert', indexDir, logger: recordingLogger(log) });
    expect(log.filter((l) => l.msg === 'products index rebuilt').map((l) => l.obj['reason'])).toEqual(['missing']);
    const noise = log.find((l) => l.msg === 'catalog matcher thresholds')!.obj['noise'] as number;
    expect(viaModel.thresholds.category).toBeGreaterThan(noise);
    expect(await viaModel.match('where is my order')).toEqual([]);
    const aero = byTitle('Northpace Aero 3');
    expect((await viaModel.match('Northpace Aero 3 please')).filter((m) => m.type === 'product').map((m) => m.value)).toEqual([aero.id]);
    expect(await viaModel.searchProducts('running shoes', { k: 3 })).toHaveLength(3);
    // Back to the lexical embedder: rebuilt again rather than read with the wrong model.
    const back: LogLine[] = [];
    await CatalogMatcher.create({ store, embeddings, modelId: 'lexical-test', indexDir, logger: recordingLogger(back) });
    expect(back.filter((l) => l.msg === 'products index rebuilt').map((l) => l.obj['reason'])).toEqual(['stale']);
  });

  it('fuzz: with the catalogue, random text never throws and spans stay exact and disjoint', async () => {
    const extractor = new EntityExtractor({ catalog: matcher });
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pieces = ['Aero', ' 3', 'Northpace', '北境', 'shoes', '鞋', '耳机', 'running', ' ', '-', "'", 'Hush', '700', '😀', '\ud800', 'T恤', 'ＡＥＲＯ', 'İ', 'ß'];
    for (let i = 0; i < 150; i++) {
      let text = '';
      const n = Math.floor(random() * 12);
      for (let j = 0; j < n; j++) text += random() < 0.7 ? pieces[Math.floor(random() * pieces.length)] : String.fromCharCode(Math.floor(random() * 0xffff));
      const found = await extractor.extract(text);
      for (const e of found) expect(text.slice(e.start, e.end)).toBe(e.text);
      for (let a = 1; a < found.length; a++) expect(found[a]!.start).toBeGreaterThanOrEqual(found[a - 1]!.end);
    }
  });

  it('reuses a fresh index, and rebuilds it after a product changes', async () => {
    const again: LogLine[] = [];
    const second = await CatalogMatcher.create({ store, embeddings, modelId: 'lexical-test', indexDir: path.join(dir, 'index'), logger: recordingLogger(again) });
    expect(again.some((l) => l.msg === 'products index rebuilt')).toBe(false);

    const before = byTitle('Northpace Aero 3');
    expect((await second.match('Zephyrine Glide')).filter((m) => m.type === 'product')).toEqual([]);
    await store.products.upsert({ ...before, title: { en: "Zephyrine Glide Men's Road Running Shoes", zh: '北境 Zephyrine Glide 男款公路跑鞋' } });
    await second.reload();
    expect(again.filter((l) => l.msg === 'products index rebuilt').map((l) => l.obj['reason'])).toEqual(['stale']);
    expect((await second.match('the Zephyrine Glide')).filter((m) => m.type === 'product').map((m) => m.value)).toEqual([before.id]);
    await store.products.upsert(before);
  });
});
