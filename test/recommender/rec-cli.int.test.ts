import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../knowledge/index.js';
import { RatingSet } from '../../recommender/data.js';
import { kFoldSplits } from '../../recommender/eval/index.js';
import { MODELS, predictsRatings } from '../../recommender/models/index.js';
import { loadModel } from '../../recommender/persist.js';
import { runCli } from '../helpers/processes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-rec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli rec:eval', () => {
  it('prints the JSON report on stdout, progress on stderr, and stops on a bad row when asked', async () => {
    // 80 good rows from 10 users on 12 items, seconds timestamps, and two bad rows at known lines.
    const next = seededRandom(9);
    const lines = ['userId,itemId,rating,timestamp'];
    const good: Array<{ user: string; item: string; rating: number }> = [];
    for (let k = 0; k < 80; k++) {
      const row = { user: `u${Math.floor(next() * 10)}`, item: `i${Math.floor(next() * 12)}`, rating: 1 + Math.floor(next() * 5) };
      good.push(row);
      lines.push(`${row.user},${row.item},${row.rating},${1_600_000_000 + k}`);
      if (k === 10) lines.push('u1,i2,NaN,1600000000'); // line 13
      if (k === 40) lines.push('u1,,3,1600000000'); // line 44
    }
    const file = path.join(dir, 'ratings.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const items = path.join(dir, 'items.csv');
    writeFileSync(items, `itemId,title,genres\n${Array.from({ length: 12 }, (_, k) => `i${k},Item ${k},${k % 2 ? 'Comedy' : 'Drama|War'}`).join('\n')}\n`);
    const env = { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' };

    // Three processes at once: each compiles TypeScript with tsx at start, seconds on a busy 2-core machine.
    const [ok, stop, unknown] = await Promise.all([
      runCli(['rec:eval', '--ratings', file, '--items', items, '--folds', '3', '--seed', '7'], env),
      runCli(['rec:eval', '--ratings', file, '--on-bad-row', 'stop'], env),
      runCli(['rec:eval', '--ratings', file, '--models', 'global-mean,no-such-model'], env),
    ]);

    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as {
      rows: number;
      skipped: { count: number; first: Array<{ line: number }> };
      folds: number;
      seed: number;
      ranking: { protocol: string; users: number };
      models: Record<string, { rmse: { mean: number; folds: number[] } | null; mae: { folds: number[] } | null; hr10: number; ndcg10: number; coverage: number }>;
    };
    expect(report).toMatchObject({ file, rows: 80, header: true, delimiter: 'comma', folds: 3, seed: 7, skipped: { count: 2, first: [{ line: 13 }, { line: 44 }] }, itemTexts: { items: 12 } });
    // Every registered model, each with its three folds and the ranking metrics.
    expect(Object.keys(report.models)).toEqual(Object.keys(MODELS));
    // Rating models have RMSE and MAE per fold; a ranking-only model (implicit ALS) has null there.
    const rating = Object.keys(MODELS).filter((n) => predictsRatings(MODELS[n]!()));
    expect(rating.length).toBeLessThan(Object.keys(MODELS).length);
    for (const [name, m] of Object.entries(report.models)) {
      if (rating.includes(name)) {
        expect(m.rmse!.folds).toHaveLength(3);
        for (const x of [...m.rmse!.folds, ...m.mae!.folds]) expect(Number.isFinite(x)).toBe(true);
      } else expect(m.rmse).toBeNull();
      for (const x of [m.hr10, m.ndcg10, m.coverage]) expect(Number.isFinite(x)).toBe(true);
    }
    expect(report.ranking.protocol).toMatch(/full ranking/);
    expect(report.ranking.users).toBe(new Set(good.map((g) => g.user)).size);

    // The global mean's RMSE per fold, computed here from the same seeded folds.
    const data = RatingSet.from(good);
    const expected = kFoldSplits(data.size, 3, 7).map(({ train, test }) => {
      const mean = [...train].reduce((s, r) => s + data.r[r]!, 0) / train.length;
      return Math.sqrt([...test].reduce((s, r) => s + (data.r[r]! - mean) ** 2, 0) / test.length);
    });
    const gm = report.models['global-mean']!;
    gm.rmse!.folds.forEach((x, f) => expect(x).toBeCloseTo(expected[f]!, 3));
    expect(gm.hr10).toBeGreaterThanOrEqual(0);
    expect(gm.coverage).toBeGreaterThan(0);
    // Progress went to stderr, not into the JSON.
    const runs = 3 * rating.length;
    expect(ok.stderr).toMatch(new RegExp(`cv 3-fold .* ${runs}/${runs} 100%`));
    expect(ok.stderr).toMatch(/leave-last-out/);

    expect(stop.code).toBe(2);
    expect(stop.stdout).toBe('');
    expect(stop.stderr).toMatch(/cli rec:eval: line 13: rating "NaN" is not a number/);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown model "no-such-model"; known: global-mean/);
  }, 120_000);
});

describe('cli rec:train', () => {
  it("trains the shop's recommender on the store's interactions and saves a model the server can load", async () => {
    const env = { DATA_DIR: path.join(dir, 'shop'), LOG_LEVEL: 'warn' };
    const seeded = await runCli(['seed'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    const run = await runCli(['rec:train', '--seed', '3'], env);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { file: string; interactions: number; pairs: number; products: number };
    expect(out.interactions).toBeGreaterThan(0);
    expect(out.pairs).toBeGreaterThan(0);
    expect(out.products).toBeGreaterThan(0);
    const { model, extra } = await loadModel(out.file);
    expect(model.name).toBe('hybrid');
    expect(extra).toMatchObject({ interactions: out.interactions, seed: 3 });
    expect(model.recommend('cus_demo_001', 5)).toHaveLength(5);
    expect(Number.isFinite(model.predict('someone-new', 'P-RUN-001'))).toBe(true);
    const bad = await runCli(['rec:train', '--seed', 'x'], env);
    expect(bad.code).toBe(2);
  }, 120_000);
});
