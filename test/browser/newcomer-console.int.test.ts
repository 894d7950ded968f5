import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startShopServer, type ShopServer } from '../helpers/shop-server.js';
import { contrastOf } from './newcomer-contrast.js';

/**
 * What an agent new to the console meets (issue 15): hand-off reasons, topics, intents and
 * entity types as words in English and Chinese (never raw codes), readable meta text on
 * system messages, focus on the conversation lists after signing in, a confirmation before
 * Resolve, and action buttons that wait for the conversation's details.
 */

const LINA = { email: 'li.na@example.com', password: 'demo-agent-lina' };

let shop: ShopServer;
let browser: Browser;
const pageErrors: string[] = [];
/** Native dialogs (window.confirm and friends) a page opened: the console must use none. */
const nativeDialogs: string[] = [];
const contexts: BrowserContext[] = [];
/** A conversation handed over by the bot's fallbacks, about a complaint, with an off-topic question. */
let fallbackId: string;
/** A conversation with codes no table knows (a skill's own reason, a new topic and intent). */
let newCodesId: string;

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
  expect(nativeDialogs.splice(0)).toEqual([]);
});

beforeAll(async () => {
  [shop, browser] = await Promise.all([startShopServer('sa-newcomer-console-', 'newcomerConsole2026', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false' }), launchChromium()]);
  const store = shop.server.store;

  const a = await store.conversations.create({ customerId: 'cus_demo_002', channel: 'web', language: 'en' });
  const base = { conversationId: a.id, customerId: 'cus_demo_002', channel: 'web' as const };
  const t0 = Date.now() - 60_000;
  await store.messages.append({
    ...base,
    direction: 'in',
    sender: 'customer',
    text: 'What is the weather on Mars? Also my order SA100001 is late.',
    intent: 'out_of_scope',
    confidence: 0.91,
    entities: [{ type: 'order_number', value: 'SA100001', text: 'SA100001' }],
    createdAt: new Date(t0),
  });
  await store.messages.append({ ...base, direction: 'out', sender: 'bot', text: 'Sorry, I did not get that.', createdAt: new Date(t0 + 1000) });
  await store.messages.append({ ...base, direction: 'out', sender: 'system', text: 'You are now in the queue for a person.', createdAt: new Date(t0 + 2000) });
  await store.messages.append({ ...base, direction: 'out', sender: 'agent', agentId: 'agt_demo_002', text: 'Hello, Tom here.', createdAt: new Date(t0 + 3000) });
  await store.conversations.enqueue(a.id, { priority: 30, reason: 'fallbacks', topic: 'escalations' });
  fallbackId = a.id;

  const b = await store.conversations.create({ customerId: 'cus_demo_003', channel: 'web', language: 'en' });
  await store.messages.append({ conversationId: b.id, customerId: 'cus_demo_003', channel: 'web', direction: 'in', sender: 'customer', text: 'Can you gift-wrap it?', intent: 'gift_wrap_request', confidence: 0.66 });
  await store.conversations.enqueue(b.id, { priority: 20, reason: 'skill:size_guide', topic: 'gift_cards' });
  newCodesId = b.id;
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
  page.on('dialog', (d) => {
    nativeDialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return page;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${shop.server.url}/console/`);
  await page.locator('#login-email').fill(LINA.email);
  await page.locator('#login-password').fill(LINA.password);
  await page.locator('#login-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

const item = (page: Page, list: 'queue' | 'mine', id: string) => page.locator(`#${list}-list .conv-item[data-id="${id}"]`);
const ACTIONS = ['#btn-claim', '#btn-transfer', '#btn-reassign', '#btn-resolve'];
/** Each action button's disabled state, hidden ones included. */
const actionsDisabled = (page: Page) => page.evaluate((ids) => ids.map((id) => (document.querySelector(id) as HTMLButtonElement).disabled), ACTIONS);
/** Texts shaped like a raw code: snake_case words, or a "skill:" prefix. */
const RAW_CODE = /\b[a-z]+_[a-z_]+\b|\bskill:/;

describe('after signing in', () => {
  for (const locale of ['en-US', 'zh-CN']) {
    it(`focus is on the conversation lists, not the page body (${locale})`, async () => {
      const page = await newPage(locale);
      await signIn(page);
      const focused = await page.evaluate(() => ({ id: document.activeElement?.id ?? '', tag: document.activeElement?.tagName ?? '', label: document.activeElement?.getAttribute('aria-label') ?? '' }));
      expect(focused).toEqual({ id: 'lists', tag: 'NAV', label: locale === 'en-US' ? 'Conversations' : '会话列表' });
      // Tab goes on to the first conversation in the lists.
      await item(page, 'queue', fallbackId).waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.classList.contains('conv-item'))).toBe(true);
    });
  }
});

describe('hand-off reasons, topics and intents are words in both languages', () => {
  it('in the queue, the conversation header and the transcript', async () => {
    const page = await newPage('en-US');
    await signIn(page);
    const a = item(page, 'queue', fallbackId);
    const b = item(page, 'queue', newCodesId);
    await a.waitFor();
    expect(await a.locator('.badge.reason').innerText()).toBe('Bot could not answer');
    expect(await a.locator('.badge.topic').innerText()).toBe('Complaints');
    // Codes no table knows are made readable, not shown raw.
    expect(await b.locator('.badge.reason').innerText()).toBe('Skill: Size guide');
    expect(await b.locator('.badge.topic').innerText()).toBe('Gift cards');

    await a.click();
    const customer = page.locator('#transcript .msg.customer').first();
    await customer.waitFor();
    expect(await customer.locator('.nlu .intent').innerText()).toBe('intent: Off-topic (91%)');
    expect(await customer.locator('.nlu .intent').getAttribute('data-intent')).toBe('out_of_scope');
    expect(await customer.locator('.nlu .entity').innerText()).toBe('Order number: SA100001');
    expect(await page.locator('#conv-badges .badge.reason').innerText()).toBe('Bot could not answer');
    const shown = [await page.locator('#queue-list').innerText(), await page.locator('#conv-badges').innerText(), await page.locator('#transcript .nlu').allInnerTexts()].join('\n');
    expect(shown).not.toMatch(RAW_CODE);

    await b.click();
    await expect.poll(() => page.locator('#transcript .msg.customer .nlu .intent').innerText()).toBe('intent: Gift wrap request (66%)');

    // In Chinese.
    await page.locator('#lang-toggle').click();
    expect(await a.locator('.badge.reason').innerText()).toBe('机器人无法解答');
    expect(await a.locator('.badge.topic').innerText()).toBe('投诉');
    expect(await b.locator('.badge.reason').innerText()).toBe('技能：Size guide');
    expect(await page.locator('#transcript .msg.customer .nlu .intent').innerText()).toBe('意图: Gift wrap request (66%)');
    await a.click();
    await expect.poll(() => page.locator('#transcript .msg.customer .nlu .intent').innerText()).toBe('意图: 无关话题 (91%)');
    expect(await page.locator('#transcript .msg.customer .nlu .entity').innerText()).toBe('订单号: SA100001');
    const shownZh = [await page.locator('#queue-list').innerText(), await page.locator('#conv-badges').innerText(), await page.locator('#transcript .nlu').allInnerTexts()].join('\n');
    expect(shownZh).not.toMatch(RAW_CODE);
  });
});

describe('meta text on messages', () => {
  it('a system message’s meta line (and every other bubble’s) has a contrast of at least 4.5:1', async () => {
    const page = await newPage('en-US');
    await signIn(page);
    await item(page, 'queue', fallbackId).click();
    const system = page.locator('#transcript .msg.system');
    await system.waitFor();
    for (const sender of ['system', 'customer', 'bot', 'agent']) {
      for (const part of ['.who', '.chan', 'time']) {
        const c = await contrastOf(page.locator(`#transcript .msg.${sender} .msg-head ${part}`).first());
        expect(c.text, `${sender} ${part}`).not.toBe('');
        expect(c.ratio, `${sender} ${part}: ${JSON.stringify(c)}`).toBeGreaterThanOrEqual(4.5);
      }
    }
    const body = await contrastOf(system.locator('.text'));
    expect(body.ratio, JSON.stringify(body)).toBeGreaterThanOrEqual(4.5);
  });
});

describe('the action buttons', () => {
  it('stay disabled while the conversation’s details are on their way, and after a failed load', async () => {
    const page = await newPage('en-US');
    await signIn(page);
    const detailOf = (id: string) => `${shop.server.url}/api/console/conversations/${id}`;

    // Hold the details request of one conversation until the test lets it go.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let seen: () => void = () => undefined;
    const requested = new Promise<void>((r) => (seen = r));
    const hold = async (route: Route) => {
      seen();
      await held;
      await route.continue();
    };
    await page.route(detailOf(newCodesId), hold);
    await item(page, 'queue', newCodesId).click();
    await requested;
    expect(await page.locator('#conv-pane').isVisible()).toBe(true);
    expect(await actionsDisabled(page)).toEqual([true, true, true, true]);
    expect(await page.locator('#conv-pane').getAttribute('aria-busy')).toBe('true');
    release();
    await expect.poll(() => page.locator('#btn-claim').isEnabled()).toBe(true);
    expect(await page.locator('#btn-claim').isVisible()).toBe(true);
    expect(await page.locator('#conv-pane').getAttribute('aria-busy')).toBe('false');
    await page.unroute(detailOf(newCodesId), hold);

    // A load that fails: the buttons stay disabled and the error says why.
    const fail = (route: Route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'store unavailable' } }) });
    await page.route(detailOf(fallbackId), fail);
    await item(page, 'queue', fallbackId).click();
    await page.locator('#conv-error').waitFor({ state: 'visible' });
    expect(await actionsDisabled(page)).toEqual([true, true, true, true]);
    // Alt+C does nothing either.
    await page.keyboard.press('Alt+c');
    expect((await shop.server.store.conversations.get(fallbackId))!.status).toBe('queued');
    await page.unroute(detailOf(fallbackId), fail);
    // Once the details load, the buttons work.
    await item(page, 'queue', fallbackId).click();
    await expect.poll(() => page.locator('#btn-claim').isEnabled()).toBe(true);
  });
});

describe('Resolve', () => {
  it('asks first, in an in-page dialog: Cancel and Esc keep the conversation open, Resolve resolves it', async () => {
    const page = await newPage('en-US');
    await signIn(page);
    await item(page, 'queue', newCodesId).click();
    await expect.poll(() => page.locator('#btn-claim').isEnabled()).toBe(true);
    await page.locator('#btn-claim').click();
    await item(page, 'mine', newCodesId).waitFor();
    const resolve = page.locator('#btn-resolve');
    await expect.poll(() => resolve.isEnabled()).toBe(true);
    const dialog = page.getByRole('dialog', { name: 'Resolve this conversation?' });
    const status = async () => (await shop.server.store.conversations.get(newCodesId))!.status;

    // Cancel.
    await resolve.click();
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.getAttribute('aria-describedby')).toBe('resolve-text');
    expect(await page.locator('#resolve-text').innerText()).toMatch(/is asked to rate|are asked to rate/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('resolve-cancel');
    await page.screenshot({ path: '/tmp/console-resolve-dialog.png' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await status()).toBe('assigned');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('btn-resolve');

    // Esc, from the keyboard shortcut Alt+R.
    await page.locator('#transcript').focus();
    await page.keyboard.press('Alt+r');
    await dialog.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await status()).toBe('assigned');
    expect(await page.locator('#composer-input').isEnabled()).toBe(true);

    // Confirm.
    await resolve.click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: 'Resolve' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(status).toBe('resolved');
    await expect.poll(() => page.locator('#conv-badges .badge.state').innerText()).toBe('Resolved');
    expect(await resolve.isHidden()).toBe(true);
  });

  it('asks in Chinese for a Chinese console', async () => {
    const page = await newPage('zh-CN');
    await signIn(page);
    await item(page, 'queue', fallbackId).click();
    await expect.poll(() => page.locator('#btn-claim').isEnabled()).toBe(true);
    await page.locator('#btn-claim').click();
    await item(page, 'mine', fallbackId).waitFor();
    await expect.poll(() => page.locator('#btn-resolve').isEnabled()).toBe(true);
    await page.locator('#btn-resolve').click();
    const dialog = page.getByRole('dialog', { name: '确定结束此会话吗？' });
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await shop.server.store.conversations.get(fallbackId))!.status).toBe('assigned');
  });
});
