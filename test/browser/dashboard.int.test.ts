import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import type { DashboardSummary } from '../../app/dashboard/index.js';
import { createLogger } from '../../app/logger.js';
import { hashPassword } from '../../app/passwords.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * The supervisors' dashboard in a real browser (Debian's chromium) against the real server:
 * shoppers talk to the bot through the widget's REST API (some of it nonsense), an agent's
 * hand-off work is written to the store, a supervisor signs in on the page, and the KPI tiles
 * and the SVG charts must show what /api/dashboard/summary says. Plus: an agent is turned
 * away, the language toggle, a preset range and the CSV link.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-dashboard-'));
let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];

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

/** One shopper's chat through the widget's REST API; returns the conversation id. */
async function chat(locale: 'en' | 'zh', texts: string[]): Promise<string> {
  const s = await post<{ visitorToken: string; conversationId: string }>('/api/web/session', { locale });
  // The client id is the channel message id: unique across the whole web channel.
  for (const text of texts) await post('/api/web/messages', { type: 'message', id: randomUUID(), text }, s.visitorToken);
  // A visitor has a conversation from their first message on; the session call names it.
  return (await post<{ conversationId: string }>('/api/web/session', { visitorToken: s.visitorToken })).conversationId;
}

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', EMBEDDINGS_MODEL: 'lexical' }, dir);
  server = await startServer(config, createLogger({ level: 'warn' }));
  const store = server.store;
  const passwordHash = await hashPassword('dashboard pass 1');
  await store.agents.create({ email: 'sup@shop.test', name: 'Sue Pervisor', role: 'supervisor', passwordHash, languages: ['en', 'zh'], skills: [], capacity: 5 });
  const agent = await store.agents.create({ email: 'agent@shop.test', name: 'Andy Agent', role: 'agent', passwordHash, languages: ['en'], skills: [], capacity: 5 });

  const helped = await chat('en', ['hello', 'where is my order SA100001', 'blorptastic wibble frobnicate']);
  const angry = await chat('en', ['qwxz vvkk plonk', 'zzzzq xxyq wub']);
  await chat('zh', ['你好', '有没有跑步鞋']);
  await chat('en', ['qwxz vvkk plonk!']);

  // The agents' side of two hand-offs.
  await store.conversations.enqueue(helped, { priority: 1, reason: 'requested' });
  await store.conversations.claim(helped, agent.id);
  await store.conversations.markFirstResponse(helped, new Date());
  await store.conversations.resolve(helped);
  await store.conversations.rate(helped, 4);
  await store.conversations.enqueue(angry, { priority: 2, reason: 'fallbacks' });

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${server.url}/dashboard/`);
  await page.getByLabel(/email|邮箱/i).fill(email);
  await page.getByLabel(/password|密码/i).fill('dashboard pass 1');
  await page.locator('#login-submit').click();
}

/** The summary as the page's session sees it. */
function apiSummary(page: Page, query = ''): Promise<DashboardSummary> {
  return page.evaluate(async (q) => (await (await fetch(`/api/dashboard/summary${q}`, { credentials: 'same-origin' })).json()) as DashboardSummary, query);
}

const kpi = (page: Page, key: string) => page.locator(`[data-kpi="${key}"]`).getAttribute('data-value');
const seriesValues = (page: Page, chart: string, series: string) =>
  page.locator(`#${chart} g[data-series="${series}"] circle`).evaluateAll((cs) => cs.map((c) => [c.getAttribute('data-day'), Number(c.getAttribute('data-value'))]));
/** Each bar's code (data-key: a reason or intent code, or the star count) and value. */
const bars = (page: Page, chart: string) => page.locator(`#${chart} g[data-key]`).evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-key'), Number(g.getAttribute('data-value'))]));
const str = (v: number | null) => (v === null ? '' : String(v));

