import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TurnContext, type Activity } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { createBotCore, inboundMessageKey, LocalEventBus, PRODUCT_CARD, productCardAttachment, type BotCore } from '../bots/index.js';
import { createBotFrameworkChannel, renderForBotFramework, type BotFrameworkChannelOptions } from '../channels/botframework/index.js';
import { isShopError, openStore, type Store } from '../store/index.js';
import { channelToken, emulatorActivity as emulatorActivityTo, postActivity, startFakeConnector, type FakeConnector, type Json } from './botframework-fakes.js';

const silent = createLogger({ level: 'silent' });
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'test-signing-key';
/** The Bot Connector (the Emulator's serviceUrl), publishing OpenID metadata and our signing key as login.botframework.com does. */
let connector: FakeConnector;

beforeAll(async () => {
  connector = await startFakeConnector({ publicKey: keys.publicKey, kid: KID });
});

afterAll(async () => {
  await connector.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An activity as the Bot Framework Emulator posts it, to this file's connector. */
const emulatorActivity = (userId: string, text: string, extra: Json = {}): Json => emulatorActivityTo(connector.url, userId, text, extra);
const post = (base: string, body: unknown, headers: Record<string, string> = {}) => postActivity({ base }, body, headers);

async function history(store: Store, externalId: string) {
  const customer = await store.customers.findByIdentity('botframework', externalId);
  return { customer, messages: customer ? (await store.messages.listByCustomer(customer.id)).items : [] };
}

describe('Bot Framework channel, anonymous (no app id): the real server and a real connector', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const dir = tempDir('sa-bf-');
    server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent' }, dir), silent);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('greets an Emulator user through the connector, with suggested actions, and stores both sides', async () => {
    const hello = emulatorActivity('u-1', 'hello');
    const res = await post(server.url, hello);
    expect(res.status).toBe(200);

    // A reply to an inbound activity goes to replyToActivity: POST /v3/conversations/{id}/activities/{activityId}.
    const replies = connector.callsTo('conv-u-1|livechat');
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    expect(reply.path).toBe(`/v3/conversations/${encodeURIComponent('conv-u-1|livechat')}/activities/${String(hello['id'])}`);
    expect(reply.authorization).toBeUndefined(); // anonymous: replies carry no token
    expect(reply.body).toMatchObject({
      type: 'message',
      replyToId: hello['id'],
      channelId: 'emulator',
      from: { id: 'bot-1' },
      recipient: { id: 'u-1' },
      conversation: { id: 'conv-u-1|livechat' },
    });
    expect(reply.body['text']).toMatch(/shopping assistant/);
    const actions = (reply.body['suggestedActions'] as { actions: Array<{ type: string; title: string; value: string }> }).actions;
    expect(actions.length).toBeGreaterThan(0);
    expect(actions[0]).toMatchObject({ type: 'imBack' });
    // Our transcript's bookkeeping (the stored record, internal ids) stays home.
    expect(JSON.stringify(reply.body)).not.toContain('customerId');

    const { customer, messages } = await history(server.store, 'emulator:u-1');
    expect(customer).not.toBeNull();
    expect(messages.map((m) => [m.direction, m.channel, m.text.slice(0, 5)])).toEqual([
      ['out', 'botframework', String(reply.body['text']).slice(0, 5)],
      ['in', 'botframework', 'hello'],
    ]);
    // Stored scoped to its sender: another user's activity with the same id is another message.
    expect(messages[1]!.channelMessageId).toBe(inboundMessageKey({ id: String(hello['id']), channelId: 'emulator', conversation: { id: 'conv-u-1|livechat' }, from: { id: 'u-1' } }));
  });

  it('continues the same customer on the next message, and answers a redelivery once', async () => {
    const first = await history(server.store, 'emulator:u-1');
    const help = emulatorActivity('u-1', 'help');
    expect((await post(server.url, help)).status).toBe(200);
    expect((await post(server.url, help)).status).toBe(200); // the connector retries: same activity id
    const after = await history(server.store, 'emulator:u-1');
    expect(after.customer!.id).toBe(first.customer!.id);
    expect(after.messages).toHaveLength(4);
    expect(after.messages[1]).toMatchObject({ direction: 'in', text: 'help' });
    expect(connector.callsTo('conv-u-1|livechat')).toHaveLength(2);
  });

  it('takes the same activity id from two users (or two conversations) for two messages: both stored, both answered', async () => {
    // Bot Framework activity ids are unique per conversation only.
    const a = emulatorActivity('same-id-a', 'hello', { id: 'shared-activity-1' });
    const b = emulatorActivity('same-id-b', 'hello', { id: 'shared-activity-1' });
    // One user in a second conversation (a group chat next to the personal chat), same id again.
    const c = emulatorActivity('same-id-a', 'what is your return policy?', { id: 'shared-activity-1', conversation: { id: 'group-chat-1' } });
    for (const activity of [a, b, c]) expect((await post(server.url, activity)).status).toBe(200);

    expect(connector.callsTo('conv-same-id-a|livechat')).toHaveLength(1);
    expect(connector.callsTo('conv-same-id-b|livechat')).toHaveLength(1);
    expect(connector.callsTo('group-chat-1')).toHaveLength(1);
    const first = await history(server.store, 'emulator:same-id-a');
    const second = await history(server.store, 'emulator:same-id-b');
    expect(first.customer!.id).not.toBe(second.customer!.id);
    expect(first.messages.filter((m) => m.direction === 'in').map((m) => m.text).sort()).toEqual(['hello', 'what is your return policy?']);
    expect(second.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['hello']);
    expect(second.messages.filter((m) => m.direction === 'out')).toHaveLength(1);
  });

  it('takes the same conversation, user and activity ids on two Bot Framework channels for two senders: both stored, both answered', async () => {
    // `emulator:u-x` and `directline:u-x` are two channel accounts (two customers): an id reused across them is no redelivery.
    const onEmulator = emulatorActivity('cross-1', 'hello', { id: 'shared-activity-2', conversation: { id: 'conv-cross' } });
    const onDirectLine = { ...onEmulator, channelId: 'directline', text: 'what is your return policy?' };
    for (const activity of [onEmulator, onDirectLine]) expect((await post(server.url, activity)).status).toBe(200);
    const emulator = await history(server.store, 'emulator:cross-1');
    const directLine = await history(server.store, 'directline:cross-1');
    expect(directLine.customer).not.toBeNull();
    expect(directLine.customer!.id).not.toBe(emulator.customer!.id);
    expect(directLine.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['what is your return policy?']);
    expect(directLine.messages.filter((m) => m.direction === 'out')).toHaveLength(1);
    expect(connector.callsTo('conv-cross')).toHaveLength(2);
  });

  it("delivers a proactive message (an agent's reply) to a known conversation through continueConversation", async () => {
    // What a caller keeps from an earlier activity of the conversation.
    const reference = TurnContext.getConversationReference(emulatorActivity('u-1', '') as Partial<Activity>);
    await server.adapters.botframework!.continueConversation(reference, async (context) => {
      await context.sendActivity({ type: 'message', text: 'Hi, this is Mei from support.', channelData: { sender: 'agent', agentId: 'agent-1' } });
    });
    // botbuilder gives the continuation event an id of its own, so this too is a replyToActivity.
    const last = connector.callsTo('conv-u-1|livechat').at(-1)!;
    expect(last.path.startsWith(`/v3/conversations/${encodeURIComponent('conv-u-1|livechat')}/activities/`)).toBe(true);
    expect(last.body).toMatchObject({ text: 'Hi, this is Mei from support.', recipient: { id: 'u-1' } });
    expect(last.body['channelData']).toBeUndefined();
    const { messages } = await history(server.store, 'emulator:u-1');
    expect(messages[0]).toMatchObject({ direction: 'out', sender: 'agent', agentId: 'agent-1', text: 'Hi, this is Mei from support.' });
  });

  it('refuses bad JSON and malformed activities with 400 in the JSON error shape, storing nothing', async () => {
    const bad = await post(server.url, '{"type": "message",');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });
    expect(typeof (bad.body!['error'] as Json)['requestId']).toBe('string');

    const { type: _type, serviceUrl: _url, ...rest } = emulatorActivity('u-bad', 'hi');
    const missing = await post(server.url, rest);
    expect(missing.status).toBe(400);
    expect((missing.body!['error'] as Json)['message']).toMatch(/type:.*serviceUrl:/s);

    const notJson = await fetch(`${server.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    expect((await history(server.store, 'emulator:u-bad')).customer).toBeNull();
  });

  it('refuses each malformed field that used to break a turn (500) with a 400 naming it, storing nothing', async () => {
    const evil = JSON.parse('{"length":[{"toString":null}]}') as Json; // makes zod's own length check throw
    const cases: Array<[Json, RegExp]> = [
      [{ type: 'conversationUpdate', membersAdded: 'u-bad-1' }, /membersAdded: /],
      [{ type: 'conversationUpdate', membersAdded: [{ name: 'no id' }] }, /membersAdded\.0\.id: /],
      [{ type: 'conversationUpdate', membersAdded: [null] }, /membersAdded\.0: /],
      [{ attachments: 'x' }, /attachments: /],
      [{ attachments: [{ contentUrl: 'https://x.example/a.png' }] }, /attachments\.0\.contentType: /],
      [{ suggestedActions: { actions: 'yes' } }, /suggestedActions\.actions: /],
      [{ suggestedActions: { actions: [{ type: 'imBack', value: JSON.parse('{"toString":null}') }] } }, /suggestedActions\.actions\.0\.value: /],
      [{ from: 'u-bad-1' }, /from: /],
      [{ from: { id: { toString: null } } }, /from\.id: /],
      [{ from: { id: 'u-bad-1', role: 'admin' } }, /from\.role: /],
      [{ recipient: [] }, /recipient: /],
      [{ conversation: { id: ' ' } }, /conversation\.id: /],
      [{ conversation: { id: 'c', isGroup: 'yes' } }, /conversation\.isGroup: /],
      [{ channelData: 'not an object' }, /channelData: /],
      [{ entities: [{}] }, /entities\.0\.type: /],
      [{ deliveryMode: 'expectreplies' }, /deliveryMode: /],
      [{ type: 'trace' }, /type: must be one of/],
      [{ text: evil }, /text: /],
      [{ membersAdded: evil }, /membersAdded: /],
      [{ serviceUrl: evil }, /serviceUrl: /],
    ];
    for (const [override, message] of cases) {
      const res = await post(server.url, { ...emulatorActivity('u-bad-1', 'hello'), ...override });
      expect(res.status, JSON.stringify(override)).toBe(400);
      expect(res.body!['error'], JSON.stringify(override)).toMatchObject({ code: 'bad_request', message: expect.stringMatching(message) });
    }
    // The bot handles no invoke: a clear 400 rather than botbuilder's 501 (or its crash on a malformed value).
    const invoke = await post(server.url, emulatorActivity('u-bad-1', '', { type: 'invoke', name: 'adaptiveCard/action', value: 5 }));
    expect(invoke.status).toBe(400);
    expect(invoke.body!['error']).toMatchObject({ code: 'bad_request', reason: 'unsupported_invoke' });
    expect((await history(server.store, 'emulator:u-bad-1')).customer).toBeNull();
  });

  it('answers only a serviceUrl on this machine while anonymous', async () => {
    const res = await post(server.url, emulatorActivity('u-remote', 'hello', { serviceUrl: 'https://attacker.example/bf' }));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await history(server.store, 'emulator:u-remote')).customer).toBeNull();
  });

  it('answers a flood with 429 and keeps every message', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await post(server.url, emulatorActivity('u-flood', `hello ${i}`))).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
    const { messages } = await history(server.store, 'emulator:u-flood');
    expect(messages.filter((m) => m.direction === 'in')).toHaveLength(14);
    expect(messages.filter((m) => m.direction === 'out').length).toBe(statuses.filter((s) => s === 200).length);
  });
});

describe('Bot Framework channel behind the node\'s admission gate', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const dir = tempDir('sa-bf-full-');
    server = await startServer(
      loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', MAX_CONCURRENT_TURNS: '1', MAX_QUEUED_TURNS: '0', RATE_LIMIT_IP_PER_MINUTE: '100000' }, dir),
      silent,
    );
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('a full node refuses messages with 503 + Retry-After before storing them; a redelivery later is answered once', async () => {
    // The node's one turn slot is taken (a long turn of another channel); nobody may wait.
    const release = await server.admission.enter();
    const activities = Array.from({ length: 3 }, (_, i) => emulatorActivity(`u-full-${i}`, `hello ${i}`));
    let results: Array<{ status: number; retryAfter: string | null; body: Json }>;
    try {
      results = await Promise.all(
        activities.map(async (a) => {
          const res = await fetch(`${server.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a) });
          return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json().catch(() => ({}))) as Json };
        }),
      );
    } finally {
      release();
    }
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ error: { code: 'unavailable' } });
    }
    // The refused ones stored nothing; the connector redelivers them (same activity id) and each is answered once.
    for (let i = 0; i < activities.length; i++) {
      expect((await history(server.store, `emulator:u-full-${i}`)).messages).toHaveLength(0);
      expect((await post(server.url, activities[i])).status).toBe(200);
      expect((await post(server.url, activities[i])).status).toBe(200);
      const { messages } = await history(server.store, `emulator:u-full-${i}`);
      expect(messages.filter((m) => m.direction === 'in')).toHaveLength(1);
      expect(connector.callsTo(`conv-u-full-${i}|livechat`)).toHaveLength(1);
    }
  });
});

