import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { ConsoleAuth } from '../app/console/auth.js';
import { parseCsvObjects } from '../app/csv.js';
import { dashboardRoutes, Metrics, type DashboardSummary } from '../app/dashboard/index.js';
import { escapeLabelValue } from '../app/dashboard/metrics.js';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { hashPassword } from '../app/passwords.js';
import { Readiness } from '../app/readiness.js';
import { LexicalEmbeddings } from '../knowledge/index.js';
import { openSqliteStore, type Store } from '../store/index.js';

/** The dashboard's HTTP surface on a real server: roles, ranges, the CSV and /metrics. */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-dash-routes-'));
let store: Store;
let server: http.Server;
let base: string;
const metrics = new Metrics();
const cookies: Record<string, string> = {};

async function login(email: string): Promise<string> {
  const res = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse' }) });
  expect(res.status).toBe(200);
  return /sa_console=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
}

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'store.db') });
  const passwordHash = await hashPassword('correct horse');
  for (const role of ['agent', 'supervisor', 'admin'] as const) {
    await store.agents.create({ email: `${role}@shop.test`, name: role, role, passwordHash, languages: ['en'], skills: [], capacity: 2 });
  }
  // Some data today, so the default range has numbers.
  const c = await store.customers.create({ displayName: 'Sam' });
  const conv = await store.conversations.create({ customerId: c.id, channel: 'web' });
  for (const [text, intent, skill] of [
    ['=HYPERLINK("http://evil")', 'none', 'fallback'],
    ['where is, "my" order\nplease', 'none', 'fallback'],
    ['hi', 'greeting', 'smalltalk'],
  ] as const) {
    const m = await store.messages.append({ conversationId: conv.id, customerId: c.id, direction: 'in', sender: 'customer', channel: 'web', text });
    await store.messages.annotate(m.id, { intent, confidence: 0.5, skill });
  }
  await store.conversations.enqueue(conv.id, { priority: 1, reason: 'fallbacks' });
  await store.conversations.create({ customerId: c.id, channel: 'app' }).then((q) => store.conversations.enqueue(q.id, { priority: 2, reason: 'requested' }));

  const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, adminToken: 'admin-token-0123456789' });
  const app = createHttpApp({ store, logger: createLogger({ level: 'silent' }), readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: false }, (a) => {
    a.use(metrics.httpMiddleware());
    a.use(auth.routes());
    a.use(dashboardRoutes({ store, auth, metrics, embeddings: new LexicalEmbeddings(), timeZone: 'Asia/Shanghai', metricsToken: 'scrape-secret' }));
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const role of ['agent', 'supervisor', 'admin']) cookies[role] = await login(`${role}@shop.test`);
}, 30_000);

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) => fetch(`${base}${url}`, { headers });

describe('GET /api/dashboard/summary', () => {
  it('needs a supervisor or admin', async () => {
    const anonymous = await get('/api/dashboard/summary');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const agent = await get('/api/dashboard/summary', { cookie: cookies.agent! });
    expect(agent.status).toBe(403);
    expect(((await agent.json()) as { error: { message: string } }).error.message).toMatch(/supervisor/);
    for (const who of [{ cookie: cookies.supervisor! }, { cookie: cookies.admin! }, { authorization: 'Bearer admin-token-0123456789' }] as Array<Record<string, string>>) {
      expect((await get('/api/dashboard/summary', who)).status).toBe(200);
    }
  });

  it('answers the last 7 shop days by default', async () => {
    const res = await get('/api/dashboard/summary', { cookie: cookies.supervisor! });
    const s = (await res.json()) as DashboardSummary;
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    expect(s.daily).toHaveLength(7);
    expect(s.to).toBe(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()));
    expect(s.conversations).toEqual({ total: 1, withCustomerMessage: 1 });
    expect(s.fallbacks).toEqual({ count: 2, annotated: 3, rate: Math.round((2 / 3) * 1e4) / 1e4 });
    expect(s.handoffs.byReason).toEqual([{ reason: 'fallbacks', count: 1 }]);
  });

  it('rejects bad and too long ranges with 400', async () => {
    for (const q of ['from=2026-13-01', 'from=2026-03-05&to=2026-03-04', 'from=2025-01-01&to=2026-01-02', 'to=tomorrow', 'from=2026-01-01&from=2026-01-02']) {
      const res = await get(`/api/dashboard/summary?${q}`, { cookie: cookies.supervisor! });
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect((await get('/api/dashboard/summary?from=2025-01-01&to=2025-12-31', { cookie: cookies.supervisor! })).status).toBe(200);
  });
});

