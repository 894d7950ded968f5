import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { sendAcked as send, startShopServer, wechatPost, type ShopServer } from '../helpers/shop-server.js';
import type { WsClient } from '../helpers/ws-client.js';

/**
 * The agent console in Chromium against the real server: sign-in errors and lockout, the
 * zh/en switch, and one working conversation with a seeded customer who has orders and a
 * linked WeChat account: the cross-channel transcript, the profile, suggested replies,
 * canned responses, notes, tags, and typing both ways.
 */

const OA = 'gh_0123456789ab';
/** A demo customer with orders and a WeChat account (data/demo-shop/customers.json). */
const CUSTOMER = 'cus_demo_001';
const LINA = { email: 'li.na@example.com', password: 'demo-agent-lina' };

let shop: ShopServer;
let browser: Browser;
const pageErrors: string[] = [];
const contexts: BrowserContext[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

beforeAll(async () => {
  [shop, browser] = await Promise.all([
    startShopServer('sa-console-', 'consoleBrowser2026', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false' }),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await shop?.close();
});

async function newPage(locale: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
}

describe('signing in', () => {
  it('says what went wrong: a wrong password, then a lockout after five failures', async () => {
    const page = await newPage('en-US');
    await page.goto(`${shop.server.url}/console/`);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    expect(await page.locator('#login-title').innerText()).toBe('Sign in to the agent console');

    await signIn(page, 'tom.baker@example.com', 'not-his-password');
    await expect.poll(() => page.locator('#login-error').innerText()).toBe('Wrong email or password.');
    expect(await page.locator('#login-error').getAttribute('role')).toBe('alert');
    expect(await page.locator('#app-view').isHidden()).toBe(true);

    for (let i = 2; i <= 5; i++) {
      const res = page.waitForResponse((r) => r.url().endsWith('/api/console/login'));
      await signIn(page, 'tom.baker@example.com', `wrong-${i}`);
      await res;
    }
    // The sixth try is refused before the password is even checked, with the right one too.
    await signIn(page, 'tom.baker@example.com', 'demo-agent-tom');
    await expect.poll(() => page.locator('#login-error').innerText()).toMatch(/^Too many failed sign-ins for this email\. .*try again in \d+ minutes/);
    expect(await page.locator('#app-view').isHidden()).toBe(true);

    // Another account is not affected.
    await signIn(page, LINA.email, LINA.password);
    await page.locator('#app-view').waitFor({ state: 'visible' });
    expect(await page.locator('#me-name').innerText()).toBe('李娜 Li Na');
    // Sign out: back to the form, and the session is gone on reload.
    await page.locator('#logout').click();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#login-view').waitFor({ state: 'visible' });
  });

  it('starts in Chinese for a Chinese browser, switches to English and remembers it', async () => {
    const page = await newPage('zh-CN');
    await page.goto(`${shop.server.url}/console/`);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    expect(await page.locator('#login-title').innerText()).toBe('登录客服工作台');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await signIn(page, LINA.email, 'wrong');
    await expect.poll(() => page.locator('#login-error').innerText()).toBe('邮箱或密码错误。');

    await signIn(page, LINA.email, LINA.password);
    await page.locator('#app-view').waitFor({ state: 'visible' });
    expect(await page.locator('#h-queue').textContent()).toMatch(/^排队中/);
    expect(await page.locator('#logout').innerText()).toBe('退出登录');
    await page.locator('#lang-toggle').click();
    expect(await page.locator('#h-queue').textContent()).toMatch(/^Queue/);
    expect(await page.locator('#logout').innerText()).toBe('Sign out');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.reload();
    await page.locator('#app-view').waitFor({ state: 'visible' });
    expect(await page.locator('#logout').innerText()).toBe('Sign out');
  });
});

describe('the team page for admins', () => {
  it('lists the agents, changes a capacity in place, and adds an agent (with a clear error first)', async () => {
    // A refused login puts the email tried into the audit log: markup there must stay text.
    const payload = '<img src=x onerror="window.__auditPwned=1">@example.com';
    const refused = await fetch(`${shop.server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: payload, password: 'wrong-password' }) });
    expect(refused.status).toBe(401);
    const page = await newPage('en-US');
    await page.goto(`${shop.server.url}/console/`);
    await signIn(page, 'admin@example.com', 'demo-admin-change-me');
    await page.locator('#app-view').waitFor({ state: 'visible' });
    await page.locator('#team-toggle').click();
    const rows = page.locator('#admin-view .admin-table:not(.audit-table) tbody tr');
    // The audit log under the team: the admin's own sign-in, and the refused one rendered inert.
    const audit = page.locator('#audit-view tbody tr');
    await expect.poll(() => audit.count()).toBeGreaterThanOrEqual(2);
    expect(await audit.first().innerText()).toMatch(/admin@example\.com[\s\S]*auth\.login[\s\S]*ok/);
    expect(await page.locator('#audit-view tr.refused', { hasText: payload.toLowerCase() }).count()).toBe(1);
    expect(await page.locator('#audit-view img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __auditPwned?: number }).__auditPwned)).toBeUndefined();
    await page.locator('#audit-filter').fill('auth.login');
    await page.locator('#audit-view button[type="submit"]').click();
    await expect.poll(async () => (await audit.allInnerTexts()).every((t) => t.includes('auth.login'))).toBe(true);
    const stored = (await shop.server.store.agents.list({}, { limit: 100 })).items;
    await expect.poll(() => rows.count()).toBe(stored.length);

    const tom = page.locator('#admin-view tr[data-id="agt_demo_002"]');
    await tom.locator('input.cap').fill('7');
    await tom.locator('input.cap').press('Tab');
    await expect.poll(() => page.locator('#admin-msg').innerText()).toBe('Saved Tom Baker.');
    expect((await shop.server.store.agents.get('agt_demo_002'))!.capacity).toBe(7);

    const form = page.locator('#admin-add');
    await form.locator('input[name="name"]').fill('Wu Lei');
    await form.locator('input[name="email"]').fill('wu.lei@example.com');
    await form.locator('input[name="password"]').fill('short');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('#admin-msg').innerText()).toMatch(/at least 10 characters/);
    expect(await shop.server.store.agents.getByEmail('wu.lei@example.com')).toBeNull();
    await form.locator('input[name="password"]').fill('a-long-enough-password');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('#admin-msg').innerText()).toBe('Added Wu Lei.');
    await expect.poll(() => rows.count()).toBe(stored.length + 1);
    expect(await shop.server.store.agents.getByEmail('wu.lei@example.com')).toMatchObject({ name: 'Wu Lei', role: 'agent', capacity: 3 });

    // Back to the queue; agents and supervisors have no team button.
    await page.locator('#team-toggle').click();
    await page.locator('#queue-list').waitFor({ state: 'visible' });
  });
});

describe('working a conversation', () => {
  let agent: Page;
  let shopper: WsClient;
  let id: string;

  beforeAll(async () => {
    // The shopper wrote on WeChat before; now they are on the website, signed in, and ask for a person.
    await wechatPost(shop, OA, 'oWx_demo_7DwITAEa6pxiskxLoU-', '你好');
    shopper = await shop.widget({ customerId: CUSTOMER, locale: 'en' });
    await send(shopper, 'I want to talk to a human');
    await shopper.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'system');
    await send(shopper, 'How do I return an item?');
    await send(shopper, 'Or do you have one under 800?');
    const conv = await shop.server.store.conversations.findOpenByCustomer(CUSTOMER, 'web');
    id = conv!.id;
    expect(conv!.status).toBe('queued');

    agent = await newPage('en-US');
    await agent.goto(`${shop.server.url}/console/`);
    await signIn(agent, LINA.email, LINA.password);
    await agent.locator('#app-view').waitFor({ state: 'visible' });
    await agent.locator('#conn.online').waitFor();
    await agent.locator(`#queue-list .conv-item[data-id="${id}"]`).click();
    await agent.locator('#btn-claim').click();
    await agent.locator(`#mine-list .conv-item[data-id="${id}"]`).waitFor();
  }, 60_000);

  it('shows the whole history across channels, and what the bot understood', async () => {
    const rows = agent.locator('#transcript .msg');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(4);
    const wechat = agent.locator('#transcript .msg.customer', { hasText: '你好' });
    expect(await wechat.locator('.chan').innerText()).toBe('WeChat');
    const web = agent.locator('#transcript .msg.customer', { hasText: 'How do I return an item?' });
    expect(await web.locator('.chan').innerText()).toBe('Web');
    // The intent as words ("intent: Return an item (87%)"), its code kept in data-intent.
    expect(await web.locator('.nlu .intent').innerText()).toMatch(/^intent: [A-Z][^_]* \(\d+%\)$/);
    expect(await web.locator('.nlu .intent').getAttribute('data-intent')).toMatch(/^\w+$/);
    expect(await agent.locator('#transcript .msg.bot').count()).toBeGreaterThanOrEqual(1);
    // Each entity kind reads as its value: a price range has bounds, not a value ("under 800 → undefined" before).
    const priced = agent.locator('#transcript .msg.customer', { hasText: 'under 800' });
    expect(await priced.locator('.nlu .entity').allInnerTexts()).toEqual([expect.stringMatching(/: under 800 → ≤ 800$/)]);
  });

  it('profile: the customer, linked accounts per channel and their newest orders', async () => {
    const store = shop.server.store;
    const customer = (await store.customers.get(CUSTOMER))!;
    expect(await agent.locator('#customer .cust-name').innerText()).toContain(customer.displayName);
    expect(await agent.locator('#customer .badge.vip').count()).toBe(customer.vip ? 1 : 0);
    const wechatId = agent.locator('#identities .identity[data-channel="wechat"]');
    expect(await wechatId.locator('code').innerText()).toBe('oWx_demo_7DwITAEa6pxiskxLoU-');
    const orders = (await store.orders.listByCustomer(CUSTOMER, { limit: 10 })).items;
    expect(orders.length).toBeGreaterThan(0);
    const shown = await agent.locator('#orders .order').evaluateAll((els) => els.map((e) => e.getAttribute('data-number')));
    expect(shown).toEqual(orders.map((o) => o.number));
    const first = agent.locator(`#orders .order[data-number="${orders[0]!.number}"]`);
    expect(await first.locator('.ostatus').innerText()).toBe(orders[0]!.status);
  });

  it('suggested replies from the knowledge base go into the composer on click', async () => {
    const picks = agent.locator('#suggestions .suggestion');
    await expect.poll(() => picks.count()).toBeGreaterThan(0);
    const text = await picks.first().locator('.snippet').textContent();
    expect(text).toBeTruthy();
    await agent.locator('#composer-input').fill('');
    await picks.first().click();
    expect(await agent.locator('#composer-input').inputValue()).toBe(text);
    await agent.locator('#composer-input').fill('');
  });

  it('canned responses: searchable, and a click inserts one', async () => {
    const items = agent.locator('#canned .canned-item');
    await expect.poll(() => items.count()).toBeGreaterThan(1);
    const all = await items.count();
    const title = (await items.nth(1).locator('strong').textContent())!;
    const body = (await items.nth(1).locator('.snippet').textContent())!;
    await agent.locator('#canned-search').fill(title);
    await expect.poll(() => items.count()).toBeLessThanOrEqual(all);
    expect(await items.locator('strong').allTextContents()).toContain(title);
    await agent.locator('#canned-search').fill('zzzz-no-such-canned-reply');
    await expect.poll(() => agent.locator('#canned .empty').innerText()).toBe('No canned response matches.');
    await agent.locator('#canned-search').fill(title);
    await agent.locator('#composer-input').fill('Hi!');
    await items.filter({ hasText: title }).first().click();
    expect(await agent.locator('#composer-input').inputValue()).toBe(`Hi! ${body}`);
    await agent.locator('#composer-input').fill('');
  });

  it('notes: added with author and time, kept in the store', async () => {
    await agent.locator('#note-input').fill('Customer prefers a call back after 6pm.');
    await agent.locator('#note-add').click();
    const note = agent.locator('#notes .note', { hasText: 'Customer prefers a call back after 6pm.' });
    await note.waitFor();
    expect(await note.locator('.note-head strong').innerText()).toBe('李娜 Li Na');
    expect(await note.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await agent.locator('#note-input').inputValue()).toBe('');
    const conv = await shop.server.store.conversations.get(id);
    expect(conv!.notes.map((n) => [n.agentId, n.text])).toEqual([['agt_demo_001', 'Customer prefers a call back after 6pm.']]);
  });

  it('tags: added with Enter, removed with ×, kept in the store', async () => {
    await agent.locator('#tag-input').fill('Refund');
    await agent.locator('#tag-input').press('Enter');
    await agent.locator('#tags .tag[data-tag="refund"]').waitFor();
    await agent.locator('#tag-input').fill('urgent');
    await agent.locator('#tag-input').press('Enter');
    await agent.locator('#tags .tag[data-tag="urgent"]').waitFor();
    await expect.poll(async () => (await shop.server.store.conversations.get(id))!.tags).toEqual(['refund', 'urgent']);
    await agent.locator('#tags .tag[data-tag="refund"] .x').click();
    await expect.poll(() => agent.locator('#tags .tag').count()).toBe(1);
    await expect.poll(async () => (await shop.server.store.conversations.get(id))!.tags).toEqual(['urgent']);
  });

  it('typing shows both ways: the shopper in the console, the agent in the widget', async () => {
    shopper.send({ type: 'typing', on: true });
    await agent.locator('#typing').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await agent.locator('#typing').innerText()).toMatch(/is typing…$/);

    const from = shopper.frames.length;
    await agent.locator('#composer-input').focus();
    await agent.keyboard.type('Let me check');
    await shopper.waitFor((f) => f.type === 'typing' && f['on'] === true, { from });
    // Shift+Enter is a new line; Enter sends, and the typing stops.
    await agent.keyboard.press('Shift+Enter');
    await agent.keyboard.type('that for you.');
    expect(await agent.locator('#composer-input').inputValue()).toBe('Let me check\nthat for you.');
    await agent.keyboard.press('Enter');
    const m = await shopper.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'agent', { from });
    expect(m['message']).toMatchObject({ text: 'Let me check\nthat for you.', agentName: '李娜 Li Na' });
    await shopper.waitFor((f) => f.type === 'typing' && f['on'] === false, { from });
    // The shopper's message arrives and clears the console's typing line.
    await send(shopper, 'Thanks!');
    await agent.locator('#transcript .msg.customer', { hasText: 'Thanks!' }).waitFor({ timeout: 10_000 });
    expect(await agent.locator('#typing').isHidden()).toBe(true);
  });
});
