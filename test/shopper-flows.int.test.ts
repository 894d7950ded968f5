/**
 * The understanding issue's "done when", end to end through the real server: a shopper asks
 * where an order is, what the return policy is, and starts and finishes a return (with a
 * question in between) - in English in the web widget (a real WebSocket) and in Chinese on
 * WeChat (signed XML posts; the local fake WeChat API receives the extra messages).
 */
import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewOrder, Order } from '../store/index.js';
import { say, startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';

const OA = 'gh_flows000001';
const DAY = 86_400_000;
let shop: ShopServer;
let server: ShopServer['server'];
let fake: ShopServer['fake'];
const xml = new XMLParser({ parseTagValue: false });

beforeAll(async () => {
  shop = await startShopServer('sa-flows-', 'flowToken2026');
  server = shop.server;
  fake = shop.fake;
}, 240_000);

afterAll(async () => {
  await shop?.close();
});

/** Orders as the shop's backend would have them: one on its way, one delivered two days ago. */
async function ordersFor(customerId: string, prefix: string): Promise<{ shipped: Order; delivered: Order }> {
  const now = Date.now();
  const address = { name: 'Li Lei', phone: '+86 139 1234 5678', line1: '88 Wensan Road', city: 'Hangzhou', region: 'Zhejiang', country: 'CN' };
  const base: Omit<NewOrder, 'number' | 'status' | 'items' | 'total' | 'placedAt'> = { customerId, currency: 'CNY', shippingAddress: address };
  const shipped = await server.store.orders.create({
    ...base,
    number: `${prefix}1`,
    status: 'shipped',
    items: [{ productId: 'P-AUD-001', title: 'Quietwave Hush 700 Noise-Cancelling Headphones', quantity: 1, unitPrice: 999 }],
    total: 999,
    placedAt: new Date(now - 2 * DAY),
    paidAt: new Date(now - 2 * DAY),
    shippedAt: new Date(now - DAY),
    carrier: 'SF Express',
    trackingNumber: 'SF1234567890',
  });
  const delivered = await server.store.orders.create({
    ...base,
    number: `${prefix}2`,
    status: 'delivered',
    items: [
      { productId: 'P-JKT-001', title: 'Harbor & Pine Polar 700 Unisex Down Jacket', quantity: 1, unitPrice: 1899 },
      { productId: 'P-TEE-001', title: 'Tidewear Everyday Unisex Crew Neck T-Shirt', quantity: 2, unitPrice: 99 },
    ],
    total: 2097,
    placedAt: new Date(now - 6 * DAY),
    paidAt: new Date(now - 6 * DAY),
    shippedAt: new Date(now - 5 * DAY),
    deliveredAt: new Date(now - 2 * DAY),
    carrier: 'SF Express',
    trackingNumber: 'SF1234567891',
  });
  return { shipped, delivered };
}

// ---------------------------------------------------------------- widget

const all = (msgs: Array<{ text: string }>) => msgs.map((m) => m.text).join('\n');

describe('a shopper in the web widget (English)', () => {
  it('tracks an order, asks the return policy, and returns an item with a question in between', async () => {
    const customerId = 'cus_demo_010';
    const { shipped, delivered } = await ordersFor(customerId, 'SA90001');
    const c = await shop.widget({ customerId });

    const track = all(await say(c, `Where is my order ${shipped.number}?`));
    expect(track).toContain(shipped.number);
    expect(track).toMatch(/shipped/i);
    expect(track).toContain('SF1234567890');
    expect(track).toMatch(/expected between/);

    const policy = all(await say(c, "What's your return policy?"));
    expect(policy).toMatch(/7 days/);
    expect(policy).toMatch(/Source: .*\/help\/[a-z-]+\?lang=en/);

    const stock = await say(c, 'Do you have the Harbor & Pine Polar 700 down jacket in stock?');
    expect(all(stock)).toMatch(/Polar 700 .*(in stock|sold out)/);
    expect(JSON.stringify(stock)).toContain('P-JKT-001');

    // Start a return; the delivered order has two items, so the bot asks which one.
    const start = await say(c, `I want to return something from order ${delivered.number}`);
    expect(all(start)).toMatch(/Which item/);
    const items = start.at(-1)!.suggestedActions!;
    const jacket = items.find((a) => /Jacket/.test(a.title))!;

    // A question in between is answered, then the return resumes where it was.
    const between = await say(c, 'How long does a refund take to reach Alipay?');
    expect(all(between)).toMatch(/24 hours|Alipay/);
    expect(all(between)).toMatch(/Which item/);

    expect(all(await say(c, jacket.title, jacket.value))).toMatch(/reason/i);
    expect(all(await say(c, 'Wrong size or fit', 'wrong_size'))).toMatch(/unused/i);
    expect(all(await say(c, 'yes'))).toMatch(/resolved/i);
    const summary = all(await say(c, 'Refund to my original payment', 'refund'));
    expect(summary).toMatch(/1899 CNY/);
    const done = all(await say(c, 'yes'));
    expect(done).toMatch(new RegExp(`RMA-${delivered.number}-1`));

    const returns = await server.store.returns.listByOrder(delivered.id);
    expect(returns).toHaveLength(1);
    expect(returns[0]).toMatchObject({ customerId, status: 'requested', refundAmount: 1899, items: [{ productId: 'P-JKT-001', quantity: 1 }] });
    expect(returns[0]!.reason).toMatch(/^wrong_size/);

    // The transcript carries what NLU understood of each message.
    const stored = await server.store.messages.listByCustomer(customerId, { limit: 100 });
    const first = stored.items.find((m) => m.direction === 'in' && m.text.startsWith('Where is my order'));
    expect(first).toMatchObject({ intent: 'track_order' });
    expect(first!.entities).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'order_number', value: shipped.number })]));
  }, 120_000);

  it('asks an anonymous shopper to verify with the phone on the order before showing it', async () => {
    const { shipped } = await ordersFor('cus_demo_011', 'SA90002');
    const c = await shop.widget();
    const ask = all(await say(c, `where is order ${shipped.number}`));
    expect(ask).toMatch(/last 4 digits/);
    expect(ask).not.toContain('SF1234567890');
    expect(all(await say(c, '0000'))).toMatch(/does not match/);
    const shown = all(await say(c, '5678'));
    expect(shown).toContain('SF1234567890');
  }, 60_000);
});

