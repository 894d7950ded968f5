import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../knowledge/random.js';
import { RatingSet } from '../../recommender/data.js';
import { BiasedMfModel, ConcatEmbeddingModel, ContentModel, createModel, HybridModel, ImplicitAlsModel, MODELS, PopularityModel, predictsRatings } from '../../recommender/models/index.js';
import { loadModel, saveModel } from '../../recommender/persist.js';
import { isFactorModel, type Rating, type RatingModel } from '../../recommender/types.js';

/**
 * Synthetic tastes with a real user–item interaction: half the users like "a" items and
 * dislike "b" items, the other half the opposite. A model that only learns a number per user
 * plus a number per item cannot tell the halves apart.
 */
function synthetic(seed = 1): { train: RatingSet; test: Rating[]; texts: Map<string, string> } {
  const random = seededRandom(seed);
  const ratings: Rating[] = [];
  const texts = new Map<string, string>();
  for (let i = 0; i < 80; i++) texts.set(`i${i}`, i % 2 === 0 ? `alpha trail runner shoe ${i}` : `beta city leather bag ${i}`);
  for (let u = 0; u < 120; u++) {
    const likesA = u % 2 === 0;
    for (let i = 0; i < 80; i++) {
      if (random() > 0.45) continue;
      const isA = i % 2 === 0;
      const base = likesA === isA ? 4.5 : 1.5;
      const rating = Math.min(5, Math.max(1, Math.round((base + (random() - 0.5)) * 2) / 2));
      ratings.push({ user: `u${u}`, item: `i${i}`, rating, ts: u * 1000 + i });
    }
  }
  const cut = Math.floor(ratings.length * 0.85);
  const order = ratings.map((_, k) => k).sort(() => 0);
  const shuffled = order.map((k) => ratings[(k * 7919) % ratings.length]!);
  return { train: RatingSet.from(shuffled.slice(0, cut)), test: shuffled.slice(cut), texts };
}

