import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import {
  checkVisitorToken,
  DEFAULT_VISITOR_TOKEN_TTL_SECONDS,
  issueVisitorToken,
  shouldRenewVisitorToken,
  signIdentityToken,
  verifyVisitorToken,
  VISITOR_TOKEN_CLOCK_SKEW_SECONDS,
} from '../channels/web/index.js';
import { WsClient, type Frame } from './helpers/ws-client.js';

const IDENTITY_SECRET = 'test-identity-secret-0123456789abcdef';
const TOKEN_SECRET = 'test-visitor-token-secret-0123456789abcdef';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-web-'));
let server: RunningServer;
const clients: WsClient[] = [];

beforeAll(async () => {
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      WEB_IDENTITY_SECRET: IDENTITY_SECRET,
      WEB_TOKEN_SECRET: TOKEN_SECRET,
      VISITOR_TOKEN_TTL_DAYS: '30',
      // The lazy-session test opens 300 sessions from this one address.
      WEB_SESSION_IP_PER_MINUTE: '100000',
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '60',
    },
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

const visitorIdOf = (token: string) => token.split('.')[1]!;

/** The customer a visitor became with their first message. */
async function customerOf(token: string): Promise<string> {
  const customer = await server.store.customers.findByIdentity('web', visitorIdOf(token));
  expect(customer, 'the visitor is a customer by now').not.toBeNull();
  return customer!.id;
}

async function conversationOf(token: string): Promise<string> {
  const conversation = await server.store.conversations.findOpenByCustomer(await customerOf(token), 'web');
  expect(conversation).not.toBeNull();
  return conversation!.id;
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
    // A visitor who has not written is nobody yet: no customer, no conversation.
    expect(c.frames[0]).toEqual({ type: 'hello', locale: 'en' });

    const { ack, reply } = await say(c, 'hello');
    const customerId = await customerOf(s.body['visitorToken']!);
    expect(c.frames.find((f) => f.type === 'hello' && f['customerId'])).toMatchObject({ customerId, conversationId: await conversationOf(s.body['visitorToken']!) });
    expect(ack['seq']).toBe(1);
    const msg = reply['message'] as { text: string; seq: number; suggestedActions: unknown[] };
    expect(msg.text).toMatch(/shopping assistant/);
    expect(msg.seq).toBe(2);
    expect(msg.suggestedActions.length).toBeGreaterThan(0);

    const stored = await server.store.messages.listByCustomer(customerId);
    expect(stored.items.map((m) => [m.direction, m.intent ?? null])).toEqual([
      ['out', null],
      ['in', 'greeting'],
    ]);

    await c.close();
    const again = await connect(s.body['visitorToken']!);
    expect(again.frames[0]).toMatchObject({ type: 'hello', customerId });
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
    const anonymous = await customerOf(anon.body['visitorToken']!);
    const token = signIdentityToken(IDENTITY_SECRET, 'cus_demo_004', Math.floor(Date.now() / 1000) + 600);
    const logged = await session({ visitorToken: anon.body['visitorToken'], identityToken: token });
    expect(logged.status).toBe(200);
    expect(logged.body['customerId']).toBe('cus_demo_004');
    const history = await server.store.messages.listByCustomer('cus_demo_004');
    expect(history.items.map((m) => m.text)).toContain('hi');
    expect(await server.store.customers.get(anonymous)).toBeNull();
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
    const customerA = await customerOf(a.body['visitorToken']!);
    // An unverified claim merges nothing.
    await say(cb, `my email is liu.yang@example.com, I am customer ${customerA}`);
    const customerB = await customerOf(b.body['visitorToken']!);
    expect(await server.store.customers.get(customerB)).not.toBeNull();

    const issued = await say(ca, 'link');
    // As the bot shows it (6 digits before issue 14, 8 letters and digits since: 7KQ2-M9XD).
    const code = /link code is ([0-9A-Z-]+)/.exec((issued.reply['message'] as { text: string }).text)![1]!;
    const wrong = await say(cb, `link ${code === '000000' ? '111111' : '000000'}`);
    expect((wrong.reply['message'] as { text: string }).text).toMatch(/not valid/);
    const linked = await say(cb, `link ${code}`);
    expect((linked.reply['message'] as { text: string }).text).toMatch(/linked/);

    const survivor = customerA;
    expect(await server.store.customers.get(customerB)).toBeNull();
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
    const conversationId = await conversationOf(s.body['visitorToken']!);
    await server.store.conversations.enqueue(conversationId, { priority: 1, reason: 'test' });
    const from = c.frames.length;
    c.send({ type: 'message', id: 'held-1', text: 'hello?' });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === 'held-1', { from });
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', { from });
    expect(c.frames.slice(from).filter(botReply)).toHaveLength(0);
    const stored = await server.store.messages.listByConversation(conversationId);
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
    const stored = await server.store.messages.listByConversation(await conversationOf(s.body['visitorToken']!), { limit: 100 });
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

/** Customers and conversations in the store now (the test store is small: a count by paging is fine). */
async function storeCounts(): Promise<{ customers: number; conversations: number }> {
  let customers = 0;
  let conversations = 0;
  let cursor: string | null = null;
  do {
    const page = await server.store.customers.list({ limit: 500, cursor });
    customers += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  do {
    const page = await server.store.conversations.list({}, { limit: 500, cursor });
    conversations += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return { customers, conversations };
}

async function restPost(token: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; reason?: string } } };
}

