/**
 * The Bot Framework channel against a Bot Connector that fails: a real server (SQLite) and a
 * real local HTTP server playing the connector, told to refuse (500) or to hang its next
 * requests. The connector's failures never become a 500 nor hold a turn slot: the activity
 * is stored, answered 202, and its reply is a retried delivery (pending -> sent / failed on
 * the stored message); a redelivery of an activity whose reply failed is answered; and an
 * agent's reply reaches the shopper through the stored conversation reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../store/index.js';
import { failNextReply } from './faults/inject.js';
import { emulatorActivity, postActivity, startFakeConnector, until, type FakeConnector } from './botframework-fakes.js';
import { consoleApi, consoleLogin, say, startShopServer, type ShopServer } from './helpers/shop-server.js';

const conv = (userId: string) => `conv-${userId}|livechat`;

async function transcript(shop: ShopServer, userId: string): Promise<Message[]> {
  const customer = await shop.server.store.customers.findByIdentity('botframework', `emulator:${userId}`);
  if (!customer) return [];
  return (await shop.server.store.messages.listByCustomer(customer.id, { limit: 100 })).items.reverse();
}

const botReplies = (messages: Message[]) => messages.filter((m) => m.direction === 'out' && m.sender === 'bot');

describe('a Bot Connector that refuses or times out (connector timeout 800 ms, 3 delivery attempts)', () => {
  let shop: ShopServer;
  let connector: FakeConnector;
  let other: FakeConnector;
  const post = (body: unknown) => postActivity({ base: shop.server.url }, body);

  beforeAll(async () => {
    connector = await startFakeConnector();
    other = await startFakeConnector();
    shop = await startShopServer('sa-bf-delivery-', 'bfDeliveryToken1', {
      EMBEDDINGS_MODEL: 'lexical',
      HANDOFF_AUTO_ASSIGN: 'false',
      BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '800',
      OUTBOUND_RETRY_ATTEMPTS: '3',
      OUTBOUND_RETRY_BASE_MS: '100',
      OUTBOUND_RETRY_MAX_DELAY_MS: '300',
    });
  }, 120_000);

  afterAll(async () => {
    await shop?.close();
    await connector?.close();
    await other?.close();
  });

  it('a refused reply: 202 once stored, then retried until the connector takes it (sent on the 3rd attempt)', async () => {
    connector.script.push('refuse', 'refuse');
    const res = await post(emulatorActivity(connector.url, 'r-1', 'hello'));
    expect(res.status).toBe(202);

    await until('the reply delivered', () => connector.delivered(conv('r-1')).length === 1);
    const [reply] = connector.delivered(conv('r-1'));
    expect(reply!.body['text']).toMatch(/shopping assistant/);
    expect(connector.callsTo(conv('r-1')).map((c) => c.outcome)).toEqual(['refused', 'refused', 'ok']);
    await until('the delivery marked sent', async () => botReplies(await transcript(shop, 'r-1'))[0]?.delivery?.status === 'sent');
    const messages = await transcript(shop, 'r-1');
    expect(messages.map((m) => m.direction)).toEqual(['in', 'out']);
    expect(botReplies(messages)[0]!.delivery).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('a connector that accepts and never answers: 202 after the timeout, and the reply goes out when it answers again', async () => {
    connector.script.push('hang');
    const res = await post(emulatorActivity(connector.url, 'h-1', 'hello'));
    expect(res.status).toBe(202);
    await until('the reply delivered on a retry', () => connector.delivered(conv('h-1')).length === 1);
    await until('the delivery marked sent', async () => botReplies(await transcript(shop, 'h-1'))[0]?.delivery?.status === 'sent');
    const reply = botReplies(await transcript(shop, 'h-1'))[0]!;
    expect(reply.delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(connector.callsTo(conv('h-1')).map((c) => c.outcome)).toEqual(['held', 'ok']);
  });

  it("a redelivery of an activity whose reply failed is answered: the stored reply is sent again, no second copy", async () => {
    connector.script.push('refuse', 'refuse', 'refuse');
    const hello = emulatorActivity(connector.url, 'f-1', 'hello');
    expect((await post(hello)).status).toBe(202);
    await until('the delivery given up', async () => botReplies(await transcript(shop, 'f-1'))[0]?.delivery?.status === 'failed');
    expect(connector.delivered(conv('f-1'))).toHaveLength(0);

    // The channel delivers the activity again (same id); the connector answers now.
    const again = await post(hello);
    expect(again.status).toBe(200);
    expect(connector.delivered(conv('f-1'))).toHaveLength(1);
    expect(connector.delivered(conv('f-1'))[0]!.body['text']).toMatch(/shopping assistant/);
    const messages = await transcript(shop, 'f-1');
    expect(messages.map((m) => m.direction)).toEqual(['in', 'out']);
    expect(botReplies(messages)[0]!.delivery?.status).toBe('sent');

    // Answered now: one more redelivery sends nothing.
    expect((await post(hello)).status).toBe(200);
    expect(connector.delivered(conv('f-1'))).toHaveLength(1);
  });

  it('a redelivery of an activity whose turn failed before replying (the store failed mid-turn) is answered once', async () => {
    failNextReply(shop.server.store.messages);
    const question = emulatorActivity(connector.url, 'm-1', 'what is your return policy?');
    const first = await post(question);
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ error: { code: 'unavailable', reason: 'store_unavailable' } });
    expect((await transcript(shop, 'm-1')).map((m) => m.direction)).toEqual(['in']);

    await until('the store reported up', async () => /\nshop_store_up 1\n/.test(await (await fetch(`${shop.server.url}/metrics`)).text()));
    expect((await post(question)).status).toBe(200);
    expect(connector.delivered(conv('m-1'))).toHaveLength(1);
    expect((await post(question)).status).toBe(200);
    expect(connector.delivered(conv('m-1'))).toHaveLength(1);
    const messages = await transcript(shop, 'm-1');
    expect(messages.filter((m) => m.direction === 'in')).toHaveLength(1);
    expect(botReplies(messages)).toHaveLength(1);
  });

  it("an agent claims a Bot Framework conversation and replies: the reply reaches the shopper at the serviceUrl of their last message", async () => {
    // The shopper first wrote through one connector, then through another (the Emulator restarted).
    expect((await post(emulatorActivity(connector.url, 'a-1', 'hello'))).status).toBe(200);
    expect((await post(emulatorActivity(other.url, 'a-1', 'I want to talk to a human'))).status).toBe(200);
    // Someone else waits too, on the first connector.
    expect((await post(emulatorActivity(connector.url, 'a-2', 'I want to talk to a human'))).status).toBe(200);
    const customer = await shop.server.store.customers.findByIdentity('botframework', 'emulator:a-1');
    const queued = await shop.server.store.conversations.findOpenByCustomer(customer!.id, 'botframework');
    expect(queued).toMatchObject({ status: 'queued', channel: 'botframework' });

    const lina = await consoleLogin(shop.server.url, 'li.na@example.com', 'demo-agent-lina');
    const claimed = await consoleApi(shop.server.url, lina, 'POST', `/api/console/conversations/${queued!.id}/claim`);
    expect(claimed.status).toBe(200);
    const sentBefore = connector.calls.length;
    const reply = await consoleApi(shop.server.url, lina, 'POST', `/api/console/conversations/${queued!.id}/messages`, { text: 'Hi, Li Na here. How can I help?' });
    expect(reply.status).toBe(201);

    const atOther = other.delivered(conv('a-1')).map((c) => c.body);
    expect(atOther.map((b) => b['text'])).toEqual(expect.arrayContaining([expect.stringMatching(/Li Na/), 'Hi, Li Na here. How can I help?']));
    const agentReply = atOther.find((b) => b['text'] === 'Hi, Li Na here. How can I help?')!;
    // A new activity in the shopper's conversation, from the bot to the shopper; nothing of ours inside.
    expect(agentReply).toMatchObject({ type: 'message', channelId: 'emulator', conversation: { id: conv('a-1') }, recipient: { id: 'a-1' }, from: { id: 'bot-1' } });
    expect(JSON.stringify(agentReply)).not.toMatch(/customerId|agentId/);
    expect(other.calls.find((c) => c.body['text'] === 'Hi, Li Na here. How can I help?')!.path).toBe(`/v3/conversations/${encodeURIComponent(conv('a-1'))}/activities`);
    // Nothing went to the old address, nor to the other shopper.
    expect(connector.calls.slice(sentBefore)).toHaveLength(0);
    expect(connector.delivered(conv('a-2')).map((c) => c.body['text'])).not.toContain('Hi, Li Na here. How can I help?');

    const stored = (await transcript(shop, 'a-1')).find((m) => m.sender === 'agent')!;
    expect(stored).toMatchObject({ text: 'Hi, Li Na here. How can I help?', agentId: lina.agentId, delivery: { status: 'sent' } });
  });

  it('an agent cannot reply to a Bot Framework customer whose address was never stored: 503 delivery_failed, nothing sent', async () => {
    // A customer with a Bot Framework account but no stored reference (e.g. created before references were kept).
    const customer = await shop.server.store.customers.create({ displayName: 'Old Teams user', locale: 'en', tags: [], identities: [{ channel: 'botframework', externalId: 'msteams:29:old' }] });
    const c = await shop.server.store.conversations.create({ customerId: customer.id, channel: 'botframework', language: 'en' });
    await shop.server.store.conversations.enqueue(c.id, { priority: 1, reason: 'requested', language: 'en' });
    const tom = await consoleLogin(shop.server.url, 'tom.baker@example.com', 'demo-agent-tom');
    expect((await consoleApi(shop.server.url, tom, 'POST', `/api/console/conversations/${c.id}/claim`)).status).toBe(200);
    const calls = connector.calls.length + other.calls.length;
    const reply = await consoleApi(shop.server.url, tom, 'POST', `/api/console/conversations/${c.id}/messages`, { text: 'hello?' });
    expect(reply.status).toBe(503);
    expect(reply.json['error']).toMatchObject({ code: 'unavailable', reason: 'delivery_failed' });
    expect(connector.calls.length + other.calls.length).toBe(calls);
  });
});

describe('a Bot Connector that hangs does not starve the node (2 turn slots, connector timeout 60 s)', () => {
  let shop: ShopServer;
  let connector: FakeConnector;

  beforeAll(async () => {
    connector = await startFakeConnector();
    shop = await startShopServer('sa-bf-hang-', 'bfHangToken1', {
      EMBEDDINGS_MODEL: 'lexical',
      MAX_CONCURRENT_TURNS: '2',
      MAX_QUEUED_TURNS: '20',
      TURN_QUEUE_WAIT_MS: '3000',
      BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '60000',
    });
  }, 120_000);

  afterAll(async () => {
    connector?.releaseHeld();
    await shop?.close();
    await connector?.close();
  });

  it('10 activities whose replies hang hold no turn slot: a widget shopper is answered while they hang; they get 200 when the connector answers', async () => {
    const hanging = 10;
    connector.script.push(...Array.from({ length: hanging }, () => 'hang' as const));
    const answers = Array.from({ length: hanging }, (_, i) => postActivity({ base: shop.server.url }, emulatorActivity(connector.url, `hang-${i}`, 'hello')));
    // Every one of them finished its turn and is now waiting on the connector.
    await until('all replies held by the connector', () => connector.held === hanging);
    expect(shop.server.admission.stats().running).toBe(0);

    const widget = await shop.widget();
    const replies = await say(widget, 'what is your return policy?');
    expect(replies.length).toBeGreaterThan(0);
    expect(connector.held).toBe(hanging);

    connector.releaseHeld();
    const statuses = (await Promise.all(answers)).map((a) => a.status);
    expect(statuses).toEqual(Array.from({ length: hanging }, () => 200));
    for (let i = 0; i < hanging; i++) expect(connector.delivered(conv(`hang-${i}`))).toHaveLength(1);
  });
});
