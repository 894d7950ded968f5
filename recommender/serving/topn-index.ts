import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// hnswlib-node is CommonJS: the default import is its module.exports object.
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW as HierarchicalNSWType } from 'hnswlib-node';
import { ShopError } from '../../store/errors.js';
import type { FactorModel, Scored } from '../types.js';

const { HierarchicalNSW } = hnswlib;

/**
 * `searchKnn` runs synchronously on the main thread, so every query blocks the event loop.
 * Both the answer length and the candidate pool are bounded to keep one query short.
 */
export const MAX_K = 100;
/** The widest candidate pool asked of the index. */
export const MAX_POOL = 2_000;
/** The widest search beam `setEf` accepts (a beam of 1,000 already costs about a brute-force scan of 10k items). */
export const MAX_EF = 1_000;

/**
 * How item vectors go into the index.
 * - `ip` (default): the folded vectors as they are, in hnswlib's inner-product space.
 * - `mips`: the standard MIPS→cosine reduction (Bachrach et al., 2014): every item vector
 *   gets one extra component sqrt(N² − ‖x‖²), N the largest item norm, and the query a 0, so
 *   all items lie on one sphere and the largest cosine is the largest inner product.
 * Inner product is not a metric, and the reduction is the textbook fix when norms vary; but
 * measured here (bench/rec-serving: biased MF on MovieLens with norms 0.4–2.1, and random
 * factors with norms varying ×5) plain `ip` had the better recall at every ef (MF, ef 40:
 * 0.99 against 0.78), as Morozov & Babenko (NeurIPS 2018) also found for graph indexes: the
 * extra component crowds low-norm items together and the walk wastes its steps there.
 */
export type IndexTransform = 'mips' | 'ip';

export interface TopNIndexOptions {
  M?: number;
  efConstruction?: number;
  /** Search beam width (re-applied after load: hnswlib resets it to 10). */
  ef?: number;
  seed?: number;
  transform?: IndexTransform;
  /**
   * Names the model's weights (e.g. a training run id). When given, it stands in for the
   * hash of the item vectors in the fingerprint; otherwise the vectors are hashed.
   */
  modelVersion?: string;
}

export interface RecommendOptions {
  /** Keep only items for which this returns true (in stock, category, price range). */
  filter?: (item: string) => boolean;
  /** Items never to return (already bought, already shown). */
  exclude?: Set<string>;
}

/** What a saved index was built from; `load` returns null when the model's differs. */
export interface TopNFingerprint {
  version: 1;
  items: number;
  dimension: number;
  transform: IndexTransform;
  /** `modelVersion` when given at build, else `sha256:` of the ids and vectors. */
  model: string;
}

interface SavedMeta {
  fingerprint: TopNFingerprint;
  ef: number;
  maxNorm: number;
  indexSha256: string;
}

const INDEX_FILE = 'topn.bin';
const META_FILE = 'topn.json';
const DEFAULTS = { M: 16, efConstruction: 200, ef: 50, seed: 100 } as const;

/**
 * Top-N recommendations from an HNSW index over a `FactorModel`'s folded item vectors.
 * The index only proposes candidates; each returned item carries its exact model score
 * (offset + dot), and the list is sorted by that score. Item labels in the index are the
 * row numbers of `model.itemVectors()`.
 */
export class TopNIndex {
  readonly transform: IndexTransform;
  readonly fingerprint: TopNFingerprint;
  private readonly model: FactorModel;
  private readonly ids: string[];
  private readonly vectors: Float32Array;
  private readonly dim: number;
  private readonly index: HierarchicalNSWType;
  private readonly maxNorm: number;
  private efSearch: number;

  private constructor(
    model: FactorModel,
    items: { ids: string[]; vectors: Float32Array },
    index: HierarchicalNSWType,
    state: { fingerprint: TopNFingerprint; ef: number; maxNorm: number },
  ) {
    this.model = model;
    this.ids = items.ids;
    this.vectors = items.vectors;
    this.dim = model.dimension;
    this.index = index;
    this.fingerprint = state.fingerprint;
    this.transform = state.fingerprint.transform;
    this.maxNorm = state.maxNorm;
    this.efSearch = 0;
    this.setEf(state.ef);
  }

