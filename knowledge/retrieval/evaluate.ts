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
  /** A label to break the scores down by (a Bitext query's intent). */
  group?: string;
}

/** One entry per `RetrieverMode`: the compiler flags a mode added there and missing here. */
const MODES: Record<RetrieverMode, true> = { bm25: true, vector: true, rrf: true, hybrid: true };
/** Every retriever the evaluation scores, the BM25 baseline first. */
export const RETRIEVER_MODES = Object.keys(MODES) as RetrieverMode[];

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
  /** The same scores per query group, when the queries carry one. */
  byGroup?: Record<string, Scores>;
  /** Wall time of one search, averaged (the query's embedding included unless a cache held it). */
  msPerQuery: number;
  /** CPU time of the process (every thread) during one search, averaged. */
  cpuMsPerQuery: number;
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

/** Rank counts of one retriever, kept as counters so a large query set needs no per-query memory. */
class Tally {
  n = 0;
  hit1 = 0;
  hitK = 0;
  rr = 0;
  add(rank: number): void {
    this.n++;
    if (rank === 1) this.hit1++;
    if (rank > 0) {
      this.hitK++;
      this.rr += 1 / rank;
    }
  }
  scores(k: number): Scores {
    const n = this.n || 1;
    return { queries: this.n, 'hit@1': round(this.hit1 / n), [`hit@${k}`]: round(this.hitK / n), mrr: round(this.rr / n) };
  }
}

class ModeTally {
  readonly all = new Tally();
  wallMs = 0;
  cpuMs = 0;
  readonly byLocale = new Map<Locale, Tally>();
  readonly byGroup = new Map<string, Tally>();
  add(rank: number, locale: Locale, group: string | undefined): void {
    this.all.add(rank);
    const l = this.byLocale.get(locale) ?? new Tally();
    l.add(rank);
    this.byLocale.set(locale, l);
    if (group !== undefined) {
      const g = this.byGroup.get(group) ?? new Tally();
      g.add(rank);
      this.byGroup.set(group, g);
    }
  }
  scores(k: number): RetrieverScores {
    const byLocale: RetrieverScores['byLocale'] = {};
    for (const locale of ['en', 'zh'] as const) {
      const t = this.byLocale.get(locale);
      if (t) byLocale[locale] = t.scores(k);
    }
    const n = this.all.n || 1;
    const timing = { msPerQuery: round(this.wallMs / n), cpuMsPerQuery: round(this.cpuMs / n) };
    if (this.byGroup.size === 0) return { ...this.all.scores(k), byLocale, ...timing };
    const byGroup = Object.create(null) as Record<string, Scores>;
    for (const g of [...this.byGroup.keys()].sort()) byGroup[g] = this.byGroup.get(g)!.scores(k);
    return { ...this.all.scores(k), byLocale, byGroup, ...timing };
  }
}

/**
 * Retrieval quality on a labelled query set: hit@1, hit@k and MRR for every retriever
 * (`RETRIEVER_MODES`: BM25 alone, vectors alone, rank fusion, the hybrid), and how often off-topic
 * queries pass the confidence threshold. Each query is searched in the locale it is
 * written in, by every retriever in turn (so an embedder's cache embeds it once; without a
 * cache each retriever's time includes its own embedding, as in serving). Memory
 * stays bounded on large sets: scores are counters; per-query details only when asked.
 */
export async function evaluateRetrieval(
  index: HybridIndex,
  queries: EvalQuery[],
  opts: { k?: number; minConfidence?: number; details?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvalReport> {
  const k = opts.k ?? 5;
  const min = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const answerable = queries.filter((q) => q.expected.length > 0);
  const offTopic = queries.filter((q) => q.expected.length === 0);
  const tallies = new Map(RETRIEVER_MODES.map((mode) => [mode, new ModeTally()]));
  const details: NonNullable<EvalReport['details']> = [];
  let answered = 0;
  let done = 0;
  const progress = (): void => {
    done++;
    if (opts.onProgress && (done % 50 === 0 || done === queries.length)) opts.onProgress(done, queries.length);
  };
  for (const q of answerable) {
    const locale = detectLocale(q.query);
    for (const mode of RETRIEVER_MODES) {
      const tally = tallies.get(mode)!;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const hits = await index.search(q.query, { locale, k, mode, minConfidence: min });
      tally.wallMs += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      tally.cpuMs += (cpu.user + cpu.system) / 1000;
      const rank = rankOf(hits, q.expected);
      tally.add(rank, locale, q.group);
      if (mode === 'hybrid') {
        const top = hits[0];
        if (rank === 1 && (top?.confidence ?? 0) >= min) answered++;
        if (opts.details) details.push({ query: q.query, expected: q.expected, rank, ...(top ? { top: top.documentId } : {}), confidence: top?.confidence ?? 0 });
      }
    }
    progress();
  }
  const byRetriever = {} as Record<RetrieverMode, RetrieverScores>;
  for (const [mode, t] of tallies) byRetriever[mode] = t.scores(k);
  const offTopicDetails: NonNullable<EvalReport['offTopicDetails']> = [];
  let falsePositives = 0;
  for (const q of offTopic) {
    const [top] = await index.search(q.query, { locale: detectLocale(q.query), k: 1, minConfidence: min });
    const confidence = top?.confidence ?? 0;
    if (confidence >= min) falsePositives++;
    if (opts.details) offTopicDetails.push({ query: q.query, ...(top ? { top: top.documentId } : {}), confidence });
    progress();
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
