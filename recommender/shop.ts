import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { listAll, type Interaction, type InteractionType, type Product, type Store } from '../store/index.js';
import { RatingSet } from './data.js';
import { HybridModel } from './models/hybrid.js';
import type { FitOptions, FitReport, Rating } from './types.js';

/**
 * How implicit feedback becomes a rating: the strongest event a shopper had with a product
 * sets its score on the 1–5 scale, and every further event adds confidence (weight) to it.
 * An explicit rating always wins over implicit events. Impressions are not feedback.
 */
export const IMPLICIT_SCORES: Partial<Record<InteractionType, number>> = {
  view: 3,
  click: 3.5,
  cart: 4,
  purchase: 4.5,
};

export function interactionsToRatings(interactions: Iterable<Interaction>): Rating[] {
  const pairs = new Map<string, { user: string; item: string; implicit: number; events: number; explicit?: number; ts: number }>();
  for (const x of interactions) {
    const score = x.type === 'rating' ? undefined : IMPLICIT_SCORES[x.type];
    if (x.type !== 'rating' && score === undefined) continue;
    const key = `${x.customerId}\u0000${x.productId}`;
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { user: x.customerId, item: x.productId, implicit: 0, events: 0, ts: 0 }));
    p.ts = Math.max(p.ts, x.createdAt.getTime());
    if (x.type === 'rating') {
      if (typeof x.value === 'number' && Number.isFinite(x.value)) p.explicit = Math.min(5, Math.max(0.5, x.value));
    } else {
      p.implicit = Math.max(p.implicit, score!);
      p.events++;
    }
  }
  const out: Rating[] = [];
  for (const p of pairs.values()) {
    if (p.explicit !== undefined) out.push({ user: p.user, item: p.item, rating: p.explicit, weight: 2 + Math.log1p(p.events), ts: p.ts });
    else if (p.events > 0) out.push({ user: p.user, item: p.item, rating: p.implicit, weight: 1 + Math.log1p(p.events - 1), ts: p.ts });
  }
  return out;
}

/** The text the content-based model embeds for a product: both languages, category and tags. */
export function productText(p: Product): string {
  return [p.title.en, p.title.zh, p.category, p.tags.join(' '), p.description.en, p.description.zh].filter(Boolean).join('\n');
}

export interface ShopTraining {
  model: HybridModel;
  report: FitReport;
  data: RatingSet;
  products: Product[];
  interactions: number;
}

/** Trains the hybrid on everything the store holds: interactions, and the catalogue's texts. */
export async function trainShopModel(store: Store, opts: FitOptions & { embeddings?: EmbeddingsInterface } = {}): Promise<ShopTraining> {
  const [interactions, products] = await Promise.all([listAll((page) => store.interactions.list({}, page)), listAll((page) => store.products.list({}, page))]);
  const data = RatingSet.from(interactionsToRatings(interactions));
  const texts = new Map(products.map((p) => [p.id, productText(p)]));
  const model = new HybridModel({
    mf: { factors: 32 },
    content: { itemText: (id) => texts.get(id), catalogue: products.map((p) => p.id), ...(opts.embeddings ? { embeddings: opts.embeddings } : {}) },
  });
  const report = await model.fit(data, opts);
  return { model, report, data, products, interactions: interactions.length };
}
