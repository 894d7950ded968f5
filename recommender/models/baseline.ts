import type { RatingSet } from '../data.js';
import type { FitOptions, FitReport, RatingModel, SavedModel, Scored } from '../types.js';

/**
 * The global mean of the training ratings: the baseline every other model must beat. It
 * ranks every item the same, so its top-N is simply the first items it saw.
 */
export class GlobalMeanModel implements RatingModel {
  readonly name = 'global-mean';
  private mean = 0;
  private items: string[] = [];

  fit(data: RatingSet, _opts?: FitOptions): Promise<FitReport> {
    const start = performance.now();
    let sum = 0;
    let weight = 0;
    for (let k = 0; k < data.size; k++) {
      sum += data.r[k]! * data.w[k]!;
      weight += data.w[k]!;
    }
    this.mean = weight > 0 ? sum / weight : 0;
    const { perItem } = data.counts();
    this.items = data.items.filter((_, i) => perItem[i]! > 0);
    return Promise.resolve({ model: this.name, epochs: 1, bestEpoch: 1, trainMs: performance.now() - start });
  }

  predict(): number {
    return this.mean;
  }

  recommend(_user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    const out: Scored[] = [];
    for (const item of this.items) {
      if (out.length >= k) break;
      if (!exclude?.(item)) out.push({ item, score: this.mean });
    }
    return out;
  }

  save(): SavedModel {
    return { kind: this.name, meta: { mean: this.mean, items: this.items }, arrays: {} };
  }

  static load(saved: SavedModel): GlobalMeanModel {
    const m = new GlobalMeanModel();
    m.mean = Number(saved.meta['mean']);
    m.items = saved.meta['items'] as string[];
    return m;
  }
}
