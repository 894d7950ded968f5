/**
 * Two nodes racing to resume the same interrupted deliveries: two outboxes
 * (`OutboundDelivery`), each with its own connection to one database (one SQLite file, and
 * the MongoDB URI when MONGODB_URI is set, as FerretDB in CI), start together on deliveries a
 * crashed node left `pending` under a lapsed claim, and poll again and again while they send.
 * Each resend is a real HTTP POST to a local channel endpoint that counts receipts per
 * message: every message arrives exactly once and ends `sent`, with its attempts counted on.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { LocalEventBus, OutboundDelivery, type ShopEvent } from '../bots/index.js';
import { openStore, type Message, type Store, type StoreOptions } from '../store/index.js';
import { dropMongoDatabase } from './helpers/mongo.js';
import { until } from './helpers/poll.js';
import { mongoUriWithDb } from './helpers/processes.js';

const logger = createLogger({ level: 'silent' });
const policy = { attempts: 5, baseMs: 20, maxDelayMs: 80 };

/** The channel: POST /send/<messageId> after `delayMs`; counts every receipt. */
interface Channel {
  url: string;
  receipts: Map<string, number>;
  close(): Promise<void>;
}

async function startChannel(delayMs: number): Promise<Channel> {
  const receipts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const id = decodeURIComponent((req.url ?? '').replace(/^\/send\//, ''));
        receipts.set(id, (receipts.get(id) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    receipts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function raceOn(kind: string, location: () => Promise<{ opts: StoreOptions; dispose: () => Promise<void> }>): void {
  describe(`two nodes resuming the same pending deliveries (${kind})`, () => {
    let loc: { opts: StoreOptions; dispose: () => Promise<void> };
    const stores: Store[] = [];
    let channel: Channel;

    beforeAll(async () => {
      loc = await location();
      channel = await startChannel(15);
    }, 60_000);

    afterAll(async () => {
      for (const s of stores) await s.close().catch(() => undefined);
      await channel?.close();
      await loc?.dispose();
    });

    it('each message is sent exactly once, by one node or the other, and ends sent', async () => {
      // Two connections to one database, as two nodes (or processes) have.
      const [a, b] = [await openStore(loc.opts), await openStore(loc.opts)];
      stores.push(a!, b!);
      const customer = await a!.customers.create({ displayName: 'Race', locale: 'en', identities: [{ channel: 'wechat', externalId: `o_race_${randomBytes(4).toString('hex')}` }] });
      const conv = await a!.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
      const N = 24;
      const ids: string[] = [];
      const lapsed = new Date(Date.now() - 1000);
      for (let i = 0; i < N; i++) {
        const m = await a!.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', agentId: 'agt-race', channel: 'wechat', text: `reply ${i}` });
        // What a crashed node leaves: pending after attempts that failed, its claim lapsed; some with a retry already due.
        await a!.messages.setDelivery(m.id, {
          status: 'pending',
          attempts: 1 + (i % 3),
          error: 'errcode -1: system error',
          claim: { owner: 'node-that-crashed', until: lapsed },
          maxAttempts: policy.attempts,
          ...(i % 2 === 0 ? { nextAttemptAt: lapsed } : {}),
        });
        ids.push(m.id);
      }
      const events: ShopEvent[] = [];
      const bus = new LocalEventBus();
      bus.subscribe((e) => void events.push(e));
      const sentBy = new Map<string, number>();
      const node = (store: Store, nodeId: string): OutboundDelivery =>
        new OutboundDelivery({
          store,
          events: bus,
          logger,
          policy,
          nodeId,
          leaseMs: 5000,
          pollEveryMs: 10,
          resend: async (m: Message) => {
            sentBy.set(nodeId, (sentBy.get(nodeId) ?? 0) + 1);
            const res = await fetch(`${channel.url}/send/${encodeURIComponent(m.id)}`, { method: 'POST', body: m.text, signal: AbortSignal.timeout(5000) });
            await res.text();
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
          },
        });
      const nodeA = node(a!, 'node-a');
      const nodeB = node(b!, 'node-b');
      try {
        // Both resume at once, then both keep polling every 10 ms while the sends run.
        const [tookA, tookB] = await Promise.all([nodeA.resumeInterrupted(), nodeB.resumeInterrupted()]);
        nodeA.start();
        nodeB.start();
        await until('every message sent', async () => {
          const page = await a!.messages.listByConversation(conv.id, { limit: 500 });
          return page.every((m) => m.delivery?.status === 'sent') ? page : undefined;
        });
        expect(tookA + tookB).toBeLessThanOrEqual(N);
        const final = await b!.messages.listByConversation(conv.id, { limit: 500 });
        for (const [i, m] of final.entries()) {
          expect(channel.receipts.get(m.id), m.text).toBe(1);
          // The attempt count goes on from where the crashed node stopped; the claim is gone.
          expect(m.delivery).toMatchObject({ status: 'sent', attempts: 2 + (i % 3) });
          expect(m.delivery?.claim).toBeUndefined();
        }
        expect([...channel.receipts.keys()].sort()).toEqual([...ids].sort());
        // The consoles saw each message turn `sent` once, with the outbox's own fields left out.
        const sentMarks = events.filter((e): e is Extract<ShopEvent, { type: 'message.delivery' }> => e.type === 'message.delivery' && e.delivery.status === 'sent');
        expect(sentMarks.map((e) => e.messageId).sort()).toEqual([...ids].sort());
        for (const e of sentMarks) expect(Object.keys(e.delivery).sort()).toEqual(['attempts', 'status', 'updatedAt']);
        console.log(`outbox race (${kind}): ${N} deliveries, node A sent ${sentBy.get('node-a') ?? 0}, node B ${sentBy.get('node-b') ?? 0}; each received once`);
      } finally {
        await nodeA.close();
        await nodeB.close();
      }
    }, 60_000);

    it('a retry waiting on a node that lost its claim to another node is not sent by it', async () => {
      const [a, b] = [stores[0]!, stores[1]!];
      const customer = await a.customers.create({ displayName: 'Fence', locale: 'en' });
      const conv = await a.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
      const m = await a.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', channel: 'wechat', text: 'fenced' });
      const sends: string[] = [];
      let failFirst = true;
      const bus = new LocalEventBus();
      // Node A's first attempt fails (busy) and its retry waits 300 ms. A's clock runs a second
      // behind (a stalled or skewed node), so its claim has lapsed for everyone else already.
      const nodeA = new OutboundDelivery({
        store: a,
        events: bus,
        logger,
        policy: { attempts: 3, baseMs: 300, maxDelayMs: 300 },
        random: () => 0.999,
        clock: () => new Date(Date.now() - 1000),
        nodeId: 'node-a',
        leaseMs: 100,
        pollEveryMs: 0,
      });
      const nodeB = new OutboundDelivery({ store: b, events: bus, logger, policy, nodeId: 'node-b', leaseMs: 100, pollEveryMs: 0, resend: async () => void sends.push('b') });
      try {
        const first = await nodeA.send(m.id, async () => {
          sends.push('a');
          if (failFirst) {
            failFirst = false;
            throw new Error('socket hang up');
          }
        });
        expect(first.status).toBe('pending');
        // Node B takes it over (A's claim has lapsed by B's clock) and sends it.
        await until('node B to take it over', async () => ((await nodeB.resumeInterrupted()) === 1 ? true : undefined), 10_000);
        const settled = await first.settled;
        expect(await until('sent by B', async () => ((await a.messages.get(m.id))?.delivery?.status === 'sent' ? true : undefined))).toBe(true);
        // A's retry came due after B took the claim: A re-checked it in the store and stood down.
        expect(sends).toEqual(['a', 'b']);
        expect(settled.id).toBe(m.id);
        expect((await a.messages.get(m.id))?.delivery).toMatchObject({ status: 'sent', attempts: 2 });
      } finally {
        await nodeA.close();
        await nodeB.close();
      }
    }, 30_000);
  });
}

const sqliteDir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-race-'));
raceOn('one SQLite file', async () => ({
  opts: { kind: 'sqlite', file: path.join(sqliteDir, 'shop.db') },
  dispose: async () => rmSync(sqliteDir, { recursive: true, force: true }),
}));

const mongoBase = process.env['MONGODB_URI'];
if (mongoBase) {
  raceOn('one MongoDB database', async () => {
    const uri = mongoUriWithDb(mongoBase, `sa_outbox_race_${randomBytes(4).toString('hex')}`);
    return {
      opts: { kind: 'mongo', uri, serverSelectionTimeoutMS: 5000 },
      dispose: () => dropMongoDatabase(uri),
    };
  });
}
