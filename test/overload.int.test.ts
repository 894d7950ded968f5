/**
 * Overload: a real server with tiny limits (1 turn at a time, 2 waiting, 6 sockets, 3
 * frames per socket) flooded over the widget REST API, the widget socket, the app API and
 * WeChat. Sheds are 503 with Retry-After (or an `unavailable` / `rate_limited` frame, or
 * WeChat's busy line); nothing refused is stored, everything accepted is stored once, the
 * turn queue never exceeds its bound, and the server answers normally afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSignatureHeaders } from '../channels/app/index.js';
import { BUSY_TEXT } from '../channels/wechat/index.js';
import type { Message } from '../store/index.js';
import { startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';
import { WsClient } from './helpers/ws-client.js';

const APP_SECRET = 'overload-app-secret-0123456789abcdefghij';
const LIMITS = { MAX_CONCURRENT_TURNS: '1', MAX_QUEUED_TURNS: '2', TURN_QUEUE_WAIT_MS: '3000', MAX_SOCKETS: '6', MAX_SOCKET_PENDING_FRAMES: '3' };
let shop: ShopServer;
let maxQueuedSeen = 0;
let sampler: NodeJS.Timeout;

beforeAll(async () => {
  shop = await startShopServer('sa-overload-', 'overloadToken1', {
    EMBEDDINGS_MODEL: 'lexical',
    APP_HMAC_SECRET: APP_SECRET,
    RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    ...LIMITS,
  });
  sampler = setInterval(() => {
    maxQueuedSeen = Math.max(maxQueuedSeen, shop.server.admission.stats().queued);
  }, 2);
}, 120_000);

afterAll(async () => {
  clearInterval(sampler);
  await shop?.close();
});

const TEXTS = ['where is my order 1001?', 'what is your return policy?', 'recommend a gift for my dad', 'hello there!'];

async function visitorToken(): Promise<string> {
  const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"locale":"en"}' });
  return ((await res.json()) as { visitorToken: string }).visitorToken;
}

interface Sent {
  channel: 'web' | 'app' | 'wechat';
  tag: string;
  status: number;
  retryAfter: string | null;
  body: string;
  retry: () => Promise<{ status: number }>;
}

async function webPost(token: string, id: string, text: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const res = await fetch(`${shop.server.url}/api/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ id, text }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

async function appPost(userId: string, key: string, text: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const raw = JSON.stringify({ userId, text });
  const url = `${shop.server.url}/api/app/v1/conversations/app:${userId}/messages`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target: url, idempotencyKey: key, body: raw }) },
    body: raw,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

/** Every stored inbound message, across channels. */
async function storedInbound(): Promise<Message[]> {
  const all: Message[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await shop.server.store.messages.listByTime({ from: new Date(0), to: new Date(Date.now() + 60_000) }, { limit: 500, cursor });
    all.push(...page.items.filter((m) => m.direction === 'in'));
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

const countTag = (messages: Message[], tag: string) => messages.filter((m) => m.text.includes(tag)).length;

describe('overload', () => {
  it('sheds a flood on every channel with 503 + Retry-After, stores each accepted message once and none refused, then recovers', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => visitorToken()));
    const sends: Array<Promise<Sent>> = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 30; i++) {
        const tag = `[w${round}-${i}-${randomUUID().slice(0, 8)}]`;
        const token = tokens[i % tokens.length]!;
        const id = randomUUID();
        const text = `${TEXTS[i % TEXTS.length]} ${tag}`;
        sends.push(webPost(token, id, text).then((r) => ({ channel: 'web', tag, ...r, retry: () => webPost(token, id, text) })));
      }
      for (let i = 0; i < 30; i++) {
        const tag = `[a${round}-${i}-${randomUUID().slice(0, 8)}]`;
        const user = `user-${i % 10}`;
        const key = randomUUID();
        const text = `${TEXTS[i % TEXTS.length]} ${tag}`;
        sends.push(appPost(user, key, text).then((r) => ({ channel: 'app', tag, ...r, retry: () => appPost(user, key, text) })));
      }
      for (let i = 0; i < 10; i++) {
        const tag = `[x${round}-${i}-${randomUUID().slice(0, 8)}]`;
        sends.push(
          wechatPost(shop, 'gh_overload', `openid-${i}`, `${TEXTS[i % TEXTS.length]} ${tag}`).then((r) => ({
            channel: 'wechat',
            tag,
            status: r.status,
            retryAfter: null,
            body: r.body,
            retry: () => Promise.resolve({ status: 200 }),
          })),
        );
      }
    }
    const results = await Promise.all(sends);

    // Only 200 and 503: nothing else, no 5xx but the documented overload answer.
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 200 || s === 503), `statuses ${[...statuses].join(',')}`).toBe(true);
    const shed = results.filter((r) => r.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    expect(results.some((r) => r.status === 200 && r.channel !== 'wechat')).toBe(true);
    for (const r of shed) {
      expect(r.channel).not.toBe('wechat'); // WeChat always gets 200: `success` or a passive reply
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect((JSON.parse(r.body) as { error: { code: string; reason?: string } }).error).toMatchObject({ code: 'unavailable', reason: 'overloaded' });
    }
    // The wait queue never held more than its bound.
    expect(maxQueuedSeen).toBeLessThanOrEqual(Number(LIMITS.MAX_QUEUED_TURNS));
    expect(shop.server.admission.stats().shed).toBeGreaterThanOrEqual(shed.length);

    // Accepted: stored exactly once. Refused (web, app): not stored at all. WeChat: always stored.
    let stored = await storedInbound();
    for (const r of results) {
      const expected = r.status === 200 ? 1 : 0;
      expect(countTag(stored, r.tag), `${r.channel} ${r.tag} status ${r.status}`).toBe(expected);
    }
    const busy = results.filter((r) => r.channel === 'wechat' && r.body.includes(BUSY_TEXT.slice(0, 10)));
    // (Overloaded WeChat messages were stored and answered with the busy line.)
    expect(busy.length + results.filter((r) => r.channel === 'wechat' && !r.body.includes(BUSY_TEXT.slice(0, 10))).length).toBe(30);

    // Clients retry the refused ones with the same id / key, a few at a time: all get in.
    for (const r of shed) {
      let status = 503;
      for (let attempt = 0; attempt < 20 && status === 503; attempt++) {
        status = (await r.retry()).status;
        if (status === 503) await new Promise((res) => setTimeout(res, 50));
      }
      expect(status).toBe(200);
    }
    stored = await storedInbound();
    for (const r of results) expect(countTag(stored, r.tag), r.tag).toBe(1);

    // Recovered: the queue is empty, a normal message gets an answer.
    expect(shop.server.admission.stats()).toMatchObject({ running: 0, queued: 0 });
    const ok = await webPost(tokens[0]!, randomUUID(), 'what is your return policy?');
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
    // 210 requests through one process: the heap did not grow with the flood (generous bound: no leak per request).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);

  it('bounds the frames waiting on one widget socket and the number of open sockets', async () => {
    const c = await shop.widget();
    const ids: string[] = Array.from({ length: 20 }, () => randomUUID());
    for (const [i, id] of ids.entries()) c.send({ type: 'message', id, text: `${TEXTS[i % TEXTS.length]} [s-${id}]` });
    // Every message gets either an ack or an error frame (rate_limited: too many waiting here; unavailable: node full).
    for (const id of ids) await c.waitFor((f) => (f.type === 'ack' || f.type === 'error') && f['id'] === id, { timeoutMs: 20_000 });
    const acked: string[] = ids.filter((id) => c.frames.some((f) => f.type === 'ack' && f['id'] === id));
    const refused = c.frames.filter((f) => f.type === 'error' && ids.includes(f['id'] as string));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((f) => f['code'] === 'rate_limited' || f['code'] === 'unavailable')).toBe(true);
    expect(acked.length + refused.length).toBe(ids.length);
    const stored = await storedInbound();
    for (const id of ids) expect(countTag(stored, `[s-${id}]`)).toBe(acked.includes(id) ? 1 : 0);

    // MAX_SOCKETS = 6: one is open; five more fit, the seventh is refused with 503.
    const token = await visitorToken();
    const url = `${shop.server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(token)}`;
    const more: WsClient[] = [];
    for (let i = 0; i < 5; i++) more.push(await WsClient.connect(url));
    await expect(WsClient.connect(url)).rejects.toThrow(/HTTP 503/);
    // A closed socket frees its place.
    await more.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    more.push(await WsClient.connect(url));
    for (const m of more) await m.close();
  }, 60_000);
});
