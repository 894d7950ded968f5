import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { LexicalEmbeddings } from '../../knowledge/index.js';
import type { RatingSet } from '../data.js';
import type { FitOptions, FitReport, RatingModel, SavedModel, Scored } from '../types.js';
import { baselineBiases } from './baseline-biases.js';
import { clip, topK, validationSplit } from './common.js';

export interface ContentOptions {
  /** The text of an item (title, category, tags, description); undefined when there is none. */
  itemText?: (item: string) => string | undefined;
  /** Items to know beyond those in the ratings: the whole catalogue, new products included. */
  catalogue?: string[];
  /** Any LangChain embeddings; a lexical embedder fitted on the item texts by default. */
  embeddings?: EmbeddingsInterface;
}

function normalise(v: ArrayLike<number>, out: Float32Array, at: number): void {
  let n = 0;
  for (let k = 0; k < v.length; k++) n += v[k]! * v[k]!;
  n = Math.sqrt(n) || 1;
  for (let k = 0; k < v.length; k++) out[at + k] = v[k]! / n;
}

/**
 * Content-based: each item is its text's embedding (unit length); a user's profile is the
 * confidence-weighted mean of the items they rated, each signed by how far the rating was
 * above or below its baseline. Prediction = baseline + β · (profile · item), with β fitted by
 * least squares on a validation slice the profiles did not see. It knows items nobody has
 * rated yet (anything in `catalogue` with a text), so it carries new products; and it scores
 * a history the model never trained on (`recommendForHistory`: a shopper's clicks in this
 * conversation).
 */
export class ContentModel implements RatingModel {
  readonly name = 'content';
  private items: string[] = [];
  private itemIndex = new Map<string, number>();
  private users: string[] = [];
  private userIndex = new Map<string, number>();
  private dim = 0;
  private E: Float32Array = new Float32Array(0);
  private hasText: Uint8Array = new Uint8Array(0);
  private profiles: Float32Array = new Float32Array(0);
  private mean = 0;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private beta = 0;
  private scale: [number, number] = [0, 0];

  constructor(private readonly options: ContentOptions = {}) {}

  async fit(data: RatingSet, opts: FitOptions = {}): Promise<FitReport> {
    const start = performance.now();
    this.users = data.users;
    this.userIndex = data.userIndex;
    this.items = [...data.items];
    this.itemIndex = new Map(data.itemIndex);
    for (const item of this.options.catalogue ?? []) {
      if (!this.itemIndex.has(item)) this.itemIndex.set(item, this.items.push(item) - 1);
    }
    this.scale = data.scale();
    const texts = this.items.map((item) => this.options.itemText?.(item)?.trim() ?? '');
    const withText = texts.map((t, k) => (t ? k : -1)).filter((k) => k >= 0);
    const embeddings = this.options.embeddings ?? new LexicalEmbeddings().fit(withText.map((k) => texts[k]!));
    const vectors = withText.length > 0 ? await embeddings.embedDocuments(withText.map((k) => texts[k]!)) : [];
    this.dim = vectors[0]?.length ?? 0;
    this.E = new Float32Array(this.items.length * this.dim);
    this.hasText = new Uint8Array(this.items.length);
    withText.forEach((k, r) => {
      normalise(vectors[r]!, this.E, k * this.dim);
      this.hasText[k] = 1;
    });

    const { fit, valid } = validationSplit(data, 0.1, opts.seed ?? 42);
    const base = baselineBiases(data, fit);
    this.mean = base.mean;
    this.bu = base.bu;
    this.bi = base.bi;
    this.profiles = this.buildProfiles(data, fit);
    // β by least squares on rows the profiles did not include.
    let xy = 0;
    let xx = 0;
    for (const row of valid) {
      const x = this.affinity(data.u[row]!, data.i[row]!);
      const y = data.r[row]! - (this.mean + this.bu[data.u[row]!]! + this.bi[data.i[row]!]!);
      xy += data.w[row]! * x * y;
      xx += data.w[row]! * x * x;
    }
    this.beta = xx > 0 ? Math.max(0, xy / xx) : 0;
    // Final profiles and biases from every row.
    const all = Int32Array.from({ length: data.size }, (_, k) => k);
    const full = baselineBiases(data, all);
    this.mean = full.mean;
    this.bu = full.bu;
    this.bi = full.bi;
    this.profiles = this.buildProfiles(data, all);
    opts.onProgress?.({ model: this.name, epoch: 1, epochs: 1, trainLoss: 0 });
    return { model: this.name, epochs: 1, bestEpoch: 1, trainMs: performance.now() - start };
  }

