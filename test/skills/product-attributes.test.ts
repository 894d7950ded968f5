/**
 * Attribute-aware product matching on the real demo catalogue (data/demo-shop/products.json):
 * what a shopper names (EN and ZH, with synonyms) becomes hard constraints, products are indexed
 * by their fields first (tags, titles and descriptions only where a field is missing), and
 * when nothing fits the index loosens one constraint at a time and says which.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDemoShop } from '../../app/demo-shop.js';
import { detailsText, optionsText } from '../../skills/catalog.js';
import {
  attributeLabel,
  localizeValue,
  ProductAttributeIndex,
  type AttributeConstraint,
  type ProductQuery,
} from '../../skills/nlu/entities/product-attributes.js';
import { colorFits, colorName } from '../../skills/nlu/entities/attributes.js';
import type { Product } from '../../store/index.js';

let index: ProductAttributeIndex;
let products: Product[];

beforeAll(async () => {
  const shop = await loadDemoShop();
  products = shop.products.map((p) => ({ ...p, createdAt: new Date(0), updatedAt: new Date(0) }));
  index = ProductAttributeIndex.build(products);
});

const feature = (value: string): AttributeConstraint => ({ key: 'feature', value });
const ids = (list: Product[]) => list.map((p) => p.id).sort();
const byId = (id: string) => products.find((p) => p.id === id)!;
/** Every constraint of `text` without what the shopper typed (for comparisons). */
const extracted = (text: string) => index.extract(text).map(({ said: _said, ...c }) => c);
const tagged = (tag: string) => products.filter((p) => p.tags.includes(tag));
/** Latin words that are not letter sizes or standards' codes (S, XL, IP68, 维生素C). */
const SIZE_AND_CODES = new Set(['S', 'M', 'L', 'XL', 'XS', 'XXL', 'XXXL', 'IP', 'C']);
const englishWords = (text: string) => (text.match(/[A-Za-z]+/g) ?? []).filter((w) => !SIZE_AND_CODES.has(w));