function rmse(model: RatingModel, test: Rating[]): number {
  return Math.sqrt(test.reduce((s, r) => s + (model.predict(r.user, r.item) - r.rating) ** 2, 0) / test.length);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('rating models', () => {
  const { train, test, texts } = synthetic();
  const ctx = { itemText: (i: string) => texts.get(i), catalogue: [...texts.keys(), 'i-new'] };

  it('biased MF learns the interaction the brief’s concat model cannot', async () => {
    const concat = new ConcatEmbeddingModel({ epochs: 15 });
    const mf = new BiasedMfModel({ factors: 8, epochs: 40 });
    await concat.fit(train, { seed: 3 });
    await mf.fit(train, { seed: 3 });
    const [c, m] = [rmse(concat, test), rmse(mf, test)];
    expect(m).toBeLessThan(0.8 * c);
    // concat ranks items identically for users of opposite tastes; MF does not.
    const top = (model: RatingModel, u: string) => model.recommend(u, 5).map((s) => s.item);
    expect(top(concat, 'u0')).toEqual(top(concat, 'u1'));
    expect(top(mf, 'u0').every((i) => Number(i.slice(1)) % 2 === 0)).toBe(true);
    expect(top(mf, 'u1').every((i) => Number(i.slice(1)) % 2 === 1)).toBe(true);
  });

  it('is deterministic for a seed and reports early stopping through progress', async () => {
    const epochs: number[] = [];
    const a = new BiasedMfModel({ factors: 4, epochs: 30 });
    const b = new BiasedMfModel({ factors: 4, epochs: 30 });
    const report = await a.fit(train, { seed: 9, onProgress: (p) => epochs.push(p.epoch) });
    await b.fit(train, { seed: 9 });
    expect(a.predict('u3', 'i7')).toBe(b.predict('u3', 'i7'));
    expect(epochs.length).toBe(report.epochs);
    expect(report.bestEpoch).toBeLessThanOrEqual(report.epochs);
    expect(report.validRmse).toBeGreaterThan(0);
    const c = new BiasedMfModel({ factors: 4, epochs: 30 });
    await c.fit(train, { seed: 10 });
    expect(c.predict('u3', 'i7')).not.toBe(a.predict('u3', 'i7'));
  });

  it('folds the biases into the vectors: offset + user·item is the score', async () => {
    const mf = new BiasedMfModel({ factors: 6, epochs: 10 });
    await mf.fit(train, { seed: 1 });
    expect(isFactorModel(mf)).toBe(true);
    const { ids, vectors } = mf.itemVectors();
    const d = mf.dimension;
    const user = mf.userVector('u5')!;
    for (const k of [0, 7, 21]) {
      let dot = 0;
      for (let x = 0; x < d; x++) dot += user[x]! * vectors[k * d + x]!;
      const expected = Math.min(5, Math.max(1, mf.offset('u5') + dot));
      expect(mf.predict('u5', ids[k]!)).toBeCloseTo(expected, 4);
    }
    expect(mf.userVector('nobody')).toBeNull();
  });

  it('gives every model a finite answer for unknown users and items', async () => {
    for (const name of Object.keys(MODELS)) {
      const model = createModel(name, ctx);
      await model.fit(train, { seed: 1 });
      for (const [u, i] of [['nobody', 'i1'], ['u1', 'nothing'], ['nobody', 'nothing']] as const) {
        expect(Number.isFinite(model.predict(u, i)), `${name} ${u} ${i}`).toBe(true);
      }
      expect(model.recommend('nobody', 3).length, name).toBeGreaterThan(0);
    }
  });

  it('content-based knows a product nobody rated, by its text', async () => {
    texts.set('i-new', 'alpha trail runner shoe new');
    const content = new ContentModel(ctx);
    await content.fit(train, { seed: 1 });
    const liked = content.recommendForHistory([{ item: 'i0', weight: 1 }, { item: 'i2', weight: 1 }], 100).map((s) => s.item);
    const firstB = liked.findIndex((i) => Number(i.slice(1)) % 2 === 1);
    expect(liked.indexOf('i-new')).toBeGreaterThanOrEqual(0);
    expect(liked.indexOf('i-new')).toBeLessThan(firstB);
    // an "a" lover is predicted to like the new "a" item more than a "b" lover is
    expect(content.predict('u0', 'i-new')).toBeGreaterThan(content.predict('u1', 'i-new'));
  });

  it('popularity ranks by feedback and the hybrid falls back to it for a stranger', async () => {
    const pop = new PopularityModel();
    await pop.fit(train);
    const top = pop.recommend('x', 3);
    expect(pop.popularity(top[0]!.item)).toBeGreaterThanOrEqual(pop.popularity(top[2]!.item));
    const hybrid = new HybridModel({ mf: { factors: 8, epochs: 20 }, content: ctx });
    await hybrid.fit(train, { seed: 2 });
    expect(hybrid.recommend('stranger', 3)).toEqual(top);
    expect(rmse(hybrid, test)).toBeLessThan(rmse(pop, test));
  });

  it('saves and loads every model with identical predictions', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rec-'));
    dirs.push(dir);
    for (const name of Object.keys(MODELS)) {
      const model = createModel(name, ctx);
      await model.fit(train, { seed: 1 });
      const file = path.join(dir, `${name}.bin`);
      await saveModel(model, file, { note: name });
      const { model: loaded, extra } = await loadModel(file);
      expect(loaded.name).toBe(name);
      expect(extra).toEqual({ note: name });
      for (const [u, i] of [['u0', 'i0'], ['u7', 'i13'], ['nobody', 'i2']] as const) expect(loaded.predict(u, i), name).toBeCloseTo(model.predict(u, i), 5);
      expect(loaded.recommend('u4', 5)).toEqual(model.recommend('u4', 5));
    }
    writeFileSync(path.join(dir, 'junk.bin'), 'not a model');
    await expect(loadModel(path.join(dir, 'junk.bin'))).rejects.toThrow(/not a saved recommender model/);
  });

  it('implicit ALS learns who picks what from feedback alone, and is served like any factor model', async () => {
    // Two groups of shoppers, each touching only its own half of the catalogue.
    const random = seededRandom(5);
    const rows: Rating[] = [];
    for (let u = 0; u < 60; u++) for (let i = 0; i < 40; i++) if (random() < 0.3) rows.push({ user: `s${u}`, item: `p${(u % 2) * 40 + i}`, rating: 1 });
    const data = RatingSet.from(rows);
    const als = new ImplicitAlsModel({ factors: 8, iterations: 8 });
    await als.fit(data, { seed: 1 });
    expect(predictsRatings(als)).toBe(false);
    for (const user of ['s0', 's1', 's10', 's33']) {
      const seen = new Set(rows.filter((r) => r.user === user).map((r) => r.item));
      const top = als.recommend(user, 10, (i) => seen.has(i));
      const half = Number(user.slice(1)) % 2;
      expect(top.every((s) => Math.floor(Number(s.item.slice(1)) / 40) === half), user).toBe(true);
    }
    const { ids, vectors } = als.itemVectors();
    const u = als.userVector('s0')!;
    const d = als.dimension;
    const k = ids.indexOf('p3');
    let dot = 0;
    for (let x = 0; x < d; x++) dot += u[x]! * vectors[k * d + x]!;
    expect(als.predict('s0', 'p3')).toBeCloseTo(als.offset() + dot, 5);
    expect(als.recommend('stranger', 3)).toHaveLength(3);
  });

  it('refuses NaN and empty ids before any model sees them', () => {
    expect(() => RatingSet.from([{ user: 'a', item: 'b', rating: Number.NaN }])).toThrow(/finite rating/);
    expect(() => RatingSet.from([{ user: '', item: 'b', rating: 3 }])).toThrow(/needs a user/);
    expect(() => createModel('nope')).toThrow(/unknown model/);
  });
});
