import { ShopError } from '../../store/index.js';
import type { RatingSet } from '../data.js';
import type { FitProgress, RatingModel } from '../types.js';
import { catalogueCoverage, mae, meanStd, ndcgAtK, rankOf, rmse, type Spread } from './metrics.js';
import { kFoldSplits, leaveLastOut } from './splits.js';

/** Makes a fresh, untrained model: each fold trains its own. */
export type ModelFactory = () => RatingModel;

/** What an evaluation is doing, for progress displays. `fit` is set while a model trains. */
export interface EvalProgress {
  phase: 'cv' | 'ranking';
  model: string;
  /** 1-based fold (always 1 for ranking) and the number of folds. */
  fold: number;
  folds: number;
  /** Model runs finished so far in this phase, and the total. */
  done: number;
  total: number;
  fit?: FitProgress;
  /** Set on the event that ends a model run: its training time, and its RMSE on the fold (cv). */
  finished?: { trainMs: number; rmse?: number };
}

export interface CrossValidateOptions {
  folds?: number;
  seed?: number;
  onProgress?: (p: EvalProgress) => void;
}

export interface ModelCvResult {
  rmse: Spread & { folds: number[] };
  mae: Spread & { folds: number[] };
  /** Wall time of `fit` per fold, in milliseconds. */
  trainMs: Spread & { folds: number[] };
}

function spread(values: number[]): Spread & { folds: number[] } {
  return { ...meanStd(values), folds: values };
}

/**
 * K-fold cross-validation of rating prediction (models whose `task` is 'ranking' are left
 * out): the same seeded folds for every model; per
 * model, RMSE and MAE on each fold's held-out rows, their mean and sample standard deviation,
 * and the training time. A model that predicts a non-finite rating is an error, not a number
 * quietly left out.
 */
export async function crossValidate(data: RatingSet, models: Record<string, ModelFactory>, opts: CrossValidateOptions = {}): Promise<Record<string, ModelCvResult>> {
  const folds = opts.folds ?? 5;
  const seed = opts.seed ?? 42;
  // Ranking-only models (implicit feedback) have no rating to score: they are left out here.
  const names = Object.keys(models).filter((n) => (models[n]!().task ?? 'rating') === 'rating');
  if (names.length === 0) throw new ShopError('bad_request', 'no rating models to evaluate');
  const splits = kFoldSplits(data.size, folds, seed);
  const per = Object.fromEntries(names.map((n) => [n, { rmse: [] as number[], mae: [] as number[], trainMs: [] as number[] }]));
  const total = folds * names.length;
  let done = 0;
  for (const [f, split] of splits.entries()) {
    const train = data.subset(split.train);
    const actual = new Float64Array(split.test.length);
    for (let k = 0; k < split.test.length; k++) actual[k] = data.r[split.test[k]!]!;
    for (const name of names) {
      const at = { phase: 'cv' as const, model: name, fold: f + 1, folds, total };
      opts.onProgress?.({ ...at, done });
      const model = models[name]!();
      const start = performance.now();
      await model.fit(train, { seed: seed + f, onProgress: (fit) => opts.onProgress?.({ ...at, done, fit }) });
      per[name]!.trainMs.push(performance.now() - start);
      const predicted = new Float64Array(split.test.length);
      for (let k = 0; k < split.test.length; k++) {
        const row = split.test[k]!;
        const p = model.predict(data.users[data.u[row]!]!, data.items[data.i[row]!]!);
        if (!Number.isFinite(p)) {
          throw new ShopError('internal', `model ${name} predicted ${p} for user ${data.users[data.u[row]!]} and item ${data.items[data.i[row]!]} (fold ${f + 1})`);
        }
        predicted[k] = p;
      }
      const foldRmse = rmse(predicted, actual);
      per[name]!.rmse.push(foldRmse);
      per[name]!.mae.push(mae(predicted, actual));
      done++;
      opts.onProgress?.({ ...at, done, finished: { trainMs: per[name]!.trainMs.at(-1)!, rmse: foldRmse } });
    }
  }
  return Object.fromEntries(names.map((n) => [n, { rmse: spread(per[n]!.rmse), mae: spread(per[n]!.mae), trainMs: spread(per[n]!.trainMs) }]));
}

