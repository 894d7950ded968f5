import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Locale } from '../../store/index.js';
import { HnswVectorStore } from '../vector-store/index.js';
import { DEFAULT_MIN_CONFIDENCE, detectLocale, HybridIndex, type HybridIndexOptions, type KbHit, type RetrieverMode } from './hybrid-index.js';

/** An article of an evaluation set (articles JSONL: `{id, title, body, locale?, category?}`). */
export interface EvalArticle {
  id: string;
  title: string;
  body: string;
  locale: Locale;
  category?: string;
  tags?: string[];
}

/** A query and the ids of the articles that answer it; none = off-topic, should not be answered. */
export interface EvalQuery {
  query: string;
  expected: string[];
}

export interface Scores {
  queries: number;
  'hit@1': number;
  /** Hit within the top k (the key says which k). */
  [hitAtK: `hit@${number}`]: number;
  mrr: number;
}

export interface RetrieverScores extends Scores {
  /** The same scores per query language. */
  byLocale: Partial<Record<Locale, Scores>>;
}

export interface EvalReport {
  queries: number;
  k: number;
  'hit@1': number;
  [hitAtK: `hit@${number}`]: number;
  mrr: number;
  byRetriever: Record<RetrieverMode, RetrieverScores>;
  /** At the threshold: answerable queries whose top hit is right and confident enough. */
  answered: { minConfidence: number; rate: number };
  offTopic: { count: number; minConfidence: number; falsePositiveRate: number };
  /** Per answerable query (hybrid): where the expected article ranked (0 = not in the top k) and the top confidence. */
  details?: Array<{ query: string; expected: string[]; rank: number; top?: string; confidence: number }>;
  offTopicDetails?: Array<{ query: string; top?: string; confidence: number }>;
}

/** Builds an in-memory hybrid index over the articles (no store, no files). */
export async function buildEvalIndex(
  articles: EvalArticle[],
  embeddings: EmbeddingsInterface,
  opts: { dimension?: number } & HybridIndexOptions = {},
): Promise<HybridIndex> {
  const { dimension, ...indexOptions } = opts;
  const dim = dimension ?? (await embeddings.embedQuery('dimension probe')).length;
  const vectors = new HnswVectorStore(embeddings, { space: 'cosine', dimension: dim, initialCapacity: Math.max(16, articles.length * 4) });
  const index = new HybridIndex(embeddings, vectors, indexOptions);
  for (const a of articles) {
    await index.addArticle({ id: a.id, slug: a.id, locale: a.locale, title: a.title, body: a.body, category: a.category ?? 'general', tags: a.tags ?? [] });
  }
  return index;
}

function rankOf(hits: KbHit[], expected: string[]): number {
  const i = hits.findIndex((h) => expected.includes(h.documentId));
  return i < 0 ? 0 : i + 1;
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

function scores(ranks: number[], k: number): Scores {
  const n = ranks.length || 1;
  return {
    queries: ranks.length,
    'hit@1': round(ranks.filter((r) => r === 1).length / n),
    [`hit@${k}`]: round(ranks.filter((r) => r > 0).length / n),
    mrr: round(ranks.reduce((sum, r) => sum + (r > 0 ? 1 / r : 0), 0) / n),
  };
}

/**
 * Retrieval quality on a labelled query set: hit@1, hit@k and MRR for BM25 alone, vectors
 * alone and the hybrid, and how often off-topic queries pass the confidence threshold.
 * Each query is searched in the locale it is written in.
 */
export async function evaluateRetrieval(
  index: HybridIndex,
  queries: EvalQuery[],
  opts: { k?: number; minConfidence?: number; details?: boolean } = {},
): Promise<EvalReport> {
  const k = opts.k ?? 5;
  const min = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const answerable = queries.filter((q) => q.expected.length > 0);
  const offTopic = queries.filter((q) => q.expected.length === 0);
  const byRetriever = {} as Record<RetrieverMode, RetrieverScores>;
  const details: NonNullable<EvalReport['details']> = [];
  let answered = 0;
  for (const mode of ['bm25', 'vector', 'hybrid'] as const) {
    const ranks: Array<{ locale: Locale; rank: number }> = [];
    for (const q of answerable) {
      const locale = detectLocale(q.query);
      const hits = await index.search(q.query, { locale, k, mode, minConfidence: min });
      const rank = rankOf(hits, q.expected);
      ranks.push({ locale, rank });
      if (mode === 'hybrid') {
        const top = hits[0];
        if (rank === 1 && (top?.confidence ?? 0) >= min) answered++;
        details.push({ query: q.query, expected: q.expected, rank, ...(top ? { top: top.documentId } : {}), confidence: top?.confidence ?? 0 });
      }
    }
    const byLocale: RetrieverScores['byLocale'] = {};
    for (const locale of ['en', 'zh'] as const) {
      const mine = ranks.filter((r) => r.locale === locale);
      if (mine.length > 0) byLocale[locale] = scores(mine.map((r) => r.rank), k);
    }
    byRetriever[mode] = { ...scores(ranks.map((r) => r.rank), k), byLocale };
  }
  const offTopicDetails: NonNullable<EvalReport['offTopicDetails']> = [];
  let falsePositives = 0;
  for (const q of offTopic) {
    const [top] = await index.search(q.query, { locale: detectLocale(q.query), k: 1, minConfidence: min });
    const confidence = top?.confidence ?? 0;
    if (confidence >= min) falsePositives++;
    offTopicDetails.push({ query: q.query, ...(top ? { top: top.documentId } : {}), confidence });
  }
  const hybrid = byRetriever.hybrid;
  return {
    queries: queries.length,
    k,
    'hit@1': hybrid['hit@1'],
    [`hit@${k}`]: hybrid[`hit@${k}`] ?? 0,
    mrr: hybrid.mrr,
    byRetriever,
    answered: { minConfidence: min, rate: round(answered / (answerable.length || 1)) },
    offTopic: { count: offTopic.length, minConfidence: min, falsePositiveRate: round(falsePositives / (offTopic.length || 1)) },
    ...(opts.details ? { details, offTopicDetails } : {}),
  };
}
