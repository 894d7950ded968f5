import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../store/index.js';
import { consoleApi, consoleLogin, say, sendAcked, startShopServer, type ConsoleSession, type ShopServer } from './helpers/shop-server.js';
import type { WsClient } from './helpers/ws-client.js';

/**
 * Issue 15, "the agent sees what the bot saw", through the real server: an anonymous widget
 * visitor proves an order in the chat (order number + last 4 digits of its phone), asks for
 * a person, and the console's conversation view lists that order ("proven in chat") and no
 * other, shows the proof on the shopper's message, and suggests replies about what the
 * shopper asked. Another visitor who fails the proof sees no order at all.
 */

const DAY = 86_400_000;
let shop: ShopServer;
let lina: ConsoleSession;
let proven: Order;
let notProven: Order;

beforeAll(async () => {
  shop = await startShopServer('sa-console-proof-', 'consoleProof2026', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false' });
  const store = shop.server.store;
  const now = Date.now();
  const owner = 'cus_demo_011';
  const address = { name: 'Xu Li', phone: '+86 139 8765 4321', line1: '88 Wensan Road', city: 'Hangzhou', region: 'Zhejiang', country: 'CN' };
  proven = await store.orders.create({
    customerId: owner,
    number: 'SA950001',
    status: 'delivered',
    currency: 'CNY',
    shippingAddress: address,
    items: [{ productId: 'P-JKT-001', title: 'Harbor & Pine Polar 700 Unisex Down Jacket', quantity: 1, unitPrice: 1899 }],
    total: 1899,
    placedAt: new Date(now - 6 * DAY),
    paidAt: new Date(now - 6 * DAY),
    shippedAt: new Date(now - 5 * DAY),
    deliveredAt: new Date(now - 2 * DAY),
    carrier: 'SF Express',
    trackingNumber: 'SF9500010001',
  });
  // The same owner's other order: the visitor never proved it, so the agent must not see it.
  notProven = await store.orders.create({
    customerId: owner,
    number: 'SA950002',
    status: 'paid',
    currency: 'CNY',
    shippingAddress: address,
    items: [{ productId: 'P-TEE-001', title: 'Tidewear Everyday Unisex Crew Neck T-Shirt', quantity: 2, unitPrice: 99 }],
    total: 198,
    placedAt: new Date(now - DAY),
    paidAt: new Date(now - DAY),
  });
  lina = await consoleLogin(shop.server.url, 'li.na@example.com', 'demo-agent-lina');
}, 180_000);

afterAll(async () => {
  await shop?.close();
});

const text = (msgs: Array<{ text: string }>) => msgs.map((m) => m.text).join('\n');

/** Asks for a person; the answer is the hand-off's system notice (the queue position). */
async function askForHuman(w: WsClient): Promise<string> {
  const from = w.frames.length;
  await sendAcked(w, 'I want to talk to a human');
  const notice = await w.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'system', { from });
  return (notice['message'] as { text: string }).text;
}

async function conversationOf(w: WsClient): Promise<string> {
  const hello = await w.waitFor((f) => f.type === 'hello' && typeof f['customerId'] === 'string');
  const conv = await shop.server.store.conversations.findOpenByCustomer(hello['customerId'] as string, 'web');
  if (!conv) throw new Error('the visitor has no open web conversation');
  return conv.id;
}

interface Detail {
  orders: Array<{ number: string; provenInChat?: boolean; customerId: string; items: Array<{ name: string; quantity: number }> }>;
  suggestions: Array<{ title: string; text: string; score: number; source: string; slug?: string }>;
  transcript: Array<{ sender: string; text: string; conversationId: string; entities?: Array<{ type: string; display: string; value?: unknown }> }>;
}

async function detailOf(id: string): Promise<Detail> {
  const res = await consoleApi(shop.server.url, lina, 'GET', `/api/console/conversations/${id}`);
  expect(res.status).toBe(200);
  return res.json as unknown as Detail;
}

