import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as HierarchicalNSWType } from 'hnswlib-node';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { ShopError } from '../../store/errors.js';
import type { FactorModel, Scored } from '../types.js';

const { HierarchicalNSW } = hnswlib;

/**
 * Up to this many items, neighbours are found by exact cosine: the shop has ~200 products,
 * and 200 dot products of 64 floats take microseconds, are exact, need no build and nothing
 * on disk. Above it an HNSW cosine index is built (exact search grows linearly per query).
 */
export const EXACT_LIMIT = 20_000;
const MAX_K = 100;

export interface SimilarItemsOptions {
  /** Leave out the last component (a FactorModel's folded bias). */
  dropLast?: boolean;
  /** Item count from which an HNSW index replaces the exact scan. */
  exactLimit?: number;
  /** HNSW search beam width (when the index is used). */
  ef?: number;
}

export interface ProductText {
  id: string;
  text: string;
}

/**
 * Nearest neighbours of an item by cosine over item vectors: the factor vectors of a
 * `FactorModel` (items people rate alike), or product-text embeddings (items described
 * alike: works for items the model never saw). `withFallback` chains spaces: an item is
 * looked up in the first space that knows it.
 */
export class SimilarItems {
  readonly source: string;
  private readonly ids: string[];
  private readonly row = new Map<string, number>();
  /** Unit rows (zero rows stay zero), `ids.length * dim`. */
  private readonly unit: Float32Array;
  private readonly dim: number;
  private readonly index: HierarchicalNSWType | null;
  private fallback: SimilarItems | null = null;

  constructor(source: string, ids: string[], vectors: Float32Array, stride: number, opts: SimilarItemsOptions = {}) {
    if (vectors.length !== ids.length * stride) {
      throw new ShopError('bad_request', `SimilarItems: ${ids.length} items × ${stride} does not match ${vectors.length} values`);
    }
    this.source = source;
    this.ids = ids;
    this.dim = opts.dropLast ? Math.max(1, stride - 1) : stride;
    this.unit = new Float32Array(ids.length * this.dim);
    ids.forEach((id, r) => {
      this.row.set(id, r);
      let s = 0;
      for (let d = 0; d < this.dim; d++) s += vectors[r * stride + d]! ** 2;
      const n = Math.sqrt(s);
      if (n > 0) for (let d = 0; d < this.dim; d++) this.unit[r * this.dim + d] = vectors[r * stride + d]! / n;
    });
    if (ids.length > (opts.exactLimit ?? EXACT_LIMIT)) {
      this.index = new HierarchicalNSW('cosine', this.dim);
      this.index.initIndex(ids.length, 16, 200, 100);
      for (let r = 0; r < ids.length; r++) this.index.addPoint(Array.from(this.unit.subarray(r * this.dim, (r + 1) * this.dim)), r);
      this.index.setEf(opts.ef ?? 100);
    } else {
      this.index = null;
    }
  }

  /** Collaborative: the model's item factors without the bias component. */
  static fromModel(model: FactorModel, opts: Omit<SimilarItemsOptions, 'dropLast'> = {}): SimilarItems {
    const { ids, vectors } = model.itemVectors();
    return new SimilarItems(`model:${model.name}`, ids, vectors, model.dimension, { ...opts, dropLast: true });
  }

  /** Content-based: product texts (title, category, description) through any LangChain embeddings. */
  static async fromTexts(products: ProductText[], embeddings: EmbeddingsInterface, opts: Omit<SimilarItemsOptions, 'dropLast'> = {}): Promise<SimilarItems> {
    const rows = await embeddings.embedDocuments(products.map((p) => p.text));
    const dim = rows[0]?.length ?? 1;
    const vectors = new Float32Array(products.length * dim);
    rows.forEach((v, r) => {
      if (v.length !== dim) throw new ShopError('bad_request', `SimilarItems: embedding ${r} has ${v.length} dimensions, expected ${dim}`);
      vectors.set(v, r * dim);
    });
    return new SimilarItems('content', products.map((p) => p.id), vectors, dim, { ...opts, dropLast: false });
  }

  /** Items this space does not know are looked up in `other` (e.g. the model, then content). */
  withFallback(other: SimilarItems): this {
    this.fallback = other;
    return this;
  }

  has(itemId: string): boolean {
    return this.row.has(itemId) || (this.fallback?.has(itemId) ?? false);
  }

  /**
   * Cosine of two items in this space (0 when either is unknown or a zero vector); a bound
   * function, so it can be handed to `diversify` and `explain` as it is.
   */
  readonly similarity = (a: string, b: string): number => {
    const ra = this.row.get(a);
    const rb = this.row.get(b);
    return ra === undefined || rb === undefined ? 0 : this.dot(ra, rb);
  };

  /**
   * The `k` items most like `itemId` (score = cosine, best first), never the item itself; from
   * the first space in the chain that knows the item; [] when none does.
   */
  similar(itemId: string, k: number, filter?: (item: string) => boolean): Scored[] {
    const r = this.row.get(itemId);
    if (r === undefined) return this.fallback ? this.fallback.similar(itemId, k, filter) : [];
    const want = Math.min(Math.max(0, Math.floor(k)), MAX_K, this.ids.length - 1);
    if (want <= 0) return [];
    const keep = (row: number): boolean => row !== r && (!filter || filter(this.ids[row]!));
    const out: Scored[] = [];
    if (this.index) {
      const query = Array.from(this.unit.subarray(r * this.dim, (r + 1) * this.dim));
      const { neighbors } = this.index.searchKnn(query, want, keep);
      for (const n of neighbors) out.push({ item: this.ids[n]!, score: this.dot(r, n) });
    } else {
      for (let n = 0; n < this.ids.length; n++) if (keep(n)) out.push({ item: this.ids[n]!, score: this.dot(r, n) });
    }
    return out.sort((a, b) => b.score - a.score || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0)).slice(0, want);
  }

  private dot(a: number, b: number): number {
    let s = 0;
    for (let d = 0, pa = a * this.dim, pb = b * this.dim; d < this.dim; d++) s += this.unit[pa + d]! * this.unit[pb + d]!;
    return s;
  }
}
