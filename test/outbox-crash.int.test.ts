/**
 * A delivery interrupted by a crash is resumed, and sent once: a real server process (the
 * WeChat channel pointed at a local slow endpoint in front of the fake WeChat API, a real
 * HTTP server that counts what it receives) has an agent's reply `pending` after WeChat
 * answered "system busy"; its retry is held by the slow endpoint, and the process is killed
 * with SIGKILL while that attempt waits. Restarted on the same data folder, the server
 * resumes the delivery once the dead node's claim lapses: the shopper gets the reply exactly
 * once, and the stored message is `sent` with its attempts counted on.
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

const dir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-crash-'));
const raceDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-two-'));
const WECHAT_TOKEN = 'outboxcrash42';
const running: Spawned[] = [];
let fake: FakeWeChat | undefined;
let slow: SlowEndpoint | undefined;

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await slow?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(raceDir, { recursive: true, force: true });
});

/**
 * The WeChat API as the server sees it: requests pass through to the fake, except that
 * customer-service sends from number `holdFrom` on are held without an answer (a channel
 * that has gone slow). A held request whose caller died is dropped, never forwarded.
 */
interface SlowEndpoint {
  apiBase: string;
  /** Customer-service send requests seen so far (forwarded or held). */
  readonly sends: number;
  /** Requests being held now. */
  readonly held: number;
  holdFrom: number;
  close(): Promise<void>;
}

async function startSlowEndpoint(upstream: string): Promise<SlowEndpoint> {
  let sends = 0;
  const held = new Set<ServerResponse>();
  const state = { holdFrom: Number.POSITIVE_INFINITY };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isSend = (req.url ?? '').startsWith('/cgi-bin/message/custom/send');
      if (isSend && ++sends >= state.holdFrom) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      const body = Buffer.concat(chunks);
      fetch(`${upstream}${req.url ?? '/'}`, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body } : {}) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get sends() {
      return sends;
    },
    get held() {
      return held.size;
    },
    get holdFrom() {
      return state.holdFrom;
    },
    set holdFrom(n: number) {
      state.holdFrom = n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function startNode(dataDir = dir, extra: Record<string, string> = {}): Promise<{ p: Spawned; url: string }> {
  const p = runEntry('server.ts', [], {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    EMBEDDINGS_MODEL: 'lexical',
    WEB_TOKEN_SECRET: 'outbox-crash-web-token-secret-0123456789ab',
    HANDOFF_AUTO_ASSIGN: 'false',
    WECHAT_TOKEN,
    WECHAT_APP_ID: fake!.appId,
    WECHAT_APP_SECRET: fake!.appSecret,
    WECHAT_API_BASE: slow!.apiBase,
    OUTBOUND_RETRY_ATTEMPTS: '5',
    OUTBOUND_RETRY_BASE_MS: '200',
    OUTBOUND_RETRY_MAX_DELAY_MS: '400',
    OUTBOX_LEASE_MS: '1500',
    OUTBOX_POLL_MS: '250',
    ...extra,
  });
  running.push(p);
  const line = await waitForLog(p, 'listening', 90_000);
  return { p, url: String(line['url']) };
}

async function wechatPost(base: string, openId: string, content: string): Promise<number> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = `n${Date.now()}${Math.floor(Math.random() * 1e9)}`;
  const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce) });
  const res = await fetch(`${base}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: wechatTextXml('gh_outbox_crash', openId, content) });
  await res.text();
  return res.status;
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

async function withStore<T>(fn: (s: Store) => Promise<T>, dataDir = dir): Promise<T> {
  const s = await openStore({ kind: 'sqlite', file: path.join(dataDir, 'shop.db') });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('outbox across a crash', () => {
  it('a reply pending when the node is killed (SIGKILL mid-attempt) is resumed after the restart and reaches the shopper exactly once', async () => {
    fake = await startFakeWeChat();
    slow = await startSlowEndpoint(fake.apiBase);
    let node = await startNode();
    const openId = `o_outbox_crash_${Date.now()}`;
    expect(await wechatPost(node.url, openId, '我要转人工')).toBe(200);
    const convId = await until('the hand-off conversation', () =>
      withStore(async (s) => {
        const customer = await s.customers.findByIdentity('wechat', openId);
        return customer ? (await s.conversations.findOpenByCustomer(customer.id, 'wechat'))?.id : undefined;
      }),
    );
    const lina = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    expect((await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/claim`)).status).toBe(200);
    await until('the "joined" notice at WeChat', () => (fake!.sent.some((m) => m.touser === openId) ? true : undefined));

    // WeChat is busy for the first attempt; the retry that follows is held by the slow endpoint.
    const text = 'Your parcel left the warehouse this morning.';
    fake.failNext(-1);
    slow.holdFrom = slow.sends + 2;
    const r = await consoleApi(node.url, lina, 'POST', `/api/console/conversations/${convId}/messages`, { text });
    expect(r.status).toBe(201);
    const messageId = (r.json['message'] as { id: string; delivery?: { status: string } }).id;
    expect((r.json['message'] as { delivery?: { status: string } }).delivery?.status).toBe('pending');
    await until('the retry to reach the slow endpoint', () => (slow!.held > 0 ? true : undefined));
    const before = await withStore(async (s) => (await s.messages.get(messageId))!);
    expect(before.delivery).toMatchObject({ status: 'pending', attempts: 1 });
    expect(before.delivery?.claim?.owner).toBeTruthy();

    node.p.child.kill('SIGKILL');
    expect((await node.p.exited).signal).toBe('SIGKILL');
    // The held attempt died with its node: nothing of it reached WeChat.
    expect(fake.sent.filter((m) => m.text?.content === text)).toHaveLength(0);

    // The channel is fast again; the node restarts on the same data folder.
    slow.holdFrom = Number.POSITIVE_INFINITY;
    node = await startNode();
    const done = await until(
      'the resumed delivery to settle',
      () => withStore(async (s) => {
        const m = await s.messages.get(messageId);
        return m?.delivery?.status === 'pending' ? undefined : m ?? undefined;
      }),
      60_000,
    );
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(done.delivery?.claim).toBeUndefined();
    expect(node.p.logs().some((l) => l['msg'] === 'outbox: resuming an interrupted delivery' && l['messageId'] === messageId)).toBe(true);

    // The console shows it sent, and the transcript holds it once.
    const agent = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    const view = await consoleApi(node.url, agent, 'GET', `/api/console/conversations/${convId}`);
    expect((view.json['transcript'] as Array<{ id: string; text: string; delivery?: { status: string } }>).filter((m) => m.text === text)).toEqual([
      expect.objectContaining({ id: messageId, delivery: expect.objectContaining({ status: 'sent', attempts: 2 }) }),
    ]);

    node.p.child.kill('SIGTERM');
    await node.p.exited;
    // Exactly once at WeChat, counted after the node has stopped for good.
    expect(fake.sent.filter((m) => m.touser === openId && m.text?.content === text)).toHaveLength(1);
    const transcript: Message[] = await withStore((s) => s.messages.listByConversation(convId, { limit: 500 }));
    expect(transcript.filter((m) => m.text === text)).toHaveLength(1);
  }, 240_000);
});

