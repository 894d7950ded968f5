/**
 * Property-based fuzzing of every public HTTP endpoint of the real server (README "HTTP
 * endpoints", the channel sections, the console, admin and dashboard APIs): random JSON
 * bodies (deep, huge, unicode, nulls, arrays for objects, numbers as strings, `__proto__`,
 * `constructor`, query operators), random query strings, path parameters and headers,
 * with no, bad and valid credentials (admin token, console session with and without CSRF,
 * visitor token, app signature, WeChat signature); and random frames on the widget and
 * console sockets.
 *
 * Properties: no 5xx but 503; every 4xx of an API is our JSON error with `error.code`; the
 * server answers /healthz after every batch; no unhandled rejection or uncaught exception.
 * FUZZ_SEED reproduces a run, FUZZ_RUNS scales it (default 1 = the CI budget).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hashPassword } from '../../app/passwords.js';
import { requestSignatureHeaders } from '../../channels/app/signature.js';
import { wechatSignature } from '../../channels/wechat/index.js';
import { startShopServer, type ShopServer } from '../helpers/shop-server.js';

const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef0123456789';
const APP_SECRET = 'fuzz-app-hmac-secret-0123456789abcdef012345';
const WECHAT_TOKEN = 'fuzztoken';
const PASSWORD = 'fuzz password 0123';
const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

let shop: ShopServer;
let base = '';
let session = { cookie: '', csrf: '' };
let visitorToken = '';
let productId = 'P-NONE';
let agentId = 'agt_none';
let conversationId = 'conv_none';
const processErrors: unknown[] = [];
const onProcessError = (e: unknown) => processErrors.push(e);
let tried = 0;
const statusCounts = new Map<number, number>();

// ---- arbitraries -------------------------------------------------------------------------

const FIELD_NAMES = [
  'email', 'password', 'name', 'role', 'languages', 'skills', 'capacity', 'status', 'text', 'id', 'value', 'locale',
  'userId', 'customerId', 'wechatUnionId', 'visitorToken', 'identityToken', 'events', 'productId', 'type', 'at', 'revenue',
  'bid', 'dailyBudget', 'startsAt', 'endsAt', 'targeting', 'categories', 'intents', 'keywords', 'slug', 'title', 'body',
  'category', 'tags', 'toAgentId', 'on', 'from', 'conversation', 'channelId', 'serviceUrl', 'recipient', 'before',
  '__proto__', 'constructor', 'prototype', 'length', '$gt', '$ne', '$where', '$regex', 'toString', 'valueOf', 'hasOwnProperty',
];

const weirdString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\u0000', '\uFEFF', '\uD800', '😀'.repeat(3), '我想退货', '<script>alert(1)</script>', '../../etc/passwd',
      '%00', '%', 'NaN', 'Infinity', '-0', '1e309', '9007199254740993', 'null', 'true', '[]', '{}', 'admin@example.com',
      'li.na@example.com', 'agent', 'admin', 'active', 'online', 'en', 'zh', 'purchase', 'app:u1', '2026-02-30', '9999-12-31',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => 'x'.repeat(2 ** n * 50)) },
  { weight: 1, arbitrary: fc.double().map(String) },
);

/** encodeURIComponent, with lone surrogates (which it refuses) replaced. */
const safeEncode = (s: string) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, (ch, i: number, all: string) => (/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(all.slice(i, i + 2)) || /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(all.slice(i - 1, i + 1)) ? ch : '\uFFFD')));

const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

/** JSON values that are hostile to naive handlers; objects are built with defineProperty so `__proto__` is an own key. */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(-1, 0, 1e21, Number.MAX_SAFE_INTEGER + 2, -1e-7, 100, 101, 500, 501),
    weirdString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 8 }).map(toObject),
    // Objects that cannot become a primitive, and fake lengths: zod's length checks threw on them (a 500).
    fc.constantFrom<unknown>({ length: [{ toString: null }] }, { length: { valueOf: null, toString: null } }, { toString: null, valueOf: null }, { length: 1e9 }, [{ toString: null }]),
  ),
})).value;

function toObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** A body: usually a JSON object keyed by the API's own field names, sometimes any JSON, sometimes not JSON at all. */
const body = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.tuple(key, jsonValue), { maxLength: 10 }).map((e) => JSON.stringify(toObject(e))) },
  { weight: 2, arbitrary: jsonValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', '\u0000', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', `{"x":"${'y'.repeat(300_000)}"}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((d) => '['.repeat(d * 50) + ']'.repeat(d * 50)) },
);

const queryValue = fc.oneof(weirdString.map((s) => s.slice(0, 1500)), fc.constantFrom('0', '1', '-1', '100', '101', 'true', 'false', '2026-01-01', '2026-13-45', 'en', 'zh', 'x'));
const QUERY_KEYS = ['q', 'locale', 'k', 'lang', 'category', 'inStock', 'minPrice', 'maxPrice', 'limit', 'cursor', 'from', 'to', 'role', 'status', 'after', 'before', 'timestamp', 'nonce', 'signature', 'msg_signature', 'echostr', 'encrypt_type', '__proto__', 'constructor', 'q[$gt]', 'limit[]'];
const query = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), queryValue), { maxLength: 5 })
  .map((pairs) => {
    // Long-poll `wait` is never random: a real wait would only slow the run down.
    const qs = pairs.map(([k, v]) => `${safeEncode(k)}=${safeEncode(v)}`).join('&');
    return qs;
  });

const pathParam = fc.oneof(
  { weight: 3, arbitrary: weirdString.map((s) => safeEncode(s.slice(0, 300)) || 'x') },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..%2F..%2Fpackage.json', '%00', 'app%3Au1', '__proto__', 'constructor') },
  { weight: 2, arbitrary: fc.constant('@known') },
);

type Auth = 'none' | 'badBearer' | 'admin' | 'session' | 'sessionNoCsrf' | 'badCookie' | 'visitor';
const auth = fc.constantFrom<Auth>('none', 'badBearer', 'admin', 'session', 'sessionNoCsrf', 'badCookie', 'visitor');
const contentType = fc.constantFrom('application/json', 'application/json', 'text/plain', 'text/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16');
const extraHeaders = fc.dictionary(
  fc.constantFrom('x-request-id', 'accept', 'accept-language', 'x-forwarded-for', 'origin', 'idempotency-key', 'x-shop-timestamp', 'x-shop-signature', 'if-none-match', 'range'),
  fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  { maxKeys: 3 },
);

// ---- endpoints ---------------------------------------------------------------------------

interface Endpoint {
  method: string;
  path: string;
  /** The 4xx answer is not our JSON error: pages people open in a browser (help, demo shop, card links), WeChat's plain-text protocol. */
  nonJsonErrors?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/api/products' },
  { method: 'GET', path: '/api/products/:product' },
  { method: 'GET', path: '/api/categories' },
  { method: 'GET', path: '/api/knowledge/search' },
  { method: 'GET', path: '/help/:slug', nonJsonErrors: true },
  // A card link is opened by a person in a browser: a bad one is a short plain-text page.
  { method: 'GET', path: '/r/:token', nonJsonErrors: true },
  { method: 'HEAD', path: '/r/:token' },
  { method: 'POST', path: '/api/admin/interactions' },
  { method: 'GET', path: '/api/admin/ads/report' },
  { method: 'GET', path: '/demo/p/:product', nonJsonErrors: true },
  { method: 'GET', path: '/demo/cart/add/:product', nonJsonErrors: true },
  { method: 'GET', path: '/console/', nonJsonErrors: true },
  { method: 'GET', path: '/dashboard/', nonJsonErrors: true },
  { method: 'GET', path: '/widget.js', nonJsonErrors: true },
  { method: 'POST', path: '/api/console/login' },
  { method: 'GET', path: '/api/console/me' },
  { method: 'PUT', path: '/api/console/me/status' },
  { method: 'GET', path: '/api/console/queue' },
  { method: 'GET', path: '/api/console/agents' },
  { method: 'GET', path: '/api/console/canned' },
  { method: 'GET', path: '/api/console/conversations/:conversation' },
  ...['claim', 'messages', 'transfer', 'reassign', 'resolve', 'notes', 'typing'].map((a) => ({ method: 'POST', path: `/api/console/conversations/:conversation/${a}` })),
  { method: 'PUT', path: '/api/console/conversations/:conversation/tags' },
  { method: 'GET', path: '/api/dashboard/summary' },
  { method: 'GET', path: '/api/dashboard/export.csv' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/api/admin/agents' },
  { method: 'POST', path: '/api/admin/agents' },
  { method: 'PATCH', path: '/api/admin/agents/:agent' },
  { method: 'DELETE', path: '/api/admin/agents/:agent' },
  { method: 'GET', path: '/api/admin/campaigns' },
  { method: 'GET', path: '/api/admin/campaigns/:campaign' },
  { method: 'POST', path: '/api/admin/campaigns' },
  { method: 'PATCH', path: '/api/admin/campaigns/:campaign' },
  { method: 'DELETE', path: '/api/admin/campaigns/:campaign' },
  { method: 'GET', path: '/api/admin/knowledge' },
  { method: 'POST', path: '/api/admin/knowledge' },
  { method: 'GET', path: '/api/admin/knowledge/:article' },
  { method: 'PUT', path: '/api/admin/knowledge/:article' },
  { method: 'DELETE', path: '/api/admin/knowledge/:article' },
  { method: 'POST', path: '/api/web/session' },
  { method: 'POST', path: '/api/web/messages' },
  { method: 'GET', path: '/api/web/messages' },
  { method: 'GET', path: '/api/app/v1/openapi.json' },
  { method: 'GET', path: '/api/app/v1/push/dead-letters' },
  { method: 'POST', path: '/api/app/v1/conversations/:appConversation/messages' },
  { method: 'GET', path: '/api/app/v1/conversations/:appConversation/messages' },
  { method: 'POST', path: '/api/messages' },
  { method: 'GET', path: '/wechat', nonJsonErrors: true },
  { method: 'POST', path: '/wechat', nonJsonErrors: true },
  { method: 'GET', path: '/:random' },
  { method: 'DELETE', path: '/api/products' },
];

function known(param: string): string {
  switch (param) {
    case 'product':
      return productId;
    case 'agent':
      return agentId;
    case 'conversation':
      return conversationId;
    case 'appConversation':
      return 'app:fuzz-user';
    case 'slug':
      return 'returns-policy';
    default:
      return 'x';
  }
}

interface Case {
  endpoint: Endpoint;
  params: string[];
  query: string;
  body: string;
  auth: Auth;
  contentType: string;
  headers: Record<string, string>;
  /** Sign the call as the app backend (app API) or WeChat (the /wechat webhook). */
  signed: boolean;
}

const caseFor = (endpoints: Endpoint[]) =>
  fc.record({
    endpoint: fc.constantFrom(...endpoints),
    params: fc.array(pathParam, { minLength: 2, maxLength: 2 }),
    query,
    body,
    auth,
    contentType,
    headers: extraHeaders,
    signed: fc.boolean(),
  });

async function send(c: Case): Promise<{ status: number; text: string; contentType: string; url: string }> {
  let i = 0;
  let p = c.endpoint.path.replace(/:(\w+)/g, (_m, name: string) => {
    const v = c.params[i++] ?? 'x';
    return v === '@known' ? encodeURIComponent(known(name)) : v;
  });
  let qs = c.query;
  if (p.startsWith('/api/app/') && c.endpoint.method === 'GET') qs = qs.replace(/(^|&)wait=[^&]*/g, '');
  const headers: Record<string, string> = { ...c.headers };
  if (c.contentType) headers['content-type'] = c.contentType;
  if (c.auth === 'badBearer') headers['authorization'] = `Bearer ${ADMIN_TOKEN.slice(0, -1)}x`;
  if (c.auth === 'admin') headers['authorization'] = `Bearer ${ADMIN_TOKEN}`;
  if (c.auth === 'session' || c.auth === 'sessionNoCsrf') headers['cookie'] = session.cookie;
  if (c.auth === 'session') headers['x-csrf-token'] = session.csrf;
  if (c.auth === 'badCookie') headers['cookie'] = `sa_console=${encodeURIComponent(c.params[0] ?? 'x')}; x=%E0%A4%A`;
  if (c.auth === 'visitor') headers['authorization'] = `Bearer ${visitorToken}`;
  const hasBody = !['GET', 'HEAD'].includes(c.endpoint.method);
  if (c.signed && p.startsWith('/api/app/')) {
    if (hasBody && !headers['idempotency-key']) headers['idempotency-key'] = randomUUID();
    // Signed (v1) over the target as fetch sends it (the URL parser's serialisation of path and query).
    const target = `${base}${p}${qs ? `?${qs}` : ''}`;
    Object.assign(headers, requestSignatureHeaders(APP_SECRET, { method: c.endpoint.method, target, idempotencyKey: headers['idempotency-key'], ...(hasBody ? { body: c.body } : {}) }));
  }
  if (c.signed && p === '/wechat') {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    qs = `${qs}&timestamp=${timestamp}&nonce=${nonce}&signature=${wechatSignature(WECHAT_TOKEN, timestamp, nonce)}`;
  }
  if (p === '/api/console/login' && c.auth === 'session') p = '/api/console/me'; // keep the shared session's lockout state clean
  const url = `${base}${p}${qs ? `?${qs}` : ''}`;
  const res = await fetch(url, { method: c.endpoint.method, headers, redirect: 'manual', ...(hasBody ? { body: c.body } : {}) });
  const text = c.endpoint.method === 'HEAD' ? '' : await res.text();
  return { status: res.status, text, contentType: res.headers.get('content-type') ?? '', url };
}

function checkResponse(c: Case, r: { status: number; text: string; contentType: string; url: string }): void {
  tried++;
  statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);
  const where = `${c.endpoint.method} ${r.url.slice(0, 300)} -> ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status < 500 || r.status === 503, where).toBe(true);
  // 431: Node's own HTTP parser refuses headers (URL included) over 16 KB before the app sees the request.
  if (r.status >= 400 && r.status !== 431 && c.endpoint.method !== 'HEAD' && !c.endpoint.nonJsonErrors) {
    expect(r.contentType, where).toMatch(/application\/json/);
    const json = JSON.parse(r.text) as { error?: { code?: unknown } };
    expect(typeof json.error?.code, where).toBe('string');
  }
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), 'Object.prototype polluted').toBe(false);
}

