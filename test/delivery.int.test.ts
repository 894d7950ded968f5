import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeEvent, encodeEvent, INTERRUPTED_ERROR, OutboundDelivery, type ShopEvent } from '../bots/index.js';
import { createLogger } from '../app/logger.js';
import type { Message } from '../store/index.js';
import { until as poll } from './helpers/poll.js';
import { startShopServer, wechatPost, type ShopServer, consoleApi, consoleLogin, type ConsoleSession } from './helpers/shop-server.js';

/**
 * Out-of-turn delivery end to end: the real server in this process, the fake WeChat API (a
 * real HTTP server speaking WeChat's JSON) and a local app push webhook. Transient failures
 * are retried and end `sent`; permanent ones are `failed` at once; running out of attempts
 * ends `failed`; the console shows the marks live and its Retry sends the SAME message.
 */

const OA = 'gh_delivery_test';
const ATTEMPTS = 3;
let shop: ShopServer;

/** The app backend's push webhook: the first attempt of every delivery answers 502, the next 200. */
const pushes: Array<{ attempt: number; deliveryId: string; messageId: string; text: string }> = [];
let webhook: Server;
let webhookUrl = '';

type Session = ConsoleSession;
let lina: Session;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: { id: string; text: string } };
      const attempt = Number(req.headers['x-shop-delivery-attempt']);
      pushes.push({ attempt, deliveryId: String(req.headers['x-shop-delivery-id']), messageId: body.message.id, text: body.message.text });
      res.writeHead(attempt === 1 ? 502 : 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/push`;
  shop = await startShopServer('sa-delivery-', 'deliveryToken1', {
    EMBEDDINGS_MODEL: 'lexical',
    HANDOFF_AUTO_ASSIGN: 'false',
    OUTBOUND_RETRY_ATTEMPTS: String(ATTEMPTS),
    OUTBOUND_RETRY_BASE_MS: '20',
    OUTBOUND_RETRY_MAX_DELAY_MS: '60',
    APP_HMAC_SECRET: 'delivery-test-app-secret-0123456789abcdef',
    APP_PUSH_URL: webhookUrl,
  });
  lina = await login('li.na@example.com', 'demo-agent-lina');
}, 120_000);

afterAll(async () => {
  await shop?.close();
  await new Promise((r) => webhook?.close(r));
});

const login = (email: string, password: string): Promise<Session> => consoleLogin(shop.server.url, email, password);
const api = (s: Session, method: string, path: string, body?: unknown) => consoleApi(shop.server.url, s, method, path, body);

/** A WeChat shopper handed to the queue and claimed by Li Na; returns the conversation id. */
async function wechatConversation(openId: string): Promise<string> {
  expect((await wechatPost(shop, OA, openId, '我要转人工')).status).toBe(200);
  const customer = (await shop.server.store.customers.findByIdentity('wechat', openId))!;
  const conv = (await shop.server.store.conversations.findOpenByCustomer(customer.id, 'wechat'))!;
  expect((await api(lina, 'POST', `/api/console/conversations/${conv.id}/claim`)).status).toBe(200);
  return conv.id;
}

/** Deliveries here retry within 20 to 60 ms: 8 s is plenty, and fails well inside the test's timeout. */
const until = <T>(what: string, get: () => Promise<T | undefined> | T | undefined) => poll(what, get, { timeoutMs: 8000, everyMs: 20 });

/** The agent's stored message with this text in the conversation (a refused reply answers with an error, not the message). */
async function storedByText(convId: string, text: string): Promise<Message> {
  const all = await shop.server.store.messages.listByConversation(convId, { limit: 500 });
  const hits = all.filter((m) => m.sender === 'agent' && m.text === text);
  expect(hits).toHaveLength(1);
  return hits[0]!;
}

async function finalDelivery(messageId: string): Promise<Message> {
  return until(`the delivery of ${messageId} to settle`, async () => {
    const m = await shop.server.store.messages.get(messageId);
    return m?.delivery && m.delivery.status !== 'pending' ? m : undefined;
  });
}

const sentTo = (openId: string, text: string) => shop.fake.sent.filter((s) => s.touser === openId && s.text?.content === text).length;

interface Transcript {
  id: string;
  text: string;
  delivery?: { status: string; attempts: number; error?: string };
}
async function transcript(convId: string): Promise<Transcript[]> {
  const d = await api(lina, 'GET', `/api/console/conversations/${convId}`);
  expect(d.status).toBe(200);
  return d.json['transcript'] as Transcript[];
}

describe('WeChat customer-service sends', () => {
  it('errcode -1 (system busy) twice: the reply answers 201 pending, is retried in the background and ends sent after 3 attempts; the console socket sees it', async () => {
    const openId = `o_busy_${Date.now()}`;
    const convId = await wechatConversation(openId);
    const ws = new WebSocket(`${shop.server.url.replace('http', 'ws')}/ws/console`, { headers: { cookie: lina.cookie } });
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    await until('hello', () => frames.find((f) => f['type'] === 'hello'));

    shop.fake.failNext(-1, 'send', 2);
    const text = '您好，我来帮您查一下。';
    const r = await api(lina, 'POST', `/api/console/conversations/${convId}/messages`, { text });
    expect(r.status).toBe(201);
    const msg = r.json['message'] as Transcript;
    expect(msg.delivery).toMatchObject({ status: 'pending', attempts: 1 });
    expect(msg.delivery!.error).toMatch(/errcode -1/);

    const done = await finalDelivery(msg.id);
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 3 });
    expect(done.delivery!.attempts).toBeGreaterThan(1);
    expect(sentTo(openId, text)).toBe(1);

    const seen = await until('a sent delivery frame', () =>
      frames.find((f) => f['type'] === 'delivery' && f['messageId'] === msg.id && (f['delivery'] as { status: string }).status === 'sent'),
    );
    expect(seen['conversationId']).toBe(convId);
    expect(frames.some((f) => f['type'] === 'delivery' && f['messageId'] === msg.id && (f['delivery'] as { status: string }).status === 'pending')).toBe(true);
    ws.close();

    const t = await transcript(convId);
    expect(t.filter((m) => m.text === text)).toEqual([expect.objectContaining({ id: msg.id, delivery: expect.objectContaining({ status: 'sent', attempts: 3 }) })]);
  }, 30_000);

  it('HTTP 500 from WeChat once: retried, sent after 2 attempts', async () => {
    const openId = `o_http500_${Date.now()}`;
    const convId = await wechatConversation(openId);
    shop.fake.httpFailNext(500, 1);
    const text = 'HTTP 500 then fine';
    const r = await api(lina, 'POST', `/api/console/conversations/${convId}/messages`, { text });
    expect(r.status).toBe(201);
    const id = (r.json['message'] as Transcript).id;
    expect((await finalDelivery(id)).delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sentTo(openId, text)).toBe(1);
  }, 30_000);

  it('a permanent refusal (43004 unsubscribed) is failed at once with no retry; the console Retry re-sends the SAME message; a second Retry is 409', async () => {
    const openId = `o_perm_${Date.now()}`;
    const convId = await wechatConversation(openId);
    shop.fake.failNext(43004);
    const before = shop.fake.sendRequests;
    const text = 'Are you still there?';
    const r = await api(lina, 'POST', `/api/console/conversations/${convId}/messages`, { text });
    expect(r.status).toBe(503);
    const err = r.json['error'] as { reason: string; message: string; messageId?: string };
    expect(err.reason).toBe('delivery_failed');
    expect(err.message).toMatch(/43004/);
    await new Promise((res) => setTimeout(res, 300)); // several backoff periods: nothing more may go out
    expect(shop.fake.sendRequests - before).toBe(1);
    const failed = await storedByText(convId, text);
    const messageId = failed.id;
    expect(err.messageId).toBe(messageId); // the error names the stored message, for the console's Retry
    expect(failed.delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.delivery!.error).toMatch(/43004/);
    expect((await transcript(convId)).find((m) => m.id === messageId)?.delivery).toMatchObject({ status: 'failed', attempts: 1 });
    const q = await api(lina, 'GET', '/api/console/queue');
    expect((q.json['mine'] as Array<{ id: string; failedDeliveries?: number }>).find((c) => c.id === convId)?.failedDeliveries).toBe(1);

    // Retry from the console: the same stored message goes out; the transcript gets no copy.
    const count = (await shop.server.store.messages.listByConversation(convId, { limit: 500 })).length;
    const retried = await api(lina, 'POST', `/api/console/conversations/${convId}/messages/${messageId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.json['message']).toMatchObject({ id: messageId, delivery: { status: 'sent', attempts: 2 } });
    expect(sentTo(openId, text)).toBe(1);
    expect((await shop.server.store.messages.listByConversation(convId, { limit: 500 })).length).toBe(count);
    expect((await transcript(convId)).filter((m) => m.text === text)).toHaveLength(1);

    const again = await api(lina, 'POST', `/api/console/conversations/${convId}/messages/${messageId}/retry`);
    expect(again.status).toBe(409);
    expect((again.json['error'] as { reason: string }).reason).toBe('not_failed');
    // Without the CSRF header: refused like every console write.
    const noCsrf = await fetch(`${shop.server.url}/api/console/conversations/${convId}/messages/${messageId}/retry`, { method: 'POST', headers: { cookie: lina.cookie } });
    expect(noCsrf.status).toBe(403);
  }, 30_000);

  it('45015 after the pre-check passed: 409 wechat_window_closed, failed at once, one request', async () => {
    const openId = `o_closed_${Date.now()}`;
    const convId = await wechatConversation(openId);
    shop.fake.closeWindow(openId);
    const before = shop.fake.sendRequests;
    const r = await api(lina, 'POST', `/api/console/conversations/${convId}/messages`, { text: 'hello?' });
    expect(r.status).toBe(409);
    expect((r.json['error'] as { reason: string }).reason).toBe('wechat_window_closed');
    expect((await storedByText(convId, 'hello?')).delivery).toMatchObject({ status: 'failed', attempts: 1 });
    await new Promise((res) => setTimeout(res, 200));
    expect(shop.fake.sendRequests - before).toBe(1);
  }, 30_000);

  it('busy on every attempt: pending, then failed after OUTBOUND_RETRY_ATTEMPTS with the last error', async () => {
    const openId = `o_exhaust_${Date.now()}`;
    const convId = await wechatConversation(openId);
    shop.fake.failNext(-1, 'send', ATTEMPTS);
    const before = shop.fake.sendRequests;
    const r = await api(lina, 'POST', `/api/console/conversations/${convId}/messages`, { text: 'never arrives' });
    expect(r.status).toBe(201);
    const id = (r.json['message'] as Transcript).id;
    const done = await finalDelivery(id);
    expect(done.delivery).toMatchObject({ status: 'failed', attempts: ATTEMPTS });
    expect(done.delivery!.error).toMatch(/errcode -1/);
    expect(shop.fake.sendRequests - before).toBe(ATTEMPTS);
    expect(sentTo(openId, 'never arrives')).toBe(0);
  }, 30_000);
});