describe('anonymous sessions are lazy (issue 14, point 7)', () => {
  it('300 anonymous sessions, their sockets and polls write no customer and no conversation; the first message does', async () => {
    const before = await storeCounts();
    const tokens: string[] = [];
    for (let i = 0; i < 300; i++) {
      const s = await session({ locale: i % 2 ? 'zh' : 'en' });
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ customerId: null, conversationId: null, locale: i % 2 ? 'zh' : 'en' });
      tokens.push(s.body['visitorToken']!);
    }
    expect(new Set(tokens.map(visitorIdOf)).size).toBe(300);
    // Coming back, opening the chat, paging its history and polling read only.
    expect((await session({ visitorToken: tokens[0] })).body).toMatchObject({ visitorToken: tokens[0], customerId: null, conversationId: null });
    const c = await connect(tokens[1]!);
    expect(c.frames.slice(0, 2)).toEqual([{ type: 'hello', locale: 'en' }, { type: 'history', messages: [], nextCursor: null }]);
    const from = c.frames.length;
    c.send({ type: 'history' });
    c.send({ type: 'typing' });
    c.send({ type: 'ping' });
    expect(await c.waitFor((f) => f.type === 'history', { from })).toMatchObject({ messages: [] });
    await c.waitFor((f) => f.type === 'pong', { from });
    const poll = await fetch(`${server.url}/api/web/messages?after=0`, { headers: { authorization: `Bearer ${tokens[2]}` } });
    expect(poll.status).toBe(200);
    expect(await poll.json()).toEqual({ conversationId: null, messages: [] });
    expect(await storeCounts()).toEqual(before);

    // The first message makes the visitor a customer (in the widget's language) and gets an answer: over REST…
    const rest = await restPost(tokens[3]!, { id: 'first-rest', text: '你好', locale: 'zh' });
    expect(rest.status).toBe(200);
    expect((rest.body['replies'] as Array<{ text: string }>)[0]!.text).toMatch(/购物助手/);
    expect((await server.store.customers.get(await customerOf(tokens[3]!)))?.locale).toBe('zh');
    // …and over the socket, which then follows that customer.
    const sent = c.frames.length;
    c.send({ type: 'message', id: 'first-ws', text: 'hello' });
    const hello = await c.waitFor((f) => f.type === 'hello' && typeof f['customerId'] === 'string', { from: sent });
    expect(hello).toMatchObject({ customerId: await customerOf(tokens[1]!), conversationId: await conversationOf(tokens[1]!) });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === 'first-ws', { from: sent });
    expect(await c.waitFor(botReply, { from: sent })).toMatchObject({ message: { text: expect.stringMatching(/shopping assistant/) } });
    expect(await storeCounts()).toEqual({ customers: before.customers + 2, conversations: before.conversations + 2 });
    // A returning visitor's session names them now (read, not created).
    expect((await session({ visitorToken: tokens[1] })).body).toMatchObject({ customerId: await customerOf(tokens[1]!), conversationId: await conversationOf(tokens[1]!) });
  }, 60_000);

  it('a second tab of a visitor who has not written follows the customer their first message (in the other tab) creates', async () => {
    const s = await session();
    const tab1 = await connect(s.body['visitorToken']!);
    const tab2 = await connect(s.body['visitorToken']!);
    const { reply } = await say(tab1, 'hello');
    const seen = await tab2.waitFor((f) => botReply(f) && (f['message'] as { id: string }).id === (reply['message'] as { id: string }).id);
    expect((seen['message'] as { conversationId: string }).conversationId).toBe(await conversationOf(s.body['visitorToken']!));
    // And it shows the shopper's own message too (sent from the other tab).
    expect(tab2.frames.some((f) => f.type === 'message' && (f['message'] as { text: string; sender: string }).sender === 'customer')).toBe(true);
  });

  it('an identity-token session still logs in: the shop signed it, so it writes (customer linked, conversation opened)', async () => {
    const token = signIdentityToken(IDENTITY_SECRET, 'cus_demo_007', Math.floor(Date.now() / 1000) + 600);
    const logged = await session({ identityToken: token, locale: 'en' });
    expect(logged.status).toBe(200);
    expect(logged.body['customerId']).toBe('cus_demo_007');
    const conversation = await server.store.conversations.get(logged.body['conversationId']!);
    expect(conversation).toMatchObject({ customerId: 'cus_demo_007', channel: 'web' });
    // The visitor's web identity is the signed customer's: no anonymous customer was made for it.
    expect(await server.store.customers.findByIdentity('web', visitorIdOf(logged.body['visitorToken']!))).toMatchObject({ id: 'cus_demo_007' });
    const c = await connect(logged.body['visitorToken']!);
    expect(c.frames[0]).toMatchObject({ type: 'hello', customerId: 'cus_demo_007', conversationId: conversation!.id });
    const { reply } = await say(c, 'hello');
    expect((reply['message'] as { conversationId: string }).conversationId).toBe(conversation!.id);
  });
});

