import { randomUUID, createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, dirname, basename } from 'node:path';
// hnswlib-node is CommonJS: the default import is its module.exports object.
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as HierarchicalNSWType } from 'hnswlib-node';
import { Document } from '@langchain/core/documents';
import type { DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { SaveableVectorStore } from '@langchain/core/vectorstores';
import { ShopError } from '../../store/index.js';

const { HierarchicalNSW } = hnswlib;

export type HnswSpace = 'cosine' | 'ip';

/**
 * A typed filter: a predicate over the stored document, or metadata equality
 * (`{ locale: 'zh', kind: 'faq' }` keeps documents whose metadata has every listed value).
 */
export type HnswFilter = ((doc: DocumentInterface) => boolean) | Record<string, unknown>;

export interface HnswVectorStoreOptions {
  space: HnswSpace;
  dimension: number;
  /** Slots allocated up front; the index doubles when full. */
  initialCapacity?: number;
  M?: number;
  efConstruction?: number;
  /** Search beam width; re-applied after load because hnswlib resets it to 10. */
  efSearch?: number;
  seed?: number;
  /** Recorded in the fingerprint so a model change makes a saved index stale. */
  modelId?: string;
  /** Recorded in the fingerprint so a change of the source data makes a saved index stale. */
  dataVersion?: string;
}

/** What a saved index was built from; any difference from the expected one means "rebuild". */
export interface Fingerprint {
  modelId: string;
  dimension: number;
  space: HnswSpace;
  dataVersion: string;
  count: number;
}

/** `count` is optional: callers that know how many documents the source holds may check it too. */
export type ExpectedFingerprint = Omit<Fingerprint, 'count'> & { count?: number };

export interface HnswLoadOptions {
  expected?: ExpectedFingerprint;
  efSearch?: number;
}

export interface RebuildSource {
  documents: DocumentInterface[];
  /** Precomputed vectors, one per document; embedded in batches when absent. */
  vectors?: number[][];
}

export interface OpenOrRebuildResult {
  store: HnswVectorStore;
  rebuilt: boolean;
  reason?: 'missing' | 'stale' | 'corrupt';
}

export interface OpenOrRebuildOptions {
  /** Construction options for a rebuilt index (space and dimension come from `expected`). */
  index?: Omit<HnswVectorStoreOptions, 'space' | 'dimension' | 'modelId' | 'dataVersion'>;
  batchSize?: number;
}

/**
 * `searchKnn` runs synchronously on the main thread, so a query blocks the event loop for
 * its whole duration. k is capped here to keep one query well under a millisecond-scale budget.
 */
export const MAX_K = 100;

const INDEX_FILE = 'index.bin';
const DOCSTORE_FILE = 'docstore.json';
const FINGERPRINT_FILE = 'fingerprint.json';
const DEFAULT_CAPACITY = 1024;
const DEFAULT_M = 16;
const DEFAULT_EF_CONSTRUCTION = 200;
const DEFAULT_EF_SEARCH = 64;
const DEFAULT_SEED = 100;
const DEFAULT_BATCH = 64;

interface StoredEntry {
  id: string;
  label: number;
  document: { pageContent: string; metadata: Record<string, unknown> };
}

interface DocstoreFile {
  version: 1;
  nextLabel: number;
  /** Guards the native reader: a damaged index.bin is detected before hnswlib parses it. */
  indexSha256: string;
  entries: StoredEntry[];
}

interface Entry {
  id: string;
  document: Document;
}

/**
 * A LangChain vector store over hnswlib-node with string ids, upsert, delete with slot
 * reuse, automatic growth, metadata filters and a fingerprinted on-disk form.
 */
export class HnswVectorStore extends SaveableVectorStore {
  declare FilterType: HnswFilter;

  readonly space: HnswSpace;
  readonly dimension: number;
  readonly modelId: string;
  dataVersion: string;
  private readonly efSearch: number;
  private index: HierarchicalNSWType;
  private readonly byLabel = new Map<number, Entry>();
  private readonly labelById = new Map<string, number>();
  // Labels are never reused: hnswlib's replaceDeleted reassigns an arbitrary deleted slot
  // and erases that slot's old label, so reusing a label could unmap a live element.
  private nextLabel = 0;

  constructor(embeddings: EmbeddingsInterface, options: HnswVectorStoreOptions, loadedIndex?: HierarchicalNSWType) {
    super(embeddings, options);
    if (options.space !== 'cosine' && options.space !== 'ip') {
      throw new ShopError('config_invalid', `HnswVectorStore: space must be 'cosine' or 'ip', got ${String(options.space)}`);
    }
    if (!Number.isInteger(options.dimension) || options.dimension <= 0) {
      throw new ShopError('config_invalid', 'HnswVectorStore: dimension must be a positive integer');
    }
    this.space = options.space;
    this.dimension = options.dimension;
    this.modelId = options.modelId ?? 'unknown';
    this.dataVersion = options.dataVersion ?? '0';
    this.efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
    if (loadedIndex) {
      this.index = loadedIndex;
    } else {
      this.index = new HierarchicalNSW(this.space, this.dimension);
      this.index.initIndex(
        Math.max(1, options.initialCapacity ?? DEFAULT_CAPACITY),
        options.M ?? DEFAULT_M,
        options.efConstruction ?? DEFAULT_EF_CONSTRUCTION,
        options.seed ?? DEFAULT_SEED,
        true,
      );
    }
    this.index.setEf(this.efSearch);
  }

  override _vectorstoreType(): string {
    return 'hnsw';
  }

  /** Live documents (deleted ones excluded). */
  get size(): number {
    return this.byLabel.size;
  }

  /** Slots in use in the native index, deleted ones included; does not grow when a freed slot is reused. */
  getCurrentCount(): number {
    return this.index.getCurrentCount();
  }

  getMaxElements(): number {
    return this.index.getMaxElements();
  }

  getEf(): number {
    return this.index.getEf();
  }

  fingerprint(): Fingerprint {
    return { modelId: this.modelId, dimension: this.dimension, space: this.space, dataVersion: this.dataVersion, count: this.size };
  }

  override async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  /** Upserts: a document whose id is already stored replaces it. */
  override async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (vectors.length !== documents.length) {
      throw new ShopError('bad_request', `addVectors: ${vectors.length} vectors for ${documents.length} documents`);
    }
    if (options?.ids && options.ids.length !== documents.length) {
      throw new ShopError('bad_request', `addVectors: ${options.ids.length} ids for ${documents.length} documents`);
    }
    const ids: string[] = [];
    for (let i = 0; i < documents.length; i++) {
      const doc = documents[i] as DocumentInterface;
      const id = options?.ids?.[i] ?? doc.id ?? randomUUID();
      this.upsertOne(id, this.checkVector(vectors[i] as number[]), doc);
      ids.push(id);
    }
    return ids;
  }

  override async delete(params?: { ids?: string[] }): Promise<void> {
    for (const id of params?.ids ?? []) this.removeId(id);
  }

  override async similaritySearchVectorWithScore(
    query: number[],
    k: number,
    filter?: this['FilterType'],
  ): Promise<[Document, number][]> {
    const point = this.checkVector(query);
    const bounded = Math.min(Math.max(0, Math.floor(k)), this.size, MAX_K);
    if (bounded === 0) return [];
    const keep = filter === undefined ? undefined : toPredicate(filter);
    // Without a filter, no callback: hnswlib would call back into JS for every candidate it
    // visits, halving throughput (bench/hnsw). Removed labels are markDeleted, so hnswlib
    // skips them itself; the loop below still drops any label we no longer map.
    const labelFilter =
      keep === undefined
        ? undefined
        : (label: number): boolean => {
            const entry = this.byLabel.get(label);
            return entry !== undefined && keep(entry.document);
          };
    const { neighbors, distances } = labelFilter ? this.index.searchKnn(point, bounded, labelFilter) : this.index.searchKnn(point, bounded);
    const out: [Document, number][] = [];
    for (let i = 0; i < neighbors.length; i++) {
      const entry = this.byLabel.get(neighbors[i] as number);
      if (!entry) continue;
      // hnswlib returns 1 - cos for cosine and 1 - dot for ip, so both scores are 1 - distance.
      out.push([cloneDocument(entry.document), 1 - (distances[i] as number)]);
    }
    return out.sort((a, b) => b[1] - a[1]);
  }

  override async save(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    const indexPath = join(directory, INDEX_FILE);
    await this.index.writeIndex(indexPath);
    const indexSha256 = sha256(await readFile(indexPath));
    const entries: StoredEntry[] = [];
    for (const [label, entry] of this.byLabel) {
      entries.push({ id: entry.id, label, document: { pageContent: entry.document.pageContent, metadata: entry.document.metadata } });
    }
    const docstore: DocstoreFile = { version: 1, nextLabel: this.nextLabel, indexSha256, entries };
    await writeFile(join(directory, DOCSTORE_FILE), JSON.stringify(docstore));
    // Written last: a directory with a fingerprint holds a complete save.
    await writeFile(join(directory, FINGERPRINT_FILE), JSON.stringify(this.fingerprint()));
  }

  /**
   * Loads a saved store. Throws `precondition_failed` when the fingerprint differs from
   * `expected` (rebuild), `unavailable` when files are missing or unreadable (rebuild too).
   */
  static override async load(directory: string, embeddings: EmbeddingsInterface, options?: HnswLoadOptions): Promise<HnswVectorStore> {
    const fingerprint = parseFingerprint(await readText(join(directory, FINGERPRINT_FILE)));
    const expected = options?.expected;
    if (expected) {
      const diff = fingerprintDiff(fingerprint, expected);
      if (diff) throw new ShopError('precondition_failed', `index is stale: ${diff}`, { details: { directory } });
    }
    const docstore = parseDocstore(await readText(join(directory, DOCSTORE_FILE)));
    const indexPath = join(directory, INDEX_FILE);
    let indexBytes: Buffer;
    try {
      indexBytes = await readFile(indexPath);
    } catch (cause) {
      throw new ShopError('unavailable', `index is corrupt: cannot read ${INDEX_FILE}`, { cause });
    }
    if (sha256(indexBytes) !== docstore.indexSha256) {
      throw new ShopError('unavailable', `index is corrupt: ${INDEX_FILE} checksum mismatch`);
    }
    const index = new HierarchicalNSW(fingerprint.space, fingerprint.dimension);
    try {
      await index.readIndex(indexPath, true);
    } catch (cause) {
      throw new ShopError('unavailable', `index is corrupt: ${INDEX_FILE} unreadable`, { cause });
    }
    if (index.getNumDimensions() !== fingerprint.dimension) {
      throw new ShopError('unavailable', 'index is corrupt: dimension differs from fingerprint');
    }
    const store = new HnswVectorStore(
      embeddings,
      {
        space: fingerprint.space,
        dimension: fingerprint.dimension,
        modelId: fingerprint.modelId,
        dataVersion: fingerprint.dataVersion,
        ...(options?.efSearch !== undefined ? { efSearch: options.efSearch } : {}),
      },
      index,
    );
    store.nextLabel = docstore.nextLabel;
    for (const e of docstore.entries) {
      const document = new Document({ pageContent: e.document.pageContent, metadata: e.document.metadata, id: e.id });
      store.byLabel.set(e.label, { id: e.id, document });
      store.labelById.set(e.id, e.label);
    }
    if (store.size !== fingerprint.count) {
      throw new ShopError('unavailable', 'index is corrupt: document count differs from fingerprint');
    }
    return store;
  }

  /**
   * Loads the saved index when it is fresh; otherwise rebuilds it from `rebuild()`, saves it
   * atomically and returns it with the reason, so the caller can log one warning.
   */
  static async openOrRebuild(
    directory: string,
    embeddings: EmbeddingsInterface,
    expected: ExpectedFingerprint,
    rebuild: () => Promise<RebuildSource>,
    options?: OpenOrRebuildOptions,
  ): Promise<OpenOrRebuildResult> {
    const efSearch = options?.index?.efSearch;
    let reason: 'missing' | 'stale' | 'corrupt';
    if (!(await exists(join(directory, FINGERPRINT_FILE)))) {
      reason = 'missing';
    } else {
      try {
        const store = await HnswVectorStore.load(directory, embeddings, {
          expected,
          ...(efSearch !== undefined ? { efSearch } : {}),
        });
        return { store, rebuilt: false };
      } catch (err) {
        if (!(err instanceof ShopError)) throw err;
        if (err.code === 'precondition_failed') reason = 'stale';
        else if (err.code === 'unavailable') reason = 'corrupt';
        else throw err;
      }
    }
    const source = await rebuild();
    const store = new HnswVectorStore(embeddings, {
      ...options?.index,
      initialCapacity: options?.index?.initialCapacity ?? Math.max(16, source.documents.length),
      space: expected.space,
      dimension: expected.dimension,
      modelId: expected.modelId,
      dataVersion: expected.dataVersion,
    });
    const batch = Math.max(1, options?.batchSize ?? DEFAULT_BATCH);
    for (let start = 0; start < source.documents.length; start += batch) {
      const docs = source.documents.slice(start, start + batch);
      const vectors = source.vectors
        ? source.vectors.slice(start, start + batch)
        : await embeddings.embedDocuments(docs.map((d) => d.pageContent));
      await store.addVectors(vectors, docs);
    }
    await saveAtomically(store, directory);
    return { store, rebuilt: true, reason };
  }

  private upsertOne(id: string, vector: number[], doc: DocumentInterface): void {
    // Free the old slot first so the replacement can take it and the count stays put.
    this.removeId(id);
    if (this.index.getCurrentCount() - this.size <= 0 && this.index.getCurrentCount() >= this.index.getMaxElements()) {
      // At least the default: an empty index read back from disk has room for 0 (hnswlib sizes a loaded index to its count).
      this.index.resizeIndex(Math.max(DEFAULT_CAPACITY, this.index.getMaxElements() * 2));
    }
    const label = this.nextLabel++;
    this.index.addPoint(vector, label, true);
    const document = new Document({ pageContent: doc.pageContent, metadata: { ...doc.metadata }, id });
    this.byLabel.set(label, { id, document });
    this.labelById.set(id, label);
  }

  private removeId(id: string): void {
    const label = this.labelById.get(id);
    if (label === undefined) return;
    this.index.markDelete(label);
    this.labelById.delete(id);
    this.byLabel.delete(label);
  }

  private checkVector(vector: ArrayLike<number>): number[] {
    if (!vector || vector.length !== this.dimension) {
      throw new ShopError('bad_request', `vector has ${vector?.length ?? 0} dimensions, the index ${this.dimension}`);
    }
    // hnswlib-node rejects typed arrays; embedders may return Float32Array.
    return Array.isArray(vector) ? (vector as number[]) : Array.from(vector);
  }
}

