import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * The widget in a real browser (Debian's chromium) against the real server: the demo page,
 * keyboard use, a conversation, quick replies, a reload with history replay, the unread
 * badge, the REST fallback, and the narrow (phone) layout.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-widget-'));
let server: RunningServer;
let browser: Browser;
/** Uncaught errors in any page: a test that leaves one fails. */
const pageErrors: string[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'warn' }, dir);
  server = await startServer(config, createLogger({ level: 'warn' }));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  key: string;
  sender: string;
  text: string;
}

/** The widget's parts; Playwright's CSS locators pierce the open shadow root. */
function widget(page: Page) {
  const w = page.locator('#shop-assistant-widget');
  return {
    launcher: w.locator('button.launcher'),
    badge: w.locator('.launcher .badge'),
    panel: w.locator('section.panel'),
    log: w.locator('.log'),
    input: w.locator('textarea'),
    send: w.locator('button.send'),
    close: w.locator('.head button'),
    chips: w.locator('.scroller > .chips .chip'),
    botRows: w.locator('.log .row.bot'),
    rows: w.locator('.log .row'),
  };
}

/** What the shadow root has focused (document.activeElement is the host). */
function focusedClass(page: Page): Promise<string> {
  return page.evaluate(() => {
    const host = document.getElementById('shop-assistant-widget');
    const el = host?.shadowRoot?.activeElement;
    return el ? `${el.tagName.toLowerCase()}.${el.className}` : `outside:${document.activeElement?.tagName ?? ''}`;
  });
}

async function transcript(page: Page): Promise<Row[]> {
  return widget(page)
    .rows.evaluateAll((rows) =>
      rows.map((r) => ({
        key: r.getAttribute('data-key') ?? '',
        sender: ['customer', 'bot', 'agent', 'system'].find((c) => r.classList.contains(c)) ?? '',
        text: r.querySelector('.bubble')?.textContent ?? '',
      })),
    );
}