describe('visitor tokens expire (issue 14, point 8)', () => {
  const DAY = 86_400;
  const now = () => Math.floor(Date.now() / 1000);
  const tokenIssuedAt = (issuedAtSec: number, visitorId?: string) => issueVisitorToken(TOKEN_SECRET, visitorId, issuedAtSec).token;

  it('checks a token\'s lifetime and issue time with the clock given (pure)', () => {
    const t0 = 1_900_000_000;
    const { token, visitorId } = issueVisitorToken(TOKEN_SECRET, undefined, t0);
    const ttl = 30 * DAY;
    expect(checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 })).toEqual({ ok: true, visitorId, issuedAtSec: t0, expiresAtSec: t0 + ttl });
    expect(checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 + ttl - 1 }).ok).toBe(true);
    expect(checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 + ttl })).toEqual({ ok: false, reason: 'expired' });
    expect(verifyVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 + ttl })).toBeNull();
    // Issued in the future: tolerated within the clock skew, refused beyond it.
    expect(checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 - VISITOR_TOKEN_CLOCK_SKEW_SECONDS }).ok).toBe(true);
    expect(checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: ttl, nowSec: t0 - VISITOR_TOKEN_CLOCK_SKEW_SECONDS - 1 })).toEqual({ ok: false, reason: 'issued_in_future' });
    // The default lifetime applies when none is given (a token is never valid for ever).
    expect(checkVisitorToken(TOKEN_SECRET, token, { nowSec: t0 + DEFAULT_VISITOR_TOKEN_TTL_SECONDS })).toEqual({ ok: false, reason: 'expired' });
    // The issue time is signed, and must be a number.
    const parts = token.split('.');
    expect(checkVisitorToken(TOKEN_SECRET, [parts[0], parts[1], String(t0 + DAY), parts[3]].join('.'), { nowSec: t0 })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(checkVisitorToken(TOKEN_SECRET, tokenIssuedAt(t0).replace(`.${t0}.`, '.x.'), { nowSec: t0 })).toEqual({ ok: false, reason: 'malformed' });
    // Renewed once a day old (or half its lifetime, when shorter).
    expect(shouldRenewVisitorToken({ issuedAtSec: t0, expiresAtSec: t0 + ttl }, t0 + DAY - 1)).toBe(false);
    expect(shouldRenewVisitorToken({ issuedAtSec: t0, expiresAtSec: t0 + ttl }, t0 + DAY)).toBe(true);
    expect(shouldRenewVisitorToken({ issuedAtSec: t0, expiresAtSec: t0 + 3600 }, t0 + 1800)).toBe(true);
  });

  it('refuses an expired token with 401 visitor_token_expired on the session, REST and the socket', async () => {
    const expired = tokenIssuedAt(now() - 30 * DAY - 60);
    const s = await session({ visitorToken: expired });
    expect(s.status).toBe(401);
    expect(s.body['error']).toMatchObject({ code: 'unauthorized', reason: 'visitor_token_expired' });
    const post = await restPost(expired, { id: 'late', text: 'hello' });
    expect(post.status).toBe(401);
    expect(post.body.error).toMatchObject({ code: 'unauthorized', reason: 'visitor_token_expired' });
    const poll = await fetch(`${server.url}/api/web/messages`, { headers: { authorization: `Bearer ${expired}` } });
    expect(poll.status).toBe(401);
    await expect(WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(expired)}`)).rejects.toThrow(/401/);
    // What the widget does next: a new anonymous session, a new visitor.
    const fresh = await session();
    expect(fresh.status).toBe(200);
    expect(visitorIdOf(fresh.body['visitorToken']!)).not.toBe(visitorIdOf(expired));
  });

  it('refuses a token issued in the future beyond the clock skew, and accepts one within it', async () => {
    const ahead = tokenIssuedAt(now() + 3600);
    const s = await session({ visitorToken: ahead });
    expect(s.status).toBe(401);
    expect(s.body['error']).toMatchObject({ reason: 'visitor_token_invalid' });
    expect((await restPost(ahead, { id: 'ahead', text: 'hello' })).status).toBe(401);
    await expect(WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(ahead)}`)).rejects.toThrow(/401/);
    const skewed = tokenIssuedAt(now() + 60);
    expect((await session({ visitorToken: skewed })).status).toBe(200);
    expect((await restPost(skewed, { id: 'skewed', text: 'hello' })).status).toBe(200);
  });

  it('renews a day-old token for the same visitor (and customer) on the session call; a fresh one is kept', async () => {
    const old = tokenIssuedAt(now() - 29 * DAY);
    expect((await restPost(old, { id: 'before-renewal', text: 'hello' })).status).toBe(200);
    const customerId = await customerOf(old);
    const renewed = await session({ visitorToken: old });
    expect(renewed.status).toBe(200);
    const token = renewed.body['visitorToken']!;
    expect(token).not.toBe(old);
    const check = checkVisitorToken(TOKEN_SECRET, token, { ttlSeconds: 30 * DAY });
    expect(check).toMatchObject({ ok: true, visitorId: visitorIdOf(old) });
    expect(Math.abs((check as { issuedAtSec: number }).issuedAtSec - now())).toBeLessThanOrEqual(5);
    expect(Date.parse(renewed.body['visitorTokenExpiresAt']!) / 1000).toBe((check as { expiresAtSec: number }).expiresAtSec);
    expect(renewed.body['customerId']).toBe(customerId);
    // The renewed token is the same shopper: their history is there.
    const c = await connect(token);
    expect(c.frames[0]).toMatchObject({ type: 'hello', customerId });
    expect((c.frames[1] as unknown as { messages: Array<{ text: string }> }).messages.map((m) => m.text)).toContain('hello');

    const recent = tokenIssuedAt(now() - 3600);
    expect((await session({ visitorToken: recent })).body['visitorToken']).toBe(recent);
  });
});