  private buildProfiles(data: RatingSet, rows: ArrayLike<number>): Float32Array {
    const d = this.dim;
    const P = new Float32Array(data.users.length * d);
    const weight = new Float64Array(data.users.length);
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      const u = data.u[row]!;
      const i = data.i[row]!;
      if (!this.hasText[i]) continue;
      const residual = data.r[row]! - (this.mean + this.bu[u]! + this.bi[i]!);
      const w = data.w[row]!;
      weight[u] = weight[u]! + w;
      for (let x = 0; x < d; x++) P[u * d + x] = P[u * d + x]! + w * residual * this.E[i * d + x]!;
    }
    for (let u = 0; u < data.users.length; u++) {
      if (weight[u]! > 0) for (let x = 0; x < d; x++) P[u * d + x] = P[u * d + x]! / weight[u]!;
    }
    return P;
  }

  private affinity(u: number, i: number): number {
    if (!this.hasText[i]) return 0;
    const d = this.dim;
    let s = 0;
    for (let x = 0; x < d; x++) s += this.profiles[u * d + x]! * this.E[i * d + x]!;
    return s;
  }

  predict(user: string, item: string): number {
    const u = this.userIndex.get(user);
    const i = this.itemIndex.get(item);
    let s = this.mean;
    if (u !== undefined) s += this.bu[u]!;
    if (i !== undefined) s += this.bi[i] ?? 0;
    if (u !== undefined && i !== undefined) s += this.beta * this.affinity(u, i);
    return clip(s, this.scale);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    const u = this.userIndex.get(user);
    return topK(this.items, (i) => (this.bi[i] ?? 0) + (u === undefined ? 0 : this.beta * this.affinity(u, i)), k, exclude, (i) => this.hasText[i] === 1);
  }

  /**
   * Items most like a history the model did not train on (e.g. what the shopper clicked in
   * this conversation), each history item weighted; best first.
   */
  recommendForHistory(history: Array<{ item: string; weight: number }>, k: number, exclude?: (item: string) => boolean): Scored[] {
    const d = this.dim;
    const profile = new Float32Array(d);
    for (const { item, weight } of history) {
      const i = this.itemIndex.get(item);
      if (i === undefined || !this.hasText[i]) continue;
      for (let x = 0; x < d; x++) profile[x] = profile[x]! + weight * this.E[i * d + x]!;
    }
    return topK(
      this.items,
      (i) => {
        let s = 0;
        for (let x = 0; x < d; x++) s += profile[x]! * this.E[i * d + x]!;
        return s;
      },
      k,
      exclude,
      (i) => this.hasText[i] === 1,
    );
  }

  /** Cosine similarity of two items' texts (0 when either has none). */
  similarity(a: string, b: string): number {
    const i = this.itemIndex.get(a);
    const j = this.itemIndex.get(b);
    if (i === undefined || j === undefined || !this.hasText[i] || !this.hasText[j]) return 0;
    let s = 0;
    for (let x = 0; x < this.dim; x++) s += this.E[i * this.dim + x]! * this.E[j * this.dim + x]!;
    return s;
  }

  /** Item ids with a text and their unit vectors, row-major (for a similar-items index). */
  itemEmbeddings(): { ids: string[]; dimension: number; vectors: Float32Array } {
    const rows = this.items.map((_, k) => k).filter((k) => this.hasText[k]);
    const vectors = new Float32Array(rows.length * this.dim);
    rows.forEach((k, r) => vectors.set(this.E.subarray(k * this.dim, (k + 1) * this.dim), r * this.dim));
    return { ids: rows.map((k) => this.items[k]!), dimension: this.dim, vectors };
  }

  save(): SavedModel {
    return {
      kind: this.name,
      meta: { users: this.users, items: this.items, dim: this.dim, mean: this.mean, beta: this.beta, scale: this.scale },
      arrays: { E: this.E, hasText: Float32Array.from(this.hasText), profiles: this.profiles, bu: this.bu, bi: this.bi },
    };
  }

  static load(saved: SavedModel): ContentModel {
    const m = new ContentModel();
    m.users = saved.meta['users'] as string[];
    m.items = saved.meta['items'] as string[];
    m.userIndex = new Map(m.users.map((x, k) => [x, k]));
    m.itemIndex = new Map(m.items.map((x, k) => [x, k]));
    m.dim = Number(saved.meta['dim']);
    m.mean = Number(saved.meta['mean']);
    m.beta = Number(saved.meta['beta']);
    m.scale = saved.meta['scale'] as [number, number];
    m.E = saved.arrays['E']!;
    m.hasText = Uint8Array.from(saved.arrays['hasText']!);
    m.profiles = saved.arrays['profiles']!;
    m.bu = saved.arrays['bu']!;
    m.bi = saved.arrays['bi']!;
    return m;
  }
}