describe('attributes a shopper names (EN and ZH, synonyms)', () => {
  it.each([
    ['Recommend noise cancelling headphones'],
    ['any noise-cancelling headphones?'],
    ['ANC headphones for the plane'],
    ['推荐降噪耳机'],
    ['有主动降噪的耳机吗'],
  ])('"%s" names noise cancelling', (text) => {
    expect(extracted(text)).toContainEqual(feature('noise-cancelling'));
  });

  it.each([['waterproof running shoes'], ['water resistant jacket'], ['water-resistant watch'], ['a watch for swimming'], ['防水的跑鞋'], ['能游泳的手表']])('"%s" names waterproof', (text) => {
    expect(extracted(text)).toContainEqual(feature('waterproof'));
  });

  it.each([['wireless earbuds'], ['bluetooth headphones'], ['无线耳机'], ['蓝牙耳机']])('"%s" names wireless', (text) => {
    expect(extracted(text)).toContainEqual(feature('wireless'));
  });

  it.each([['leather bags'], ['真皮的包'], ['皮的包包'], ['皮革板鞋']])('"%s" names leather', (text) => {
    expect(extracted(text)).toContainEqual(feature('leather'));
  });

  it('skin words are not leather: 皮肤, 油皮 (oily skin), 干皮 (dry skin)', () => {
    expect(extracted('有油皮用的洗面奶吗')).toEqual([feature('oily-skin'), { key: 'tag', value: 'cleanser' }]);
    expect(extracted('油性皮肤适合什么面霜')).toContainEqual(feature('oily-skin'));
    expect(extracted('cleanser for oily skin')).toContainEqual(feature('oily-skin'));
    expect(extracted('干皮用什么精华')).toContainEqual(feature('dry-skin'));
    for (const text of ['有油皮用的洗面奶吗', '我皮肤比较干', '干皮用什么精华']) expect(extracted(text)).not.toContainEqual(feature('leather'));
  });

  it('women and men: "for women", "women\'s", 女款; "women" is never "men"', () => {
    expect(extracted('running shoes for women')).toContainEqual(feature('women'));
    expect(extracted('running shoes for women')).not.toContainEqual(feature('men'));
    expect(extracted("women's rain jacket")).toContainEqual(feature('women'));
    expect(extracted('女款跑鞋')).toEqual([feature('women')]);
    expect(extracted('男款跑鞋')).toEqual([feature('men')]);
  });

  it('colours (from attributes.ts) and sizes', () => {
    expect(extracted('in black?')).toEqual([{ key: 'color', value: 'black' }]);
    expect(extracted('有黑色的吗')).toEqual([{ key: 'color', value: 'black' }]);
    expect(extracted('42码的跑鞋')).toEqual([{ key: 'size', value: '42' }]);
    // "green tea" is an ingredient, not the colour green; "floral print" is a colour, not "printed".
    expect(extracted('green tea toner')).toEqual([{ key: 'keyIngredient', value: 'green tea extract' }, { key: 'tag', value: 'toner' }]);
    expect(extracted('floral print dress')).toEqual([{ key: 'color', value: 'floral print' }]);
  });

  it('brands by their English name and the Chinese name read off the titles', () => {
    expect(extracted('sonara headphones')).toEqual([{ key: 'brand', value: 'Sonara' }]);
    expect(extracted('声澜的耳机')).toEqual([{ key: 'brand', value: 'Sonara' }]);
    expect(extracted('露叶的洗面奶')).toContainEqual({ key: 'brand', value: 'Dewleaf' });
    expect(index.brandName('Northpace', 'zh')).toBe('北境');
  });

  it('negations leave things out: "not wired", "no kids ones", "不要有线的"', () => {
    expect(extracted('headphones, not wired, no kids ones')).toEqual([
      { key: 'feature', value: 'wired', not: true },
      { key: 'feature', value: 'kids', not: true },
    ]);
    expect(extracted('不要有线的')).toEqual([{ key: 'feature', value: 'wired', not: true }]);
    expect(extracted('要不要防水的')).toEqual([feature('waterproof')]);
  });

  it('a product the shopper named is not read for attributes', () => {
    const text = 'anything similar to the Quietwave Hush 700?';
    const start = text.indexOf('Quietwave');
    expect(index.extract(text)).toContainEqual(expect.objectContaining({ key: 'brand', value: 'Quietwave' }));
    expect(index.extract(text, { protect: [{ start, end: start + 'Quietwave Hush 700'.length }] })).toEqual([]);
  });

  it('words of other things are not attributes: 运动鞋 (sneakers) is no sport feature, "short sleeve" no laptop sleeve', () => {
    expect(extracted('推荐运动鞋')).toEqual([]);
    expect(extracted('short sleeve t-shirt')).toEqual([]);
  });

  it('prototype names and junk are nobody\'s attribute, never a crash', () => {
    for (const text of ['constructor', '__proto__', 'toString hasOwnProperty', '', '   ', '\u0000\u0001', 'x'.repeat(5000)]) {
      expect(index.extract(text)).toEqual([]);
    }
    expect(index.extract(undefined as unknown as string)).toEqual([]);
    const p = byId('P-AUD-001');
    expect(index.has(p, { key: 'constructor', value: 'toString' })).toBe(false);
    expect(index.has(p, { key: '__proto__', value: 'x' })).toBe(false);
    expect(localizeValue('constructor', 'toString', 'zh')).toBe('');
  });
});

