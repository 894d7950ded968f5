/**
 * A node killed during the FIRST attempt of an out-of-turn message leaves it to the outbox.
 * Before that attempt starts the message is stored `pending` under the node's claim, so when
 * a real server process is killed with SIGKILL while the channel holds that very first
 * attempt, the server restarted on the same data resumes the delivery once the dead node's
 * claim lapses, and the shopper gets it exactly once:
 *
 * - an agent's reply to a WeChat shopper, whose first customer-service send is held by a
 *   slow endpoint in front of the fake WeChat API (real HTTP servers);
 * - an agent's reply to an app shopper, whose first push is held by the app backend's
 *   webhook: the resumed push carries the same `X-Shop-Delivery-Id` (the stored message id)
 *   as the attempt that died, so the backend can tell a copy.
 */
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../store/index.js';
import { startFakeWeChat, type FakeWeChat } from './fakes/wechat-server.js';
import { holdingServer, openConversationId, outboxNodes, resumedIn, settledDelivery, startSlowWeChat, stopNode, withStore } from './helpers/outbox.js';
import { until } from './helpers/poll.js';
import { consoleApi, consoleLogin, wechatPost } from './helpers/shop-server.js';

const wechatDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-first-wx-'));
const appDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-first-app-'));
const WECHAT_TOKEN = 'outboxfirst42';
const APP_SECRET = 'outbox-first-attempt-app-secret-0123456789';
const procs = outboxNodes();
const servers: Array<{ close(): Promise<void> }> = [];