describe('dashboard in Chromium against the real server', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await newPage(context);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('asks for a sign-in, then shows the KPI tiles of the summary', async () => {
    const served = await fetch(`${server.url}/dashboard/`, { redirect: 'manual' });
    expect(served.status).toBe(200);
    expect(await served.text()).toContain('/dashboard/app.js');
    await signIn(page, 'sup@shop.test');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toMatch(/^Showing /);
    const s = await apiSummary(page);
    // The data made above is really there.
    expect(s.conversations.total).toBeGreaterThanOrEqual(4);
    expect(s.handoffs.count).toBe(2);
    // The two gibberish misses (a message the classifier is sure is out of scope is answered, not a fallback).
    expect(s.fallbacks.count).toBeGreaterThanOrEqual(2);
    expect(s.csat).toMatchObject({ count: 1, average: 4 });
    expect(s.unanswered.clusters[0]).toMatchObject({ count: 2 }); // the same nonsense typed twice

    expect(await kpi(page, 'conversations')).toBe(String(s.conversations.total));
    expect(await kpi(page, 'containment')).toBe(str(s.containment.rate));
    expect(await kpi(page, 'handoffs')).toBe(String(s.handoffs.count));
    expect(await kpi(page, 'fallbackRate')).toBe(str(s.fallbacks.rate));
    expect(await kpi(page, 'csat')).toBe(str(s.csat.average));
    expect(await kpi(page, 'firstResponse')).toBe(str(s.firstResponse.medianSeconds));
    expect(await kpi(page, 'recCtr')).toBe(str(s.recommendations.ctr));
    expect(await page.locator('[data-kpi="conversations"] .value').textContent()).toBe(String(s.conversations.total));
    expect(await page.locator('[data-kpi="csat"] .value').textContent()).toBe('4');
    expect(await page.locator('#who').textContent()).toContain('Sue Pervisor');
  });

  it('draws the charts from the same numbers, with accessible titles', async () => {
    const s = await apiSummary(page);
    const today = s.daily.at(-1)!;
    expect(await seriesValues(page, 'chart-daily', 'Conversations')).toEqual(s.daily.map((d) => [d.day, d.conversations]));
    expect(await seriesValues(page, 'chart-daily', 'Hand-offs')).toEqual(s.daily.map((d) => [d.day, d.handoffs]));
    expect(await seriesValues(page, 'chart-containment', 'Containment')).toEqual(s.daily.filter((d) => d.containmentRate !== null).map((d) => [d.day, d.containmentRate]));
    expect(await bars(page, 'chart-reasons')).toEqual(s.handoffs.byReason.map((r) => [r.reason, r.count]));
    expect(await bars(page, 'chart-intents')).toEqual(s.intents.top.map((i) => [i.intent, i.count]));
    expect((await bars(page, 'chart-csat')).map(([, v]) => v)).toEqual(s.csat.distribution);
    const daily = page.locator('#chart-daily svg');
    expect(await daily.getAttribute('role')).toBe('img');
    expect(await daily.locator('title').first().textContent()).toBe('Conversations and hand-offs per day');
    expect(await daily.getAttribute('aria-label')).toContain(`${today.day} ${today.conversations}`);
    // The unanswered clusters table has headers and the clusters.
    expect(await page.locator('#unanswered thead th').allTextContents()).toEqual(['Question', 'Messages', 'Also asked as', 'Languages']);
    expect(await page.locator('#unanswered tbody th[scope=row]').allTextContents()).toEqual(s.unanswered.clusters.map((c) => c.text));
  });

  it('switches to Chinese and back', async () => {
    await page.locator('header [data-lang-toggle]').click();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('header h1').textContent()).toBe('客服数据看板');
    expect(await page.locator('#chart-daily svg title').first().textContent()).toBe('每日会话与转人工');
    expect(await page.locator('#unanswered thead th').first().textContent()).toBe('问题');
    await page.locator('header [data-lang-toggle]').click();
    expect(await page.locator('header h1').textContent()).toBe('Support dashboard');
  });

  it('loads a preset range and exports it as CSV', async () => {
    await page.locator('[data-preset="30"]').click();
    await expect.poll(() => page.locator('#chart-daily g[data-series="Conversations"] circle').count(), { timeout: 10_000 }).toBe(30);
    const from = await page.locator('#from').inputValue();
    const to = await page.locator('#to').inputValue();
    const s = await apiSummary(page, `?from=${from}&to=${to}`);
    expect(s.daily).toHaveLength(30);
    expect(await kpi(page, 'conversations')).toBe(String(s.conversations.total));
    const href = await page.locator('#export').getAttribute('href');
    expect(href).toBe(`/api/dashboard/export.csv?from=${from}&to=${to}`);
    const csv = await context.request.get(`${server.url}${href}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-disposition']).toMatch(/^attachment/);
    expect(await csv.text()).toContain(`conversations.total,,${s.conversations.total}\r\n`);
  });
});

describe('an agent on the dashboard', () => {
  it('is told the page needs the supervisor role', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await newPage(context);
    await signIn(page, 'agent@shop.test');
    await expect.poll(() => page.locator('#forbidden-view').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#forbidden-text').textContent()).toContain('主管');
    expect(await page.locator('#app-view').isVisible()).toBe(false);
    await context.close();
  });
});
