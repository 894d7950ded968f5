import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdServer, keywordIn, shopDay, targetingMatches, type AdRequest, type AdServerOptions } from '../../recommender/ads/index.js';
import { openSqliteStore, type NewCampaign, type ProductInput, type Store } from '../../store/index.js';

// 12:00 in Shanghai (UTC+8): half of the shop day has passed.
const NOON = new Date('2026-11-29T04:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dir: string;
let store: Store;
let now: Date;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sa-ads-'));
  store = await openSqliteStore({ file: join(dir, 'shop.db') });
  now = NOON;
  for (const p of [
    product('P-RUN-1', 'running-shoes'),
    product('P-RUN-2', 'running-shoes'),
    product('P-AUD-1', 'headphones'),
    product('P-OUT', 'running-shoes', 0),
  ]) {
    await store.products.upsert(p);
  }
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function product(id: string, category: string, stock = 5): ProductInput {
  return {
    id,
    category,
    title: { en: `Product ${id}`, zh: `商品 ${id}` },
    description: { en: 'A product', zh: '一件商品' },
    price: 399,
    currency: 'CNY',
    stock,
    attributes: {},
    tags: [],
  };
}

function campaign(id: string, productId: string, over: Partial<NewCampaign> = {}): Promise<unknown> {
  return store.campaigns.create({
    id,
    name: `Campaign ${id}`,
    productId,
    bid: 1,
    dailyBudget: 100,
    status: 'active',
    startsAt: new Date(NOON.getTime() - 30 * DAY),
    targeting: { categories: [], intents: [], keywords: [] },
    ...over,
  });
}

function server(over: Partial<AdServerOptions> = {}): AdServer {
  return new AdServer({ store, clock: () => now, random: () => 0.5, ...over });
}

/** A request whose relevance comes from a table (missing products: 0). */
function request(relevance: Record<string, number>, over: Partial<AdRequest> = {}): AdRequest {
  return { customerId: 'cus-1', locale: 'en', relevance: (id) => relevance[id] ?? 0, ...over };
}

const round = (x: number): number => Math.round(x * 100) / 100;

describe('AdServer.select: auction', () => {
  it('ranks by bid × relevance and the winner pays the second price plus a cent', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 2 });
    await campaign('c-b', 'P-RUN-2', { bid: 1 });
    const slot = await server().select(request({ 'P-RUN-1': 0.8, 'P-RUN-2': 0.9 }));
    expect(slot?.campaign.id).toBe('c-a');
    expect(slot?.product.id).toBe('P-RUN-1');
    expect(slot?.relevance).toBe(0.8);
    expect(slot?.score).toBeCloseTo(2 * 0.8, 10);
    // runner-up score 1 × 0.9; the winner needs 0.9 / 0.8 = 1.125 to keep its rank
    expect(slot?.price).toBe(round((1 * 0.9) / 0.8 + 0.01));
    expect(slot!.price).toBeLessThan(2);
  });

  it('a higher bid can lose to more relevance; the price never exceeds the bid', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 2 });
    await campaign('c-b', 'P-RUN-2', { bid: 1.9 });
    const slot = await server().select(request({ 'P-RUN-1': 0.3, 'P-RUN-2': 0.9 }));
    expect(slot?.campaign.id).toBe('c-b');
    expect(slot?.price).toBe(round((2 * 0.3) / 0.9 + 0.01));
    // nearly tied scores: second price + 0.01 would pass the bid, so the bid caps it
    await store.campaigns.update('c-a', { bid: 1.9 });
    const tied = await server().select(request({ 'P-RUN-1': 0.9, 'P-RUN-2': 0.9 }));
    expect(tied?.price).toBe(1.9);
  });

  it('a lone winner pays the reserve price; a bid below the reserve never runs', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 2 });
    expect((await server().select(request({ 'P-RUN-1': 0.5 })))?.price).toBe(0.1);
    expect((await server({ reservePrice: 0.75 }).select(request({ 'P-RUN-1': 0.5 })))?.price).toBe(0.75);
    expect(await server({ reservePrice: 2.5 }).select(request({ 'P-RUN-1': 0.5 }))).toBeNull();
  });

  it('the price is at least the reserve even when the runner-up is far behind', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 3 });
    await campaign('c-b', 'P-RUN-2', { bid: 0.2 });
    const slot = await server({ reservePrice: 0.3 }).select(request({ 'P-RUN-1': 1, 'P-RUN-2': 0.2 }));
    expect(slot?.campaign.id).toBe('c-a');
    expect(slot?.price).toBe(0.3);
  });

  it('ties are broken by the injected random source', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 1 });
    await campaign('c-b', 'P-RUN-2', { bid: 1 });
    const rel = { 'P-RUN-1': 0.5, 'P-RUN-2': 0.5 };
    let n = 0;
    const first = await server({ random: () => [0.9, 0.1][n++ % 2]! }).select(request(rel));
    n = 0;
    const second = await server({ random: () => [0.1, 0.9][n++ % 2]! }).select(request(rel));
    expect(new Set([first?.campaign.id, second?.campaign.id])).toEqual(new Set(['c-a', 'c-b']));
  });
});