describe('Bot Framework channel with BOTFRAMEWORK_APP_ID: the real server', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const dir = tempDir('sa-bf-auth-');
    const config = loadConfig(
      {
        PORT: '0',
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        SEED_DEMO: 'false',
        BOTFRAMEWORK_APP_ID: '00000000-0000-4000-8000-00000000abcd',
        BOTFRAMEWORK_APP_PASSWORD: 'not-a-real-secret',
      },
      dir,
    );
    server = await startServer(config, silent);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('refuses a request without a valid token with 401 and stores nothing', async () => {
    const sent = connector.calls.length;
    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }, { authorization: 'Basic dXNlcjpwYXNz' }] as Array<Record<string, string>>) {
      const res = await post(server.url, emulatorActivity('u-noauth', 'hello'), headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await history(server.store, 'emulator:u-noauth')).customer).toBeNull();
    expect(connector.calls.length).toBe(sent);
  });
});

describe('Bot Framework channel: tokens checked against published signing keys, product cards as hero cards', () => {
  const APP_ID = '11111111-2222-4333-8444-555555555555';
  let store: Store;
  const servers: http.Server[] = [];

  /** The card turn: sends our own product cards through the core (transcript and all). */
  function withCards(core: BotCore): BotCore {
    return {
      ...core,
      logic: async (context) => {
        if (context.activity.text !== 'cards') return core.logic(context);
        await context.sendActivity({
          type: 'message',
          text: 'Two picks for you',
          locale: 'en-US',
          attachments: [
            productCardAttachment({ id: 'P-1', title: 'Trail runner', subtitle: 'Breathable mesh', price: 499, currency: 'CNY', imageUrl: '/demo/img/P-1.svg', url: '/p/P-1', label: 'sponsored', actions: [{ title: 'Details', value: 'tell me about P-1' }] }),
            productCardAttachment({ id: 'P-2', title: 'Running socks', price: 39, imageUrl: 'https://cdn.example/p2.png' }),
          ],
        });
      },
    };
  }

  async function startChannel(opts: Partial<BotFrameworkChannelOptions>): Promise<string> {
    const core = createBotCore({ store, events: new LocalEventBus(() => undefined), logger: silent });
    const channel = createBotFrameworkChannel({ core: withCards(core), logger: silent, publicBaseUrl: 'https://shop.example', ...opts });
    const app = createHttpApp({ store, logger: silent, readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: false }, (a) => a.use(channel.router));
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const token = (claims: Json, key: KeyObject = keys.privateKey, kid = KID): string => channelToken(key, kid, { aud: APP_ID, serviceurl: connector.url, ...claims });

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', file: path.join(tempDir('sa-bf-jwt-'), 'shop.db') });
  });

  afterAll(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    await store?.close();
  });

  it('accepts a token signed with a published key and refuses forged, misaddressed or replayed-elsewhere ones', async () => {
    const base = await startChannel({ appId: APP_ID, appPassword: 'secret', openIdMetadataUrl: `${connector.url}/.well-known/openidconfiguration` });
    // expectReplies: the replies come back in the response body, so no outbound token is needed here.
    const activity = (user: string, text: string) => ({ ...emulatorActivity(user, text), channelId: 'msteams', deliveryMode: 'expectReplies' });

    const ok = await post(base, activity('t-1', 'cards'), { authorization: `Bearer ${token({})}` });
    expect(ok.status).toBe(200);
    const [reply] = (ok.body!['activities'] as Json[]) ?? [];
    expect(reply).toMatchObject({ text: 'Two picks for you', attachmentLayout: 'carousel' });
    expect(JSON.stringify(reply)).not.toContain('customerId');
    expect((await history(store, 'msteams:t-1')).messages).toHaveLength(2);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const refused = [
      token({}, other.privateKey), // signed with someone else's key under our key id
      token({ aud: '99999999-2222-4333-8444-555555555555' }), // for another bot
      token({ serviceurl: 'https://elsewhere.example/' }), // minted for another serviceUrl
      token({ exp: Math.floor(Date.now() / 1000) - 3600 }), // expired
      token({ iss: 'https://issuer.example' }), // not the Bot Framework's issuer
    ];
    for (const t of refused) {
      const res = await post(base, activity('t-forged', 'hello'), { authorization: `Bearer ${t}` });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await history(store, 'msteams:t-forged')).customer).toBeNull();
  });

  it('sends product cards to the connector as hero cards, labelled, while the transcript keeps our shape', async () => {
    const base = await startChannel({});
    const res = await post(base, emulatorActivity('c-1', 'cards'));
    expect(res.status).toBe(200);
    const [reply] = connector.callsTo('conv-c-1|livechat');
    expect(reply!.body).toMatchObject({ text: 'Two picks for you', attachmentLayout: 'carousel' });
    const [sponsored, plain] = reply!.body['attachments'] as Array<{ contentType: string; content: Json }>;
    expect(sponsored).toEqual({
      contentType: 'application/vnd.microsoft.card.hero',
      content: {
        title: 'Trail runner',
        subtitle: 'Sponsored · Breathable mesh',
        text: '¥499',
        images: [{ url: 'https://shop.example/demo/img/P-1.svg' }],
        buttons: [{ type: 'imBack', title: 'Details', value: 'tell me about P-1' }],
        tap: { type: 'openUrl', title: 'Trail runner', value: 'https://shop.example/p/P-1' },
      },
    });
    expect(plain!.content).toMatchObject({ title: 'Running socks', text: '¥39', images: [{ url: 'https://cdn.example/p2.png' }] });
    expect(plain!.content['subtitle']).toBeUndefined();

    const { messages } = await history(store, 'emulator:c-1');
    const cards = (messages[0]!.payload as { cards: Array<{ id: string; label?: string }> }).cards;
    expect(cards.map((c) => [c.id, c.label])).toEqual([
      ['P-1', 'sponsored'],
      ['P-2', undefined],
    ]);
  });
});