function toPredicate(filter: HnswFilter): (doc: DocumentInterface) => boolean {
  if (typeof filter === 'function') return filter;
  const pairs = Object.entries(filter);
  return (doc) => pairs.every(([key, value]) => doc.metadata[key] === value);
}

function cloneDocument(doc: Document): Document {
  return new Document({ pageContent: doc.pageContent, metadata: { ...doc.metadata }, ...(doc.id !== undefined ? { id: doc.id } : {}) });
}

function fingerprintDiff(actual: Fingerprint, expected: ExpectedFingerprint): string | undefined {
  const keys = ['modelId', 'dimension', 'space', 'dataVersion', 'count'] as const;
  for (const key of keys) {
    const want = expected[key];
    if (want === undefined) continue;
    if (actual[key] !== want) return `${key} is ${JSON.stringify(actual[key])}, expected ${JSON.stringify(want)}`;
  }
  return undefined;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new ShopError('unavailable', `index is corrupt: cannot read ${basename(path)}`, { cause });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ShopError('unavailable', `index is corrupt: ${file} is not JSON`, { cause });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseFingerprint(text: string): Fingerprint {
  const v = parseJson(text, FINGERPRINT_FILE);
  if (
    !isRecord(v) ||
    typeof v.modelId !== 'string' ||
    typeof v.dimension !== 'number' ||
    (v.space !== 'cosine' && v.space !== 'ip') ||
    typeof v.dataVersion !== 'string' ||
    typeof v.count !== 'number'
  ) {
    throw new ShopError('unavailable', `index is corrupt: ${FINGERPRINT_FILE} has the wrong shape`);
  }
  return { modelId: v.modelId, dimension: v.dimension, space: v.space, dataVersion: v.dataVersion, count: v.count };
}

function parseDocstore(text: string): DocstoreFile {
  const v = parseJson(text, DOCSTORE_FILE);
  const bad = (): ShopError => new ShopError('unavailable', `index is corrupt: ${DOCSTORE_FILE} has the wrong shape`);
  if (!isRecord(v) || v.version !== 1 || typeof v.nextLabel !== 'number' || typeof v.indexSha256 !== 'string' || !Array.isArray(v.entries)) {
    throw bad();
  }
  const entries: StoredEntry[] = [];
  for (const e of v.entries as unknown[]) {
    if (!isRecord(e) || typeof e.id !== 'string' || typeof e.label !== 'number' || !isRecord(e.document)) throw bad();
    const { pageContent, metadata } = e.document;
    if (typeof pageContent !== 'string' || !isRecord(metadata)) throw bad();
    entries.push({ id: e.id, label: e.label, document: { pageContent, metadata } });
  }
  return { version: 1, nextLabel: v.nextLabel, indexSha256: v.indexSha256, entries };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes into a sibling temp dir and renames it into place, so a crash mid-save never
 * leaves a half-written index that another node would load.
 */
async function saveAtomically(store: HnswVectorStore, directory: string): Promise<void> {
  const parent = dirname(directory);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomUUID()}`;
  const tmp = join(parent, `.${basename(directory)}.tmp-${suffix}`);
  const old = join(parent, `.${basename(directory)}.old-${suffix}`);
  try {
    await store.save(tmp);
    // Another writer (a second node, or a concurrent call) may put a directory in place
    // between our two renames; move it aside again and retry rather than fail the rebuild.
    for (let attempt = 0; ; attempt++) {
      const aside = `${old}-${attempt}`;
      const movedAside = await rename(directory, aside).then(
        () => true,
        (err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return false;
          throw err;
        },
      );
      try {
        await rename(tmp, directory);
        if (movedAside) await rm(aside, { recursive: true, force: true });
        return;
      } catch (err) {
        if (movedAside) await rm(aside, { recursive: true, force: true });
        const code = errnoCode(err);
        if (attempt >= 5 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw err;
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function errnoCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
}
