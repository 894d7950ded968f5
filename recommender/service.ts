import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { listAll, type Locale, type NewInteraction, type Product, type Store } from '../store/index.js';
import type { AdServer, AdSlot } from './ads/index.js';
import { HybridModel } from './models/hybrid.js';
import { loadModel, saveModel } from './persist.js';
import { BoughtTogether, diversify, explain, SimilarItems, TopNIndex } from './serving/index.js';
import { productText, trainShopModel } from './shop.js';
import type { Scored } from './types.js';

/** Why an item is in the list (the skill words it). */
export type Reason =
  | { kind: 'because'; productId: string }
  | { kind: 'similar'; productId: string }
  | { kind: 'together'; productId: string; confidence: number; lift: number }
  | { kind: 'popular' }
  | { kind: 'for_you' };

export interface RecommendQuery {
  customerId: string;
  locale: Locale;
  /** How many (default 4, at most 10). */
  k?: number;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** "Something like X". */
  like?: string;
  /** "What goes with these": a basket, an order, the product on screen. */
  with?: string[];
  /** Already shown in this conversation (never shown again by "more"). */
  exclude?: string[];
  /**
   * Only these products may be shown, organic or sponsored: the shopper's hard constraints
   * (attributes such as "noise-cancelling", applied by the skill before anything is ranked).
   */
  only?: readonly string[];
  /** What the shopper clicked in this conversation, newest last: it steers the list. */
  clicked?: string[];
  /** For ad targeting. */
  intent?: string;
  text?: string;
  /** Include a sponsored slot where a campaign fits (default true). */
  ads?: boolean;
}

export interface RecommendedProduct {
  product: Product;
  score: number;
  reason: Reason;
}

export interface RecommendResult {
  mode: 'similar' | 'together' | 'personal' | 'popular';
  items: RecommendedProduct[];
  sponsored: (AdSlot & { relevance: number }) | null;
}

export interface RecommendationServiceOptions {
  store: Store;
  /** Where the trained model lives; trained from the store at start when missing. */
  modelFile: string;
  embeddings?: EmbeddingsInterface;
  ads?: AdServer;
  /** How long the in-memory catalogue may be old before it is read again. */
  catalogueTtlMs?: number;
  clock?: () => Date;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

const MAX_K = 10;

/**
 * The recommender as the bot uses it: the trained hybrid, top-N from an HNSW index over the
 * factor model, similar items (content first: in a small shop, product texts say more about
 * likeness than sparse co-ratings; the factor space where the text says nothing), frequently
 * bought together (product pairs from orders, category pairs where products are too sparse),
 * filters, diversity, explanations, the sponsored slot, and impressions recorded.
 */
export class RecommendationService {
  private catalogue = new Map<string, Product>();
  private catalogueAt = 0;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly o: RecommendationServiceOptions,
    readonly model: HybridModel,
    private readonly index: TopNIndex,
    private readonly similarItems: SimilarItems,
    private productsTogether: BoughtTogether,
    private categoriesTogether: BoughtTogether,
    readonly trainedAt: string,
  ) {}