export interface RankingOptions {
  k?: number;
  seed?: number;
  onProgress?: (p: EvalProgress) => void;
}

export interface ModelRankingResult {
  /** Hit rate and NDCG at k, averaged over every test user (a user whose item is missing counts 0). */
  hr: number;
  ndcg: number;
  /** Share of the training catalogue that appears in at least one top-k list. */
  coverage: number;
  /**
   * Median number of training ratings of the listed items: how mainstream the lists are. A
   * rating model tuned for RMSE often lists rare items with a few high ratings, which the
   * held-out (mostly popular) items rarely are.
   */
  medianItemRatings: number;
  trainMs: number;
}

export interface RankingReport {
  protocol: string;
  k: number;
  /** Users with a held-out item (users with fewer than 2 ratings stay in train and are not scored). */
  users: number;
  /** Held-out items no training row mentions: no model that only knows training items can hit them. */
  coldHeldOut: number;
  /** Items with at least one training row: the catalogue the lists are drawn from. */
  catalogue: number;
  models: Record<string, ModelRankingResult>;
}

export const RANKING_PROTOCOL =
  'leave-last-out (each user\'s latest rating held out); full ranking: the held-out item competes with every item the user has not rated in train, none sampled';

/**
 * Top-N evaluation on a leave-last-out split: each model trains on everything but each user's
 * latest rating, then `recommend(user, k, exclude)` ranks every item the user did not rate in
 * train (the honest full-ranking protocol, not 100 sampled negatives); HR@k and NDCG@k of the
 * held-out item, and catalogue coverage of the lists. Tie order is the model's: `recommend`
 * must break ties deterministically, and the users are scored in a fixed order.
 */
export async function rankingEval(data: RatingSet, models: Record<string, ModelFactory>, opts: RankingOptions = {}): Promise<RankingReport> {
  const k = opts.k ?? 10;
  const seed = opts.seed ?? 42;
  const names = Object.keys(models);
  if (names.length === 0) throw new ShopError('bad_request', 'no models to evaluate');
  const split = leaveLastOut(data);
  const train = data.subset(split.train);
  const { perItem } = train.counts();
  const catalogue = perItem.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
  // Items each test user rated in train: excluded from their list.
  const rated = new Map<number, Set<string>>();
  for (const row of split.test) rated.set(data.u[row]!, new Set());
  for (let row = 0; row < train.size; row++) rated.get(train.u[row]!)?.add(train.items[train.i[row]!]!);
  let coldHeldOut = 0;
  for (const row of split.test) if (perItem[data.i[row]!] === 0) coldHeldOut++;

  const results: Record<string, ModelRankingResult> = {};
  for (const [m, name] of names.entries()) {
    const at = { phase: 'ranking' as const, model: name, fold: 1, folds: 1, total: names.length };
    opts.onProgress?.({ ...at, done: m });
    const model = models[name]!();
    const start = performance.now();
    await model.fit(train, { seed, onProgress: (fit) => opts.onProgress?.({ ...at, done: m, fit }) });
    const trainMs = performance.now() - start;
    let hits = 0;
    let ndcg = 0;
    const lists: string[][] = [];
    for (const row of split.test) {
      const exclude = rated.get(data.u[row]!)!;
      const list = model.recommend(data.users[data.u[row]!]!, k, (item) => exclude.has(item)).map((s) => s.item);
      const relevant = data.items[data.i[row]!]!;
      if (rankOf(list, relevant, k) > 0) hits++;
      ndcg += ndcgAtK(list, relevant, k);
      lists.push(list.slice(0, k));
    }
    const users = split.test.length;
    const listed = lists.flatMap((l) => l.map((item) => perItem[train.itemIndex.get(item) ?? -1] ?? 0)).sort((a, b) => a - b);
    const medianItemRatings = listed.length ? listed[Math.floor(listed.length / 2)]! : Number.NaN;
    results[name] = { hr: users ? hits / users : Number.NaN, ndcg: users ? ndcg / users : Number.NaN, coverage: catalogueCoverage(lists, catalogue), medianItemRatings, trainMs };
    opts.onProgress?.({ ...at, done: m + 1, finished: { trainMs } });
  }
  return { protocol: RANKING_PROTOCOL, k, users: split.test.length, coldHeldOut, catalogue, models: results };
}