async function countSettles(locator: Locator, atLeast: number): Promise<number> {
  await expect.poll(() => locator.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(atLeast);
  return locator.count();
}

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

describe('chat widget in Chromium against the real server', () => {
  let context: BrowserContext;
  let page: Page;
  let before: Row[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 820 }, locale: 'zh-CN' });
    page = await newPage(context);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('serves the demo shop with its products and one widget script', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.locator('#grid article.product').count(), { timeout: 15_000 }).toBe(12);
    await expect.poll(() => page.locator('#cats button').count()).toBeGreaterThan(1);
    expect(await page.locator('script[src="/widget.js"]').getAttribute('data-locale')).toBe('zh');
    await widget(page).launcher.waitFor({ state: 'visible' });
    expect(await page.evaluate(() => typeof window.ShopAssistant?.open)).toBe('function');
  });

  it('has the roles and labels screen readers need', async () => {
    const w = widget(page);
    expect(await w.launcher.getAttribute('aria-expanded')).toBe('false');
    expect(await w.launcher.getAttribute('aria-haspopup')).toBe('dialog');
    expect(await w.launcher.getAttribute('aria-controls')).toBe('sa-panel');
    expect(await w.launcher.innerText()).toContain('打开在线客服');
    expect(await w.panel.getAttribute('role')).toBe('dialog');
    expect(await w.panel.getAttribute('aria-modal')).toBe('true');
    expect(await w.panel.getAttribute('aria-labelledby')).toBe('sa-title');
    expect(await w.log.getAttribute('role')).toBe('log');
    expect(await w.log.getAttribute('aria-live')).toBe('polite');
    expect(await w.input.getAttribute('aria-label')).toBe('消息');
    expect(await w.send.getAttribute('aria-label')).toBe('发送');
    expect(await w.close.getAttribute('aria-label')).toBe('关闭');
  });

  it('opens from the keyboard, sends "hello" with Enter and shows the bot reply', async () => {
    const w = widget(page);
    // Tab through the page until the launcher (the last control on the page) has focus.
    let found = false;
    for (let i = 0; i < 80 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await focusedClass(page)).startsWith('button.launcher');
    }
    expect(found).toBe(true);
    await page.keyboard.press('Enter');
    await w.panel.waitFor({ state: 'visible' });
    expect(await w.launcher.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => focusedClass(page)).toBe('textarea.');

    await page.keyboard.type('hello');
    await page.keyboard.press('Enter');
    await countSettles(w.botRows, 1);
    const rows = await transcript(page);
    expect(rows[0]).toMatchObject({ sender: 'customer', text: 'hello' });
    expect(rows[1]?.sender).toBe('bot');
    expect(rows[1]?.text).toMatch(/Bamboo Lane|竹径优选/);
    await expect.poll(() => w.input.inputValue()).toBe('');
    // The server acknowledged it: the row shows "sent".
    await expect.poll(() => w.rows.first().getAttribute('class')).toContain('sent');
  });

  it('Shift+Enter makes a new line and the counter appears near the limit', async () => {
    const w = widget(page);
    await w.input.focus();
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    expect(await w.input.inputValue()).toBe('line one\nline two');
    await w.input.fill('x'.repeat(1900));
    await w.input.dispatchEvent('input');
    expect(await page.locator('#shop-assistant-widget .counter').innerText()).toBe('1900 / 2000');
    expect(await w.input.getAttribute('maxlength')).toBe('2000');
    await w.input.fill('');
    await w.input.dispatchEvent('input');
    expect(await w.send.isDisabled()).toBe(true);
  });

  it('sends a quick reply as a postback and gets an answer', async () => {
    const w = widget(page);
    const chips = await countSettles(w.chips, 1);
    expect(chips).toBeGreaterThan(1);
    const title = (await w.chips.first().innerText()).trim();
    const botBefore = await w.botRows.count();
    await w.chips.first().click();
    await countSettles(w.botRows, botBefore + 1);
    const rows = await transcript(page);
    expect(rows.filter((r) => r.sender === 'customer').map((r) => r.text)).toEqual(['hello', title]);
    // Answered: the chips of the old message are gone (the new answer may bring its own).
    expect(rows.at(-1)?.sender).toBe('bot');
  });

  it('takes a screenshot of the open panel', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: '/tmp/widget.png' });
  });

  it('closes with Esc and gives focus back to the launcher', async () => {
    const w = widget(page);
    await w.input.focus();
    await page.keyboard.press('Escape');
    await w.panel.waitFor({ state: 'hidden' });
    expect(await w.launcher.getAttribute('aria-expanded')).toBe('false');
    expect(await focusedClass(page)).toMatch(/^button\.launcher/);
    before = await transcript(page);
    expect(before.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps the shopper and the history over a reload, without duplicates', async () => {
    const token = await page.evaluate(() => localStorage.getItem('shop-assistant:visitor'));
    expect(token).toBeTruthy();
    await page.reload();
    const w = widget(page);
    await w.launcher.click();
    await countSettles(w.rows, before.length);
    // Let late frames (hello, history) land, then compare.
    await page.waitForTimeout(500);
    const after = await transcript(page);
    // Same messages in the same order (our own rows were keyed by their client ids before).
    expect(after.map((r) => [r.sender, r.text])).toEqual(before.map((r) => [r.sender, r.text]));
    expect(new Set(after.map((r) => r.key)).size).toBe(after.length);
    expect(await page.evaluate(() => localStorage.getItem('shop-assistant:visitor'))).toBe(token);
  });

  it('counts a reply that arrives while the panel is closed on the launcher badge', async () => {
    const w = widget(page);
    await w.close.click();
    await w.panel.waitFor({ state: 'hidden' });
    expect(await w.badge.isHidden()).toBe(true);

    // A support agent answers while the panel is closed (the store plus the event bus, as the agent console will).
    const token = await page.evaluate(() => localStorage.getItem('shop-assistant:visitor'));
    const res = await fetch(`${server.url}/api/web/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorToken: token }),
    });
    const s = (await res.json()) as { customerId: string; conversationId: string };
    const message = await server.store.messages.append({
      conversationId: s.conversationId,
      customerId: s.customerId,
      direction: 'out',
      sender: 'agent',
      channel: 'web',
      text: '您好，我是客服小林，请问有什么可以帮您？',
    });
    server.events.publish({ type: 'message', message });

    await w.badge.waitFor({ state: 'visible' });
    expect(await w.badge.innerText()).toBe('1');
    expect(await w.launcher.innerText()).toContain('1 条未读消息');

    await w.launcher.click();
    await w.panel.waitFor({ state: 'visible' });
    expect(await w.badge.isHidden()).toBe(true);
    const rows = await transcript(page);
    expect(rows.at(-1)).toMatchObject({ key: message.id, sender: 'agent', text: message.text });
  });
});

describe('chat widget when WebSockets are blocked', () => {
  it('falls back to REST (POST and polling) and shows each message once', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, locale: 'en-US' });
    // A network that refuses WebSockets (some corporate proxies): every socket fails before opening.
    await context.addInitScript(() => {
      class Refused extends EventTarget {
        static readonly CONNECTING = 0;
        static readonly OPEN = 1;
        static readonly CLOSING = 2;
        static readonly CLOSED = 3;
        readyState = 0;
        onopen: ((e: Event) => void) | null = null;
        onmessage: ((e: MessageEvent) => void) | null = null;
        onclose: ((e: Event) => void) | null = null;
        constructor(readonly url: string) {
          super();
          setTimeout(() => {
            this.readyState = 3;
            this.onclose?.(new Event('close'));
          }, 10);
        }
        send(): void {
          throw new Error('not open');
        }
        close(): void {
          this.readyState = 3;
        }
      }
      Object.defineProperty(window, 'WebSocket', { value: Refused });
    });
    const page = await newPage(context);
    try {
      await page.goto(server.url);
      const w = widget(page);
      await w.launcher.click();
      await w.input.fill('hello');
      await w.input.press('Enter');
      await countSettles(w.botRows, 1);
      // Several poll rounds (every 3 s) must not add copies of what the POST returned.
      await page.waitForTimeout(7000);
      const rows = await transcript(page);
      expect(rows.map((r) => r.sender)).toEqual(['customer', 'bot']);
      expect(rows[0]?.text).toBe('hello');
      expect(await w.rows.first().getAttribute('class')).toContain('sent');
      // An en-US browser: the demo page, and so the widget, speak English.
      expect(await page.locator('#shop-assistant-widget .status').innerText()).toContain('Online');
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('chat widget on a phone', () => {
  it('opens full screen in English and hides the launcher behind it', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    const page = await newPage(context);
    try {
      await page.goto(server.url);
      await page.evaluate(() => window.ShopAssistant?.setLocale('en'));
      await page.evaluate(() => window.ShopAssistant?.open());
      const w = widget(page);
      await w.panel.waitFor({ state: 'visible' });
      // The panel slides in: measure once its opening animation has settled.
      await expect
        .poll(async () => {
          const b = await w.panel.boundingBox();
          return b && { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
        })
        .toEqual({ x: 0, y: 0, width: 390, height: 780 });
      expect(await w.launcher.isHidden()).toBe(true);
      expect(await w.input.getAttribute('placeholder')).toBe('Type a message…');
      await page.screenshot({ path: '/tmp/widget-phone.png' });
    } finally {
      await context.close();
    }
  });
});
