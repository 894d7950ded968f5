import { seededRandom } from '../../knowledge/random.js';
import type { RatingSet } from '../data.js';
import type { FitOptions, Scored } from '../types.js';

/** Normal deviates from the seeded PRNG (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffle(a: Int32Array, random: () => number): void {
  for (let k = a.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const t = a[k]!;
    a[k] = a[j]!;
    a[j] = t;
  }
}

/**
 * Splits training rows into a fit part and a validation slice (for early stopping): a seeded
 * `fraction` of the rows, taken only from users and items that keep other rows, so the
 * validation slice never measures cold start. Small sets (< 50 rows) get no slice.
 */
export function validationSplit(data: RatingSet, fraction: number, seed: number): { fit: Int32Array; valid: Int32Array } {
  const all = Int32Array.from({ length: data.size }, (_, k) => k);
  if (data.size < 50 || fraction <= 0) return { fit: all, valid: new Int32Array(0) };
  const random = seededRandom(seed ^ 0x5eed);
  shuffle(all, random);
  const { perUser, perItem } = data.counts();
  const want = Math.floor(data.size * fraction);
  const fit: number[] = [];
  const valid: number[] = [];
  for (const row of all) {
    const u = data.u[row]!;
    const i = data.i[row]!;
    if (valid.length < want && perUser[u]! > 1 && perItem[i]! > 1) {
      valid.push(row);
      perUser[u]!--;
      perItem[i]!--;
    } else fit.push(row);
  }
  return { fit: Int32Array.from(fit), valid: Int32Array.from(valid) };
}

export function weightedMean(data: RatingSet, rows?: ArrayLike<number>): number {
  let sum = 0;
  let weight = 0;
  const n = rows ? rows.length : data.size;
  for (let k = 0; k < n; k++) {
    const row = rows ? rows[k]! : k;
    sum += data.r[row]! * data.w[row]!;
    weight += data.w[row]!;
  }
  return weight > 0 ? sum / weight : 0;
}

export function clip(x: number, [lo, hi]: [number, number]): number {
  if (!Number.isFinite(x)) return (lo + hi) / 2;
  return x < lo ? lo : x > hi ? hi : x;
}

/** RMSE of `predict` over `rows` of `data`. */
export function rmseOf(data: RatingSet, rows: ArrayLike<number>, predict: (u: number, i: number) => number): number {
  let se = 0;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const e = predict(data.u[row]!, data.i[row]!) - data.r[row]!;
    se += e * e;
  }
  return rows.length > 0 ? Math.sqrt(se / rows.length) : Number.NaN;
}

/** Keeps the `k` best by score (ties broken by item id, so results are deterministic). */
export function topK(items: string[], score: (index: number) => number, k: number, exclude?: (item: string) => boolean, allowed?: (index: number) => boolean): Scored[] {
  const heap: Scored[] = [];
  const worse = (a: Scored, b: Scored) => a.score < b.score || (a.score === b.score && a.item > b.item);
  for (let i = 0; i < items.length; i++) {
    if (allowed && !allowed(i)) continue;
    const s = score(i);
    if (heap.length === k && !worse(heap[heap.length - 1]!, { item: items[i]!, score: s })) continue;
    const item = items[i]!;
    if (exclude?.(item)) continue;
    const entry = { item, score: s };
    let at = heap.length;
    while (at > 0 && worse(heap[at - 1]!, entry)) at--;
    heap.splice(at, 0, entry);
    if (heap.length > k) heap.pop();
  }
  return heap;
}

/**
 * The early-stopping loop every iterative model shares: runs epochs, stops after `patience`
 * epochs without a better validation RMSE (never before `minEpochs`: small random factors
 * sit on a plateau for the first few epochs), and keeps the best epoch's weights.
 */
export async function trainEpochs(
  name: string,
  opts: FitOptions | undefined,
  cfg: { epochs: number; patience: number; hasValidation: boolean; minEpochs?: number },
  epoch: (n: number) => { trainLoss: number; validRmse?: number },
  snapshot: () => void,
  restore: () => void,
): Promise<{ epochs: number; bestEpoch: number; validRmse?: number }> {
  let best = Infinity;
  let bestEpoch = 0;
  let bad = 0;
  let n = 0;
  for (n = 1; n <= cfg.epochs; n++) {
    const { trainLoss, validRmse } = epoch(n);
    opts?.onProgress?.({ model: name, epoch: n, epochs: cfg.epochs, trainLoss, ...(validRmse !== undefined ? { validRmse } : {}) });
    if (!cfg.hasValidation || validRmse === undefined) {
      bestEpoch = n;
    } else if (validRmse < best - 1e-5) {
      best = validRmse;
      bestEpoch = n;
      bad = 0;
      snapshot();
    } else if (++bad >= cfg.patience && n >= (cfg.minEpochs ?? 10)) break;
    // Let timers and I/O run between epochs (progress output, signals).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (cfg.hasValidation && bestEpoch > 0 && bestEpoch < Math.min(n, cfg.epochs)) restore();
  return { epochs: Math.min(n, cfg.epochs), bestEpoch, ...(Number.isFinite(best) ? { validRmse: best } : {}) };
}
