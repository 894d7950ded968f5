import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../knowledge/index.js';
import { RatingSet } from '../../recommender/data.js';
import { crossValidate, kFoldSplits, rankingEval, RANKING_PROTOCOL, type EvalProgress } from '../../recommender/eval/index.js';
import { GlobalMeanModel } from '../../recommender/models/baseline.js';
import type { FitOptions, FitReport, Rating, RatingModel, SavedModel, Scored } from '../../recommender/types.js';

/** Random half-star ratings from 12 users on 9 items. */
function synthetic(n: number, seed: number): RatingSet {
  const next = seededRandom(seed);
  const rows: Rating[] = [];
  for (let k = 0; k < n; k++) rows.push({ user: `u${Math.floor(next() * 12)}`, item: `i${Math.floor(next() * 9)}`, rating: 0.5 + Math.floor(next() * 10) / 2, ts: k });
  return RatingSet.from(rows);
}

/** Ranks the items it saw in training in alphabetical order; reports one progress step per fit. */
class AlphabeticalModel implements RatingModel {
  readonly name = 'alphabetical';
  private items: string[] = [];
  fit(data: RatingSet, opts?: FitOptions): Promise<FitReport> {
    const { perItem } = data.counts();
    this.items = data.items.filter((_, i) => perItem[i]! > 0).sort();
    opts?.onProgress?.({ model: this.name, epoch: 1, epochs: 1, trainLoss: 0 });
    return Promise.resolve({ model: this.name, epochs: 1, bestEpoch: 1, trainMs: 0 });
  }
  predict(): number {
    return 3;
  }
  recommend(_user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    return this.items.filter((i) => !exclude?.(i)).slice(0, k).map((item, p) => ({ item, score: -p }));
  }
  save(): SavedModel {
    return { kind: this.name, meta: {}, arrays: {} };
  }
}

describe('crossValidate', () => {
  it('gives the global mean an RMSE equal to the spread of the held-out ratings around the train mean', async () => {
    const data = synthetic(240, 3);
    const seed = 11;
    const events: EvalProgress[] = [];
    const result = await crossValidate(data, { 'global-mean': () => new GlobalMeanModel(), alphabetical: () => new AlphabeticalModel() }, { folds: 4, seed, onProgress: (p) => events.push(p) });

    // Independently: each fold's training mean, and the root mean square deviation of its test ratings from it.
    const expected = kFoldSplits(data.size, 4, seed).map(({ train, test }) => {
      const mean = [...train].reduce((s, r) => s + data.r[r]!, 0) / train.length;
      return {
        rmse: Math.sqrt([...test].reduce((s, r) => s + (data.r[r]! - mean) ** 2, 0) / test.length),
        mae: [...test].reduce((s, r) => s + Math.abs(data.r[r]! - mean), 0) / test.length,
      };
    });
    const gm = result['global-mean']!;
    expect(gm.rmse.folds).toHaveLength(4);
    gm.rmse.folds.forEach((x, f) => expect(x).toBeCloseTo(expected[f]!.rmse, 9));
    gm.mae.folds.forEach((x, f) => expect(x).toBeCloseTo(expected[f]!.mae, 9));
    const mean = expected.reduce((s, e) => s + e.rmse, 0) / 4;
    expect(gm.rmse.mean).toBeCloseTo(mean, 9);
    expect(gm.rmse.std).toBeCloseTo(Math.sqrt(expected.reduce((s, e) => s + (e.rmse - mean) ** 2, 0) / 3), 9);
    expect(gm.trainMs.folds).toHaveLength(4);

    // The constant 3 of the other model is scored on the same folds.
    const alpha = result['alphabetical']!;
    alpha.rmse.folds.forEach((x, f) => {
      const test = kFoldSplits(data.size, 4, seed)[f]!.test;
      expect(x).toBeCloseTo(Math.sqrt([...test].reduce((s, r) => s + (data.r[r]! - 3) ** 2, 0) / test.length), 9);
    });

    // Progress: every fold and model, ending at total, and the model's own epochs.
    expect(events.filter((e) => !e.fit).at(-1)).toMatchObject({ phase: 'cv', done: 8, total: 8 });
    const ends = events.filter((e) => e.finished);
    expect(ends.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ends.filter((e) => e.model === 'global-mean').map((e) => e.finished!.rmse)).toEqual(gm.rmse.folds);
    expect(events.filter((e) => e.fit).map((e) => `${e.model}:${e.fold}`)).toEqual(['alphabetical:1', 'alphabetical:2', 'alphabetical:3', 'alphabetical:4']);
  });

  it('is deterministic by seed', async () => {
    const data = synthetic(120, 5);
    const run = async (seed: number) => (await crossValidate(data, { gm: () => new GlobalMeanModel() }, { folds: 3, seed }))['gm']!.rmse.folds;
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  it('a model predicting NaN fails the evaluation instead of being averaged in', async () => {
    class NanModel extends AlphabeticalModel {
      override predict(): number {
        return Number.NaN;
      }
    }
    await expect(crossValidate(synthetic(50, 1), { nan: () => new NanModel() }, { folds: 2, seed: 1 })).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/model nan predicted NaN/) as unknown });
  });
});

