import type { RatingSet } from '../data.js';
import type { SavedModel, Scored } from '../types.js';
import { clip, topK } from './common.js';

/**
 * What every biased factor model learns: the global mean, user and item biases and one
 * factor vector per user and item. Score = mean + bu + bi + pu·qi. Users and items the
 * training data never showed have zero biases and vectors (so they score as the mean plus
 * whatever is known) and are left out of `itemVectors()`.
 */
export class FactorTable {
  mean = 0;
  scale: [number, number] = [0, 0];
  users: string[] = [];
  items: string[] = [];
  userIndex = new Map<string, number>();
  itemIndex = new Map<string, number>();
  bu: Float32Array = new Float32Array(0);
  bi: Float32Array = new Float32Array(0);
  P: Float32Array = new Float32Array(0);
  Q: Float32Array = new Float32Array(0);
  /** Rows per user and item in the training data (0 = the model never saw it). */
  userCount: Int32Array = new Int32Array(0);
  itemCount: Int32Array = new Int32Array(0);

  constructor(readonly factors: number) {}

  /** Sizes the table for `data`'s users and items, factors drawn from `init`. */
  reset(data: RatingSet, init: () => number, mean: number): void {
    const f = this.factors;
    this.mean = mean;
    this.scale = data.scale();
    this.users = data.users;
    this.items = data.items;
    this.userIndex = data.userIndex;
    this.itemIndex = data.itemIndex;
    this.bu = new Float32Array(data.users.length);
    this.bi = new Float32Array(data.items.length);
    this.P = Float32Array.from({ length: data.users.length * f }, init);
    this.Q = Float32Array.from({ length: data.items.length * f }, init);
    const { perUser, perItem } = data.counts();
    this.userCount = perUser;
    this.itemCount = perItem;
  }

  /** Zeroes what training never touched, so unseen users and items carry no random noise. */
  clearUnseen(): void {
    const f = this.factors;
    this.userCount.forEach((n, u) => {
      if (n === 0) {
        this.bu[u] = 0;
        this.P.fill(0, u * f, u * f + f);
      }
    });
    this.itemCount.forEach((n, i) => {
      if (n === 0) {
        this.bi[i] = 0;
        this.Q.fill(0, i * f, i * f + f);
      }
    });
  }

  /** Raw (unclipped) score by indices. */
  score(u: number, i: number): number {
    const f = this.factors;
    let s = this.mean + this.bu[u]! + this.bi[i]!;
    const po = u * f;
    const qo = i * f;
    for (let k = 0; k < f; k++) s += this.P[po + k]! * this.Q[qo + k]!;
    return s;
  }

  predict(user: string, item: string): number {
    const u = this.userIndex.get(user);
    const i = this.itemIndex.get(item);
    let s = this.mean;
    if (u !== undefined && i !== undefined) s = this.score(u, i);
    else if (u !== undefined) s += this.bu[u]!;
    else if (i !== undefined) s += this.bi[i]!;
    return clip(s, this.scale);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    const u = this.userIndex.get(user);
    const known = (i: number) => this.itemCount[i]! > 0;
    if (u === undefined || this.userCount[u] === 0) return topK(this.items, (i) => this.mean + this.bi[i]!, k, exclude, known);
    return topK(this.items, (i) => this.score(u, i), k, exclude, known);
  }

  get dimension(): number {
    return this.factors + 1;
  }

  itemVectors(): { ids: string[]; vectors: Float32Array } {
    const f = this.factors;
    const d = f + 1;
    const ids: string[] = [];
    const rows: number[] = [];
    this.itemCount.forEach((n, i) => {
      if (n > 0) {
        ids.push(this.items[i]!);
        rows.push(i);
      }
    });
    const vectors = new Float32Array(rows.length * d);
    rows.forEach((i, r) => {
      vectors.set(this.Q.subarray(i * f, i * f + f), r * d);
      vectors[r * d + f] = this.bi[i]!;
    });
    return { ids, vectors };
  }

  userVector(user: string): Float32Array | null {
    const u = this.userIndex.get(user);
    if (u === undefined || this.userCount[u] === 0) return null;
    const f = this.factors;
    const v = new Float32Array(f + 1);
    v.set(this.P.subarray(u * f, u * f + f));
    v[f] = 1;
    return v;
  }

  offset(user: string): number {
    const u = this.userIndex.get(user);
    return this.mean + (u === undefined ? 0 : this.bu[u]!);
  }

  save(kind: string, config: Record<string, unknown>): SavedModel {
    return {
      kind,
      meta: { config, factors: this.factors, mean: this.mean, scale: this.scale, users: this.users, items: this.items },
      arrays: {
        bu: this.bu,
        bi: this.bi,
        P: this.P,
        Q: this.Q,
        userCount: new Float32Array(this.userCount),
        itemCount: new Float32Array(this.itemCount),
      },
    };
  }

  static load(saved: SavedModel): FactorTable {
    const t = new FactorTable(Number(saved.meta['factors']));
    t.mean = Number(saved.meta['mean']);
    t.scale = saved.meta['scale'] as [number, number];
    t.users = saved.meta['users'] as string[];
    t.items = saved.meta['items'] as string[];
    t.userIndex = new Map(t.users.map((u, k) => [u, k]));
    t.itemIndex = new Map(t.items.map((i, k) => [i, k]));
    const a = saved.arrays;
    t.bu = a['bu']!;
    t.bi = a['bi']!;
    t.P = a['P']!;
    t.Q = a['Q']!;
    t.userCount = Int32Array.from(a['userCount']!);
    t.itemCount = Int32Array.from(a['itemCount']!);
    return t;
  }
}
