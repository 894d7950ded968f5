import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoShop, type DemoShop } from '../app/demo-shop.js';
import { verifyPassword } from '../app/passwords.js';
import { SEED_KINDS, seedDemoShop, seedLoadedShop, type SeedKind, type SeedReport } from '../app/seed.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { KnowledgeDocument, Order, OrderStatus, Page, PageRequest, Store } from '../store/index.js';

/** Reads every page of a cursor-paginated list. */
async function all<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list({ limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

function expectedCounts(shop: DemoShop): Record<SeedKind, number> {
  return {
    products: shop.products.length,
    customers: shop.customers.length,
    orders: shop.orders.length,
    returns: shop.returns.length,
    knowledge: shop.knowledge.length,
    agents: shop.agents.length,
    campaigns: shop.campaigns.length,
    interactions: shop.interactions.length,
  };
}

// The demo's dates move so that its newest order event is the day before the seed runs.
const seededAt = new Date('2027-03-15T10:00:00.000Z');

describe('seedDemoShop on SQLite', () => {
  let dir: string;
  let store: Store;
  let shop: DemoShop;
  let first: SeedReport;
  let second: SeedReport;
  let dataVersionAfterFirst: string;
  const progress: Array<[SeedKind, number, number]> = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seed-int-'));
    store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
    shop = await loadDemoShop();
    first = await seedDemoShop(store, { now: seededAt, onProgress: (step, done, total) => progress.push([step, done, total]) });
    dataVersionAfterFirst = await store.knowledge.dataVersion();
    second = await seedDemoShop(store, { now: new Date(seededAt.getTime() + 3 * 86_400_000) });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates everything on the first run', () => {
    const expected = expectedCounts(shop);
    for (const kind of SEED_KINDS) {
      expect(first[kind], kind).toEqual({ created: expected[kind], updated: 0, unchanged: 0 });
    }
    expect(expected).toMatchObject({ products: 200, customers: 50, orders: 300, agents: 4, campaigns: 5, interactions: 2000 });
  });

  it('creates and changes nothing on the second run', async () => {
    const expected = expectedCounts(shop);
    for (const kind of SEED_KINDS) {
      expect(second[kind], kind).toEqual({ created: 0, updated: 0, unchanged: expected[kind] });
    }
    expect(await store.knowledge.dataVersion()).toBe(dataVersionAfterFirst);
    const docs = await all<KnowledgeDocument>((p) => store.knowledge.list({}, p));
    expect(docs.every((d) => d.version === 1)).toBe(true);
  });

  it('leaves the store holding exactly the demo shop', async () => {
    const counts = await store.counts();
    const expected = expectedCounts(shop);
    expect(counts).toMatchObject({
      products: expected.products,
      customers: expected.customers,
      orders: expected.orders,
      returns: expected.returns,
      knowledge: expected.knowledge,
      agents: expected.agents,
      campaigns: expected.campaigns,
      interactions: expected.interactions,
      conversations: 0,
      messages: 0,
    });
  });

  it('reports progress for every kind, ending at done = total', () => {
    for (const kind of SEED_KINDS) {
      const last = progress.filter(([step]) => step === kind).at(-1);
      expect(last, kind).toEqual([kind, expectedCounts(shop)[kind], expectedCounts(shop)[kind]]);
    }
  });

  it('stores orders whose items and customers exist, in every status', async () => {
    const orders = await all<Order>((p) => store.orders.listByTime({}, p));
    expect(orders).toHaveLength(300);
    const productIds = [...new Set(orders.flatMap((o) => o.items.map((i) => i.productId)))];
    const products = await store.products.getMany(productIds);
    expect(products.map((p) => p.id).sort()).toEqual(productIds.sort());
    const prices = new Map(products.map((p) => [p.id, p.price]));
    for (const o of orders) {
      expect(await store.customers.get(o.customerId), o.number).not.toBeNull();
      const sum = o.items.reduce((s, i) => s + i.quantity * i.unitPrice, 0);
      expect(o.total, o.number).toBeCloseTo(sum, 2);
      for (const item of o.items) expect(item.unitPrice, `${o.number} ${item.productId}`).toBe(prices.get(item.productId));
      expect(/^SA\d{6}$/.test(o.number), o.number).toBe(true);
    }
    const statuses: OrderStatus[] = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'returned', 'refunded'];
    for (const s of statuses) expect(orders.some((o) => o.status === s), s).toBe(true);
  });

  it('keeps order dates consistent with the status', async () => {
    const orders = await all<Order>((p) => store.orders.listByTime({}, p));
    const fixedNow = seededAt;
    const latest = Math.max(...orders.flatMap((o) => [o.placedAt, o.paidAt, o.shippedAt, o.deliveredAt, o.cancelledAt].filter((d) => d !== undefined).map((d) => d.getTime())));
    // Rebased by whole days: the newest event falls within the two days before the seed.
    expect(seededAt.getTime() - latest).toBeGreaterThan(86_400_000);
    expect(seededAt.getTime() - latest).toBeLessThanOrEqual(2 * 86_400_000);
    expect(orders.some((o) => o.status === 'delivered' && seededAt.getTime() - (o.deliveredAt?.getTime() ?? 0) < 7 * 86_400_000)).toBe(true);
    for (const o of orders) {
      const shipped = ['shipped', 'delivered', 'returned', 'refunded'].includes(o.status);
      const delivered = ['delivered', 'returned', 'refunded'].includes(o.status);
      expect(o.placedAt.getTime(), o.number).toBeLessThanOrEqual(fixedNow.getTime());
      expect(o.shippedAt !== undefined, o.number).toBe(shipped);
      expect(o.trackingNumber !== undefined && o.carrier !== undefined, o.number).toBe(shipped);
      expect(o.deliveredAt !== undefined, o.number).toBe(delivered);
      expect(o.cancelledAt !== undefined, o.number).toBe(o.status === 'cancelled');
      if (o.status === 'pending') expect(o.paidAt, o.number).toBeUndefined();
      if (o.paidAt) expect(o.paidAt >= o.placedAt, o.number).toBe(true);
      if (o.shippedAt && o.paidAt) expect(o.shippedAt >= o.paidAt, o.number).toBe(true);
      if (o.deliveredAt && o.shippedAt) expect(o.deliveredAt >= o.shippedAt, o.number).toBe(true);
    }
  });

  it('stores each return on its order with the status from the data', async () => {
    for (const r of shop.returns) {
      const order = await store.orders.getByNumber(r.orderNumber);
      expect(order, r.orderNumber).not.toBeNull();
      const stored = (await store.returns.listByOrder(order?.id ?? '')).filter((x) => x.rmaCode === r.rmaCode);
      expect(stored, r.rmaCode).toHaveLength(1);
      expect(stored[0]?.status).toBe(r.status);
      expect(stored[0]?.customerId).toBe(order?.customerId);
      expect(['delivered', 'returned', 'refunded']).toContain(order?.status);
    }
  });

  it('stores every knowledge article in English and Chinese', async () => {
    const docs = await all<KnowledgeDocument>((p) => store.knowledge.list({}, p));
    const bySlug = new Map<string, Set<string>>();
    for (const d of docs) bySlug.set(d.slug, (bySlug.get(d.slug) ?? new Set()).add(d.locale));
    expect(bySlug.size).toBe(shop.knowledge.length / 2);
    for (const [slug, locales] of bySlug) expect([...locales].sort(), slug).toEqual(['en', 'zh']);
  });

  it('stores agents with scrypt hashes of their demo passwords', async () => {
    for (const a of shop.agents) {
      const stored = await store.agents.getByEmail(a.email);
      expect(stored?.role).toBe(a.role);
      expect(stored?.passwordHash.startsWith('scrypt$16384$8$1$')).toBe(true);
      expect(await verifyPassword(a.password, stored?.passwordHash ?? '')).toBe(true);
      expect(await verifyPassword(`${a.password}x`, stored?.passwordHash ?? '')).toBe(false);
    }
    expect(new Set(shop.agents.map((a) => a.role))).toEqual(new Set(['agent', 'supervisor', 'admin']));
  });

  it('stores active campaigns for real products', async () => {
    const active = await store.campaigns.list({ status: 'active', activeAt: seededAt });
    expect(active.items).toHaveLength(5);
    for (const c of active.items) expect(await store.products.get(c.productId), c.id).not.toBeNull();
  });

  it('records a purchase interaction for every item of every paid, not cancelled order', async () => {
    const purchases = await all((p) => store.interactions.list({ type: 'purchase' }, p));
    const bought = new Set(purchases.map((i) => `${i.customerId}|${i.productId}`));
    const orders = await all<Order>((p) => store.orders.listByTime({}, p));
    for (const o of orders.filter((x) => x.paidAt && x.status !== 'cancelled')) {
      for (const item of o.items) expect(bought.has(`${o.customerId}|${item.productId}`), `${o.number} ${item.productId}`).toBe(true);
    }
    const ratings = await all((p) => store.interactions.list({ type: 'rating' }, p));
    expect(ratings.length).toBeGreaterThan(50);
    for (const r of ratings) expect(r.value).toBeGreaterThanOrEqual(0.5);
  });

  it('keeps live stock and live customers when seeded again, but refreshes changed catalog text', async () => {
    const before = await store.products.get('P-RUN-002');
    expect(before).not.toBeNull();
    await store.products.adjustStock('P-RUN-002', -1);
    await store.customers.update('cus_demo_001', { displayName: 'Wang Fang' });
    const edited: DemoShop = {
      ...shop,
      products: shop.products.map((p) => (p.id === 'P-RUN-003' ? { ...p, price: p.price + 10 } : p)),
    };
    const third = await seedLoadedShop(store, edited);
    expect(third.products).toEqual({ created: 0, updated: 1, unchanged: 199 });
    expect(third.customers.created).toBe(0);
    expect((await store.products.get('P-RUN-002'))?.stock).toBe((before?.stock ?? 0) - 1);
    const refreshed = await store.products.get('P-RUN-003');
    const original = shop.products.find((p) => p.id === 'P-RUN-003');
    expect(refreshed?.price).toBe((original?.price ?? 0) + 10);
    expect((await store.customers.get('cus_demo_001'))?.displayName).toBe('Wang Fang');
  });
});
