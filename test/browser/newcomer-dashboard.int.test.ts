import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import type { DashboardSummary } from '../../app/dashboard/index.js';
import { createLogger } from '../../app/logger.js';
import { hashPassword } from '../../app/passwords.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * What a supervisor new to the dashboard meets (issue 15): hand-off reasons and intents as
 * words in English and Chinese (never raw codes), a dashboard that is Chinese all through
 * when switched to Chinese (the "Showing … to …" line, durations, role, languages), and key
 * figures that fit a 390 px wide phone without sideways scrolling.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-newcomer-dashboard-'));
let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];
const contexts: BrowserContext[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${server.url}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.status, `${url}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
}

/** One shopper's chat with the bot through the widget's REST API; returns the conversation id. */
async function chat(locale: 'en' | 'zh', texts: string[]): Promise<string> {
  const s = await post<{ visitorToken: string }>('/api/web/session', { locale });
  for (const text of texts) await post('/api/web/messages', { type: 'message', id: randomUUID(), text }, s.visitorToken);
  return (await post<{ conversationId: string }>('/api/web/session', { visitorToken: s.visitorToken })).conversationId;
}

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', EMBEDDINGS_MODEL: 'lexical' }, dir);
  [server, browser] = await Promise.all([startServer(config, createLogger({ level: 'warn' })), launchChromium()]);
  const store = server.store;
  const passwordHash = await hashPassword('dashboard pass 1');
  await store.agents.create({ email: 'new.sup@shop.test', name: 'Nina Newcomer', role: 'supervisor', passwordHash, languages: ['en', 'zh'], skills: [], capacity: 5 });
  const agent = await store.agents.create({ email: 'new.agent@shop.test', name: 'Andy Agent', role: 'agent', passwordHash, languages: ['en'], skills: [], capacity: 5 });

  const lost = await chat('en', ['hello']);
  const asked = await chat('zh', ['你好', '有没有跑步鞋']);
  const sized = await chat('en', ['hello']);
  // Messages the bot could not answer, in both languages, annotated as the bot does (whatever it
  // makes of such text today): the intents chart and the unanswered questions have them.
  for (const [conversationId, text] of [
    [lost, 'qwxz vvkk plonk'],
    [lost, 'zzzzq xxyq wub'],
    [sized, 'what is the weather on mars'],
    [asked, '啊啊啊啦啦啦呜呜'],
  ] as const) {
    const conv = (await store.conversations.get(conversationId))!;
    const m = await store.messages.append({ conversationId, customerId: conv.customerId, direction: 'in', sender: 'customer', channel: 'web', text });
    await store.messages.annotate(m.id, { intent: 'out_of_scope', confidence: 0.2, skill: 'fallback' });
  }
  await store.conversations.enqueue(lost, { priority: 10, reason: 'fallbacks' });
  await store.conversations.enqueue(asked, { priority: 20, reason: 'requested' });
  await store.conversations.enqueue(sized, { priority: 20, reason: 'skill:size_guide' });
  // A handled one, for the time figures.
  await store.conversations.claim(asked, agent.id);
  await store.conversations.markFirstResponse(asked, new Date(Date.now() + 75_000));
}, 180_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function signedIn(options: BrowserContextOptions): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.url}/dashboard/`);
  await page.locator('#login-email').fill('new.sup@shop.test');
  await page.locator('#login-password').fill('dashboard pass 1');
  await page.locator('#login-submit').click();
  await page.locator('[data-kpi="conversations"]').waitFor();
  return page;
}

function apiSummary(page: Page): Promise<DashboardSummary> {
  return page.evaluate(async () => (await (await fetch('/api/dashboard/summary', { credentials: 'same-origin' })).json()) as DashboardSummary);
}

/** Each bar of a chart: its code (data-key) and the label drawn beside it. */
const bars = (page: Page, chart: string) =>
  page.locator(`#${chart} g[data-key]`).evaluateAll((gs) => gs.map((g): [string, string] => [g.getAttribute('data-key') ?? '', g.querySelector('text')?.textContent ?? '']));
/** Everything a chart shows or reads out: its drawn texts and its accessible label. */
const chartWords = (page: Page, chart: string) =>
  page.locator(`#${chart} svg`).evaluate((svg) => [svg.getAttribute('aria-label') ?? '', ...Array.from(svg.querySelectorAll('text'), (t) => t.textContent ?? '')].join('\n'));
const RAW_CODE = /\b[a-z]+_[a-z_]+\b|\bskill:/;
const toggle = (page: Page) => page.locator('header [data-lang-toggle]').click();