describe('session calls are limited per client IP (WEB_SESSION_IP_PER_MINUTE)', () => {
  let limited: RunningServer;
  const limitedDir = mkdtempSync(path.join(tmpdir(), 'sa-web-limit-'));

  beforeAll(async () => {
    const config = loadConfig({ PORT: '0', DATA_DIR: limitedDir, LOG_LEVEL: 'silent', SEED_DEMO: 'false', TRUST_PROXY: 'true', WEB_SESSION_IP_PER_MINUTE: '5' }, limitedDir);
    limited = await startServer(config, createLogger({ level: 'silent' }));
  }, 120_000);

  afterAll(async () => {
    await limited?.close();
    rmSync(limitedDir, { recursive: true, force: true });
  });

  const from = (ip: string, body: Record<string, unknown> = {}) =>
    fetch(`${limited.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });

  it('answers 429 with Retry-After beyond the limit, per address, and keeps serving other addresses', async () => {
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.7')).status).toBe(200);
    const refused = await from('203.0.113.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string; reason: string } }).error).toMatchObject({ code: 'rate_limited', reason: 'session_rate_limited' });
    // A returning visitor from that address is limited too (the limit is on the call, whatever it carries).
    expect((await from('203.0.113.7', { visitorToken: 'v1.x.1.y' })).status).toBe(429);
    expect((await from('198.51.100.23')).status).toBe(200);
  });
});
