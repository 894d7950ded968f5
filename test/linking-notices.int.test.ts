/**
 * The link-code owner's notice goes out as a durable outbox delivery: after the transcript
 * stored it and before the channel sees it, it is recorded `pending` under this node's claim
 * (`OutboundDelivery.begin`, awaited), so a node that dies during that first attempt leaves a
 * delivery the outbox resumes. The store here is SQLite with claim writes that take a while to
 * land, as a MongoDB round trip does: a claim started without waiting for it (the former
 * `watch`) is not there yet when the channel is handed the notice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Activity, ConversationReference } from 'botbuilder-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { ChannelAdapter } from '../bots/adapter.js';
import { OutboundDelivery } from '../bots/delivery.js';
import { LocalEventBus } from '../bots/events.js';
import { OwnerNotices } from '../bots/linking.js';
import { MergeLog } from '../bots/merge-log.js';
import { identityMiddleware } from '../bots/middleware/identity.js';
import { transcriptMiddleware } from '../bots/middleware/transcript.js';
import { linkedNotice } from '../skills/index.js';
import { openSqliteStore, type MessageDelivery, type MessageRepository, type Store } from '../store/index.js';
import { until } from './helpers/poll.js';

const silent = createLogger({ level: 'silent' });
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sa-link-notices-'));
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store, with delivery claims that land 50 ms after they are asked for (a remote database). */
function slowClaims(s: Store): Store {
  const messages = new Proxy(s.messages, {
    get(target, prop) {
      if (prop === 'claimDelivery') {
        return async (...args: Parameters<MessageRepository['claimDelivery']>) => {
          await new Promise((r) => setTimeout(r, 50));
          return target.claimDelivery(...args);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return new Proxy(s, {
    get(target, prop) {
      if (prop === 'messages') return messages;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * A channel whose sends are held until released (a slow channel API). It notes the stored
 * delivery of each message at the moment it is handed the message.
 */
class HoldingChannel extends ChannelAdapter {
  readonly handed: Array<{ id: string; text?: string; delivery?: MessageDelivery }> = [];
  private releaseAll!: () => void;
  private readonly gate = new Promise<void>((r) => (this.releaseAll = r));
  private enteredResolve!: () => void;
  readonly entered = new Promise<void>((r) => (this.enteredResolve = r));

  constructor(private readonly messages: MessageRepository) {
    super('app');
  }

  release(): void {
    this.releaseAll();
  }

  protected async deliver(_reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    const stored = activity.id ? await this.messages.get(activity.id) : null;
    this.handed.push({ id: activity.id ?? '', text: activity.text, delivery: stored?.delivery });
    this.enteredResolve();
    await this.gate;
  }
}

describe('the link-code owner\'s notice in the outbox', () => {
  it('is pending under this node\'s claim (attempts 0, renewed, not taken by another node) while its first attempt is held, then sent', async () => {
    const slow = slowClaims(store);
    const events = new LocalEventBus(() => undefined);
    const policy = { attempts: 3, baseMs: 20, maxDelayMs: 60 };
    const node = new OutboundDelivery({ store: slow, events, logger: silent, policy, nodeId: 'node-a', pollEveryMs: 0, leaseMs: 300 });
    const otherSends: string[] = [];
    const other = new OutboundDelivery({ store, events, logger: silent, policy, nodeId: 'node-b', pollEveryMs: 0, resend: async (m) => void otherSends.push(m.id) });
    node.start();
    const channel = new HoldingChannel(store.messages);
    channel.use(identityMiddleware(store), transcriptMiddleware({ messages: store.messages, events, merges: new MergeLog() }));
    const notices = new OwnerNotices(node, silent);
    notices.registerChannel(channel);
    try {
      const externalId = `app-owner-${Date.now()}`;
      await store.customers.create({ displayName: 'Owner', locale: 'en', tags: [], identities: [{ channel: 'app', externalId }] });
      const sending = notices.send({ channel: 'app', externalId }, { ...linkedNotice('en', 'web'), channelData: { sender: 'system' } });
      await channel.entered;

      // The channel was handed the stored notice only once it was claimed.
      expect(channel.handed).toHaveLength(1);
      const [handed] = channel.handed;
      expect(handed!.text).toMatch(/^Your account was just linked with a website chat account/);
      expect(handed!.delivery).toMatchObject({ status: 'pending', attempts: 0 });
      expect(handed!.delivery?.claim?.owner).toBe('node-a');

      // While the attempt is held the claim is renewed, and another node's outbox pass leaves it alone.
      const first = handed!.delivery!.claim!.until.getTime();
      await until(
        'the claim renewed',
        async () => {
          const d = (await store.messages.get(handed!.id))!.delivery!;
          return d.claim && d.claim.until.getTime() > first ? d : undefined;
        },
        { timeoutMs: 10_000, everyMs: 20 },
      );
      await other.resumeInterrupted();
      expect(otherSends).toEqual([]);
      const during = (await store.messages.get(handed!.id))!;
      expect(during.delivery).toMatchObject({ status: 'pending', attempts: 0, claim: { owner: 'node-a' } });
      expect(during).toMatchObject({ direction: 'out', sender: 'system', channel: 'app' });

      channel.release();
      expect(await sending).toBe('sent');
      const after = (await store.messages.get(handed!.id))!.delivery!;
      expect(after).toMatchObject({ status: 'sent', attempts: 1 });
      expect(after.claim).toBeUndefined();
      expect(channel.handed).toHaveLength(1);
    } finally {
      channel.release();
      await node.close();
      await other.close();
    }
  });
});
