import type { Similarity } from './diversity.js';

export interface Explanation {
  /** The history item the recommendation is most like ("because you bought X"). */
  because: string;
  similarity: number;
}

/**
 * Why `item` was recommended: the item of `history` most similar to it, or null when none
 * reaches `threshold` (then no explanation beats a far-fetched one). The item itself is
 * skipped when it is in the history (a re-purchase explains nothing). Ties go to the most
 * recent, i.e. the later entry of `history`.
 */
export function explain(item: string, history: string[], similarity: Similarity, threshold = 0.3): Explanation | null {
  let best: Explanation | null = null;
  for (const h of history) {
    if (h === item) continue;
    const s = similarity(item, h);
    if (!Number.isFinite(s) || s < threshold) continue;
    if (!best || s >= best.similarity) best = { because: h, similarity: s };
  }
  return best;
}