  static build(model: FactorModel, opts: TopNIndexOptions = {}): TopNIndex {
    const items = model.itemVectors();
    const dim = model.dimension;
    checkShape(items, dim);
    const transform = opts.transform ?? 'ip';
    const n = items.ids.length;
    let maxNorm = 0;
    for (let r = 0; r < n; r++) maxNorm = Math.max(maxNorm, Math.sqrt(sqNorm(items.vectors, r * dim, dim)));
    const index = new HierarchicalNSW(transform === 'mips' ? 'cosine' : 'ip', transform === 'mips' ? dim + 1 : dim);
    index.initIndex(Math.max(1, n), opts.M ?? DEFAULTS.M, opts.efConstruction ?? DEFAULTS.efConstruction, opts.seed ?? DEFAULTS.seed);
    for (let r = 0; r < n; r++) index.addPoint(indexPoint(items.vectors, r, dim, transform, maxNorm), r);
    const fingerprint = fingerprintOf(items, dim, transform, opts.modelVersion);
    return new TopNIndex(model, items, index, { fingerprint, ef: opts.ef ?? DEFAULTS.ef, maxNorm });
  }

  get size(): number {
    return this.ids.length;
  }

  get ef(): number {
    return this.efSearch;
  }

  /** Changes the search beam width (recall against speed); bench/rec-serving sweeps it. */
  setEf(ef: number): void {
    this.efSearch = Math.min(MAX_EF, Math.max(1, Math.floor(ef)));
    this.index.setEf(this.efSearch);
  }

