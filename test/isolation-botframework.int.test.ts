/**
 * Issue 14, points 1 and 5, on Bot Framework: activity ids are unique per conversation only,
 * so a second user's activity with an id another user already used is that user's new
 * message: answered to them (through the connector, in their conversation), stored under
 * their customer, with nothing of the first user's. A redelivery by the SAME user in the
 * same conversation is still one stored message and one answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import type { Message } from '../store/index.js';
import { emulatorActivity, postActivity, startFakeConnector, type ConnectorCall, type FakeConnector, type Json } from './botframework-fakes.js';
import { storedByChannelId } from './helpers/stored.js';

const ORDER = 'SA100001';
/** A detail the answer about order SA100001 shows (its first item); the phone on it ends 0119. */
const DETAIL = 'Marlow Easy Slip';

/** The Bot Connector (the Emulator's serviceUrl): keeps every reply, answers `{id}`. */
let connector: FakeConnector;
let server: RunningServer;
const dir = mkdtempSync(path.join(tmpdir(), 'sa-iso-bf-'));

beforeAll(async () => {
  connector = await startFakeConnector();
  server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', EMBEDDINGS_MODEL: 'lexical', RATE_LIMIT_CUSTOMER_PER_MINUTE: '600' }, dir), createLogger({ level: 'silent' }));
}, 120_000);

afterAll(async () => {
  await server?.close();
  await connector?.close();
  rmSync(dir, { recursive: true, force: true });
});

const activity = (userId: string, conversationId: string, id: string, text: string): Json => emulatorActivity(connector.url, userId, text, { id, conversation: { id: conversationId } });

/** Posts an activity; the replies the connector received during the call (the turn runs inside it). */
async function post(a: Json): Promise<ConnectorCall[]> {
  const before = connector.calls.length;
  const res = await postActivity({ base: server.url }, a);
  expect(res.status, res.text).toBe(200);
  return connector.calls.slice(before);
}

async function customerOf(userId: string): Promise<string> {
  const c = await server.store.customers.findByIdentity('botframework', `emulator:${userId}`);
  expect(c).not.toBeNull();
  return c!.id;
}

async function storedBy(id: string): Promise<Map<string, Message[]>> {
  const byCustomer = new Map<string, Message[]>();
  for (const m of await storedByChannelId(server.store, 'botframework', id)) byCustomer.set(m.customerId, [...(byCustomer.get(m.customerId) ?? []), m]);
  return byCustomer;
}

const texts = (replies: Array<{ body: Json }>) => replies.map((r) => String(r.body['text'] ?? ''));

describe('Bot Framework: user B sends an activity id user A used', () => {
  it('answers B in B\'s own conversation, stores it under B, and shows B nothing of A\'s (separate conversations and one group conversation)', async () => {
    const tag = randomUUID().slice(0, 6);
    const [userA, userB, userC] = [`iso-a-${tag}`, `iso-b-${tag}`, `iso-c-${tag}`];
    const [convA, convB] = [`conv-a-${tag}`, `conv-b-${tag}`];
    const id = `act-608-${tag}`;

    expect(texts(await post(activity(userA, convA, `act-607-${tag}`, `where is my order ${ORDER}`))).join('\n')).toMatch(/last 4 digits/);
    const verified = await post(activity(userA, convA, id, '0119'));
    const aTexts = texts(verified);
    expect(aTexts.join('\n')).toContain(DETAIL);

    // B, in B's own conversation, with A's activity id.
    const toB = await post(activity(userB, convB, id, 'hello'));
    expect(toB.length).toBeGreaterThan(0);
    for (const r of toB) {
      expect(r.conversationId).toBe(convB);
      expect(r.body['recipient']).toMatchObject({ id: userB });
    }
    expect(texts(toB)[0]).toMatch(/shopping assistant/);
    for (const t of texts(toB)) for (const secret of [...aTexts, ORDER, DETAIL]) expect(t).not.toContain(secret);

    // C, in A's conversation (a group chat), with the same id: still C's own message.
    const toC = await post(activity(userC, convA, id, 'hello'));
    expect(toC.length).toBeGreaterThan(0);
    for (const r of toC) expect(r.body['recipient']).toMatchObject({ id: userC });
    for (const t of texts(toC)) for (const secret of [...aTexts, ORDER, DETAIL]) expect(t).not.toContain(secret);

    const stored = await storedBy(id);
    expect(stored.get(await customerOf(userA))?.map((m) => m.text)).toEqual(['0119']);
    expect(stored.get(await customerOf(userB))?.map((m) => m.text)).toEqual(['hello']);
    expect(stored.get(await customerOf(userC))?.map((m) => m.text)).toEqual(['hello']);
    expect(stored.size).toBe(3);
  });

  it('still takes a redelivery by the same user in the same conversation as one message, answered once', async () => {
    const tag = randomUUID().slice(0, 6);
    const user = `iso-r-${tag}`;
    const first = await post(activity(user, `conv-r-${tag}`, `act-1-${tag}`, 'hello'));
    expect(first.length).toBeGreaterThan(0);
    const again = await post(activity(user, `conv-r-${tag}`, `act-1-${tag}`, 'hello'));
    expect(again).toHaveLength(0);
    expect((await storedBy(`act-1-${tag}`)).get(await customerOf(user))).toHaveLength(1);
  });
});
