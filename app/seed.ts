/**
 * Seeds a store with the demo shop. Idempotent, so `npm start` can run it on every boot:
 * a second run finds everything in place and writes nothing. It only adds what is
 * missing; records the app has since changed (an order that moved on, a customer who
 * edited their profile, live stock levels) are left as they are.
 */
import { hashPassword } from './passwords.js';
import { loadDemoShop, type DemoShop } from './demo-shop.js';
import type { Product, ProductInput, Store } from '../store/index.js';

export const SEED_KINDS = [
  'products',
  'customers',
  'orders',
  'returns',
  'knowledge',
  'agents',
  'campaigns',
  'interactions',
] as const;
export type SeedKind = (typeof SEED_KINDS)[number];

export interface SeedCount {
  created: number;
  /** Existing records brought up to date with the data files (products and knowledge only). */
  updated: number;
  unchanged: number;
}

export type SeedReport = Record<SeedKind, SeedCount>;

export interface SeedOptions {
  /** Folder with the demo shop files; defaults to data/demo-shop. */
  dir?: string;
  onProgress?: (step: SeedKind, done: number, total: number) => void;
  /**
   * The demo's dates are moved by whole days so its newest order event is the day before
   * `now` (default: the current time): a fresh demo always has orders in transit and
   * deliveries still inside the return window. `false` keeps the dates of the files.
   */
  now?: Date | false;
}

const INTERACTION_BATCH = 500;

/** JSON with sorted keys, so equal content compares equal whatever order a database returns. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Catalog content, without stock: stock is live data the shop changes as it sells. */
function productContent(p: ProductInput | Product): unknown {
  return {
    category: p.category,
    title: p.title,
    description: p.description,
    price: p.price,
    currency: p.currency,
    attributes: p.attributes,
    tags: p.tags,
    imageUrl: p.imageUrl ?? null,
  };
}

/** Loads the demo shop from `opts.dir` and adds whatever the store is missing. */
export async function seedDemoShop(store: Store, opts: SeedOptions = {}): Promise<SeedReport> {
  const shop = await loadDemoShop(opts.dir);
  const now = opts.now === undefined ? new Date() : opts.now;
  return seedLoadedShop(store, now === false ? shop : rebaseDemoDates(shop, now), opts.onProgress);
}

const DAY_MS = 86_400_000;

/**
 * The demo shop with every order, interaction and campaign date moved forward by the same
 * whole number of days, so that its latest order event falls on the day before `now`.
 * Data that is already recent enough is returned unchanged. Only records the store does not
 * have yet are written with these dates (seeding adds, it never rewrites history).
 */
export function rebaseDemoDates(shop: DemoShop, now: Date): DemoShop {
  const times = shop.orders.flatMap((o) => [o.placedAt, o.paidAt, o.shippedAt, o.deliveredAt, o.cancelledAt].filter((d): d is Date => d instanceof Date).map((d) => d.getTime()));
  if (times.length === 0) return shop;
  const days = Math.floor((now.getTime() - Math.max(...times)) / DAY_MS) - 1;
  if (days <= 0) return shop;
  const shift = (d: Date): Date => new Date(d.getTime() + days * DAY_MS);
  const opt = (d: Date | undefined): Date | undefined => (d ? shift(d) : undefined);
  return {
    ...shop,
    orders: shop.orders.map((o) => ({
      ...o,
      placedAt: shift(o.placedAt),
      paidAt: opt(o.paidAt),
      shippedAt: opt(o.shippedAt),
      deliveredAt: opt(o.deliveredAt),
      cancelledAt: opt(o.cancelledAt),
    })),
    interactions: shop.interactions.map((i) => (i.createdAt ? { ...i, createdAt: shift(i.createdAt) } : i)),
    campaigns: shop.campaigns.map((c) => ({ ...c, startsAt: shift(c.startsAt), endsAt: opt(c.endsAt) })),
  };
}