describe('outbox with two server processes on one SQLite file', () => {
  it('deliveries a crashed node left pending are resumed by the two live nodes racing for them: each reaches WeChat exactly once', async () => {
    fake ??= await startFakeWeChat();
    slow ??= await startSlowEndpoint(fake.apiBase);
    // What a crashed third node left: agent replies pending after one busy attempt, its claim
    // still running, so that neither live node may touch them until the test lets it lapse.
    const N = 16;
    const texts: string[] = [];
    const ids = await withStore(async (s) => {
      const out: string[] = [];
      for (let c = 0; c < 4; c++) {
        const openId = `o_outbox_two_${c}_${Date.now()}`;
        const customer = await s.customers.create({ displayName: `Two ${c}`, locale: 'zh', identities: [{ channel: 'wechat', externalId: openId }] });
        const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'zh' });
        for (let i = 0; i < N / 4; i++) {
          const text = `Reply ${c}.${i} from a node that crashed`;
          texts.push(text);
          const m = await s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', agentId: 'agt-gone', channel: 'wechat', text });
          await s.messages.setDelivery(m.id, { status: 'pending', attempts: 1, error: 'errcode -1: system error', claim: { owner: 'node-crashed', until: new Date(Date.now() + 3600_000) }, maxAttempts: 5 });
          out.push(m.id);
        }
      }
      return out;
    }, raceDir);
    const nodes = await Promise.all([startNode(raceDir, { SEED_DEMO: 'false', OUTBOX_POLL_MS: '100' }), startNode(raceDir, { SEED_DEMO: 'false', OUTBOX_POLL_MS: '100' })]);
    // Both nodes are up and polling: the crashed node's claims lapse now, for both at once.
    await withStore(async (s) => {
      for (const id of ids) await s.messages.setDelivery(id, { status: 'pending', attempts: 1, error: 'errcode -1: system error', claim: { owner: 'node-crashed', until: new Date(Date.now() - 1) }, maxAttempts: 5 });
    }, raceDir);
    const settled = await until(
      'every delivery to settle',
      () => withStore(async (s) => {
        const all = await Promise.all(ids.map((id) => s.messages.get(id)));
        return all.every((m) => m?.delivery?.status === 'sent') ? all : undefined;
      }, raceDir),
      60_000,
    );
    for (const n of nodes) n.p.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.p.exited));
    for (const m of settled) expect(m?.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    // Counted at WeChat after both nodes have stopped: each reply once, none twice.
    for (const text of texts) expect(fake.sent.filter((m) => m.text?.content === text), text).toHaveLength(1);
    const resumedBy = nodes.map((n) => n.p.logs().filter((l) => l['msg'] === 'outbox: resuming an interrupted delivery' && ids.includes(String(l['messageId']))).length);
    expect(resumedBy[0]! + resumedBy[1]!).toBe(N);
    console.log(`outbox, two processes on one SQLite file: ${N} deliveries resumed, ${resumedBy[0]} by one node and ${resumedBy[1]} by the other; each received once`);
  }, 240_000);
});
