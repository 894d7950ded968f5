/**
 * A resumed delivery's lease runs from the moment it is claimed, not from the start of the
 * resume pass: a pass slowed down by a slow store would otherwise take claims that have
 * already lapsed, which another node could take too (both sending).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { LocalEventBus, OutboundDelivery } from '../bots/index.js';
import { openSqliteStore, type Message, type Store } from '../store/index.js';

describe('outbox: the lease of a resumed delivery', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sa-outbox-lease-'));
    store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs from the claim, however long the pass took to get there', async () => {
    const customer = await store.customers.create({ displayName: 'Lease', locale: 'en', identities: [{ channel: 'wechat', externalId: 'o_lease_1' }] });
    const conv = await store.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'en' });
    const T = Date.UTC(2030, 0, 1);
    const m = await store.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'out', sender: 'agent', agentId: 'agt-1', channel: 'wechat', text: 'hello' });
    await store.messages.setDelivery(m.id, { status: 'pending', attempts: 1, error: 'HTTP 502', claim: { owner: 'crashed', until: new Date(T - 1000) }, maxAttempts: 5, nextAttemptAt: new Date(T - 1000) });

    const LEASE = 30_000;
    // The first reading of the clock starts the pass; every later one is two leases on (a slow store).
    let reads = 0;
    const clock = () => new Date(reads++ === 0 ? T : T + 2 * LEASE);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let resent: Message | undefined;
    const node = new OutboundDelivery({
      store,
      events: new LocalEventBus(),
      logger: createLogger({ level: 'silent' }),
      policy: { attempts: 5, baseMs: 10, maxDelayMs: 20 },
      nodeId: 'node-a',
      leaseMs: LEASE,
      clock,
      resend: async (msg: Message) => {
        resent = msg;
        await held;
      },
    });
    const pass = node.resumeInterrupted();
    for (let i = 0; i < 200 && !resent; i++) await new Promise((r) => setTimeout(r, 10));
    expect(resent?.id).toBe(m.id);
    const claim = (await store.messages.get(m.id))?.delivery?.claim;
    expect(claim?.owner).toBe('node-a');
    // Before the fix: T + LEASE, already lapsed at the claim's own time (T + 2 leases).
    expect(claim!.until.getTime()).toBeGreaterThanOrEqual(T + 3 * LEASE);
    release();
    await pass;
  });
});
