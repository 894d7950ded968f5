/**
 * The sponsored slot obeys the shopper's hard constraints: the ad server never sponsors a
 * product the request's `eligible` check refuses (category, price bounds, named attributes),
 * however well its campaign is targeted or however much it bids. Real SQLite store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdServer, type AdRequest } from '../recommender/ads/index.js';
import { openSqliteStore, type ProductInput, type Store } from '../store/index.js';

const NOON = new Date('2026-11-29T04:00:00.000Z');
const DAY = 86_400_000;

let dir: string;
let store: Store;

function product(id: string, tags: string[]): ProductInput {
  return { id, category: 'headphones', title: { en: id, zh: id }, description: { en: '', zh: '' }, price: 500, currency: 'CNY', stock: 5, attributes: {}, tags };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sa-ad-constraints-'));
  store = await openSqliteStore({ file: join(dir, 'shop.db') });
  await store.products.upsert(product('P-ANC', ['noise-cancelling']));
  await store.products.upsert(product('P-KIDS', ['kids']));
  // The kids' headphones bid far more: without the constraint they would win the slot.
  for (const [id, productId, bid] of [['c-anc', 'P-ANC', 1], ['c-kids', 'P-KIDS', 5]] as const) {
    await store.campaigns.create({ id, name: id, productId, bid, dailyBudget: 100, status: 'active', startsAt: new Date(NOON.getTime() - 30 * DAY), targeting: { categories: ['headphones'], intents: [], keywords: [] } });
  }
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const ads = () => new AdServer({ store, clock: () => NOON, random: () => 0.5 });
const request = (over: Partial<AdRequest> = {}): AdRequest => ({ customerId: 'cus-1', locale: 'en', categories: ['headphones'], relevance: () => 1, ...over });

describe('sponsored products obey the hard constraints', () => {
  it('without a constraint the highest bid wins; with "noise-cancelling only" the kids\' headphones never show', async () => {
    expect((await ads().select(request()))?.product.id).toBe('P-KIDS');
    const onlyAnc = new Set(['P-ANC']);
    const slot = await ads().select(request({ eligible: (id) => onlyAnc.has(id) }));
    expect(slot?.product.id).toBe('P-ANC');
    expect(slot?.campaign.id).toBe('c-anc');
  });

  it('no eligible product: no ad at all (never an unrelated one)', async () => {
    expect(await ads().select(request({ eligible: () => false }))).toBeNull();
  });

  it('a failing or odd eligibility check sponsors nothing rather than something that may not fit', async () => {
    const throws = await ads().select(
      request({
        eligible: () => {
          throw new Error('boom');
        },
      }),
    );
    expect(throws).toBeNull();
    expect(await ads().select(request({ eligible: (() => 'yes') as unknown as AdRequest['eligible'] }))).toBeNull();
  });
});
