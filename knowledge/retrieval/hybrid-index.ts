import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { KnowledgeDocument, Locale } from '../../store/index.js';
import { chunkArticle, type ChunkOptions } from '../ingest/index.js';
import { MAX_K, type HnswVectorStore } from '../vector-store/index.js';
import { Bm25Index } from './bm25.js';

/** What the index needs of an article (a store `KnowledgeDocument` is one). */
export type IndexableArticle = Pick<KnowledgeDocument, 'id' | 'slug' | 'locale' | 'title' | 'body' | 'category'> & { tags?: string[] };

/** One chunk as the index keeps it. */
export interface IndexedChunk {
  chunkId: string;
  documentId: string;
  slug: string;
  locale: Locale;
  title: string;
  category: string;
  heading: string;
  text: string;
  /** Title and headings, then the text: what is embedded and BM25-indexed. */
  indexText: string;
}

/** One search result: the best chunk of one article. */
export interface KbHit extends Omit<IndexedChunk, 'indexText'> {
  /**
   * The ranking score: for `hybrid`, the weighted sum of the BM25 share and the cosine
   * similarity (`FUSION_SHARE_WEIGHT`); for `rrf`, the sum of weight/(60 + rank); for
   * `bm25` and `vector`, that retriever's reciprocal rank.
   */
  score: number;
  /** 0..1: how sure we are this answers the query; compare with `DEFAULT_MIN_CONFIDENCE`. */
  confidence: number;
  bm25?: { score: number; rank: number };
  vector?: { similarity: number; rank: number };
}

export interface HybridIndexOptions {
  chunk?: ChunkOptions;
  /**
   * Weight of the vector ranking in the `rrf` mode, BM25's being 1; default 1 (plain RRF).
   * Lower it for a weak embedder: the lexical fallback adds little that BM25 lacks.
   */
  vectorWeight?: number;
  /** Weight of the BM25 share in the `hybrid` score (the cosine gets the rest); default `FUSION_SHARE_WEIGHT`. */
  shareWeight?: number;
  /**
   * Query languages the embedding model understands (its manifest's `languages`); a query
   * in another language is answered by BM25 alone, since an English-only model's vectors
   * for Chinese text rank at random. Default: every language.
   */
  vectorLocales?: Locale[];
}

/**
 * `hybrid` (what the app uses) fuses the two retrievers' scores; `rrf` fuses their ranks
 * (reciprocal rank fusion, the baseline it replaced); `bm25` and `vector` are one retriever alone.
 */
export type RetrieverMode = 'hybrid' | 'rrf' | 'bm25' | 'vector';

export interface KbSearchOptions {
  locale?: Locale;
  /** Articles returned; default 5, at most 50. */
  k?: number;
  /** `hybrid` (default) fuses both; the others are for evaluation. */
  mode?: RetrieverMode;
  /** Below this best confidence in the asked locale, the other locale is tried; default DEFAULT_MIN_CONFIDENCE. */
  minConfidence?: number;
  /** Keep every matching chunk instead of the best one per article. */
  allChunks?: boolean;
}

/**
 * The "did we find an answer?" threshold on `KbHit.confidence`, chosen on data/kb-eval
 * (answerable shopper questions vs off-topic ones) with the lexical embedder; see
 * `npm run cli -- kb:eval` and the README for the numbers behind it.
 */
export const DEFAULT_MIN_CONFIDENCE = 0.3;

/**
 * The BM25 share's weight in the hybrid score, the cosine similarity's being 1 minus it.
 * Chosen on the Bitext tune split (2,045 real phrasings) and the demo's dev questions: with
 * all-MiniLM-L6-v2 it lifts hit@1 on the tune split from 0.75 (RRF) to 0.81, above the
 * vectors alone (0.79), and with the lexical embedder from 0.63 to 0.66. Ranks fused
 * (RRF) lose what the scores say: a BM25 list whose first hits barely match still
 * gets full votes. A query the vectors do not serve is ranked by the BM25 share alone.
 */
export const FUSION_SHARE_WEIGHT = 0.25;

/** Reciprocal rank fusion constant (Cormack et al.). */
export const RRF_K = 60;
/** Candidates each retriever contributes before fusion (bounded: searchKnn blocks the event loop). */
export const CANDIDATES = Math.min(50, MAX_K);
/** Longest query text used; a 10,000-character paste is cut, never embedded whole. */
export const MAX_QUERY_CHARS = 1000;
const MAX_RESULTS = 50;

