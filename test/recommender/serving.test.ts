import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LexicalEmbeddings, seededRandom } from '../../knowledge/index.js';
import { cosineFromVectors, diversify, explain, SimilarItems, TopNIndex } from '../../recommender/serving/index.js';
import type { RatingSet } from '../../recommender/data.js';
import type { FactorModel, FitReport, SavedModel, Scored } from '../../recommender/types.js';

/**
 * A factor model with seeded random vectors, shaped like the lead's biased MF: `factors`
 * factors plus the folded bias (the user vector ends in 1, the item vector in its bias).
 * Items come in clusters (near-duplicates inside a cluster) and with norms that vary by
 * a factor of five, the hard case for an inner-product index.
 */
class RandomFactorModel implements FactorModel {
  readonly name = 'random-factors';
  readonly dimension: number;
  readonly ids: string[];
  readonly cluster: number[];
  private readonly items: Float32Array;
  private readonly users = new Map<string, Float32Array>();
  private readonly bias = new Map<string, number>();

  constructor(opts: { items: number; users: number; factors: number; clusters: number; seed: number }) {
    const next = seededRandom(opts.seed);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const f = opts.factors;
    this.dimension = f + 1;
    const centres = Array.from({ length: opts.clusters }, () => Array.from({ length: f }, gauss));
    this.ids = Array.from({ length: opts.items }, (_, i) => `item-${i}`);
    this.cluster = this.ids.map((_, i) => i % opts.clusters);
    this.items = new Float32Array(opts.items * this.dimension);
    for (let i = 0; i < opts.items; i++) {
      const c = centres[this.cluster[i]!]!;
      const scale = 0.3 + 1.2 * next();
      for (let d = 0; d < f; d++) this.items[i * this.dimension + d] = scale * (c[d]! + 0.15 * gauss());
      this.items[i * this.dimension + f] = 0.5 * gauss();
    }
    for (let u = 0; u < opts.users; u++) {
      const v = new Float32Array(this.dimension);
      for (let d = 0; d < f; d++) v[d] = gauss() / Math.sqrt(f);
      v[f] = 1;
      this.users.set(`user-${u}`, v);
      this.bias.set(`user-${u}`, 0.3 * gauss());
    }
  }

  get userIds(): string[] {
    return [...this.users.keys()];
  }

  fit(_data: RatingSet): Promise<FitReport> {
    return Promise.resolve({ model: this.name, epochs: 0, bestEpoch: 0, trainMs: 0 });
  }

  offset(user: string): number {
    return 3.5 + (this.bias.get(user) ?? 0);
  }

  userVector(user: string): Float32Array | null {
    return this.users.get(user) ?? null;
  }

  itemVectors(): { ids: string[]; vectors: Float32Array } {
    return { ids: this.ids, vectors: this.items };
  }

  predict(user: string, item: string): number {
    const u = this.users.get(user);
    const r = this.ids.indexOf(item);
    if (!u || r < 0) return 3.5;
    let s = 0;
    for (let d = 0; d < this.dimension; d++) s += u[d]! * this.items[r * this.dimension + d]!;
    return this.offset(user) + s;
  }

