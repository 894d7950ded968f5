/**
 * Issue 14, point 1: a message id is its sender's, never a key into someone else's
 * conversation. On every channel, sender B reuses the id sender A used for a message whose
 * answer holds A's order details; B must get B's own ack and B's own answer (`duplicate`
 * false), B's message is stored under B's customer, and nothing of A's reaches B. A genuine
 * redelivery by the SAME sender is still one stored message and one answer.
 * (Bot Framework: test/isolation-botframework.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSignatureHeaders } from '../channels/app/index.js';
import { signIdentityToken, type WireMessage } from '../channels/web/index.js';
import type { Message } from '../store/index.js';
import { IDENTITY_SECRET, startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';
import { storedByChannelId } from './helpers/stored.js';
import { WsClient, type Frame } from './helpers/ws-client.js';

const APP_SECRET = 'app-hmac-secret-for-isolation-0123456789';
const OA = 'gh_isolation';
/** The demo customer who owns order SA100001 (Marlow Easy Slip sneakers among its items, phone ending 0119). */
const OWNER = 'cus_demo_048';
const ORDER = 'SA100001';
/** A detail of that order its answer shows (the first item). */
const DETAIL = 'Marlow Easy Slip';

let shop: ShopServer;
const sockets: WsClient[] = [];

beforeAll(async () => {
  shop = await startShopServer('sa-isolation-', 'isolationtoken', { APP_HMAC_SECRET: APP_SECRET, EMBEDDINGS_MODEL: 'lexical', WEB_SESSION_IP_PER_MINUTE: '100000' });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) await s.close();
  await shop?.close();
});

// ------------------------------------------------------------------------- the widget

interface WebSession {
  visitorToken: string;
  visitorId: string;
}

async function webSession(customerId?: string): Promise<WebSession> {
  const body = customerId ? { identityToken: signIdentityToken(IDENTITY_SECRET, customerId, Math.floor(Date.now() / 1000) + 600) } : {};
  const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  const { visitorToken } = (await res.json()) as { visitorToken: string };
  return { visitorToken, visitorId: visitorToken.split('.')[1]! };
}

interface RestAnswer {
  ack: { id: string; messageId: string; seq: number };
  duplicate: boolean;
  replies: WireMessage[];
}

