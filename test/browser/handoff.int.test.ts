import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../store/index.js';
import { launchChromium } from '../helpers/browser.js';
import { startShopServer, wechatPost, type ShopServer } from '../helpers/shop-server.js';

/**
 * Hand-off end to end in a real browser: a shopper asks for a human on the widget (and on
 * WeChat), an agent works it in the console, resolves it, and the shopper rates the help;
 * plus the races and refusals an agent meets (two claims at once, a reply after the
 * conversation moved on, a closed WeChat window).
 */

const WECHAT_TOKEN = 'handoffBrowser2026';
const OA = 'gh_0123456789ab';
const LINA = { email: 'li.na@example.com', password: 'demo-agent-lina', name: 'Li Na' };
const TOM = { email: 'tom.baker@example.com', password: 'demo-agent-tom', name: 'Tom Baker' };

let shop: ShopServer; // HANDOFF_AUTO_ASSIGN=false: agents claim
let auto: ShopServer; // the default: an online agent gets it
let browser: Browser;
const pageErrors: string[] = [];
const contexts: BrowserContext[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

beforeAll(async () => {
  const env = { EMBEDDINGS_MODEL: 'lexical' };
  [shop, auto, browser] = await Promise.all([
    startShopServer('sa-handoff-', WECHAT_TOKEN, { ...env, HANDOFF_AUTO_ASSIGN: 'false' }),
    startShopServer('sa-handoff-auto-', WECHAT_TOKEN, env),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await shop?.close();
  await auto?.close();
});

async function newPage(locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

/** Live frames from the server reach the console unless `paused` (a slow network that delays them). */
interface Hold {
  paused: boolean;
}

/** Signs an agent in to the console and sets them online. */
async function openConsole(server: ShopServer, who: { email: string; password: string }, status: 'online' | 'away' = 'online', hold?: Hold): Promise<Page> {
  const page = await newPage();
  if (hold) {
    await page.routeWebSocket(/\/ws\/console$/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((m) => {
        if (!hold.paused) ws.send(m);
      });
    });
  }
  await page.goto(`${server.server.url}/console/`);
  await page.locator('#login-email').fill(who.email);
  await page.locator('#login-password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await expect.poll(() => page.locator('#conn').getAttribute('class'), { timeout: 10_000 }).toContain('online');
  if ((await page.locator('#status-select').inputValue()) !== status) {
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/console/me/status') && r.ok());
    await page.locator('#status-select').selectOption(status);
    await saved;
  }
  return page;
}

const item = (page: Page, list: 'queue' | 'mine' | 'assigned', id: string) => page.locator(`#${list}-list .conv-item[data-id="${id}"]`);

/** The widget on the demo page: opens it, sends `first` and returns the shopper's conversation id (a visitor has one from their first message). */
async function openWidget(server: ShopServer, first: string): Promise<{ page: Page; conversationId: string }> {
  const page = await newPage();
  await page.goto(server.server.url);
  await page.locator('#shop-assistant-widget button.launcher').click();
  await page.locator('#shop-assistant-widget section.panel').waitFor({ state: 'visible' });
  await expect.poll(() => page.evaluate(() => localStorage.getItem('shop-assistant:visitor'))).toBeTruthy();
  await widgetSay(page, first);
  const token = await page.evaluate(() => localStorage.getItem('shop-assistant:visitor'));
  const res = await fetch(`${server.server.url}/api/web/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorToken: token }),
  });
  const { conversationId } = (await res.json()) as { conversationId: string | null };
  if (!conversationId) throw new Error('the visitor has no conversation after their first message');
  return { page, conversationId };
}

async function widgetSay(page: Page, text: string): Promise<void> {
  const input = page.locator('#shop-assistant-widget textarea');
  await input.fill(text);
  await input.press('Enter');
}

const widgetRows = (page: Page, sender: string) => page.locator(`#shop-assistant-widget .log .row.${sender}`);

async function messages(server: ShopServer, conversationId: string): Promise<Message[]> {
  return server.server.store.messages.listByConversation(conversationId, { limit: 500 });
}

/** Replies from the console: types into the composer and presses Enter. */
async function reply(page: Page, text: string): Promise<void> {
  const input = page.locator('#composer-input');
  await expect.poll(() => input.isEnabled()).toBe(true);
  await input.fill(text);
  await input.press('Enter');
}

describe('hand-off from the web widget to the console', () => {
  it('queues, is claimed, talks both ways live, resolves, and the shopper rates it; the bot stays silent meanwhile', async () => {
    const agent = await openConsole(shop, LINA);
    const { page: shopper, conversationId } = await openWidget(shop, 'I want to talk to a human');
    // The console shows it in the queue, live.
    await item(agent, 'queue', conversationId).waitFor({ timeout: 15_000 });
    const queued = await item(agent, 'queue', conversationId).innerText();
    expect(queued).toMatch(/Web/);
    expect(queued).toMatch(/#1 in queue/);

    await item(agent, 'queue', conversationId).click();
    await agent.locator('#btn-claim').click();
    await item(agent, 'mine', conversationId).waitFor();
    await expect.poll(() => agent.locator('#btn-claim').isHidden()).toBe(true);
    const claimed = await shop.server.store.conversations.get(conversationId);
    expect(claimed?.status).toBe('assigned');
    expect(claimed?.assigneeId).toBe('agt_demo_001');

    // The agent replies; the shopper sees it with the agent's name and the Support label.
    await reply(agent, 'Hello, this is Li Na from support. How can I help?');
    const agentRow = widgetRows(shopper, 'agent').last();
    await agentRow.waitFor({ timeout: 10_000 });
    expect(await agentRow.locator('.bubble').innerText()).toBe('Hello, this is Li Na from support. How can I help?');
    // The label names the agent and says it is the support team, not the bot (the widget follows the page's language).
    const label = widgetRows(shopper, 'agent').first().locator('.label');
    expect(await label.textContent()).toContain('李娜 Li Na');
    expect(['Support', '人工客服']).toContain(await label.locator('.role').textContent());
    // The console shows its own message once.
    expect(await agent.locator('#transcript .msg.agent').count()).toBe(1);

    // The shopper writes again: the agent sees it live, with what the bot understood.
    await widgetSay(shopper, 'My order SA100123 has not arrived');
    const customerRow = agent.locator('#transcript .msg.customer', { hasText: 'SA100123 has not arrived' });
    await customerRow.waitFor({ timeout: 10_000 });

    // Resolve: the shopper is asked for a rating and clicks 5.
    await agent.locator('#btn-resolve').click();
    await agent.locator('#resolve-confirm').click(); // the in-page confirmation
    await expect.poll(() => agent.locator('#btn-resolve').isHidden()).toBe(true);
    const chips = shopper.locator('#shop-assistant-widget .chips .chip');
    await expect.poll(() => chips.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const titles = await chips.allInnerTexts();
    const five = titles.findIndex((t) => /5|★★★★★|非常满意|excellent/i.test(t));
    expect(five).toBeGreaterThanOrEqual(0);
    await chips.nth(five).click();
    await expect.poll(async () => (await shop.server.store.conversations.get(conversationId))?.rating, { timeout: 10_000 }).toBe(5);

    // While the agent owned it, the bot said nothing (the second shopper message got no bot answer).
    const conv = await shop.server.store.conversations.get(conversationId);
    const all = await messages(shop, conversationId);
    const claimAt = all.find((m) => m.sender === 'agent')!.createdAt.getTime();
    const resolvedAt = conv!.resolvedAt!.getTime();
    const second = all.find((m) => m.sender === 'customer' && m.text.includes('SA100123'))!;
    expect(second.createdAt.getTime()).toBeGreaterThan(claimAt);
    const botWhileOwned = all.filter((m) => m.sender === 'bot' && m.createdAt.getTime() >= claimAt && m.createdAt.getTime() < resolvedAt);
    expect(botWhileOwned.map((m) => m.text)).toEqual([]);
    expect(all.filter((m) => m.sender === 'agent').map((m) => m.text)).toEqual(['Hello, this is Li Na from support. How can I help?']);
    await agent.close();
    await shopper.close();
  }, 60_000);

  it('auto-assigns to an online agent: the conversation lands in "Mine" without a claim', async () => {
    const agent = await openConsole(auto, LINA);
    const { page: shopper, conversationId } = await openWidget(auto, 'I want to talk to a human');
    await item(agent, 'mine', conversationId).waitFor({ timeout: 15_000 });
    expect(await item(agent, 'queue', conversationId).count()).toBe(0);
    const conv = await auto.server.store.conversations.get(conversationId);
    expect(conv?.status).toBe('assigned');
    expect(conv?.assigneeId).toBe('agt_demo_001');
    await item(agent, 'mine', conversationId).click();
    await reply(agent, 'Hi, Li Na here.');
    await widgetRows(shopper, 'agent').filter({ hasText: 'Hi, Li Na here.' }).waitFor({ timeout: 10_000 });
    await agent.close();
    await shopper.close();
  }, 45_000);
});

describe('hand-off on WeChat', () => {
  it('the agent reply goes out as a customer-service message, and so does the rating prompt', async () => {
    const agent = await openConsole(shop, LINA);
    const openId = `oHandoff${Date.now()}`;
    const before = shop.fake.sent.length;
    const r = await wechatPost(shop, OA, openId, '我要转人工');
    expect(r.status).toBe(200);
    const customer = await shop.server.store.customers.findByIdentity('wechat', openId);
    expect(customer).not.toBeNull();
    const conv = await shop.server.store.conversations.findOpenByCustomer(customer!.id, 'wechat');
    const id = conv!.id;
    await item(agent, 'queue', id).waitFor({ timeout: 15_000 });
    expect(await item(agent, 'queue', id).innerText()).toMatch(/WeChat/);
    await item(agent, 'queue', id).click();
    await agent.locator('#btn-claim').click();
    await item(agent, 'mine', id).waitFor();
    // The 48-hour window is open: the console says until when.
    await expect.poll(() => agent.locator('#wechat-window').innerText()).toMatch(/WeChat window open · closes in (1d|47h|48h)/);

    await reply(agent, '您好，我是客服李娜，请问有什么可以帮您？');
    await expect
      .poll(() => shop.fake.sent.slice(before).filter((m) => m.touser === openId && m.text?.content.includes('客服李娜')).length, { timeout: 10_000 })
      .toBe(1);

    // The shopper answers on WeChat: the console shows it live.
    await wechatPost(shop, OA, openId, '我的订单还没到');
    await agent.locator('#transcript .msg.customer', { hasText: '我的订单还没到' }).waitFor({ timeout: 10_000 });

    const sentBeforeResolve = shop.fake.sent.length;
    await agent.locator('#btn-resolve').click();
    await agent.locator('#resolve-confirm').click(); // the in-page confirmation
    await expect.poll(() => shop.fake.sent.slice(sentBeforeResolve).filter((m) => m.touser === openId).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const prompt = shop.fake.sent.slice(sentBeforeResolve).find((m) => m.touser === openId)!;
    expect(prompt.text?.content).toMatch(/1.*5/s);
    await wechatPost(shop, OA, openId, '5');
    await expect.poll(async () => (await shop.server.store.conversations.get(id))?.rating, { timeout: 10_000 }).toBe(5);
    // Only the agent's words went out while it was assigned: nothing from the bot.
    const all = await messages(shop, id);
    const firstAgent = all.find((m) => m.sender === 'agent')!.createdAt.getTime();
    const resolvedAt = (await shop.server.store.conversations.get(id))!.resolvedAt!.getTime();
    expect(all.filter((m) => m.sender === 'bot' && m.createdAt.getTime() >= firstAgent && m.createdAt.getTime() < resolvedAt)).toEqual([]);
    await agent.close();
  }, 60_000);
});

describe('what goes wrong', () => {
  it('two agents claim at once: exactly one wins and the other console says so', async () => {
    const lina = await openConsole(shop, LINA);
    const tom = await openConsole(shop, TOM);
    const { page: shopper, conversationId } = await openWidget(shop, 'I want to talk to a human');
    for (const p of [lina, tom]) {
      await item(p, 'queue', conversationId).waitFor({ timeout: 15_000 });
      await item(p, 'queue', conversationId).click();
      await p.locator('#btn-claim').waitFor();
    }
    await Promise.all([lina.locator('#btn-claim').click(), tom.locator('#btn-claim').click()]);
    const conv = await shop.server.store.conversations.get(conversationId);
    expect(['agt_demo_001', 'agt_demo_002']).toContain(conv?.assigneeId);
    const [winner, loser] = conv?.assigneeId === 'agt_demo_001' ? [lina, tom] : [tom, lina];
    await loser.locator('#conv-error').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await loser.locator('#conv-error').innerText()).toBe('Someone else claimed this conversation first.');
    expect(await winner.locator('#conv-error').isHidden()).toBe(true);
    await item(winner, 'mine', conversationId).waitFor();
    // The loser cannot type into someone else's conversation.
    expect(await loser.locator('#composer-input').isDisabled()).toBe(true);
    for (const p of [lina, tom, shopper]) await p.close();
  }, 45_000);

  it('a reply after the conversation was reassigned or resolved elsewhere is refused: error shown, nothing stored or sent', async () => {
    const hold: Hold = { paused: false };
    const agent = await openConsole(shop, LINA, 'online', hold);
    const openId = `oStale${Date.now()}`;
    await wechatPost(shop, OA, openId, '我要转人工');
    const customer = await shop.server.store.customers.findByIdentity('wechat', openId);
    const id = (await shop.server.store.conversations.findOpenByCustomer(customer!.id, 'wechat'))!.id;
    await item(agent, 'queue', id).waitFor({ timeout: 15_000 });
    await item(agent, 'queue', id).click();
    await agent.locator('#btn-claim').click();
    await expect.poll(() => agent.locator('#composer-input').isEnabled()).toBe(true);

    // A supervisor moves it to Tom while this console's live updates are delayed.
    hold.paused = true;
    // Let a refetch the claim's own frames scheduled finish first (the console debounces them).
    await agent.waitForTimeout(600);
    await shop.server.store.conversations.reassign(id, 'agt_demo_002');
    const stored = (await messages(shop, id)).length;
    const sent = shop.fake.sent.length;
    await reply(agent, 'Are you still there?');
    await agent.locator('#conv-error').waitFor({ state: 'visible' });
    expect(await agent.locator('#conv-error').innerText()).toMatch(/no longer assigned to you/);
    // The text stays in the box for the agent to reuse; nothing was stored or sent.
    expect(await agent.locator('#composer-input').inputValue()).toBe('Are you still there?');
    expect((await messages(shop, id)).length).toBe(stored);
    expect(shop.fake.sent.length).toBe(sent);
    // The console now shows that someone else has it, and the composer is closed.
    await expect.poll(() => agent.locator('#composer-state').innerText()).toMatch(/Another agent is handling this conversation now/);
    expect(await agent.locator('#composer-input').isDisabled()).toBe(true);

    // Back to Li Na, then resolved elsewhere: the same refusal for a resolved conversation.
    await shop.server.store.conversations.reassign(id, 'agt_demo_001');
    await agent.reload();
    await item(agent, 'mine', id).click();
    await expect.poll(() => agent.locator('#composer-input').isEnabled()).toBe(true);
    await shop.server.store.conversations.resolve(id);
    await reply(agent, 'One more thing');
    await expect.poll(() => agent.locator('#conv-error').innerText()).toMatch(/already resolved/);
    expect((await messages(shop, id)).length).toBe(stored);
    expect(shop.fake.sent.length).toBe(sent);
    await agent.close();
  }, 45_000);

  it('a WeChat conversation whose last shopper message is over 48 hours old: the console says why it cannot be delivered', async () => {
    const store = shop.server.store;
    const openId = `oOld${Date.now()}`;
    const customer = await store.customers.create({ displayName: '赵敏', locale: 'zh', identities: [{ channel: 'wechat', externalId: openId }] });
    const conv = await store.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'zh' });
    const lastInbound = new Date(Date.now() - 50 * 3600_000);
    await store.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'in', sender: 'customer', channel: 'wechat', text: '退款什么时候到账？', createdAt: lastInbound });
    await store.conversations.enqueue(conv.id, { priority: 1, reason: 'asked_for_human' });
    shop.fake.closeWindow(openId);

    const agent = await openConsole(shop, LINA);
    await item(agent, 'queue', conv.id).click();
    await agent.locator('#btn-claim').click();
    await item(agent, 'mine', conv.id).waitFor();
    await expect.poll(() => agent.locator('#wechat-window').innerText()).toMatch(/WeChat window closed since/);
    const why = await agent.locator('#composer-state').innerText();
    expect(why).toMatch(/Cannot deliver on WeChat: the 48-hour reply window closed/);
    expect(await agent.locator('#send').isDisabled()).toBe(true);
    expect(shop.fake.sent.filter((m) => m.touser === openId)).toEqual([]);
    await agent.close();
  }, 45_000);
});