async function healthy(): Promise<void> {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
  expect(processErrors).toEqual([]);
}

beforeAll(async () => {
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  shop = await startShopServer('sa-fuzz-http-', WECHAT_TOKEN, {
    EMBEDDINGS_MODEL: 'lexical',
    ADMIN_TOKEN,
    APP_HMAC_SECRET: APP_SECRET,
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
    KNOWLEDGE_SEARCH_PER_MINUTE: '1000000',
  });
  base = shop.server.url;
  const store = shop.server.store;
  const admin = await store.agents.create({ email: 'fuzz.admin@shop.example', name: 'Fuzz Admin', role: 'admin', passwordHash: await hashPassword(PASSWORD), languages: ['en', 'zh'], skills: [], capacity: 3 });
  // The known id in /api/admin/agents/:id is another agent's: the fuzzer may delete or demote it, never the session's own.
  agentId = (await store.agents.create({ email: 'fuzz.target@shop.example', name: 'Fuzz Target', role: 'agent', passwordHash: await hashPassword(PASSWORD), languages: ['en'], skills: [], capacity: 3 })).id;
  const login = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: admin.email, password: PASSWORD }) });
  expect(login.status).toBe(200);
  session = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: ((await login.json()) as { csrfToken: string }).csrfToken };
  const web = await fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const w = (await web.json()) as { visitorToken: string; conversationId: string };
  visitorToken = w.visitorToken;
  // An anonymous visitor has a conversation from their first message on.
  const first = await fetch(`${base}/api/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${visitorToken}` },
    body: JSON.stringify({ id: 'fuzz-first', text: 'hello' }),
  });
  conversationId = ((await first.json()) as { replies: Array<{ conversationId: string }> }).replies[0]!.conversationId;
  productId = (await store.products.list({}, { limit: 1 })).items[0]?.id ?? productId;
  console.log(`http fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces it)`);
}, 60_000);