describe('GET /api/dashboard/export.csv', () => {
  it('is an attachment that parses back to the summary', async () => {
    const [csvRes, jsonRes] = await Promise.all([
      get('/api/dashboard/export.csv', { cookie: cookies.supervisor! }),
      get('/api/dashboard/summary', { cookie: cookies.supervisor! }),
    ]);
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(csvRes.headers.get('content-disposition')).toMatch(/^attachment; filename="shop-dashboard-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = await csvRes.text();
    const s = (await jsonRes.json()) as DashboardSummary;
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsvObjects(text.replace(/^\uFEFF/, ''));
    expect(Object.keys(rows[0]!)).toEqual(['metric', 'dimension', 'value']);
    const value = (metric: string, dimension = '') => rows.find((r) => r.metric === metric && r.dimension === dimension)?.value;
    expect(value('range.from')).toBe(s.from);
    expect(Number(value('conversations.total'))).toBe(s.conversations.total);
    expect(Number(value('fallbacks.rate'))).toBe(s.fallbacks.rate);
    expect(Number(value('handoffs.by_reason', 'fallbacks'))).toBe(1);
    expect(value('csat.average')).toBe(''); // no ratings: an empty cell, not "null"
    for (const d of s.daily) expect(Number(value('daily.conversations', d.day))).toBe(d.conversations);
    // Shopper text with commas, quotes and a line break survives quoting; a formula is defused.
    const clusters = rows.filter((r) => r.metric === 'unanswered.cluster_count').map((r) => r.dimension);
    expect(clusters).toEqual(expect.arrayContaining(['where is, "my" order\nplease', `'=HYPERLINK("http://evil")`]));
  });

  it('needs the supervisor role too', async () => {
    expect((await get('/api/dashboard/export.csv', { cookie: cookies.agent! })).status).toBe(403);
  });
});

describe('GET /metrics', () => {
  it('needs the metrics bearer token when one is set', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', { authorization: 'Bearer wrong' })).status).toBe(401);
    const res = await get('/metrics', { authorization: 'Bearer scrape-secret' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('exports the scrape-time gauges from the store and the counted requests', async () => {
    const text = await (await get('/metrics', { authorization: 'Bearer scrape-secret' })).text();
    expect(text).toContain('# TYPE shop_queue_length gauge\nshop_queue_length 2\n');
    expect(text).toContain('shop_conversations{status="queued"} 2\n');
    expect(text).toContain('shop_conversations{status="assigned"} 0\n');
    expect(text).toContain('shop_conversations{status="bot"} 0\n');
    expect(text).toContain('shop_agents{status="offline"} 3\n');
    expect(text).toMatch(/\nshop_oldest_queued_seconds \d+\n/);
    // The earlier 401s and 200s of this file, counted by the middleware.
    expect(text).toMatch(/\nshop_http_requests_total\{method="GET",status="401"\} \d+\n/);
    expect(metrics.value('shop_http_requests_total', { method: 'GET', status: '403' })).toBeGreaterThanOrEqual(2);
  });
});

describe('Metrics', () => {
  it('writes counters, gauges and histograms in the 0.0.4 text format', () => {
    const m = new Metrics();
    m.inc('shop_turns_total', { channel: 'web' });
    m.inc('shop_turns_total', { channel: 'web' }, 2);
    m.inc('shop_handoffs_total', { reason: 'say "hi"\\now\nplease' });
    m.set('shop_queue_length', 4);
    m.observe('shop_turn_seconds', 0.03);
    m.observe('shop_turn_seconds', 0.3);
    m.observe('shop_turn_seconds', 30);
    const text = m.text();
    expect(text).toContain('# HELP shop_turns_total Shopper messages the bot handled, by channel.\n# TYPE shop_turns_total counter\nshop_turns_total{channel="web"} 3\n');
    expect(text).toContain('shop_handoffs_total{reason="say \\"hi\\"\\\\now\\nplease"} 1\n');
    expect(text).toContain('shop_queue_length 4\n');
    // 0.03 falls in le=0.05 and every bucket after; 0.3 from le=0.5; 30 only in +Inf.
    expect(text).toContain(
      [
        'shop_turn_seconds_bucket{le="0.025"} 0',
        'shop_turn_seconds_bucket{le="0.05"} 1',
        'shop_turn_seconds_bucket{le="0.1"} 1',
        'shop_turn_seconds_bucket{le="0.25"} 1',
        'shop_turn_seconds_bucket{le="0.5"} 2',
        'shop_turn_seconds_bucket{le="1"} 2',
        'shop_turn_seconds_bucket{le="2.5"} 2',
        'shop_turn_seconds_bucket{le="5"} 2',
        'shop_turn_seconds_bucket{le="10"} 2',
        'shop_turn_seconds_bucket{le="+Inf"} 3',
        `shop_turn_seconds_sum ${0.03 + 0.3 + 30}`,
        'shop_turn_seconds_count 3',
      ].join('\n'),
    );
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-z_:]+(\{.*\})? [-+0-9.eInfNa]+)$/);
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('refuses undeclared metrics, labels and kinds', () => {
    const m = new Metrics();
    expect(() => m.inc('shop_typo_total')).toThrow(/not declared/);
    expect(() => m.inc('shop_turns_total', { chanel: 'web' })).toThrow(/no label chanel/);
    expect(() => m.observe('shop_turns_total', 1)).toThrow(/is a counter/);
    expect(() => m.inc('shop_turns_total', { channel: 'web' }, -1)).toThrow();
  });

  it('counts requests of any router when mounted first', async () => {
    const m = new Metrics();
    const app = express();
    app.use(m.httpMiddleware());
    app.get('/ok', (_req, res) => void res.send('ok'));
    const s = http.createServer(app);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await fetch(`${url}/ok`);
    await fetch(`${url}/missing`);
    await fetch(`${url}/ok`, { method: 'PROPFIND' });
    await new Promise<void>((r) => s.close(() => r()));
    expect(m.value('shop_http_requests_total', { method: 'GET', status: '200' })).toBe(1);
    expect(m.value('shop_http_requests_total', { method: 'GET', status: '404' })).toBe(1);
    expect(m.value('shop_http_requests_total', { method: 'OTHER', status: '404' })).toBe(1);
  });
});