  /** The reference: every item scored through `predict`, sorted (slow, independent of the serving code). */
  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    return this.ids
      .filter((i) => !exclude?.(i))
      .map((item) => ({ item, score: this.predict(user, item) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  save(): SavedModel {
    return { kind: this.name, meta: {}, arrays: { items: this.items } };
  }

  /** Changes one item's bias in place (the vectors a saved index was built from go stale). */
  nudge(row: number): void {
    this.items[row * this.dimension + this.dimension - 1]! += 1;
  }
}

const model = new RandomFactorModel({ items: 3000, users: 200, factors: 16, clusters: 60, seed: 7 });
const index = TopNIndex.build(model, { seed: 1 });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function recall(found: Scored[], truth: Scored[]): number {
  const t = new Set(truth.map((s) => s.item));
  return found.filter((s) => t.has(s.item)).length / truth.length;
}

describe('TopNIndex', () => {
  it('brute force agrees with scoring every item through predict', () => {
    for (const user of model.userIds.slice(0, 20)) {
      const exact = index.bruteForce(user, 10);
      const reference = model.recommend(user, 10);
      expect(exact.map((s) => s.item)).toEqual(reference.map((s) => s.item));
      exact.forEach((s, i) => expect(s.score).toBeCloseTo(reference[i]!.score, 4));
    }
  });

  it('returns the exact top 10 for most users (recall@10 >= 0.95) with exact scores, best first', () => {
    let sum = 0;
    for (const user of model.userIds) {
      const got = index.recommend(user, 10);
      expect(got).toHaveLength(10);
      for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score);
      for (const s of got) expect(s.score).toBeCloseTo(model.predict(user, s.item), 4);
      sum += recall(got, index.bruteForce(user, 10));
    }
    expect(sum / model.userIds.length).toBeGreaterThanOrEqual(0.95);
  });

  it('respects a filter, widening the pool when it removes most items', () => {
    // Common (a third of the items), rare (1 in 100: the first pool of 40 rarely holds 10) and very rare (3 items).
    const filters = [
      (i: string) => Number(i.slice(5)) % 3 === 0,
      (i: string) => Number(i.slice(5)) % 100 === 7,
      (i: string) => ['item-5', 'item-1234', 'item-2999'].includes(i),
    ];
    for (const keep of filters) {
      let sum = 0;
      for (const user of model.userIds.slice(0, 50)) {
        const got = index.recommend(user, 10, { filter: keep });
        const exact = index.bruteForce(user, 10, { filter: keep });
        expect(got.every((s) => keep(s.item))).toBe(true);
        expect(got.length).toBe(exact.length);
        sum += recall(got, exact);
      }
      expect(sum / 50).toBeGreaterThanOrEqual(0.95);
    }
    expect(index.recommend(model.userIds[0]!, 10, { filter: () => false })).toEqual([]);
  });

  it('never returns excluded items and still returns k', () => {
    let sum = 0;
    for (const user of model.userIds.slice(0, 50)) {
      // The user's 40 best items are already bought: the first pool is nearly all excluded.
      const exclude = new Set(index.bruteForce(user, 40).map((s) => s.item));
      const got = index.recommend(user, 10, { exclude });
      expect(got).toHaveLength(10);
      expect(got.some((s) => exclude.has(s.item))).toBe(false);
      sum += recall(got, index.bruteForce(user, 10, { exclude }));
    }
    expect(sum / 50).toBeGreaterThanOrEqual(0.95);
  });

  it('gives [] for a user the model never saw, and bounds k', () => {
    expect(index.recommend('nobody', 10)).toEqual([]);
    expect(index.bruteForce('nobody', 10)).toEqual([]);
    expect(index.recommend(model.userIds[0]!, 0)).toEqual([]);
    expect(index.recommend(model.userIds[0]!, 10_000).length).toBe(100);
  });

  it('saves and loads (ef re-applied), and a stale or damaged save loads as null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'topn-'));
    dirs.push(dir);
    const own = new RandomFactorModel({ items: 500, users: 20, factors: 8, clusters: 10, seed: 3 });
    const built = TopNIndex.build(own, { ef: 40 });
    built.save(dir);
    const loaded = TopNIndex.load(dir, own);
    expect(loaded).not.toBeNull();
    expect(loaded!.ef).toBe(40);
    for (const user of own.userIds) expect(loaded!.recommend(user, 10)).toEqual(built.recommend(user, 10));

    expect(TopNIndex.load(join(dir, 'missing'), own)).toBeNull();
    // Another model of another shape, then the same model with one changed vector.
    expect(TopNIndex.load(dir, new RandomFactorModel({ items: 400, users: 20, factors: 8, clusters: 10, seed: 3 }))).toBeNull();
    own.nudge(17);
    expect(TopNIndex.load(dir, own)).toBeNull();

    // A model version string replaces the vector hash.
    TopNIndex.build(own, { modelVersion: 'run-1' }).save(dir);
    expect(TopNIndex.load(dir, own, { modelVersion: 'run-1' })).not.toBeNull();
    expect(TopNIndex.load(dir, own, { modelVersion: 'run-2' })).toBeNull();

    writeFileSync(join(dir, 'topn.bin'), 'garbage');
    expect(TopNIndex.load(dir, own, { modelVersion: 'run-1' })).toBeNull();
    writeFileSync(join(dir, 'topn.json'), '{not json');
    expect(TopNIndex.load(dir, own, { modelVersion: 'run-1' })).toBeNull();
  });
});

describe('diversify (MMR)', () => {
  const similarity = cosineFromVectors(model.ids, model.itemVectors().vectors, model.dimension);

  it('cosine over item vectors ignores the bias component', () => {
    const ids = ['a', 'b', 'c'];
    const vectors = Float32Array.from([1, 0, 5, 2, 0, -3, 0, 1, 5]);
    const sim = cosineFromVectors(ids, vectors, 3);
    expect(sim('a', 'b')).toBeCloseTo(1, 6);
    expect(sim('a', 'c')).toBeCloseTo(0, 6);
    expect(sim('a', 'zzz')).toBe(0);
    expect(cosineFromVectors(ids, vectors, 3, { dropLast: false })('a', 'b')).toBeLessThan(0);
  });

  it('spreads a top-10 over more clusters than the plain top-10', () => {
    let before = 0;
    let after = 0;
    for (const user of model.userIds.slice(0, 30)) {
      const pool = index.recommend(user, 40);
      const plain = pool.slice(0, 10);
      const mixed = diversify(pool, 10, similarity, 0.5);
      expect(mixed).toHaveLength(10);
      expect(new Set(mixed.map((s) => s.item)).size).toBe(10);
      expect(mixed[0]).toEqual(pool[0]);
      before += new Set(plain.map((s) => model.cluster[Number(s.item.slice(5))])).size;
      after += new Set(mixed.map((s) => model.cluster[Number(s.item.slice(5))])).size;
    }
    expect(after).toBeGreaterThan(before);
  });

  it('keeps the score order when lambda is 1, and handles small inputs', () => {
    const pool = index.recommend(model.userIds[0]!, 20);
    expect(diversify(pool, 10, similarity, 1)).toEqual(pool.slice(0, 10));
    expect(diversify([], 10, similarity)).toEqual([]);
    expect(diversify(pool.slice(0, 3), 10, similarity)).toHaveLength(3);
  });

  it('explains with the most similar history item, or null under the threshold', () => {
    const ids = ['shoe', 'shoe2', 'sock', 'tent'];
    const sim = cosineFromVectors(ids, Float32Array.from([1, 0, 0, 0.9, 0.1, 0, 0.6, 0.8, 0, 0, -1, 0]), 3);
    expect(explain('shoe', ['tent', 'sock', 'shoe2'], sim)).toEqual({ because: 'shoe2', similarity: sim('shoe', 'shoe2') });
    expect(explain('shoe', ['tent'], sim)).toBeNull();
    expect(explain('shoe', ['shoe'], sim)).toBeNull();
    expect(explain('shoe', ['sock'], sim, 0.5)?.because).toBe('sock');
    expect(explain('shoe', ['sock'], sim, 0.7)).toBeNull();
  });
});

describe('SimilarItems', () => {
  it('finds items of the same cluster by factor cosine, never the item itself, with filters', () => {
    const similar = SimilarItems.fromModel(model);
    const got = similar.similar('item-42', 5);
    expect(got).toHaveLength(5);
    expect(got.some((s) => s.item === 'item-42')).toBe(false);
    for (const s of got) expect(model.cluster[Number(s.item.slice(5))]).toBe(model.cluster[42]);
    for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score);
    const odd = similar.similar('item-42', 5, (i) => Number(i.slice(5)) % 2 === 1);
    expect(odd).toHaveLength(5);
    expect(odd.every((s) => Number(s.item.slice(5)) % 2 === 1)).toBe(true);
    expect(similar.similar('unknown', 5)).toEqual([]);
  });

  it('the HNSW path (large catalogues) agrees with the exact one', () => {
    const exact = SimilarItems.fromModel(model);
    const approx = SimilarItems.fromModel(model, { exactLimit: 0 });
    let sum = 0;
    for (let i = 0; i < 100; i++) sum += recall(approx.similar(`item-${i * 7}`, 10), exact.similar(`item-${i * 7}`, 10));
    expect(sum / 100).toBeGreaterThanOrEqual(0.95);
  });

  it('falls back to product-text embeddings for items the model never saw', async () => {
    const products = [
      { id: 'item-0', text: 'Trail running shoes, grippy outsole, waterproof' },
      { id: 'item-1', text: 'Road running shoes, light mesh upper' },
      { id: 'item-2', text: 'Camping tent for two people, waterproof fly' },
      { id: 'new-1', text: 'Trail running shoes for muddy mountain paths' },
      { id: 'new-2', text: 'Ultralight camping tent, two person' },
    ];
    const embeddings = new LexicalEmbeddings({ dimension: 256 }).fit(products.map((p) => p.text));
    const content = await SimilarItems.fromTexts(products, embeddings);
    const chained = SimilarItems.fromModel(model).withFallback(content);
    expect(chained.has('new-1')).toBe(true);
    expect(chained.similar('new-1', 2).map((s) => s.item)).toContain('item-0');
    expect(chained.similar('new-1', 1)[0]!.item).not.toBe('item-2');
    expect(chained.similar('new-2', 1)[0]!.item).toBe('item-2');
    // A warm item still gets its collaborative neighbours.
    expect(chained.similar('item-42', 3)).toEqual(SimilarItems.fromModel(model).similar('item-42', 3));
    expect(chained.similar('absent', 3)).toEqual([]);
    // The bound similarity plugs into explain: the new trail shoe is explained by the old one.
    expect(explain('new-1', ['item-2', 'item-0'], content.similarity, 0.1)?.because).toBe('item-0');
  });
});
