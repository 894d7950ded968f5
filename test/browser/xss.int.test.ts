import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { signIdentityToken } from '../../channels/web/index.js';
import { IDENTITY_SECRET, startShopServer, type ShopServer } from '../helpers/shop-server.js';
import type { WsClient } from '../helpers/ws-client.js';

/**
 * XSS payloads in everything a shopper, an agent or the catalogue can put on a page — a
 * shopper's message, a customer's display name, a product's name and description, a
 * knowledge article (the console's suggestion text), an agent's note, tag and reply — then
 * the widget, the demo shop, the console and the dashboard are opened in Chromium. No
 * payload runs (`window.__xss` stays undefined, no dialog), no element the payload names
 * appears, and the payload's text is shown as text.
 */

const PAYLOADS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload=window.__xss=1>',
  "javascript:window.__xss=1//'><a href=javascript:window.__xss=1>x</a>",
];
const LINA = { email: 'li.na@example.com', password: 'demo-agent-lina' };
const CHEN = { email: 'chen.jing@example.com', password: 'demo-supervisor-chen' };

let shop: ShopServer;
let browser: Browser;
let shopper: WsClient;
let conversationId = '';
const customerId = `cus_xss_${randomUUID().slice(0, 8)}`;
const contexts: BrowserContext[] = [];
const dialogs: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

/** Nothing ran, and no element or javascript: link a payload describes made it into the DOM (open shadow roots included). */
async function expectInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  const injected = await page.evaluate(() => {
    const found: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of Array.from(root.querySelectorAll('*'))) {
        if (el.shadowRoot) walk(el.shadowRoot);
        for (const a of Array.from(el.attributes)) {
          if (/^on/i.test(a.name) && /__xss/.test(a.value)) found.push(`${el.tagName} ${a.name}`);
          if (/^(href|src|action|formaction)$/i.test(a.name) && /^\s*javascript:/i.test(a.value)) found.push(`${el.tagName} ${a.name}=${a.value}`);
        }
        if (el.tagName === 'SCRIPT' && /__xss/.test(el.textContent ?? '')) found.push('SCRIPT');
      }
    };
    walk(document);
    return found;
  });
  expect(injected).toEqual([]);
  expect(dialogs).toEqual([]);
}

/** The page's visible text (open shadow roots included). */
function allText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const parts: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      if ('body' in root && root.body) parts.push(root.body.innerText);
      for (const el of Array.from(root.querySelectorAll('*'))) {
        if (el.shadowRoot) {
          parts.push(Array.from(el.shadowRoot.children).map((c) => (c as HTMLElement).innerText ?? '').join('\n'));
          walk(el.shadowRoot);
        }
      }
    };
    walk(document);
    return parts.join('\n');
  });
}

beforeAll(async () => {
  [shop, browser] = await Promise.all([
    startShopServer('sa-xss-', 'xssBrowser2026', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false' }),
    launchChromium(),
  ]);
  const store = shop.server.store;
  await store.customers.create({ id: customerId, displayName: `Eve ${PAYLOADS[0]}`, locale: 'en' });
  const [base] = (await store.products.list({}, { limit: 1 })).items;
  await store.products.upsert({
    id: 'P-XSS-1',
    category: base!.category,
    title: { en: `Evil scarf ${PAYLOADS[2]}`, zh: `围巾 ${PAYLOADS[1]}` },
    description: { en: `Soft ${PAYLOADS[0]} ${PAYLOADS[3]}`, zh: PAYLOADS[1]! },
    price: 1,
    currency: 'CNY',
    stock: 5,
    attributes: {},
    tags: [],
  });
  await store.knowledge.upsert({ slug: 'xss-returns', locale: 'en', title: `Returns ${PAYLOADS[1]}`, body: `# Return an item ${PAYLOADS[2]}\n\nTo return an item ${PAYLOADS[0]} [link](${'javascript:window.__xss=1'})`, category: 'returns', tags: [] });
  shopper = await shop.widget({ customerId, locale: 'en' });
  for (const p of PAYLOADS) {
    const id = randomUUID();
    shopper.send({ type: 'message', id, text: `return an item ${p}` });
    await shopper.waitFor((f) => f.type === 'ack' && f['id'] === id);
  }
  const id = randomUUID();
  shopper.send({ type: 'message', id, text: 'I want to talk to a human' });
  await shopper.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'system');
  conversationId = (await store.conversations.findOpenByCustomer(customerId, 'web'))!.id;
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await shopper?.close();
  await browser?.close();
  await shop?.close();
});

