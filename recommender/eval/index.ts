export { rmse, mae, rankOf, hitAtK, ndcgAtK, catalogueCoverage, meanStd, type Spread } from './metrics.js';
export { kFoldSplits, leaveLastOut, shuffledRows, type Split } from './splits.js';
export {
  crossValidate,
  rankingEval,
  RANKING_PROTOCOL,
  type CrossValidateOptions,
  type EvalProgress,
  type ModelCvResult,
  type ModelFactory,
  type ModelRankingResult,
  type RankingOptions,
  type RankingReport,
} from './evaluate.js';
