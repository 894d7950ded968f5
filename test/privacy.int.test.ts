import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privacyCommands } from '../app/cli/privacy-commands.js';
import type { CommandContext } from '../app/cli/command.js';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { Progress } from '../app/progress.js';
import type { CustomerExport, Message } from '../store/index.js';
import { say, startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';

/**
 * A customer's data across channels and collections: a demo customer with orders and a
 * linked WeChat account talks on the widget (signed in) and on WeChat; the admin API
 * exports all of it and then erases it (the store's counts drop by exactly what it
 * reports, the bot state keys of the customer go too); the CLI does the same by
 * channel identity. Only an admin (session or ADMIN_TOKEN) may do either.
 */

const TOKEN = 'privacy-test-admin-token-0123456789abcdef';
const OA = 'gh_0123456789ab';
const CUSTOMER = 'cus_demo_001';
const OPENID = 'oWx_demo_7DwITAEa6pxiskxLoU-';
const logger = createLogger({ level: 'silent' });
let shop: ShopServer;

beforeAll(async () => {
  shop = await startShopServer('sa-privacy-', 'privacyTest2026', { EMBEDDINGS_MODEL: 'lexical', ADMIN_TOKEN: TOKEN, HANDOFF_AUTO_ASSIGN: 'false' });
}, 90_000);
afterAll(async () => shop?.close());

const api = (url: string, init: RequestInit & { token?: string | null } = {}) =>
  fetch(`${shop.server.url}${url}`, { ...init, headers: { ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }), ...(init.headers as Record<string, string> | undefined) } });

async function agentSession(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${shop.server.url}/api/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'li.na@example.com', password: 'demo-agent-lina' }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: body.csrfToken };
}

describe('privacy export and delete over the admin API', () => {
  it('only an admin may export or delete', async () => {
    expect((await api(`/api/admin/customers/${CUSTOMER}/export`, { token: null })).status).toBe(401);
    expect((await api(`/api/admin/customers/${CUSTOMER}/export`, { token: 'wrong-token-wrong-token-wrong' })).status).toBe(401);
    const agent = await agentSession();
    const asAgent = { token: null, headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrf } };
    expect((await api(`/api/admin/customers/${CUSTOMER}/export`, asAgent)).status).toBe(403);
    expect((await api(`/api/admin/customers/${CUSTOMER}`, { ...asAgent, method: 'DELETE' })).status).toBe(403);
    expect(await shop.server.store.customers.get(CUSTOMER)).not.toBeNull();
  });

  it('exports messages of every channel, orders and interactions; delete removes all of it', async () => {
    const store = shop.server.store;
    const c = await shop.widget({ customerId: CUSTOMER, locale: 'en' });
    await say(c, 'do you have running shoes?');
    expect((await wechatPost(shop, OA, OPENID, '你好')).status).toBe(200);
    await store.interactions.record({ customerId: CUSTOMER, productId: (await store.products.list({}, { limit: 1 })).items[0]!.id, type: 'view' });

    const found = await api(`/api/admin/customers?channel=wechat&externalId=${encodeURIComponent(OPENID)}`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { customer: { id: string } }).customer.id).toBe(CUSTOMER);

    const res = await api(`/api/admin/customers/${CUSTOMER}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="customer-${CUSTOMER}.json"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const data = (await res.json()) as CustomerExport & { exportedAt: string };
    expect(data.customer.id).toBe(CUSTOMER);
    const channels = new Set(data.messages.map((m: Message) => m.channel));
    expect(channels).toEqual(new Set(['web', 'wechat']));
    expect(data.messages.some((m) => m.text === 'do you have running shoes?')).toBe(true);
    expect(data.messages.some((m) => m.text === '你好')).toBe(true);
    expect(data.orders.length).toBeGreaterThan(0);
    expect(data.orders.every((o) => o.customerId === CUSTOMER)).toBe(true);
    expect(data.interactions.length).toBeGreaterThan(0);
    expect(new Set(data.conversations.map((x) => x.channel))).toEqual(new Set(['web', 'wechat']));

    // The bot keeps state for this customer's conversations (written by the turns above).
    const botKeysBefore = (await store.counts()).botState;
    const before = await store.counts();
    const del = await api(`/api/admin/customers/${CUSTOMER}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const { deleted } = (await del.json()) as { deleted: Record<string, number> };
    expect(deleted['customers']).toBe(1);
    expect(deleted['messages']).toBe(data.messages.length);
    expect(deleted['orders']).toBe(data.orders.length);
    expect(deleted['conversations']).toBe(data.conversations.length);
    expect(deleted['interactions']).toBe(data.interactions.length);
    expect(deleted['botState']).toBeGreaterThan(0);
    const after = await store.counts();
    for (const [k, n] of Object.entries(before)) expect(after[k as keyof typeof after], k).toBe(n - (deleted[k] ?? 0));
    expect(after.botState).toBeLessThan(botKeysBefore);

    // Nothing is left to find, by id or by channel identity; a second delete is a 404.
    expect(await store.customers.get(CUSTOMER)).toBeNull();
    expect(await store.customers.findByIdentity('wechat', OPENID)).toBeNull();
    expect((await store.messages.listByCustomer(CUSTOMER)).items).toEqual([]);
    expect((await store.orders.listByCustomer(CUSTOMER)).items).toEqual([]);
    expect((await api(`/api/admin/customers/${CUSTOMER}/export`)).status).toBe(404);
    expect((await api(`/api/admin/customers/${CUSTOMER}`, { method: 'DELETE' })).status).toBe(404);
  }, 60_000);
});

describe('privacy CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-privacy-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports and deletes by channel identity, and refuses to delete without --yes', async () => {
    const store = shop.server.store;
    const ctx: CommandContext = { store: async () => store, config: loadConfig({ DATA_DIR: dir }, dir), logger, progress: new Progress() };
    const customer = await store.customers.create({ displayName: 'CLI shopper', identities: [{ channel: 'wechat', externalId: 'o-cli-privacy' }] });
    const exported = (await privacyCommands['privacy:export']!.run(['--channel', 'wechat', '--external-id', 'o-cli-privacy'], ctx)) as CustomerExport;
    expect(exported.customer.id).toBe(customer.id);
    await expect(privacyCommands['privacy:delete']!.run([customer.id], ctx)).rejects.toMatchObject({ code: 'bad_request' });
    expect(await store.customers.get(customer.id)).not.toBeNull();
    const out = (await privacyCommands['privacy:delete']!.run(['--channel', 'wechat', '--external-id', 'o-cli-privacy', '--yes'], ctx)) as { deleted: Record<string, number> };
    expect(out.deleted['customers']).toBe(1);
    expect(await store.customers.get(customer.id)).toBeNull();
    await expect(privacyCommands['privacy:export']!.run(['--channel', 'wechat', '--external-id', 'o-cli-privacy'], ctx)).rejects.toMatchObject({ code: 'not_found' });
  });
});
