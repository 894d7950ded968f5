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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wechatSignature } from '../channels/wechat/index.js';
import { openStore, type Message, type Store } from '../store/index.js';
import { startFakeWeChat, type FakeWeChat } from './fakes/wechat-server.js';
import { runEntry, waitForLog, type Spawned } from './helpers/processes.js';
import { consoleApi, consoleLogin, wechatTextXml } from './helpers/shop-server.js';

const wechatDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-first-wx-'));
const appDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-first-app-'));
const WECHAT_TOKEN = 'outboxfirst42';
const APP_SECRET = 'outbox-first-attempt-app-secret-0123456789';
const LEASE_MS = 1500;
const running: Spawned[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  for (const s of servers) await s.close();
  rmSync(wechatDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
});

/** Holds requests `hold` picks without an answer (a channel gone slow); the others go to `pass`. */
function holdingServer(hold: (req: IncomingMessage, body: Buffer) => boolean, pass: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (hold(req, body)) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      pass(req, body, res);
    });
  });
  const handle = {
    server,
    get held() {
      return held.size;
    },
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  servers.push(handle);
  return handle;
}

async function startNode(dataDir: string, env: Record<string, string>): Promise<{ p: Spawned; url: string }> {
  const p = runEntry('server.ts', [], {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    EMBEDDINGS_MODEL: 'lexical',
    WEB_TOKEN_SECRET: 'outbox-first-web-token-secret-0123456789ab',
    HANDOFF_AUTO_ASSIGN: 'false',
    OUTBOUND_RETRY_ATTEMPTS: '5',
    OUTBOUND_RETRY_BASE_MS: '200',
    OUTBOUND_RETRY_MAX_DELAY_MS: '400',
    OUTBOX_LEASE_MS: String(LEASE_MS),
    OUTBOX_POLL_MS: '250',
    ...env,
  });
  running.push(p);
  const line = await waitForLog(p, 'listening', 90_000);
  return { p, url: String(line['url']) };
}

async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withStore<T>(dataDir: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore({ kind: 'sqlite', file: path.join(dataDir, 'shop.db') });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** The one stored agent message with this text in the conversation. */
const storedReply = (dataDir: string, convId: string, text: string) =>
  until(`the stored reply "${text}"`, () =>
    withStore(dataDir, async (s) => (await s.messages.listByConversation(convId, { limit: 500 })).find((m) => m.sender === 'agent' && m.text === text)),
  );

/** The message once its delivery is no longer pending (the resumed delivery settled). */
const settled = (dataDir: string, id: string) =>
  until(
    'the resumed delivery to settle',
    () =>
      withStore(dataDir, async (s) => {
        const m = await s.messages.get(id);
        return m?.delivery && m.delivery.status !== 'pending' ? m : undefined;
      }),
    60_000,
  );

/** What the dead node left: the message pending under its claim, nothing of the attempt counted. */
function expectLeftPending(m: Message, before: number): void {
  expect(m.delivery).toMatchObject({ status: 'pending', attempts: 0 });
  expect(m.delivery?.claim?.owner).toBeTruthy();
  expect(m.delivery!.claim!.until.getTime()).toBeGreaterThan(before);
}

const resumedIn = (p: Spawned, messageId: string) => p.logs().some((l) => l['msg'] === 'outbox: resuming an interrupted delivery' && l['messageId'] === messageId);

describe('outbox: a crash during the first attempt', () => {
  it('WeChat: an agent reply whose first send is in flight when the node is killed is resumed after the restart and reaches the shopper once', async () => {
    const fake: FakeWeChat = await startFakeWeChat();
    servers.push(fake);
    // The WeChat API as the server sees it: customer-service sends from number `holdFrom` on are held.
    let sends = 0;
    let holdFrom = Number.POSITIVE_INFINITY;
    const slow = holdingServer(
      (req) => (req.url ?? '').startsWith('/cgi-bin/message/custom/send') && ++sends >= holdFrom,
      (req, body, res) => {
        fetch(`${fake.apiBase}${req.url ?? '/'}`, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body: body.toString('utf8') } : {}) })
          .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
          .catch(() => res.writeHead(502).end());
      },
    );
    const env = { WECHAT_TOKEN, WECHAT_APP_ID: fake.appId, WECHAT_APP_SECRET: fake.appSecret, WECHAT_API_BASE: await slow.listen() };
    let node = await startNode(wechatDir, env);

    const openId = `o_first_attempt_${Date.now()}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = `n${Date.now()}`;
    const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce) });
    const posted = await fetch(`${node.url}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: wechatTextXml('gh_outbox_first', openId, '我要转人工') });
    await posted.text();
    expect(posted.status).toBe(200);
    const convId = await until('the hand-off conversation', () =>
      withStore(wechatDir, async (s) => {
        const customer = await s.customers.findByIdentity('wechat', openId);
        return customer ? (await s.conversations.findOpenByCustomer(customer.id, 'wechat'))?.id : undefined;
      }),
    );
    const lina = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    expect((await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/claim`)).status).toBe(200);
    await until('the "joined" notice at WeChat', () => (fake.sent.some((m) => m.touser === openId) ? true : undefined));

    // The reply's very first send is held: the console's request waits on it, and the node dies.
    const text = 'I have found your order: it ships today.';
    holdFrom = sends + 1;
    const replying = consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/messages`, { text }).catch((err: unknown) => err);
    await until('the first send to reach the slow endpoint', () => (slow.held > 0 ? true : undefined));
    const stored = await storedReply(wechatDir, convId, text);
    expectLeftPending(stored, Date.now());

    node.p.child.kill('SIGKILL');
    expect((await node.p.exited).signal).toBe('SIGKILL');
    await replying; // the console's request died with the node
    expect(fake.sent.filter((m) => m.text?.content === text)).toHaveLength(0);

    // WeChat is fast again; the node restarts on the same data and resumes the delivery.
    holdFrom = Number.POSITIVE_INFINITY;
    node = await startNode(wechatDir, env);
    const done = await settled(wechatDir, stored.id);
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 1 });
    expect(done.delivery?.claim).toBeUndefined();
    expect(resumedIn(node.p, stored.id)).toBe(true);

    node.p.child.kill('SIGTERM');
    await node.p.exited;
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
    const env = { APP_HMAC_SECRET: APP_SECRET, APP_PUSH_URL: `${await webhook.listen()}/push` };
    let node = await startNode(appDir, env);

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

    node.p.child.kill('SIGKILL');
    expect((await node.p.exited).signal).toBe('SIGKILL');

    holding = false;
    node = await startNode(appDir, env);
    const done = await settled(appDir, messageId);
    expect(done.delivery).toMatchObject({ status: 'sent' });
    expect(resumedIn(node.p, messageId)).toBe(true);
    node.p.child.kill('SIGTERM');
    await node.p.exited;

    // The attempt that died and the resumed one: one delivery id, the stored message's, and one accepted.
    const pushes = received.filter((p) => p.messageId === messageId);
    expect(pushes.map((p) => [p.deliveryId, p.answered])).toEqual([
      [messageId, false],
      [messageId, true],
    ]);
    expect(pushes.every((p) => p.text === text)).toBe(true);
  }, 240_000);
});
