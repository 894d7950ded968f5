/**
 * The recommendation issue's "done when", end to end through the real server: the recommend
 * skill answers in the web widget (a real WebSocket) and on WeChat (signed XML; the local
 * fake WeChat API receives the news articles) with product cards and a labelled sponsored
 * slot where a campaign fits; follow-ups keep the filters; card links are tracked and the
 * sponsored click is charged to the campaign's budget.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopDay } from '../recommender/ads/index.js';
import type { ProductCard } from '../skills/index.js';
import { say, startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';

const OA = 'gh_rec00000001';
const ADMIN_TOKEN = 'rec-admin-token-0123456789abcdef0123';
let shop: ShopServer;
let server: ShopServer['server'];
let fake: ShopServer['fake'];

beforeAll(async () => {
  // The lexical embedder keeps this file fast; the real model's path is tested elsewhere.
  shop = await startShopServer('sa-rec-', 'recToken2026', { EMBEDDINGS_MODEL: 'lexical', ADMIN_TOKEN });
  server = shop.server;
  fake = shop.fake;
}, 240_000);

afterAll(async () => {
  await shop?.close();
});

function moreLike(card: ProductCard): string {
  const button = card.actions?.find((a) => a.title === 'More like this');
  if (!button || !('value' in button)) throw new Error(`card ${card.id} has no "More like this" button`);
  return button.value;
}

async function productOf(card: ProductCard) {
  const p = await server.store.products.get(card.id);
  expect(p, card.id).not.toBeNull();
  return p!;
}

describe('recommendations in the web widget (English)', () => {
  it('recommends running shoes under a budget with cards and a sponsored slot, then follows up', async () => {
    const customerId = 'cus_demo_001';
    const c = await shop.widget({ customerId });

    const [first] = await say(c, 'Can you recommend some running shoes under 800?');
    expect(first!.text).toMatch(/under 800 CNY/);
    const cards = first!.cards ?? [];
    const organic = cards.filter((k) => k.label !== 'sponsored');
    const sponsored = cards.filter((k) => k.label === 'sponsored');
    expect(organic.length).toBeGreaterThan(0);
    for (const card of organic) {
      const p = await productOf(card);
      expect(p.category).toBe('running-shoes');
      expect(p.price).toBeLessThanOrEqual(800);
      expect(p.stock).toBeGreaterThan(0);
      expect(card.subtitle, 'every pick says why').toBeTruthy();
      expect(card.url).toMatch(/^\/r\//);
      expect(card.actions?.map((a) => a.title)).toEqual(['More like this', 'Add to cart']);
    }
    // The running-shoe campaign fits (its shoe is ¥769) and is labelled as paid, in text too.
    expect(sponsored).toHaveLength(1);
    expect(sponsored[0]!.id).toBe('P-RUN-001');
    expect(organic.map((k) => k.id)).not.toContain('P-RUN-001');
    expect(first!.text).toMatch(/Sponsored: /);
    expect(first!.suggestedActions?.map((a) => a.title)).toEqual(expect.arrayContaining(['Cheaper ones', 'Show more']));

    // "Cheaper ones" keeps the category and goes below the cheapest shown.
    const cheapest = Math.min(...(await Promise.all(organic.map(productOf))).map((p) => p.price));
    const [cheaper] = await say(c, 'Cheaper ones', 'Cheaper ones');
    const cheaperCards = (cheaper!.cards ?? []).filter((k) => k.label !== 'sponsored');
    if (cheaperCards.length === 0) expect(cheaper!.text).toMatch(/already the lowest-priced/);
    for (const card of cheaperCards) {
      const p = await productOf(card);
      expect(p.category).toBe('running-shoes');
      expect(p.price).toBeLessThan(cheapest);
    }

    // "More like this" on a card: similar products, and the pick is stored as a click.
    const picked = organic[0]!;
    const [like] = await say(c, `More like this · ${picked.title}`, moreLike(picked));
    expect(like!.text).toContain('Similar to');
    expect((like!.cards ?? []).length).toBeGreaterThan(0);
    expect((like!.cards ?? []).map((k) => k.id)).not.toContain(picked.id);
    const clicks = await server.store.interactions.list({ customerId, type: 'click', source: 'chat' });
    expect(clicks.items.map((i) => i.productId)).toContain(picked.id);

    // Impressions of the organic picks and of the ad were recorded.
    expect(await server.store.interactions.count({ customerId, type: 'impression', source: 'recommendation' })).toBeGreaterThanOrEqual(organic.length);
    expect(await server.store.interactions.count({ customerId, type: 'impression', source: 'ad:cmp_demo_001' })).toBeGreaterThanOrEqual(1);

    // A card link is a tracked redirect to the shop's page; the sponsored one charges the campaign.
    const day = shopDay(new Date(), 'Asia/Shanghai');
    const before = await server.store.campaigns.spend('cmp_demo_001', day.day);
    const organicHop = await fetch(`${server.url}${organic[0]!.url!}`, { redirect: 'manual' });
    expect(organicHop.status).toBe(302);
    expect(organicHop.headers.get('location')).toBe(`/demo/p/${organic[0]!.id}`);
    const adHop = await fetch(`${server.url}${sponsored[0]!.url!}`, { redirect: 'manual' });
    expect(adHop.status).toBe(302);
    expect(await server.store.campaigns.spend('cmp_demo_001', day.day)).toBeGreaterThan(before);
    expect(await server.store.interactions.count({ customerId, type: 'click', source: 'ad:cmp_demo_001' })).toBeGreaterThanOrEqual(1);

    // The shop reports the purchase: attributed to the campaign whose ad was clicked.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const bad = await fetch(`${server.url}/api/admin/interactions`, { method: 'POST', headers: admin, body: JSON.stringify({ events: [{ customerId, productId: 'P-RUN-001', type: 'purchase' }, { customerId, productId: 'P-RUN-001', type: 'rating', value: 9 }] }) });
    expect(bad.status).toBe(400);
    expect(await server.store.interactions.count({ customerId, type: 'purchase', source: 'ad:cmp_demo_001' })).toBe(0);
    const report = await fetch(`${server.url}/api/admin/interactions`, { method: 'POST', headers: admin, body: JSON.stringify({ events: [{ customerId, productId: 'P-RUN-001', type: 'purchase', revenue: 769 }, { customerId, productId: 'P-TEE-001', type: 'cart', source: 'web' }] }) });
    expect(report.status).toBe(201);
    expect(await report.json()).toEqual({ recorded: 2, attributed: [{ productId: 'P-RUN-001', campaignId: 'cmp_demo_001' }] });
    const ads = (await (await fetch(`${server.url}/api/admin/ads/report`, { headers: admin })).json()) as { campaigns: Array<{ campaignId: string; clicks: number; conversions: number; revenue: number; spend: number }> };
    const run = ads.campaigns.find((x) => x.campaignId === 'cmp_demo_001')!;
    expect(run).toMatchObject({ conversions: 1, revenue: 769 });
    expect(run.clicks).toBeGreaterThanOrEqual(1);
    expect(run.spend).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/api/admin/ads/report`)).status).toBe(401);

    // rec:train writes a new model; a reload picks it up without a restart (here: the file is
    // gone, so the reload trains one from the store, the purchase just reported included).
    const before2 = server.recommendations.service.trainedAt;
    rmSync(server.recommendations.service.modelFile, { force: true });
    expect((await fetch(`${server.url}/api/admin/recommender/reload`, { method: 'POST' })).status).toBe(401);
    const reload = await fetch(`${server.url}/api/admin/recommender/reload`, { method: 'POST', headers: admin });
    expect(reload.status).toBe(200);
    const reloaded = (await reload.json()) as { trainedAt: string };
    expect(reloaded.trainedAt).not.toBe(before2);
    expect(server.recommendations.service.trainedAt).toBe(reloaded.trainedAt);
    expect(existsSync(server.recommendations.service.modelFile)).toBe(true);
    expect((await say(c, 'recommend running shoes'))[0]!.cards!.length).toBeGreaterThan(0);

    const pageHtml = await (await fetch(`${server.url}/demo/p/${organic[0]!.id}`)).text();
    expect(pageHtml).toContain((await productOf(organic[0]!)).title.zh);
  }, 120_000);

  it('suggests what goes with an order after its status, labelled as upsell', async () => {
    const customerId = 'cus_demo_020';
    const now = Date.now();
    const order = await server.store.orders.create({
      customerId,
      number: 'SA970011',
      status: 'delivered',
      currency: 'CNY',
      items: [{ productId: 'P-TEE-001', title: 'Tidewear Everyday Unisex Crew Neck T-Shirt', quantity: 1, unitPrice: 99 }],
      total: 99,
      shippingAddress: { name: 'Li Lei', phone: '+86 139 1234 5678', line1: '88 Wensan Road', city: 'Hangzhou', country: 'CN' },
      placedAt: new Date(now - 5 * 86_400_000),
      paidAt: new Date(now - 5 * 86_400_000),
      shippedAt: new Date(now - 4 * 86_400_000),
      deliveredAt: new Date(now - 2 * 86_400_000),
      carrier: 'SF Express',
      trackingNumber: 'SF5550001',
    });
    const c = await shop.widget({ customerId });
    const msgs = await say(c, `where is my order ${order.number}?`);
    expect(msgs[0]!.text).toContain(order.number);
    const upsell = msgs.flatMap((m) => m.cards ?? []).filter((k) => k.label === 'upsell');
    expect(upsell.length).toBeGreaterThan(0);
    expect(upsell.map((k) => k.id)).not.toContain('P-TEE-001');
    for (const k of upsell) expect(k.subtitle).toMatch(/^Often bought with /);
    expect(msgs.some((m) => m.text.startsWith('Often bought with your order:'))).toBe(true);
  }, 60_000);

  it('gives a shopper nobody knows the popular picks, never an error', async () => {
    const c = await shop.widget();
    const [msg] = await say(c, 'any headphones you would recommend?');
    const cards = (msg!.cards ?? []).filter((k) => k.label !== 'sponsored');
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect((await productOf(card)).category).toBe('headphones');
    // "Something similar" right after the list: like the first one shown.
    const [similar] = await say(c, 'something similar');
    expect(similar!.text).toMatch(/^Similar to /);
    expect((similar!.cards ?? []).map((k) => k.id)).not.toContain(cards[0]!.id);
    // A product named with a goes-with or like-this cue, no list on screen before.
    const [withIt] = await say(c, 'what goes with the Northpace Aero 3?');
    expect(withIt!.text).toMatch(/^Goes well with Northpace Aero 3/);
    expect((withIt!.cards ?? []).map((k) => k.id)).not.toContain('P-RUN-001');
    const [likeIt] = await say(c, 'anything similar to the Quietwave Hush 700?');
    expect(likeIt!.text).toMatch(/^Similar to Quietwave Hush 700/);
    // Typed mentions are not clicks.
    expect(await server.store.interactions.count({ type: 'click', source: 'chat', productId: 'P-RUN-001' })).toBe(0);
  }, 60_000);
});

// ---------------------------------------------------------------- WeChat

async function wechatSay(openId: string, content: string): Promise<string> {
  const res = await wechatPost(shop, OA, openId, content);
  expect(res.status).toBe(200);
  return res.body;
}

async function newsFor(openId: string, from: number): Promise<Array<{ title: string; url?: string }>> {
  for (let i = 0; i < 100; i++) {
    const news = fake.sent.slice(from).filter((s) => s.touser === openId && s.msgtype === 'news');
    if (news.length > 0) return news.flatMap((s) => s.news!.articles);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no news message reached the shopper');
}

describe('recommendations on WeChat (Chinese)', () => {
  it('推荐跑鞋：商品卡片与标明「广告」的推广位', async () => {
    const openId = `oWx_rec_${randomUUID().slice(0, 8)}`;
    const from = fake.sent.length;
    const passive = await wechatSay(openId, '推荐一下800元以内的跑鞋');
    const articles = await newsFor(openId, from);
    const text = [passive, ...fake.sent.slice(from).filter((s) => s.touser === openId && s.msgtype === 'text').map((s) => s.text?.content ?? '')].join('\n');
    expect(text).toMatch(/跑鞋|为您挑选|当前热门/);
    expect(text).toMatch(/广告：/);
    const ads = articles.filter((a) => a.title.startsWith('【广告】'));
    expect(ads).toHaveLength(1);
    expect(articles.length).toBeGreaterThan(1);
    for (const a of articles) expect(a.url).toMatch(/\/r\//);
    // The follow-up quick reply arrives as text (WeChat's menu link) and keeps the category.
    const from2 = fake.sent.length;
    await wechatSay(openId, '便宜一点的');
    const me = (await server.store.customers.findByIdentity('wechat', openId))!;
    const out = (await server.store.messages.listByCustomer(me.id, { limit: 10 })).items.find((m) => m.direction === 'out');
    expect(out?.text).toMatch(/以内|最低/);
    if (!out!.text.includes('最低')) expect((await newsFor(openId, from2)).length).toBeGreaterThan(0);
  }, 120_000);
});
