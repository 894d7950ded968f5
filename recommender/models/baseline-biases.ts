import type { RatingSet } from '../data.js';

/**
 * Damped baseline estimates (Koren's "baseline predictors"): the weighted mean, then each
 * item's mean residual shrunk toward 0 by `itemDamping` pseudo-ratings, then each user's
 * mean residual after the item bias, shrunk by `userDamping`. Closed form, one pass each.
 */
export function baselineBiases(
  data: RatingSet,
  rows: ArrayLike<number>,
  itemDamping = 10,
  userDamping = 15,
): { mean: number; bu: Float32Array; bi: Float32Array } {
  let sum = 0;
  let weight = 0;
  for (let k = 0; k < rows.length; k++) {
    sum += data.r[rows[k]!]! * data.w[rows[k]!]!;
    weight += data.w[rows[k]!]!;
  }
  const mean = weight > 0 ? sum / weight : 0;
  const bi = new Float32Array(data.items.length);
  const bu = new Float32Array(data.users.length);
  const acc = new Float64Array(Math.max(data.items.length, data.users.length));
  const wsum = new Float64Array(acc.length);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const i = data.i[row]!;
    acc[i] = acc[i]! + data.w[row]! * (data.r[row]! - mean);
    wsum[i] = wsum[i]! + data.w[row]!;
  }
  for (let i = 0; i < bi.length; i++) bi[i] = acc[i]! / (wsum[i]! + itemDamping);
  acc.fill(0);
  wsum.fill(0);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const u = data.u[row]!;
    acc[u] = acc[u]! + data.w[row]! * (data.r[row]! - mean - bi[data.i[row]!]!);
    wsum[u] = wsum[u]! + data.w[row]!;
  }
  for (let u = 0; u < bu.length; u++) bu[u] = acc[u]! / (wsum[u]! + userDamping);
  return { mean, bu, bi };
}