  /** Loads the saved model (or trains and saves one), then builds the serving structures. */
  static async open(o: RecommendationServiceOptions): Promise<RecommendationService> {
    let model: HybridModel | undefined;
    let trainedAt = '';
    if (existsSync(o.modelFile)) {
      try {
        const loaded = await loadModel(o.modelFile);
        if (loaded.model instanceof HybridModel && loaded.model.hasRanker) {
          model = loaded.model;
          trainedAt = loaded.savedAt;
        } else o.log?.('recommender model file holds another kind of model; training the hybrid', { file: o.modelFile, kind: loaded.model.name });
      } catch (err) {
        o.log?.('recommender model unreadable; training a new one', { file: o.modelFile, error: String(err) });
      }
    }
    if (!model) {
      const t = await trainShopModel(o.store, o.embeddings ? { embeddings: o.embeddings } : {});
      model = t.model;
      await saveModel(model, o.modelFile, { interactions: t.interactions, pairs: t.data.size, trainMs: Math.round(t.report.trainMs) });
      trainedAt = new Date().toISOString();
      o.log?.('recommender trained', { file: o.modelFile, interactions: t.interactions, ms: Math.round(t.report.trainMs) });
    }
    const indexDir = path.join(path.dirname(o.modelFile), 'topn-index');
    const version = `${trainedAt}`;
    // Top-N candidates come from the implicit-feedback ranker: what this shopper is likely to pick.
    // Its item norms spread widely (rare items near 0), where the MIPS→cosine transform keeps
    // recall (bench rec-serving: 0.991 at ef 80 against 0.950 for plain inner product).
    let index = TopNIndex.load(indexDir, model.ranker, { modelVersion: version });
    if (!index) {
      index = TopNIndex.build(model.ranker, { modelVersion: version, transform: 'mips' });
      index.save(indexDir);
    }
    const text = model.content.itemEmbeddings();
    const similar = new SimilarItems('content', text.ids, text.vectors, text.dimension).withFallback(SimilarItems.fromModel(model.mf));
    const service = new RecommendationService(o, model, index, similar, new BoughtTogether([]), new BoughtTogether([]), trainedAt);
    await service.refresh();
    return service;
  }

  /** Re-reads the catalogue and the order baskets (association rules). */
  async refresh(): Promise<void> {
    const products = await listAll((page) => this.o.store.products.list({}, page));
    this.catalogue = new Map(products.map((p) => [p.id, p]));
    this.catalogueAt = Date.now();
    const orders = await listAll((page) => this.o.store.orders.listByTime({}, page));
    const baskets = orders.filter((o) => o.status !== 'cancelled').map((o) => [...new Set(o.items.map((i) => i.productId))]);
    this.productsTogether = BoughtTogether.fromBaskets(baskets, { minCount: 2 });
    this.categoriesTogether = BoughtTogether.fromBaskets(
      baskets.map((b) => [...new Set(b.map((id) => this.catalogue.get(id)?.category).filter((c): c is string => !!c))]),
      { minCount: 2 },
    );
  }

  /**
   * The catalogue snapshot. A stale one is re-read in the background (once at a time): a
   * shopper's request never waits for every product and order to be read again.
   */
  private products(): Map<string, Product> {
    if (!this.refreshing && Date.now() - this.catalogueAt > (this.o.catalogueTtlMs ?? 60_000)) {
      this.refreshing = this.refresh()
        .catch((err: unknown) => this.o.log?.('could not refresh the recommender catalogue', { error: String(err) }))
        .finally(() => (this.refreshing = undefined));
    }
    return this.catalogue;
  }

  /** What the customer bought, from their last 50 orders, oldest first: "because you bought X", and not offered again. */
  async bought(customerId: string): Promise<string[]> {
    const page = await this.o.store.orders.listByCustomer(customerId, { limit: 50 });
    return page.items
      .filter((o) => o.status !== 'cancelled')
      .reverse()
      .flatMap((o) => o.items.map((i) => i.productId));
  }

