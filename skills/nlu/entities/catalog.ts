import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { HnswVectorStore, MAX_K } from '../../../knowledge/index.js';
import type { Locale, Product, Store } from '../../../store/index.js';
import { listAll } from '../../../store/index.js';
import type { AttributeVocabulary } from './attributes.js';
import { escapeRegExp, foldWidth, matchAll } from './text.js';

export interface CatalogMatcherLogger {
  info?(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface CatalogMatcherOptions {
  /** Only the products repository is read. */
  store: Pick<Store, 'products'>;
  embeddings: EmbeddingsInterface;
  /** Recorded in the index fingerprint: a model change rebuilds the index. */
  modelId: string;
  /** The index lives in `<indexDir>/products`. */
  indexDir: string;
  logger: CatalogMatcherLogger;
  /**
   * Floors for the vector part (cosine similarity). The effective threshold is the larger
   * of the floor and the best score an off-topic probe ("where is my order") reaches plus
   * `margin`, so the thresholds follow whatever embedder is in use.
   */
  thresholds?: { category?: number; product?: number; margin?: number };
  /** Extra category synonyms, merged with the built-in ones: category id -> phrases. */
  synonyms?: Record<string, string[]>;
}

export interface CatalogMatch {
  type: 'product' | 'category';
  /** Product id or category id. */
  value: string;
  score: number;
  start: number;
  end: number;
  text: string;
}

export interface ProductHit {
  productId: string;
  score: number;
}

/** What a product document in the index carries besides its text. */
export interface ProductMetadata {
  productId: string;
  category: string;
  price: number;
  inStock: boolean;
  /** Which of the product's two documents (English or Chinese text). */
  lang: 'en' | 'zh';
}

/**
 * Category words shoppers use, EN and ZH, for the demo shop's categories. Generic "shoes"
 * is in SHARED_SYNONYMS: it names two categories and the vector index decides between them.
 */
// eslint-disable-next-line no-restricted-syntax -- read only through synonymsOf (own keys)
export const CATEGORY_SYNONYMS: Record<string, string[]> = {
  'running-shoes': ['running shoes', 'running shoe', 'running trainers', 'road running shoes', 'trail shoes', 'jogging shoes', '跑鞋', '跑步鞋', '慢跑鞋', '跑步的鞋'],
  sneakers: ['sneakers', 'sneaker', 'trainers', 'canvas shoes', 'casual shoes', 'kicks', 'plimsolls', '运动鞋', '板鞋', '帆布鞋', '休闲鞋', '球鞋', '小白鞋'],
  't-shirts': ['t-shirts', 't-shirt', 'tshirts', 'tshirt', 't shirt', 't shirts', 'tees', 'tee', 'T恤', 't恤', '体恤', '短袖'],
  jackets: ['jackets', 'jacket', 'coats', 'coat', 'down jacket', 'puffer', 'parka', '羽绒服', '外套', '夹克', '大衣'],
  jeans: ['jeans', 'denim', '牛仔裤'],
  dresses: ['dresses', 'dress', 'sundress', '连衣裙', '裙子', '长裙', '短裙'],
  bags: ['bags', 'bag', 'backpacks', 'backpack', 'rucksack', 'tote', 'handbag', 'daypack', '背包', '双肩包', '书包', '手提包', '挎包', '包包'],
  headphones: ['headphones', 'headphone', 'earbuds', 'earphones', 'earphone', 'headset', 'headsets', '耳机', '耳麦'],
  smartwatches: ['smartwatches', 'smartwatch', 'smart watches', 'smart watch', 'running watch', 'gps watch', 'watches', 'watch', '手表', '智能手表', '运动手表', '跑步手表'],
  skincare: ['skincare', 'skin care', 'cleanser', 'face wash', 'moisturiser', 'moisturizer', 'serum', 'sunscreen', 'face cream', 'toner', '护肤品', '护肤', '洁面', '洗面奶', '面霜', '精华', '防晒', '爽肤水'],
};

/** Words that name several categories: the vector index picks the one the text is about. */
export const SHARED_SYNONYMS: Array<{ phrases: string[]; categories: string[] }> = [
  { phrases: ['shoes', 'shoe', 'footwear', '鞋子', '鞋'], categories: ['running-shoes', 'sneakers'] },
];

/** Messages about the shop, not its catalogue: their best score is the vector noise floor. */
const OFF_TOPIC_PROBES = [
  'where is my order',
  'I want a refund',
  'hello',
  'thank you',
  'talk to a human',
  'how long does delivery take',
  'change my address',
  '我的订单到哪了',
  '我要退款',
  '你好',
  '转人工',
  '谢谢',
];

const SCORE_TITLE = 1;
const SCORE_MODEL_WITH_BRAND = 0.95;
const SCORE_MODEL = 0.9;
const SCORE_MODEL_WORD = 0.7;
const SCORE_CATEGORY = 1;
const SCORE_SHARED = 0.8;
const DEFAULT_THRESHOLDS = { category: 0.3, product: 0.45, margin: 0.05 };
const DOC_VERSION = 'products-v2';
const STOPWORDS = new Set(
  'a an the i me my we you your it is are am be do does did for to of in on at and or with any some want need looking look show find buy get have has can could would like please what which where how good best new cheap nice'.split(' '),
);

interface Phrase {
  key: string;
  /** The phrase as written, separators removed: a case-sensitive phrase must match it exactly. */
  spelling: string;
  caseSensitive?: boolean;
  type: 'product' | 'category' | 'shared';
  value: string;
  score: number;
  categories?: string[];
}

interface TrieNode {
  next: Map<string, TrieNode>;
  key?: string;
}

/** Phrase keys in a trie: one pass over the message finds the leftmost-longest phrases. */
interface Lexicon {
  trie: TrieNode;
  byKey: Map<string, Phrase>;
}

/**
 * Finds the products and categories a message mentions: lexically (titles, model names,
 * category synonyms) and, when nothing lexical names a category, through the HNSW
 * products index. The index is shared with the recommender through `searchProducts`.
 */
export class CatalogMatcher {
  private index!: HnswVectorStore;
  private lexicon: Lexicon = { trie: { next: new Map() }, byKey: new Map() };
  private products = new Map<string, Product>();
  private docText = new Map<string, string>();
  private categoryIds: string[] = [];
  private categoryThreshold = DEFAULT_THRESHOLDS.category;
  private productThreshold = DEFAULT_THRESHOLDS.product;
  private vocab: { colors: string[]; sizes: string[] } = { colors: [], sizes: [] };

  private constructor(private readonly opts: CatalogMatcherOptions) {}

  static async create(opts: CatalogMatcherOptions): Promise<CatalogMatcher> {
    const matcher = new CatalogMatcher(opts);
    await matcher.reload();
    return matcher;
  }

  /** Re-reads the catalogue; the index is rebuilt only when products changed (or the model did). */
  async reload(): Promise<void> {
    const products = await listAllProducts(this.opts.store);
    const categories = await this.opts.store.products.categories();
    const docs = products.flatMap((p) => {
      const texts = productTexts(p);
      const metadata = { productId: p.id, category: p.category, price: p.price, inStock: p.stock > 0 };
      return (['en', 'zh'] as const)
        .filter((lang) => texts[lang] !== '')
        .map((lang) => new Document<ProductMetadata>({ pageContent: texts[lang], metadata: { ...metadata, lang }, id: `${p.id}#${lang}` }));
    });
    const dimension = await embeddingDimension(this.opts.embeddings);
    const { store, rebuilt, reason } = await HnswVectorStore.openOrRebuild(
      join(this.opts.indexDir, 'products'),
      this.opts.embeddings,
      { modelId: this.opts.modelId, dimension, space: 'cosine', dataVersion: dataVersion(products), count: docs.length },
      async () => ({ documents: docs }),
      { index: { initialCapacity: Math.max(16, docs.length) } },
    );
    if (rebuilt) this.opts.logger.info?.({ reason, products: products.length }, 'products index rebuilt');
    this.index = store;
    this.products = new Map(products.map((p) => [p.id, p]));
    this.docText = new Map(products.map((p) => [p.id, productText(p).toLowerCase()]));
    this.categoryIds = categories;
    this.lexicon = buildLexicon(products, categories, this.opts.synonyms);
    this.vocab = vocabularyOf(products);
    await this.calibrate();
  }

  /** Colour and size spellings of the catalogue, for the attribute extractor. */
  get vocabulary(): AttributeVocabulary {
    return this.vocab;
  }

  get categories(): readonly string[] {
    return this.categoryIds;
  }

  /** The effective vector thresholds after calibration (for logs and the README). */
  get thresholds(): { category: number; product: number } {
    return { category: this.categoryThreshold, product: this.productThreshold };
  }

  /** Nearest products to a query (cosine similarity, higher is better), at most MAX_K. */
  async searchProducts(query: string, opts: { k?: number; filter?: (meta: ProductMetadata) => boolean } = {}): Promise<ProductHit[]> {
    const text = foldWidth(String(query ?? '')).trim();
    if (text === '' || this.index.size === 0) return [];
    const k = Math.min(Math.max(1, Math.floor(opts.k ?? 10)), MAX_K);
    const vector = await this.opts.embeddings.embedQuery(text);
    const filter = opts.filter;
    // Two documents per product: ask for twice as many and keep each product's best.
    const hits = await this.index.similaritySearchVectorWithScore(
      vector,
      Math.min(2 * k, MAX_K),
      filter ? (doc) => filter(doc.metadata as ProductMetadata) : undefined,
    );
    const out: ProductHit[] = [];
    const seen = new Set<string>();
    for (const [doc, score] of hits) {
      const productId = String(doc.metadata['productId']);
      if (seen.has(productId)) continue;
      seen.add(productId);
      out.push({ productId, score });
      if (out.length === k) break;
    }
    return out;
  }

  /**
   * Product and category mentions in `text`, with their spans (UTF-16 offsets into `text`).
   * Lexical matches score 0.8..1; vector matches carry their similarity and the span of the
   * words they share with the product found (the whole message when they share none).
   */
  async match(text: string, _locale?: Locale): Promise<CatalogMatch[]> {
    const input = String(text ?? '');
    const folded = foldWidth(input);
    const out: CatalogMatch[] = [];
    const shared: Array<{ phrase: Phrase; start: number; end: number }> = [];
    for (const { phrase, start, end } of scan(this.lexicon, folded)) {
      if (phrase.type === 'shared') shared.push({ phrase, start, end });
      else out.push({ type: phrase.type, value: phrase.value, score: phrase.score, start, end, text: input.slice(start, end) });
    }
    const hasCategory = out.some((e) => e.type === 'category');
    const hasProduct = out.some((e) => e.type === 'product');
    if (hasCategory && hasProduct) return sortMatches(out);
    const hits = await this.searchProducts(folded, { k: 5 });
    // A shared word ("shoes") goes to the category the index ranks first among its candidates.
    for (const { phrase, start, end } of shared) {
      const best = hits.map((h) => this.products.get(h.productId)?.category).find((c) => c !== undefined && phrase.categories?.includes(c));
      const value = best ?? phrase.categories?.find((c) => this.categoryIds.includes(c));
      if (value) out.push({ type: 'category', value, score: SCORE_SHARED, start, end, text: input.slice(start, end) });
    }
    const top = hits[0];
    if (!top) return sortMatches(out);
    const topCategory = this.products.get(top.productId)?.category;
    if (!out.some((e) => e.type === 'category') && topCategory && top.score >= this.categoryThreshold) {
      // Consensus: the best hit's category must hold at least two of the confident hits.
      const agreeing = hits.filter((h) => h.score >= this.categoryThreshold && this.products.get(h.productId)?.category === topCategory);
      if (agreeing.length >= 2) {
        const { start, end } = this.evidenceSpan(folded, top.productId);
        out.push({ type: 'category', value: topCategory, score: round3(top.score), start, end, text: input.slice(start, end) });
      }
    }
    const second = hits[1];
    // A product by similarity alone needs a clear winner and two words in common with it
    // (one rare word, "everyday", is not a product mention).
    if (!hasProduct && top.score >= this.productThreshold && (!second || top.score - second.score >= 0.05)) {
      const { start, end, words } = this.evidenceSpan(folded, top.productId);
      if (words >= 2) out.push({ type: 'product', value: top.productId, score: round3(top.score), start, end, text: input.slice(start, end) });
    }
    return sortMatches(out);
  }

  /** The stretch of the text from the first to the last word the product's text also has. */
  private evidenceSpan(text: string, productId: string): { start: number; end: number; words: number } {
    const doc = this.docText.get(productId) ?? '';
    let start = -1;
    let end = -1;
    let words = 0;
    for (const m of matchAll(/[A-Za-z0-9]+|[\u3400-\u9fff]+/g, text)) {
      const word = m[0].toLowerCase();
      let s = -1;
      let e = -1;
      if (/^[a-z0-9]/.test(word)) {
        if (word.length < 2 || STOPWORDS.has(word) || !containsWord(doc, word)) continue;
        s = m.index;
        e = m.index + word.length;
      } else {
        // CJK: the first and last character pair the product text shares.
        for (let i = 0; i + 1 < word.length; i++) {
          if (!doc.includes(word.slice(i, i + 2))) continue;
          if (s < 0) s = m.index + i;
          e = m.index + i + 2;
        }
        if (s < 0) continue;
      }
      if (start < 0) start = s;
      end = e;
      words++;
    }
    if (start < 0) {
      const trimmedStart = text.length - text.trimStart().length;
      return { start: trimmedStart, end: text.trimEnd().length, words };
    }
    return { start, end, words };
  }

  private async calibrate(): Promise<void> {
    const floor = { ...DEFAULT_THRESHOLDS, ...this.opts.thresholds };
    let noise = 0;
    for (const probe of OFF_TOPIC_PROBES) {
      const [hit] = await this.searchProducts(probe, { k: 1 });
      if (hit) noise = Math.max(noise, hit.score);
    }
    this.categoryThreshold = round3(Math.max(floor.category, noise + floor.margin));
    this.productThreshold = round3(Math.max(floor.product, this.categoryThreshold + floor.margin));
    this.opts.logger.info?.({ noise: round3(noise), category: this.categoryThreshold, product: this.productThreshold }, 'catalog matcher thresholds');
  }
}

function sortMatches(out: CatalogMatch[]): CatalogMatch[] {
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function containsWord(doc: string, word: string): boolean {
  return new RegExp(`(?<![a-z0-9])${escapeRegExp(word)}`).test(doc);
}

function listAllProducts(store: Pick<Store, 'products'>): Promise<Product[]> {
  return listAll((page) => store.products.list({}, page));
}

const HAN = /[\u3400-\u9fff]/;

/**
 * A category's synonyms: own keys only. Categories come from the shop's catalogue data, and a
 * plain object answers for `constructor` or `toString` too (issue 14).
 */
function synonymsOf(table: Readonly<Record<string, readonly string[]>> | undefined, category: string): readonly string[] {
  const list = table !== undefined && Object.hasOwn(table, category) ? table[category] : undefined;
  return Array.isArray(list) ? list : [];
}

/**
 * The texts a product is indexed by, one per language, so a short Chinese query is not
 * drowned by the English words of the same document: title, category (and its synonyms)
 * and tags in English; title and category synonyms in Chinese.
 */
export function productTexts(p: Pick<Product, 'title' | 'category' | 'tags'>): { en: string; zh: string } {
  const synonyms = synonymsOf(CATEGORY_SYNONYMS, p.category);
  const en = [p.title.en, `${p.category.replace(/-/g, ' ')} ${synonyms.filter((s) => !HAN.test(s)).slice(0, 4).join(' ')}`, p.tags.join(' ')];
  const zh = [p.title.zh, synonyms.filter((s) => HAN.test(s)).slice(0, 4).join(' ')];
  return { en: en.filter((s) => s && s.trim() !== '').join('\n'), zh: zh.filter((s) => s && s.trim() !== '').join('\n') };
}

/** Both texts in one, e.g. to fit a lexical embedder on the catalogue. */
export function productText(p: Pick<Product, 'title' | 'category' | 'tags'>): string {
  const { en, zh } = productTexts(p);
  return `${en}\n${zh}`;
}

/** Changes whenever a product is added, removed or updated (and when the document format changes). */
export function dataVersion(products: Array<Pick<Product, 'id' | 'updatedAt'>>): string {
  const h = createHash('sha256').update(DOC_VERSION);
  for (const p of [...products].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    h.update(`\n${p.id}\t${new Date(p.updatedAt).toISOString()}`);
  }
  return h.digest('hex').slice(0, 32);
}

async function embeddingDimension(embeddings: EmbeddingsInterface): Promise<number> {
  const declared = (embeddings as { dimension?: unknown }).dimension;
  if (typeof declared === 'number' && Number.isInteger(declared) && declared > 0) return declared;
  return (await embeddings.embedQuery('dimension probe')).length;
}

function vocabularyOf(products: Product[]): { colors: string[]; sizes: string[] } {
  const colors = new Set<string>();
  const sizes = new Set<string>();
  for (const p of products) {
    for (const c of asList(p.attributes['color'])) colors.add(c);
    for (const s of asList(p.attributes['size'])) sizes.add(s);
  }
  return { colors: [...colors].sort(), sizes: [...sizes].sort() };
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Case, width and spacing folded: "北境Aero3" and "北境 Aero 3" are one key. */
function phraseKey(s: string): string {
  return foldWidth(s).toLowerCase().replace(/[\s\-_'’]+/g, '');
}

const SEPARATOR = /[\s\-_'’]/;
const ALNUM = /[A-Za-z0-9]/;

/**
 * The phrases in `text` (already width-folded), leftmost-longest, not overlapping.
 * Separators are skipped on both sides, so "北境Aero3" finds "北境 Aero 3"; a phrase that
 * starts or ends with a Latin letter or digit must start or end at a word edge.
 */
function scan(lexicon: Lexicon, text: string): Array<{ phrase: Phrase; start: number; end: number }> {
  const chars: string[] = [];
  const pos: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (SEPARATOR.test(ch)) continue;
    const lower = ch.toLowerCase();
    chars.push(lower.length === 1 ? lower : ch);
    pos.push(i);
  }
  const out: Array<{ phrase: Phrase; start: number; end: number }> = [];
  for (let k = 0; k < chars.length; ) {
    let node: TrieNode | undefined = lexicon.trie;
    let best: { phrase: Phrase; last: number } | undefined;
    for (let j = k; j < chars.length; j++) {
      node = node.next.get(chars[j] as string);
      if (!node) break;
      if (node.key === undefined) continue;
      const phrase = lexicon.byKey.get(node.key);
      if (phrase && accepts(phrase, text, pos[k] as number, (pos[j] as number) + 1)) best = { phrase, last: j };
    }
    if (best) {
      out.push({ phrase: best.phrase, start: pos[k] as number, end: (pos[best.last] as number) + 1 });
      k = best.last + 1;
    } else {
      k++;
    }
  }
  return out;
}

function accepts(phrase: Phrase, text: string, start: number, end: number): boolean {
  if (ALNUM.test(phrase.key[0] ?? '') && ALNUM.test(text[start - 1] ?? '')) return false;
  if (ALNUM.test(phrase.key[phrase.key.length - 1] ?? '') && ALNUM.test(text[end] ?? '')) return false;
  return !phrase.caseSensitive || [...text.slice(start, end)].filter((c) => !SEPARATOR.test(c)).join('') === phrase.spelling;
}

const GENDER_OR_TYPE = /^(men's|women's|unisex|kids'?|men|women)$/i;

function buildLexicon(products: Product[], categories: string[], extra: Record<string, string[]> | undefined): Lexicon {
  const byKey = new Map<string, Phrase>();
  const ambiguous = new Set<string>();
  const add = (text: string, meaning: Omit<Phrase, 'key' | 'spelling'>) => {
    const key = phraseKey(text);
    const phrase = { ...meaning, spelling: [...foldWidth(text)].filter((c) => !SEPARATOR.test(c)).join('') };
    if (key.length < 2 || ambiguous.has(key)) return;
    const existing = byKey.get(key);
    if (existing) {
      if (existing.value === phrase.value && existing.type === phrase.type) {
        if (phrase.score > existing.score) byKey.set(key, { ...phrase, key });
        return;
      }
      // One phrase, two meanings: a category beats a product; two products cancel out.
      if (existing.type !== 'product' && phrase.type === 'product') return;
      if (existing.type === 'product' && phrase.type !== 'product') {
        byKey.set(key, { ...phrase, key });
        return;
      }
      if (existing.type === 'product' && phrase.type === 'product' && existing.score === SCORE_TITLE) return;
      byKey.delete(key);
      ambiguous.add(key);
      return;
    }
    byKey.set(key, { ...phrase, key });
  };
  const known = new Set(categories);
  for (const category of categories) {
    add(category, { type: 'category', value: category, score: SCORE_CATEGORY });
    add(category.replace(/-/g, ' '), { type: 'category', value: category, score: SCORE_CATEGORY });
    for (const s of [...synonymsOf(CATEGORY_SYNONYMS, category), ...synonymsOf(extra, category)]) {
      add(s, { type: 'category', value: category, score: SCORE_CATEGORY });
    }
  }
  for (const { phrases, categories: cats } of SHARED_SYNONYMS) {
    const present = cats.filter((c) => known.has(c));
    if (present.length === 0) continue;
    for (const p of phrases) {
      if (!byKey.has(phraseKey(p))) add(p, { type: 'shared', value: present[0] as string, score: SCORE_SHARED, categories: present });
    }
  }
  // Type words: a title word that a third or more of its category's titles share ("Running", "Shoes", "Men's").
  // Common words: shared by three or more titles ("Open-Ear", "Earbuds"), where a title has no type word.
  const typeWords = new Map<string, Set<string>>();
  const commonWords = new Map<string, Set<string>>();
  for (const category of new Set(products.map((p) => p.category))) {
    const inCategory = products.filter((p) => p.category === category);
    const counts = new Map<string, number>();
    for (const p of inCategory) for (const w of new Set(p.title.en.toLowerCase().split(/\s+/))) counts.set(w, (counts.get(w) ?? 0) + 1);
    typeWords.set(category, new Set([...counts].filter(([, n]) => n >= Math.max(3, inCategory.length / 3)).map(([w]) => w)));
    commonWords.set(category, new Set([...counts].filter(([, n]) => n >= 3).map(([w]) => w)));
  }
  for (const p of products) {
    add(p.title.en, { type: 'product', value: p.id, score: SCORE_TITLE });
    if (p.title.zh) add(p.title.zh, { type: 'product', value: p.id, score: SCORE_TITLE });
    // The Chinese name without the spec after it: "纯研水感轻透防晒霜" of "纯研水感轻透防晒霜 SPF50+ PA++++ 50ml".
    const zhName = p.title.zh?.replace(/(?:\s+[A-Za-z0-9+%.]+)+$/, '') ?? '';
    if (zhName !== p.title.zh && (zhName.match(/[\u3400-\u9fff]/g) ?? []).length >= 4) add(zhName, { type: 'product', value: p.id, score: SCORE_TITLE });
    const brand = typeof p.attributes['brand'] === 'string' ? p.attributes['brand'] : '';
    const hasBrand = brand !== '' && p.title.en.startsWith(`${brand} `);
    // Brand, then the model words up to the first type word: "Northpace | Aero 3 | Men's Road Running Shoes".
    const rest = (hasBrand ? p.title.en.slice(brand.length) : p.title.en).trim().split(/\s+/);
    const types = typeWords.get(p.category) ?? new Set<string>();
    const common = commonWords.get(p.category) ?? new Set<string>();
    let cut = rest.findIndex((w) => types.has(w.toLowerCase()) || GENDER_OR_TYPE.test(w));
    // No type word ("Quietwave Runfree Open-Ear Sports Earphones"): the model ends before the first
    // word other titles share ("Runfree", "Buds 3"); its first word is always the model's own.
    if (cut < 0) cut = rest.findIndex((w, i) => i >= 1 && common.has(w.toLowerCase()));
    const model = cut < 0 ? [] : rest.slice(0, cut);
    // Every prefix of the model ("Hush", "Hush 700"); one naming two products is dropped as ambiguous.
    for (let j = 1; j <= model.length; j++) {
      const prefix = model.slice(0, j).join(' ');
      if (prefix.replace(/[^A-Za-z]/g, '').length < 3) continue;
      if (hasBrand) add(`${brand} ${prefix}`, { type: 'product', value: p.id, score: SCORE_MODEL_WITH_BRAND });
      // A lone word ("Aero", "Everyday") is a model name only when capitalised as in the title.
      if (j === 1) add(prefix, { type: 'product', value: p.id, score: SCORE_MODEL_WORD, caseSensitive: true });
      else add(prefix, { type: 'product', value: p.id, score: SCORE_MODEL });
      // The Chinese title's brand with the same model: "北境 Aero 3", "潮汐 Studio".
      const at = p.title.zh?.indexOf(prefix) ?? -1;
      if (at > 0 && HAN.test(p.title.zh.slice(0, at))) add(p.title.zh.slice(0, at + prefix.length), { type: 'product', value: p.id, score: SCORE_MODEL_WITH_BRAND });
    }
  }
  const trie: TrieNode = { next: new Map() };
  for (const key of byKey.keys()) {
    let node = trie;
    for (const ch of key.split('')) {
      let child = node.next.get(ch);
      if (!child) {
        child = { next: new Map() };
        node.next.set(ch, child);
      }
      node = child;
    }
    node.key = key;
  }
  return { trie, byKey };
}
