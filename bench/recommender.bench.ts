/**
 * Rating-model benchmark on MovieLens ml-latest-small (../shared/data/movielens-latest-small/
 * ratings.csv: 100,836 ratings, 610 users, 9,742 movies), every model against the global mean
 * measured in the same run.
 *
 * (a) Rating prediction: BENCH_REC_FOLDS-fold (5) cross-validation with seed BENCH_REC_SEED
 *     (42), the same folds for every model: RMSE and MAE (mean ± sample std over folds) and
 *     training time per fold.
 * (b) Top-N: leave-last-out (each user's latest rating held out), full ranking against every
 *     item the user has not rated in train: HR@10, NDCG@10 and catalogue coverage of the lists.
 *
 * Then the issue's targets next to the measured values, and the Surprise library's published
 * numbers for reference (MovieLens-100K: the same family, not the same file).
 * BENCH_REC_MODELS (comma-separated) restricts the models; the global mean always runs. The
 * content-based models read titles and genres from movies.csv.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RatingSet } from '../recommender/data.js';
import { crossValidate, leaveLastOut, rankingEval, type EvalProgress, type ModelFactory } from '../recommender/eval/index.js';
import { MODELS, type ModelContext } from '../recommender/models/index.js';
import { readItemTexts, readRatingsFile } from '../recommender/ratings-file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIR = path.resolve(here, '../../shared/data/movielens-latest-small');
const FILE = path.join(DIR, 'ratings.csv');
/** Titles and genres: the item texts of the content-based models. */
const MOVIES = path.join(DIR, 'movies.csv');
const FOLDS = Number(process.env['BENCH_REC_FOLDS'] ?? 5);
const SEED = Number(process.env['BENCH_REC_SEED'] ?? 42);
const ONLY = process.env['BENCH_REC_MODELS']?.split(',').map((s) => s.trim()).filter(Boolean);
const K = 10;
const TARGET_RMSE = 0.86;
const TARGET_TRAIN_S = 60;

/** Surprise, MovieLens-100K, 5-fold CV, default parameters (../shared/data/README.md). */
const SURPRISE: Array<[string, number, number]> = [
  ['SVD', 0.934, 0.737],
  ['SVD++', 0.919, 0.721],
  ['KNNBaseline', 0.931, 0.733],
  ['BaselineOnly', 0.944, 0.748],
  ['NormalPredictor', 1.518, 1.219],
];

