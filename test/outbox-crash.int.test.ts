/**
 * A delivery interrupted by a crash is resumed, and sent once: a real server process (the
 * WeChat channel pointed at a local slow endpoint in front of the fake WeChat API, a real
 * HTTP server that counts what it receives) has an agent's reply `pending` after WeChat
 * answered "system busy"; its retry is held by the slow endpoint, and the process is killed
 * with SIGKILL while that attempt waits. Restarted on the same data folder, the server
 * resumes the delivery once the dead node's claim lapses: the shopper gets the reply exactly
 * once, and the stored message is `sent` with its attempts counted on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../store/index.js';
import { startFakeWeChat, type FakeWeChat } from './fakes/wechat-server.js';
import { openConversationId, outboxNodes, resumedIn, settledDelivery, startSlowWeChat, stopNode, withStore, type SlowWeChat } from './helpers/outbox.js';
import { until } from './helpers/poll.js';
import { consoleApi, consoleLogin, wechatPost } from './helpers/shop-server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-crash-'));
const raceDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-two-'));
const WECHAT_TOKEN = 'outboxcrash42';
const OA = 'gh_outbox_crash';
const procs = outboxNodes();
let fake: FakeWeChat | undefined;
let slow: SlowWeChat | undefined;

afterAll(async () => {
  await procs.killAll();
  await slow?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(raceDir, { recursive: true, force: true });
});

/** A node whose WeChat API is the slow endpoint in front of the fake. */
const startNode = (dataDir = dir, extra: Record<string, string> = {}) =>
  procs.start(dataDir, { WECHAT_TOKEN, WECHAT_APP_ID: fake!.appId, WECHAT_APP_SECRET: fake!.appSecret, WECHAT_API_BASE: slow!.apiBase, ...extra });

describe('outbox across a crash', () => {
  it('a reply pending when the node is killed (SIGKILL mid-attempt) is resumed after the restart and reaches the shopper exactly once', async () => {
    fake = await startFakeWeChat();
    slow = await startSlowWeChat(fake.apiBase);
    let node = await startNode();
    const openId = `o_outbox_crash_${Date.now()}`;
    expect((await wechatPost({ server: node, wechatToken: WECHAT_TOKEN }, OA, openId, '我要转人工')).status).toBe(200);
    const convId = await openConversationId(dir, 'wechat', openId);
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
    const before = await withStore(dir, async (s) => (await s.messages.get(messageId))!);
    expect(before.delivery).toMatchObject({ status: 'pending', attempts: 1 });
    expect(before.delivery?.claim?.owner).toBeTruthy();

    expect(await stopNode(node, 'SIGKILL')).toBe('SIGKILL');
    // The held attempt died with its node: nothing of it reached WeChat.
    expect(fake.sent.filter((m) => m.text?.content === text)).toHaveLength(0);

    // The channel is fast again; the node restarts on the same data folder.
    slow.holdFrom = Number.POSITIVE_INFINITY;
    node = await startNode();
    const done = await settledDelivery(dir, messageId);
    expect(done.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(done.delivery?.claim).toBeUndefined();
    expect(resumedIn(node.p, messageId)).toBe(true);

    // The console shows it sent, and the transcript holds it once.
    const agent = await consoleLogin(node.url, 'li.na@example.com', 'demo-agent-lina');
    const view = await consoleApi(node.url, agent, 'GET', `/api/console/conversations/${convId}`);
    expect((view.json['transcript'] as Array<{ id: string; text: string; delivery?: { status: string } }>).filter((m) => m.text === text)).toEqual([
      expect.objectContaining({ id: messageId, delivery: expect.objectContaining({ status: 'sent', attempts: 2 }) }),
    ]);

    await stopNode(node, 'SIGTERM');
    // Exactly once at WeChat, counted after the node has stopped for good.
    expect(fake.sent.filter((m) => m.touser === openId && m.text?.content === text)).toHaveLength(1);
    const transcript: Message[] = await withStore(dir, (s) => s.messages.listByConversation(convId, { limit: 500 }));
    expect(transcript.filter((m) => m.text === text)).toHaveLength(1);
  }, 240_000);
});

describe('outbox with two server processes on one SQLite file', () => {
  it('deliveries a crashed node left pending are resumed by the two live nodes racing for them: each reaches WeChat exactly once', async () => {
    fake ??= await startFakeWeChat();
    slow ??= await startSlowWeChat(fake.apiBase);
    // What a crashed third node left: agent replies pending after one busy attempt, its claim
    // still running, so that neither live node may touch them until the test lets it lapse.
    const N = 16;
    const texts: string[] = [];
    const ids = await withStore(raceDir, async (s) => {
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
    });
    const nodes = await Promise.all([startNode(raceDir, { SEED_DEMO: 'false', OUTBOX_POLL_MS: '100' }), startNode(raceDir, { SEED_DEMO: 'false', OUTBOX_POLL_MS: '100' })]);
    // Both nodes are up and polling: the crashed node's claims lapse now, for both at once.
    await withStore(raceDir, async (s) => {
      for (const id of ids) await s.messages.setDelivery(id, { status: 'pending', attempts: 1, error: 'errcode -1: system error', claim: { owner: 'node-crashed', until: new Date(Date.now() - 1) }, maxAttempts: 5 });
    });
    const settled = await until(
      'every delivery to settle',
      () => withStore(raceDir, async (s) => {
        const all = await Promise.all(ids.map((id) => s.messages.get(id)));
        return all.every((m) => m?.delivery?.status === 'sent') ? all : undefined;
      }),
      60_000,
    );
    await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
    for (const m of settled) expect(m?.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    // Counted at WeChat after both nodes have stopped: each reply once, none twice.
    for (const text of texts) expect(fake.sent.filter((m) => m.text?.content === text), text).toHaveLength(1);
    const resumedBy = nodes.map((n) => n.p.logs().filter((l) => l['msg'] === 'outbox: resuming an interrupted delivery' && ids.includes(String(l['messageId']))).length);
    expect(resumedBy[0]! + resumedBy[1]!).toBe(N);
    console.log(`outbox, two processes on one SQLite file: ${N} deliveries resumed, ${resumedBy[0]} by one node and ${resumedBy[1]} by the other; each received once`);
  }, 240_000);
});