  /** Writes the index and its fingerprint; the metadata file is written last, by rename. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const indexPath = join(dir, INDEX_FILE);
    this.index.writeIndexSync(indexPath);
    const meta: SavedMeta = {
      fingerprint: this.fingerprint,
      ef: this.efSearch,
      maxNorm: this.maxNorm,
      indexSha256: sha256(readFileSync(indexPath)),
    };
    const tmp = join(dir, `${META_FILE}.tmp-${process.pid}`);
    writeFileSync(tmp, JSON.stringify(meta));
    renameSync(tmp, join(dir, META_FILE));
  }

  /**
   * The saved index when it was built from this model's current item vectors; null when
   * the files are missing, damaged, or stale (another item count, dimension, transform or
   * model version/vector hash): the caller rebuilds.
   */
  static load(dir: string, model: FactorModel, opts: Pick<TopNIndexOptions, 'modelVersion' | 'ef'> = {}): TopNIndex | null {
    const metaPath = join(dir, META_FILE);
    const indexPath = join(dir, INDEX_FILE);
    if (!existsSync(metaPath) || !existsSync(indexPath)) return null;
    let meta: SavedMeta;
    try {
      meta = parseMeta(JSON.parse(readFileSync(metaPath, 'utf8')) as unknown);
    } catch {
      return null;
    }
    const items = model.itemVectors();
    const dim = model.dimension;
    if (items.vectors.length !== items.ids.length * dim) return null;
    const current = fingerprintOf(items, dim, meta.fingerprint.transform, opts.modelVersion);
    if (!sameFingerprint(current, meta.fingerprint)) return null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(indexPath);
    } catch {
      return null;
    }
    if (sha256(bytes) !== meta.indexSha256) return null;
    const space = meta.fingerprint.transform === 'mips' ? 'cosine' : 'ip';
    const index = new HierarchicalNSW(space, meta.fingerprint.transform === 'mips' ? dim + 1 : dim);
    try {
      index.readIndexSync(indexPath);
    } catch {
      return null;
    }
    if (index.getCurrentCount() !== items.ids.length) return null;
    return new TopNIndex(model, items, index, { fingerprint: meta.fingerprint, ef: opts.ef ?? meta.ef, maxNorm: meta.maxNorm });
  }

  /**
   * The top `k` items for `user` by exact model score (offset + dot), best first, from the
   * index's candidates. First the k×4 nearest items, with no callback into JS during the
   * walk; the filter and `exclude` then drop candidates. When fewer than k survive, the pool
   * widens over matching items only:
   * - if at least 1 in 8 of the first pool passed, hnswlib's filtered search asked for k×4
   *   items that pass (the predicate is called during the walk);
   * - if fewer passed (a narrow category, or a heavy buyer whose best items are all
   *   excluded), an exact scan of every item. A narrow filter is where an inner-product graph
   *   fails: low-norm items have almost no in-links (nobody's best neighbour), so a walk
   *   restricted to a few of them misses some (measured: recall 0.91 with a 1-in-100 filter
   *   through hnswlib's filtered search, 1.0 by scanning). The scan asks the filter only
   *   about items that would enter the top k, and costs one brute-force query.
   * Pools are bounded by MAX_POOL; the search beam is max(ef, pool). A user the model never
   * saw gets [] (the caller handles cold start).
   */
  recommend(user: string, k: number, opts: RecommendOptions = {}): Scored[] {
    const want = Math.min(Math.max(0, Math.floor(k)), MAX_K, this.size);
    const u = this.model.userVector(user);
    if (want === 0 || !u) return [];
    const offset = this.model.offset(user);
    const query = this.queryPoint(u);
    const keep = acceptor(this.ids, opts);
    let pool = Math.min(this.size, MAX_POOL, want * 4);
    const first = this.index.searchKnn(query, pool).neighbors;
    let labels = keep ? first.filter(keep) : first;
    // Excluded items (what the user already has) are often exactly the best-scoring ones (an
    // implicit-feedback model reconstructs them): a second, wider pool makes room for them.
    const wider = Math.min(this.size, MAX_POOL, want * 4 + (opts.exclude?.size ?? 0));
    if (keep && labels.length < want && wider > pool) {
      pool = wider;
      // The items wanted sit at the pool's tail, where a beam as wide as the pool is least
      // exact: search with twice the beam (bounded), then restore it.
      this.index.setEf(Math.min(MAX_EF, Math.max(this.efSearch, 2 * pool)));
      try {
        labels = this.index.searchKnn(query, pool).neighbors.filter(keep);
      } finally {
        this.index.setEf(this.efSearch);
      }
    }
    if (keep && labels.length < want) {
      if (labels.length * 8 < pool) return exactTopK(u, offset, this.vectors, this.dim, this.size, want, keep, this.ids);
      labels = this.index.searchKnn(query, pool, keep).neighbors;
    }
    return top(
      labels.map((label) => ({ item: this.ids[label]!, score: offset + dot(u, this.vectors, label * this.dim, this.dim) })),
      want,
    );
  }

  /**
   * Exact top `k` by scoring every item: the baseline and the recall reference. A tight loop
   * over the Float32Array with a fixed-size top-k kept in typed arrays (no allocation per
   * item); the filter is asked only for items that would enter the current top k.
   */
  bruteForce(user: string, k: number, opts: RecommendOptions = {}): Scored[] {
    const want = Math.min(Math.max(0, Math.floor(k)), MAX_K, this.size);
    const u = this.model.userVector(user);
    if (want === 0 || !u) return [];
    return exactTopK(u, this.model.offset(user), this.vectors, this.dim, this.size, want, acceptor(this.ids, opts), this.ids);
  }

  private queryPoint(u: Float32Array): number[] {
    const q = new Array<number>(this.transform === 'mips' ? this.dim + 1 : this.dim);
    for (let d = 0; d < this.dim; d++) q[d] = u[d]!;
    if (this.transform === 'mips') q[this.dim] = 0;
    return q;
  }
}

/**
 * Exact top-k of offset + dot(u, row) over `n` rows of `vectors`; exported for the bench's
 * synthetic catalogue. `keep(row)` filters (asked only for rows that would enter the top k).
 */
export function exactTopK(
  u: Float32Array,
  offset: number,
  vectors: Float32Array,
  dim: number,
  n: number,
  k: number,
  keep: ((row: number) => boolean) | undefined,
  ids: string[],
): Scored[] {
  // Sorted descending; slots past `filled` are empty.
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestRow = new Int32Array(k).fill(-1);
  let filled = 0;
  let floor = -Infinity;
  // Four accumulators: V8 does not vectorise, and independent sums let the CPU pipeline the
  // multiply-adds (about 1.7x faster than one accumulator at 65 dims).
  const d4 = dim - (dim % 4);
  for (let r = 0, base = 0; r < n; r++, base += dim) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d < d4; d += 4) {
      s0 += u[d]! * vectors[base + d]!;
      s1 += u[d + 1]! * vectors[base + d + 1]!;
      s2 += u[d + 2]! * vectors[base + d + 2]!;
      s3 += u[d + 3]! * vectors[base + d + 3]!;
    }
    for (; d < dim; d++) s0 += u[d]! * vectors[base + d]!;
    const s = s0 + s1 + s2 + s3;
    if (filled === k && s <= floor) continue;
    if (keep && !keep(r)) continue;
    let pos = filled < k ? filled++ : k - 1;
    while (pos > 0 && bestScore[pos - 1]! < s) {
      bestScore[pos] = bestScore[pos - 1]!;
      bestRow[pos] = bestRow[pos - 1]!;
      pos--;
    }
    bestScore[pos] = s;
    bestRow[pos] = r;
    if (filled === k) floor = bestScore[k - 1]!;
  }
  const out: Scored[] = [];
  for (let i = 0; i < filled; i++) out.push({ item: ids[bestRow[i]!]!, score: offset + bestScore[i]! });
  return out;
}