describe('the catalogue indexed by attributes (fields first)', () => {
  it('noise-cancelling headphones are exactly the noise-cancelling ones: no plain, wired or kids\' headphones', () => {
    const fits = index.matching({ category: 'headphones', attributes: [feature('noise-cancelling')] });
    expect(ids(fits)).toEqual(ids(tagged('noise-cancelling')));
    expect(fits.length).toBeGreaterThanOrEqual(3);
    for (const p of fits) {
      expect(p.tags).not.toContain('wired');
      expect(p.tags).not.toContain('kids');
      expect(`${p.title.en} ${p.title.zh}`).toMatch(/Noise-Cancelling|降噪/);
    }
  });

  it('a field decides where the product has it: wireless is the connectivity field, so the wired studio headphones are out', () => {
    const wireless = index.matching({ category: 'headphones', attributes: [feature('wireless')] });
    for (const p of wireless) expect(p.attributes['connectivity']).toMatch(/Bluetooth/);
    const wired = index.matching({ category: 'headphones', attributes: [feature('wired')] });
    expect(wired.length).toBeGreaterThan(0);
    for (const p of wired) expect(p.attributes['connectivity']).toMatch(/wired/);
    // Leather: the material field (full-grain, PU, suede …), not a word in a text.
    for (const p of index.matching({ category: 'bags', attributes: [feature('leather')] })) expect(p.attributes['material']).toMatch(/leather/i);
  });

  it('waterproof: every watch by its water-resistance field; jackets by their tag; a mention in a text counts only where fields and tags say nothing', () => {
    const waterproof = new Set(products.filter((p) => index.has(p, feature('waterproof'))).map((p) => p.id));
    for (const p of products.filter((x) => x.category === 'smartwatches')) expect(waterproof.has(p.id), p.id).toBe(true);
    expect(products.filter((p) => p.category === 'jackets' && waterproof.has(p.id)).map((p) => p.id).sort()).toEqual(ids(tagged('waterproof')));
    // The softshells "wear under a waterproof shell" (可以套在防水外套里面): not waterproof themselves.
    expect(waterproof.has('P-JKT-010')).toBe(false);
    // Headphones have no such field or tag: the open-ear earphones' "IP67 waterproof" counts.
    expect(products.filter((p) => p.category === 'headphones' && waterproof.has(p.id)).every((p) => /waterproof/i.test(p.description.en))).toBe(true);
    expect(waterproof.has('P-AUD-011')).toBe(true);
    // A negated mention does not: the cleanser "does not remove waterproof sunscreen" (无法卸除防水型防晒).
    expect(byId('P-SKN-001').description.en).toMatch(/does not remove waterproof/);
    expect(waterproof.has('P-SKN-001')).toBe(false);
    expect(products.filter((p) => p.category === 'running-shoes' && waterproof.has(p.id))).toEqual([]);
  });

  it('oily-skin cleansers, women\'s running shoes, colour families', () => {
    const cleansers = index.matching({ category: 'skincare', attributes: index.extract('有油皮用的洗面奶吗') });
    expect(cleansers.length).toBeGreaterThan(0);
    for (const p of cleansers) {
      expect(p.attributes['skinType']).toBe('oily-combination');
      expect(p.tags).toContain('cleanser');
    }
    const women = index.matching({ category: 'running-shoes', attributes: index.extract('女款跑鞋') });
    expect(women.length).toBeGreaterThan(0);
    for (const p of women) expect(p.attributes['gender']).toBe('women');
    expect(colorFits('blue', ['navy'])).toBe(true);
    expect(colorFits('navy', ['blue'])).toBe(false);
    expect(colorName('sky blue', 'zh')).toBe('天蓝色');
    const blueBags = index.matching({ category: 'bags', attributes: [{ key: 'color', value: 'blue' }] });
    expect(blueBags.length).toBeGreaterThan(0);
    for (const p of blueBags) expect(colorFits('blue', p.attributes['color'] as string[])).toBe(true);
  });

  it('colours named together are alternatives; other attributes must all hold', () => {
    const q: ProductQuery = { category: 'headphones', attributes: [feature('noise-cancelling'), { key: 'color', value: 'black' }, { key: 'color', value: 'silver' }] };
    const fits = index.matching(q);
    expect(fits.length).toBeGreaterThan(0);
    for (const p of fits) {
      expect(p.tags).toContain('noise-cancelling');
      expect((p.attributes['color'] as string[]).some((c) => c === 'black' || c === 'silver')).toBe(true);
    }
  });

  it('a constraint every product of the category has says nothing ("running" for running shoes) and is dropped', () => {
    const named = index.extract('recommend running shoes');
    expect(named).toContainEqual(expect.objectContaining({ key: 'tag', value: 'running' }));
    expect(index.informative(named, 'running-shoes')).toEqual([]);
    expect(index.informative(index.extract('trail running shoes'), 'running-shoes')).toEqual([expect.objectContaining({ key: 'tag', value: 'trail' })]);
  });

  it('nothing fits "防水的跑鞋": the closest is the water-repellent substitute, said so', () => {
    const q: ProductQuery = { category: 'running-shoes', attributes: index.extract('防水的跑鞋') };
    expect(index.matching(q)).toEqual([]);
    const r = index.relax(q)!;
    expect(r.near).toEqual(expect.objectContaining({ key: 'feature', value: 'waterproof' }));
    expect(r.products.length).toBeGreaterThan(0);
    for (const p of r.products) {
      expect(p.category).toBe('running-shoes');
      expect(p.description.en).toMatch(/water-repellent/);
    }
    expect(index.label({ ...r.near!, near: true }, 'zh')).toBe('防泼水');
    expect(index.describe(q, 'zh', (n) => `${n} 元`)).toBe('防水跑鞋');
  });

  it('relaxes the price first (nearest prices first), then one attribute at a time, the category last', () => {
    const tooCheap: ProductQuery = { category: 'headphones', maxPrice: 500, attributes: [feature('noise-cancelling')] };
    const r = index.relax(tooCheap)!;
    expect(r.price).toBe(true);
    expect(r.dropped).toEqual([]);
    const cheapest = Math.min(...tagged('noise-cancelling').filter((p) => p.stock > 0).map((p) => p.price));
    expect(r.products[0]!.price).toBe(cheapest);
    for (const p of r.products) expect(p.tags).toContain('noise-cancelling');

    // Black noise-cancelling kids' headphones: the kids' ones have no noise cancelling, so one goes.
    const q: ProductQuery = { category: 'headphones', attributes: [feature('noise-cancelling'), feature('kids')] };
    expect(index.matching(q)).toEqual([]);
    const dropped = index.relax(q)!;
    expect(dropped.dropped).toHaveLength(1);
    for (const p of dropped.products) expect(p.category).toBe('headphones');
    // A pinned constraint (what a follow-up just asked for) is kept as long as possible.
    const pinned = index.relax(q, { pinned: [feature('noise-cancelling')] })!;
    expect(pinned.dropped).toEqual([feature('kids')]);
    for (const p of pinned.products) expect(p.tags).toContain('noise-cancelling');
  });

  it('a product\'s kind, from its own title: what "cheaper" or "more like this" after it keeps to', () => {
    expect(index.kindOf(byId('P-AUD-003'))).toEqual([feature('noise-cancelling')]);
    expect(index.kindOf(byId('P-BAG-005'))).toEqual([{ key: 'tag', value: 'tote' }]);
    expect(index.kindOf(byId('P-RUN-016'))).toContainEqual({ key: 'tag', value: 'racing' });
    expect(index.kindOf(byId('P-DRS-012'))).toEqual([{ key: 'tag', value: 'slip' }]);
    // Not its brand, gender or materials: a cheaper racer may be another brand's unisex one.
    for (const p of products) for (const c of index.kindOf(p)) expect(['feature', 'tag']).toContain(c.key);
  });

  it('a product named, or only resembled: the shared title words must pick out at most two products', () => {
    expect(index.namesProduct('P-WCH-001', 'Tempo Pace 2')).toBe(true);
    expect(index.namesProduct('P-AUD-001', 'Quietwave Hush 700')).toBe(true);
    expect(index.namesProduct('P-SKN-014', '纯研水感轻透防晒霜')).toBe(true);
    expect(index.namesProduct('P-DRS-012', '杜松 Moonlight')).toBe(true);
    // The vector index's nearest product for a kind of product is not a product named.
    expect(index.namesProduct('P-RUN-011', 'womens running shoes')).toBe(false);
    expect(index.namesProduct('P-BAG-020', 'leather bags')).toBe(false);
    expect(index.namesProduct('P-AUD-001', '降噪耳机')).toBe(false);
    expect(index.namesProduct('no-such-product', 'Tempo Pace 2')).toBe(false);
  });

  it('describes a query in the reply language, Chinese without English words', () => {
    const money = (l: 'en' | 'zh') => (n: number) => (l === 'zh' ? `${n} 元` : `${n} CNY`);
    const q: ProductQuery = { category: 'headphones', maxPrice: 800, attributes: [feature('noise-cancelling')] };
    expect(index.describe(q, 'en', money('en'))).toBe('noise-cancelling headphones under 800 CNY');
    expect(index.describe(q, 'zh', money('zh'))).toBe('800 元以内的降噪耳机');
    expect(index.describe({ category: 'skincare', attributes: [feature('oily-skin')] }, 'en', money('en'))).toBe('skincare for oily skin');
    expect(index.describe({ category: 'skincare', attributes: [feature('oily-skin')] }, 'zh', money('zh'))).toBe('适合油性肌肤的护肤品');
    for (const text of ['black leather bags for work', 'waterproof jacket for women', 'vitamin c serum for dry skin', 'wireless over-ear headphones', '42码的跑鞋', 'Sonara ANC headphones', 'merino wool dress']) {
      const zh = index.describe({ attributes: index.extract(text) }, 'zh', money('zh'));
      expect(englishWords(zh), `${text} -> ${zh}`).toEqual([]);
    }
  });
});