  async recommend(q: RecommendQuery): Promise<RecommendResult> {
    const catalogue = this.products();
    const k = Number.isFinite(q.k) ? Math.min(Math.max(1, Math.floor(q.k!)), MAX_K) : 4;
    const history = await this.bought(q.customerId);
    const bought = new Set(history);
    const shown = new Set(q.exclude ?? []);
    const basket = new Set(q.with ?? []);
    const like = q.like && catalogue.has(q.like) ? q.like : undefined;
    const only = Array.isArray(q.only) ? new Set(q.only) : undefined;
    // The hard constraints: what the shopper asked for. The organic list and the ad slot both obey them.
    const fits = (id: string): boolean => {
      const p = catalogue.get(id);
      if (!p || p.stock <= 0) return false;
      if (only && !only.has(id)) return false;
      if (q.category && p.category !== q.category) return false;
      if (q.minPrice !== undefined && p.price < q.minPrice) return false;
      if (q.maxPrice !== undefined && p.price > q.maxPrice) return false;
      return true;
    };
    const filter = (id: string): boolean => fits(id) && !shown.has(id) && !basket.has(id) && id !== like;
    // Already bought or just looked at: not offered again (a "more like X" list may hold them).
    const clicked = new Set(q.clicked ?? []);
    const fresh = (id: string) => filter(id) && !bought.has(id) && !clicked.has(id);

    let mode: RecommendResult['mode'];
    let ranked: Array<Scored & { reason: Reason }>;
    if (like) {
      mode = 'similar';
      ranked = this.similarItems.similar(like, k * 4, filter).map((s) => ({ ...s, reason: { kind: 'similar', productId: like } }));
    } else if (basket.size > 0) {
      mode = 'together';
      ranked = this.together([...basket], k * 4, fresh, catalogue);
    } else {
      ranked = this.personal(q, history, k * 4, fresh, catalogue);
      mode = ranked.some((r) => r.reason.kind !== 'popular') ? 'personal' : 'popular';
    }
    if (ranked.length === 0 && mode !== 'popular') {
      // Nothing fits the similar/together question: the best of the same filter instead.
      ranked = this.popular(k * 4, fresh, catalogue);
    }
    const byId = new Map(ranked.map((r) => [r.item, r]));
    // One spare: if the sponsored product is also an organic pick, it shows once, as the ad.
    const picked = diversify(ranked, k + 1, this.similarItems.similarity, 0.7);

    let sponsored: RecommendResult['sponsored'] = null;
    if (this.o.ads && q.ads !== false) {
      const organic = picked.slice(0, k).map((s) => s.item);
      const categories = [...new Set([q.category, ...organic.map((id) => catalogue.get(id)?.category), ...[...basket].map((id) => catalogue.get(id)?.category)].filter((c): c is string => !!c))];
      const context = organic.concat([...basket], like ? [like] : []);
      sponsored = await this.o.ads.select({
        customerId: q.customerId,
        locale: q.locale,
        ...(q.intent ? { intent: q.intent } : {}),
        ...(q.text ? { text: q.text } : {}),
        categories,
        exclude: new Set([...shown, ...basket, ...(like ? [like] : [])]),
        eligible: fits,
        relevance: (productId) => this.relevance(q.customerId, productId, { category: q.category, context, maxPrice: q.maxPrice }),
      });
    }
    const items = picked
      .filter((s) => s.item !== sponsored?.product.id)
      .slice(0, k)
      .map((s) => ({ product: catalogue.get(s.item)!, score: s.score, reason: byId.get(s.item)!.reason }));
    await this.recordImpressions(q.customerId, items, sponsored);
    return { mode, items, sponsored };
  }

  /**
   * How well a product fits this shopper here, 0..1: its fit with the context (1 in the asked
   * category, else its text's likeness to what is on screen; 0 above the asked price) times
   * the model's predicted rating mapped to 0.5..1. An unrelated product stays near 0 however
   * much the shopper might like it, so the relevance floor keeps it out of an ad slot.
   */
  relevance(customerId: string, productId: string, ctx: { category?: string; context: string[]; maxPrice?: number }): number {
    const p = this.catalogue.get(productId);
    if (!p) return 0;
    if (ctx.maxPrice !== undefined && p.price > ctx.maxPrice) return 0;
    let fit = ctx.category && p.category === ctx.category ? 1 : 0;
    for (const id of ctx.context) fit = Math.max(fit, this.similarItems.similarity(productId, id));
    const predicted = this.model.predict(customerId, productId);
    const norm = Math.min(1, Math.max(0, (predicted - 1) / 4));
    return Math.max(0, Math.min(1, fit * (0.5 + 0.5 * norm)));
  }