describe('AdServer.select: eligibility', () => {
  it('the relevance floor keeps ads out where they make no sense', async () => {
    await campaign('c-a', 'P-RUN-1');
    expect(await server().select(request({ 'P-RUN-1': 0.19 }))).toBeNull();
    expect((await server().select(request({ 'P-RUN-1': 0.2 })))?.campaign.id).toBe('c-a');
    expect(await server({ relevanceFloor: 0.5 }).select(request({ 'P-RUN-1': 0.4 }))).toBeNull();
    expect(await server().select(request({ 'P-RUN-1': Number.NaN }))).toBeNull();
    expect(
      await server().select(
        request({}, {
          relevance: () => {
            throw new Error('model not loaded');
          },
        }),
      ),
    ).toBeNull();
    // relevance above 1 is clipped, not trusted
    expect((await server().select(request({ 'P-RUN-1': 7 })))?.relevance).toBe(1);
  });

  it('skips paused, not yet started and ended campaigns, products out of stock, missing or on screen', async () => {
    await campaign('c-paused', 'P-RUN-1', { status: 'paused', bid: 5 });
    await campaign('c-future', 'P-RUN-1', { startsAt: new Date(NOON.getTime() + HOUR), bid: 5 });
    await campaign('c-ended', 'P-RUN-1', { startsAt: new Date(NOON.getTime() - 3 * DAY), endsAt: new Date(NOON.getTime() - HOUR), bid: 5 });
    await campaign('c-out', 'P-OUT', { bid: 5 });
    await campaign('c-missing', 'P-GONE', { bid: 5 });
    await campaign('c-ok', 'P-RUN-2', { bid: 0.5 });
    const rel = { 'P-RUN-1': 1, 'P-OUT': 1, 'P-GONE': 1, 'P-RUN-2': 0.5 };
    expect((await server().select(request(rel)))?.campaign.id).toBe('c-ok');
    expect(await server().select(request(rel, { exclude: new Set(['P-RUN-2']) }))).toBeNull();
    // the future campaign starts running once its time comes
    now = new Date(NOON.getTime() + 2 * HOUR);
    expect((await server().select(request(rel)))?.campaign.id).toBe('c-future');
  });

  it('targeting: any non-empty dimension matches; all empty is run-of-site', async () => {
    await campaign('c-cat', 'P-RUN-1', { targeting: { categories: ['running-shoes'], intents: [], keywords: [] } });
    await campaign('c-intent', 'P-RUN-2', { targeting: { categories: [], intents: ['gift_ideas'], keywords: [] } });
    await campaign('c-kw', 'P-AUD-1', { targeting: { categories: ['headphones'], intents: [], keywords: ['noise cancelling', '降噪'] } });
    const one = (id: string) => ({ [id]: 0.9 });
    const s = server();
    expect((await s.select(request(one('P-RUN-1'), { categories: ['Running-Shoes'] })))?.campaign.id).toBe('c-cat');
    expect(await s.select(request(one('P-RUN-1'), { categories: ['tops'], intent: 'recommend', text: 'running shoes' }))).toBeNull();
    expect((await s.select(request(one('P-RUN-2'), { intent: 'gift_ideas' })))?.campaign.id).toBe('c-intent');
    expect(await s.select(request(one('P-RUN-2'), { intent: 'recommend' }))).toBeNull();
    expect((await s.select(request(one('P-AUD-1'), { text: 'Any NOISE CANCELLING headphones?' })))?.campaign.id).toBe('c-kw');
    expect((await s.select(request(one('P-AUD-1'), { locale: 'zh', text: '有没有降噪耳机' })))?.campaign.id).toBe('c-kw');
    expect(await s.select(request(one('P-AUD-1'), { text: 'something quiet' }))).toBeNull();
    await campaign('c-ros', 'P-RUN-2', { bid: 0.5 });
    expect((await s.select(request(one('P-RUN-2'), { text: 'anything' })))?.campaign.id).toBe('c-ros');
  });

  it('keywords match whole words in spaced scripts and substrings in Chinese', () => {
    expect(keywordIn('a cotton tee, please', 'tee')).toBe(true);
    expect(keywordIn('steel water bottle', 'tee')).toBe(false);
    expect(keywordIn('ＭＡＲＡＴＨＯＮ training', 'marathon')).toBe(true);
    expect(keywordIn('推荐一双马拉松跑鞋', '跑鞋')).toBe(true);
    expect(keywordIn('推荐一双马拉松跑鞋', '耳机')).toBe(false);
    expect(keywordIn('跑鞋shoes', 'shoes')).toBe(true);
    expect(keywordIn('anything', '')).toBe(false);
    expect(targetingMatches({ categories: ['a'], intents: [], keywords: [] }, {})).toBe(false);
    expect(targetingMatches({ categories: [], intents: [], keywords: [] }, {})).toBe(true);
  });
});

