import type { RatingSet } from '../data.js';
import type { FitOptions, FitReport, RatingModel, SavedModel, Scored } from '../types.js';
import { baselineBiases } from './baseline-biases.js';
import { clip, topK } from './common.js';

/**
 * Popularity, the cold-start fallback: predicts with damped baseline biases (mean + user
 * bias + item bias) and ranks items by how much feedback they got (summed confidence
 * weights), then by their bias. What a brand-new shopper sees before anything is known.
 */
export class PopularityModel implements RatingModel {
  readonly name = 'popularity';
  private users: string[] = [];
  private items: string[] = [];
  private userIndex = new Map<string, number>();
  private itemIndex = new Map<string, number>();
  private mean = 0;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private pop: Float32Array = new Float32Array(0);
  private scale: [number, number] = [0, 0];

  fit(data: RatingSet, _opts?: FitOptions): Promise<FitReport> {
    const start = performance.now();
    const rows = Int32Array.from({ length: data.size }, (_, k) => k);
    const { mean, bu, bi } = baselineBiases(data, rows);
    this.users = data.users;
    this.items = data.items;
    this.userIndex = data.userIndex;
    this.itemIndex = data.itemIndex;
    this.mean = mean;
    this.bu = bu;
    this.bi = bi;
    this.scale = data.scale();
    this.pop = new Float32Array(data.items.length);
    for (let k = 0; k < data.size; k++) this.pop[data.i[k]!] = this.pop[data.i[k]!]! + data.w[k]!;
    return Promise.resolve({ model: this.name, epochs: 1, bestEpoch: 1, trainMs: performance.now() - start });
  }

  predict(user: string, item: string): number {
    const u = this.userIndex.get(user);
    const i = this.itemIndex.get(item);
    return clip(this.mean + (u === undefined ? 0 : this.bu[u]!) + (i === undefined ? 0 : this.bi[i]!), this.scale);
  }

  /** Summed feedback weight of an item (0 when unknown). */
  popularity(item: string): number {
    const i = this.itemIndex.get(item);
    return i === undefined ? 0 : this.pop[i]!;
  }

  recommend(_user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    // Popularity first; the bias (a fraction of a star) only breaks ties between equals.
    return topK(this.items, (i) => this.pop[i]! + this.bi[i]! * 1e-3, k, exclude, (i) => this.pop[i]! > 0);
  }

  save(): SavedModel {
    return {
      kind: this.name,
      meta: { users: this.users, items: this.items, mean: this.mean, scale: this.scale },
      arrays: { bu: this.bu, bi: this.bi, pop: this.pop },
    };
  }

  static load(saved: SavedModel): PopularityModel {
    const m = new PopularityModel();
    m.users = saved.meta['users'] as string[];
    m.items = saved.meta['items'] as string[];
    m.userIndex = new Map(m.users.map((x, k) => [x, k]));
    m.itemIndex = new Map(m.items.map((x, k) => [x, k]));
    m.mean = Number(saved.meta['mean']);
    m.scale = saved.meta['scale'] as [number, number];
    m.bu = saved.arrays['bu']!;
    m.bi = saved.arrays['bi']!;
    m.pop = saved.arrays['pop']!;
    return m;
  }
}