afterAll(async () => {
  console.log(`http fuzz: ${tried} requests; statuses ${JSON.stringify(Object.fromEntries([...statusCounts].sort((a, b) => a[0] - b[0])))}`);
  await shop?.close();
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
});

const byPrefix = (...prefixes: string[]) => ENDPOINTS.filter((e) => prefixes.some((p) => e.path.startsWith(p)));

describe('HTTP fuzz: every public endpoint', () => {
  const groups: Array<[string, Endpoint[], number]> = [
    ['public catalogue, knowledge, pages and links', byPrefix('/healthz', '/readyz', '/api/products', '/api/categories', '/api/knowledge', '/help', '/r/', '/demo', '/console/', '/dashboard/', '/widget.js', '/metrics', '/:random'), 400],
    ['console API (sessions, CSRF, roles)', byPrefix('/api/console'), 400],
    ['admin API and dashboard', byPrefix('/api/admin', '/api/dashboard'), 500],
    ['web channel REST', byPrefix('/api/web'), 250],
    ['app channel (signed and not)', byPrefix('/api/app'), 250],
    ['Bot Framework and WeChat webhooks', byPrefix('/api/messages', '/wechat'), 250],
  ];
  for (const [name, endpoints, n] of groups) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(caseFor(endpoints), async (c) => {
          checkResponse(c, await send(c));
        }),
        { seed: SEED, numRuns: runs(n), endOnFailure: true },
      );
      await healthy();
    }, 120_000);
  }

  /** Widget frames (client kinds with hostile fields), console frames, invalid JSON, binary and over-16-KB frames. */
  const frame = fc.oneof(
    { weight: 5, arbitrary: fc.record({ type: fc.constantFrom('message', 'postback', 'typing', 'history', 'ping', 'hello', 'unknown', '__proto__'), id: jsonValue, text: jsonValue, value: jsonValue, before: jsonValue, on: jsonValue }, { requiredKeys: ['type'] }).map((f) => JSON.stringify(f)) },
    { weight: 2, arbitrary: body },
    { weight: 1, arbitrary: fc.integer({ min: 16, max: 40 }).map((kb) => JSON.stringify({ type: 'message', id: 'big', text: 'x'.repeat(kb * 1024) })) },
  );

  async function socketSurvives(url: string, headers: Record<string, string>, frames: string[], binary: boolean): Promise<void> {
    const ws = new WebSocket(url, { headers });
    const got: string[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (d) => got.push(d.toString()));
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    for (const f of frames) ws.send(binary ? Buffer.from(f) : f);
    ws.send(JSON.stringify({ type: 'ping' }));
    // Alive (answers the ping, or for the console, is still open), or closed with a proper code: never a dropped connection.
    const pong = new Promise<{ code?: number }>((resolve) => {
      const check = () => (got.some((g) => g.includes('"pong"')) ? resolve({}) : setTimeout(check, 20));
      check();
    });
    const outcome = await Promise.race([
      closed.then((code) => ({ code })),
      pong,
      new Promise<{ code?: number }>((resolve) => setTimeout(() => resolve({}), url.includes('/ws/console') ? 300 : 5000)),
    ]);
    tried++;
    for (const text of got) expect(() => JSON.parse(text) as unknown, text.slice(0, 200)).not.toThrow();
    if (outcome.code !== undefined) expect(outcome.code, `closed with ${outcome.code} after ${JSON.stringify(frames).slice(0, 300)}`).not.toBe(1006);
    else expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.terminate();
  }

  it('widget and console sockets: random frames get an error frame or a clean close, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), async (frames, consoleSocket, binary) => {
        if (consoleSocket) await socketSurvives(`${base.replace('http', 'ws')}/ws/console`, { cookie: session.cookie, origin: base }, frames, binary);
        else await socketSurvives(`${base.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`, {}, frames, binary);
      }),
      { seed: SEED, numRuns: runs(150), endOnFailure: true },
    );
    await healthy();
  }, 120_000);

  /** Writes a raw upgrade request; resolves with what the server said once it closed the connection (rejects after 10 s). */
  function rawUpgrade(target: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(shop.server.port, '127.0.0.1', () =>
        socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
      );
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`upgrade to ${target.slice(0, 200)} left open with no answer; read: ${JSON.stringify(data.slice(0, 200))}`));
      }, 10_000);
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(data);
      });
    });
  }

  it('WebSocket upgrades to any path no socket serves: exactly one answer (404, or 400 for a target that is not a URL), then closed', async () => {
    const target = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.array(pathParam, { minLength: 1, maxLength: 3 }), query).map(([segments, qs]) => `/${segments.join('/')}${qs ? `?${qs}` : ''}`) },
      { weight: 1, arbitrary: fc.constantFrom('/ws/web/', '/ws/WEB', '/ws/console/', '/ws', '/', '//ws/web', 'http://[', 'http://%zz/', 'http://x/ws/nope', '*', '/ws/web%00') },
    );
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        // The served paths are the sockets' own (the socket fuzz above covers them).
        let served = false;
        try {
          served = ['/ws/web', '/ws/console'].includes(new URL(t, 'http://localhost').pathname);
        } catch {
          served = false;
        }
        fc.pre(!served);
        const raw = await rawUpgrade(t);
        tried++;
        const statuses = raw.split('\r\n').filter((l) => /^HTTP\/1\.1 \d{3}/.test(l));
        // Node's own parser refuses some targets (400) before any listener sees them; ours answer 404 or 400.
        expect(statuses, `${t.slice(0, 200)} -> ${raw.slice(0, 200)}`).toHaveLength(1);
        expect(statuses[0], t.slice(0, 200)).toMatch(/^HTTP\/1\.1 (400|404|414|431) /);
      }),
      { seed: SEED, numRuns: runs(150), endOnFailure: true },
    );
    await healthy();
  }, 120_000);

  it('a login with query operators for the email or password is a 400, never a match', async () => {
    for (const payload of [{ email: { $gt: '' }, password: PASSWORD }, { email: 'fuzz.admin@shop.example', password: { $ne: null } }, { email: ['fuzz.admin@shop.example'], password: PASSWORD }]) {
      const res = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      tried++;
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    await healthy();
  });
});
