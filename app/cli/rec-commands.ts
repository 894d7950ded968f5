import { RatingSet } from '../../recommender/data.js';
import { crossValidate, rankingEval, type EvalProgress, type ModelCvResult, type ModelFactory, type ModelRankingResult } from '../../recommender/eval/index.js';
import { MODELS, type ModelContext } from '../../recommender/models/index.js';
import { saveModel } from '../../recommender/persist.js';
import { readItemTexts, readRatingsFile } from '../../recommender/ratings-file.js';
import { trainShopModel } from '../../recommender/shop.js';
import { ShopError } from '../../store/index.js';
import { flag, requiredFlag, type Command, type CommandContext } from './command.js';

const EVAL_USAGE = 'rec:eval --ratings <file> [--items <file>] [--folds 5] [--seed 42] [--models a,b] [--on-bad-row skip|stop] [--no-ranking]';
const EVAL_FLAGS = ['--ratings', '--items', '--folds', '--seed', '--models', '--on-bad-row'];
const MAX_SKIPPED_SHOWN = 20;

function intFlag(args: string[], name: string, fallback: number, min: number, max: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ShopError('bad_request', `${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

/** Flags the command does not know are a usage error: a typo must not silently run the defaults. */
function checkFlags(args: string[], withValues: string[], booleans: string[], usage: string): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (withValues.includes(a)) i++;
    else if (!booleans.includes(a)) throw new ShopError('bad_request', `unexpected argument "${a}": cli ${usage}`);
  }
}

/** The registered models to run (all by default), checked before any file is read. */
function chooseModels(args: string[]): string[] {
  const wanted = flag(args, '--models')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? Object.keys(MODELS);
  if (wanted.length === 0) throw new ShopError('bad_request', '--models needs at least one model name');
  for (const name of wanted) {
    if (!Object.hasOwn(MODELS, name)) throw new ShopError('bad_request', `unknown model "${name}"; known: ${Object.keys(MODELS).join(', ')}`);
  }
  return wanted;
}

/** Progress on stderr: the overall run, and each model's epochs while it trains. */
function reporter(ctx: CommandContext): (p: EvalProgress) => void {
  return (p) => {
    if (p.fit) ctx.progress.update(`${p.model}${p.phase === 'cv' ? ` f${p.fold}` : ' rank'}`, p.fit.epoch, p.fit.epochs);
    else ctx.progress.update(p.phase === 'cv' ? `cv ${p.folds}-fold` : 'leave-last-out', p.done, p.total);
  };
}

const round = (x: number, digits: number): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

function formatModel(cv: ModelCvResult | undefined, rank: ModelRankingResult | undefined) {
  const metric = (s: { mean: number; std: number; folds: number[] }) => ({ mean: round(s.mean, 4), std: round(s.std, 4), folds: s.folds.map((x) => round(x, 4)) });
  return {
    // null for a ranking-only model (implicit feedback: no rating to score)
    rmse: cv ? metric(cv.rmse) : null,
    mae: cv ? metric(cv.mae) : null,
    trainMs: cv ? { mean: round(cv.trainMs.mean, 1), std: round(cv.trainMs.std, 1) } : rank ? { mean: round(rank.trainMs, 1), std: 0 } : null,
    ...(rank ? { hr10: round(rank.hr, 4), ndcg10: round(rank.ndcg, 4), coverage: round(rank.coverage, 4) } : {}),
  };
}

/** rec:eval (rec:train joins it later). */
const TRAIN_USAGE = 'rec:train [--seed 42]';

export const recCommands: Record<string, Command> = {
  'rec:train': {
    usage: TRAIN_USAGE,
    summary: "Train the shop's recommender (hybrid: biased MF + content + popularity) on the store's interactions and save it to REC_MODEL_FILE.",
    run: async (args, ctx) => {
      checkFlags(args, ['--seed'], [], TRAIN_USAGE);
      const seed = intFlag(args, '--seed', 42, 0, 2 ** 32 - 1);
      const store = await ctx.store();
      const file = ctx.config.recommender.modelFile;
      const t = await trainShopModel(store, { seed, onProgress: (p) => ctx.progress.update(p.model, p.epoch, p.epochs) });
      await saveModel(t.model, file, { interactions: t.interactions, pairs: t.data.size, trainMs: Math.round(t.report.trainMs), seed });
      return {
        file,
        interactions: t.interactions,
        pairs: t.data.size,
        customers: t.data.users.length,
        products: t.products.length,
        trainMs: Math.round(t.report.trainMs),
        epochs: t.report.epochs,
        bestEpoch: t.report.bestEpoch,
        validRmse: t.report.validRmse ?? null,
        note: 'a running server loads it at POST /api/admin/recommender/reload (admin token) or at its next start',
      };
    },
  },
  'rec:eval': {
    usage: EVAL_USAGE,
    summary: 'Cross-validate the rating models (RMSE, MAE, train time) and rank on leave-last-out (HR@10, NDCG@10, coverage).',
    run: async (args, ctx) => {
      checkFlags(args, EVAL_FLAGS, ['--no-ranking'], EVAL_USAGE);
      const file = requiredFlag(args, '--ratings', EVAL_USAGE);
      const folds = intFlag(args, '--folds', 5, 2, 50);
      const seed = intFlag(args, '--seed', 42, 0, 2 ** 32 - 1);
      const onBadRow = flag(args, '--on-bad-row') ?? 'skip';
      if (onBadRow !== 'skip' && onBadRow !== 'stop') throw new ShopError('bad_request', `--on-bad-row must be skip or stop, got "${onBadRow}"`);
      const names = chooseModels(args);
      const read = await readRatingsFile(file, { onBadRow });
      const data = RatingSet.from(read.ratings);
      // Item texts feed the content-based models; without them those fall back to their baseline.
      const itemsFile = flag(args, '--items');
      const texts = itemsFile ? await readItemTexts(itemsFile, new Set(data.items)) : undefined;
      const context: ModelContext = texts ? { itemText: (item) => texts.get(item) } : {};
      // Each run gets a fresh model; seeds reach it through fit (the seed, plus the fold in CV).
      const models: Record<string, ModelFactory> = Object.fromEntries(names.map((n) => [n, () => MODELS[n]!(context)]));
      const onProgress = reporter(ctx);
      const cv = await crossValidate(data, models, { folds, seed, onProgress });
      const ranking = args.includes('--no-ranking') ? undefined : await rankingEval(data, models, { k: 10, seed, onProgress });
      return {
        file,
        rows: data.size,
        users: data.users.length,
        items: data.items.length,
        header: read.header,
        delimiter: read.delimiter === '\t' ? 'tab' : 'comma',
        itemTexts: texts ? { file: itemsFile, items: texts.size } : null,
        skipped: { count: read.skipped.length, first: read.skipped.slice(0, MAX_SKIPPED_SHOWN) },
        folds,
        seed,
        spread: 'mean and sample standard deviation (n-1) over the folds',
        ranking: ranking ? { protocol: ranking.protocol, k: ranking.k, users: ranking.users, coldHeldOut: ranking.coldHeldOut, catalogue: ranking.catalogue } : null,
        models: Object.fromEntries(names.map((name) => [name, formatModel(cv[name], ranking?.models[name])])),
      };
    },
  },
};