describe('app push webhook', () => {
  it('502 then 200: the agent reply is pending, then sent with 2 attempts', async () => {
    const s = shop.server.store;
    const userId = `app-user-${Date.now()}`;
    const customer = await s.customers.create({ displayName: 'App Shopper', locale: 'en', identities: [{ channel: 'app', externalId: userId }] });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'app', language: 'en' });
    await s.conversations.enqueue(conv.id, { priority: 10, reason: 'requested' });
    expect((await api(lina, 'POST', `/api/console/conversations/${conv.id}/claim`)).status).toBe(200);
    const text = 'Pushed to your app';
    const r = await api(lina, 'POST', `/api/console/conversations/${conv.id}/messages`, { text });
    expect(r.status).toBe(201);
    const msg = r.json['message'] as Transcript;
    expect(msg.delivery?.status).toBe('pending');
    const done = await finalDelivery(msg.id);
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(pushes.filter((p) => p.messageId === msg.id).map((p) => p.attempt)).toEqual([1, 2]);
    // Both attempts carry the stored message's id as the delivery id (the backend drops a copy by it).
    expect(pushes.filter((p) => p.messageId === msg.id).map((p) => p.deliveryId)).toEqual([msg.id, msg.id]);
  }, 30_000);
});

describe('events and interrupted deliveries', () => {
  it('message.delivery survives the Redis JSON round trip with its Date revived', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const event: ShopEvent = { type: 'message.delivery', conversationId: 'c1', messageId: 'm1', delivery: { status: 'failed', attempts: 3, error: 'HTTP 502', updatedAt: at } };
    const back = decodeEvent(encodeEvent('node-a', event)).event;
    expect(back).toEqual(event);
    expect((back as Extract<ShopEvent, { type: 'message.delivery' }>).delivery.updatedAt).toBeInstanceOf(Date);
  });

  it('without a way to resend, a pending message older than the retry window (its node stopped) is marked failed "interrupted"; a fresh one is left alone', async () => {
    const s = shop.server.store;
    const customer = await s.customers.create({ displayName: 'Sweep', locale: 'en' });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
    const append = (text: string) => s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', channel: 'wechat', text });
    const stale = await append('left pending by a dead node');
    await s.messages.setDelivery(stale.id, { status: 'pending', attempts: 2, error: 'errcode -1' });
    const policy = { attempts: ATTEMPTS, baseMs: 20, maxDelayMs: 60 };
    // A node whose clock is an hour on: everything pending now looks stale to it.
    const later = new OutboundDelivery({ store: s, events: shop.server.events, logger: createLogger({ level: 'silent' }), policy, clock: () => new Date(Date.now() + 3600_000) });
    expect(await later.sweepInterrupted()).toBeGreaterThanOrEqual(1);
    expect((await s.messages.get(stale.id))!.delivery).toMatchObject({ status: 'failed', attempts: 2, error: INTERRUPTED_ERROR });

    const fresh = await append('being retried right now');
    await s.messages.setDelivery(fresh.id, { status: 'pending', attempts: 1 });
    const now = new OutboundDelivery({ store: s, events: shop.server.events, logger: createLogger({ level: 'silent' }), policy });
    await now.sweepInterrupted();
    expect((await s.messages.get(fresh.id))!.delivery?.status).toBe('pending');
    await s.messages.setDelivery(fresh.id, { status: 'sent', attempts: 1 });
  });

  it('a graceful shutdown hands a waiting retry back to the outbox (pending, claim lapsed, not failed); the next node resumes it and sends it once', async () => {
    const s = shop.server.store;
    const customer = await s.customers.create({ displayName: 'Handback', locale: 'en' });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
    const m = await s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', channel: 'wechat', text: 'handed back' });
    const silent = createLogger({ level: 'silent' });
    const sends: string[] = [];
    // The retry waits 10 s: the node stops before it is due.
    const stopping = new OutboundDelivery({ store: s, events: shop.server.events, logger: silent, policy: { attempts: 3, baseMs: 10_000, maxDelayMs: 10_000 }, nodeId: 'node-stopping', pollEveryMs: 0 });
    const first = await stopping.send(m.id, async () => {
      sends.push('stopping');
      throw new Error('connect ECONNREFUSED');
    });
    expect(first.status).toBe('pending');
    await stopping.close();
    const handed = (await s.messages.get(m.id))!.delivery!;
    expect(handed).toMatchObject({ status: 'pending', attempts: 1, error: 'connect ECONNREFUSED', maxAttempts: 3 });
    expect(handed.claim!.until.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await first.settled).delivery?.status).toBe('pending');

    // The next node (here: at the time the retry was due) takes it over and sends it.
    const next = new OutboundDelivery({
      store: s,
      events: shop.server.events,
      logger: silent,
      policy: { attempts: 3, baseMs: 20, maxDelayMs: 60 },
      nodeId: 'node-next',
      pollEveryMs: 0,
      clock: () => new Date(Date.now() + 20_000),
      resend: async (stored) => void sends.push(`next:${stored.text}`),
    });
    try {
      expect(await next.resumeInterrupted()).toBe(1);
      const done = await finalDelivery(m.id);
      expect(done.delivery).toMatchObject({ status: 'sent', attempts: 2 });
      expect(sends).toEqual(['stopping', 'next:handed back']);
      expect(await next.resumeInterrupted()).toBe(0);
    } finally {
      await next.close();
    }
  });

  it('a first attempt is claimed before it starts (begin, send): pending under this node with 0 attempts while it runs, renewed, not taken by another node; then sent', async () => {
    const s = shop.server.store;
    const customer = await s.customers.create({ displayName: 'First attempt', locale: 'en' });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
    const append = (text: string) => s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', channel: 'wechat', text });
    const silent = createLogger({ level: 'silent' });
    const policy = { attempts: 3, baseMs: 20, maxDelayMs: 60 };
    const sends: string[] = [];
    const node = new OutboundDelivery({ store: s, events: shop.server.events, logger: silent, policy, nodeId: 'node-first', pollEveryMs: 0, leaseMs: 300 });
    const other = new OutboundDelivery({ store: s, events: shop.server.events, logger: silent, policy, nodeId: 'node-other', pollEveryMs: 0, resend: async (m) => void sends.push(`other:${m.id}`) });
    node.start();
    try {
      // A hand-off reply: the caller sends it itself between begin and afterFirstAttempt.
      const m = await append('claimed before its first attempt');
      await node.begin(m.id);
      const during = (await s.messages.get(m.id))!.delivery!;
      expect(during).toMatchObject({ status: 'pending', attempts: 0 });
      expect(during.claim?.owner).toBe('node-first');
      // A long attempt: the claim is renewed while it runs, so the other node's poll leaves it alone.
      const renewed = await until('the claim to be renewed', async () => {
        const d = (await s.messages.get(m.id))!.delivery!;
        return d.claim && d.claim.until.getTime() > during.claim!.until.getTime() ? d : undefined;
      });
      expect(renewed.claim?.owner).toBe('node-first');
      await other.resumeInterrupted(); // one whole pass of the other node's outbox
      expect(sends).not.toContain(`other:${m.id}`);
      expect((await s.messages.get(m.id))!.delivery?.claim?.owner).toBe('node-first');
      const r = await node.afterFirstAttempt(m.id, undefined, async () => void sends.push('retry'));
      expect(r.status).toBe('sent');
      const after = (await s.messages.get(m.id))!.delivery!;
      expect(after).toMatchObject({ status: 'sent', attempts: 1 });
      expect(after.claim).toBeUndefined();

      // `send` (a late WeChat answer, a Bot Framework reply): the same state while its first attempt runs.
      const n = await append('sent through send');
      const seen: Array<{ status?: string; attempts?: number; owner?: string }> = [];
      const result = await node.send(n.id, async () => {
        const d = (await s.messages.get(n.id))!.delivery;
        seen.push({ status: d?.status, attempts: d?.attempts, owner: d?.claim?.owner });
      });
      expect(seen).toEqual([{ status: 'pending', attempts: 0, owner: 'node-first' }]);
      expect(result.status).toBe('sent');
      expect(sends.filter((x) => x === `other:${m.id}` || x === `other:${n.id}` || x === 'retry')).toEqual([]);
    } finally {
      await node.close();
      await other.close();
    }
  });

  it('two nodes retrying the same failed message at once (two consoles pressing Retry): one sends it, the other sends nothing', async () => {
    const s = shop.server.store;
    const customer = await s.customers.create({ displayName: 'Double retry', locale: 'en' });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
    const m = await s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', channel: 'wechat', text: 'retried twice' });
    await s.messages.setDelivery(m.id, { status: 'failed', attempts: 1, error: 'errcode 45015' });
    const silent = createLogger({ level: 'silent' });
    const sends: string[] = [];
    const nodes = ['node-1', 'node-2'].map((nodeId) => new OutboundDelivery({ store: s, events: shop.server.events, logger: silent, policy: { attempts: 3, baseMs: 20, maxDelayMs: 60 }, nodeId, pollEveryMs: 0 }));
    try {
      const results = await Promise.all(nodes.map((n) => n.send(m.id, async () => void sends.push(n.nodeId), 1)));
      expect(sends).toHaveLength(1);
      // The loser answers with the message as the winner has it (pending, or sent already).
      expect(results.some((r) => r.status === 'sent')).toBe(true);
      for (const r of results) expect(['pending', 'sent']).toContain(r.status);
      expect((await s.messages.get(m.id))!.delivery).toMatchObject({ status: 'sent', attempts: 2 });
      // A message that was sent is never sent again, whoever asks.
      const again = await nodes[0]!.send(m.id, async () => void sends.push('again'), 2);
      expect(again.status).toBe('sent');
      expect(sends).toHaveLength(1);
    } finally {
      for (const n of nodes) await n.close();
    }
  });
});