describe('an anonymous visitor who proved an order, then asked for a person', () => {
  let id: string;
  let detail: Detail;

  beforeAll(async () => {
    const w = await shop.widget();
    expect(text(await say(w, `where is my order ${proven.number}?`))).toMatch(/last 4 digits/);
    expect(text(await say(w, '0000'))).toMatch(/does not match/);
    expect(text(await say(w, '4321'))).toMatch(/SA950001 .*was delivered/);
    expect(await askForHuman(w)).toMatch(/in the queue/);
    // While waiting, the shopper says what is wrong (held for the agent: stored, not answered).
    await sendAcked(w, 'It says delivered but the parcel never arrived. My package is lost, what can I do?');
    // The newest message says nothing about the problem: suggestions must still be about it.
    await sendAcked(w, 'hello? anyone there?');
    id = await conversationOf(w);
    expect((await shop.server.store.conversations.get(id))!.status).toBe('queued');
    detail = await detailOf(id);
  }, 120_000);

  it('the Orders panel lists the proven order, marked "proven in chat", and no other order', () => {
    expect(detail.orders.map((o) => [o.number, o.provenInChat ?? false])).toEqual([[proven.number, true]]);
    expect(detail.orders.map((o) => o.number)).not.toContain(notProven.number);
    expect(detail.orders[0]!.items).toEqual([expect.objectContaining({ name: 'Harbor & Pine Polar 700 Unisex Down Jacket', quantity: 1 })]);
  });

  it('the proof is on the message that gave it, with a readable display; the failed try has none', () => {
    const mine = detail.transcript.filter((m) => m.conversationId === id && m.sender === 'customer');
    const right = mine.find((m) => m.text === '4321')!;
    expect(right.entities?.filter((e) => e.type === 'order_proof')).toEqual([expect.objectContaining({ value: proven.number, display: `${proven.number} ✓` })]);
    const wrong = mine.find((m) => m.text === '0000')!;
    expect((wrong.entities ?? []).some((e) => e.type === 'order_proof')).toBe(false);
    for (const m of mine) for (const e of m.entities ?? []) expect(e.display).not.toMatch(/undefined/);
  });

  it('suggested replies come from what the shopper asked (a lost parcel), each title and text once', () => {
    const s = detail.suggestions;
    expect(s.length).toBeGreaterThan(0);
    expect(s[0]!.slug).toBe('delayed-or-lost-parcel');
    expect(s[0]!.title).toBe('Delayed or lost parcels');
    expect(new Set(s.map((x) => x.title.toLowerCase())).size).toBe(s.length);
    // No title repeats itself either ("Delayed or lost parcels · Delayed or lost parcels").
    for (const x of s) {
      const parts = x.title.split(/\s+[·›]\s+/).map((p) => p.toLowerCase());
      expect(new Set(parts).size, x.title).toBe(parts.length);
    }
    expect(new Set(s.map((x) => x.text)).size).toBe(s.length);
    // Ranked: best first.
    expect(s.map((x) => x.score)).toEqual([...s.map((x) => x.score)].sort((a, b) => b - a));
  });

  it('looking at the proven order is an audited view of its owner', async () => {
    const entries = await shop.server.store.audit.list({ action: 'customer.view' }, { limit: 100 });
    expect(entries.items.some((e) => e.targetId === proven.customerId && e.details?.['provenOrder'] === proven.number && e.details?.['conversationId'] === id)).toBe(true);
  });
});

describe('a visitor who did not prove the order', () => {
  it('sees no order in the panel, whatever they named', async () => {
    const w = await shop.widget();
    expect(text(await say(w, `where is my order ${proven.number}?`))).toMatch(/last 4 digits/);
    await say(w, '1111');
    await say(w, '2222');
    await say(w, '3333');
    expect(await askForHuman(w)).toMatch(/in the queue/);
    const id = await conversationOf(w);
    const detail = await detailOf(id);
    expect(detail.orders).toEqual([]);
    const all = detail.transcript.flatMap((m) => m.entities ?? []);
    expect(all.some((e) => e.type === 'order_proof')).toBe(false);
  }, 120_000);
});