/**
 * The query clean-up every search applies: control characters become spaces, runs of
 * whitespace collapse, and the text is capped at `MAX_QUERY_CHARS`.
 */
export function sanitizeQuery(query: unknown): string {
  if (typeof query !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  const cleaned = query.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g, ' ');
  return [...cleaned.replace(/\s+/g, ' ').trim()].slice(0, MAX_QUERY_CHARS).join('').trim();
}

/**
 * Confidence from the two retrievers' evidence for one chunk: the BM25 score as a share
 * of the query's reference score (how much of the query's weight the chunk matched) and
 * the cosine similarity of query and chunk. Each is clipped to 0..1 and the two averaged,
 * so a chunk needs support from both, or very strong support from one, to pass the threshold.
 */
export function confidenceOf(bm25Share: number | undefined, similarity: number | undefined, semantic = true): number {
  const lexical = Math.min(1, Math.max(0, bm25Share ?? 0));
  // Without vectors for this query's language, the lexical evidence stands alone.
  const vector = semantic ? Math.min(1, Math.max(0, similarity ?? 0)) : lexical;
  return Math.round(((lexical + vector) / 2) * 1e4) / 1e4;
}

const CJK = /[\u3400-\u9fff]/u;

/** The language a query is written in: Chinese if it has any Han character. */
export function detectLocale(text: string): Locale {
  return CJK.test(text) ? 'zh' : 'en';
}

interface ChunkMeta {
  documentId: string;
  locale: Locale;
}

interface Candidate {
  chunk: IndexedChunk;
  bm25?: { score: number; rank: number };
  vector?: { similarity: number; rank: number };
}

/** Chunks of one article with their ids and the fields a hit carries. */
export function chunksOf(article: IndexableArticle, options?: ChunkOptions): IndexedChunk[] {
  return chunkArticle(article, options).map((c) => ({
    chunkId: `${article.id}#${c.index}`,
    documentId: article.id,
    slug: article.slug,
    locale: article.locale,
    title: article.title,
    category: article.category,
    heading: c.heading,
    text: c.text,
    // Tags are the article's own keywords: indexed with every chunk, never shown.
    indexText: article.tags && article.tags.length > 0 ? `${c.indexText}\n${article.tags.join(', ')}` : c.indexText,
  }));
}

export function chunkDocument(chunk: IndexedChunk): Document {
  return new Document({ id: chunk.chunkId, pageContent: chunk.indexText, metadata: { documentId: chunk.documentId, locale: chunk.locale } });
}

function isZero(v: number[]): boolean {
  for (const x of v) if (x !== 0 && Number.isFinite(x)) return false;
  return true;
}

/**
 * BM25 and an HNSW vector store over the same chunks, searched together and fused by
 * reciprocal rank. Knows nothing of the store: `KnowledgeBase` feeds it from the store,
 * `kb:eval` from a file.
 */
export class HybridIndex {
  readonly bm25 = new Bm25Index<ChunkMeta>();
  private readonly chunks = new Map<string, IndexedChunk>();
  private readonly chunkIdsByDoc = new Map<string, string[]>();

  private readonly chunkOptions: ChunkOptions | undefined;
  /** The vector list's weight in the `rrf` mode (BM25's is 1). */
  readonly vectorWeight: number;
  /** The BM25 share's weight in the `hybrid` score. */
  readonly shareWeight: number;
  readonly vectorLocales: Locale[] | undefined;

  constructor(
    private readonly embeddings: EmbeddingsInterface,
    private vectors: HnswVectorStore,
    options: HybridIndexOptions = {},
  ) {
    this.chunkOptions = options.chunk;
    this.vectorWeight = options.vectorWeight ?? 1;
    this.shareWeight = options.shareWeight ?? FUSION_SHARE_WEIGHT;
    if (!(this.shareWeight >= 0 && this.shareWeight <= 1)) throw new RangeError(`HybridIndex: shareWeight must be from 0 to 1, got ${options.shareWeight}`);
    this.vectorLocales = options.vectorLocales;
    if (!(this.vectorWeight >= 0)) throw new RangeError(`HybridIndex: vectorWeight must be >= 0, got ${options.vectorWeight}`);
  }

  get vectorStore(): HnswVectorStore {
    return this.vectors;
  }

  get articleCount(): number {
    return this.chunkIdsByDoc.size;
  }

  get chunkCount(): number {
    return this.chunks.size;
  }

