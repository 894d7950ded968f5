import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { createTrackingRouter, safeRedirect, signTrackingToken, trackingLink, verifyTrackingToken, type TrackingPayload } from '../app/tracking-routes.js';
import { AdServer } from '../recommender/ads/index.js';
import { openSqliteStore, type Store } from '../store/index.js';

const SECRET = 'tracking-secret-0123456789abcdef';
const SHOP = 'https://shop.example';
const NOW = new Date('2026-11-29T04:00:00.000Z');
const DAY_KEY = '2026-11-29';
const DAY_MS = 86_400_000;

const dir = mkdtempSync(path.join(tmpdir(), 'sa-tracking-'));
let store: Store;
let server: Server;
let base = '';

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  const ads = new AdServer({ store, clock: () => NOW });
  const app = createHttpApp(
    { store, logger: createLogger({ level: 'silent' }), readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: false },
    (a) => a.use(createTrackingRouter({ store, ads, secret: SECRET, shopUrl: SHOP, clock: () => NOW })),
  );
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let serial = 0;
let campaignId = '';

beforeEach(async () => {
  serial += 1;
  campaignId = `c-${serial}`;
  await store.campaigns.create({
    id: campaignId,
    name: 'Running shoes',
    productId: 'P-RUN-001',
    bid: 1.5,
    dailyBudget: 2,
    status: 'active',
    startsAt: new Date('2026-01-01T00:00:00.000Z'),
    targeting: { categories: [], intents: [], keywords: [] },
  });
});

function payload(over: Partial<TrackingPayload> = {}): TrackingPayload {
  return { c: `cus-${serial}`, p: 'P-RUN-001', s: 'recommendation', u: '/demo/p/P-RUN-001', t: NOW.getTime() - 60_000, ...over };
}

async function follow(token: string): Promise<{ status: number; location: string | null; body: string; type: string | null }> {
  const res = await fetch(`${base}/r/${token}`, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text(), type: res.headers.get('content-type') };
}

const clicks = (customerId: string) => store.interactions.count({ customerId, type: 'click' });