describe('bad input in the widget', () => {
  it('answers emoji, mixed scripts, control characters, HTML and markdown sensibly, and refuses empty and oversized messages with a clear error', async () => {
    const c = await shop.widget();
    const inputs = ['😀😀😀', '🙏', '我想return这个jacket', 'hello\u0000\u0007\u001b[31m', '<script>alert(1)</script><img src=x onerror=alert(2)>', '**bold** [x](javascript:alert(1)) `code`', 'a'.repeat(1999)];
    for (const text of inputs) {
      const replies = await say(c, text);
      expect(replies.length, JSON.stringify(text.slice(0, 40))).toBeGreaterThan(0);
      for (const r of replies) {
        expect(r.text.trim().length).toBeGreaterThan(0);
        // The bot never echoes markup back as something a page could run.
        expect(r.text).not.toMatch(/<script|onerror=|javascript:/i);
      }
    }
    for (const text of ['   ', 'x'.repeat(10_000)]) {
      const from = c.frames.length;
      const id = randomUUID();
      c.send({ type: 'message', id, text });
      const err = await c.waitFor((f) => f.type === 'error', { from });
      expect(err).toMatchObject({ code: 'bad_request' });
    }
    // The socket still works afterwards.
    expect((await say(c, 'hi')).length).toBeGreaterThan(0);
  }, 120_000);
});

// ---------------------------------------------------------------- WeChat

/** Posts a message as WeChat does; returns what reached the shopper: the passive reply, then customer-service messages. */
async function wechatSay(openId: string, content: string): Promise<string> {
  const customer = await server.store.customers.findByIdentity('wechat', openId);
  const before = customer ? (await server.store.messages.listByCustomer(customer.id, { limit: 500 })).items.filter((m) => m.direction === 'out').length : 0;
  const sentBefore = fake.sent.filter((s) => s.touser === openId).length;
  const res = await wechatPost(shop, OA, openId, content);
  expect(res.status).toBe(200);
  const text = res.body;
  const passive = text === 'success' ? [] : [String((xml.parse(text) as { xml: { Content: string } }).xml.Content)];
  // Wait until every stored bot message of this turn has reached the shopper.
  for (let i = 0; i < 100; i++) {
    const me = (await server.store.customers.findByIdentity('wechat', openId))!;
    const out = (await server.store.messages.listByCustomer(me.id, { limit: 500 })).items.filter((m) => m.direction === 'out').length - before;
    const extra = fake.sent.filter((s) => s.touser === openId).slice(sentBefore);
    if (out > 0 && passive.length + extra.length >= out) return [...passive, ...extra.map((s) => s.text?.content ?? '')].join('\n');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no complete answer to "${content}"`);
}

describe('a shopper on WeChat (Chinese)', () => {
  it('查订单、问退货政策、办理退货', async () => {
    const openId = `oWx_flow_${randomUUID().slice(0, 8)}`;
    await wechatSay(openId, '你好');
    // The shop's WeChat login tied this follower to their account.
    const me = (await server.store.customers.findByIdentity('wechat', openId))!;
    await server.store.customers.update(me.id, { tags: [] });
    const { shipped, delivered } = await ordersFor(me.id, 'SA90003');

    const track = await wechatSay(openId, `我的订单${shipped.number}到哪了`);
    expect(track).toContain(shipped.number);
    expect(track).toMatch(/已于.*发出/);
    expect(track).toContain('SF1234567890');

    const policy = await wechatSay(openId, '你们的退货政策是怎样的？');
    expect(policy).toMatch(/7 天|7天/);
    expect(policy).toMatch(/来源：.*\/help\/[a-z-]+\?lang=zh/);

    const start = await wechatSay(openId, `订单${delivered.number}我想退货`);
    expect(start).toMatch(/您要退哪件商品/);
    // WeChat has no buttons: the options are numbered in the text, and a number picks one. Items
    // are named in the shopper's language (the order line keeps the English title it was bought under).
    expect(start).toMatch(/1\. 港松 Polar 700 中性款羽绒服/);
    expect(await wechatSay(openId, '1')).toMatch(/退货原因/);
    expect(await wechatSay(openId, '质量问题')).toMatch(/怎么处理/);
    expect(await wechatSay(openId, '原路退款')).toMatch(/确认提交/);
    const done = await wechatSay(openId, '确认');
    expect(done).toContain(`RMA-${delivered.number}-1`);
    const returns = await server.store.returns.listByOrder(delivered.id);
    expect(returns).toHaveLength(1);
    expect(returns[0]!.reason).toMatch(/^faulty/);
  }, 120_000);

  it('answers a 10,000-character message and an emoji-only one', async () => {
    const openId = `oWx_flow_${randomUUID().slice(0, 8)}`;
    expect((await wechatSay(openId, '退货'.repeat(5000))).length).toBeGreaterThan(0);
    // (A demand repeated 5000 times reads as an angry shopper and goes to the support queue, where
    // the bot stays silent: the emoji comes from another shopper.)
    expect((await wechatSay(`${openId}_2`, '👍👍')).length).toBeGreaterThan(0);
  }, 60_000);
});
