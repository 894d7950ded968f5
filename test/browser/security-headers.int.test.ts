import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startShopServer, type ShopServer } from '../helpers/shop-server.js';

/**
 * The security headers in Chromium: the demo shop (with the widget), the console and the
 * dashboard load under their Content-Security-Policy without one violation, and the
 * widget still opens and talks to the server over its socket.
 */

let shop: ShopServer;
let browser: Browser;

beforeAll(async () => {
  [shop, browser] = await Promise.all([startShopServer('sa-csp-', 'cspBrowser2026', { EMBEDDINGS_MODEL: 'lexical' }), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

/** Opens a page, recording every CSP violation (console messages and the DOM event). */
async function open(path: string): Promise<{ page: Page; violations: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  const res = await page.goto(`${shop.server.url}${path}`, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res?.headers()['x-frame-options']).toBe('DENY');
  return { page, violations };
}

describe('content security policy in the browser', () => {
  it('the demo shop renders its products and the widget answers, with no violation', async () => {
    const { page, violations } = await open('/');
    await expect.poll(() => page.locator('#grid article.product').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // The widget lives in an open shadow root; Playwright's CSS locators pierce it.
    const w = page.locator('#shop-assistant-widget');
    await w.locator('button.launcher').click();
    const bot = w.locator('.log .row.bot');
    await w.locator('textarea').waitFor();
    const before = await bot.count();
    await w.locator('textarea').fill('hello');
    await w.locator('button.send').click();
    // The bot's answer came back over the WebSocket (connect-src 'self' allows ws: on the same origin).
    await expect.poll(() => bot.count(), { timeout: 20_000 }).toBeGreaterThan(before);
    expect(violations).toEqual([]);
    await page.context().close();
  }, 60_000);

  it.each(['/console/', '/dashboard/'])('%s loads its script and styles with no violation', async (path) => {
    const { page, violations } = await open(path);
    // The app script ran: it rendered something interactive (the sign-in form).
    await page.locator('input[type="password"], input[type="email"], button').first().waitFor({ timeout: 20_000 });
    const sheets = await page.evaluate(() => document.styleSheets.length);
    expect(sheets).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    await page.context().close();
  }, 60_000);
});
