/**
 * A Bot Framework shopper who asked for a link code hears when it is used. The code is issued
 * on the Bot Framework channel (the Emulator, talking to the real server through a local Bot
 * Connector: a real HTTP server) and redeemed on the website widget; the owner's notice goes
 * out the way agents' replies do, through the Bot Connector at the address the owner's last
 * message came from (their stored conversation reference), and is stored in their
 * conversation with its delivery marked sent. Before, Bot Framework owners were never told
 * ("no proactive messages on this channel").
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorActivity, postActivity, startFakeConnector, until, type FakeConnector } from './botframework-fakes.js';
import { say, startShopServer, type ShopServer } from './helpers/shop-server.js';

describe('link codes: a Bot Framework owner is told when their code is used', () => {
  let shop: ShopServer;
  let connector: FakeConnector;
  let other: FakeConnector;

  beforeAll(async () => {
    connector = await startFakeConnector();
    other = await startFakeConnector();
    shop = await startShopServer('sa-link-bf-', 'linkBfToken1', { EMBEDDINGS_MODEL: 'lexical' });
  }, 120_000);

  afterAll(async () => {
    await shop?.close();
    await connector?.close();
    await other?.close();
  });

  it('a code issued on the Emulator and redeemed on the widget: the connector gets the notice in the owner\'s conversation, stored and sent', async () => {
    const userId = `bf-owner-${randomUUID().slice(0, 8)}`;
    const conversationId = `conv-${userId}|livechat`;
    // Someone else chats on the same connector: the notice is not theirs.
    const bystander = `bf-bystander-${randomUUID().slice(0, 8)}`;
    expect((await postActivity({ base: shop.server.url }, emulatorActivity(connector.url, bystander, 'hello'))).status).toBe(200);

    expect((await postActivity({ base: shop.server.url }, emulatorActivity(connector.url, userId, 'link'))).status).toBe(200);
    const issued = connector.delivered(conversationId).map((c) => String(c.body['text']));
    expect(issued).toEqual([expect.stringMatching(/^Your link code is [0-9A-Z]{4}-[0-9A-Z]{4}\./)]);
    const code = /link code is ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(issued[0]!)![1]!;

    // The shopper types the code on the website.
    const widget = await shop.widget({ locale: 'en' });
    const answer = await say(widget, `link ${code}`);
    expect(answer.map((m) => m.text)).toEqual([expect.stringMatching(/accounts are linked/)]);

    // The owner's notice reaches their Emulator conversation through the connector, once.
    const isNotice = (text: unknown) => /^Your account was just linked with a website chat account/.test(String(text));
    await until('the notice at the connector', () => connector.delivered(conversationId).some((c) => isNotice(c.body['text'])));
    const notices = connector.delivered(conversationId).filter((c) => isNotice(c.body['text']));
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    // A new activity in the owner's conversation, from the bot to the owner, with the "talk to a human" quick reply.
    expect(notice.path).toBe(`/v3/conversations/${encodeURIComponent(conversationId)}/activities`);
    expect(notice.body).toMatchObject({ type: 'message', channelId: 'emulator', conversation: { id: conversationId }, recipient: { id: userId }, from: { id: 'bot-1' } });
    expect(JSON.stringify(notice.body['suggestedActions'] ?? {})).toMatch(/Talk to a person/);
    expect(JSON.stringify(notice.body)).not.toMatch(/customerId|"sender"|"seq"/);
    // Nobody else was told anything, nor anything sent elsewhere.
    expect(connector.calls.filter((c) => isNotice(c.body['text']))).toHaveLength(1);
    expect(other.calls).toHaveLength(0);

    // Stored in the owner's Bot Framework conversation as a system message, its delivery sent.
    const owner = await shop.server.store.customers.findByIdentity('botframework', `emulator:${userId}`);
    expect(owner!.identities.map((i) => i.channel).sort()).toEqual(['botframework', 'web']);
    await until('the notice marked sent', async () => {
      const items = (await shop.server.store.messages.listByCustomer(owner!.id, { limit: 50 })).items;
      return items.find((m) => isNotice(m.text))?.delivery?.status === 'sent';
    });
    const stored = (await shop.server.store.messages.listByCustomer(owner!.id, { limit: 50 })).items.filter((m) => isNotice(m.text));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ sender: 'system', channel: 'botframework', direction: 'out', delivery: { status: 'sent', attempts: 1 } });
  });

  it('the notice goes to the address of the account that asked for the code, as its last message gave it', async () => {
    const userId = `bf-moved-${randomUUID().slice(0, 8)}`;
    const conversationId = `conv-${userId}|livechat`;
    expect((await postActivity({ base: shop.server.url }, emulatorActivity(connector.url, userId, 'link'))).status).toBe(200);
    const code = /link code is ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(String(connector.delivered(conversationId)[0]?.body['text']))![1]!;
    // The Emulator restarted on another port: the owner's latest message came through the other connector.
    expect((await postActivity({ base: shop.server.url }, emulatorActivity(other.url, userId, 'thanks'))).status).toBe(200);
    const before = connector.calls.length;

    const widget = await shop.widget({ locale: 'en' });
    expect((await say(widget, `link ${code}`)).map((m) => m.text)).toEqual([expect.stringMatching(/accounts are linked/)]);
    await until('the notice at the other connector', () => other.delivered(conversationId).some((c) => /just linked/.test(String(c.body['text']))));
    expect(other.delivered(conversationId).filter((c) => /just linked/.test(String(c.body['text'])))).toHaveLength(1);
    expect(connector.calls.slice(before)).toHaveLength(0);
  });
});
