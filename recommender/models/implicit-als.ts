import { seededRandom } from '../../knowledge/random.js';
import type { RatingSet } from '../data.js';
import type { FactorModel, FitOptions, FitReport, SavedModel, Scored } from '../types.js';
import { gaussian, topK } from './common.js';

export interface ImplicitAlsConfig {
  factors: number;
  iterations: number;
  /** L2 on the factors. */
  reg: number;
  /** Confidence of an observation: 1 + alpha · weight · rating / max rating. */
  alpha: number;
  initStd: number;
}

export const IMPLICIT_ALS_DEFAULTS: ImplicitAlsConfig = { factors: 32, iterations: 12, reg: 5, alpha: 5, initStd: 0.05 };

/** In-place Cholesky solve of A x = b for a symmetric positive definite n×n A (row-major). */
function solve(A: Float64Array, b: Float64Array, n: number, out: Float32Array, at: number): void {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= A[j * n + k]! * A[j * n + k]!;
    d = Math.sqrt(Math.max(d, 1e-12));
    A[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= A[i * n + k]! * A[j * n + k]!;
      A[i * n + j] = s / d;
    }
  }
  // L y = b, then Lᵀ x = y.
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= A[i * n + k]! * b[k]!;
    b[i] = s / A[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= A[k * n + i]! * b[k]!;
    b[i] = s / A[i * n + i]!;
  }
  for (let i = 0; i < n; i++) out[at + i] = b[i]!;
}

/**
 * Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky,
 * 2008): every observed user–item pair is a preference of 1 with confidence
 * 1 + α·weight·rating/max, every unobserved pair a preference of 0 with confidence 1. It
 * learns what a shopper will pick next, not what they will rate, so it is the model for
 * top-N (HR@10, NDCG@10) — and, since it has no rating scale, `predict` returns the
 * preference score (about 0..1), not a rating: rating benchmarks leave it out (`task`).
 * Each half-step solves one small f×f system per user (or item) exactly, so it is
 * deterministic for a seed and needs no learning rate; a fixed number of sweeps.
 */
export class ImplicitAlsModel implements FactorModel {
  readonly name = 'implicit-als';
  readonly task = 'ranking' as const;
  readonly config: ImplicitAlsConfig;
  private users: string[] = [];
  private items: string[] = [];
  private userIndex = new Map<string, number>();
  private itemIndex = new Map<string, number>();
  private X: Float32Array = new Float32Array(0);
  private Y: Float32Array = new Float32Array(0);
  private itemCount: Int32Array = new Int32Array(0);
  private userCount: Int32Array = new Int32Array(0);

  constructor(config: Partial<ImplicitAlsConfig> = {}) {
    this.config = { ...IMPLICIT_ALS_DEFAULTS, ...config };
  }

