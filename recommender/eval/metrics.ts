/**
 * Evaluation metrics. Rating accuracy (RMSE, MAE) over predicted and actual ratings; top-N
 * quality in the leave-one-out protocol, where each user has exactly one relevant (held-out)
 * item and the metric looks at its position in the user's top-k list.
 */

function checkLengths(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length) throw new RangeError(`predicted (${predicted.length}) and actual (${actual.length}) differ in length`);
  return predicted.length;
}

/** Root mean squared error; NaN for no pairs. */
export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  const n = checkLengths(predicted, actual);
  let s = 0;
  for (let k = 0; k < n; k++) {
    const d = predicted[k]! - actual[k]!;
    s += d * d;
  }
  return n === 0 ? Number.NaN : Math.sqrt(s / n);
}

/** Mean absolute error; NaN for no pairs. */
export function mae(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  const n = checkLengths(predicted, actual);
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.abs(predicted[k]! - actual[k]!);
  return n === 0 ? Number.NaN : s / n;
}

/** 1-based position of `relevant` among the first `k` of `ranked`, or 0 when it is not there. */
export function rankOf(ranked: readonly string[], relevant: string, k: number): number {
  const end = Math.min(k, ranked.length);
  for (let p = 0; p < end; p++) if (ranked[p] === relevant) return p + 1;
  return 0;
}

/** Hit rate at k for one user: 1 when the relevant item is in the top k, else 0. */
export function hitAtK(ranked: readonly string[], relevant: string, k: number): number {
  return rankOf(ranked, relevant, k) > 0 ? 1 : 0;
}

/**
 * NDCG at k with one relevant item: the ideal DCG is 1 (the item first), so NDCG is
 * 1 / log2(rank + 1) when the item is at `rank` within the top k, else 0.
 */
export function ndcgAtK(ranked: readonly string[], relevant: string, k: number): number {
  const rank = rankOf(ranked, relevant, k);
  return rank > 0 ? 1 / Math.log2(rank + 1) : 0;
}

/** Share of the catalogue that appears in at least one list (0 for an empty catalogue). */
export function catalogueCoverage(lists: Iterable<readonly string[]>, catalogueSize: number): number {
  if (catalogueSize <= 0) return 0;
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) seen.add(item);
  return seen.size / catalogueSize;
}

export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
}

/** Mean and sample standard deviation; NaN mean for no values. */
export function meanStd(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0 };
  let s = 0;
  for (const v of values) s += (v - mean) ** 2;
  return { mean, std: Math.sqrt(s / (n - 1)) };
}
