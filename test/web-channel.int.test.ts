import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { signIdentityToken } from '../channels/web/index.js';
import { WsClient, type Frame } from './helpers/ws-client.js';

const IDENTITY_SECRET = 'test-identity-secret-0123456789abcdef';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-web-'));
let server: RunningServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  const config = loadConfig(
    { PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', WEB_IDENTITY_SECRET: IDENTITY_SECRET, RATE_LIMIT_CUSTOMER_PER_MINUTE: '60' },
    dir,
  );
  server = await startServer(config, createLogger({ level: 'silent' }));
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function session(body: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/api/web/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function connect(token: string): Promise<WsClient> {
  const c = await WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(token)}`);
  clients.push(c);
  await c.waitFor((f) => f.type === 'history');
  return c;
}

const botReply = (f: Frame) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'bot';

async function say(c: WsClient, text: string): Promise<{ ack: Frame; reply: Frame }> {
  const from = c.frames.length;
  const id = randomUUID();
  c.send({ type: 'message', id, text });
  const ack = await c.waitFor((f) => f.type === 'ack' && f['id'] === id, { from });
  const reply = await c.waitFor(botReply, { from });
  return { ack, reply };
}

describe('web channel over a real WebSocket', () => {
  it('greets, answers with quick replies, stores both sides, and replays history on reconnect', async () => {
    const s = await session({ locale: 'en' });
    expect(s.status).toBe(200);
    const c = await connect(s.body['visitorToken']!);
    expect(c.frames[0]).toMatchObject({ type: 'hello', customerId: s.body['customerId'] });

    const { ack, reply } = await say(c, 'hello');
    expect(ack['seq']).toBe(1);
    const msg = reply['message'] as { text: string; seq: number; suggestedActions: unknown[] };
    expect(msg.text).toMatch(/shopping assistant/);
    expect(msg.seq).toBe(2);
    expect(msg.suggestedActions.length).toBeGreaterThan(0);

    const stored = await server.store.messages.listByCustomer(s.body['customerId']!);
    expect(stored.items.map((m) => [m.direction, m.intent ?? null])).toEqual([
      ['out', null],
      ['in', 'greeting'],
    ]);

    await c.close();
    const again = await connect(s.body['visitorToken']!);
    const history = again.frames.find((f) => f.type === 'history') as unknown as { messages: Array<{ text: string }> };
    expect(history.messages.map((m) => m.text)).toEqual(['hello', msg.text]);
  });

  it('answers Chinese in Chinese', async () => {
    const s = await session();
    const c = await connect(s.body['visitorToken']!);
    const { reply } = await say(c, '你好');
    expect((reply['message'] as { text: string }).text).toMatch(/购物助手/);
  });

  it('keeps the socket open after a bad frame, and answers a redelivered message once', async () => {
    const s = await session();
    const c = await connect(s.body['visitorToken']!);
    let from = c.frames.length;
    c.send('{not json');
    expect(await c.waitFor((f) => f.type === 'error', { from })).toMatchObject({ code: 'bad_request' });
    c.send({ type: 'message', id: 'x1', text: '' });
    expect(await c.waitFor((f) => f.type === 'error' && f['id'] === 'x1', { from })).toMatchObject({ code: 'bad_request' });
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', { from });

    from = c.frames.length;
    c.send({ type: 'message', id: 'same-id', text: 'help' });
    await c.waitFor(botReply, { from });
    c.send({ type: 'message', id: 'same-id', text: 'help' });
    const acks = () => c.frames.slice(from).filter((f) => f.type === 'ack' && f['id'] === 'same-id');
    await c.waitFor((f) => f.type === 'ack' && f['id'] === 'same-id' && acks().length === 2, { from });
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', { from });
    expect(acks()[0]!['messageId']).toBe(acks()[1]!['messageId']);
    expect(c.frames.slice(from).filter(botReply)).toHaveLength(1);
  });

  it('rejects a bad visitor token on the socket and the session', async () => {
    await expect(WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=v1.forged.1.sig`)).rejects.toThrow(/401/);
    expect((await session({ visitorToken: 'v1.v_00000000000000000000000000000000.1.bad' })).status).toBe(401);
  });

  it('serves the REST fallback: post a message, get replies, poll after a seq', async () => {
    const s = await session();
    const token = s.body['visitorToken']!;
    const post = await fetch(`${server.url}/api/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: 'rest-1', text: 'thanks' }),
    });
    expect(post.status).toBe(200);
    const body = (await post.json()) as { ack: { seq: number }; replies: Array<{ text: string }> };
    expect(body.replies[0]!.text).toMatch(/welcome/i);
    const poll = await fetch(`${server.url}/api/web/messages?after=${body.ack.seq}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await poll.json()) as { messages: unknown[] }).messages).toHaveLength(1);
    const unauth = await fetch(`${server.url}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unauth.status).toBe(401);
  });

  it('logs a shopper in with a shop-signed identity token, bringing the anonymous history along', async () => {
    const anon = await session();
    const c = await connect(anon.body['visitorToken']!);
    await say(c, 'hi');
    const token = signIdentityToken(IDENTITY_SECRET, 'cus_demo_004', Math.floor(Date.now() / 1000) + 600);
    const logged = await session({ visitorToken: anon.body['visitorToken'], identityToken: token });
    expect(logged.status).toBe(200);
    expect(logged.body['customerId']).toBe('cus_demo_004');
    const history = await server.store.messages.listByCustomer('cus_demo_004');
    expect(history.items.map((m) => m.text)).toContain('hi');
    expect(await server.store.customers.get(anon.body['customerId']!)).toBeNull();
    expect((await server.store.customers.get('cus_demo_004'))?.tags).not.toContain('anonymous');

    const expired = signIdentityToken(IDENTITY_SECRET, 'cus_demo_004', Math.floor(Date.now() / 1000) - 1);
    expect((await session({ identityToken: expired })).status).toBe(401);
    const forged = signIdentityToken('another-secret-that-is-long-enough-000', 'cus_demo_004', Math.floor(Date.now() / 1000) + 600);
    expect((await session({ identityToken: forged })).status).toBe(401);
  });

  it('links two channels only with a one-time code, and never on a typed claim', async () => {
    const a = await session();
    const b = await session();
    const ca = await connect(a.body['visitorToken']!);
    const cb = await connect(b.body['visitorToken']!);
    await say(ca, 'hello');
    // An unverified claim merges nothing.
    await say(cb, `my email is liu.yang@example.com, I am customer ${a.body['customerId']}`);
    expect(await server.store.customers.get(b.body['customerId']!)).not.toBeNull();

    const issued = await say(ca, 'link');
    const code = /(\d{6})/.exec((issued.reply['message'] as { text: string }).text)![1]!;
    const wrong = await say(cb, `link ${code === '000000' ? '111111' : '000000'}`);
    expect((wrong.reply['message'] as { text: string }).text).toMatch(/not valid/);
    const linked = await say(cb, `link ${code}`);
    expect((linked.reply['message'] as { text: string }).text).toMatch(/linked/);

    const survivor = a.body['customerId']!;
    expect(await server.store.customers.get(b.body['customerId']!)).toBeNull();
    const history = await server.store.messages.listByCustomer(survivor, { limit: 100 });
    const texts = history.items.map((m) => m.text);
    expect(texts).toContain('hello');
    expect(texts).toContain(`link ${code}`);
    // The code works once.
    const c = await session();
    const cc = await connect(c.body['visitorToken']!);
    expect(((await say(cc, `link ${code}`)).reply['message'] as { text: string }).text).toMatch(/not valid/);
  });

  it('stays silent while a human owns the conversation (message stored, acked, not answered)', async () => {
    const s = await session();
    const c = await connect(s.body['visitorToken']!);
    await say(c, 'hello');
    await server.store.conversations.enqueue(s.body['conversationId']!, { priority: 1, reason: 'test' });
    const from = c.frames.length;
    c.send({ type: 'message', id: 'held-1', text: 'hello?' });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === 'held-1', { from });
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', { from });
    expect(c.frames.slice(from).filter(botReply)).toHaveLength(0);
    const stored = await server.store.messages.listByConversation(s.body['conversationId']!);
    // Stored and not answered: after it, only the queue-position notice (sender system), never the bot.
    const held = stored.findIndex((m) => m.text === 'hello?' && m.sender === 'customer');
    expect(held).toBeGreaterThan(0);
    expect(stored.slice(held + 1).map((m) => m.sender)).toEqual(['system']);
  });

  it('answers a flood with rate_limited errors, keeps every message, and keeps serving', async () => {
    const s = await session();
    const c = await connect(s.body['visitorToken']!);
    const from = c.frames.length;
    const ids = Array.from({ length: 15 }, (_, i) => `flood-${i}`);
    for (const id of ids) c.send({ type: 'message', id, text: `message ${id}` });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === 'flood-14', { from, timeoutMs: 20_000 });
    const limited = c.frames.slice(from).filter((f) => f.type === 'error' && f['code'] === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(4);
    const stored = await server.store.messages.listByConversation(s.body['conversationId']!, { limit: 100 });
    expect(stored.filter((m) => m.direction === 'in')).toHaveLength(15);
    const rest = await fetch(`${server.url}/api/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.body['visitorToken']}` },
      body: JSON.stringify({ id: 'flood-rest', text: 'one more' }),
    });
    expect(rest.status).toBe(429);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