describe('GET /r/:token', () => {
  it('a valid recommendation link: 302 to the product, click recorded with its source', async () => {
    const link = trackingLink(payload(), SECRET, `${base}/`);
    expect(link.startsWith(`${base}/r/`)).toBe(true);
    const direct = await fetch(link, { redirect: 'manual' });
    expect(direct.status).toBe(302);
    expect(await clicks(`cus-${serial}`)).toBe(1);
    // The same link again within a minute (a double click, a prefetch): redirected, counted once.
    const res = await follow(signTrackingToken(payload(), SECRET));
    expect(res.status).toBe(302);
    expect(res.location).toBe('/demo/p/P-RUN-001');
    const recorded = await store.interactions.list({ customerId: `cus-${serial}` });
    expect(recorded.items).toHaveLength(1);
    expect(recorded.items[0]).toMatchObject({ productId: 'P-RUN-001', type: 'click', source: 'recommendation' });
  });

  it('an ad link charges the campaign (second price, never past the budget) and redirects', async () => {
    const token = (who: string) => signTrackingToken(payload({ c: `${who}-${serial}`, s: `ad:${campaignId}`, pr: 1.2, u: `${SHOP}/p/P-RUN-001?ref=chat` }), SECRET);
    const first = await follow(token('a'));
    expect(first.status).toBe(302);
    expect(first.location).toBe(`${SHOP}/p/P-RUN-001?ref=chat`);
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(1.2);
    await follow(token('a')); // the same shopper's double click: not charged again
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(1.2);
    await follow(token('b'));
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(2); // 0.80 left of 2.00
    expect((await follow(token('c'))).status).toBe(302); // budget spent: still redirected, charged 0
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(2);
    for (const who of ['a', 'b', 'c']) expect(await store.interactions.count({ customerId: `${who}-${serial}`, type: 'click', source: `ad:${campaignId}` })).toBe(1);
  });

  it('a HEAD (a link preview) redirects without recording or charging', async () => {
    const token = signTrackingToken(payload({ s: `ad:${campaignId}`, pr: 1 }), SECRET);
    const res = await fetch(`${base}/r/${token}`, { method: 'HEAD', redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/demo/p/P-RUN-001');
    expect(await clicks(`cus-${serial}`)).toBe(0);
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(0);
  });

  it('a tampered token is 400 with a short text, and nothing is recorded or charged', async () => {
    const token = signTrackingToken(payload({ s: `ad:${campaignId}`, pr: 1 }), SECRET);
    const [body, sig] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...payload({ s: `ad:${campaignId}`, pr: 1 }), u: '/demo/p/OTHER' })).toString('base64url');
    const flipped = `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [`${forged}.${sig}`, `${body}.${flipped}`, body, `${body}.`, 'not-a-token', signTrackingToken(payload(), 'another-secret-0123456789')]) {
      const res = await follow(encodeURIComponent(bad));
      expect(res.status, bad).toBe(400);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body.length).toBeLessThan(80);
      expect(res.location).toBeNull();
    }
    expect(await clicks(`cus-${serial}`)).toBe(0);
    expect(await store.campaigns.spend(campaignId, DAY_KEY)).toBe(0);
  });

  it('an expired token (over 30 days) is 400; a 29-day-old one still works', async () => {
    const expired = await follow(signTrackingToken(payload({ t: NOW.getTime() - 31 * DAY_MS }), SECRET));
    expect(expired.status).toBe(400);
    expect(expired.body).toMatch(/expired/);
    expect(await clicks(`cus-${serial}`)).toBe(0);
    expect((await follow(signTrackingToken(payload({ t: NOW.getTime() - 29 * DAY_MS }), SECRET))).status).toBe(302);
    expect(await clicks(`cus-${serial}`)).toBe(1);
  });

  it('never redirects off the shop, even with a valid signature', async () => {
    const attempts = [
      'https://evil.example/p/1',
      '//evil.example/p/1',
      '/\\evil.example/p/1',
      'https://shop.example.evil.example/p/1',
      'https://user@shop.example/p/1',
      'javascript:alert(1)',
      'http://shop.example/p/1', // another origin: the shop is https
      '/demo/p/\nSet-Cookie: x=1',
    ];
    for (const u of attempts) {
      const res = await follow(signTrackingToken(payload({ u }), SECRET));
      expect(res.status, u).toBe(400);
      expect(res.location, u).toBeNull();
    }
    expect(await clicks(`cus-${serial}`)).toBe(0);
  });
});

describe('tracking tokens', () => {
  it('sign and verify round-trip; verification checks the clock', () => {
    const p = payload({ s: 'ad:c-x', pr: 0.42 });
    const token = signTrackingToken(p, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyTrackingToken(token, SECRET, NOW)).toEqual(p);
    expect(() => verifyTrackingToken(token, SECRET, new Date(NOW.getTime() + 31 * DAY_MS))).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => verifyTrackingToken(token, SECRET, new Date(NOW.getTime() - DAY_MS))).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => signTrackingToken(p, 'short')).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(() => signTrackingToken({ ...p, pr: Number.NaN }, SECRET)).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  it('safeRedirect keeps relative paths and the shop origin only', () => {
    expect(safeRedirect('/demo/p/P-1?x=1#top')).toBe('/demo/p/P-1?x=1#top');
    expect(safeRedirect('/a/../b')).toBe('/b');
    expect(safeRedirect('https://shop.example/p/1', SHOP)).toBe('https://shop.example/p/1');
    expect(safeRedirect('https://shop.example/p/1')).toBeNull();
    expect(safeRedirect('p/1', SHOP)).toBeNull();
    expect(safeRedirect('//shop.example/p/1', SHOP)).toBeNull();
  });
});