describe('AdServer.select: frequency cap, pacing, budget', () => {
  it('shows a campaign at most frequencyCap times per customer per shop day', async () => {
    await campaign('c-a', 'P-RUN-1');
    const s = server({ frequencyCap: 2 });
    const rel = { 'P-RUN-1': 0.9 };
    for (let i = 0; i < 2; i++) {
      const slot = await s.select(request(rel));
      expect(slot?.campaign.id).toBe('c-a');
      await s.recordImpression(slot!, 'cus-1');
    }
    expect(await s.select(request(rel))).toBeNull();
    expect((await s.select(request(rel, { customerId: 'cus-2' })))?.campaign.id).toBe('c-a');
    expect(await store.interactions.count({ customerId: 'cus-1', type: 'impression', source: 'ad:c-a' })).toBe(2);
    // 23:59 Shanghai is still the same day; 00:00 is the next one
    now = new Date('2026-11-29T15:59:00.000Z');
    expect(await s.select(request(rel))).toBeNull();
    now = new Date('2026-11-29T16:00:00.000Z');
    expect((await s.select(request(rel)))?.campaign.id).toBe('c-a');
  });

  it('paces spend evenly over the day, with an allowance', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 1, dailyBudget: 100 });
    const rel = { 'P-RUN-1': 0.9 };
    now = new Date('2026-11-28T17:00:00.000Z'); // 01:00 Shanghai
    const { day, elapsed } = shopDay(now, 'Asia/Shanghai');
    expect(day).toBe('2026-11-29');
    expect(elapsed).toBeCloseTo(1 / 24, 10);
    const allowed = 100 * elapsed + Math.max(0.05 * 100, 1); // ≈ 9.17 by 01:00
    await store.campaigns.charge('c-a', day, Math.floor(allowed));
    expect((await server().select(request(rel)))?.campaign.id).toBe('c-a');
    await store.campaigns.charge('c-a', day, 1);
    expect(await store.campaigns.spend('c-a', day)).toBeGreaterThanOrEqual(allowed);
    expect(await server().select(request(rel))).toBeNull();
    expect((await server({ pacingAllowance: false }).select(request(rel)))?.campaign.id).toBe('c-a');
    // later in the day the same spend is on pace again
    now = new Date('2026-11-29T04:00:00.000Z');
    expect((await server().select(request(rel)))?.campaign.id).toBe('c-a');
  });

  it('a winner that cannot afford its price gives way; a spent budget shows nothing', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 2, dailyBudget: 10 });
    await campaign('c-b', 'P-RUN-2', { bid: 1, dailyBudget: 10 });
    const rel = { 'P-RUN-1': 0.9, 'P-RUN-2': 0.9 };
    const s = server({ pacingAllowance: false });
    const first = await s.select(request(rel));
    expect(first?.campaign.id).toBe('c-a');
    expect(first?.price).toBe(round((1 * 0.9) / 0.9 + 0.01));
    await store.campaigns.charge('c-a', '2026-11-29', 9.5); // 0.50 left < 1.01
    const second = await s.select(request(rel));
    expect(second?.campaign.id).toBe('c-b');
    expect(second?.price).toBe(0.1); // alone now: the reserve
    await store.campaigns.charge('c-b', '2026-11-29', 10);
    expect(await s.select(request({ 'P-RUN-2': 0.9 }))).toBeNull();
  });
});