async function restSend(s: WebSession, id: string, text: string): Promise<RestAnswer> {
  const res = await fetch(`${shop.server.url}/api/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.visitorToken}` },
    body: JSON.stringify({ id, text }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as RestAnswer;
}

async function webCustomer(visitorId: string): Promise<string> {
  const customer = await shop.server.store.customers.findByIdentity('web', visitorId);
  expect(customer).not.toBeNull();
  return customer!.id;
}

async function openSocket(s: WebSession): Promise<WsClient> {
  const c = await WsClient.connect(`${shop.server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(s.visitorToken)}`);
  sockets.push(c);
  await c.waitFor((f) => f.type === 'history');
  return c;
}

const messageOf = (f: Frame) => f['message'] as WireMessage;
const isBot = (f: Frame) => f.type === 'message' && messageOf(f).sender === 'bot';

/** Sends a frame and waits for the end of its turn (the bot's typing-off follows every message frame); the frames of the turn. */
async function socketSend(c: WsClient, id: string, text: string): Promise<{ ack: Frame; frames: Frame[] }> {
  const from = c.frames.length;
  c.send({ type: 'message', id, text });
  const ack = await c.waitFor((f) => f.type === 'ack' && f['id'] === id, { from });
  await c.waitFor((f) => f.type === 'typing' && f['on'] === false && f['from'] === 'bot', { from });
  return { ack, frames: c.frames.slice(from) };
}

/** The stored inbound messages of `channel` with raw id `id`, by customer. */
async function storedBy(channel: Message['channel'], id: string): Promise<Map<string, Message[]>> {
  const byCustomer = new Map<string, Message[]>();
  for (const m of await storedByChannelId(shop.server.store, channel, id)) byCustomer.set(m.customerId, [...(byCustomer.get(m.customerId) ?? []), m]);
  return byCustomer;
}

/** Every text B must never see: A's replies and A's order details. */
function expectNoneOf(texts: string[], secrets: string[]): void {
  for (const t of texts) for (const secret of secrets) expect(t).not.toContain(secret);
}

describe('web widget, REST: visitor B reuses visitor A\'s message id', () => {
  it('gives B its own ack and answer, stores B\'s message under B, and shows B nothing of A\'s', async () => {
    const id = `m-608-${randomUUID().slice(0, 6)}`;
    const a = await webSession(OWNER);
    const asked = await restSend(a, id, `where is my order ${ORDER}`);
    const aTexts = asked.replies.map((r) => r.text);
    expect(aTexts.join('\n')).toContain(DETAIL); // A's answer holds the order's details

    const b = await webSession();
    const answer = await restSend(b, id, 'hello');
    expect(answer.duplicate).toBe(false);
    expect(answer.ack.id).toBe(id);
    expect(answer.ack.messageId).not.toBe(asked.ack.messageId);
    const bCustomer = await webCustomer(b.visitorId);
    const bMessage = await shop.server.store.messages.get(answer.ack.messageId);
    expect(bMessage).toMatchObject({ customerId: bCustomer, direction: 'in', text: 'hello' });
    expect(answer.replies.length).toBeGreaterThan(0);
    for (const r of answer.replies) expect(r.conversationId).toBe(bMessage!.conversationId);
    expect(answer.replies[0]!.text).toMatch(/shopping assistant/);
    expectNoneOf(answer.replies.map((r) => r.text), [...aTexts, ORDER, DETAIL]);

    const stored = await storedBy('web', id);
    expect(stored.get(OWNER)?.map((m) => m.text)).toEqual([`where is my order ${ORDER}`]);
    expect(stored.get(bCustomer)?.map((m) => m.text)).toEqual(['hello']);
    expect(stored.size).toBe(2);
  });

  it('still answers a redelivery by the same visitor once, from the store', async () => {
    const id = `again-${randomUUID().slice(0, 6)}`;
    const a = await webSession();
    const first = await restSend(a, id, 'hello');
    const again = await restSend(a, id, 'hello');
    expect(again.duplicate).toBe(true);
    expect(again.ack.messageId).toBe(first.ack.messageId);
    expect(again.replies.map((r) => r.id)).toEqual(first.replies.map((r) => r.id));
    const customer = await webCustomer(a.visitorId);
    expect((await storedBy('web', id)).get(customer)).toHaveLength(1);
    const conversation = await shop.server.store.messages.listByConversation(first.replies[0]!.conversationId);
    expect(conversation.filter((m) => m.sender === 'bot')).toHaveLength(first.replies.length);
  });
});

describe('web widget, socket: visitor B reuses visitor A\'s message id', () => {
  it('gives B its own ack and answer, stores B\'s message under B, and shows B nothing of A\'s', async () => {
    const id = `m-608-${randomUUID().slice(0, 6)}`;
    const a = await webSession(OWNER);
    const ca = await openSocket(a);
    const asked = await socketSend(ca, id, `where is my order ${ORDER}`);
    const aTexts = asked.frames.filter(isBot).map((f) => messageOf(f).text);
    expect(aTexts.join('\n')).toContain(DETAIL);

    const b = await webSession();
    const cb = await openSocket(b);
    const answer = await socketSend(cb, id, 'hello');
    expect(answer.ack['messageId']).not.toBe(asked.ack['messageId']);
    const bCustomer = await webCustomer(b.visitorId);
    const bMessage = await shop.server.store.messages.get(answer.ack['messageId'] as string);
    expect(bMessage).toMatchObject({ customerId: bCustomer, direction: 'in', text: 'hello' });
    const bReplies = answer.frames.filter(isBot).map(messageOf);
    expect(bReplies.length).toBeGreaterThan(0);
    for (const r of bReplies) expect(r.conversationId).toBe(bMessage!.conversationId);
    // Everything B's socket ever received: B's own conversation only, none of A's words.
    const bMessages = cb.frames.filter((f) => f.type === 'message').map(messageOf);
    for (const m of bMessages) expect(m.conversationId).toBe(bMessage!.conversationId);
    expectNoneOf(
      cb.frames.map((f) => JSON.stringify(f)),
      [...aTexts, ORDER, DETAIL],
    );
    // A's socket saw nothing of B's turn.
    expect(ca.frames.filter((f) => f.type === 'message' && messageOf(f).conversationId === bMessage!.conversationId)).toHaveLength(0);

    const stored = await storedBy('web', id);
    expect(stored.get(OWNER)?.map((m) => m.text)).toEqual([`where is my order ${ORDER}`]);
    expect(stored.get(bCustomer)?.map((m) => m.text)).toEqual(['hello']);
  });

  it('still answers a redelivery by the same visitor once', async () => {
    const id = `again-${randomUUID().slice(0, 6)}`;
    const a = await webSession();
    const c = await openSocket(a);
    const first = await socketSend(c, id, 'hello');
    const again = await socketSend(c, id, 'hello');
    expect(again.ack['messageId']).toBe(first.ack['messageId']);
    expect(first.frames.filter(isBot).length).toBeGreaterThan(0);
    expect(again.frames.filter(isBot)).toHaveLength(0);
    expect((await storedBy('web', id)).get(await webCustomer(a.visitorId))).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------ the app API

interface AppAnswer {
  ack: { messageId: string; seq: number; conversationId: string };
  duplicate: boolean;
  replies: WireMessage[];
}

async function appSend(userId: string, key: string, text: string, extra: Record<string, unknown> = {}): Promise<AppAnswer> {
  const target = `/api/app/v1/conversations/${encodeURIComponent(`app:${userId}`)}/messages`;
  const body = JSON.stringify({ userId, text, locale: 'en', ...extra });
  // Signed as the app's backend signs (the helper of channels/app: method, path, timestamp, Idempotency-Key, body).
  const headers = { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target, idempotencyKey: key, body }) };
  const res = await fetch(`${shop.server.url}${target}`, { method: 'POST', headers, body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as AppAnswer;
}

describe('app API: user B sends with user A\'s Idempotency-Key', () => {
  it('gives B its own ack and answer, stores B\'s message under B, and shows B nothing of A\'s', async () => {
    const key = randomUUID();
    const userA = `iso-a-${randomUUID().slice(0, 6)}`;
    const userB = `iso-b-${randomUUID().slice(0, 6)}`;
    const asked = await appSend(userA, key, `where is my order ${ORDER}`, { customerId: OWNER });
    const aTexts = asked.replies.map((r) => r.text);
    expect(aTexts.join('\n')).toContain(DETAIL);

    const answer = await appSend(userB, key, 'hello');
    expect(answer.duplicate).toBe(false);
    expect(answer.ack.conversationId).not.toBe(asked.ack.conversationId);
    const bCustomer = (await shop.server.store.customers.findByIdentity('app', userB))!.id;
    expect(await shop.server.store.messages.get(answer.ack.messageId)).toMatchObject({ customerId: bCustomer, conversationId: answer.ack.conversationId, text: 'hello' });
    expect(answer.replies.length).toBeGreaterThan(0);
    for (const r of answer.replies) expect(r.conversationId).toBe(answer.ack.conversationId);
    expectNoneOf(answer.replies.map((r) => r.text), [...aTexts, ORDER, DETAIL]);

    const stored = await storedBy('app', key);
    expect(stored.get(OWNER)?.map((m) => m.text)).toEqual([`where is my order ${ORDER}`]);
    expect(stored.get(bCustomer)?.map((m) => m.text)).toEqual(['hello']);

    // A's own repeat is A's message, answered from the store.
    const repeat = await appSend(userA, key, `where is my order ${ORDER}`, { customerId: OWNER });
    expect(repeat.duplicate).toBe(true);
    expect(repeat.ack.messageId).toBe(asked.ack.messageId);
    expect(repeat.replies.map((r) => r.id)).toEqual(asked.replies.map((r) => r.id));
    expect((await storedBy('app', key)).get(OWNER)).toHaveLength(1);
  });
});

// ----------------------------------------------------------------------------- WeChat

function passiveText(xml: string): string {
  return /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(xml)?.[1] ?? '';
}

/** What reached `openId`: the passive reply and every customer-service message sent to them. */
function wechatSeenBy(openId: string, passive: string[]): string[] {
  return [...passive, ...shop.fake.sent.filter((s) => s.touser === openId).map((s) => JSON.stringify(s))];
}

describe('WeChat: follower B sends with follower A\'s MsgId', () => {
  it('answers B as B, stores B\'s message under B, and shows B nothing of A\'s', async () => {
    const openA = `oIsoA_${randomUUID().slice(0, 8)}`;
    const openB = `oIsoB_${randomUUID().slice(0, 8)}`;
    const base = 7_000_000_000_000_000 + Math.floor(Math.random() * 1e12);
    const askId = String(base);
    const msgId = String(base + 1);
    const asked = await wechatPost(shop, OA, openA, `where is my order ${ORDER}`, askId);
    expect(passiveText(asked.body)).toMatch(/last 4 digits/);
    const verified = await wechatPost(shop, OA, openA, '0119', msgId);
    // Two messages (the order, then suggestions): they go out as customer-service messages after the `success`.
    const sentToA = () => [passiveText(verified.body), ...shop.fake.sent.filter((s) => s.touser === openA).map((s) => s.text?.content ?? '')].filter((t) => t);
    await expect.poll(() => sentToA().join('\n'), { timeout: 10_000 }).toContain(DETAIL);
    const aTexts = sentToA();

    const answer = await wechatPost(shop, OA, openB, 'hello', msgId);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`<ToUserName><![CDATA[${openB}]]></ToUserName>`);
    expect(passiveText(answer.body)).toMatch(/shopping assistant|购物助手/);
    expectNoneOf(wechatSeenBy(openB, [answer.body]), [...aTexts, ORDER, DETAIL]);

    const aCustomer = (await shop.server.store.customers.findByIdentity('wechat', openA))!.id;
    const bCustomer = (await shop.server.store.customers.findByIdentity('wechat', openB))!.id;
    const stored = await storedBy('wechat', msgId);
    expect(stored.get(aCustomer)?.map((m) => m.text)).toEqual(['0119']);
    expect(stored.get(bCustomer)?.map((m) => m.text)).toEqual(['hello']);

    // WeChat's own retry of A's message (same follower, same MsgId): one stored copy, no second answer.
    const sentBefore = shop.fake.sent.length;
    const retry = await wechatPost(shop, OA, openA, '0119', msgId);
    expect(retry.status).toBe(200);
    expect(retry.body).toBe('success');
    expect(shop.fake.sent.length).toBe(sentBefore);
    expect((await storedBy('wechat', msgId)).get(aCustomer)).toHaveLength(1);
  });
});