describe('Chinese replies never show English attribute names or values', () => {
  const KEYS = ['color', 'size', 'material', 'connectivity', 'formFactor', 'waterResistance', 'skinType', 'keyIngredient', 'gender', 'volume'];

  it('every attribute value of the catalogue has a Chinese name without English words', () => {
    for (const p of products) {
      for (const key of KEYS) {
        const raw = p.attributes[key];
        for (const value of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
          const zh = localizeValue(key, value, 'zh');
          expect(zh, `${p.id} ${key}=${value}`).not.toBe('');
          // Letter sizes (S, XL) and standards (IP68, 维生素C) stay; English words never do.
          expect(englishWords(zh), `${p.id} ${key}=${value} -> ${zh}`).toEqual([]);
        }
      }
      expect(attributeLabel('color', 'zh')).toBe('颜色');
    }
  });

  it('the options line of a product (catalog skill): 颜色 and 尺码 in Chinese, "color: sky blue" never', () => {
    for (const p of products) {
      const zh = optionsText(p, 'zh');
      expect(englishWords(zh), `${p.id}: ${zh}`).toEqual([]);
    }
    for (const p of products) expect(englishWords(detailsText(p, 'zh')), `${p.id}: ${detailsText(p, 'zh')}`).toEqual([]);
    expect(detailsText(byId('P-AUD-003'), 'zh')).toBe(' 详情：材质：蛋白皮；连接方式：蓝牙 5.3；佩戴方式：头戴式。');
    expect(detailsText(byId('P-WCH-001'), 'zh')).toContain('防水等级：50 米防水');
    expect(optionsText(byId('P-RUN-001'), 'zh')).toBe(' 可选颜色：白色、藏青色、黑色、橙色；尺码：39、40、41、42、43、44、45。');
    expect(optionsText(byId('P-RUN-001'), 'en')).toBe(' Options: colour: white, navy, black, orange; size: 39, 40, 41, 42, 43, 44, 45.');
  });
});