  chunk(article: IndexableArticle): IndexedChunk[] {
    return chunksOf(article, this.chunkOptions);
  }

  /** Replaces everything: BM25 from `chunks`, vectors from `vectors` (already holding them). */
  reset(chunks: IndexedChunk[], vectors: HnswVectorStore): void {
    this.vectors = vectors;
    this.bm25.clear();
    this.chunks.clear();
    this.chunkIdsByDoc.clear();
    for (const c of chunks) this.track(c);
  }

  /** Embeds the chunks (may fail: nothing changes then). */
  async embed(chunks: IndexedChunk[]): Promise<number[][]> {
    return chunks.length === 0 ? [] : this.embeddings.embedDocuments(chunks.map((c) => c.indexText));
  }

  /** Replaces an article's chunks in both indexes; `vectors` from `embed` of the same chunks. */
  async put(documentId: string, chunks: IndexedChunk[], vectors: number[][]): Promise<void> {
    await this.remove(documentId);
    await this.vectors.addVectors(vectors, chunks.map(chunkDocument), { ids: chunks.map((c) => c.chunkId) });
    for (const c of chunks) this.track(c);
  }

  /** Chunks, embeds and indexes an article. */
  async addArticle(article: IndexableArticle): Promise<IndexedChunk[]> {
    const chunks = this.chunk(article);
    await this.put(article.id, chunks, await this.embed(chunks));
    return chunks;
  }

  async remove(documentId: string): Promise<boolean> {
    const ids = this.chunkIdsByDoc.get(documentId);
    if (!ids) return false;
    await this.vectors.delete({ ids });
    for (const id of ids) {
      this.bm25.remove(id);
      this.chunks.delete(id);
    }
    this.chunkIdsByDoc.delete(documentId);
    return true;
  }

  private track(c: IndexedChunk): void {
    this.chunks.set(c.chunkId, c);
    this.bm25.add(c.chunkId, c.indexText, { documentId: c.documentId, locale: c.locale });
    const list = this.chunkIdsByDoc.get(c.documentId);
    if (list) list.push(c.chunkId);
    else this.chunkIdsByDoc.set(c.documentId, [c.chunkId]);
  }

  /**
   * Hybrid search; see `KbSearchOptions`. Never throws on odd input: an empty, blank,
   * emoji-only or control-character query gives `[]` or whatever still matches.
   */
  async search(query: string, opts: KbSearchOptions = {}): Promise<KbHit[]> {
    const q = sanitizeQuery(query);
    if (q === '' || this.chunks.size === 0) return [];
    const k = Math.min(MAX_RESULTS, Math.max(1, Math.floor(Number.isFinite(opts.k) ? (opts.k as number) : 5)));
    const mode = opts.mode ?? 'hybrid';
    let queryVector: number[] | undefined;
    const vectorsUnderstand = this.vectorLocales === undefined || this.vectorLocales.includes(detectLocale(q));
    if (mode !== 'bm25' && vectorsUnderstand) {
      const v = await this.embeddings.embedQuery(q);
      if (v.length === this.vectors.dimension && !isZero(v)) queryVector = v;
    }
    const run = (locale: Locale | undefined): Promise<KbHit[]> => this.searchLocale(q, queryVector, mode, k, locale, opts.allChunks ?? false);
    if (!opts.locale) return run(undefined);
    const asked = await run(opts.locale);
    const min = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    if ((asked[0]?.confidence ?? 0) >= min) return asked;
    const other = await run(opts.locale === 'en' ? 'zh' : 'en');
    return (other[0]?.confidence ?? 0) >= min && (other[0]?.confidence ?? 0) > (asked[0]?.confidence ?? 0) ? other : asked;
  }

