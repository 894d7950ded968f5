export { analyze, stem } from './analyzer.js';
export { Bm25Index, type Bm25Hit, type Bm25Options } from './bm25.js';
export {
  HybridIndex,
  chunksOf,
  confidenceOf,
  sanitizeQuery,
  detectLocale,
  DEFAULT_MIN_CONFIDENCE,
  FUSION_SHARE_WEIGHT,
  RRF_K,
  MAX_QUERY_CHARS,
  type IndexableArticle,
  type IndexedChunk,
  type KbHit,
  type KbSearchOptions,
  type HybridIndexOptions,
  type RetrieverMode,
} from './hybrid-index.js';
export { KnowledgeBase, routeConfidence, type KnowledgeBaseOptions, type KnowledgeBaseLogger, type KnowledgeBaseStats, type KnowledgeRoute } from './knowledge-base.js';
export { evaluateRetrieval, buildEvalIndex, RETRIEVER_MODES, type EvalArticle, type EvalQuery, type EvalReport, type RetrieverScores, type Scores } from './evaluate.js';
export { loadEvalArticles, loadEvalQueries } from './eval-data.js';
export {
  loadBitextEval,
  parseBitextEval,
  bitextSplit,
  sampleByGroup,
  BITEXT_INTENT_ARTICLES,
  BITEXT_SEED,
  BITEXT_TUNE_SHARE,
  BITEXT_SPLITS,
  type BitextEvalSet,
  type BitextLoadOptions,
  type BitextQuery,
  type BitextSplit,
} from './bitext-eval.js';
export { embeddingLocales, resolveLanguageRoute, ROUTE_MIN_CONFIDENCE, type LanguageRouteChoice } from './model-locales.js';
