/**
 * The store contract: one suite, run against every `Store` implementation, that knows none
 * of them (like botbuilder's storage conformance tests). Each test gets a fresh, empty
 * location; `open()` may be called again after `close()` to reopen the same data.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreItem } from 'botbuilder-core';
import type { ShopErrorCode } from '../../store/errors.js';
import { COLLECTIONS } from '../../store/types.js';
import type {
  Address,
  ChannelId,
  CollectionName,
  Conversation,
  KnowledgeInput,
  Message,
  NewAgent,
  NewCampaign,
  NewCustomer,
  NewMessage,
  NewOrder,
  Page,
  PageRequest,
  ProductInput,
  Store,
} from '../../store/types.js';

export interface StoreLocation {
  /** Opens the store on this location's data (again after `close()`: the same data). */
  open: () => Promise<Store>;
  /** Removes the location's data. */
  dispose: () => Promise<void>;
}

/** How many empty locations are opened ahead of the tests that will use them. */
const PREPARED_AHEAD = 3;

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Narrows away `undefined`/`null` with an assertion that fails the test. */
function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what} to be present`);
  return value;
}

function ids(items: Array<{ id: string }>): string[] {
  return items.map((item) => item.id);
}

/** Plain code-unit order, which is what both databases use for ASCII ids. */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedIds(items: Array<{ id: string }>, direction: 'asc' | 'desc' = 'asc'): string[] {
  const sorted = ids(items).sort(byString);
  return direction === 'asc' ? sorted : sorted.reverse();
}

async function expectCode(promise: Promise<unknown>, code: ShopErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'ShopError', code });
}

/** Settles every promise and checks that exactly one won and every other lost with `code`. */
async function expectOneWinner<T>(promises: Array<Promise<T>>, code: ShopErrorCode): Promise<Awaited<T>> {
  const results = await Promise.allSettled(promises);
  const won = results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(promises.length - 1);
  for (const r of lost) expect(r.reason).toMatchObject({ name: 'ShopError', code });
  return must(won[0], 'the winner').value;
}

/**
 * Follows `nextCursor` until it is null and checks the walk: the stated order, no
 * duplicates, no gaps, full pages until the last one.
 */
async function expectWalk<T extends { id: string }>(
  fetch: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
  expectedIds: string[],
): Promise<T[]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  for (;;) {
    if (pages.length > expectedIds.length + 1) throw new Error(`pagination did not end after ${pages.length} pages`);
    const page: Page<T> = await fetch({ limit, cursor });
    pages.push(page.items);
    if (page.nextCursor === null) break;
    expect(typeof page.nextCursor).toBe('string');
    cursor = page.nextCursor;
  }
  const all = pages.flat();
  expect(ids(all)).toEqual(expectedIds);
  const sizes: number[] = [];
  for (let left = expectedIds.length; left > 0; left -= limit) sizes.push(Math.min(limit, left));
  expect(pages.map((p) => p.length)).toEqual(sizes.length > 0 ? sizes : [0]);
  return all;
}

function emptyCounts(): Record<CollectionName, number> {
  const counts = {} as Record<CollectionName, number>;
  for (const name of COLLECTIONS) counts[name] = 0;
  return counts;
}

export function describeStoreContract(name: string, makeLocation: () => Promise<StoreLocation>): void {
  describe(`store contract: ${name}`, () => {
    let location: StoreLocation | undefined;
    let opened: Store | undefined;
    let serial = 0;

    /** The store under test (reassigned by the restart test). */
    const store = (): Store => must(opened, 'an open store');
    const uniq = (prefix: string): string => `${prefix}-${(serial += 1)}`;

    // Opening a fresh location can be slow (a new database builds its indexes), so the
    // next few are opened while a test runs; each test still gets its own empty one.
    const prepared: Array<Promise<{ location: StoreLocation; store: Store }>> = [];
    const prepare = (): void => {
      const ready = (async () => {
        const l = await makeLocation();
        try {
          return { location: l, store: await l.open() };
        } catch (err) {
          await l.dispose();
          throw err;
        }
      })();
      ready.catch(() => undefined); // reported when a test takes it, not as unhandled
      prepared.push(ready);
    };

    beforeEach(async () => {
      if (prepared.length === 0) prepare();
      const next = await must(prepared.shift(), 'a prepared location');
      while (prepared.length < PREPARED_AHEAD) prepare();
      location = next.location;
      opened = next.store;
    });

    afterEach(async () => {
      const s = opened;
      const l = location;
      opened = undefined;
      location = undefined;
      try {
        if (s) await s.close();
      } finally {
        if (l) await l.dispose();
      }
    });

    afterAll(async () => {
      const left = await Promise.allSettled(prepared.splice(0));
      for (const r of left) {
        if (r.status === 'fulfilled') {
          await r.value.store.close();
          await r.value.location.dispose();
        }
      }
    });

    // ------------------------------------------------------------ fixtures

    const newCustomer = (over: Partial<NewCustomer> = {}): NewCustomer => ({
      displayName: uniq('Shopper'),
      ...over,
    });

    const customer = (over: Partial<NewCustomer> = {}) => store().customers.create(newCustomer(over));

    const conversation = (customerId: string, channel: ChannelId = 'web') =>
      store().conversations.create({ customerId, channel });

    const message = (conv: Conversation, over: Partial<NewMessage> = {}) =>
      store().messages.append({
        conversationId: conv.id,
        customerId: conv.customerId,
        direction: 'in',
        sender: 'customer',
        channel: conv.channel,
        text: uniq('hello'),
        ...over,
      });

    const address = (): Address => ({
      name: 'Li Lei',
      phone: '+86 138 0000 0000',
      line1: '1 Nanjing Road',
      city: 'Shanghai',
      country: 'CN',
    });

    const newOrder = (customerId: string, over: Partial<NewOrder> = {}): NewOrder => ({
      number: uniq('SA'),
      customerId,
      status: 'pending',
      items: [{ productId: 'p-1', title: 'Tee', quantity: 2, unitPrice: 99.5 }],
      total: 199,
      currency: 'CNY',
      shippingAddress: address(),
      placedAt: at(0),
      ...over,
    });

    const product = (id: string, over: Partial<ProductInput> = {}): ProductInput => ({
      id,
      category: 'tops',
      title: { en: `Tee ${id}`, zh: `T恤 ${id}` },
      description: { en: 'Cotton tee', zh: '棉质T恤' },
      price: 99,
      currency: 'CNY',
      stock: 10,
      attributes: { color: ['black', 'white'], material: 'cotton' },
      tags: ['summer'],
      ...over,
    });

    const newAgent = (over: Partial<NewAgent> = {}): NewAgent => ({
      email: `${uniq('agent')}@shop.example`,
      name: 'Agent',
      role: 'agent',
      passwordHash: 'scrypt$fake',
      languages: ['en', 'zh'],
      skills: ['orders'],
      capacity: 3,
      ...over,
    });

    const newCampaign = (productId: string, over: Partial<NewCampaign> = {}): NewCampaign => ({
      name: uniq('campaign'),
      productId,
      bid: 1.5,
      dailyBudget: 100,
      status: 'active',
      startsAt: at(-DAY),
      targeting: { categories: ['tops'], intents: ['recommend'], keywords: ['tee'] },
      ...over,
    });

    const article = (slug: string, over: Partial<KnowledgeInput> = {}): KnowledgeInput => ({
      slug,
      locale: 'en',
      title: `About ${slug}`,
      body: `# ${slug}\n\nSome text.`,
      category: 'shipping',
      tags: ['faq'],
      ...over,
    });

    // ----------------------------------------------------------- the store

    describe('store', () => {
      it('has a kind and answers ping', async () => {
        expect(['sqlite', 'mongo']).toContain(store().kind);
        await expect(store().ping()).resolves.toBeUndefined();
      });

      it('counts() has every collection, zero when empty', async () => {
        expect(await store().counts()).toEqual(emptyCounts());
      });

      it('counts() counts the records of every collection', async () => {
        const s = store();
        const c = await customer();
        await customer();
        const conv = await conversation(c.id);
        await message(conv);
        await message(conv);
        await s.products.upsert(product('p-count'));
        const order = await s.orders.create(newOrder(c.id));
        await s.returns.create({ orderId: order.id, customerId: c.id, items: [{ productId: 'p-count', quantity: 1 }], reason: 'size', rmaCode: uniq('RMA') });
        await s.interactions.recordMany([
          { customerId: c.id, productId: 'p-count', type: 'view' },
          { customerId: c.id, productId: 'p-count', type: 'click' },
          { customerId: c.id, productId: 'p-count', type: 'cart' },
        ]);
        await s.campaigns.create(newCampaign('p-count'));
        await s.agents.create(newAgent());
        await s.knowledge.upsert(article('returns'));
        await s.botState.write({ 'web/conversations/x/': { n: 1 }, 'web/users/y/': { n: 2 } });
        expect(await s.counts()).toEqual({
          customers: 2,
          conversations: 1,
          messages: 2,
          products: 1,
          orders: 1,
          returns: 1,
          interactions: 3,
          campaigns: 1,
          agents: 1,
          knowledge: 1,
          botState: 2,
        });
      });

      it('rejects a bad cursor or page limit with bad_request on every list', async () => {
        const s = store();
        const garbage = 'not a cursor!';
        const wrongShape = Buffer.from(JSON.stringify({ id: 'x' }), 'utf8').toString('base64url');
        const lists: Array<[string, (page: PageRequest) => Promise<unknown>]> = [
          ['customers.list', (p) => s.customers.list(p)],
          ['conversations.list', (p) => s.conversations.list({}, p)],
          ['conversations.listByCustomer', (p) => s.conversations.listByCustomer('cus-x', p)],
          ['messages.listByCustomer', (p) => s.messages.listByCustomer('cus-x', p)],
          ['messages.listByTime', (p) => s.messages.listByTime({}, p)],
          ['products.list', (p) => s.products.list({}, p)],
          ['orders.listByCustomer', (p) => s.orders.listByCustomer('cus-x', p)],
          ['orders.listByTime', (p) => s.orders.listByTime({}, p)],
          ['returns.listByCustomer', (p) => s.returns.listByCustomer('cus-x', p)],
          ['interactions.list', (p) => s.interactions.list({}, p)],
          ['campaigns.list', (p) => s.campaigns.list({}, p)],
          ['agents.list', (p) => s.agents.list({}, p)],
          ['knowledge.list', (p) => s.knowledge.list({}, p)],
        ];
        for (const [what, list] of lists) {
          await expect.soft(list({ cursor: garbage }), `${what} garbage cursor`).rejects.toMatchObject({ code: 'bad_request' });
          await expect.soft(list({ cursor: wrongShape }), `${what} wrong-shape cursor`).rejects.toMatchObject({ code: 'bad_request' });
          await expect.soft(list({ limit: 0 }), `${what} limit 0`).rejects.toMatchObject({ code: 'bad_request' });
          await expect.soft(list({ limit: 501 }), `${what} limit 501`).rejects.toMatchObject({ code: 'bad_request' });
        }
        await expect(s.customers.list({ limit: 500 })).resolves.toEqual({ items: [], nextCursor: null });
      });
    });

    // ----------------------------------------------------------- customers

    describe('customers', () => {
      it('creates with defaults and reads back', async () => {
        const s = store();
        const created = await s.customers.create({ displayName: 'Ann' });
        expect(created.id).toEqual(expect.any(String));
        expect(created.displayName).toBe('Ann');
        expect(created.email).toBeUndefined();
        expect(created.phone).toBeUndefined();
        expect(['en', 'zh']).toContain(created.locale);
        expect(created.vip).toBe(false);
        expect(created.tags).toEqual([]);
        expect(created.identities).toEqual([]);
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.updatedAt).toBeInstanceOf(Date);
        expect(await s.customers.get(created.id)).toEqual(created);
        expect(await s.customers.get('cus-missing')).toBeNull();
      });

      it('stores every field, identities with linkedAt, and finds by identity and email', async () => {
        const s = store();
        const before = Date.now();
        const created = await s.customers.create({
          id: 'cus-full',
          displayName: '王芳',
          email: 'fang@example.com',
          phone: '+8613800000000',
          locale: 'zh',
          vip: true,
          tags: ['vip', 'returning'],
          identities: [
            { channel: 'wechat', externalId: 'openid-1' },
            { channel: 'web', externalId: 'visitor-1' },
          ],
        });
        expect(created).toMatchObject({
          id: 'cus-full',
          displayName: '王芳',
          email: 'fang@example.com',
          phone: '+8613800000000',
          locale: 'zh',
          vip: true,
          tags: ['vip', 'returning'],
        });
        expect(created.identities.map((i) => `${i.channel}:${i.externalId}`).sort()).toEqual(['web:visitor-1', 'wechat:openid-1']);
        for (const identity of created.identities) {
          expect(identity.linkedAt).toBeInstanceOf(Date);
          expect(identity.linkedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        }
        expect(await s.customers.get('cus-full')).toEqual(created);
        expect((await s.customers.findByIdentity('wechat', 'openid-1'))?.id).toBe('cus-full');
        expect((await s.customers.findByIdentity('web', 'visitor-1'))?.id).toBe('cus-full');
        expect(await s.customers.findByIdentity('app', 'openid-1')).toBeNull();
        expect(await s.customers.findByIdentity('wechat', 'openid-2')).toBeNull();
        expect((await s.customers.findByEmail('fang@example.com'))?.id).toBe('cus-full');
        expect(await s.customers.findByEmail('nobody@example.com')).toBeNull();
      });

      it('updates a patch and bumps updatedAt; not_found for an unknown id', async () => {
        const s = store();
        const created = await customer({ locale: 'en' });
        await sleep(5);
        const updated = await s.customers.update(created.id, { displayName: 'New name', vip: true, tags: ['a'], locale: 'zh', email: 'n@example.com' });
        expect(updated).toMatchObject({ id: created.id, displayName: 'New name', vip: true, tags: ['a'], locale: 'zh', email: 'n@example.com' });
        expect(updated.createdAt.getTime()).toBe(created.createdAt.getTime());
        expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
        expect(await s.customers.get(created.id)).toEqual(updated);
        await expectCode(s.customers.update('cus-missing', { displayName: 'x' }), 'not_found');
      });

      it('conflict for a duplicate id or an identity held by another customer, and nothing is stored', async () => {
        const s = store();
        const a = await customer({ id: 'cus-a', identities: [{ channel: 'wechat', externalId: 'openid-a' }] });
        await expectCode(s.customers.create(newCustomer({ id: 'cus-a' })), 'conflict');
        await expectCode(s.customers.create(newCustomer({ id: 'cus-b', identities: [{ channel: 'wechat', externalId: 'openid-a' }] })), 'conflict');
        expect(await s.customers.get('cus-b')).toBeNull();
        expect((await s.customers.findByIdentity('wechat', 'openid-a'))?.id).toBe(a.id);
        expect((await s.counts()).customers).toBe(1);
      });

      it('an identity is unique per (channel, externalId) pair, not per part', async () => {
        const s = store();
        await customer({ identities: [{ channel: 'web', externalId: 'x-1' }, { channel: 'wechat', externalId: 'x-2' }] });
        const b = await customer({ identities: [{ channel: 'web', externalId: 'x-2' }, { channel: 'wechat', externalId: 'x-1' }, { channel: 'app', externalId: 'x-1' }] });
        expect((await s.customers.findByIdentity('web', 'x-2'))?.id).toBe(b.id);
        expect((await s.customers.findByIdentity('app', 'x-1'))?.id).toBe(b.id);
      });

      it('linkIdentity attaches, is idempotent, conflicts for another holder, not_found for an unknown customer', async () => {
        const s = store();
        const a = await customer({ identities: [{ channel: 'web', externalId: 'visitor-a' }] });
        const b = await customer();
        const linked = await s.customers.linkIdentity(a.id, 'wechat', 'openid-a');
        expect(linked.identities.map((i) => `${i.channel}:${i.externalId}`).sort()).toEqual(['web:visitor-a', 'wechat:openid-a']);
        const again = await s.customers.linkIdentity(a.id, 'wechat', 'openid-a');
        expect(again.identities).toHaveLength(2);
        expect(must(await s.customers.get(a.id), 'customer a').identities).toHaveLength(2);
        expect((await s.customers.findByIdentity('wechat', 'openid-a'))?.id).toBe(a.id);

        await expectCode(s.customers.linkIdentity(b.id, 'wechat', 'openid-a'), 'conflict');
        expect(must(await s.customers.get(b.id), 'customer b').identities).toEqual([]);
        await expectCode(s.customers.linkIdentity('cus-missing', 'app', 'user-9'), 'not_found');
        expect(await s.customers.findByIdentity('app', 'user-9')).toBeNull();
      });

      it('unlinkIdentity removes it (and frees it for another customer); unchanged when absent', async () => {
        const s = store();
        const a = await customer({ identities: [{ channel: 'web', externalId: 'v-1' }, { channel: 'app', externalId: 'u-1' }] });
        const b = await customer();
        const unlinked = await s.customers.unlinkIdentity(a.id, 'web', 'v-1');
        expect(unlinked.identities.map((i) => `${i.channel}:${i.externalId}`)).toEqual(['app:u-1']);
        expect(await s.customers.findByIdentity('web', 'v-1')).toBeNull();
        const unchanged = await s.customers.unlinkIdentity(a.id, 'web', 'v-never');
        expect(unchanged.identities.map((i) => `${i.channel}:${i.externalId}`)).toEqual(['app:u-1']);
        const relinked = await s.customers.linkIdentity(b.id, 'web', 'v-1');
        expect(relinked.identities.map((i) => `${i.channel}:${i.externalId}`)).toEqual(['web:v-1']);
        expect((await s.customers.findByIdentity('web', 'v-1'))?.id).toBe(b.id);
        await expectCode(s.customers.unlinkIdentity('cus-missing', 'web', 'v-1'), 'not_found');
      });

      it('list walks every page in id order', async () => {
        const s = store();
        for (const id of ['cus-e', 'cus-b', 'cus-g', 'cus-a', 'cus-d', 'cus-f', 'cus-c']) await customer({ id });
        await expectWalk((p) => s.customers.list(p), 3, ['cus-a', 'cus-b', 'cus-c', 'cus-d', 'cus-e', 'cus-f', 'cus-g']);
        await expectWalk((p) => s.customers.list(p), 7, ['cus-a', 'cus-b', 'cus-c', 'cus-d', 'cus-e', 'cus-f', 'cus-g']);
      });

      it('generated ids sort by creation', async () => {
        const s = store();
        const made = [];
        for (let i = 0; i < 7; i++) made.push(await customer());
        expect(sortedIds(made)).toEqual(ids(made));
        await expectWalk((p) => s.customers.list(p), 3, ids(made));
      });
    });

    // ------------------------------------------------------- conversations

    describe('conversations', () => {
      it('creates in the bot state and reads back', async () => {
        const s = store();
        const c = await customer();
        const conv = await s.conversations.create({ customerId: c.id, channel: 'wechat', language: 'zh' });
        expect(conv).toMatchObject({ customerId: c.id, channel: 'wechat', status: 'bot', assigneeId: null, language: 'zh' });
        expect(conv.priority).toEqual(expect.any(Number));
        expect(conv.handoffReason).toBeUndefined();
        expect(conv.queuedAt).toBeUndefined();
        expect(conv.assignedAt).toBeUndefined();
        expect(conv.resolvedAt).toBeUndefined();
        expect(conv.createdAt).toBeInstanceOf(Date);
        expect(conv.lastMessageAt).toBeInstanceOf(Date);
        expect(await s.conversations.get(conv.id)).toEqual(conv);
        expect(await s.conversations.get('conv-missing')).toBeNull();
        const defaulted = await conversation(c.id);
        expect(['en', 'zh']).toContain(defaulted.language);
      });

      it('enqueue -> claim -> transfer -> resolve; resolve twice is a conflict', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        const queued = await s.conversations.enqueue(conv.id, { priority: 5, reason: 'asked_for_human' });
        expect(queued).toMatchObject({ id: conv.id, status: 'queued', assigneeId: null, priority: 5, handoffReason: 'asked_for_human' });
        expect(queued.queuedAt).toBeInstanceOf(Date);

        const claimed = await s.conversations.claim(conv.id, 'agent-1');
        expect(claimed).toMatchObject({ status: 'assigned', assigneeId: 'agent-1' });
        expect(claimed.assignedAt).toBeInstanceOf(Date);

        await expectCode(s.conversations.transfer(conv.id, 'agent-2', 'agent-3'), 'conflict');
        const transferred = await s.conversations.transfer(conv.id, 'agent-1', 'agent-2');
        expect(transferred).toMatchObject({ status: 'assigned', assigneeId: 'agent-2' });

        const resolved = await s.conversations.resolve(conv.id);
        expect(resolved.status).toBe('resolved');
        expect(resolved.resolvedAt).toBeInstanceOf(Date);
        await expectCode(s.conversations.resolve(conv.id), 'conflict');
        expect(must(await s.conversations.get(conv.id), 'conversation').status).toBe('resolved');
        await expectCode(s.conversations.enqueue(conv.id, { priority: 1, reason: 'again' }), 'conflict');
        await expectCode(s.conversations.claim(conv.id, 'agent-4'), 'conflict');
        await expectCode(s.conversations.transfer(conv.id, 'agent-2', 'agent-4'), 'conflict');
      });

      it('claim works from bot; enqueue of an assigned conversation clears the assignee; a claimed one cannot be claimed by another', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        expect(await s.conversations.claim(conv.id, 'agent-1')).toMatchObject({ status: 'assigned', assigneeId: 'agent-1' });
        await expectCode(s.conversations.claim(conv.id, 'agent-2'), 'conflict');
        const requeued = await s.conversations.enqueue(conv.id, { priority: 9, reason: 'sentiment' });
        expect(requeued).toMatchObject({ status: 'queued', assigneeId: null, priority: 9, handoffReason: 'sentiment' });
        await expectCode(s.conversations.transfer(conv.id, 'agent-1', 'agent-2'), 'conflict');
        const resolvedFromBot = await s.conversations.resolve((await conversation(c.id)).id);
        expect(resolvedFromBot.status).toBe('resolved');
      });

      it('hand-off details: topic, reassign, notes, tags, first response, rating, assigned counts', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        expect(conv.tags).toEqual([]);
        expect(conv.notes).toEqual([]);
        expect(conv.rating).toBeUndefined();
        const queued = await s.conversations.enqueue(conv.id, { priority: 3, reason: 'sentiment', topic: 'returns' });
        expect(queued.topic).toBe('returns');
        // Re-enqueueing without a topic keeps the one it had.
        expect((await s.conversations.enqueue(conv.id, { priority: 4, reason: 'sentiment' })).topic).toBe('returns');
        expect((await s.conversations.enqueue(conv.id, { priority: 4, reason: 'sentiment', language: 'zh' })).language).toBe('zh');
        await expectCode(s.conversations.enqueue(conv.id, { priority: 4, reason: 'sentiment', language: 'fr' as 'zh' }), 'bad_request');

        expect(await s.conversations.reassign(conv.id, 'agent-7')).toMatchObject({ status: 'assigned', assigneeId: 'agent-7' });
        expect(await s.conversations.reassign(conv.id, 'agent-8')).toMatchObject({ status: 'assigned', assigneeId: 'agent-8' });
        const other = await conversation((await customer()).id);
        await expectCode(s.conversations.reassign(other.id, 'agent-8'), 'conflict');
        await s.conversations.claim(other.id, 'agent-8');
        const third = await conversation((await customer()).id);
        await s.conversations.claim(third.id, 'agent-1');
        expect(await s.conversations.assignedCounts()).toEqual({ 'agent-8': 2, 'agent-1': 1 });

        const noted = await s.conversations.addNote(conv.id, { agentId: 'agent-8', text: '  refund promised by phone  ' });
        await s.conversations.addNote(conv.id, { agentId: 'agent-7', text: 'second' });
        const withNotes = must(await s.conversations.get(conv.id), 'conversation');
        expect(noted.notes).toHaveLength(1);
        expect(withNotes.notes.map((n) => [n.agentId, n.text])).toEqual([['agent-8', 'refund promised by phone'], ['agent-7', 'second']]);
        expect(withNotes.notes[0]!.at).toBeInstanceOf(Date);
        await expectCode(s.conversations.addNote(conv.id, { agentId: 'agent-8', text: '   ' }), 'bad_request');
        await expectCode(s.conversations.addNote(conv.id, { agentId: 'agent-8', text: 'x'.repeat(4001) }), 'bad_request');

        expect((await s.conversations.setTags(conv.id, [' Refund ', 'vip', 'refund', ''])).tags).toEqual(['refund', 'vip']);
        await expectCode(s.conversations.setTags(conv.id, Array.from({ length: 21 }, (_, i) => `t${i}`)), 'bad_request');
        expect(must(await s.conversations.get(conv.id), 'conversation').tags).toEqual(['refund', 'vip']);

        const first = new Date(conv.createdAt.getTime() + 60_000);
        await s.conversations.markFirstResponse(conv.id, first);
        await s.conversations.markFirstResponse(conv.id, new Date(first.getTime() + 60_000));
        expect(must(await s.conversations.get(conv.id), 'conversation').firstResponseAt?.getTime()).toBe(first.getTime());

        await expectCode(s.conversations.rate(conv.id, 5), 'conflict');
        await s.conversations.resolve(conv.id);
        await expectCode(s.conversations.rate(conv.id, 6), 'bad_request');
        await expectCode(s.conversations.rate(conv.id, 2.5), 'bad_request');
        const rated = await s.conversations.rate(conv.id, 4);
        expect(rated.rating).toBe(4);
        expect(rated.ratedAt).toBeInstanceOf(Date);
        await expectCode(s.conversations.rate(conv.id, 5), 'conflict');
        expect(must(await s.conversations.get(conv.id), 'conversation')).toMatchObject({ rating: 4, tags: ['refund', 'vip'] });
        await expectCode(s.conversations.rate('conv-missing', 3), 'not_found');
        await expectCode(s.conversations.setTags('conv-missing', ['a']), 'not_found');
        await expectCode(s.conversations.addNote('conv-missing', { agentId: 'a', text: 'b' }), 'not_found');
      });

      it('exactly one of concurrent ratings is kept', async () => {
        const s = store();
        const conv = await conversation((await customer()).id);
        await s.conversations.resolve(conv.id);
        const winner = await expectOneWinner([1, 2, 3, 4, 5].map((n) => s.conversations.rate(conv.id, n)), 'conflict');
        expect(must(await s.conversations.get(conv.id), 'conversation').rating).toBe(winner.rating);
      });

      it('not_found for state changes of an unknown id', async () => {
        const s = store();
        await expectCode(s.conversations.enqueue('conv-missing', { priority: 1, reason: 'x' }), 'not_found');
        await expectCode(s.conversations.claim('conv-missing', 'agent-1'), 'not_found');
        await expectCode(s.conversations.transfer('conv-missing', 'agent-1', 'agent-2'), 'not_found');
        await expectCode(s.conversations.resolve('conv-missing'), 'not_found');
        await expectCode(s.conversations.touch('conv-missing', new Date()), 'not_found');
      });

      it('exactly one of many concurrent claims wins; the others get conflict', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        await s.conversations.enqueue(conv.id, { priority: 1, reason: 'asked_for_human' });
        const agents = Array.from({ length: 8 }, (_, i) => `agent-${i}`);
        const winner = await expectOneWinner(agents.map((agent) => s.conversations.claim(conv.id, agent)), 'conflict');
        expect(agents).toContain(winner.assigneeId);
        expect(must(await s.conversations.get(conv.id), 'conversation')).toMatchObject({ status: 'assigned', assigneeId: winner.assigneeId });
      });

      it('touch moves lastMessageAt forwards, never backwards', async () => {
        const s = store();
        const conv = await conversation((await customer()).id);
        const later = new Date(conv.lastMessageAt.getTime() + HOUR);
        await s.conversations.touch(conv.id, later);
        expect(must(await s.conversations.get(conv.id), 'conversation').lastMessageAt.getTime()).toBe(later.getTime());
        await s.conversations.touch(conv.id, new Date(later.getTime() - DAY));
        expect(must(await s.conversations.get(conv.id), 'conversation').lastMessageAt.getTime()).toBe(later.getTime());
      });

      it('findOpenByCustomer returns the most recent unresolved one, optionally per channel', async () => {
        const s = store();
        const c = await customer();
        const other = await customer();
        await conversation(other.id, 'web');
        expect(await s.conversations.findOpenByCustomer(c.id)).toBeNull();
        const web = await conversation(c.id, 'web');
        await sleep(3);
        const wechat = await conversation(c.id, 'wechat');
        expect((await s.conversations.findOpenByCustomer(c.id))?.id).toBe(wechat.id);
        expect((await s.conversations.findOpenByCustomer(c.id, 'web'))?.id).toBe(web.id);
        expect(await s.conversations.findOpenByCustomer(c.id, 'app')).toBeNull();
        await s.conversations.resolve(wechat.id);
        expect((await s.conversations.findOpenByCustomer(c.id))?.id).toBe(web.id);
        expect(await s.conversations.findOpenByCustomer(c.id, 'wechat')).toBeNull();
        await s.conversations.claim(web.id, 'agent-1');
        expect((await s.conversations.findOpenByCustomer(c.id, 'web'))?.id).toBe(web.id);
      });

      it('listByCustomer walks the customer’s conversations newest first', async () => {
        const s = store();
        const c = await customer();
        const other = await customer();
        const made: Conversation[] = [];
        const channels: ChannelId[] = ['web', 'wechat', 'app', 'web', 'wechat', 'app', 'web'];
        for (const channel of channels) {
          made.push(await conversation(c.id, channel));
          await conversation(other.id, channel);
        }
        await expectWalk((p) => s.conversations.listByCustomer(c.id, p), 3, sortedIds(made, 'desc'));
        expect(sortedIds(made, 'desc')).toEqual(ids(made).reverse());
        expect(await s.conversations.listByCustomer('cus-missing')).toEqual({ items: [], nextCursor: null });
      });

      it('list filters by status, assignee, channel and createdAt range (inclusive from, exclusive to), oldest first', async () => {
        const s = store();
        const c = await customer();
        const bot = await conversation(c.id, 'web');
        await sleep(5);
        const queued = await conversation(c.id, 'wechat');
        await sleep(5);
        const assigned = await conversation(c.id, 'app');
        await sleep(5);
        const resolved = await conversation(c.id, 'web');
        expect(bot.createdAt.getTime()).toBeLessThan(queued.createdAt.getTime());
        expect(queued.createdAt.getTime()).toBeLessThan(assigned.createdAt.getTime());
        expect(assigned.createdAt.getTime()).toBeLessThan(resolved.createdAt.getTime());
        await s.conversations.enqueue(queued.id, { priority: 2, reason: 'fallbacks' });
        await s.conversations.claim(assigned.id, 'agent-7');
        await s.conversations.resolve(resolved.id);

        const list = async (filter: Parameters<Store['conversations']['list']>[0]) => ids((await s.conversations.list(filter)).items);
        expect(await list({})).toEqual(ids([bot, queued, assigned, resolved]));
        expect(await list({ status: 'queued' })).toEqual([queued.id]);
        expect(await list({ status: 'resolved' })).toEqual([resolved.id]);
        expect(await list({ assigneeId: 'agent-7' })).toEqual([assigned.id]);
        expect(await list({ channel: 'web' })).toEqual([bot.id, resolved.id]);
        expect(await list({ channel: 'web', status: 'bot' })).toEqual([bot.id]);
        expect(await list({ from: queued.createdAt })).toEqual(ids([queued, assigned, resolved]));
        expect(await list({ to: queued.createdAt })).toEqual([bot.id]);
        expect(await list({ from: queued.createdAt, to: resolved.createdAt })).toEqual(ids([queued, assigned]));
      });

      it('list walks every page', async () => {
        const s = store();
        const c = await customer();
        const made: Conversation[] = [];
        for (let i = 0; i < 7; i++) made.push(await conversation(c.id));
        await expectWalk((p) => s.conversations.list({}, p), 3, sortedIds(made));
        await expectWalk((p) => s.conversations.list({ status: 'bot', channel: 'web' }, p), 3, sortedIds(made));
      });
    });

    // ------------------------------------------------------------ messages

    describe('messages', () => {
      it('appends with seq 1, 2, 3, stores every field and reads back', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id, 'wechat');
        const first = await message(conv, { text: '你好' });
        expect(first).toMatchObject({ conversationId: conv.id, customerId: c.id, seq: 1, direction: 'in', sender: 'customer', channel: 'wechat', text: '你好' });
        expect(first.createdAt).toBeInstanceOf(Date);
        for (const key of ['agentId', 'payload', 'channelMessageId', 'intent', 'confidence', 'entities'] as const) {
          expect(first[key], key).toBeUndefined();
        }
        const createdAt = at(5 * SECOND);
        const second = await message(conv, {
          direction: 'out',
          sender: 'agent',
          agentId: 'agent-1',
          text: 'Here you go',
          payload: { cards: [{ title: 'Tee', price: 99 }], quickReplies: ['yes', 'no'], nested: { ok: true } },
          channelMessageId: 'msg-2',
          intent: 'order_status',
          confidence: 0.75,
          entities: [{ type: 'order_number', value: 'SA1' }],
          createdAt,
        });
        expect(second).toMatchObject({
          seq: 2,
          direction: 'out',
          sender: 'agent',
          agentId: 'agent-1',
          payload: { cards: [{ title: 'Tee', price: 99 }], quickReplies: ['yes', 'no'], nested: { ok: true } },
          channelMessageId: 'msg-2',
          intent: 'order_status',
          confidence: 0.75,
          entities: [{ type: 'order_number', value: 'SA1' }],
        });
        expect(second.createdAt.getTime()).toBe(createdAt.getTime());
        expect((await message(conv)).seq).toBe(3);
        expect(await s.messages.get(first.id)).toEqual(first);
        expect(await s.messages.get(second.id)).toEqual(second);
        expect(await s.messages.get('msg-missing')).toBeNull();
      });

      it('append moves the conversation’s lastMessageAt', async () => {
        const s = store();
        const conv = await conversation((await customer()).id);
        await sleep(5);
        const m = await message(conv);
        const after = must(await s.conversations.get(conv.id), 'conversation');
        expect(after.lastMessageAt.getTime()).toBeGreaterThan(conv.lastMessageAt.getTime());
        expect(after.lastMessageAt.getTime()).toBeGreaterThanOrEqual(m.createdAt.getTime());
      });

      it('conflict for a duplicate (channel, channelMessageId); the same id on another channel is fine; not_found for an unknown conversation', async () => {
        const s = store();
        const c = await customer();
        const wechat = await conversation(c.id, 'wechat');
        const app = await conversation(c.id, 'app');
        const stored = await message(wechat, { channelMessageId: 'MsgId-1' });
        await expectCode(message(wechat, { channelMessageId: 'MsgId-1', text: 'retry' }), 'conflict');
        const onApp = await message(app, { channelMessageId: 'MsgId-1' });
        expect((await s.messages.findByChannelMessageId('wechat', 'MsgId-1'))?.id).toBe(stored.id);
        expect((await s.messages.findByChannelMessageId('app', 'MsgId-1'))?.id).toBe(onApp.id);
        expect(await s.messages.findByChannelMessageId('web', 'MsgId-1')).toBeNull();
        expect((await s.messages.listByConversation(wechat.id)).map((m) => m.text)).toEqual([stored.text]);
        await expectCode(
          s.messages.append({ conversationId: 'conv-missing', customerId: c.id, direction: 'in', sender: 'customer', channel: 'web', text: 'x' }),
          'not_found',
        );
        expect((await s.counts()).messages).toBe(2);
      });

      it('annotate records NLU; not_found for an unknown id', async () => {
        const s = store();
        const m = await message(await conversation((await customer()).id));
        const annotated = await s.messages.annotate(m.id, { intent: 'track_order', confidence: 0.9, entities: [{ type: 'order_number', value: 'SA9' }] });
        expect(annotated).toMatchObject({ id: m.id, seq: m.seq, text: m.text, intent: 'track_order', confidence: 0.9, entities: [{ type: 'order_number', value: 'SA9' }] });
        expect(await s.messages.get(m.id)).toEqual(annotated);
        await expectCode(s.messages.annotate('msg-missing', { intent: 'x', confidence: 1 }), 'not_found');
        const felt = await s.messages.annotate(m.id, { intent: 'complaint', confidence: 0.8, sentiment: -0.75, skill: 'fallback' });
        expect(felt).toMatchObject({ sentiment: -0.75, skill: 'fallback' });
        expect(await s.messages.get(m.id)).toMatchObject({ sentiment: -0.75, skill: 'fallback' });
        await expectCode(s.messages.annotate(m.id, { intent: 'x', confidence: 1, sentiment: -2 }), 'bad_request');
      });

      it('listByConversation orders by seq, after afterSeq, up to limit', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        const other = await conversation(c.id);
        const made: Message[] = [];
        for (let i = 0; i < 6; i++) {
          // createdAt runs backwards so seq, not time, decides the order
          made.push(await message(conv, { createdAt: at(-i * SECOND) }));
          await message(other);
        }
        const seqs = (list: Message[]) => list.map((m) => m.seq);
        expect(ids(await s.messages.listByConversation(conv.id))).toEqual(ids(made));
        expect(seqs(await s.messages.listByConversation(conv.id))).toEqual([1, 2, 3, 4, 5, 6]);
        expect(seqs(await s.messages.listByConversation(conv.id, { afterSeq: 4 }))).toEqual([5, 6]);
        expect(seqs(await s.messages.listByConversation(conv.id, { afterSeq: 1, limit: 2 }))).toEqual([2, 3]);
        expect(await s.messages.listByConversation(conv.id, { afterSeq: 6 })).toEqual([]);
        expect(await s.messages.listByConversation('conv-missing')).toEqual([]);
      });

      it('concurrent appends get distinct consecutive seqs 1..N', async () => {
        const s = store();
        const conv = await conversation((await customer()).id);
        const n = 12;
        const appended = await Promise.all(Array.from({ length: n }, (_, i) => message(conv, { text: `m${i}` })));
        expect(appended.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        const listed = await s.messages.listByConversation(conv.id);
        expect(listed.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        const textBySeq = new Map(appended.map((m) => [m.seq, m.text]));
        for (const m of listed) expect(m.text).toBe(textBySeq.get(m.seq));
      });

      it('listByCustomer is one history across channels and conversations, newest first', async () => {
        const s = store();
        const c = await customer({ identities: [{ channel: 'web', externalId: 'v-omni' }, { channel: 'wechat', externalId: 'o-omni' }] });
        const other = await customer();
        const web = await conversation(c.id, 'web');
        const wechat = await conversation(c.id, 'wechat');
        const elsewhere = await conversation(other.id, 'web');
        const made: Message[] = [];
        for (let i = 0; i < 7; i++) {
          made.push(await message(i % 2 === 0 ? web : wechat, { createdAt: at(i * SECOND) }));
          await message(elsewhere, { createdAt: at(i * SECOND) });
        }
        const walked = await expectWalk((p) => s.messages.listByCustomer(c.id, p), 3, ids(made).reverse());
        expect(new Set(walked.map((m) => m.channel))).toEqual(new Set(['web', 'wechat']));
        expect(await s.messages.listByCustomer('cus-missing')).toEqual({ items: [], nextCursor: null });
      });

      it('listByTime: createdAt in [from, to), oldest first by createdAt then id', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id);
        // appended out of time order, with one tie at +3 s
        const offsets = [4, 0, 6, 3, 1, 5, 3, 2];
        const made: Message[] = [];
        for (const o of offsets) made.push(await message(conv, { createdAt: at(o * SECOND) }));
        const expected = [...made]
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byString(a.id, b.id))
          .map((m) => m.id);
        await expectWalk((p) => s.messages.listByTime({}, p), 3, expected);
        const inRange = made
          .filter((m) => m.createdAt.getTime() >= at(2 * SECOND).getTime() && m.createdAt.getTime() < at(5 * SECOND).getTime())
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byString(a.id, b.id));
        expect(inRange).toHaveLength(4);
        await expectWalk((p) => s.messages.listByTime({ from: at(2 * SECOND), to: at(5 * SECOND) }, p), 3, ids(inRange));
        expect(ids((await s.messages.listByTime({ from: at(6 * SECOND) })).items)).toEqual(ids(made.filter((m) => m.createdAt.getTime() === at(6 * SECOND).getTime())));
        expect((await s.messages.listByTime({ to: at(0) })).items).toEqual([]);
      });
    });

    // ------------------------------------------------------------ products

    describe('products', () => {
      it('upsert inserts, replaces (keeping createdAt) and reads back', async () => {
        const s = store();
        const inserted = await s.products.upsert(product('p-1'));
        expect(inserted).toMatchObject(product('p-1'));
        expect(inserted.imageUrl).toBeUndefined();
        expect(inserted.createdAt).toBeInstanceOf(Date);
        expect(await s.products.get('p-1')).toEqual(inserted);
        await sleep(5);
        const replaced = await s.products.upsert(product('p-1', { price: 79.9, stock: 0, tags: [], imageUrl: 'https://img.example/p-1.jpg', attributes: { size: ['S', 'M'] } }));
        expect(replaced).toMatchObject({ id: 'p-1', price: 79.9, stock: 0, tags: [], imageUrl: 'https://img.example/p-1.jpg', attributes: { size: ['S', 'M'] } });
        expect(replaced.createdAt.getTime()).toBe(inserted.createdAt.getTime());
        expect(replaced.updatedAt.getTime()).toBeGreaterThan(inserted.updatedAt.getTime());
        expect(await s.products.get('p-1')).toEqual(replaced);
        expect(await s.products.get('p-missing')).toBeNull();
        expect((await s.counts()).products).toBe(1);
      });

      it('getMany keeps the order of ids and leaves unknown ids out', async () => {
        const s = store();
        for (const id of ['p-a', 'p-b', 'p-c']) await s.products.upsert(product(id));
        expect(ids(await s.products.getMany(['p-c', 'p-missing', 'p-a', 'p-b']))).toEqual(['p-c', 'p-a', 'p-b']);
        expect(await s.products.getMany([])).toEqual([]);
      });

      it('list walks every page in id order and filters', async () => {
        const s = store();
        const rows: Array<[string, string, number, number]> = [
          ['p-5', 'tops', 50, 1],
          ['p-2', 'shoes', 200, 0],
          ['p-7', 'tops', 70, 3],
          ['p-1', 'tops', 10, 0],
          ['p-4', 'bags', 400, 2],
          ['p-6', 'shoes', 60, 5],
          ['p-3', 'tops', 300, 4],
        ];
        for (const [id, category, price, stock] of rows) await s.products.upsert(product(id, { category, price, stock }));
        await expectWalk((p) => s.products.list({}, p), 3, ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'p-7']);
        await expectWalk((p) => s.products.list({ category: 'tops' }, p), 3, ['p-1', 'p-3', 'p-5', 'p-7']);
        const list = async (filter: Parameters<Store['products']['list']>[0]) => ids((await s.products.list(filter)).items);
        expect(await list({ inStock: true })).toEqual(['p-3', 'p-4', 'p-5', 'p-6', 'p-7']);
        expect(await list({ minPrice: 55 })).toEqual(['p-2', 'p-3', 'p-4', 'p-6', 'p-7']);
        expect(await list({ maxPrice: 65 })).toEqual(['p-1', 'p-5', 'p-6']);
        expect(await list({ category: 'tops', inStock: true, minPrice: 20, maxPrice: 100 })).toEqual(['p-5', 'p-7']);
        expect(await s.products.categories()).toEqual(['bags', 'shoes', 'tops']);
      });

      it('adjustStock adds, refuses to go negative, not_found for an unknown id', async () => {
        const s = store();
        await s.products.upsert(product('p-1', { stock: 2 }));
        expect((await s.products.adjustStock('p-1', 3)).stock).toBe(5);
        expect((await s.products.adjustStock('p-1', -5)).stock).toBe(0);
        await expectCode(s.products.adjustStock('p-1', -1), 'conflict');
        expect(must(await s.products.get('p-1'), 'product').stock).toBe(0);
        await expectCode(s.products.adjustStock('p-missing', 1), 'not_found');
      });

      it('concurrent adjustStock never goes below zero', async () => {
        const s = store();
        await s.products.upsert(product('p-1', { stock: 5 }));
        const results = await Promise.allSettled(Array.from({ length: 12 }, () => s.products.adjustStock('p-1', -1)));
        const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stock] : []));
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
        expect(lost).toHaveLength(7);
        for (const reason of lost) expect(reason).toMatchObject({ code: 'conflict' });
        expect(must(await s.products.get('p-1'), 'product').stock).toBe(0);
      });

      it('delete says whether it existed', async () => {
        const s = store();
        await s.products.upsert(product('p-1'));
        expect(await s.products.delete('p-1')).toBe(true);
        expect(await s.products.get('p-1')).toBeNull();
        expect(await s.products.delete('p-1')).toBe(false);
      });
    });

    // -------------------------------------------------------------- orders

    describe('orders', () => {
      it('creates and reads back by id and number', async () => {
        const s = store();
        const c = await customer();
        const input = newOrder(c.id, { number: 'SA100001', placedAt: at(0) });
        const order = await s.orders.create(input);
        expect(order).toMatchObject({ number: 'SA100001', customerId: c.id, status: 'pending', items: input.items, total: 199, currency: 'CNY', shippingAddress: address() });
        expect(order.placedAt.getTime()).toBe(at(0).getTime());
        expect(order.updatedAt).toBeInstanceOf(Date);
        for (const key of ['carrier', 'trackingNumber', 'paidAt', 'shippedAt', 'deliveredAt', 'cancelledAt'] as const) {
          expect(order[key], key).toBeUndefined();
        }
        expect(order.shippingAddress.region).toBeUndefined();
        expect(await s.orders.get(order.id)).toEqual(order);
        expect(await s.orders.getByNumber('SA100001')).toEqual(order);
        expect(await s.orders.get('ord-missing')).toBeNull();
        expect(await s.orders.getByNumber('SA-missing')).toBeNull();
      });

      it('conflict for a duplicate number or id', async () => {
        const s = store();
        const c = await customer();
        await s.orders.create(newOrder(c.id, { id: 'ord-1', number: 'SA1' }));
        await expectCode(s.orders.create(newOrder(c.id, { number: 'SA1' })), 'conflict');
        await expectCode(s.orders.create(newOrder(c.id, { id: 'ord-1', number: 'SA2' })), 'conflict');
        expect(await s.orders.getByNumber('SA2')).toBeNull();
        expect((await s.counts()).orders).toBe(1);
      });

      it('updateStatus sets status and patch; with expected it is a compare-and-set; not_found for an unknown id', async () => {
        const s = store();
        const c = await customer();
        const order = await s.orders.create(newOrder(c.id));
        const paid = await s.orders.updateStatus(order.id, 'paid', { expected: ['pending'], patch: { paidAt: at(HOUR) } });
        expect(paid.status).toBe('paid');
        expect(paid.paidAt?.getTime()).toBe(at(HOUR).getTime());
        const shipped = await s.orders.updateStatus(order.id, 'shipped', { patch: { carrier: 'SF Express', trackingNumber: 'SF123', shippedAt: at(2 * HOUR) } });
        expect(shipped).toMatchObject({ status: 'shipped', carrier: 'SF Express', trackingNumber: 'SF123' });
        expect(shipped.shippedAt?.getTime()).toBe(at(2 * HOUR).getTime());
        expect(shipped.paidAt?.getTime()).toBe(at(HOUR).getTime());
        await expectCode(s.orders.updateStatus(order.id, 'cancelled', { expected: ['pending', 'paid'], patch: { cancelledAt: at(3 * HOUR) } }), 'conflict');
        const now = must(await s.orders.get(order.id), 'order');
        expect(now.status).toBe('shipped');
        expect(now.cancelledAt).toBeUndefined();
        expect(now).toEqual(shipped);
        await expectCode(s.orders.updateStatus('ord-missing', 'paid'), 'not_found');
      });

      it('concurrent updateStatus with the same expected status: exactly one wins', async () => {
        const s = store();
        const order = await s.orders.create(newOrder((await customer()).id));
        const targets = ['cancelled', 'paid', 'cancelled', 'paid', 'cancelled', 'paid'] as const;
        const winner = await expectOneWinner(
          targets.map((status) => s.orders.updateStatus(order.id, status, { expected: ['pending'] })),
          'conflict',
        );
        expect(must(await s.orders.get(order.id), 'order').status).toBe(winner.status);
      });

      it('listByCustomer walks newest first (placedAt, then id, descending)', async () => {
        const s = store();
        const c = await customer();
        const other = await customer();
        const placed: Array<[string, number]> = [
          ['ord-c', 2 * DAY],
          ['ord-a', 0],
          ['ord-g', 1 * DAY],
          ['ord-b', 2 * DAY],
          ['ord-e', 5 * DAY],
          ['ord-d', 3 * DAY],
          ['ord-f', 2 * DAY],
        ];
        for (const [id, offset] of placed) {
          await s.orders.create(newOrder(c.id, { id, placedAt: at(offset) }));
          await s.orders.create(newOrder(other.id, { placedAt: at(offset) }));
        }
        await expectWalk((p) => s.orders.listByCustomer(c.id, p), 3, ['ord-e', 'ord-d', 'ord-f', 'ord-c', 'ord-b', 'ord-g', 'ord-a']);
      });

      it('listByTime: placedAt in [from, to), oldest first (placedAt, then id)', async () => {
        const s = store();
        const c = await customer();
        const placed: Array<[string, number]> = [
          ['ord-5', 4 * HOUR],
          ['ord-2', 1 * HOUR],
          ['ord-7', 2 * HOUR],
          ['ord-1', 0],
          ['ord-4', 2 * HOUR],
          ['ord-6', 5 * HOUR],
          ['ord-3', 3 * HOUR],
        ];
        for (const [id, offset] of placed) await s.orders.create(newOrder(c.id, { id, placedAt: at(offset) }));
        await expectWalk((p) => s.orders.listByTime({}, p), 3, ['ord-1', 'ord-2', 'ord-4', 'ord-7', 'ord-3', 'ord-5', 'ord-6']);
        await expectWalk((p) => s.orders.listByTime({ from: at(2 * HOUR), to: at(4 * HOUR) }, p), 3, ['ord-4', 'ord-7', 'ord-3']);
        expect(ids((await s.orders.listByTime({ from: at(5 * HOUR) })).items)).toEqual(['ord-6']);
        expect(ids((await s.orders.listByTime({ to: at(1 * HOUR) })).items)).toEqual(['ord-1']);
      });
    });

    // ------------------------------------------------------------- returns

    describe('returns', () => {
      it('creates in requested, reads back; conflict for a duplicate rmaCode', async () => {
        const s = store();
        const c = await customer();
        const order = await s.orders.create(newOrder(c.id));
        const r = await s.returns.create({ orderId: order.id, customerId: c.id, items: [{ productId: 'p-1', quantity: 1 }], reason: 'too small', rmaCode: 'RMA-1' });
        expect(r).toMatchObject({ orderId: order.id, customerId: c.id, items: [{ productId: 'p-1', quantity: 1 }], reason: 'too small', status: 'requested', rmaCode: 'RMA-1' });
        expect(r.refundAmount).toBeUndefined();
        expect(r.createdAt).toBeInstanceOf(Date);
        expect(await s.returns.get(r.id)).toEqual(r);
        expect(await s.returns.get('ret-missing')).toBeNull();
        await expectCode(s.returns.create({ orderId: order.id, customerId: c.id, items: [], reason: 'again', rmaCode: 'RMA-1' }), 'conflict');
        expect((await s.counts()).returns).toBe(1);
      });

      it('updateStatus with expected is a compare-and-set and records the refund; not_found for an unknown id', async () => {
        const s = store();
        const c = await customer();
        const order = await s.orders.create(newOrder(c.id));
        const r = await s.returns.create({ orderId: order.id, customerId: c.id, items: [{ productId: 'p-1', quantity: 2 }], reason: 'broken', rmaCode: uniq('RMA'), refundAmount: 50 });
        expect(r.refundAmount).toBe(50);
        const approved = await s.returns.updateStatus(r.id, 'approved', { expected: ['requested'] });
        expect(approved.status).toBe('approved');
        await expectCode(s.returns.updateStatus(r.id, 'cancelled', { expected: ['requested'] }), 'conflict');
        expect(must(await s.returns.get(r.id), 'return').status).toBe('approved');
        const refunded = await s.returns.updateStatus(r.id, 'refunded', { refundAmount: 199 });
        expect(refunded).toMatchObject({ status: 'refunded', refundAmount: 199 });
        expect(await s.returns.get(r.id)).toEqual(refunded);
        await expectCode(s.returns.updateStatus('ret-missing', 'approved'), 'not_found');
      });

      it('listByOrder is oldest first; listByCustomer walks newest first', async () => {
        const s = store();
        const c = await customer();
        const other = await customer();
        const o1 = await s.orders.create(newOrder(c.id));
        const o2 = await s.orders.create(newOrder(c.id));
        const o3 = await s.orders.create(newOrder(other.id));
        const made = [];
        for (let i = 0; i < 7; i++) {
          made.push(await s.returns.create({ orderId: i % 2 === 0 ? o1.id : o2.id, customerId: c.id, items: [{ productId: 'p-1', quantity: 1 }], reason: 'r', rmaCode: uniq('RMA') }));
          await s.returns.create({ orderId: o3.id, customerId: other.id, items: [], reason: 'r', rmaCode: uniq('RMA') });
        }
        expect(ids(await s.returns.listByOrder(o1.id))).toEqual(ids(made.filter((r) => r.orderId === o1.id)));
        expect(ids(await s.returns.listByOrder(o2.id))).toEqual(ids(made.filter((r) => r.orderId === o2.id)));
        expect(await s.returns.listByOrder('ord-missing')).toEqual([]);
        await expectWalk((p) => s.returns.listByCustomer(c.id, p), 3, sortedIds(made, 'desc'));
        expect(sortedIds(made, 'desc')).toEqual(ids(made).reverse());
      });
    });

    // -------------------------------------------------------- interactions

    describe('interactions', () => {
      it('record stores one; absent optional fields are undefined', async () => {
        const s = store();
        const before = Date.now();
        const plain = await s.interactions.record({ customerId: 'cus-1', productId: 'p-1', type: 'view' });
        expect(plain).toMatchObject({ customerId: 'cus-1', productId: 'p-1', type: 'view' });
        expect(plain.id).toEqual(expect.any(String));
        expect(plain.value).toBeUndefined();
        expect(plain.source).toBeUndefined();
        expect(plain.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        const rated = await s.interactions.record({ customerId: 'cus-1', productId: 'p-2', type: 'rating', value: 4.5, source: 'chat', createdAt: at(0) });
        expect(rated).toMatchObject({ type: 'rating', value: 4.5, source: 'chat' });
        expect(rated.createdAt.getTime()).toBe(at(0).getTime());
        expect((await s.interactions.list({ customerId: 'cus-1', type: 'rating' })).items).toEqual([rated]);
      });

      it('recordMany stores all and count filters by customer, product, type and time', async () => {
        const s = store();
        expect(await s.interactions.recordMany([])).toBe(0);
        const stored = await s.interactions.recordMany([
          { customerId: 'cus-1', productId: 'p-1', type: 'view', createdAt: at(0) },
          { customerId: 'cus-1', productId: 'p-1', type: 'click', createdAt: at(1 * HOUR) },
          { customerId: 'cus-1', productId: 'p-2', type: 'purchase', value: 2, createdAt: at(2 * HOUR) },
          { customerId: 'cus-2', productId: 'p-1', type: 'view', createdAt: at(3 * HOUR) },
          { customerId: 'cus-2', productId: 'p-2', type: 'rating', value: 3.5, createdAt: at(4 * HOUR) },
          { customerId: 'cus-2', productId: 'p-3', type: 'view', source: 'ad:camp-1', createdAt: at(5 * HOUR) },
        ]);
        expect(stored).toBe(6);
        expect(await s.interactions.count()).toBe(6);
        expect(await s.interactions.count({ customerId: 'cus-1' })).toBe(3);
        expect(await s.interactions.count({ productId: 'p-1' })).toBe(3);
        expect(await s.interactions.count({ type: 'view' })).toBe(3);
        expect(await s.interactions.count({ customerId: 'cus-2', type: 'view' })).toBe(2);
        expect(await s.interactions.count({ from: at(1 * HOUR), to: at(4 * HOUR) })).toBe(3);
        expect(await s.interactions.count({ from: at(5 * HOUR) })).toBe(1);
        expect(await s.interactions.count({ to: at(0) })).toBe(0);
        expect(await s.interactions.count({ customerId: 'cus-missing' })).toBe(0);
      });

      it('list walks oldest first (createdAt, then id) with filters and [from, to)', async () => {
        const s = store();
        const rows: Array<[string, number, string]> = [
          ['int-e', 4, 'cus-1'],
          ['int-b', 1, 'cus-1'],
          ['int-g', 0, 'cus-2'],
          ['int-a', 2, 'cus-1'],
          ['int-d', 2, 'cus-2'],
          ['int-f', 5, 'cus-1'],
          ['int-c', 3, 'cus-1'],
        ];
        await s.interactions.recordMany(rows.map(([id, hours, customerId]) => ({ id, customerId, productId: 'p-1', type: 'view' as const, createdAt: at(hours * HOUR) })));
        await expectWalk((p) => s.interactions.list({}, p), 3, ['int-g', 'int-b', 'int-a', 'int-d', 'int-c', 'int-e', 'int-f']);
        await expectWalk((p) => s.interactions.list({ customerId: 'cus-1' }, p), 3, ['int-b', 'int-a', 'int-c', 'int-e', 'int-f']);
        await expectWalk((p) => s.interactions.list({ from: at(2 * HOUR), to: at(4 * HOUR) }, p), 3, ['int-a', 'int-d', 'int-c']);
        expect(ids((await s.interactions.list({ productId: 'p-2' })).items)).toEqual([]);
      });

      it('impressions are stored; source filters by exact match', async () => {
        const s = store();
        await s.interactions.recordMany([
          { customerId: 'cus-1', productId: 'p-1', type: 'impression', source: 'ad:camp-1', createdAt: at(0) },
          { customerId: 'cus-1', productId: 'p-1', type: 'impression', source: 'ad:camp-1', createdAt: at(HOUR) },
          { customerId: 'cus-2', productId: 'p-1', type: 'impression', source: 'ad:camp-1', createdAt: at(HOUR) },
          { customerId: 'cus-1', productId: 'p-1', type: 'impression', source: 'ad:camp-10', createdAt: at(HOUR) },
          { customerId: 'cus-1', productId: 'p-1', type: 'click', source: 'ad:camp-1', createdAt: at(2 * HOUR) },
          { customerId: 'cus-1', productId: 'p-2', type: 'impression', source: 'recommendation', createdAt: at(2 * HOUR) },
        ]);
        expect(await s.interactions.count({ type: 'impression' })).toBe(5);
        expect(await s.interactions.count({ source: 'ad:camp-1' })).toBe(4);
        expect(await s.interactions.count({ source: 'ad:camp-1', customerId: 'cus-1', type: 'impression' })).toBe(2);
        expect(await s.interactions.count({ source: 'ad:camp-1', customerId: 'cus-1', type: 'impression', from: at(HOUR) })).toBe(1);
        expect(await s.interactions.count({ source: 'ad:camp' })).toBe(0);
        const page = await s.interactions.list({ source: 'recommendation' });
        expect(page.items).toHaveLength(1);
        expect(page.items[0]).toMatchObject({ productId: 'p-2', type: 'impression', source: 'recommendation' });
      });
    });

    // ----------------------------------------------------------- campaigns

    describe('campaigns', () => {
      it('create, get, update, delete; not_found for updating an unknown id', async () => {
        const s = store();
        const created = await s.campaigns.create(newCampaign('p-1', { name: 'Summer' }));
        expect(created).toMatchObject({ name: 'Summer', productId: 'p-1', bid: 1.5, dailyBudget: 100, status: 'active', targeting: { categories: ['tops'], intents: ['recommend'], keywords: ['tee'] } });
        expect(created.startsAt.getTime()).toBe(at(-DAY).getTime());
        expect(created.endsAt).toBeUndefined();
        expect(await s.campaigns.get(created.id)).toEqual(created);
        await sleep(5);
        const updated = await s.campaigns.update(created.id, { status: 'paused', bid: 2, endsAt: at(DAY) });
        expect(updated).toMatchObject({ id: created.id, name: 'Summer', status: 'paused', bid: 2 });
        expect(updated.endsAt?.getTime()).toBe(at(DAY).getTime());
        expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
        expect(await s.campaigns.get(created.id)).toEqual(updated);
        await expectCode(s.campaigns.update('camp-missing', { bid: 1 }), 'not_found');
        expect(await s.campaigns.delete(created.id)).toBe(true);
        expect(await s.campaigns.get(created.id)).toBeNull();
        expect(await s.campaigns.delete(created.id)).toBe(false);
      });

      it('list walks in id order; status and activeAt filter', async () => {
        const s = store();
        const open = await s.campaigns.create(newCampaign('p-1', { id: 'camp-1', startsAt: at(-DAY) }));
        const bounded = await s.campaigns.create(newCampaign('p-1', { id: 'camp-2', startsAt: at(-DAY), endsAt: at(DAY) }));
        await s.campaigns.create(newCampaign('p-1', { id: 'camp-3', startsAt: at(DAY) }));
        await s.campaigns.create(newCampaign('p-1', { id: 'camp-4', startsAt: at(-2 * DAY), endsAt: at(-DAY) }));
        const paused = await s.campaigns.create(newCampaign('p-1', { id: 'camp-5', status: 'paused', startsAt: at(-DAY) }));
        await s.campaigns.create(newCampaign('p-1', { id: 'camp-7', status: 'ended', startsAt: at(-2 * DAY) }));
        await s.campaigns.create(newCampaign('p-1', { id: 'camp-6', startsAt: at(-3 * DAY), endsAt: at(3 * DAY) }));
        await expectWalk((p) => s.campaigns.list({}, p), 3, ['camp-1', 'camp-2', 'camp-3', 'camp-4', 'camp-5', 'camp-6', 'camp-7']);
        expect(ids((await s.campaigns.list({ activeAt: at(0) })).items)).toEqual([open.id, bounded.id, 'camp-6']);
        expect(ids((await s.campaigns.list({ activeAt: at(2 * DAY) })).items)).toEqual(['camp-1', 'camp-3', 'camp-6']);
        expect(ids((await s.campaigns.list({ status: 'paused' })).items)).toEqual([paused.id]);
        expect(ids((await s.campaigns.list({ status: 'active', activeAt: at(0) }, { limit: 2 })).items)).toEqual(['camp-1', 'camp-2']);
      });

      it('charge adds up to the daily budget exactly and never past it; spend and spendByDay report it', async () => {
        const s = store();
        const c = await s.campaigns.create(newCampaign('p-1', { dailyBudget: 10 }));
        const other = await s.campaigns.create(newCampaign('p-2', { dailyBudget: 5 }));
        expect(await s.campaigns.spend(c.id, '2025-01-15')).toBe(0);
        expect(await s.campaigns.charge(c.id, '2025-01-15', 4)).toEqual({ charged: 4, spent: 4 });
        expect(await s.campaigns.charge(c.id, '2025-01-15', 0.3)).toEqual({ charged: 0.3, spent: 4.3 });
        expect(await s.campaigns.charge(c.id, '2025-01-15', 6)).toEqual({ charged: 5.7, spent: 10 });
        expect(await s.campaigns.charge(c.id, '2025-01-15', 1)).toEqual({ charged: 0, spent: 10 });
        expect(await s.campaigns.charge(c.id, '2025-01-15', 0)).toEqual({ charged: 0, spent: 10 });
        // another day has its own budget
        expect(await s.campaigns.charge(c.id, '2025-01-16', 12)).toEqual({ charged: 10, spent: 10 });
        expect(await s.campaigns.charge(other.id, '2025-01-15', 1.25)).toEqual({ charged: 1.25, spent: 1.25 });
        expect(await s.campaigns.spend(c.id, '2025-01-15')).toBe(10);
        expect(await s.campaigns.spend(c.id, '2025-01-17')).toBe(0);
        const rows = await s.campaigns.spendByDay({ from: '2025-01-01', to: '2025-01-31' });
        const first = [c.id, other.id].sort(byString);
        expect(rows).toEqual([
          ...first.map((id) => (id === c.id ? { campaignId: c.id, day: '2025-01-15', spent: 10, clicks: 3 } : { campaignId: other.id, day: '2025-01-15', spent: 1.25, clicks: 1 })),
          { campaignId: c.id, day: '2025-01-16', spent: 10, clicks: 1 },
        ]);
        expect(await s.campaigns.spendByDay({ from: '2025-01-16', to: '2025-01-16' })).toEqual([{ campaignId: c.id, day: '2025-01-16', spent: 10, clicks: 1 }]);
        // deleting a campaign deletes its spend
        expect(await s.campaigns.delete(c.id)).toBe(true);
        expect(await s.campaigns.spend(c.id, '2025-01-15')).toBe(0);
        expect(await s.campaigns.spendByDay({ from: '2025-01-01', to: '2025-01-31' })).toEqual([{ campaignId: other.id, day: '2025-01-15', spent: 1.25, clicks: 1 }]);
      });

      it('40 concurrent charges of 7 against a budget of 100 spend exactly 100', async () => {
        const s = store();
        const c = await s.campaigns.create(newCampaign('p-1', { dailyBudget: 100 }));
        const results = await Promise.all(Array.from({ length: 40 }, () => s.campaigns.charge(c.id, '2025-01-15', 7)));
        const charged = results.map((r) => r.charged);
        expect(Math.round(charged.reduce((a, b) => a + b, 0) * 100)).toBe(10_000);
        for (const x of charged) expect(x).toBeGreaterThanOrEqual(0);
        for (const x of charged) expect(x).toBeLessThanOrEqual(7);
        expect(charged.filter((x) => x === 7)).toHaveLength(14);
        expect(charged.filter((x) => x === 2)).toHaveLength(1);
        expect(Math.max(...results.map((r) => r.spent))).toBe(100);
        expect(await s.campaigns.spend(c.id, '2025-01-15')).toBe(100);
        expect(await s.campaigns.spendByDay({ from: '2025-01-15', to: '2025-01-15' })).toEqual([{ campaignId: c.id, day: '2025-01-15', spent: 100, clicks: 15 }]);
      }, 60_000);

      it('charge: not_found for an unknown campaign; bad_request for a bad amount or day', async () => {
        const s = store();
        const c = await s.campaigns.create(newCampaign('p-1'));
        await expectCode(s.campaigns.charge('camp-missing', '2025-01-15', 1), 'not_found');
        await expectCode(s.campaigns.charge(c.id, '2025-01-15', -1), 'bad_request');
        await expectCode(s.campaigns.charge(c.id, '2025-01-15', Number.NaN), 'bad_request');
        await expectCode(s.campaigns.charge(c.id, '2025-01-15', Number.POSITIVE_INFINITY), 'bad_request');
        await expectCode(s.campaigns.charge(c.id, '15/01/2025', 1), 'bad_request');
        await expectCode(s.campaigns.spendByDay({ from: '2025-1-1', to: '2025-01-31' }), 'bad_request');
        expect(await s.campaigns.spend(c.id, '2025-01-15')).toBe(0);
      });
    });

    // -------------------------------------------------------------- agents

    describe('agents', () => {
      it('creates with the email lower-cased; conflict for a duplicate email in any case', async () => {
        const s = store();
        const agent = await s.agents.create(newAgent({ email: 'Alice@Shop.Example', name: 'Alice', role: 'supervisor' }));
        expect(agent).toMatchObject({ email: 'alice@shop.example', name: 'Alice', role: 'supervisor', passwordHash: 'scrypt$fake', languages: ['en', 'zh'], skills: ['orders'], capacity: 3 });
        expect(['online', 'away', 'offline']).toContain(agent.status);
        expect(await s.agents.get(agent.id)).toEqual(agent);
        expect(await s.agents.get('agt-missing')).toBeNull();
        expect((await s.agents.getByEmail('alice@shop.example'))?.id).toBe(agent.id);
        expect((await s.agents.getByEmail('ALICE@shop.example'))?.id).toBe(agent.id);
        expect(await s.agents.getByEmail('bob@shop.example')).toBeNull();
        await expectCode(s.agents.create(newAgent({ email: 'ALICE@SHOP.EXAMPLE' })), 'conflict');
        await expectCode(s.agents.create(newAgent({ email: 'alice@shop.example' })), 'conflict');
        expect((await s.counts()).agents).toBe(1);
      });

      it('update, delete; not_found for updating an unknown id', async () => {
        const s = store();
        const agent = await s.agents.create(newAgent({ status: 'offline' }));
        await sleep(5);
        const updated = await s.agents.update(agent.id, { status: 'online', capacity: 5, skills: ['returns'], role: 'admin' });
        expect(updated).toMatchObject({ id: agent.id, email: agent.email, status: 'online', capacity: 5, skills: ['returns'], role: 'admin' });
        expect(updated.updatedAt.getTime()).toBeGreaterThan(agent.updatedAt.getTime());
        expect(await s.agents.get(agent.id)).toEqual(updated);
        await expectCode(s.agents.update('agt-missing', { capacity: 1 }), 'not_found');
        expect(await s.agents.delete(agent.id)).toBe(true);
        expect(await s.agents.get(agent.id)).toBeNull();
        expect(await s.agents.delete(agent.id)).toBe(false);
        expect((await s.agents.create(newAgent({ email: agent.email }))).email).toBe(agent.email);
      });

      it('list walks in id order and filters by status and role', async () => {
        const s = store();
        const rows: Array<[string, 'online' | 'offline', 'agent' | 'supervisor']> = [
          ['agt-d', 'online', 'agent'],
          ['agt-a', 'offline', 'agent'],
          ['agt-f', 'online', 'supervisor'],
          ['agt-b', 'online', 'agent'],
          ['agt-g', 'offline', 'supervisor'],
          ['agt-c', 'online', 'agent'],
          ['agt-e', 'offline', 'agent'],
        ];
        for (const [id, status, role] of rows) await s.agents.create(newAgent({ id, status, role }));
        await expectWalk((p) => s.agents.list({}, p), 3, ['agt-a', 'agt-b', 'agt-c', 'agt-d', 'agt-e', 'agt-f', 'agt-g']);
        await expectWalk((p) => s.agents.list({ status: 'online' }, p), 3, ['agt-b', 'agt-c', 'agt-d', 'agt-f']);
        expect(ids((await s.agents.list({ role: 'supervisor' })).items)).toEqual(['agt-f', 'agt-g']);
        expect(ids((await s.agents.list({ status: 'offline', role: 'agent' })).items)).toEqual(['agt-a', 'agt-e']);
      });
    });

    // ----------------------------------------------------------- delivery

    describe('message delivery', () => {
      it('setDelivery records status, attempts and error; listByDelivery walks one status oldest first; erasure takes them too', async () => {
        const s = store();
        const c = await customer();
        const conv = await conversation(c.id, 'wechat');
        const plain = await message(conv);
        expect(plain.delivery).toBeUndefined();
        const sent: Message[] = [];
        for (let i = 0; i < 5; i++) sent.push(await message(conv, { direction: 'out', sender: 'agent', agentId: 'agt-1', text: `reply ${i}`, createdAt: at(i * SECOND) }));
        for (const m of sent) await s.messages.setDelivery(m.id, { status: 'pending', attempts: 0 });
        const retrying = await s.messages.setDelivery(must(sent[1], 'm1').id, { status: 'pending', attempts: 2, error: 'errcode -1: system busy' });
        expect(retrying.delivery).toMatchObject({ status: 'pending', attempts: 2, error: 'errcode -1: system busy' });
        expect(retrying.delivery?.updatedAt).toBeInstanceOf(Date);
        const ok = await s.messages.setDelivery(must(sent[1], 'm1').id, { status: 'sent', attempts: 3 });
        expect(ok.delivery).toMatchObject({ status: 'sent', attempts: 3 });
        expect(ok.delivery?.error).toBeUndefined();
        await s.messages.setDelivery(must(sent[3], 'm3').id, { status: 'failed', attempts: 5, error: 'HTTP 502' });
        expect(await s.messages.get(must(sent[3], 'm3').id)).toMatchObject({ text: 'reply 3', delivery: { status: 'failed', attempts: 5, error: 'HTTP 502' } });
        await expectWalk((p) => s.messages.listByDelivery('pending', p), 2, [sent[0]!.id, sent[2]!.id, sent[4]!.id]);
        expect(ids((await s.messages.listByDelivery('failed')).items)).toEqual([sent[3]!.id]);
        expect(ids((await s.messages.listByDelivery('sent')).items)).toEqual([sent[1]!.id]);
        const listed = await s.messages.listByConversation(conv.id);
        expect(listed.find((m) => m.id === sent[3]!.id)?.delivery?.status).toBe('failed');
        await expectCode(s.messages.setDelivery('msg-missing', { status: 'sent', attempts: 1 }), 'not_found');
        await expectCode(s.messages.setDelivery(plain.id, { status: 'lost' as 'sent', attempts: 1 }), 'bad_request');
        await expectCode(s.messages.setDelivery(plain.id, { status: 'sent', attempts: -1 }), 'bad_request');
        await s.deleteCustomerData(c.id);
        expect((await s.messages.listByDelivery('pending')).items).toEqual([]);
      });

      it('setDelivery keeps the outbox fields (claim, next attempt, attempts allowed) with pending only', async () => {
        const s = store();
        const conv = await conversation((await customer()).id, 'wechat');
        const m = await message(conv, { direction: 'out', sender: 'agent', text: 'outbox' });
        const until = new Date(Date.now() + 30_000);
        const next = new Date(Date.now() + 5000);
        const pending = await s.messages.setDelivery(m.id, { status: 'pending', attempts: 1, error: 'errcode -1', claim: { owner: 'node-a', until }, nextAttemptAt: next, maxAttempts: 5 });
        expect(pending.delivery).toMatchObject({ status: 'pending', attempts: 1, claim: { owner: 'node-a', until }, nextAttemptAt: next, maxAttempts: 5 });
        expect(must(await s.messages.get(m.id), 'message').delivery).toMatchObject({ claim: { owner: 'node-a', until }, nextAttemptAt: next, maxAttempts: 5 });
        const sent = await s.messages.setDelivery(m.id, { status: 'sent', attempts: 2, claim: { owner: 'node-a', until }, nextAttemptAt: next, maxAttempts: 5 });
        expect(sent.delivery).toMatchObject({ status: 'sent', attempts: 2 });
        for (const d of [sent.delivery, must(await s.messages.get(m.id), 'message').delivery]) {
          expect(d?.claim).toBeUndefined();
          expect(d?.nextAttemptAt).toBeUndefined();
          expect(d?.maxAttempts).toBeUndefined();
        }
        await expectCode(s.messages.setDelivery(m.id, { status: 'pending', attempts: 1, claim: { owner: '', until } }), 'bad_request');
        await expectCode(s.messages.setDelivery(m.id, { status: 'pending', attempts: 1, nextAttemptAt: new Date('nope') }), 'bad_request');
      });

      it('claimDelivery: of many concurrent claims from two connections exactly one wins, every round', async () => {
        const s = store();
        // A second connection to the same data, as a second node or process has.
        const other = await must(location, 'location').open();
        try {
          const conv = await conversation((await customer()).id, 'wechat');
          for (let round = 0; round < 5; round++) {
            const m = await message(conv, { direction: 'out', sender: 'agent', text: `race ${round}` });
            // Left pending by a node whose lease ran out (a crash).
            await s.messages.setDelivery(m.id, { status: 'pending', attempts: 1, claim: { owner: 'dead-node', until: new Date(Date.now() - 1000) } });
            const owners = Array.from({ length: 12 }, (_, i) => `node-${round}-${i}`);
            const until = new Date(Date.now() + 60_000);
            const results = await Promise.all(owners.map((owner, i) => (i % 2 === 0 ? s : other).messages.claimDelivery(m.id, { owner, until })));
            const winners = results.filter((r): r is Message => r !== null);
            expect(winners).toHaveLength(1);
            const winner = must(winners[0], 'the winner');
            expect(owners).toContain(winner.delivery?.claim?.owner);
            expect(winner.delivery).toMatchObject({ status: 'pending', attempts: 1, claim: { until } });
            expect(must(await other.messages.get(m.id), 'message').delivery?.claim?.owner).toBe(winner.delivery?.claim?.owner);
          }
        } finally {
          await other.close();
        }
      });

      it('claimDelivery: a live claim holds, the holder renews, an expired lease is re-claimed, a sent message is never claimed', async () => {
        const s = store();
        const conv = await conversation((await customer()).id, 'wechat');
        const m = await message(conv, { direction: 'out', sender: 'agent', text: 'leases' });
        const t0 = Date.now();
        await s.messages.setDelivery(m.id, { status: 'pending', attempts: 2, error: 'HTTP 502', claim: { owner: 'node-a', until: new Date(t0 + 10_000) }, maxAttempts: 5 });
        // Another node, while node-a's lease runs: refused.
        expect(await s.messages.claimDelivery(m.id, { owner: 'node-b', until: new Date(t0 + 40_000), now: new Date(t0) })).toBeNull();
        // node-a renews its own claim.
        const renewed = await s.messages.claimDelivery(m.id, { owner: 'node-a', until: new Date(t0 + 20_000), now: new Date(t0 + 5000) });
        expect(renewed?.delivery).toMatchObject({ status: 'pending', attempts: 2, error: 'HTTP 502', maxAttempts: 5, claim: { owner: 'node-a', until: new Date(t0 + 20_000) } });
        expect(await s.messages.claimDelivery(m.id, { owner: 'node-b', until: new Date(t0 + 40_000), now: new Date(t0 + 19_999) })).toBeNull();
        // The lease has run out (node-a stopped): node-b takes it over, and then holds it against node-a.
        const taken = await s.messages.claimDelivery(m.id, { owner: 'node-b', until: new Date(t0 + 50_000), now: new Date(t0 + 20_000) });
        expect(taken?.delivery?.claim).toEqual({ owner: 'node-b', until: new Date(t0 + 50_000) });
        expect(await s.messages.claimDelivery(m.id, { owner: 'node-a', until: new Date(t0 + 60_000), now: new Date(t0 + 21_000) })).toBeNull();
        // Sent: nobody claims it, whatever the clock says.
        await s.messages.setDelivery(m.id, { status: 'sent', attempts: 3 });
        for (const expect_ of ['pending', 'failed', null] as const) {
          expect(await s.messages.claimDelivery(m.id, { owner: 'node-c', until: new Date(t0 + 90_000), now: new Date(t0 + 80_000), expect: expect_ })).toBeNull();
        }
        expect(must(await s.messages.get(m.id), 'message').delivery).toMatchObject({ status: 'sent', attempts: 3 });
      });

      it('claimDelivery from failed (a console Retry) and from untracked; exactly one of concurrent Retries wins; errors', async () => {
        const s = store();
        const conv = await conversation((await customer()).id, 'wechat');
        const failed = await message(conv, { direction: 'out', sender: 'agent', text: 'failed once' });
        await s.messages.setDelivery(failed.id, { status: 'failed', attempts: 1, error: 'errcode 43004' });
        const until = new Date(Date.now() + 30_000);
        // A pending claim does not take a failed message (a crashed node's leftovers only).
        expect(await s.messages.claimDelivery(failed.id, { owner: 'node-a', until })).toBeNull();
        const retries = await Promise.all(['node-a', 'node-b', 'node-c', 'node-d'].map((owner) => s.messages.claimDelivery(failed.id, { owner, until, expect: 'failed' })));
        const won = retries.filter((r): r is Message => r !== null);
        expect(won).toHaveLength(1);
        expect(must(won[0], 'winner').delivery).toMatchObject({ status: 'pending', attempts: 1, error: 'errcode 43004', claim: { until } });

        const fresh = await message(conv, { direction: 'out', sender: 'bot', text: 'late answer' });
        expect(await s.messages.claimDelivery(fresh.id, { owner: 'node-a', until, expect: 'failed' })).toBeNull();
        const tracked = await s.messages.claimDelivery(fresh.id, { owner: 'node-a', until, expect: null });
        expect(tracked?.delivery).toMatchObject({ status: 'pending', attempts: 0, claim: { owner: 'node-a', until } });
        expect(await s.messages.claimDelivery(fresh.id, { owner: 'node-b', until, expect: null })).toBeNull();

        await expectCode(s.messages.claimDelivery('msg-missing', { owner: 'node-a', until }), 'not_found');
        await expectCode(s.messages.claimDelivery(fresh.id, { owner: '', until }), 'bad_request');
        await expectCode(s.messages.claimDelivery(fresh.id, { owner: 'node-a', until: new Date('nope') }), 'bad_request');
        await expectCode(s.messages.claimDelivery(fresh.id, { owner: 'node-a', until, expect: 'lost' as 'sent' }), 'bad_request');
      });
    });

    // --------------------------------------------------------------- audit

    describe('audit', () => {
      it('records every field and lists newest first, with filters by time, actor, target and action (exact or prefix)', async () => {
        const s = store();
        const rows = [
          { at: at(1 * SECOND), actor: { kind: 'agent' as const, id: 'agt-a', name: 'Ann', role: 'agent' as const }, action: 'auth.login', outcome: 'ok' as const, ip: '127.0.0.1' },
          { at: at(2 * SECOND), actor: { kind: 'agent' as const, id: 'agt-a', name: 'Ann', role: 'agent' as const }, action: 'conversation.claim', outcome: 'ok' as const, targetType: 'conversation', targetId: 'conv-1' },
          { at: at(3 * SECOND), actor: { kind: 'agent' as const, id: 'agt-b', name: 'Bo', role: 'supervisor' as const }, action: 'conversation.reassign', outcome: 'ok' as const, targetType: 'conversation', targetId: 'conv-1', details: { from: 'agt-a', to: 'agt-b', 'odd.key': { $x: 1 } } },
          { at: at(4 * SECOND), actor: { kind: 'token' as const }, action: 'agent.create', outcome: 'ok' as const, targetType: 'agent', targetId: 'agt-c', details: { role: 'agent' } },
          { at: at(5 * SECOND), actor: { kind: 'agent' as const, name: 'who@shop.example' }, action: 'auth.login', outcome: 'refused' as const, details: { reason: 'bad_password' } },
          { at: at(6 * SECOND), actor: { kind: 'cli' as const }, action: 'customer.delete', outcome: 'ok' as const, targetType: 'customer', targetId: 'cus-9' },
        ];
        const recorded = [];
        for (const r of rows) recorded.push(await s.audit.record(r));
        expect(recorded[2]).toMatchObject({ actor: { kind: 'agent', id: 'agt-b', name: 'Bo', role: 'supervisor' }, action: 'conversation.reassign', outcome: 'ok', targetType: 'conversation', targetId: 'conv-1', details: { from: 'agt-a', to: 'agt-b', 'odd.key': { $x: 1 } } });
        expect(recorded[0]?.ip).toBe('127.0.0.1');
        expect(recorded[0]?.at.getTime()).toBe(at(SECOND).getTime());
        const newestFirst = [...recorded].reverse().map((e) => e.id);
        const all = await expectWalk((p) => s.audit.list({}, p), 4, newestFirst);
        expect(all[3]).toEqual(recorded[2]);
        expect(ids((await s.audit.list({ actorId: 'agt-a' })).items)).toEqual([recorded[1]!.id, recorded[0]!.id]);
        expect(ids((await s.audit.list({ targetId: 'conv-1' })).items)).toEqual([recorded[2]!.id, recorded[1]!.id]);
        expect(ids((await s.audit.list({ action: 'auth.login' })).items)).toEqual([recorded[4]!.id, recorded[0]!.id]);
        expect(ids((await s.audit.list({ action: 'conversation.' })).items)).toEqual([recorded[2]!.id, recorded[1]!.id]);
        expect(ids((await s.audit.list({ action: 'conversation' })).items)).toEqual([]);
        expect(ids((await s.audit.list({ from: at(2 * SECOND), to: at(4 * SECOND) })).items)).toEqual([recorded[2]!.id, recorded[1]!.id]);
        const fresh = await s.audit.record({ actor: { kind: 'system' }, action: 'agent.requeue', outcome: 'ok' });
        expect(Math.abs(fresh.at.getTime() - Date.now())).toBeLessThan(60_000);
      });

      it('refuses malformed entries and operator objects in filters; a customer erasure keeps the log', async () => {
        const s = store();
        await expectCode(s.audit.record({ actor: { kind: 'robot' as 'cli' }, action: 'x', outcome: 'ok' }), 'bad_request');
        await expectCode(s.audit.record({ actor: { kind: 'cli' }, action: '', outcome: 'ok' }), 'bad_request');
        await expectCode(s.audit.record({ actor: { kind: 'cli' }, action: 'x', outcome: 'maybe' as 'ok' }), 'bad_request');
        const c = await customer();
        const e = await s.audit.record({ actor: { kind: 'token' }, action: 'customer.delete', outcome: 'ok', targetType: 'customer', targetId: c.id });
        await s.deleteCustomerData(c.id);
        expect(ids((await s.audit.list({ targetId: c.id })).items)).toEqual([e.id]);
        for (const op of [{ $gt: '' }, { $ne: null }, { $regex: '.*' }]) {
          await expect(s.audit.list({ actorId: op as unknown as string })).rejects.toMatchObject({ name: 'ShopError' });
          await expect(s.audit.list({ action: op as unknown as string })).rejects.toMatchObject({ name: 'ShopError' });
        }
      });
    });

    // ----------------------------------------------------------- knowledge

    describe('knowledge', () => {
      it('upsert is by (slug, locale): version 1, no bump for the same content, +1 on each change', async () => {
        const s = store();
        const v1 = await s.knowledge.upsert(article('shipping-times'));
        expect(v1).toMatchObject({ slug: 'shipping-times', locale: 'en', title: 'About shipping-times', category: 'shipping', tags: ['faq'], version: 1 });
        expect(v1.source).toBeUndefined();
        expect(await s.knowledge.get(v1.id)).toEqual(v1);
        expect(await s.knowledge.getBySlug('shipping-times', 'en')).toEqual(v1);
        expect(await s.knowledge.getBySlug('shipping-times', 'zh')).toBeNull();

        const same = await s.knowledge.upsert(article('shipping-times'));
        expect(same.id).toBe(v1.id);
        expect(same.version).toBe(1);

        const bodyChanged = await s.knowledge.upsert(article('shipping-times', { body: 'New body' }));
        expect(bodyChanged).toMatchObject({ id: v1.id, version: 2, body: 'New body' });
        const titleChanged = await s.knowledge.upsert(article('shipping-times', { body: 'New body', title: 'New title' }));
        expect(titleChanged.version).toBe(3);
        const categoryChanged = await s.knowledge.upsert(article('shipping-times', { body: 'New body', title: 'New title', category: 'delivery' }));
        expect(categoryChanged.version).toBe(4);
        const tagsChanged = await s.knowledge.upsert(article('shipping-times', { body: 'New body', title: 'New title', category: 'delivery', tags: ['faq', 'sf'] }));
        expect(tagsChanged).toMatchObject({ version: 5, tags: ['faq', 'sf'] });
        const sourceOnly = await s.knowledge.upsert(article('shipping-times', { body: 'New body', title: 'New title', category: 'delivery', tags: ['faq', 'sf'], source: 'kb/shipping.md' }));
        expect(sourceOnly.version).toBe(5);
        expect(await s.knowledge.getBySlug('shipping-times', 'en')).toMatchObject({ id: v1.id, version: 5, title: 'New title' });

        const zh = await s.knowledge.upsert(article('shipping-times', { locale: 'zh', title: '配送时间', body: '三天' }));
        expect(zh.id).not.toBe(v1.id);
        expect(zh.version).toBe(1);
        expect((await s.counts()).knowledge).toBe(2);
      });

      it('dataVersion changes on add, change and delete, not on a no-op upsert', async () => {
        const s = store();
        const empty = await s.knowledge.dataVersion();
        expect(typeof empty).toBe('string');
        const doc = await s.knowledge.upsert(article('a'));
        const added = await s.knowledge.dataVersion();
        expect(added).not.toBe(empty);
        await s.knowledge.upsert(article('a'));
        expect(await s.knowledge.dataVersion()).toBe(added);
        await s.knowledge.upsert(article('a', { body: 'changed' }));
        const changed = await s.knowledge.dataVersion();
        expect(changed).not.toBe(added);
        await s.knowledge.upsert(article('b'));
        const addedAgain = await s.knowledge.dataVersion();
        expect(addedAgain).not.toBe(changed);
        expect(await s.knowledge.delete(doc.id)).toBe(true);
        const deleted = await s.knowledge.dataVersion();
        expect(deleted).not.toBe(addedAgain);
        expect(await s.knowledge.delete(doc.id)).toBe(false);
        expect(await s.knowledge.get(doc.id)).toBeNull();
        expect(await s.knowledge.getBySlug('a', 'en')).toBeNull();
        expect(new Set([empty, added, changed, addedAgain, deleted]).size).toBe(5);
      });

      it('list walks in id order and filters by locale and category', async () => {
        const s = store();
        const made = [];
        for (let i = 0; i < 7; i++) {
          made.push(await s.knowledge.upsert(article(`doc-${i}`, { locale: i % 2 === 0 ? 'en' : 'zh', category: i < 3 ? 'returns' : 'shipping' })));
        }
        expect(sortedIds(made)).toEqual(ids(made));
        await expectWalk((p) => s.knowledge.list({}, p), 3, ids(made));
        await expectWalk((p) => s.knowledge.list({ locale: 'en' }, p), 3, ids(made.filter((d) => d.locale === 'en')));
        expect(ids((await s.knowledge.list({ category: 'returns' })).items)).toEqual(ids(made.slice(0, 3)));
        expect(ids((await s.knowledge.list({ locale: 'zh', category: 'shipping' })).items)).toEqual(ids(made.filter((d) => d.locale === 'zh' && d.category === 'shipping')));
      });
    });

    // ------------------------------------------------------------ botState

    describe('botState (botbuilder Storage)', () => {
      const key = 'web/conversations/conv-1/';

      it('read of missing keys returns no entry', async () => {
        const items = await store().botState.read(['missing/1', 'missing/2']);
        expect(Object.keys(items)).toEqual([]);
        expect(await store().botState.read([])).toEqual({});
      });

      it('write/read round trip sets an eTag; several keys at once', async () => {
        const s = store();
        const state = { dialogState: { dialogStack: [{ id: 'returns', state: { step: 2, values: { order: 'SA1' } } }] }, list: [1, 'two', null, true], 名字: '王' };
        await s.botState.write({ [key]: state, 'web/users/visitor-1/': { profile: { locale: 'zh' } } });
        const items = await s.botState.read([key, 'web/users/visitor-1/', 'missing/3']);
        expect(Object.keys(items).sort()).toEqual([key, 'web/users/visitor-1/']);
        const item: StoreItem = must(items[key], 'the written item');
        expect(item).toMatchObject(state);
        expect(typeof item.eTag).toBe('string');
        expect(item.eTag).not.toBe('');
        expect(must(items['web/users/visitor-1/'], 'the user item')).toMatchObject({ profile: { locale: 'zh' } });
      });

      it('a write with a stale eTag is precondition_failed and changes nothing; a current eTag wins', async () => {
        const s = store();
        await s.botState.write({ [key]: { n: 1 } });
        const first: StoreItem = must((await s.botState.read([key]))[key], 'item');
        await s.botState.write({ [key]: { ...first, n: 2 } });
        const second: StoreItem = must((await s.botState.read([key]))[key], 'item');
        expect(second.n).toBe(2);
        expect(second.eTag).not.toBe(first.eTag);
        await expectCode(s.botState.write({ [key]: { ...first, n: 3 } }), 'precondition_failed');
        expect(must((await s.botState.read([key]))[key], 'item')).toEqual(second);
      });

      it('two writers with the same eTag at once: exactly one wins', async () => {
        const s = store();
        await s.botState.write({ [key]: { n: 0 } });
        const base: StoreItem = must((await s.botState.read([key]))[key], 'item');
        const writers = Array.from({ length: 5 }, (_, i) => s.botState.write({ [key]: { ...base, n: i + 1 } }));
        const results = await Promise.allSettled(writers);
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i + 1] : []));
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won).toHaveLength(1);
        for (const reason of lost) expect(reason).toMatchObject({ code: 'precondition_failed' });
        expect(must((await s.botState.read([key]))[key], 'item').n).toBe(won[0]);
      });

      it("eTag '*' and a missing eTag overwrite", async () => {
        const s = store();
        await s.botState.write({ [key]: { n: 1 } });
        await s.botState.write({ [key]: { n: 2, eTag: '*' } });
        expect(must((await s.botState.read([key]))[key], 'item').n).toBe(2);
        await s.botState.write({ [key]: { n: 3 } });
        expect(must((await s.botState.read([key]))[key], 'item').n).toBe(3);
      });

      it('delete removes keys and ignores missing ones', async () => {
        const s = store();
        await s.botState.write({ [key]: { n: 1 }, other: { n: 2 } });
        await s.botState.delete([key, 'missing/4']);
        const items = await s.botState.read([key, 'other']);
        expect(Object.keys(items)).toEqual(['other']);
        expect((await s.counts()).botState).toBe(1);
        await s.botState.write({ [key]: { n: 5 } });
        expect(must((await s.botState.read([key]))[key], 'item').n).toBe(5);
      });
    });

    // ------------------------------------------------------------- privacy

    describe('privacy', () => {
      async function seedCustomer(tag: string) {
        const s = store();
        const externalWeb = `visitor-${tag}`;
        const externalWechat = `openid-${tag}`;
        const c = await s.customers.create({
          displayName: tag,
          email: `${tag}@example.com`,
          identities: [
            { channel: 'web', externalId: externalWeb },
            { channel: 'wechat', externalId: externalWechat },
          ],
        });
        const web = await conversation(c.id, 'web');
        const wechat = await conversation(c.id, 'wechat');
        const messages = [
          await message(web, { channelMessageId: `cm-${tag}-1` }),
          await message(web, { direction: 'out', sender: 'bot' }),
          await message(wechat, { channelMessageId: `cm-${tag}-2` }),
        ];
        const orders = [
          await s.orders.create(newOrder(c.id, { number: `SA-${tag}-1` })),
          await s.orders.create(newOrder(c.id, { number: `SA-${tag}-2` })),
        ];
        const returns = [
          await s.returns.create({ orderId: must(orders[0], 'order').id, customerId: c.id, items: [{ productId: 'p-shared', quantity: 1 }], reason: 'size', rmaCode: `RMA-${tag}` }),
        ];
        const interactions = [
          await s.interactions.record({ customerId: c.id, productId: 'p-shared', type: 'view' }),
          await s.interactions.record({ customerId: c.id, productId: 'p-shared', type: 'cart' }),
          await s.interactions.record({ customerId: c.id, productId: 'p-shared', type: 'purchase' }),
        ];
        const botKeys = [
          `web/conversations/${web.id}/`,
          `wechat/conversations/${wechat.id}/`,
          `web/users/${externalWeb}/`,
          `profiles/${c.id}`,
        ];
        await s.botState.write(Object.fromEntries(botKeys.map((k) => [k, { owner: tag }])));
        return { customer: c, conversations: [web, wechat], messages, orders, returns, interactions, botKeys };
      }

      async function sharedRecords() {
        const s = store();
        await s.products.upsert(product('p-shared'));
        await s.campaigns.create(newCampaign('p-shared'));
        await s.agents.create(newAgent());
        await s.knowledge.upsert(article('privacy'));
        await s.botState.write({ 'app/settings': { theme: 'dark' } });
      }

      it('exportCustomerData returns everything of one customer and nothing of another; not_found if unknown', async () => {
        const s = store();
        await sharedRecords();
        const alice = await seedCustomer('alice');
        const bob = await seedCustomer('bob');
        const exported = await s.exportCustomerData(alice.customer.id);
        expect(exported.customer).toEqual(alice.customer);
        expect(sortedIds(exported.conversations)).toEqual(sortedIds(alice.conversations));
        expect(sortedIds(exported.messages)).toEqual(sortedIds(alice.messages));
        expect(sortedIds(exported.orders)).toEqual(sortedIds(alice.orders));
        expect(sortedIds(exported.returns)).toEqual(sortedIds(alice.returns));
        expect(sortedIds(exported.interactions)).toEqual(sortedIds(alice.interactions));
        const orderById = new Map(exported.orders.map((o) => [o.id, o]));
        for (const o of alice.orders) expect(orderById.get(o.id)).toEqual(o);
        const bobIds = new Set([...ids(bob.conversations), ...ids(bob.messages), ...ids(bob.orders), ...ids(bob.returns), ...ids(bob.interactions)]);
        for (const list of [exported.conversations, exported.messages, exported.orders, exported.returns, exported.interactions]) {
          for (const id of ids(list)) expect(bobIds.has(id)).toBe(false);
        }
        await expectCode(s.exportCustomerData('cus-missing'), 'not_found');
      });

      it('deleteCustomerData removes the customer’s records in every collection, leaves others, and counts right', async () => {
        const s = store();
        await sharedRecords();
        const alice = await seedCustomer('alice');
        const bob = await seedCustomer('bob');
        const bobBefore = await s.exportCustomerData(bob.customer.id);
        const totalsBefore = await s.counts();

        const deleted = await s.deleteCustomerData(alice.customer.id);
        expect(deleted).toEqual({
          ...emptyCounts(),
          customers: 1,
          conversations: 2,
          messages: 3,
          orders: 2,
          returns: 1,
          interactions: 3,
          botState: 4,
        });
        const totalsAfter = await s.counts();
        for (const collection of COLLECTIONS) {
          expect(totalsAfter[collection], collection).toBe(totalsBefore[collection] - deleted[collection]);
        }

        expect(await s.customers.get(alice.customer.id)).toBeNull();
        expect(await s.customers.findByIdentity('web', 'visitor-alice')).toBeNull();
        expect(await s.customers.findByIdentity('wechat', 'openid-alice')).toBeNull();
        for (const conv of alice.conversations) expect(await s.conversations.get(conv.id)).toBeNull();
        for (const m of alice.messages) expect(await s.messages.get(m.id)).toBeNull();
        expect(await s.messages.findByChannelMessageId('web', 'cm-alice-1')).toBeNull();
        for (const o of alice.orders) expect(await s.orders.get(o.id)).toBeNull();
        for (const r of alice.returns) expect(await s.returns.get(r.id)).toBeNull();
        expect(await s.interactions.count({ customerId: alice.customer.id })).toBe(0);
        expect((await s.messages.listByCustomer(alice.customer.id)).items).toEqual([]);
        expect(Object.keys(await s.botState.read(alice.botKeys))).toEqual([]);
        await expectCode(s.exportCustomerData(alice.customer.id), 'not_found');

        const bobAfter = await s.exportCustomerData(bob.customer.id);
        expect(bobAfter.customer).toEqual(bobBefore.customer);
        expect(sortedIds(bobAfter.conversations)).toEqual(sortedIds(bobBefore.conversations));
        expect(sortedIds(bobAfter.messages)).toEqual(sortedIds(bobBefore.messages));
        expect(sortedIds(bobAfter.orders)).toEqual(sortedIds(bobBefore.orders));
        expect(sortedIds(bobAfter.returns)).toEqual(sortedIds(bobBefore.returns));
        expect(sortedIds(bobAfter.interactions)).toEqual(sortedIds(bobBefore.interactions));
        expect(Object.keys(await s.botState.read([...bob.botKeys, 'app/settings'])).sort()).toEqual([...bob.botKeys, 'app/settings'].sort());
        expect(await s.products.get('p-shared')).not.toBeNull();
        expect(totalsAfter).toMatchObject({ products: 1, campaigns: 1, agents: 1, knowledge: 1 });

        // the freed identities can be used again
        expect((await customer({ identities: [{ channel: 'web', externalId: 'visitor-alice' }] })).identities).toHaveLength(1);
      });
    });

    // ----------------------------------------------------- mergeCustomers

    describe('mergeCustomers', () => {
      /** A customer with one channel identity and a conversation there, messages, orders, a return and interactions. */
      async function seedOwner(over: Partial<NewCustomer>, channel: ChannelId, externalId: string, opts: { messageAt: number[]; orders: number; interactions: number }) {
        const s = store();
        const c = await customer({ ...over, identities: [{ channel, externalId }] });
        const conv = await conversation(c.id, channel);
        const messages: Message[] = [];
        for (const offset of opts.messageAt) messages.push(await message(conv, { createdAt: at(offset * SECOND) }));
        const orders = [];
        for (let i = 0; i < opts.orders; i++) orders.push(await s.orders.create(newOrder(c.id, { placedAt: at(i * HOUR) })));
        const returns = [
          await s.returns.create({ orderId: must(orders[0], 'an order').id, customerId: c.id, items: [{ productId: 'p-m', quantity: 1 }], reason: 'size', rmaCode: uniq('RMA') }),
        ];
        const interactions = [];
        for (let i = 0; i < opts.interactions; i++) {
          interactions.push(await s.interactions.record({ customerId: c.id, productId: 'p-m', type: 'view', createdAt: at(i * SECOND) }));
        }
        return { customer: c, conversation: conv, messages, orders, returns, interactions };
      }

      const identityKeys = (c: { identities: Array<{ channel: ChannelId; externalId: string }> }) =>
        c.identities.map((i) => `${i.channel}:${i.externalId}`).sort();

      it('moves every record of the source to the target, merges the profile and deletes the source', async () => {
        const s = store();
        await s.products.upsert(product('p-m'));
        const src = await seedOwner(
          { displayName: 'Web visitor', email: 'src@example.com', phone: '+86 131', vip: true, tags: ['anonymous', 'zh'] },
          'web',
          'visitor-src',
          { messageAt: [0, 2, 4], orders: 2, interactions: 3 },
        );
        const tgt = await seedOwner({ displayName: 'Wang Fang', phone: '+86 132', tags: ['returning', 'zh'] }, 'wechat', 'openid-tgt', {
          messageAt: [1, 3, 5],
          orders: 1,
          interactions: 1,
        });
        const third = await seedOwner({ displayName: 'Third', tags: ['other'] }, 'app', 'user-third', { messageAt: [0, 1, 2], orders: 1, interactions: 2 });
        // Source records in states other than their initial ones, to see that a move keeps them.
        const claimed = await s.conversations.claim(src.conversation.id, 'agent-1');
        const paid = await s.orders.updateStatus(must(src.orders[0], 'order').id, 'paid', { patch: { paidAt: at(HOUR) } });
        const approved = await s.returns.updateStatus(must(src.returns[0], 'return').id, 'approved');
        const annotated = await s.messages.annotate(must(src.messages[0], 'message').id, { intent: 'link_account', confidence: 0.9 });
        const sourceMessages = [annotated, ...src.messages.slice(1)];
        const sourceOrders = [paid, ...src.orders.slice(1)];
        const thirdBefore = await s.exportCustomerData(third.customer.id);
        const countsBefore = await s.counts();
        const targetBefore = must(await s.customers.get(tgt.customer.id), 'target');
        await sleep(5);

        const { customer: merged, moved } = await s.mergeCustomers(src.customer.id, tgt.customer.id);

        expect(moved).toEqual({ ...emptyCounts(), customers: 1, conversations: 1, messages: 3, orders: 2, returns: 1, interactions: 3 });
        expect(await s.counts()).toEqual({ ...countsBefore, customers: countsBefore.customers - 1 });

        // the profile: the target's values kept, the source's filling the gaps
        expect(merged).toMatchObject({ id: tgt.customer.id, displayName: 'Wang Fang', email: 'src@example.com', phone: '+86 132', vip: true, locale: tgt.customer.locale });
        expect([...merged.tags].sort()).toEqual(['anonymous', 'returning', 'zh']);
        expect(identityKeys(merged)).toEqual(['web:visitor-src', 'wechat:openid-tgt']);
        const movedIdentity = must(merged.identities.find((i) => i.channel === 'web'), 'the moved identity');
        expect(movedIdentity.linkedAt.getTime()).toBe(must(src.customer.identities[0], 'identity').linkedAt.getTime());
        expect(merged.createdAt.getTime()).toBe(targetBefore.createdAt.getTime());
        expect(merged.updatedAt.getTime()).toBeGreaterThan(targetBefore.updatedAt.getTime());
        expect(await s.customers.get(tgt.customer.id)).toEqual(merged);

        // the source is gone; its identity finds the target
        expect(await s.customers.get(src.customer.id)).toBeNull();
        expect((await s.customers.findByIdentity('web', 'visitor-src'))?.id).toBe(tgt.customer.id);
        expect((await s.customers.findByIdentity('wechat', 'openid-tgt'))?.id).toBe(tgt.customer.id);
        expect((await s.customers.findByEmail('src@example.com'))?.id).toBe(tgt.customer.id);

        // one history, newest first; moved records unchanged but for their owner
        const allMessages = [...sourceMessages, ...tgt.messages];
        const newestFirst = [...allMessages].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byString(b.id, a.id));
        expect(ids(newestFirst)).toEqual(ids([tgt.messages[2], src.messages[2], tgt.messages[1], src.messages[1], tgt.messages[0], src.messages[0]].map((m) => must(m, 'message'))));
        const walked = await expectWalk((p) => s.messages.listByCustomer(tgt.customer.id, p), 4, ids(newestFirst));
        const toTarget = <T extends { customerId: string }>(r: T): T => ({ ...r, customerId: tgt.customer.id });
        expect(walked).toEqual(newestFirst.map(toTarget));
        expect(await s.messages.listByCustomer(src.customer.id)).toEqual({ items: [], nextCursor: null });
        expect(await s.messages.listByConversation(src.conversation.id)).toEqual(sourceMessages.map(toTarget));

        expect(await s.conversations.get(src.conversation.id)).toEqual(toTarget(claimed));
        expect(ids((await s.conversations.listByCustomer(tgt.customer.id)).items)).toEqual(sortedIds([src.conversation, tgt.conversation], 'desc'));
        expect((await s.conversations.findOpenByCustomer(tgt.customer.id, 'web'))?.id).toBe(src.conversation.id);
        expect((await s.conversations.listByCustomer(src.customer.id)).items).toEqual([]);
        // the moved conversation goes on with its own seq
        expect((await message(toTarget(claimed))).seq).toBe(src.messages.length + 1);

        const orders = (await s.orders.listByCustomer(tgt.customer.id)).items;
        expect(sortedIds(orders)).toEqual(sortedIds([...sourceOrders, ...tgt.orders]));
        for (const o of sourceOrders) expect(await s.orders.get(o.id)).toEqual(toTarget(o));
        expect((await s.orders.listByCustomer(src.customer.id)).items).toEqual([]);

        expect(sortedIds((await s.returns.listByCustomer(tgt.customer.id)).items)).toEqual(sortedIds([approved, ...tgt.returns]));
        expect(await s.returns.get(approved.id)).toEqual(toTarget(approved));
        expect((await s.returns.listByCustomer(src.customer.id)).items).toEqual([]);

        const interactions = (await s.interactions.list({ customerId: tgt.customer.id })).items;
        expect(sortedIds(interactions)).toEqual(sortedIds([...src.interactions, ...tgt.interactions]));
        const interactionById = new Map(interactions.map((i) => [i.id, i]));
        for (const i of src.interactions) expect(interactionById.get(i.id)).toEqual(toTarget(i));
        expect(await s.interactions.count({ customerId: src.customer.id })).toBe(0);

        // a third customer's data is untouched
        expect(await s.exportCustomerData(third.customer.id)).toEqual(thirdBefore);
      });

      it('keeps what the target has: its email, phone and name win; vip stays true; tags are not repeated', async () => {
        const s = store();
        const source = await customer({ displayName: 'Visitor', email: 'visitor@example.com', phone: '+1 555 0100', vip: false, tags: ['anonymous', 'vip-prospect'] });
        const target = await customer({ displayName: 'Member', email: 'member@example.com', locale: 'zh', vip: true, tags: ['vip-prospect'] });
        const { customer: merged, moved } = await s.mergeCustomers(source.id, target.id);
        expect(merged).toMatchObject({ displayName: 'Member', email: 'member@example.com', phone: '+1 555 0100', locale: 'zh', vip: true });
        expect([...merged.tags].sort()).toEqual(['anonymous', 'vip-prospect']);
        expect(merged.identities).toEqual([]);
        expect(moved).toEqual({ ...emptyCounts(), customers: 1 });
        expect((await s.customers.findByEmail('member@example.com'))?.id).toBe(target.id);
        expect(await s.customers.findByEmail('visitor@example.com')).toBeNull();
      });

      it('not_found for an unknown source or target, bad_request for the same id; nothing changes', async () => {
        const s = store();
        const a = await customer({ identities: [{ channel: 'web', externalId: 'visitor-a' }] });
        const b = await customer({ identities: [{ channel: 'wechat', externalId: 'openid-b' }] });
        await message(await conversation(a.id, 'web'));
        const countsBefore = await s.counts();
        const aBefore = await s.exportCustomerData(a.id);
        const bBefore = await s.exportCustomerData(b.id);
        await expectCode(s.mergeCustomers('cus-missing', b.id), 'not_found');
        await expectCode(s.mergeCustomers(a.id, 'cus-missing'), 'not_found');
        await expectCode(s.mergeCustomers(a.id, a.id), 'bad_request');
        await expectCode(s.mergeCustomers('cus-missing', 'cus-missing'), 'bad_request');
        expect(await s.counts()).toEqual(countsBefore);
        expect(await s.exportCustomerData(a.id)).toEqual(aBefore);
        expect(await s.exportCustomerData(b.id)).toEqual(bBefore);
      });

      it('a second run, once the source is gone, is not_found and changes nothing', async () => {
        const s = store();
        const source = await customer({ tags: ['anonymous'], identities: [{ channel: 'web', externalId: 'visitor-twice' }] });
        const target = await customer({ identities: [{ channel: 'app', externalId: 'user-twice' }] });
        const conv = await conversation(source.id, 'web');
        await message(conv);
        await s.orders.create(newOrder(source.id));
        await s.interactions.record({ customerId: source.id, productId: 'p-m', type: 'click' });
        const first = await s.mergeCustomers(source.id, target.id);
        expect(first.moved).toMatchObject({ customers: 1, conversations: 1, messages: 1, orders: 1, interactions: 1 });
        const countsAfter = await s.counts();
        const targetAfter = await s.exportCustomerData(target.id);
        expect(targetAfter.customer).toEqual(first.customer);

        await expectCode(s.mergeCustomers(source.id, target.id), 'not_found');
        expect(await s.counts()).toEqual(countsAfter);
        expect(await s.exportCustomerData(target.id)).toEqual(targetAfter);
        expect(await s.customers.get(source.id)).toBeNull();
      });

      it('a claim and status changes running during the merge are neither lost nor left behind', async () => {
        const s = store();
        const source = await customer();
        const target = await customer();
        const convs: Conversation[] = [];
        for (const channel of ['web', 'wechat', 'app', 'web', 'wechat', 'app'] as const) convs.push(await conversation(source.id, channel));
        const orders = [];
        for (let i = 0; i < 4; i++) orders.push(await s.orders.create(newOrder(source.id)));
        const [merged, ...changes] = await Promise.all([
          s.mergeCustomers(source.id, target.id),
          ...convs.map((c, i) => s.conversations.claim(c.id, `agent-${i}`)),
          ...orders.map((o) => s.orders.updateStatus(o.id, 'paid', { expected: ['pending'] })),
        ]);
        expect(changes).toHaveLength(convs.length + orders.length);
        expect(merged.moved).toMatchObject({ conversations: convs.length, orders: orders.length });
        for (const [i, c] of convs.entries()) {
          expect(await s.conversations.get(c.id)).toMatchObject({ customerId: target.id, status: 'assigned', assigneeId: `agent-${i}` });
        }
        for (const o of orders) expect(await s.orders.get(o.id)).toMatchObject({ customerId: target.id, status: 'paid' });
      });
    });

    // ------------------------------------------------------------- restart

    describe('restart', () => {
      it('data survives close and reopen', async () => {
        let s = store();
        const c = await customer({ identities: [{ channel: 'wechat', externalId: 'openid-r' }] });
        const conv = await conversation(c.id, 'wechat');
        const m1 = await message(conv, { channelMessageId: 'r-1' });
        const m2 = await message(conv);
        await s.conversations.enqueue(conv.id, { priority: 3, reason: 'asked_for_human' });
        await s.products.upsert(product('p-r', { stock: 4 }));
        const order = await s.orders.create(newOrder(c.id, { number: 'SA-R' }));
        const doc = await s.knowledge.upsert(article('restart'));
        const agent = await s.agents.create(newAgent());
        await s.botState.write({ [`wechat/conversations/${conv.id}/`]: { step: 1 } });
        const item: StoreItem = must((await s.botState.read([`wechat/conversations/${conv.id}/`]))[`wechat/conversations/${conv.id}/`], 'item');
        const dataVersion = await s.knowledge.dataVersion();
        const counts = await s.counts();
        const queued = must(await s.conversations.get(conv.id), 'conversation');

        await s.close();
        opened = undefined;
        opened = await must(location, 'location').open();
        s = store();

        expect(await s.counts()).toEqual(counts);
        expect(await s.customers.get(c.id)).toEqual(c);
        expect((await s.customers.findByIdentity('wechat', 'openid-r'))?.id).toBe(c.id);
        expect(await s.conversations.get(conv.id)).toEqual(queued);
        expect(await s.messages.listByConversation(conv.id)).toEqual([m1, m2]);
        expect((await message(queued)).seq).toBe(3);
        await expectCode(message(queued, { channelMessageId: 'r-1' }), 'conflict');
        expect(await s.orders.getByNumber('SA-R')).toEqual(order);
        expect(await s.knowledge.get(doc.id)).toEqual(doc);
        expect(await s.knowledge.dataVersion()).toBe(dataVersion);
        expect(await s.agents.get(agent.id)).toEqual(agent);
        expect((await s.products.adjustStock('p-r', -4)).stock).toBe(0);
        await s.botState.write({ [`wechat/conversations/${conv.id}/`]: { ...item, step: 2 } });
        await expectCode(s.botState.write({ [`wechat/conversations/${conv.id}/`]: { ...item, step: 3 } }), 'precondition_failed');
        expect(await s.conversations.claim(conv.id, 'agent-r')).toMatchObject({ status: 'assigned', assigneeId: 'agent-r' });
      });
    });

    describe('query-operator injection', () => {
      /** What a route that forwarded parsed JSON unchecked would hand the store where a string belongs. */
      const OPERATORS: unknown[] = [{ $gt: '' }, { $ne: null }, { $regex: '.*' }, { $exists: true }, { $in: ['x'] }, { $where: '1' }];
      const asString = (op: unknown) => op as string;

      /** Refused as bad_request, or read as a literal that matches nothing: never a match. */
      async function nothingFound(p: Promise<unknown>): Promise<void> {
        let result: unknown;
        try {
          result = await p;
        } catch (err) {
          expect(err).toMatchObject({ name: 'ShopError' });
          expect(['bad_request', 'not_found']).toContain((err as { code: string }).code);
          return;
        }
        if (result === null || result === undefined) return;
        expect(result, 'a write went through').not.toBe('deleted');
        const items = (result as { items?: unknown[] }).items;
        expect(items, `matched: ${JSON.stringify(result).slice(0, 200)}`).toEqual([]);
      }

      it('operator objects passed as ids, emails, identities, numbers, slugs and list filters never match a record', async () => {
        const s = store();
        const c = await s.customers.create({ displayName: 'Ann', email: 'ann@example.com', identities: [{ channel: 'wechat', externalId: 'openid-inj' }] });
        const agent = await s.agents.create(newAgent({ email: 'inj.agent@shop.example' }));
        await s.products.upsert(product('p-inj'));
        const order = await s.orders.create(newOrder(c.id));
        await s.knowledge.upsert(article('inj-article'));
        const conv = await s.conversations.create({ customerId: c.id, channel: 'web' });
        expect(agent.id && order.id && conv.id).toBeTruthy();
        for (const op of OPERATORS) {
          const v = asString(op);
          await nothingFound(s.customers.get(v));
          await nothingFound(s.customers.findByEmail(v));
          await nothingFound(s.customers.findByIdentity('wechat', v));
          await nothingFound(s.customers.findByIdentity(v as 'wechat', 'openid-inj'));
          await nothingFound(s.agents.get(v));
          await nothingFound(s.agents.getByEmail(v));
          await nothingFound(s.products.get(v));
          await nothingFound(s.orders.get(v));
          await nothingFound(s.orders.getByNumber(v));
          await nothingFound(s.orders.listByCustomer(v));
          await nothingFound(s.conversations.get(v));
          await nothingFound(s.conversations.listByCustomer(v));
          await nothingFound(s.messages.listByConversation(v));
          await nothingFound(s.knowledge.get(v));
          await nothingFound(s.knowledge.getBySlug(v, 'en'));
          await nothingFound(s.products.list({ category: v }));
          await nothingFound(s.agents.list({ role: v as 'agent' }));
          await nothingFound(s.agents.list({ status: v as 'online' }));
          await nothingFound(s.knowledge.list({ category: v }));
          await nothingFound(s.conversations.list({ status: v as 'bot' }));
          await nothingFound(s.conversations.list({ channel: v as 'web' }));
          await nothingFound(s.conversations.findOpenByCustomer(v));
        }
        // The records are still there, untouched, for the right literal values.
        expect((await s.customers.findByEmail('ann@example.com'))?.id).toBe(c.id);
        expect((await s.agents.getByEmail('inj.agent@shop.example'))?.id).toBe(agent.id);
      });

      it('an operator object as the id of a write changes nothing', async () => {
        const s = store();
        const agent = await s.agents.create(newAgent({ email: 'keep@shop.example', name: 'Keep' }));
        await s.products.upsert(product('p-keep'));
        for (const op of OPERATORS) {
          const v = asString(op);
          await nothingFound(s.agents.update(v, { name: 'Owned' }));
          await nothingFound(s.agents.delete(v).then((deleted) => (deleted ? 'deleted' : null)));
          await nothingFound(s.products.delete(v).then((deleted) => (deleted ? 'deleted' : null)));
        }
        expect((await s.agents.get(agent.id))?.name).toBe('Keep');
        expect(await s.products.get('p-keep')).not.toBeNull();
      });
    });
  });
}