  private async searchLocale(
    q: string,
    queryVector: number[] | undefined,
    mode: RetrieverMode,
    k: number,
    locale: Locale | undefined,
    allChunks: boolean,
  ): Promise<KbHit[]> {
    const candidates = new Map<string, Candidate>();
    const entry = (chunkId: string): Candidate | undefined => {
      let c = candidates.get(chunkId);
      if (!c) {
        const chunk = this.chunks.get(chunkId);
        if (!chunk) return undefined;
        candidates.set(chunkId, (c = { chunk }));
      }
      return c;
    };
    const reference = this.bm25.referenceScore(q);
    // BM25 scores and similarities are kept for confidence even when only the other retriever ranks.
    const bm25Hits = this.bm25.search(q, CANDIDATES, locale ? (m) => m.locale === locale : undefined);
    for (const h of bm25Hits) {
      const c = entry(h.id);
      if (c) c.bm25 = { score: h.score, rank: h.rank };
    }
    if (queryVector) {
      const results = await this.vectors.similaritySearchVectorWithScore(queryVector, CANDIDATES, locale ? { locale } : undefined);
      results.forEach(([doc, similarity], i) => {
        const c = doc.id === undefined ? undefined : entry(doc.id);
        if (c) c.vector = { similarity, rank: i + 1 };
      });
    }
    const shareOf = (c: Candidate): number => (c.bm25 && reference > 0 ? Math.min(1, c.bm25.score / reference) : 0);
    const toHit = (c: Candidate, score: number): KbHit => {
      const share = shareOf(c);
      const { indexText: _indexText, ...fields } = c.chunk;
      return {
        ...fields,
        score,
        confidence: confidenceOf(share, c.vector?.similarity, queryVector !== undefined),
        ...(c.bm25 ? { bm25: c.bm25 } : {}),
        ...(c.vector ? { vector: c.vector } : {}),
      };
    };
    // Score fusion: a chunk only one retriever returned counts 0 for the other (it ranked below its top CANDIDATES).
    const w = queryVector ? this.shareWeight : 1;
    const fused = (c: Candidate): number => w * shareOf(c) + (1 - w) * Math.max(0, c.vector?.similarity ?? 0);
    const chunkScore = (c: Candidate): number =>
      mode === 'hybrid'
        ? fused(c)
        : (mode !== 'vector' && c.bm25 ? 1 / (RRF_K + c.bm25.rank) : 0) + (mode !== 'bm25' && c.vector ? 1 / (RRF_K + c.vector.rank) : 0);
    // In the hybrid, chunks that both match the whole query (share 1) are told apart by the raw BM25 score.
    const rawTie = (a: KbHit, b: KbHit): number => (mode === 'hybrid' ? (b.bm25?.score ?? 0) - (a.bm25?.score ?? 0) : 0);
    const byScore = (a: KbHit, b: KbHit): number => b.score - a.score || rawTie(a, b) || b.confidence - a.confidence || (a.chunkId < b.chunkId ? -1 : 1);
    const all = [...candidates.values()].filter((c) => chunkScore(c) > 0);
    if (allChunks) return all.map((c) => toHit(c, chunkScore(c))).sort(byScore).slice(0, k);
    if (mode === 'hybrid') {
      // An article scores as its best chunk, which the hit shows.
      const best = new Map<string, KbHit>();
      for (const c of all) {
        const hit = toHit(c, fused(c));
        const cur = best.get(c.chunk.documentId);
        if (!cur || hit.score > cur.score) best.set(c.chunk.documentId, hit);
      }
      return [...best.values()].sort(byScore).slice(0, k);
    }
    // Fusion at the article level: each retriever's list collapses to articles (an article
    // ranks where its best chunk does), so an article whose several chunks crowd the top of
    // one list does not push the others down; the hit shows the article's best fused chunk.
    const articleRank = (key: 'bm25' | 'vector'): Map<string, number> => {
      const best = new Map<string, number>();
      for (const c of all) {
        const r = c[key]?.rank;
        if (r !== undefined && r < (best.get(c.chunk.documentId) ?? Infinity)) best.set(c.chunk.documentId, r);
      }
      return new Map([...best.entries()].sort((a, b) => a[1] - b[1]).map(([doc], i) => [doc, i + 1]));
    };
    const wB = mode === 'vector' ? 0 : 1;
    const wV = mode === 'bm25' ? 0 : this.vectorWeight;
    const bm25Ranks = articleRank('bm25');
    const vectorRanks = articleRank('vector');
    const bestChunk = new Map<string, Candidate>();
    for (const c of all) {
      const cur = bestChunk.get(c.chunk.documentId);
      if (!cur || chunkScore(c) > chunkScore(cur)) bestChunk.set(c.chunk.documentId, c);
    }
    const out: KbHit[] = [];
    for (const [doc, c] of bestChunk) {
      const rb = bm25Ranks.get(doc);
      const rv = vectorRanks.get(doc);
      const score = (rb !== undefined ? wB / (RRF_K + rb) : 0) + (rv !== undefined ? wV / (RRF_K + rv) : 0);
      if (score > 0) out.push(toHit(c, score));
    }
    return out.sort(byScore).slice(0, k);
  }
}