afterAll(async () => {
  await procs.killAll();
  for (const s of servers) await s.close();
  rmSync(wechatDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
});

/** The one stored agent message with this text in the conversation. */
const storedReply = (dataDir: string, convId: string, text: string) =>
  until(`the stored reply "${text}"`, () =>
    withStore(dataDir, async (s) => (await s.messages.listByConversation(convId, { limit: 500 })).find((m) => m.sender === 'agent' && m.text === text)),
  );

/** What the dead node left: the message pending under its claim, nothing of the attempt counted. */
function expectLeftPending(m: Message, before: number): void {
  expect(m.delivery).toMatchObject({ status: 'pending', attempts: 0 });
  expect(m.delivery?.claim?.owner).toBeTruthy();
  expect(m.delivery!.claim!.until.getTime()).toBeGreaterThan(before);
}

describe('outbox: a crash during the first attempt', () => {
  it('WeChat: an agent reply whose first send is in flight when the node is killed is resumed after the restart and reaches the shopper once', async () => {
    const fake: FakeWeChat = await startFakeWeChat();
    servers.push(fake);
    // The WeChat API as the server sees it: customer-service sends from number `holdFrom` on are held.
    const slow = await startSlowWeChat(fake.apiBase);
    servers.push(slow);
    const env = { WECHAT_TOKEN, WECHAT_APP_ID: fake.appId, WECHAT_APP_SECRET: fake.appSecret, WECHAT_API_BASE: slow.apiBase };
    let node = await procs.start(wechatDir, env);

    const openId = `o_first_attempt_${Date.now()}`;
    expect((await wechatPost({ server: node, wechatToken: WECHAT_TOKEN }, 'gh_outbox_first', openId, '我要转人工')).status).toBe(200);
    const convId = await openConversationId(wechatDir, 'wechat', openId);
    const lina = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    expect((await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/claim`)).status).toBe(200);
    await until('the "joined" notice at WeChat', () => (fake.sent.some((m) => m.touser === openId) ? true : undefined));

    // The reply's very first send is held: the console's request waits on it, and the node dies.
    const text = 'I have found your order: it ships today.';
    slow.holdFrom = slow.sends + 1;
    const replying = consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/messages`, { text }).catch((err: unknown) => err);
    await until('the first send to reach the slow endpoint', () => (slow.held > 0 ? true : undefined));
    const stored = await storedReply(wechatDir, convId, text);
    expectLeftPending(stored, Date.now());

    expect(await stopNode(node, 'SIGKILL')).toBe('SIGKILL');
    await replying; // the console's request died with the node
    expect(fake.sent.filter((m) => m.text?.content === text)).toHaveLength(0);

    // WeChat is fast again; the node restarts on the same data and resumes the delivery.
    slow.holdFrom = Number.POSITIVE_INFINITY;
    node = await procs.start(wechatDir, env);
    const done = await settledDelivery(wechatDir, stored.id);
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 1 });
    expect(done.delivery?.claim).toBeUndefined();
    expect(resumedIn(node.p, stored.id)).toBe(true);

    await stopNode(node, 'SIGTERM');
    // Counted after the node has stopped for good: once at WeChat, once in the transcript.
    expect(fake.sent.filter((m) => m.touser === openId && m.text?.content === text)).toHaveLength(1);
    const transcript = await withStore(wechatDir, (s) => s.messages.listByConversation(convId, { limit: 500 }));
    expect(transcript.filter((m) => m.text === text)).toHaveLength(1);
  }, 240_000);

  it('app push: an agent reply whose first push is in flight when the node is killed is pushed again after the restart, with the same X-Shop-Delivery-Id (its message id)', async () => {
    const text = 'Your refund was approved.';
    const received: Array<{ deliveryId: string; attempt: string; messageId: string; text: string; answered: boolean }> = [];
    let holding = true;
    const parse = (req: IncomingMessage, body: Buffer) => {
      const event = JSON.parse(body.toString('utf8')) as { message: { id: string; text: string } };
      return { deliveryId: String(req.headers['x-shop-delivery-id']), attempt: String(req.headers['x-shop-delivery-attempt']), messageId: event.message.id, text: event.message.text };
    };
    const webhook = holdingServer(
      (req, body) => {
        const seen = parse(req, body);
        const hold = holding && seen.text === text;
        received.push({ ...seen, answered: !hold });
        return hold;
      },
      (_req, _body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
    servers.push(webhook);
    const env = { APP_HMAC_SECRET: APP_SECRET, APP_PUSH_URL: `${await webhook.listen()}/push` };
    let node = await procs.start(appDir, env);

    const userId = `app-first-attempt-${Date.now()}`;
    const convId = await withStore(appDir, async (s) => {
      const customer = await s.customers.create({ displayName: 'App Shopper', locale: 'en', identities: [{ channel: 'app', externalId: userId }] });
      const conv = await s.conversations.create({ customerId: customer.id, channel: 'app', language: 'en' });
      await s.conversations.enqueue(conv.id, { priority: 10, reason: 'requested' });
      return conv.id;
    });
    const lina = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    expect((await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/claim`)).status).toBe(200);

    // The push queue sends off the request: the reply answers 201 pending while its first push is held.
    const r = await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/messages`, { text });
    expect(r.status).toBe(201);
    const messageId = (r.json['message'] as { id: string }).id;
    await until('the first push to reach the webhook', () => (webhook.held > 0 ? true : undefined));
    expectLeftPending((await withStore(appDir, (s) => s.messages.get(messageId)))!, Date.now());

    expect(await stopNode(node, 'SIGKILL')).toBe('SIGKILL');

    holding = false;
    node = await procs.start(appDir, env);
    const done = await settledDelivery(appDir, messageId);
    expect(done.delivery).toMatchObject({ status: 'sent' });
    expect(resumedIn(node.p, messageId)).toBe(true);
    await stopNode(node, 'SIGTERM');

    // The attempt that died and the resumed one: one delivery id, the stored message's, and one accepted.
    const pushes = received.filter((p) => p.messageId === messageId);
    expect(pushes.map((p) => [p.deliveryId, p.answered])).toEqual([
      [messageId, false],
      [messageId, true],
    ]);
    expect(pushes.every((p) => p.text === text)).toBe(true);
  }, 240_000);
});