/** The same, for a shop already loaded (tests, or a caller that validated it earlier). */
export async function seedLoadedShop(
  store: Store,
  shop: DemoShop,
  onProgress: SeedOptions['onProgress'] = () => undefined,
): Promise<SeedReport> {
  const report = Object.fromEntries(SEED_KINDS.map((k) => [k, { created: 0, updated: 0, unchanged: 0 }])) as SeedReport;

  // Products: insert new ones; refresh catalog text and prices but keep the live stock.
  await each('products', shop.products, onProgress, async (p) => {
    const existing = await store.products.get(p.id);
    if (!existing) {
      await store.products.upsert(p);
      report.products.created++;
    } else if (canonical(productContent(existing)) !== canonical(productContent(p))) {
      await store.products.upsert({ ...p, stock: existing.stock });
      report.products.updated++;
    } else report.products.unchanged++;
  });

  await each('customers', shop.customers, onProgress, async (c) => {
    if (await store.customers.get(c.id)) {
      report.customers.unchanged++;
      return;
    }
    await store.customers.create(c);
    report.customers.created++;
  });

  const orderIds = new Map<string, string>();
  await each('orders', shop.orders, onProgress, async (o) => {
    const existing = await store.orders.getByNumber(o.number);
    if (existing) {
      orderIds.set(o.number, existing.id);
      report.orders.unchanged++;
      return;
    }
    const created = await store.orders.create(o);
    orderIds.set(o.number, created.id);
    report.orders.created++;
  });

  await each('returns', shop.returns, onProgress, async (r) => {
    const orderId = orderIds.get(r.orderNumber);
    // loadDemoShop guarantees the order is in the data, so it was found or created above.
    if (orderId === undefined) throw new Error(`order ${r.orderNumber} of return ${r.rmaCode} was not seeded`);
    const existing = await store.returns.listByOrder(orderId);
    if (existing.some((x) => x.rmaCode === r.rmaCode)) {
      report.returns.unchanged++;
      return;
    }
    const created = await store.returns.create({
      orderId,
      customerId: r.customerId,
      items: r.items,
      reason: r.reason,
      rmaCode: r.rmaCode,
      ...(r.refundAmount === undefined ? {} : { refundAmount: r.refundAmount }),
    });
    if (r.status !== created.status) {
      await store.returns.updateStatus(created.id, r.status, {
        expected: [created.status],
        ...(r.refundAmount === undefined ? {} : { refundAmount: r.refundAmount }),
      });
    }
    report.returns.created++;
  });

  // Knowledge: upsert bumps the version only when the content changed.
  await each('knowledge', shop.knowledge, onProgress, async (k) => {
    const before = await store.knowledge.getBySlug(k.slug, k.locale);
    const after = await store.knowledge.upsert(k);
    if (!before) report.knowledge.created++;
    else if (after.version !== before.version) report.knowledge.updated++;
    else report.knowledge.unchanged++;
  });

  await each('agents', shop.agents, onProgress, async ({ password, ...agent }) => {
    if (await store.agents.getByEmail(agent.email)) {
      report.agents.unchanged++;
      return;
    }
    await store.agents.create({ ...agent, passwordHash: await hashPassword(password) });
    report.agents.created++;
  });

  await each('campaigns', shop.campaigns, onProgress, async (c) => {
    if (await store.campaigns.get(c.id)) {
      report.campaigns.unchanged++;
      return;
    }
    await store.campaigns.create(c);
    report.campaigns.created++;
  });

  // Interactions have no natural key: load them once, into an empty collection.
  const total = shop.interactions.length;
  onProgress('interactions', 0, total);
  if ((await store.interactions.count()) === 0) {
    for (let i = 0; i < total; i += INTERACTION_BATCH) {
      const batch = shop.interactions.slice(i, i + INTERACTION_BATCH);
      report.interactions.created += await store.interactions.recordMany(batch);
      onProgress('interactions', Math.min(i + INTERACTION_BATCH, total), total);
    }
  } else {
    report.interactions.unchanged = total;
    onProgress('interactions', total, total);
  }

  return report;
}

/** Runs `fn` over `items` one at a time (order matters for time-ordered ids), reporting progress. */
async function each<T>(
  step: SeedKind,
  items: readonly T[],
  onProgress: NonNullable<SeedOptions['onProgress']>,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const every = Math.max(1, Math.ceil(items.length / 20));
  onProgress(step, 0, items.length);
  for (let i = 0; i < items.length; i++) {
    await fn(items[i] as T);
    if ((i + 1) % every === 0 || i + 1 === items.length) onProgress(step, i + 1, items.length);
  }
}
