import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ActivityTypes } from 'botbuilder-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { AppAdapter, signPayload, signRequest, verifySignature, type DeadLetter, type OpenApiDocument, type PushEvent } from '../channels/app/index.js';
import type { WireMessage } from '../channels/web/index.js';

const SECRET = 'app-hmac-secret-for-tests-0123456789abcdef';
const BASE = '/api/app/v1';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-app-'));
let server: RunningServer;

// ------------------------------------------------------------ the app backend's push webhook

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  event: PushEvent;
  status: number;
}

/** A real HTTP server standing in for the app backend. Per app user, it can be told which statuses to answer. */
class Webhook {
  readonly received: Received[] = [];
  /** userId -> statuses to answer in turn (then 200). */
  readonly plan = new Map<string, number[]>();
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const event = JSON.parse(raw) as PushEvent;
        const status = this.plan.get(event.userId)?.shift() ?? 200;
        this.received.push({ headers: req.headers, raw, event, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/push`;
  }

  of(userId: string): Received[] {
    return this.received.filter((r) => r.event.userId === userId);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const webhook = new Webhook();

beforeAll(async () => {
  await webhook.start();
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      APP_HMAC_SECRET: SECRET,
      APP_PUSH_URL: webhook.url,
      APP_PUSH_MAX_ATTEMPTS: '3',
      APP_PUSH_RETRY_BASE_MS: '20',
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '60',
    },
    dir,
  );
  server = await startServer(config, createLogger({ level: 'silent' }));
}, 120_000);

afterAll(async () => {
  await server?.close();
  await webhook.close();
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------- helpers

/** How a test call is signed: v1 with our secret, another secret, a stale timestamp, not at all, or the retired sha256= scheme. */
type Signing = 'good' | 'bad' | 'stale' | 'none' | 'legacy';

/** The headers of a call to `target` (path and query exactly as fetch sends them). */
function signed(call: { method: 'GET' | 'POST'; target: string; key?: string; body?: string }, how: Signing): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  if (how === 'none') return {};
  if (how === 'legacy') return { 'X-Shop-Timestamp': String(now), 'X-Shop-Signature': signPayload(SECRET, now, call.body ?? call.target) };
  const timestamp = String(how === 'stale' ? now - 301 : now);
  const secret = how === 'bad' ? 'not-the-secret-but-long-enough-000000' : SECRET;
  return { 'X-Shop-Timestamp': timestamp, 'X-Shop-Signature': signRequest(secret, { method: call.method, target: call.target, timestamp, idempotencyKey: call.key ?? '', body: call.body }) };
}

interface Posted {
  status: number;
  body: {
    ack: { messageId: string; seq: number; conversationId: string };
    duplicate: boolean;
    heldForAgent: boolean;
    replies: WireMessage[];
    error?: { code: string; message: string; reason?: string };
  };
}

async function post(
  handle: string,
  body: Record<string, unknown> | string,
  opts: { key?: string | null; sign?: Signing } = {},
): Promise<Posted> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const target = `${BASE}/conversations/${encodeURIComponent(handle)}/messages`;
  const key = opts.key === null ? undefined : (opts.key ?? randomUUID());
  const headers: Record<string, string> = { 'content-type': 'application/json', ...signed({ method: 'POST', target, key, body: raw }, opts.sign ?? 'good') };
  if (key !== undefined) headers['Idempotency-Key'] = key;
  const res = await fetch(`${server.url}${target}`, { method: 'POST', headers, body: raw });
  return { status: res.status, body: (await res.json()) as Posted['body'] };
}

async function get<T>(target: string, sign: Signing = 'good', signal?: AbortSignal): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${target}`, { headers: signed({ method: 'GET', target }, sign), signal });
  return { status: res.status, body: (await res.json()) as T };
}

interface Poll {
  conversationId: string;
  messages: WireMessage[];
  nextAfter: number;
}

async function eventually<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const hello = (userId: string, extra: Record<string, unknown> = {}) => ({ userId, text: 'hello', locale: 'en', ...extra });

// --------------------------------------------------------------------------------- tests

describe('app channel over real HTTP', () => {
  it('answers a signed message with the bot reply and pushes it, signed, to the webhook', async () => {
    const res = await post('app:u-hello', hello('u-hello'));
    expect(res.status).toBe(200);
    expect(res.body.ack.seq).toBe(1);
    expect(res.body.duplicate).toBe(false);
    expect(res.body.replies).toHaveLength(1);
    const reply = res.body.replies[0]!;
    expect(reply).toMatchObject({ sender: 'bot', direction: 'out', channel: 'app', seq: 2, conversationId: res.body.ack.conversationId });
    expect(reply.text).toMatch(/shopping assistant/);
    expect(reply.suggestedActions?.length).toBeGreaterThan(0);

    const pushed = await eventually(() => webhook.of('u-hello').find((r) => r.event.message.id === reply.id));
    expect(pushed.event).toMatchObject({ type: 'message', userId: 'u-hello', conversationId: res.body.ack.conversationId, message: reply });
    const customer = await server.store.customers.findByIdentity('app', 'u-hello');
    expect(pushed.event.customerId).toBe(customer!.id);
    // The delivery id is the stored message's id: stable across retries and resumes, so the backend can drop copies.
    expect(pushed.headers['x-shop-delivery-id']).toBe(reply.id);
    const check = verifySignature({
      secret: SECRET,
      timestamp: String(pushed.headers['x-shop-timestamp']),
      signature: String(pushed.headers['x-shop-signature']),
      payload: pushed.raw,
      toleranceSeconds: 300,
    });
    expect(check).toEqual({ ok: true });
    expect(verifySignature({ secret: 'wrong-secret-wrong-secret-wrong-secret', timestamp: String(pushed.headers['x-shop-timestamp']), signature: String(pushed.headers['x-shop-signature']), payload: pushed.raw, toleranceSeconds: 300 }).ok).toBe(false);
  });

  it('answers a repeated Idempotency-Key with the same ack and never a second answer', async () => {
    const key = randomUUID();
    const first = await post('app:u-idem', { userId: 'u-idem', text: 'help' }, { key });
    const again = await post('app:u-idem', { userId: 'u-idem', text: 'help' }, { key });
    expect(again.status).toBe(200);
    expect(again.body.ack).toEqual(first.body.ack);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.replies.map((m) => m.id)).toEqual(first.body.replies.map((m) => m.id));

    // Concurrent repeats of a new key: one stored message, one answer.
    const key2 = randomUUID();
    const both = await Promise.all([1, 2, 3].map(() => post('app:u-idem', { userId: 'u-idem', text: 'thanks' }, { key: key2 })));
    expect(new Set(both.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(both.map((r) => r.body.ack.messageId)).size).toBe(1);
    // Each gets the answer, even a repeat that arrived while the first was still running.
    expect(both.map((r) => r.body.replies.map((m) => m.id))).toEqual(both.map(() => both[0]!.body.replies.map((m) => m.id)));
    expect(both[0]!.body.replies).toHaveLength(1);

    const stored = await server.store.messages.listByConversation(first.body.ack.conversationId);
    expect(stored.map((m) => [m.direction, m.text.slice(0, 6)])).toEqual([
      ['in', 'help'],
      ['out', first.body.replies[0]!.text.slice(0, 6)],
      ['in', 'thanks'],
      ['out', both[0]!.body.replies[0]!.text.slice(0, 6)],
    ]);
    // One push per bot answer, none for the repeats.
    await eventually(() => (webhook.of('u-idem').length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100));
    expect(webhook.of('u-idem')).toHaveLength(2);

    // The key is the user's: reusing it for another text is refused; another user may use it.
    expect((await post('app:u-idem', { userId: 'u-idem', text: 'something else' }, { key })).status).toBe(409);
    const other = await post('app:u-idem-2', { userId: 'u-idem-2', text: 'help' }, { key });
    expect(other.status).toBe(200);
    expect(other.body.duplicate).toBe(false);
    expect(other.body.ack.messageId).not.toBe(first.body.ack.messageId);
  });

  it('refuses bad, missing, stale and old-scheme signatures with 401 and a reason, and stores nothing', async () => {
    const before = await server.store.counts();
    const reasons: Record<Exclude<Signing, 'good'>, string> = {
      bad: 'signature_mismatch',
      stale: 'timestamp_out_of_window',
      none: 'signature_missing',
      // A backend still signing the old way (timestamp and body only) is told so, not just "wrong signature".
      legacy: 'signature_scheme_retired',
    };
    for (const [sign, reason] of Object.entries(reasons) as Array<[Exclude<Signing, 'good'>, string]>) {
      const res = await post('app:u-forger', hello('u-forger'), { sign });
      expect(res.status, sign).toBe(401);
      expect(res.body.error?.code).toBe('unauthorized');
      expect(res.body.error?.reason, sign).toBe(reason);
    }
    // A body changed after signing.
    const raw = JSON.stringify(hello('u-forger'));
    const target = `${BASE}/conversations/app:u-forger/messages`;
    const res = await fetch(`${server.url}${target}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k1', ...signed({ method: 'POST', target, key: 'k1', body: raw }, 'good') },
      body: raw.replace('hello', 'hellO'),
    });
    expect(res.status).toBe(401);
    expect((await get(`${BASE}/conversations/app:u-hello/messages`, 'bad')).status).toBe(401);
    expect((await get(`${BASE}/push/dead-letters`, 'stale')).status).toBe(401);
    expect((await get(`${BASE}/push/dead-letters`, 'legacy')).status).toBe(401);
    const after = await server.store.counts();
    expect(after.messages).toBe(before.messages);
    expect(after.customers).toBe(before.customers);
    expect(after.conversations).toBe(before.conversations);
    expect(await server.store.customers.findByIdentity('app', 'u-forger')).toBeNull();
  });

  it('answers 400 for malformed JSON, bad fields or a missing Idempotency-Key, 404 for unknown conversations, 413 for oversize bodies', async () => {
    const bad = await post('app:u-bad', '{"userId": "u-bad", "text": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/not valid JSON/);
    const noKey = await post('app:u-bad', hello('u-bad'), { key: null });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error?.message).toMatch(/Idempotency-Key/);
    expect((await post('app:u-bad', hello('u-bad'), { key: 'x'.repeat(129) })).status).toBe(400);
    const empty = await post('app:u-bad', { userId: 'u-bad', text: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error?.message).toMatch(/text/);
    expect((await post('app:u-bad', { userId: 'u-bad', text: 'hi', extra: 1 })).status).toBe(400);
    expect((await post('app:someone-else', hello('u-bad'))).status).toBe(400);
    expect(await server.store.customers.findByIdentity('app', 'u-bad')).toBeNull();

    expect((await post('conv_doesnotexist', hello('u-bad'))).status).toBe(404);
    expect((await get(`${BASE}/conversations/conv_doesnotexist/messages`)).status).toBe(404);
    expect((await get(`${BASE}/conversations/app:never-seen/messages`)).status).toBe(404);
    const other = await get<Poll>(`${BASE}/conversations/app:u-hello/messages`);
    expect((await post(other.body.conversationId, hello('u-bad'))).status).toBe(404);

    const huge = await post('app:u-bad', { userId: 'u-bad', text: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error?.code).toBe('payload_too_large');
    expect((await get(`${BASE}/conversations/app:u-hello/messages?wait=31`)).status).toBe(400);
  });

  it('accepts our conversation id as the handle and answers 429 when a customer floods (message stored)', async () => {
    const first = await post('app:u-flood', { userId: 'u-flood', text: 'hi' });
    const conversationId = first.body.ack.conversationId;
    const statuses: number[] = [first.status];
    for (let i = 0; i < 12; i++) statuses.push((await post(conversationId, { userId: 'u-flood', text: `hi ${i}` })).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const stored = await server.store.messages.listByConversation(conversationId, { limit: 100 });
    expect(stored.filter((m) => m.direction === 'in')).toHaveLength(13);
  });

  it('long-polls: answers at once when there are messages, waits for a published one, and times out empty', async () => {
    const res = await post('app:u-poll', hello('u-poll'));
    const conversationId = res.body.ack.conversationId;
    const last = res.body.replies[0]!.seq;

    const all = await get<Poll>(`${BASE}/conversations/app:u-poll/messages?after=0&wait=10`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ conversationId, nextAfter: last });
    expect(all.body.messages.map((m) => m.seq)).toEqual([1, 2]);

    const started = Date.now();
    const empty = await get<Poll>(`${BASE}/conversations/${conversationId}/messages?after=${last}&wait=1`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(empty.body).toEqual({ conversationId, messages: [], nextAfter: last });

    const waiting = get<Poll>(`${BASE}/conversations/app:u-poll/messages?after=${last}&wait=20`);
    await new Promise((r) => setTimeout(r, 200));
    const published = Date.now();
    const customer = await server.store.customers.findByIdentity('app', 'u-poll');
    const agentMessage = await server.store.messages.append({
      conversationId,
      customerId: customer!.id,
      direction: 'out',
      sender: 'agent',
      agentId: 'agt_test',
      channel: 'app',
      text: 'An agent here: how can I help?',
    });
    server.events.publish({ type: 'message', message: agentMessage });
    const woke = await waiting;
    expect(Date.now() - published).toBeLessThan(2000);
    expect(woke.body.messages.map((m) => [m.sender, m.text])).toEqual([['agent', 'An agent here: how can I help?']]);
    expect(woke.body.nextAfter).toBe(agentMessage.seq);

    // A client that goes away ends its long-poll (and its subscription) early.
    const gone = new AbortController();
    const abandoned = get(`${BASE}/conversations/app:u-poll/messages?after=${agentMessage.seq}&wait=20`, 'good', gone.signal);
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    await expect(abandoned).rejects.toThrow();
  });

  it('pushes an agent reply sent through the app adapter', async () => {
    const res = await post('app:u-agent', hello('u-agent'));
    const adapter = server.adapters.app;
    expect(adapter).toBeDefined();
    await adapter!.continueConversation(AppAdapter.reference('u-agent'), async (context) => {
      await context.sendActivity({ type: ActivityTypes.Message, text: 'Agent Li here.', channelData: { sender: 'agent', agentId: 'agt_li' } });
    });
    const pushed = await eventually(() => webhook.of('u-agent').find((r) => r.event.message.sender === 'agent'));
    expect(pushed.event).toMatchObject({ conversationId: res.body.ack.conversationId, message: { text: 'Agent Li here.', seq: 3 } });
  });

  it('hands off to a human: queued, the agent claims in the console and replies, and the reply is pushed to the app', async () => {
    const asked = await post('app:u-human', { userId: 'u-human', text: 'I want to talk to a human', locale: 'en' });
    expect(asked.status).toBe(200);
    expect(asked.body.replies.map((r) => r.text).join(' ')).toMatch(/in the queue/);
    const conversationId = asked.body.ack.conversationId;
    expect((await server.store.conversations.get(conversationId))?.status).toBe('queued');

    const login = await fetch(`${server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'li.na@example.com', password: 'demo-agent-lina' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const console = (path: string, body?: unknown) =>
      fetch(`${server.url}/api/console/conversations/${conversationId}/${path}`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await console('claim')).status).toBe(200);
    expect((await console('messages', { text: 'Li Na here, how can I help?' })).status).toBe(201);
    const pushed = await eventually(() => webhook.of('u-human').find((r) => r.event.message.sender === 'agent'));
    expect(pushed.event).toMatchObject({ conversationId, message: { text: 'Li Na here, how can I help?', agentName: '李娜 Li Na' } });

    // The shopper's next message is held for the agent: stored, no bot answer.
    const held = await post('app:u-human', { userId: 'u-human', text: 'my parcel is late', locale: 'en' });
    expect(held.body).toMatchObject({ heldForAgent: true, replies: [] });
  });

  it('retries the webhook after 500s until it succeeds, with one delivery id', async () => {
    webhook.plan.set('u-retry', [500, 503]);
    await post('app:u-retry', hello('u-retry'));
    const ok = await eventually(() => webhook.of('u-retry').find((r) => r.status === 200));
    const attempts = webhook.of('u-retry');
    expect(attempts.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(attempts.map((r) => r.headers['x-shop-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(attempts.map((r) => r.headers['x-shop-delivery-id'])).toEqual(attempts.map(() => ok.event.message.id));
    expect(ok.event.message.sender).toBe('bot');
  });

  it('dead-letters a delivery after the last attempt, and does not retry a 4xx', async () => {
    webhook.plan.set('u-dead', [500, 500, 500, 500]);
    const res = await post('app:u-dead', hello('u-dead'));
    await eventually(() => (webhook.of('u-dead').length >= 3 ? true : undefined));
    const letters = await eventuallyAsync(async () => {
      // A signed GET is single-use: each poll of the loop differs by a query parameter (covered by the signature).
      const list = await get<{ pushEnabled: boolean; deadLetters: DeadLetter[] }>(`${BASE}/push/dead-letters?n=${randomUUID()}`);
      return list.body.deadLetters.find((d) => d.event.userId === 'u-dead');
    });
    expect(letters).toMatchObject({ attempts: 3, lastStatus: 500, lastError: 'HTTP 500', event: { message: { id: res.body.replies[0]!.id } } });
    await new Promise((r) => setTimeout(r, 200));
    expect(webhook.of('u-dead')).toHaveLength(3);

    webhook.plan.set('u-refused', [410]);
    await post('app:u-refused', hello('u-refused'));
    const refused = await eventuallyAsync(async () => {
      const list = await get<{ deadLetters: DeadLetter[] }>(`${BASE}/push/dead-letters?fresh=${randomUUID()}`);
      return list.body.deadLetters.find((d) => d.event.userId === 'u-refused');
    });
    expect(refused).toMatchObject({ attempts: 1, lastStatus: 410 });
    expect(webhook.of('u-refused')).toHaveLength(1);
  });

  it('links the app account to a signed customerId: history moves there, and a known customer is never merged into another', async () => {
    const anon = await post('app:u-link', { userId: 'u-link', text: 'hi there' });
    const anonCustomer = (await server.store.customers.findByIdentity('app', 'u-link'))!;
    expect(anonCustomer.tags).toContain('anonymous');

    const linked = await post('app:u-link', { userId: 'u-link', customerId: 'cus_demo_004', text: 'hello' });
    expect(linked.status).toBe(200);
    expect((await server.store.customers.findByIdentity('app', 'u-link'))!.id).toBe('cus_demo_004');
    expect(await server.store.customers.get(anonCustomer.id)).toBeNull();
    const history = await server.store.messages.listByCustomer('cus_demo_004', { limit: 100 });
    expect(history.items.map((m) => m.text)).toEqual(expect.arrayContaining(['hi there', anon.body.replies[0]!.text, 'hello']));
    expect((await server.store.customers.get('cus_demo_004'))!.tags).not.toContain('anonymous');
    const pushed = await eventually(() => webhook.of('u-link').find((r) => r.event.message.id === linked.body.replies[0]!.id));
    expect(pushed.event.customerId).toBe('cus_demo_004');

    // An unknown customer id is created.
    await post('app:u-new-customer', { userId: 'u-new-customer', customerId: 'cus_app_777', text: 'hello' });
    expect((await server.store.customers.findByIdentity('app', 'u-new-customer'))!.id).toBe('cus_app_777');

    // Another login on the same app account: the account moves; the two customers stay apart.
    const moved = await post('app:u-link', { userId: 'u-link', customerId: 'cus_demo_005', text: 'hello' });
    expect(moved.status).toBe(200);
    expect((await server.store.customers.findByIdentity('app', 'u-link'))!.id).toBe('cus_demo_005');
    expect(await server.store.customers.get('cus_demo_004')).not.toBeNull();
    const stillThere = await server.store.messages.listByCustomer('cus_demo_004', { limit: 100 });
    expect(stillThere.items.map((m) => m.text)).toContain('hi there');
    const theirs = await server.store.messages.listByCustomer('cus_demo_005', { limit: 100 });
    expect(theirs.items.map((m) => m.text)).not.toContain('hi there');
  });

  it('serves an OpenAPI 3 document that names every route', async () => {
    const res = await fetch(`${server.url}${BASE}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = JSON.parse(await res.text()) as OpenApiDocument;
    expect(doc.openapi).toMatch(/^3\.0\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [`${BASE}/conversations/{id}/messages`, `${BASE}/openapi.json`, `${BASE}/push/dead-letters`].sort(),
    );
    expect(Object.keys(doc.paths[`${BASE}/conversations/{id}/messages`]!).sort()).toEqual(['get', 'post']);
    // Every $ref points at something that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, kind, name] of refs) {
      expect((doc.components as unknown as Record<string, Record<string, unknown>>)[kind!]?.[name!], `${kind}/${name}`).toBeDefined();
    }
    expect(doc['x-webhooks']['message']?.post.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/PushEvent' });
    // The backend is told how to drop a copy: the delivery id is the message id, the same after a resume.
    expect(JSON.stringify(doc['x-webhooks']['message'])).toMatch(/X-Shop-Delivery-Id.{0,20} is the stored message.{0,20}s id/);
  });
});

describe('app channel off', () => {
  it('answers 404 with the reason when APP_HMAC_SECRET is not set', async () => {
    const offDir = mkdtempSync(path.join(tmpdir(), 'sa-app-off-'));
    const off = await startServer(loadConfig({ PORT: '0', DATA_DIR: offDir, LOG_LEVEL: 'silent', SEED_DEMO: 'false' }, offDir), createLogger({ level: 'silent' }));
    try {
      const res = await fetch(`${off.url}${BASE}/openapi.json`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/APP_HMAC_SECRET/);
      expect(off.adapters.app).toBeUndefined();
    } finally {
      await off.close();
      rmSync(offDir, { recursive: true, force: true });
    }
  });

  it('refuses APP_PUSH_URL without APP_HMAC_SECRET', () => {
    expect(() => loadConfig({ APP_PUSH_URL: 'http://127.0.0.1:9/push' }, dir)).toThrow(/APP_PUSH_URL: needs APP_HMAC_SECRET/);
  });
});

async function eventuallyAsync<T>(read: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
