/**
 * The widget in Chromium when the store fails mid-turn: the shopper's message was stored, its
 * reply was not. The widget says once that the message will be sent again, sends it again
 * with the same id after the server's retryAfterSeconds, and shows the answer; the store
 * keeps one copy of the message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { launchChromium } from '../helpers/browser.js';
import { storedByChannelId } from '../helpers/stored.js';
import { failNextReply } from './inject.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-widget-retry-'));
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent' }, dir), createLogger({ level: 'silent' }));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});


describe('widget: a message the store could not answer is sent again and answered', () => {
  it('tells the shopper once, retries with the same id after retryAfterSeconds, shows the answer; stored once', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const sent: Array<{ id: string; text: string }> = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        const frame = JSON.parse(String(f.payload)) as { type: string; id?: string; text?: string };
        if (frame.type === 'message') sent.push({ id: frame.id!, text: frame.text! });
      }),
    );
    await page.goto(server.url);
    const w = page.locator('#shop-assistant-widget');
    await w.locator('button.launcher').click();
    await w.locator('section.panel').waitFor({ state: 'visible' });
    // Wait until the socket is up (the greeting history arrived), then make the reply fail.
    await expect.poll(() => page.evaluate(() => window.ShopAssistant !== undefined)).toBe(true);
    await page.waitForTimeout(500);
    failNextReply(server.store.messages);
    await w.locator('textarea').fill('what is your return policy?');
    await w.locator('textarea').press('Enter');

    const notice = w.locator('.log .row.notice');
    await expect.poll(() => notice.count(), { timeout: 10_000 }).toBe(1);
    expect(await notice.first().innerText()).toMatch(/sent again automatically|自动重新发送/);
    // (The demo page sets the widget to Chinese.) The answer arrives after the retry (Retry-After 5 s plus backoff).
    await expect.poll(() => w.locator('.log .row.bot').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const mine = sent.filter((f) => f.text === 'what is your return policy?');
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(new Set(mine.map((f) => f.id)).size).toBe(1);
    expect(await notice.count()).toBe(1);

    const copies = await storedByChannelId(server.store, 'web', mine[0]!.id);
    expect(copies).toHaveLength(1);
    const stored = copies[0];
    const all = await server.store.messages.listByConversation(stored!.conversationId, { limit: 100 });
    expect(all.some((m) => m.sender === 'bot' && m.seq > stored!.seq)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