function table(header: string[], rows: (string | number)[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

const pm = (s: { mean: number; std: number }, digits = 4) => `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
const secs = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

/** One stderr line per finished model run and every fifth epoch: the bench's stdout stays a report. */
function progress(): (p: EvalProgress) => void {
  const started = performance.now();
  return (p) => {
    const t = `${((performance.now() - started) / 1000).toFixed(0)}s`;
    if (p.fit) {
      if (p.fit.epoch % 5 === 0 || p.fit.epoch === p.fit.epochs) {
        process.stderr.write(`  [${t}] ${p.phase} fold ${p.fold}/${p.folds} ${p.model} epoch ${p.fit.epoch}/${p.fit.epochs}${p.fit.validRmse !== undefined ? ` valid RMSE ${p.fit.validRmse.toFixed(4)}` : ''}\n`);
      }
    } else if (p.finished) {
      const rmse = p.finished.rmse !== undefined ? `, RMSE ${p.finished.rmse.toFixed(4)}` : '';
      process.stderr.write(`  [${t}] ${p.phase} ${p.done}/${p.total}: fold ${p.fold}/${p.folds} ${p.model} trained in ${secs(p.finished.trainMs)} s${rmse}\n`);
    }
  };
}

export async function run(): Promise<void> {
  const names = Object.keys(MODELS).filter((n) => n === 'global-mean' || !ONLY || ONLY.includes(n));
  const t0 = performance.now();
  const read = await readRatingsFile(FILE);
  const readMs = performance.now() - t0;
  const data = RatingSet.from(read.ratings);
  const texts = await readItemTexts(MOVIES, new Set(data.items));
  const context: ModelContext = { itemText: (item) => texts.get(item) };
  // A fresh model per run; the seed reaches it through fit (the seed, plus the fold in CV).
  const models: Record<string, ModelFactory> = Object.fromEntries(names.map((n) => [n, () => MODELS[n]!(context)]));
  console.log(
    `MovieLens ml-latest-small: ${data.size} ratings, ${data.users.length} users, ${data.items.length} items, ${read.skipped.length} rows skipped; read in ${readMs.toFixed(0)} ms; ${texts.size} movie texts (title and genres) for the content-based models.`,
  );
  console.log(`${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at start. Models: ${names.join(', ')}.\n`);

  // (a) rating prediction
  console.log(`(a) ${FOLDS}-fold cross-validation, seed ${SEED}, same folds for every model (mean ± sample std over folds)\n`);
  const cv = await crossValidate(data, models, { folds: FOLDS, seed: SEED, onProgress: progress() });
  const base = cv['global-mean']!;
  table(
    ['model', 'RMSE', 'MAE', 'RMSE vs global mean', 'train s / fold'],
    names
      .filter((n) => cv[n])
      .map((n) => {
        const r = cv[n]!;
        return [n, pm(r.rmse), pm(r.mae), `${(r.rmse.mean / base.rmse.mean).toFixed(3)}x`, `${secs(r.trainMs.mean)} ± ${secs(r.trainMs.std)}`];
      }),
  );
  const rankingOnly = names.filter((n) => !cv[n]);
  if (rankingOnly.length > 0) console.log(`\n(${rankingOnly.join(', ')}: ranking-only, implicit feedback; no rating to score, measured in (b).)`);

  // (b) top-N
  console.log(`\n(b) top-${K}: leave-last-out; full ranking (the held-out item against every item the user has not rated in train, no sampled negatives)\n`);
  const rank = await rankingEval(data, models, { k: K, seed: SEED, onProgress: progress() });
  const counts = data.subset(leaveLastOut(data).train).counts();
  console.log(`${rank.users} users with a held-out item; ${rank.coldHeldOut} of those items have no training row (no model can hit them); catalogue ${rank.catalogue} items.\n`);
  table(
    ['model', `HR@${K}`, `NDCG@${K}`, 'coverage', 'median train ratings of listed items', 'train s'],
    names.map((n) => {
      const r = rank.models[n]!;
      return [n, r.hr.toFixed(4), r.ndcg.toFixed(4), r.coverage.toFixed(4), r.medianItemRatings, secs(r.trainMs)];
    }),
  );
  const heldOut = [...leaveLastOut(data).test].map((row) => counts.perItem[data.i[row]!]!).sort((a, b) => a - b);
  console.log(`\n(median training ratings of the held-out items: ${heldOut[Math.floor(heldOut.length / 2)]}; models ranking by predicted rating list rare, highly rated items)`);

  // Targets
  const best = names.filter((n) => cv[n]).reduce((a, b) => (cv[b]!.rmse.mean < cv[a]!.rmse.mean ? b : a));
  const bestTrainS = cv[best]!.trainMs.mean / 1000;
  console.log('\nTargets (issue 5)\n');
  table(
    ['target', 'measured', 'met'],
    [
      [`best RMSE ≤ ${TARGET_RMSE}`, `${cv[best]!.rmse.mean.toFixed(4)} (${best})`, cv[best]!.rmse.mean <= TARGET_RMSE ? 'yes' : 'NO'],
      [`best model trains < ${TARGET_TRAIN_S} s`, `${bestTrainS.toFixed(1)} s per fold (${best}, ${cv[best]!.rmse.folds.length} folds)`, bestTrainS < TARGET_TRAIN_S ? 'yes' : 'NO'],
    ],
  );
  console.log('\nReference: Surprise, MovieLens-100K (943 users, 1,682 movies: the same family, not this file), 5-fold CV, default parameters\n');
  table(
    ['Surprise algorithm', 'RMSE', 'MAE'],
    SURPRISE.map(([n, r, m]) => [n, r.toFixed(3), m.toFixed(3)]),
  );
  console.log(`\nTotal ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
}
