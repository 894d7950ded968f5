import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { KnowledgeDocument, KnowledgeInput, Locale, Page, PageRequest, Store } from '../../store/index.js';
import { listAll } from '../../store/index.js';
import { CHUNKER_VERSION, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../ingest/index.js';
import { HnswVectorStore, type ExpectedFingerprint } from '../vector-store/index.js';
import { chunkDocument, DEFAULT_MIN_CONFIDENCE, detectLocale, HybridIndex, sanitizeQuery, type IndexedChunk, type KbHit, type KbSearchOptions } from './hybrid-index.js';

export interface KnowledgeBaseLogger {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export interface KnowledgeBaseOptions {
  store: Store;
  embeddings: EmbeddingsInterface;
  /** The embedding model's id (`CreatedEmbeddings.modelId`); part of the index fingerprint. */
  modelId: string;
  /** Folder of the saved indexes; this one lives in `<indexDir>/knowledge`. */
  indexDir: string;
  logger: KnowledgeBaseLogger;
  /** The vector length; probed with one embedding when absent. */
  dimension?: number;
  chunk?: ChunkOptions;
  /** See `HybridIndexOptions.vectorWeight`. */
  vectorWeight?: number;
  /** See `HybridIndexOptions.vectorLocales` (the model manifest's `languages`). */
  vectorLocales?: Locale[];
  /**
   * Chinese queries' own model (the multilingual one): a second index of every chunk,
   * embedded with it (`<indexDir>/knowledge-zh`, fingerprinted by its model id), answers
   * every query written in Chinese; the main index answers the rest.
   */
  zhRoute?: KnowledgeRoute;
}

/** A language's own embedding model for knowledge queries, with its own calibrated floor. */
export interface KnowledgeRoute {
  embeddings: EmbeddingsInterface;
  modelId: string;
  /** The vector length; probed with one embedding when absent. */
  dimension?: number;
  /**
   * The hybrid confidence (of this model's vectors) at which an answer is as trustworthy as
   * `DEFAULT_MIN_CONFIDENCE` is with the main model, calibrated on this language's
   * validation queries (`routeMinConfidence`). The route's hits report their confidence on
   * the shared scale (this floor maps onto `DEFAULT_MIN_CONFIDENCE`), so callers keep one floor.
   */
  minConfidence: number;
}

export interface KnowledgeBaseStats {
  articles: number;
  chunks: number;
  /** Whether the last open/reload had to rebuild the vector index (and why). */
  indexRebuilt: boolean;
  rebuildReason?: string;
  /** The Chinese route's index, when there is one. */
  zh?: { modelId: string; minConfidence: number; indexRebuilt: boolean; rebuildReason?: string };
}

const PAGE = 500;

/** One embedding model's index over every chunk, in its own folder. */
interface Lane {
  readonly folder: string;
  readonly embeddings: EmbeddingsInterface;
  readonly modelId: string;
  readonly dimension: number;
  readonly index: HybridIndex;
  rebuilt: boolean;
  rebuildReason: string | undefined;
}

/**
 * Maps a route's raw confidence onto the shared scale: piecewise linear through (0, 0),
 * (its floor, `DEFAULT_MIN_CONFIDENCE`) and (1, 1), so order is kept and the route's own
 * floor is where the shared one is. `inverse` maps a shared floor back to the route's scale.
 */
export function routeConfidence(confidence: number, floor: number, inverse = false): number {
  const a = DEFAULT_MIN_CONFIDENCE;
  const [from, to] = inverse ? [a, floor] : [floor, a];
  const c = Math.min(1, Math.max(0, confidence));
  const out = c <= from ? (from === 0 ? to : (c * to) / from) : to + ((c - from) * (1 - to)) / (1 - from);
  return Math.round(out * 1e4) / 1e4;
}

/**
 * The knowledge base the bot and the server use: the store's articles, chunked, in BM25
 * (memory) and an HNSW vector index (disk, fingerprinted by model, dimension and the
 * store's data version, rebuilt when missing, stale or corrupt). Writes go to the store
 * and both indexes at once, so an edited article is searchable immediately.
 */
export class KnowledgeBase {
  private readonly main: Lane;
  private readonly zh: Lane | undefined;
  /** The store data version the vector indexes reflect; a save marks them fresh only then. */
  private syncedVersion: string | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: KnowledgeBaseOptions,
    dimension: number,
    zhDimension: number | undefined,
  ) {
    const index = (embeddings: EmbeddingsInterface, dim: number, vectorLocales: Locale[] | undefined): HybridIndex =>
      new HybridIndex(embeddings, new HnswVectorStore(embeddings, { space: 'cosine', dimension: dim, initialCapacity: 1 }), {
        ...(opts.chunk ? { chunk: opts.chunk } : {}),
        ...(opts.vectorWeight !== undefined ? { vectorWeight: opts.vectorWeight } : {}),
        ...(vectorLocales !== undefined ? { vectorLocales } : {}),
      });
    const lane = (folder: string, embeddings: EmbeddingsInterface, modelId: string, dim: number, vectorLocales: Locale[] | undefined): Lane => ({
      folder,
      embeddings,
      modelId,
      dimension: dim,
      index: index(embeddings, dim, vectorLocales),
      rebuilt: false,
      rebuildReason: undefined,
    });
    this.main = lane('knowledge', opts.embeddings, opts.modelId, dimension, opts.vectorLocales);
    const route = opts.zhRoute;
    // The route's model speaks Chinese (that is why it was chosen): its vectors serve every query sent to it.
    this.zh = route && zhDimension !== undefined ? lane('knowledge-zh', route.embeddings, route.modelId, zhDimension, undefined) : undefined;
  }

  static async open(opts: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const route = opts.zhRoute;
    if (route && !(route.minConfidence > 0 && route.minConfidence < 1)) {
      throw new RangeError(`KnowledgeBase: zhRoute.minConfidence must be between 0 and 1, got ${route.minConfidence}`);
    }
    const dimension = opts.dimension ?? (await opts.embeddings.embedQuery('dimension probe')).length;
    const zhDimension = route ? (route.dimension ?? (await route.embeddings.embedQuery('dimension probe')).length) : undefined;
    const kb = new KnowledgeBase(opts, dimension, zhDimension);
    await kb.load();
    return kb;
  }

  private get lanes(): Lane[] {
    return this.zh ? [this.main, this.zh] : [this.main];
  }

  private dirOf(lane: Lane): string {
    return join(this.opts.indexDir, lane.folder);
  }

  /** The fingerprint's data version: the store's, plus the chunker's settings (a change there is a change of data too). */
  private indexVersion(storeVersion: string): string {
    const c = { ...DEFAULT_CHUNK_OPTIONS, ...this.opts.chunk };
    return `${storeVersion}|${CHUNKER_VERSION}:${c.maxChars}:${c.overlapChars}:${c.minChars}`;
  }

  private allArticles(): Promise<KnowledgeDocument[]> {
    return listAll((page) => this.opts.store.knowledge.list({}, { ...page, limit: PAGE }));
  }


  private async load(): Promise<void> {
    const storeVersion = await this.opts.store.knowledge.dataVersion();
    const articles = await this.allArticles();
    const chunks: IndexedChunk[] = articles.flatMap((a) => this.main.index.chunk(a));
    for (const lane of this.lanes) {
      const dir = this.dirOf(lane);
      const expected: ExpectedFingerprint = {
        modelId: lane.modelId,
        dimension: lane.dimension,
        space: 'cosine',
        dataVersion: this.indexVersion(storeVersion),
        count: chunks.length,
      };
      const started = Date.now();
      const result = await HnswVectorStore.openOrRebuild(dir, lane.embeddings, expected, async () => ({
        documents: chunks.map(chunkDocument),
      }));
      lane.index.reset(chunks, result.store);
      lane.rebuilt = result.rebuilt;
      lane.rebuildReason = result.reason;
      const fields = { articles: articles.length, chunks: chunks.length, modelId: lane.modelId, dir, ms: Date.now() - started };
      if (result.rebuilt) this.opts.logger.warn({ ...fields, reason: result.reason }, `knowledge index ${result.reason}: rebuilt from the store`);
      else this.opts.logger.info(fields, 'knowledge index loaded');
    }
    this.syncedVersion = storeVersion;
  }

  /** Runs writes one at a time: each ends with a save of the index directory. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /**
   * Hybrid BM25 + vector search; see `KbSearchOptions`. Never throws on a bad query. A query
   * written in Chinese goes to the Chinese route's index when there is one; its hits'
   * confidence is reported on the shared scale (see `KnowledgeRoute.minConfidence`).
   */
  async search(query: string, opts: { locale?: 'en' | 'zh'; k?: number } & Pick<KbSearchOptions, 'minConfidence' | 'mode'> = {}): Promise<KbHit[]> {
    const zh = this.zh;
    const floor = this.opts.zhRoute?.minConfidence;
    if (!zh || floor === undefined || detectLocale(sanitizeQuery(query)) !== 'zh') return this.main.index.search(query, opts);
    const shared = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    const hits = await zh.index.search(query, { ...opts, minConfidence: routeConfidence(shared, floor, true) });
    return hits.map((h) => ({ ...h, confidence: routeConfidence(h.confidence, floor) }));
  }

  /** Which model answers a query: the Chinese route's for Chinese text when there is one. */
  modelFor(query: string): string {
    return this.zh && detectLocale(sanitizeQuery(query)) === 'zh' ? this.zh.modelId : this.main.modelId;
  }

  /**
   * Inserts or updates the article (by slug and locale) and re-indexes it before
   * returning. The chunks are embedded first, so a failing model leaves the store untouched.
   */
  upsertArticle(input: KnowledgeInput): Promise<KnowledgeDocument> {
    return this.serial(async () => {
      const draft = this.main.index.chunk({ ...input, id: 'draft' });
      let vectors: number[][][] = [];
      for (const lane of this.lanes) vectors.push(await lane.index.embed(draft));
      const before = await this.opts.store.knowledge.dataVersion();
      const doc = await this.opts.store.knowledge.upsert(input);
      const chunks = this.main.index.chunk(doc);
      // Usually the same texts as the draft (only ids differ); the store may have normalised a field.
      const same = chunks.length === draft.length && chunks.every((c, i) => c.indexText === draft[i]?.indexText);
      if (!same) {
        vectors = [];
        for (const lane of this.lanes) vectors.push(await lane.index.embed(chunks));
      }
      for (const [i, lane] of this.lanes.entries()) await lane.index.put(doc.id, chunks, vectors[i]!);
      await this.saveIfSynced(before);
      return doc;
    });
  }

  /** Deletes an article by id from the store and both indexes; false when it did not exist. */
  deleteArticle(id: string): Promise<boolean> {
    return this.serial(async () => {
      const before = await this.opts.store.knowledge.dataVersion();
      const deleted = await this.opts.store.knowledge.delete(id);
      let removed = false;
      for (const lane of this.lanes) removed = (await lane.index.remove(id)) || removed;
      if (deleted || removed) await this.saveIfSynced(before);
      return deleted;
    });
  }

  /** Re-reads the store (after another node changed it): loads the saved index if it is fresh, else rebuilds. */
  reload(): Promise<void> {
    return this.serial(() => this.load());
  }

  /**
   * Reloads when the store's knowledge changed behind this process's back (the CLI's
   * `kb:add`, another node without Redis, a direct database write); true when it did.
   * Cheap when nothing changed: one data-version read.
   */
  refreshIfChanged(): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.opts.store.knowledge.dataVersion()) === this.syncedVersion) return false;
      this.opts.logger.info({ dir: this.dirOf(this.main) }, 'knowledge changed outside this server: reloading');
      await this.load();
      return true;
    });
  }

  /** Reads straight from the store (the admin API and the /help pages). */
  getArticle(id: string): Promise<KnowledgeDocument | null> {
    return this.opts.store.knowledge.get(id);
  }

  getArticleBySlug(slug: string, locale: Locale): Promise<KnowledgeDocument | null> {
    return this.opts.store.knowledge.getBySlug(slug, locale);
  }

  listArticles(filter?: { locale?: Locale; category?: string }, page?: PageRequest): Promise<Page<KnowledgeDocument>> {
    return this.opts.store.knowledge.list(filter, page);
  }

  stats(): KnowledgeBaseStats {
    const { main, zh } = this;
    return {
      articles: main.index.articleCount,
      chunks: main.index.chunkCount,
      indexRebuilt: main.rebuilt,
      ...(main.rebuildReason !== undefined ? { rebuildReason: main.rebuildReason } : {}),
      ...(zh && this.opts.zhRoute
        ? {
            zh: {
              modelId: zh.modelId,
              minConfidence: this.opts.zhRoute.minConfidence,
              indexRebuilt: zh.rebuilt,
              ...(zh.rebuildReason !== undefined ? { rebuildReason: zh.rebuildReason } : {}),
            },
          }
        : {}),
    };
  }

  /**
   * Saves the index stamped with the store's new data version, but only when the index
   * was in step with the store before this write: if someone else wrote meanwhile, the
   * saved index keeps an old version and the next open rebuilds it rather than miss their change.
   */
  private async saveIfSynced(before: string): Promise<void> {
    const after = await this.opts.store.knowledge.dataVersion();
    if (this.syncedVersion === before) {
      this.syncedVersion = after;
      for (const lane of this.lanes) lane.index.vectorStore.dataVersion = this.indexVersion(after);
    } else {
      this.opts.logger.warn({ dir: this.dirOf(this.main) }, 'knowledge store changed by another writer: the saved index will be rebuilt on the next reload');
    }
    for (const lane of this.lanes) await saveAtomically(lane.index.vectorStore, this.dirOf(lane));
  }
}

/** Save into a sibling temp folder, then swap it in: a crash never leaves a half-written index. */
async function saveAtomically(store: HnswVectorStore, directory: string): Promise<void> {
  const parent = dirname(directory);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomUUID()}`;
  const tmp = join(parent, `.${basename(directory)}.tmp-${suffix}`);
  const aside = join(parent, `.${basename(directory)}.old-${suffix}`);
  try {
    await store.save(tmp);
    const moved = await rename(directory, aside).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await rename(tmp, directory);
    if (moved) await rm(aside, { recursive: true, force: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
