/**
 * Issue 15 end to end, through the real server (SQLite, the web widget's WebSocket): a shop
 * whose order numbers are ten digits (ORDER_NUMBER_PATTERN), anonymous shoppers who prove an
 * order with the whole phone number, ask "when will it arrive?" without proving it again, give
 * another shop's number, and return items with typed answers ("the jacket one", "没穿过").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewOrder } from '../store/index.js';
import { say, startShopServer, type ShopServer } from './helpers/shop-server.js';

const DAY = 86_400_000;
let shop: ShopServer;

const all = (msgs: Array<{ text: string; suggestedActions?: Array<{ title: string }> }>) =>
  msgs.map((m) => [m.text, ...(m.suggestedActions ?? []).map((a) => `[${a.title}]`)].join('\n')).join('\n');

beforeAll(async () => {
  shop = await startShopServer('sa-orders-', 'ordersToken2026', { EMBEDDINGS_MODEL: 'lexical', ORDER_NUMBER_PATTERN: '^\\d{10}$', ORDER_NUMBER_EXAMPLE: '1000000001' });
  const now = Date.now();
  const address = { name: 'Li Lei', phone: '+86 139 1234 5678', line1: '88 Wensan Road', city: 'Hangzhou', region: 'Zhejiang', country: 'CN' };
  const base: Omit<NewOrder, 'number' | 'status' | 'items' | 'total' | 'placedAt'> = { customerId: 'cus_demo_010', currency: 'CNY', shippingAddress: address };
  await shop.server.store.orders.create({
    ...base,
    number: '1000234598',
    status: 'shipped',
    items: [{ productId: 'P-AUD-001', title: 'Quietwave Hush 700 Noise-Cancelling Headphones', quantity: 1, unitPrice: 999 }],
    total: 999,
    placedAt: new Date(now - 2 * DAY),
    paidAt: new Date(now - 2 * DAY),
    shippedAt: new Date(now - DAY / 2),
    carrier: 'SF Express',
    trackingNumber: 'SF5550001111',
  });
  await shop.server.store.orders.create({
    ...base,
    number: '1000234599',
    status: 'delivered',
    // Bought in Chinese: the lines keep their Chinese titles.
    items: [
      { productId: 'P-JKT-016', title: '山脊 Cozy Grid 女款抓绒外套', quantity: 1, unitPrice: 329 },
      { productId: 'P-TEE-010', title: '潮汐 Weekend 中性款宽松落肩 T 恤', quantity: 1, unitPrice: 89 },
    ],
    total: 418,
    placedAt: new Date(now - 6 * DAY),
    paidAt: new Date(now - 6 * DAY),
    shippedAt: new Date(now - 5 * DAY),
    deliveredAt: new Date(now - 2 * DAY),
    carrier: 'SF Express',
    trackingNumber: 'SF5550002222',
  });
}, 240_000);

afterAll(async () => {
  await shop?.close();
});

describe("a shop's own order-number format (ORDER_NUMBER_PATTERN=^\\d{10}$)", () => {
  it('an anonymous shopper proves an order with the whole phone number, then asks when it comes without proving it again', async () => {
    const c = await shop.widget();
    const ask = all(await say(c, 'where is my order 1000234598?'));
    expect(ask).toMatch(/last 4 digits of the phone number on order 1000234598 \(or the whole number\)/);
    expect(ask).not.toContain('SF5550001111');

    const status = all(await say(c, '+86 139 1234 5678'));
    expect(status).toContain('1000234598');
    expect(status).toMatch(/shipped on .* SF5550001111, expected between/);

    const later = all(await say(c, 'when will it arrive?'));
    expect(later).toMatch(/Order 1000234598 .*expected between/);
    expect(later).not.toMatch(/last 4 digits|which order/i);

    // Another shop's number: an honest "not ours", never a phone-number question.
    const other = all(await say(c, 'ordered from you guys last week, order no. 581204339917, any update?'));
    expect(other).toMatch(/can't find an order with the number 581204339917 here.*our order numbers look like 1000000001/);
    expect(other).not.toMatch(/digits|phone/i);
  });

  it('the demo format is another shop\'s here: 订单号 SA100123 gets "ours look like", in Chinese', async () => {
    const c = await shop.widget({ locale: 'zh' });
    const other = all(await say(c, '订单号 SA100123 查一下'));
    expect(other).toMatch(/没有找到订单号为 SA100123 的订单.*形如 1000000001/);
    expect(other).not.toMatch(/后 ?4 ?位|手机/);
  });

  it('returns an item picked by a word, in English titles, with typed answers', async () => {
    const c = await shop.widget();
    expect(all(await say(c, 'i need to send back part of order 1000234599'))).toMatch(/last 4 digits/);
    const items = all(await say(c, '139 1234 5678'));
    expect(items).toMatch(/Which item would you like to return\?/);
    expect(items).toContain("Ridgeline Cozy Grid Women's Fleece Jacket");
    expect(items).not.toMatch(/\p{Script=Han}/u);
    expect(all(await say(c, 'the jacket one'))).toMatch(/reason/);
    expect(all(await say(c, "changed my mind, don't need it"))).toMatch(/unused and complete/);
    expect(all(await say(c, 'never worn, tags still on'))).toMatch(/Refund to my original payment/);
    const summary = all(await say(c, 'refund please'));
    expect(summary).toMatch(/Items: Ridgeline Cozy Grid Women's Fleece Jacket/);
    expect(summary).toMatch(/329/);
    expect(all(await say(c, 'yes'))).toMatch(/RMA-1000234599-1 is submitted/);
    const order = await shop.server.store.orders.getByNumber('1000234599');
    const returns = await shop.server.store.returns.listByOrder(order!.id);
    expect(returns.map((r) => r.items.map((i) => i.productId))).toEqual([['P-JKT-016']]);
  });

  it('"没穿过" answers the condition question, and "算了 不退了" stops the flow with nothing opened', async () => {
    const c = await shop.widget({ locale: 'zh' });
    expect(all(await say(c, '我想退货 订单1000234599'))).toMatch(/后 4 位/);
    // The jacket is already being returned: the T-shirt is the only item left.
    expect(all(await say(c, '5678'))).toMatch(/退货原因/);
    expect(all(await say(c, '不太喜欢 不想要了'))).toMatch(/未使用/);
    expect(all(await say(c, '没穿过 吊牌都在'))).toMatch(/原路退款/);
    expect(all(await say(c, '算了 不退了'))).toMatch(/未提交退货申请/);
    const order = await shop.server.store.orders.getByNumber('1000234599');
    expect(await shop.server.store.returns.listByOrder(order!.id)).toHaveLength(1);
  });
});