function acceptor(ids: string[], opts: RecommendOptions): ((row: number) => boolean) | undefined {
  const { filter, exclude } = opts;
  if (!filter && (!exclude || exclude.size === 0)) return undefined;
  return (row) => {
    const id = ids[row]!;
    return !(exclude?.has(id) ?? false) && (filter ? filter(id) : true);
  };
}

function top(scored: Scored[], k: number): Scored[] {
  return scored.sort((a, b) => b.score - a.score || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0)).slice(0, k);
}

function dot(u: Float32Array, vectors: Float32Array, base: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += u[d]! * vectors[base + d]!;
  return s;
}

function sqNorm(vectors: Float32Array, base: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += vectors[base + d]! * vectors[base + d]!;
  return s;
}

/** Row `r` as the index stores it (hnswlib-node takes plain Arrays, not typed arrays). */
function indexPoint(vectors: Float32Array, r: number, dim: number, transform: IndexTransform, maxNorm: number): number[] {
  const base = r * dim;
  const p = new Array<number>(transform === 'mips' ? dim + 1 : dim);
  for (let d = 0; d < dim; d++) p[d] = vectors[base + d]!;
  if (transform === 'mips') p[dim] = Math.sqrt(Math.max(0, maxNorm * maxNorm - sqNorm(vectors, base, dim)));
  return p;
}

function checkShape(items: { ids: string[]; vectors: Float32Array }, dim: number): void {
  if (!Number.isInteger(dim) || dim <= 0 || items.vectors.length !== items.ids.length * dim) {
    throw new ShopError('bad_request', `TopNIndex: ${items.ids.length} items × dimension ${dim} does not match ${items.vectors.length} vector values`);
  }
}

function fingerprintOf(
  items: { ids: string[]; vectors: Float32Array },
  dim: number,
  transform: IndexTransform,
  modelVersion: string | undefined,
): TopNFingerprint {
  let model: string;
  if (modelVersion !== undefined) model = `version:${modelVersion}`;
  else {
    const h = createHash('sha256');
    h.update(items.ids.join('\u0000'));
    h.update(new Uint8Array(items.vectors.buffer, items.vectors.byteOffset, items.vectors.byteLength));
    model = `sha256:${h.digest('hex')}`;
  }
  return { version: 1, items: items.ids.length, dimension: dim, transform, model };
}

function sameFingerprint(a: TopNFingerprint, b: TopNFingerprint): boolean {
  return a.version === b.version && a.items === b.items && a.dimension === b.dimension && a.transform === b.transform && a.model === b.model;
}

function parseMeta(v: unknown): SavedMeta {
  const bad = new Error('topn.json has the wrong shape');
  if (typeof v !== 'object' || v === null) throw bad;
  const m = v as Record<string, unknown>;
  const f = m['fingerprint'] as Record<string, unknown> | undefined;
  if (
    typeof m['ef'] !== 'number' ||
    typeof m['maxNorm'] !== 'number' ||
    typeof m['indexSha256'] !== 'string' ||
    typeof f !== 'object' ||
    f === null ||
    f['version'] !== 1 ||
    typeof f['items'] !== 'number' ||
    typeof f['dimension'] !== 'number' ||
    (f['transform'] !== 'mips' && f['transform'] !== 'ip') ||
    typeof f['model'] !== 'string'
  ) {
    throw bad;
  }
  return {
    fingerprint: { version: 1, items: f['items'], dimension: f['dimension'], transform: f['transform'], model: f['model'] },
    ef: m['ef'],
    maxNorm: m['maxNorm'],
    indexSha256: m['indexSha256'],
  };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
