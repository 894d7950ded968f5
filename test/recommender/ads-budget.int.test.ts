/**
 * The never-overspend guarantee on a real SQLite file: many concurrent ad clicks in one
 * process, and charges from several processes sharing the file at once.
 * (The same guarantee on MongoDB/FerretDB is in the store contract: 40 concurrent charges.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdServer } from '../../recommender/ads/index.js';
import { openMongoStore, openSqliteStore, type NewCampaign, type Store } from '../../store/index.js';
import { mongoUriWithDb, ROOT } from '../helpers/processes.js';

const NOW = new Date('2026-11-29T04:00:00.000Z');
const DAY_KEY = '2026-11-29'; // Asia/Shanghai

let dir: string;
let file: string;
let store: Store;

/** One campaign, 0.50 a click, 10.00 a day: every test spends it down. */
const SMALL_CAMPAIGN: NewCampaign = {
  id: 'c-small',
  name: 'Small budget',
  productId: 'P-1',
  bid: 0.5,
  dailyBudget: 10,
  status: 'active',
  startsAt: new Date('2026-01-01T00:00:00.000Z'),
  targeting: { categories: [], intents: [], keywords: [] },
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sa-ads-budget-'));
  file = join(dir, 'shop.db');
  store = await openSqliteStore({ file });
  await store.campaigns.create(SMALL_CAMPAIGN);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const cents = (xs: number[]): number => xs.reduce((sum, x) => sum + Math.round(x * 100), 0);

describe('ad budget under concurrency (SQLite)', () => {
  it('100 concurrent clicks against a budget of 10 spend exactly 10', async () => {
    const ads = new AdServer({ store, clock: () => NOW });
    const prices = Array.from({ length: 100 }, (_, i) => [0.37, 0.5, 0.13, 0.29][i % 4]!);
    const results = await Promise.all(prices.map((price, i) => ads.click('c-small', `cus-${i % 7}`, 'P-1', price)));
    const charged = results.map((r) => r.charged);
    expect(cents(charged)).toBe(1000);
    for (const [i, c] of charged.entries()) {
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(prices[i]!);
    }
    expect(await store.campaigns.spend('c-small', DAY_KEY)).toBe(10);
    expect(await store.interactions.count({ type: 'click', source: 'ad:c-small' })).toBe(100);
    const [row] = await store.campaigns.spendByDay({ from: DAY_KEY, to: DAY_KEY });
    expect(row).toEqual({ campaignId: 'c-small', day: DAY_KEY, spent: 10, clicks: charged.filter((c) => c > 0).length });
  });

  it('four processes charging the same file at once spend exactly the budget', async () => {
    await store.close();
    // Each worker opens the store, says "ready", and starts charging when told "go" on stdin,
    // so the four run their charges at the same time.
    const script = `
      const { openSqliteStore } = await import(process.env.STORE_MODULE);
      const s = await openSqliteStore({ file: process.env.DB });
      process.stdout.write('ready\\n');
      await new Promise((r) => process.stdin.once('data', r));
      const charged = [];
      for (let i = 0; i < 400; i++) charged.push((await s.campaigns.charge('c-small', process.env.DAY, 0.01)).charged);
      await s.close();
      process.stdout.write(JSON.stringify(charged));
      process.exit(0);
    `;
    const workers = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { ...process.env, STORE_MODULE: join(ROOT, 'store/sqlite/index.ts'), DB: file, DAY: DAY_KEY },
      });
      let out = '';
      let err = '';
      let onReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (onReady = resolve));
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.startsWith('ready\n')) onReady();
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const done = new Promise<number[]>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => {
          onReady();
          if (code === 0) resolve(JSON.parse(out.slice('ready\n'.length)) as number[]);
          else reject(new Error(`worker exited ${code}: ${err}`));
        });
      });
      return { child, ready, done };
    });
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.end('go');
    // 4 × 400 × 0.01 = 16.00 wanted against a budget of 10
    const perProcess = await Promise.all(workers.map((w) => w.done));
    const all = perProcess.flat();
    expect(all).toHaveLength(1600);
    expect(cents(all)).toBe(1000);
    for (const c of all) expect([0, 0.01]).toContain(c);
    // the processes really overlapped: more than one of them got charged something
    expect(perProcess.filter((charges) => charges.some((c) => c > 0)).length).toBeGreaterThan(1);
    store = await openSqliteStore({ file });
    expect(await store.campaigns.spend('c-small', DAY_KEY)).toBe(10);
    expect((await store.campaigns.spendByDay({ from: DAY_KEY, to: DAY_KEY }))[0]?.clicks).toBe(1000);
  }, 20_000);
});

const mongoUri = process.env.MONGODB_URI;

describe.skipIf(!mongoUri)('ad budget under concurrency (MongoDB / FerretDB)', () => {
  it('40 concurrent clicks against a budget of 10 spend exactly 10', async () => {
    const uri = mongoUriWithDb(mongoUri!, `sa_ads_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`);
    const mongo = await openMongoStore({ uri, serverSelectionTimeoutMS: 5000 });
    try {
      await mongo.campaigns.create(SMALL_CAMPAIGN);
      const ads = new AdServer({ store: mongo, clock: () => NOW });
      const prices = Array.from({ length: 40 }, (_, i) => [0.37, 0.5, 0.13][i % 3]!);
      const results = await Promise.all(prices.map((price, i) => ads.click('c-small', `cus-${i % 7}`, 'P-1', price)));
      expect(cents(results.map((r) => r.charged))).toBe(1000);
      expect(await mongo.campaigns.spend('c-small', DAY_KEY)).toBe(10);
      expect(await mongo.interactions.count({ type: 'click', source: 'ad:c-small' })).toBe(40);
    } finally {
      const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      await conn.dropDatabase();
      await conn.close();
      await mongo.close();
    }
  }, 60_000);
});