describe('XSS payloads render inert', () => {
  it('the console: queue, transcript, customer name, suggestions, notes, tags and the agent reply', async () => {
    const page = await newPage();
    await page.goto(`${shop.server.url}/console/`);
    await page.locator('#login-email').fill(LINA.email);
    await page.locator('#login-password').fill(LINA.password);
    await page.locator('#login-submit').click();
    await page.locator('#app-view').waitFor({ state: 'visible' });
    await page.locator(`#queue-list .conv-item[data-id="${conversationId}"]`).click();
    await page.locator('#btn-claim').click();
    await page.locator(`#mine-list .conv-item[data-id="${conversationId}"]`).waitFor();
    await expect.poll(() => page.locator('#transcript .msg.customer').count()).toBeGreaterThanOrEqual(PAYLOADS.length);

    await page.locator('#note-input').fill(`note ${PAYLOADS[1]}`);
    await page.locator('#note-add').click();
    await page.locator('#notes .note', { hasText: `note ${PAYLOADS[1]}` }).waitFor();
    await page.locator('#tag-input').fill(PAYLOADS[2]!);
    await page.locator('#tag-input').press('Enter');
    await expect.poll(async () => (await shop.server.store.conversations.get(conversationId))!.tags.length).toBe(1);
    await page.locator('#composer-input').fill(`agent says ${PAYLOADS[0]}`);
    await page.locator('#composer-input').press('Enter');
    await shopper.waitFor((f) => f.type === 'message' && (f['message'] as { text: string }).text === `agent says ${PAYLOADS[0]}`);
    await page.waitForTimeout(300);

    const text = await allText(page);
    for (const p of PAYLOADS) expect(text).toContain(`return an item ${p}`);
    expect(text).toContain(`Eve ${PAYLOADS[0]}`);
    expect(text).toContain(`note ${PAYLOADS[1]}`);
    expect(text).toContain(`agent says ${PAYLOADS[0]}`);
    await expectInert(page);
    // Reload: everything comes back from the server as stored, and is still inert.
    await page.reload();
    await page.locator(`#mine-list .conv-item[data-id="${conversationId}"]`).click();
    await expect.poll(() => page.locator('#transcript .msg').count()).toBeGreaterThanOrEqual(PAYLOADS.length + 1);
    await page.waitForTimeout(500);
    await expectInert(page);
  }, 60_000);

  it('the widget of the signed-in shopper: their messages and the agent reply from the history, a new message, the demo shop grid', async () => {
    const identityToken = signIdentityToken(IDENTITY_SECRET, customerId, Math.floor(Date.now() / 1000) + 600);
    const session = await fetch(`${shop.server.url}/api/web/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locale: 'en', identityToken }),
    });
    const { visitorToken } = (await session.json()) as { visitorToken: string };
    const page = await newPage();
    await page.addInitScript((token) => localStorage.setItem('shop-assistant:visitor', token), visitorToken);
    // A signed-in shopper's page carries their identity token (a page without one is a signed-out visitor).
    await page.route(`${shop.server.url}/`, async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace('<script src="/widget.js"', `<script src="/widget.js" data-identity-token="${identityToken}"`);
      await route.fulfill({ response: res, body: html });
    });
    await page.goto(shop.server.url);
    await page.evaluate(() => (window as unknown as { ShopAssistant: { open(): void } }).ShopAssistant.open());
    const w = page.locator('#shop-assistant-widget');
    await expect.poll(() => w.locator('.log .row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(PAYLOADS.length + 1);
    await w.locator('textarea').fill(`show me evil scarf ${PAYLOADS[1]}`);
    await w.locator('button.send').click();
    await expect.poll(async () => allText(page), { timeout: 15_000 }).toContain(`show me evil scarf ${PAYLOADS[1]}`);
    await page.waitForTimeout(1000);
    const text = await allText(page);
    for (const p of PAYLOADS) expect(text).toContain(`return an item ${p}`);
    expect(text).toContain(`agent says ${PAYLOADS[0]}`);
    await expectInert(page);
  }, 60_000);

  it('the dashboard, with the payloads among the questions of the day', async () => {
    const page = await newPage();
    await page.goto(`${shop.server.url}/dashboard/`);
    await page.locator('#login-email').fill(CHEN.email);
    await page.locator('#login-password').fill(CHEN.password);
    await page.locator('#login-submit').click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toMatch(/^Showing /);
    await page.waitForTimeout(500);
    await expectInert(page);
  }, 60_000);
});
