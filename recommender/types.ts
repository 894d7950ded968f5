/**
 * The recommender's contracts. Every rating model trains on a `RatingSet` (ratings in index
 * form), predicts a rating for any user and item (unknown ones included: cold start never
 * throws) and ranks items. Factor models also expose their vectors so that top-N can be
 * served from an inner-product index instead of scoring every item.
 */
import type { RatingSet } from './data.js';

/** One observation: an explicit rating, or implicit feedback mapped to a score. */
export interface Rating {
  user: string;
  item: string;
  rating: number;
  /** Confidence weight in the loss; 1 when absent. Implicit events weigh by type. */
  weight?: number;
  /** Milliseconds since the epoch, when known (leave-last-out needs it). */
  ts?: number;
}

export interface FitProgress {
  model: string;
  epoch: number;
  epochs: number;
  trainLoss: number;
  /** RMSE on the held-out validation slice (early stopping watches it). */
  validRmse?: number;
}

export interface FitOptions {
  /** Seed for initialisation, shuffles and the validation slice. */
  seed?: number;
  onProgress?: (p: FitProgress) => void;
}

export interface FitReport {
  model: string;
  /** Epochs actually run (early stopping may end sooner) and the epoch whose weights were kept. */
  epochs: number;
  bestEpoch: number;
  trainMs: number;
  validRmse?: number;
}

export interface Scored {
  item: string;
  score: number;
}

/** A model saved as JSON metadata plus named float arrays (see recommender/persist.ts). */
export interface SavedModel {
  kind: string;
  meta: Record<string, unknown>;
  arrays: Record<string, Float32Array>;
}

export interface RatingModel {
  readonly name: string;
  /**
   * 'rating' (the default): `predict` is a rating on the training scale. 'ranking': the model
   * learns what a user picks next (implicit feedback) and `predict` is a preference score;
   * rating benchmarks (RMSE, MAE) leave it out.
   */
  readonly task?: 'rating' | 'ranking';
  fit(data: RatingSet, opts?: FitOptions): Promise<FitReport>;
  /** The predicted rating, clipped to the training scale; finite for unknown users and items. */
  predict(user: string, item: string): number;
  /**
   * The top `k` items by predicted score, scoring every known item (the brute-force path;
   * recommender/serving does better). `exclude` filters items out (already rated, out of stock).
   */
  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[];
  save(): SavedModel;
}

/**
 * A model whose score is `offset(user) + dot(userVector(user), itemVector(item))`. Biases are
 * folded in: the user vector ends in 1 and the item vector in the item's bias, so an
 * inner-product index over the item vectors ranks exactly as the model does.
 */
export interface FactorModel extends RatingModel {
  /** Length of the folded vectors (factors + 1). */
  readonly dimension: number;
  /** Item ids in row order, and their folded vectors row-major (`ids.length * dimension`). */
  itemVectors(): { ids: string[]; vectors: Float32Array };
  /** The folded user vector; null for a user the model never saw. */
  userVector(user: string): Float32Array | null;
  /** The part of the score that does not depend on the item (global mean + user bias). */
  offset(user: string): number;
}

export function isFactorModel(m: RatingModel): m is FactorModel {
  return typeof (m as Partial<FactorModel>).itemVectors === 'function' && typeof (m as Partial<FactorModel>).userVector === 'function';
}
