import type { Scored } from '../types.js';

/** Similarity of two items, about -1..1 (cosine); 0 when either is unknown. */
export type Similarity = (a: string, b: string) => number;

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks `k` of `candidates` one at
 * a time, each maximising `lambda · relevance − (1 − lambda) · max similarity to the items
 * already picked`, so ten near-duplicates do not fill the list. Relevance is the candidate's
 * score min–max scaled to 0..1 over the candidates (model scores are on the rating scale,
 * similarities on -1..1; without scaling one term would swamp the other). `lambda` = 1 keeps
 * the order by score; 0 maximises variety. Returned items keep their original scores.
 * O(k · candidates) similarity calls: pass a pool of a few times k, not the catalogue.
 */
export function diversify(candidates: Scored[], k: number, similarity: Similarity, lambda = 0.7): Scored[] {
  const want = Math.min(Math.max(0, Math.floor(k)), candidates.length);
  if (want === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of candidates) {
    lo = Math.min(lo, c.score);
    hi = Math.max(hi, c.score);
  }
  const span = hi - lo;
  const relevance = candidates.map((c) => (span > 0 ? (c.score - lo) / span : 1));
  // maxSim[i]: the largest similarity of candidate i to anything picked so far.
  const maxSim = new Float64Array(candidates.length).fill(-Infinity);
  const taken = new Uint8Array(candidates.length);
  const out: Scored[] = [];
  for (let step = 0; step < want; step++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      if (taken[i]) continue;
      const penalty = step === 0 ? 0 : maxSim[i]!;
      const value = lambda * relevance[i]! - (1 - lambda) * penalty;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    taken[best] = 1;
    const picked = candidates[best]!;
    out.push(picked);
    for (let i = 0; i < candidates.length; i++) {
      if (!taken[i]) maxSim[i] = Math.max(maxSim[i]!, similarity(picked.item, candidates[i]!.item));
    }
  }
  return out;
}

export interface CosineOptions {
  /**
   * Leave out the last component of every row: a `FactorModel`'s folded item vectors end in
   * the item's bias, which says how good an item is, not what it is like. True by default.
   */
  dropLast?: boolean;
}

/**
 * Cosine similarity over item vectors stored row-major (`ids.length * dim`), e.g.
 * `model.itemVectors()` with `model.dimension`. Rows are normalised once up front; an unknown
 * id or a zero vector has similarity 0 with everything.
 */
export function cosineFromVectors(ids: string[], vectors: Float32Array, dim: number, opts: CosineOptions = {}): Similarity {
  const used = (opts.dropLast ?? true) ? Math.max(0, dim - 1) : dim;
  const unit = new Float32Array(ids.length * used);
  const row = new Map<string, number>();
  ids.forEach((id, r) => {
    row.set(id, r);
    let s = 0;
    for (let d = 0; d < used; d++) s += vectors[r * dim + d]! ** 2;
    const n = Math.sqrt(s);
    if (n > 0) for (let d = 0; d < used; d++) unit[r * used + d] = vectors[r * dim + d]! / n;
  });
  return (a, b) => {
    const ra = row.get(a);
    const rb = row.get(b);
    if (ra === undefined || rb === undefined) return 0;
    let s = 0;
    for (let d = 0, pa = ra * used, pb = rb * used; d < used; d++) s += unit[pa + d]! * unit[pb + d]!;
    return s;
  };
}