describe('AdServer: clicks, conversions, report', () => {
  it('click charges min(price, bid), records the click, and stops at the budget', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 1.5, dailyBudget: 3 });
    const s = server();
    expect(await s.click('c-a', 'cus-1', 'P-RUN-1', 1.2)).toEqual({ charged: 1.2 });
    expect(await s.click('c-a', 'cus-1', 'P-RUN-1', 9)).toEqual({ charged: 1.5 });
    expect(await s.click('c-a', 'cus-2', 'P-RUN-1', 1.2)).toEqual({ charged: round(3 - 1.2 - 1.5) });
    expect(await s.click('c-a', 'cus-2', 'P-RUN-1', 1.2)).toEqual({ charged: 0 });
    expect(await store.campaigns.spend('c-a', '2026-11-29')).toBe(3);
    expect(await store.interactions.count({ type: 'click', source: 'ad:c-a' })).toBe(4);
  });

  it('bad input is a ShopError, never a crash, and charges nothing', async () => {
    await campaign('c-a', 'P-RUN-1');
    const s = server();
    await expect(s.click('c-missing', 'cus-1', 'P-RUN-1', 1)).rejects.toMatchObject({ name: 'ShopError', code: 'not_found' });
    await expect(s.click('c-a', 'cus-1', 'P-RUN-1', Number.NaN)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.click('c-a', 'cus-1', 'P-RUN-1', -1)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.click('c-a', 'cus-1', 'P-AUD-1', 1)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.click('c-a', '', 'P-RUN-1', 1)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.conversion('cus-1', 'P-RUN-1', Number.NaN)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.report({ from: NOON, to: NOON })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(s.select({ ...request({}), customerId: '' })).rejects.toMatchObject({ code: 'bad_request' });
    expect(() => new AdServer({ store, timeZone: 'Mars/Olympus' })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(await store.campaigns.spend('c-a', '2026-11-29')).toBe(0);
    expect(await store.interactions.count({})).toBe(0);
  });

  it('conversion: last ad click within 7 days wins; otherwise nothing is attributed', async () => {
    await campaign('c-a', 'P-RUN-1');
    await campaign('c-b', 'P-RUN-1');
    const s = server();
    expect(await s.conversion('cus-1', 'P-RUN-1', 399)).toBeNull();
    await s.click('c-a', 'cus-1', 'P-RUN-1', 0.5);
    now = new Date(NOON.getTime() + HOUR);
    await s.click('c-b', 'cus-1', 'P-RUN-1', 0.5);
    await store.interactions.record({ customerId: 'cus-1', productId: 'P-RUN-1', type: 'click', source: 'recommendation', createdAt: new Date(NOON.getTime() + 2 * HOUR) });
    expect(await s.conversion('cus-1', 'P-RUN-1', 399, new Date(NOON.getTime() + 3 * DAY))).toBe('c-b');
    const purchases = await store.interactions.list({ type: 'purchase', source: 'ad:c-b' });
    expect(purchases.items).toHaveLength(1);
    expect(purchases.items[0]).toMatchObject({ customerId: 'cus-1', productId: 'P-RUN-1', value: 399 });
    expect(await s.conversion('cus-1', 'P-RUN-1', 399, new Date(NOON.getTime() + 8 * DAY))).toBeNull();
    expect(await s.conversion('cus-2', 'P-RUN-1', 399, new Date(NOON.getTime() + DAY))).toBeNull();
    expect(await s.conversion('cus-1', 'P-AUD-1', 99, new Date(NOON.getTime() + DAY))).toBeNull();
  });

  it('report: impressions, clicks, CTR, spend, conversions, revenue and ROAS per campaign', async () => {
    await campaign('c-a', 'P-RUN-1', { bid: 2 });
    await campaign('c-b', 'P-AUD-1', { bid: 1 });
    const s = server({ frequencyCap: 100 });
    const rel = { 'P-RUN-1': 0.9 };
    for (const customer of ['cus-1', 'cus-2', 'cus-3', 'cus-4']) {
      const slot = await s.select(request(rel, { customerId: customer }));
      await s.recordImpression(slot!, customer);
    }
    await s.click('c-a', 'cus-1', 'P-RUN-1', 1.25);
    await s.click('c-a', 'cus-2', 'P-RUN-1', 0.75);
    await s.conversion('cus-1', 'P-RUN-1', 399);
    const report = await s.report({ from: new Date(NOON.getTime() - HOUR), to: new Date(NOON.getTime() + HOUR) });
    expect(report.map((r) => r.campaignId)).toEqual(['c-a', 'c-b']);
    const a = report[0]!;
    expect(a).toMatchObject({ impressions: 4, clicks: 2, chargedClicks: 2, spend: 2, conversions: 1, revenue: 399 });
    expect(a.ctr).toBe(2 / 4);
    expect(a.roas).toBe(399 / 2);
    expect(report[1]).toMatchObject({ impressions: 0, clicks: 0, ctr: 0, spend: 0, conversions: 0, revenue: 0, roas: null });
    const before = await s.report({ from: new Date(NOON.getTime() - 3 * DAY), to: new Date(NOON.getTime() - 2 * DAY) });
    expect(before[0]).toMatchObject({ impressions: 0, clicks: 0, spend: 0 });
  });
});