describe('hand-off reasons and intents are words in both languages', () => {
  it('on the reason and intent charts, drawn and read out', async () => {
    const page = await signedIn({ locale: 'en-US' });
    const s = await apiSummary(page);
    // The codes are really there (the chart's data-key keeps them for scripts).
    expect(s.handoffs.byReason.map((r) => r.reason).sort()).toEqual(['fallbacks', 'requested', 'skill:size_guide']);
    expect(s.intents.top.map((i) => i.intent)).toContain('out_of_scope');

    const reasons = new Map(await bars(page, 'chart-reasons'));
    expect(Object.fromEntries(reasons)).toEqual({ fallbacks: 'Bot could not answer', requested: 'Asked for a person', 'skill:size_guide': 'Skill: Size guide' });
    const intents = new Map(await bars(page, 'chart-intents'));
    expect(intents.get('out_of_scope')).toBe('Off-topic');
    expect(intents.get('greeting')).toBe('Greeting');
    expect(await chartWords(page, 'chart-reasons')).not.toMatch(RAW_CODE);
    expect(await chartWords(page, 'chart-intents')).not.toMatch(RAW_CODE);
    expect(await chartWords(page, 'chart-reasons')).toContain('Bot could not answer 1');

    await toggle(page);
    const zhReasons = new Map(await bars(page, 'chart-reasons'));
    expect(Object.fromEntries(zhReasons)).toEqual({ fallbacks: '机器人无法解答', requested: '要求人工', 'skill:size_guide': '技能：Size guide' });
    const zhIntents = new Map(await bars(page, 'chart-intents'));
    expect(zhIntents.get('out_of_scope')).toBe('无关话题');
    expect(zhIntents.get('greeting')).toBe('问候');
    expect(await chartWords(page, 'chart-reasons')).not.toMatch(RAW_CODE);
    expect(await chartWords(page, 'chart-intents')).not.toMatch(RAW_CODE);
  });
});

describe('the dashboard in Chinese', () => {
  it('switched to Chinese: the "Showing … to …" line, durations, the role and languages are Chinese too', async () => {
    const page = await signedIn({ locale: 'en-US' });
    const from = await page.locator('#from').inputValue();
    const to = await page.locator('#to').inputValue();
    expect(await page.locator('#status').innerText()).toBe(`Showing ${from} to ${to}.`);
    expect(await page.locator('#who').innerText()).toBe('Nina Newcomer · supervisor');
    expect(await page.locator('[data-kpi="firstResponse"] .value').innerText()).toMatch(/^1m 1\ds$/);

    await toggle(page);
    expect(await page.locator('#status').innerText()).toBe(`显示 ${from} 至 ${to}。`);
    expect(await page.locator('#who').innerText()).toBe('Nina Newcomer · 主管');
    expect(await page.locator('[data-kpi="firstResponse"] .value').innerText()).toMatch(/^1 分 1\d 秒$/);
    const languages = await page.locator('#unanswered tbody td:last-child').allInnerTexts();
    expect(languages.length).toBeGreaterThan(0);
    for (const l of languages) expect(l).toMatch(/^(英文|中文)(、(英文|中文))*$/);
    // No English sentence is left: every text of the page but names, dates, numbers and
    // abbreviations (CSV, CTR, ROAS, p90) is Chinese.
    const english = await page.locator('#app-view').evaluate((root) => {
      const out: string[] = [];
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = (n.textContent ?? '').trim();
        // Skipped: the switch (it names the other language), what shoppers wrote, the names.
        if (!text || n.parentElement?.closest('[hidden], [data-lang-toggle], #unanswered tbody, #ads tbody, #who')) continue;
        // "Size guide" is the readable form of a skill's own reason code no table can know.
        const words = text.replace(/\b(CSV|CTR|ROAS|p90|SA\d+|Size guide)\b/g, '').match(/[A-Za-z]{3,}/g);
        if (words) out.push(text);
      }
      return out;
    });
    expect(english).toEqual([]);

    // And back: the same line in English again.
    await toggle(page);
    expect(await page.locator('#status').innerText()).toBe(`Showing ${from} to ${to}.`);
  });

  it('a Chinese browser starts in Chinese, and a new range keeps it Chinese', async () => {
    const page = await signedIn({ locale: 'zh-CN' });
    await expect.poll(() => page.locator('#status').innerText()).toMatch(/^显示 \d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d。$/);
    await page.locator('[data-preset="7"]').click();
    await expect.poll(() => page.locator('#chart-daily g[data-series] circle').count()).toBe(14);
    // The status line is written when the new range's summary has loaded ("加载中…" until then).
    await expect.poll(() => page.locator('#status').innerText()).toMatch(/^显示 \d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d。$/);
  });
});

describe('on a 390 px wide phone', () => {
  for (const locale of ['en-US', 'zh-CN']) {
    it(`nothing scrolls sideways: the key figures fit (${locale})`, async () => {
      const page = await signedIn({ locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(sizes.client).toBe(390);
      expect(sizes.scroll, JSON.stringify(sizes)).toBeLessThanOrEqual(sizes.client);
      const tiles = await page.locator('.kpi').evaluateAll((els) =>
        els.map((e) => ({ kpi: (e as HTMLElement).dataset['kpi'], right: Math.round(e.getBoundingClientRect().right), overflow: e.scrollWidth > e.clientWidth })),
      );
      expect(tiles).toHaveLength(10);
      for (const t of tiles) expect(t, JSON.stringify(t)).toMatchObject({ overflow: false });
      for (const t of tiles) expect(t.right, JSON.stringify(t)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: `/tmp/dashboard-390-${locale}.png`, fullPage: true });
    });
  }
});