  async fit(data: RatingSet, opts: FitOptions = {}): Promise<FitReport> {
    const start = performance.now();
    const c = this.config;
    const f = c.factors;
    const normal = gaussian(seededRandom(opts.seed ?? 42));
    this.users = data.users;
    this.items = data.items;
    this.userIndex = data.userIndex;
    this.itemIndex = data.itemIndex;
    const { perUser, perItem } = data.counts();
    this.userCount = perUser;
    this.itemCount = perItem;
    this.X = Float32Array.from({ length: data.users.length * f }, () => normal() * c.initStd);
    this.Y = Float32Array.from({ length: data.items.length * f }, () => normal() * c.initStd);
    const [, hi] = data.scale();
    const top = hi > 0 ? hi : 1;
    // Rows grouped by user and by item (CSR), with each row's confidence.
    const byUser = group(data.u, data.users.length);
    const byItem = group(data.i, data.items.length);
    const conf = Float32Array.from({ length: data.size }, (_, k) => 1 + (c.alpha * data.w[k]! * Math.max(data.r[k]!, 0)) / top);

    const A = new Float64Array(f * f);
    const G = new Float64Array(f * f);
    const b = new Float64Array(f);
    const half = (solveFor: Float32Array, fixed: Float32Array, groups: { start: Int32Array; rows: Int32Array }, other: Int32Array, count: number) => {
      // Gram matrix of the fixed side, shared by every solve of this half-step.
      G.fill(0);
      for (let r = 0; r < fixed.length; r += f) {
        for (let x = 0; x < f; x++) {
          const vx = fixed[r + x]!;
          if (vx === 0) continue;
          for (let y = x; y < f; y++) G[x * f + y] = G[x * f + y]! + vx * fixed[r + y]!;
        }
      }
      for (let x = 0; x < f; x++) for (let y = 0; y < x; y++) G[x * f + y] = G[y * f + x]!;
      for (let e = 0; e < count; e++) {
        const from = groups.start[e]!;
        const to = groups.start[e + 1]!;
        if (from === to) {
          solveFor.fill(0, e * f, e * f + f);
          continue;
        }
        A.set(G);
        b.fill(0);
        for (let p = from; p < to; p++) {
          const row = groups.rows[p]!;
          const o = other[row]! * f;
          const cu = conf[row]!;
          const extra = cu - 1;
          for (let x = 0; x < f; x++) {
            const vx = fixed[o + x]!;
            b[x] = b[x]! + cu * vx;
            const s = extra * vx;
            for (let y = x; y < f; y++) A[x * f + y] = A[x * f + y]! + s * fixed[o + y]!;
          }
        }
        for (let x = 0; x < f; x++) {
          A[x * f + x] = A[x * f + x]! + c.reg;
          for (let y = 0; y < x; y++) A[x * f + y] = A[y * f + x]!;
        }
        solve(A, b, f, solveFor, e * f);
      }
    };
    for (let it = 1; it <= c.iterations; it++) {
      half(this.X, this.Y, byUser, data.i, data.users.length);
      half(this.Y, this.X, byItem, data.u, data.items.length);
      opts.onProgress?.({ model: this.name, epoch: it, epochs: c.iterations, trainLoss: 0 });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { model: this.name, epochs: c.iterations, bestEpoch: c.iterations, trainMs: performance.now() - start };
  }

  private score(u: number, i: number): number {
    const f = this.config.factors;
    let s = 0;
    for (let x = 0; x < f; x++) s += this.X[u * f + x]! * this.Y[i * f + x]!;
    return s;
  }

  /** The preference score (about 0..1; 0 for an unknown user or item). Not a rating. */
  predict(user: string, item: string): number {
    const u = this.userIndex.get(user);
    const i = this.itemIndex.get(item);
    return u === undefined || i === undefined ? 0 : this.score(u, i);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    const u = this.userIndex.get(user);
    const known = (i: number) => this.itemCount[i]! > 0;
    // A stranger: the items with the most feedback (what the factors would favour anyway).
    if (u === undefined || this.userCount[u] === 0) return topK(this.items, (i) => this.itemCount[i]!, k, exclude, known);
    return topK(this.items, (i) => this.score(u, i), k, exclude, known);
  }

  get dimension(): number {
    return this.config.factors + 1;
  }

  itemVectors(): { ids: string[]; vectors: Float32Array } {
    const f = this.config.factors;
    const d = f + 1;
    const rows = this.items.map((_, i) => i).filter((i) => this.itemCount[i]! > 0);
    const vectors = new Float32Array(rows.length * d);
    rows.forEach((i, r) => vectors.set(this.Y.subarray(i * f, i * f + f), r * d)); // bias component 0
    return { ids: rows.map((i) => this.items[i]!), vectors };
  }

  userVector(user: string): Float32Array | null {
    const u = this.userIndex.get(user);
    if (u === undefined || this.userCount[u] === 0) return null;
    const f = this.config.factors;
    const v = new Float32Array(f + 1);
    v.set(this.X.subarray(u * f, u * f + f));
    v[f] = 1;
    return v;
  }

  offset(): number {
    return 0;
  }

  save(): SavedModel {
    return {
      kind: this.name,
      meta: { config: { ...this.config }, users: this.users, items: this.items },
      arrays: { X: this.X, Y: this.Y, userCount: Float32Array.from(this.userCount), itemCount: Float32Array.from(this.itemCount) },
    };
  }

  static load(saved: SavedModel): ImplicitAlsModel {
    const m = new ImplicitAlsModel(saved.meta['config'] as Partial<ImplicitAlsConfig>);
    m.users = saved.meta['users'] as string[];
    m.items = saved.meta['items'] as string[];
    m.userIndex = new Map(m.users.map((x, k) => [x, k]));
    m.itemIndex = new Map(m.items.map((x, k) => [x, k]));
    m.X = saved.arrays['X']!;
    m.Y = saved.arrays['Y']!;
    m.userCount = Int32Array.from(saved.arrays['userCount']!);
    m.itemCount = Int32Array.from(saved.arrays['itemCount']!);
    return m;
  }
}

/** Row indices grouped by key (counting sort): rows of key e are rows[start[e]..start[e+1]). */
function group(keys: Int32Array, n: number): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(n + 1);
  for (const k of keys) start[k + 1] = start[k + 1]! + 1;
  for (let e = 0; e < n; e++) start[e + 1] = start[e + 1]! + start[e]!;
  const fill = start.slice(0, n);
  const rows = new Int32Array(keys.length);
  keys.forEach((k, row) => {
    rows[fill[k]!] = row;
    fill[k] = fill[k]! + 1;
  });
  return { start, rows };
}