describe('rankingEval', () => {
  // Items a..e, all in train. Held out (latest): u1 c, u2 e, u3 d, u5 a; u4 has one row.
  const data = RatingSet.from([
    { user: 'u1', item: 'a', rating: 4, ts: 1 },
    { user: 'u1', item: 'b', rating: 4, ts: 2 },
    { user: 'u1', item: 'c', rating: 4, ts: 3 },
    { user: 'u2', item: 'a', rating: 4, ts: 1 },
    { user: 'u2', item: 'e', rating: 4, ts: 2 },
    { user: 'u3', item: 'd', rating: 4, ts: 5 },
    { user: 'u3', item: 'b', rating: 4, ts: 1 },
    { user: 'u4', item: 'a', rating: 4, ts: 1 },
    ...['b', 'c', 'd', 'e'].map((item) => ({ user: 'u5', item, rating: 4, ts: 1 })),
    { user: 'u5', item: 'a', rating: 4, ts: 7 },
  ]);

  it('ranks the held-out item against every item the user did not rate in train', async () => {
    // Lists at k=3 (alphabetical, minus train items): u1 c,d,e (rank 1); u2 b,c,d (miss); u3 a,c,d (rank 3); u5 a (rank 1).
    const r = await rankingEval(data, { alphabetical: () => new AlphabeticalModel(), 'global-mean': () => new GlobalMeanModel() }, { k: 3, seed: 1 });
    expect(r).toMatchObject({ protocol: RANKING_PROTOCOL, k: 3, users: 4, coldHeldOut: 0, catalogue: 5 });
    expect(r.models['alphabetical']!.hr).toBe(3 / 4);
    expect(r.models['alphabetical']!.ndcg).toBeCloseTo((1 + 0 + 0.5 + 1) / 4, 12);
    expect(r.models['alphabetical']!.coverage).toBe(1);
    // Listed: u1 c,d,e; u2 b,c,d; u3 a,c,d; u5 a. Train ratings: a 3, b 3, c 1, d 1, e 1 -> sorted 1x7, 3x3: median 1.
    expect(r.models['alphabetical']!.medianItemRatings).toBe(1);
    expect(r.models['global-mean']!.hr).toBeGreaterThanOrEqual(0);
  });

  it('coverage counts distinct items over all lists', async () => {
    // k=1: u1 c, u2 b, u3 a, u5 a: 3 of 5 items; hits for u1 and u5.
    const r = await rankingEval(data, { alphabetical: () => new AlphabeticalModel() }, { k: 1 });
    expect(r.models['alphabetical']).toMatchObject({ hr: 0.5, ndcg: 0.5, coverage: 0.6 });
  });

  it('counts held-out items that no training row mentions', async () => {
    const cold = RatingSet.from([
      { user: 'u1', item: 'a', rating: 4, ts: 1 },
      { user: 'u1', item: 'new', rating: 4, ts: 2 },
      { user: 'u2', item: 'a', rating: 4, ts: 1 },
      { user: 'u2', item: 'b', rating: 4, ts: 2 },
      { user: 'u3', item: 'b', rating: 4, ts: 1 },
    ]);
    const r = await rankingEval(cold, { alphabetical: () => new AlphabeticalModel() }, { k: 10 });
    // u1's held-out "new" has no training row: a miss for any model. u2's b is in train (u3's one row): a hit.
    expect(r).toMatchObject({ users: 2, coldHeldOut: 1, catalogue: 2, models: { alphabetical: { hr: 0.5, ndcg: 0.5, coverage: 0.5 } } });
  });
});
