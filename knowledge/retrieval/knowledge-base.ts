import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { KnowledgeDocument, KnowledgeInput, Locale, Page, PageRequest, Store } from '../../store/index.js';
import { listAll } from '../../store/index.js';
import { CHUNKER_VERSION, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from '../ingest/index.js';
import { HnswVectorStore, type ExpectedFingerprint } from '../vector-store/index.js';
import { chunkDocument, HybridIndex, type IndexedChunk, type KbHit, type KbSearchOptions } from './hybrid-index.js';

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
}

export interface KnowledgeBaseStats {
  articles: number;
  chunks: number;
  /** Whether the last open/reload had to rebuild the vector index (and why). */
  indexRebuilt: boolean;
  rebuildReason?: string;
}

const PAGE = 500;

/**
 * The knowledge base the bot and the server use: the store's articles, chunked, in BM25
 * (memory) and an HNSW vector index (disk, fingerprinted by model, dimension and the
 * store's data version, rebuilt when missing, stale or corrupt). Writes go to the store
 * and both indexes at once, so an edited article is searchable immediately.
 */
export class KnowledgeBase {
  private readonly index: HybridIndex;
  private rebuilt = false;
  private rebuildReason: string | undefined;
  /** The store data version the vector index reflects; a save marks the index fresh only then. */
  private syncedVersion: string | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: KnowledgeBaseOptions,
    private readonly dimension: number,
    vectors: HnswVectorStore,
  ) {
    this.index = new HybridIndex(opts.embeddings, vectors, {
      ...(opts.chunk ? { chunk: opts.chunk } : {}),
      ...(opts.vectorWeight !== undefined ? { vectorWeight: opts.vectorWeight } : {}),
      ...(opts.vectorLocales !== undefined ? { vectorLocales: opts.vectorLocales } : {}),
    });
  }

  static async open(opts: KnowledgeBaseOptions): Promise<KnowledgeBase> {
    const dimension = opts.dimension ?? (await opts.embeddings.embedQuery('dimension probe')).length;
    const placeholder = new HnswVectorStore(opts.embeddings, { space: 'cosine', dimension, initialCapacity: 1 });
    const kb = new KnowledgeBase(opts, dimension, placeholder);
    await kb.load();
    return kb;
  }

  private get dir(): string {
    return join(this.opts.indexDir, 'knowledge');
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
    const chunks: IndexedChunk[] = articles.flatMap((a) => this.index.chunk(a));
    const expected: ExpectedFingerprint = {
      modelId: this.opts.modelId,
      dimension: this.dimension,
      space: 'cosine',
      dataVersion: this.indexVersion(storeVersion),
      count: chunks.length,
    };
    const started = Date.now();
    const result = await HnswVectorStore.openOrRebuild(this.dir, this.opts.embeddings, expected, async () => ({
      documents: chunks.map(chunkDocument),
    }));
    this.index.reset(chunks, result.store);
    this.syncedVersion = storeVersion;
    this.rebuilt = result.rebuilt;
    this.rebuildReason = result.reason;
    const fields = { articles: articles.length, chunks: chunks.length, modelId: this.opts.modelId, dir: this.dir, ms: Date.now() - started };
    if (result.rebuilt) this.opts.logger.warn({ ...fields, reason: result.reason }, `knowledge index ${result.reason}: rebuilt from the store`);
    else this.opts.logger.info(fields, 'knowledge index loaded');
  }

  /** Runs writes one at a time: each ends with a save of the index directory. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Hybrid BM25 + vector search; see `KbSearchOptions`. Never throws on a bad query. */
  search(query: string, opts?: { locale?: 'en' | 'zh'; k?: number } & Pick<KbSearchOptions, 'minConfidence' | 'mode'>): Promise<KbHit[]> {
    return this.index.search(query, opts);
  }

  /**
   * Inserts or updates the article (by slug and locale) and re-indexes it before
   * returning. The chunks are embedded first, so a failing model leaves the store untouched.
   */
  upsertArticle(input: KnowledgeInput): Promise<KnowledgeDocument> {
    return this.serial(async () => {
      const draft = this.index.chunk({ ...input, id: 'draft' });
      let vectors = await this.index.embed(draft);
      const before = await this.opts.store.knowledge.dataVersion();
      const doc = await this.opts.store.knowledge.upsert(input);
      const chunks = this.index.chunk(doc);
      // Usually the same texts as the draft (only ids differ); the store may have normalised a field.
      const same = chunks.length === draft.length && chunks.every((c, i) => c.indexText === draft[i]?.indexText);
      if (!same) vectors = await this.index.embed(chunks);
      await this.index.put(doc.id, chunks, vectors);
      await this.saveIfSynced(before);
      return doc;
    });
  }

  /** Deletes an article by id from the store and both indexes; false when it did not exist. */
  deleteArticle(id: string): Promise<boolean> {
    return this.serial(async () => {
      const before = await this.opts.store.knowledge.dataVersion();
      const deleted = await this.opts.store.knowledge.delete(id);
      const removed = await this.index.remove(id);
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
      this.opts.logger.info({ dir: this.dir }, 'knowledge changed outside this server: reloading');
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
    return {
      articles: this.index.articleCount,
      chunks: this.index.chunkCount,
      indexRebuilt: this.rebuilt,
      ...(this.rebuildReason !== undefined ? { rebuildReason: this.rebuildReason } : {}),
    };
  }

  /**
   * Saves the index stamped with the store's new data version, but only when the index
   * was in step with the store before this write: if someone else wrote meanwhile, the
   * saved index keeps an old version and the next open rebuilds it rather than miss their change.
   */
  private async saveIfSynced(before: string): Promise<void> {
    const after = await this.opts.store.knowledge.dataVersion();
    const vectors = this.index.vectorStore;
    if (this.syncedVersion === before) {
      this.syncedVersion = after;
      vectors.dataVersion = this.indexVersion(after);
    } else {
      this.opts.logger.warn({ dir: this.dir }, 'knowledge store changed by another writer: the saved index will be rebuilt on the next reload');
    }
    await saveAtomically(vectors, this.dir);
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
