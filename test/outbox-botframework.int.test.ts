/**
 * Bot Framework replies posted after the turn are claimed in the outbox before the first
 * post. The channel stores a turn's replies, gives the turn slot back, then posts them to the
 * Bot Connector: before that first post every stored reply of the turn is recorded `pending`
 * under the node's claim (attempts 0). A real server process (SQLite) is killed with SIGKILL
 * while a local Bot Connector (a real HTTP server) holds the first reply's post without an
 * answer; the server restarted on the same data resumes both replies once the dead node's
 * claim lapses, through the shopper's stored conversation reference (the hand-off service's
 * route, as an agent's reply), and the connector takes each of them exactly once.
 *
 * Before the fix the replies had no delivery state at all when the node died (they were
 * marked only after their post), so nothing ever sent them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../store/index.js';
import { emulatorActivity, postActivity, startFakeConnector, type FakeConnector } from './botframework-fakes.js';
import { outboxNodes, resumedIn, settledDelivery, stopNode, withStore } from './helpers/outbox.js';
import { until } from './helpers/poll.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-bf-'));
const procs = outboxNodes();
let connector: FakeConnector | undefined;

afterAll(async () => {
  await procs.killAll();
  await connector?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// The held post must not time out before the node is killed: the kill, not a timeout, ends it.
const startNode = () => procs.start(dataDir, { BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '60000' });

/** The bot's stored replies to this Emulator user, oldest first. */
const storedReplies = (userId: string) =>
  withStore(dataDir, async (s) => {
    const customer = await s.customers.findByIdentity('botframework', `emulator:${userId}`);
    if (!customer) return [];
    return (await s.messages.listByCustomer(customer.id, { limit: 100 })).items.filter((m) => m.direction === 'out').reverse();
  });

describe('outbox: Bot Framework replies posted after the turn', () => {
  it('a node killed while the connector holds the first reply post: both replies of the turn were pending under its claim, and the restarted node sends each exactly once', async () => {
    connector = await startFakeConnector();
    const fake = connector;
    // The connector takes the first reply post and never answers it.
    fake.script.push('hang');
    let node = await startNode();

    const userId = `bf-crash-${Date.now()}`;
    const conversationId = `conv-${userId}|livechat`;
    // An angry message: the apology (and the answer, if any) and the hand-off's queue notice, several replies in one turn.
    const posting = postActivity({ base: node.url }, emulatorActivity(fake.url, userId, 'I am very angry, worst shop ever')).catch((err: unknown) => err);
    await until('the first reply post held by the connector', () => (fake.held === 1 ? true : undefined));
    const replies = await until('the turn\'s replies stored, down to the hand-off notice', async () => {
      const r = await storedReplies(userId);
      return r.at(-1)?.sender === 'system' ? r : undefined;
    });
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(replies[0]!.sender).toBe('bot');
    expect(replies.at(-1)!.sender).toBe('system');

    // While the first post is in flight: every reply of the turn is pending under this node's claim, no attempt counted.
    const now = Date.now();
    const owners = new Set<string>();
    for (const m of replies) {
      expect(m.delivery, m.text).toMatchObject({ status: 'pending', attempts: 0 });
      expect(m.delivery!.claim!.until.getTime()).toBeGreaterThan(now);
      owners.add(m.delivery!.claim!.owner);
    }
    expect(owners.size).toBe(1);
    const held = fake.callsTo(conversationId);
    expect(held.map((c) => [c.outcome, c.body['text']])).toEqual([['held', replies[0]!.text]]);

    expect(await stopNode(node, 'SIGKILL')).toBe('SIGKILL');
    await posting; // the channel's request died with the node
    expect(fake.delivered(conversationId)).toHaveLength(0);

    // The connector answers again; the node restarts on the same data and resumes both replies.
    node = await startNode();
    const settled: Message[] = [];
    for (const m of replies) settled.push(await settledDelivery(dataDir, m.id, `the resumed delivery of "${m.text.slice(0, 30)}" to settle`));
    for (const m of settled) {
      expect(m.delivery).toMatchObject({ status: 'sent', attempts: 1 });
      expect(m.delivery?.claim).toBeUndefined();
      expect(resumedIn(node.p, m.id)).toBe(true);
    }

    await stopNode(node, 'SIGTERM');
    // Counted after the node has stopped for good: each reply once at the connector, in the
    // shopper's conversation, from the bot to the shopper; once in the transcript.
    const delivered = fake.delivered(conversationId);
    expect(delivered.map((c) => c.body['text']).sort()).toEqual(replies.map((m) => m.text).sort());
    for (const c of delivered) expect(c.body).toMatchObject({ type: 'message', conversation: { id: conversationId }, recipient: { id: userId }, from: { id: 'bot-1' } });
    const after = await storedReplies(userId);
    expect(after.map((m) => m.id)).toEqual(replies.map((m) => m.id));
  }, 240_000);
});