  private personal(q: RecommendQuery, bought: string[], n: number, keep: (id: string) => boolean, catalogue: Map<string, Product>): Array<Scored & { reason: Reason }> {
    const scores = new Map<string, number>();
    const history = [...bought, ...(q.clicked ?? [])];
    // The ranker's top-N for a shopper it knows (HNSW), nudged by the predicted rating, then
    // what is like their clicks in this conversation.
    for (const s of this.index.recommend(q.customerId, n, { filter: keep })) scores.set(s.item, s.score + 0.05 * this.model.predict(q.customerId, s.item));
    const clicked = q.clicked ?? [];
    if (clicked.length > 0) {
      const weights = clicked.map((item, k) => ({ item, weight: Math.pow(0.7, clicked.length - 1 - k) }));
      for (const s of this.model.content.recommendForHistory(weights, n, (id) => !keep(id))) {
        scores.set(s.item, Math.max(scores.get(s.item) ?? 0, 0.05 * this.model.predict(q.customerId, s.item)) + s.score);
      }
    }
    if (scores.size === 0) return this.popular(n, keep, catalogue);
    const out: Array<Scored & { reason: Reason }> = [...scores].map(([item, score]) => {
      const why = explain(item, history, this.similarItems.similarity, 0.35);
      return { item, score, reason: why ? { kind: 'because', productId: why.because } : { kind: 'for_you' } };
    });
    // Fill up with the popular ones so a narrow filter still gets a full list.
    if (out.length < n) for (const p of this.popular(n - out.length, (id) => keep(id) && !scores.has(id), catalogue)) out.push({ ...p, score: p.score - 100 });
    return out.sort((a, b) => b.score - a.score || (a.item < b.item ? -1 : 1));
  }

  /** Most feedback first; products nobody has touched yet by id, so the list is never empty. */
  private popular(n: number, keep: (id: string) => boolean, catalogue: Map<string, Product>): Array<Scored & { reason: Reason }> {
    return [...catalogue.keys()]
      .filter(keep)
      .map((item) => ({ item, score: this.model.popularity.popularity(item), reason: { kind: 'popular' } as Reason }))
      .sort((a, b) => b.score - a.score || (a.item < b.item ? -1 : 1))
      .slice(0, n);
  }

  private together(basket: string[], n: number, keep: (id: string) => boolean, catalogue: Map<string, Product>): Array<Scored & { reason: Reason }> {
    const out: Array<Scored & { reason: Reason }> = this.productsTogether.forBasket(basket, n, keep).map((h) => ({
      item: h.item,
      score: 10 + h.score,
      reason: { kind: 'together', productId: h.rule.antecedent, confidence: h.rule.confidence, lift: h.rule.lift },
    }));
    if (out.length < n) {
      // Category pairs ("bags go with t-shirts"): the most popular products of the partner categories.
      const categories = basket.map((id) => catalogue.get(id)?.category).filter((c): c is string => !!c);
      const seen = new Set(out.map((o) => o.item));
      for (const h of this.categoriesTogether.forBasket(categories, 3)) {
        const anchor = basket.find((id) => catalogue.get(id)?.category === h.rule.antecedent) ?? basket[0]!;
        for (const p of this.popular(Math.ceil(n / 2), (id) => keep(id) && !seen.has(id) && catalogue.get(id)?.category === h.item, catalogue)) {
          seen.add(p.item);
          out.push({ item: p.item, score: h.score + p.score / 1000, reason: { kind: 'together', productId: anchor, confidence: h.rule.confidence, lift: h.rule.lift } });
        }
      }
    }
    return out.slice(0, n);
  }

  private async recordImpressions(customerId: string, items: RecommendedProduct[], sponsored: AdSlot | null): Promise<void> {
    const now = this.o.clock?.() ?? new Date();
    const rows: NewInteraction[] = items.map((i) => ({ customerId, productId: i.product.id, type: 'impression', source: 'recommendation', createdAt: now }));
    try {
      if (rows.length > 0) await this.o.store.interactions.recordMany(rows);
      if (sponsored && this.o.ads) await this.o.ads.recordImpression(sponsored, customerId);
    } catch (err) {
      this.o.log?.('could not record recommendation impressions', { error: String(err) });
    }
  }

  /** The file the model was loaded from (or trained into). */
  get modelFile(): string {
    return this.o.modelFile;
  }

  /** The text the content model knows a product by (for tests and explanations). */
  static productText = productText;
}