describe('Bot Framework rendering and settings', () => {
  it('labels in Chinese for a Chinese reply and leaves images out without a public base URL', () => {
    const out = renderForBotFramework({
      type: 'message',
      locale: 'zh-CN',
      text: '为你推荐',
      attachments: [productCardAttachment({ id: 'P-9', title: '跑鞋', label: 'sponsored', imageUrl: '/img/p9.svg' }), { contentType: 'image/png', contentUrl: 'https://x.example/a.png' }],
      channelData: { message: { id: 'm1' }, sender: 'bot', keep: 1 },
    });
    const [hero, image] = out.attachments!;
    expect(hero!.content).toMatchObject({ title: '跑鞋', subtitle: '广告', images: [] });
    expect(image).toEqual({ contentType: 'image/png', contentUrl: 'https://x.example/a.png' });
    expect(out.attachments!.some((a) => a.contentType === PRODUCT_CARD)).toBe(false);
    expect(out.channelData).toEqual({ keep: 1 });
  });

  it('refuses settings that would fail at the first reply or silently run anonymously', () => {
    const dir = tempDir('sa-bf-cfg-');
    const fails = (env: Record<string, string>, variable: string) => {
      try {
        loadConfig({ DATA_DIR: dir, ...env }, dir);
      } catch (err) {
        expect(isShopError(err, 'config_invalid')).toBe(true);
        expect((err as Error).message).toContain(variable);
        return;
      }
      throw new Error(`expected ${JSON.stringify(env)} to be refused`);
    };
    const id = { BOTFRAMEWORK_APP_ID: '00000000-0000-4000-8000-00000000abcd' };
    fails({ BOTFRAMEWORK_APP_PASSWORD: 'x' }, 'BOTFRAMEWORK_APP_PASSWORD: needs BOTFRAMEWORK_APP_ID');
    fails({ BOTFRAMEWORK_APP_ID: 'my-bot' }, 'BOTFRAMEWORK_APP_ID: must be the Microsoft App ID');
    fails(id, 'BOTFRAMEWORK_APP_PASSWORD: required for a MultiTenant app');
    fails({ ...id, BOTFRAMEWORK_APP_PASSWORD: 'x', BOTFRAMEWORK_APP_TYPE: 'SingleTenant' }, 'BOTFRAMEWORK_TENANT_ID: required for a SingleTenant app');
    fails({ ...id, BOTFRAMEWORK_APP_PASSWORD: 'x', BOTFRAMEWORK_TENANT_ID: 't', BOTFRAMEWORK_APP_TYPE: 'UserAssignedMSI' }, 'BOTFRAMEWORK_APP_PASSWORD: must not be set');
    fails({ BOTFRAMEWORK_APP_TYPE: 'Both' }, 'BOTFRAMEWORK_APP_TYPE');

    fails({ BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '0' }, 'BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS');
    fails({ BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: 'soon' }, 'BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS');

    expect(loadConfig({ DATA_DIR: dir }, dir).botframework).toEqual({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant', connectorTimeoutMs: 5000 });
    expect(loadConfig({ DATA_DIR: dir, BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '1500' }, dir).botframework.connectorTimeoutMs).toBe(1500);
    expect(loadConfig({ DATA_DIR: dir, ...id, BOTFRAMEWORK_APP_PASSWORD: 'x', BOTFRAMEWORK_TENANT_ID: 't', BOTFRAMEWORK_APP_TYPE: 'SingleTenant' }, dir).botframework).toMatchObject({
      ...{ appId: id.BOTFRAMEWORK_APP_ID, tenantId: 't', appType: 'SingleTenant' },
    });
  });
});
