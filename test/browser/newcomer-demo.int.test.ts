import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { launchChromium } from '../helpers/browser.js';
import { contrastOf } from './newcomer-contrast.js';

/**
 * What a newcomer sees on the demo shop (issue 15): the page speaks the browser's language
 * (zh* → Chinese, anything else → English) with a visible EN / 中文 switch, the widget follows
 * the page's language, and the widget's small print is readable (contrast at least 4.5:1).
 */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-newcomer-demo-'));
let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];
const contexts: BrowserContext[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', EMBEDDINGS_MODEL: 'lexical' }, dir);
  [server, browser] = await Promise.all([startServer(config, createLogger({ level: 'warn' })), launchChromium()]);
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: BrowserContextOptions, languages?: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, ...options });
  contexts.push(context);
  if (languages) {
    // A browser set to several languages (Playwright's locale sets only one).
    await context.addInitScript((list: string[]) => {
      Object.defineProperty(navigator, 'languages', { get: () => list });
      Object.defineProperty(navigator, 'language', { get: () => list[0] });
    }, languages);
  }
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  return page;
}

const launcher = (page: Page) => page.locator('#shop-assistant-widget button.launcher');

/** The page's language as a newcomer sees it, and the widget's. */
async function languageOf(page: Page) {
  await launcher(page).waitFor({ state: 'visible' });
  return {
    html: await page.getAttribute('html', 'lang'),
    headline: await page.locator('.hero h1').innerText(),
    pressed: await page.locator('.lang button[aria-pressed="true"]').getAttribute('data-lang'),
    widgetTag: await page.locator('script[src="/widget.js"]').getAttribute('data-locale'),
    widget: await page.locator('#shop-assistant-widget .sa').getAttribute('lang'),
    launcher: await launcher(page).innerText(),
  };
}

const ENGLISH = { html: 'en', headline: 'Good things, chosen with care', pressed: 'en', widgetTag: 'en', widget: 'en', launcher: expect.stringContaining('Open chat') };
const CHINESE = { html: 'zh-CN', headline: '精选好物，竹径相伴', pressed: 'zh', widgetTag: 'zh', widget: 'zh-CN', launcher: expect.stringContaining('打开在线客服') };

describe('the demo page speaks the browser’s language', () => {
  it('English for an en-US browser, with the widget in English', async () => {
    const page = await open({ locale: 'en-US' });
    expect(await languageOf(page)).toEqual(ENGLISH);
    expect(await page.locator('.lang').isVisible()).toBe(true);
  });

  it('Chinese for a zh-CN browser, with the widget in Chinese', async () => {
    const page = await open({ locale: 'zh-CN' });
    expect(await languageOf(page)).toEqual(CHINESE);
  });

  it('English for a browser in neither language; Chinese when Chinese comes before English in its list', async () => {
    expect(await languageOf(await open({ locale: 'fr-FR' }))).toEqual(ENGLISH);
    expect(await languageOf(await open({ locale: 'fr-FR' }, ['fr-FR', 'zh-TW', 'en-GB']))).toEqual(CHINESE);
    expect(await languageOf(await open({ locale: 'fr-FR' }, ['de-DE', 'en-GB', 'zh-CN']))).toEqual(ENGLISH);
  });

  it('the visible switch changes the page and the widget, and is remembered over a reload', async () => {
    const page = await open({ locale: 'en-US' });
    expect(await languageOf(page)).toEqual(ENGLISH);
    await page.locator('.lang button[data-lang="zh"]').click();
    await expect.poll(() => launcher(page).innerText()).toContain('打开在线客服');
    expect(await languageOf(page)).toEqual(CHINESE);
    await page.reload();
    expect(await languageOf(page)).toEqual(CHINESE);
    // And back, with the panel open: the widget's own texts follow too.
    await launcher(page).click();
    const input = page.locator('#shop-assistant-widget textarea');
    expect(await input.getAttribute('placeholder')).toBe('输入消息…');
    await page.locator('.lang button[data-lang="en"]').click();
    await expect.poll(() => input.getAttribute('placeholder')).toBe('Type a message…');
    expect(await launcher(page).innerText()).toContain('Close chat');
    expect(await page.locator('.hero h1').innerText()).toBe(ENGLISH.headline);
  });
});

describe('the widget’s small print', () => {
  it('the product grid shows each product\'s own picture, loaded (no 404, no placeholder)', async () => {
    const page = await open({ locale: 'en-US' });
    const images = page.locator('.product .ph img');
    await images.first().waitFor({ state: 'attached' });
    const count = await images.count();
    expect(count).toBeGreaterThanOrEqual(8);
    // Loaded: every picture decoded with a size (a 404 would fall back to the category drawing, an <svg>).
    await expect
      .poll(() => page.$$eval('.product .ph img', (list) => list.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length))
      .toBe(count);
    const srcs = await page.$$eval('.product .ph img', (list) => list.map((i) => (i as HTMLImageElement).getAttribute('src')));
    for (const src of srcs) expect(src).toMatch(/^\/demo\/img\/[A-Z0-9-]+\.svg$/);
    expect(await page.locator('.product .ph svg').count()).toBe(0);
  });

  it('"Powered by" has a contrast of at least 4.5:1 against the composer, in both languages', async () => {
    for (const [locale, text] of [
      ['en-US', 'Powered by Shop Assistant'],
      ['zh-CN', '由 Shop Assistant 提供支持'],
    ] as const) {
      const page = await open({ locale });
      await launcher(page).click();
      const powered = page.locator('#shop-assistant-widget .powered');
      await powered.waitFor({ state: 'visible' });
      const c = await contrastOf(powered);
      expect(c.text).toBe(text);
      expect(c.ratio, JSON.stringify(c)).toBeGreaterThanOrEqual(4.5);
    }
  });
});
