/**
 * Fuzzing message-id collisions between senders (issue 14, point 1). On every channel (the
 * widget over REST and over its socket, the app API, WeChat, Bot Framework) several senders
 * draw message ids from one tiny shared pool, so that two senders using the same id is the
 * norm, not the exception; the pool holds prototype keys (`__proto__`, `constructor`,
 * `toString`) and odd ids (slashes, `%2F`, unicode, 64 characters), and the Bot Framework
 * senders share one group conversation with account ids built to collide if the stored key
 * were not escaped (`x`, `x/b`, `x%2Fb`) or did not name the account's channel (`x` on the
 * Emulator and `x` on Teams).
 *
 * The model: a (channel, sender, id) seen before is a redelivery, anything else a new
 * message. Checked against the real server after every step and every run:
 * - every ack and every reply belongs to the sender's own customer and conversation;
 * - a redelivery is acknowledged with the first delivery's message and answered no further;
 * - every new message is stored exactly once, under its sender's customer, with the key
 *   scoped to its sender, and nothing else is stored under them;
 * - no reply text of one sender reaches another: each sender asks about its own order
 *   number (SA9xxxxx, in no demo order), which the bot repeats, and no sender ever sees a
 *   number that is not theirs.
 * FUZZ_SEED reproduces a run; FUZZ_RUNS scales the number of runs.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundMessageKey } from '../../bots/index.js';
import { AppAdapter, requestSignatureHeaders } from '../../channels/app/index.js';
import type { WireMessage } from '../../channels/web/index.js';
import type { ChannelId, Message } from '../../store/index.js';
import { emulatorActivity, postActivity, startFakeConnector, type FakeConnector } from '../botframework-fakes.js';
import { startShopServer, wechatPost, type ShopServer } from '../helpers/shop-server.js';
import { WsClient } from '../helpers/ws-client.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const RUNS = Math.max(1, Math.round(30 * SCALE));
const APP_SECRET = 'app-hmac-secret-for-the-id-fuzzer-0123456789';
const OA = 'gh_idfuzz';

/**
 * Ids every channel shares (the widget allows 1..64 characters, Bot Framework anything). The
 * first HOT ones are drawn most of the time, so senders of one channel collide constantly.
 */
const HOT = 4;
const SHARED_IDS = [
  'm-608',
  '__proto__',
  // With the Bot Framework accounts `x` and `x/b`: `<group>/x/b/z` twice, unless the key escapes the account.
  'b/z',
  'z',
  '1',
  'a',
  'x/y',
  '/',
  '%2F',
  'a%2Fb',
  'constructor',
  'toString',
  'hasOwnProperty',
  '日本語-ü-ñ',
  'x'.repeat(64),
];
/** The app's Idempotency-Key is 1..128 visible ASCII characters. */
const APP_IDS = SHARED_IDS.filter((id) => /^[\x21-\x7e]{1,128}$/.test(id));
/** WeChat's MsgId is a decimal number. */
const WECHAT_IDS = ['608', '1', '0608', '2', '9'.repeat(64)];

type Lane = 'web-rest' | 'web-ws' | 'app' | 'wechat' | 'botframework';
const LANES: readonly Lane[] = ['web-rest', 'web-ws', 'app', 'wechat', 'botframework'];
const channelOf = (lane: Lane): ChannelId => (lane === 'web-rest' || lane === 'web-ws' ? 'web' : lane);

interface Step {
  lane: Lane;
  sender: number;
  id: number;
  text: number;
}

/** A run: one to three channels, and the messages their senders send, in order. */
const run: fc.Arbitrary<Step[]> = fc.subarray([...LANES], { minLength: 1, maxLength: 3 }).chain((lanes) =>
  fc.array(
    fc.record({
      lane: fc.constantFrom(...lanes),
      // Three senders per channel; Bot Framework has a fourth (below).
      sender: fc.nat(3),
      id: fc.oneof({ weight: 3, arbitrary: fc.nat(HOT - 1) }, { weight: 2, arbitrary: fc.nat(SHARED_IDS.length - 1) }),
      text: fc.nat(3),
    }),
    { minLength: 8, maxLength: 30 },
  ),
);

function idFor(s: Step): string {
  const pool = s.lane === 'app' ? APP_IDS : s.lane === 'wechat' ? WECHAT_IDS : SHARED_IDS;
  return pool[s.id % pool.length]!;
}

let shop: ShopServer;
let connector: FakeConnector;
const sockets: WsClient[] = [];
let runsDone = 0;
let stepsDone = 0;
let collisions = 0;
let redeliveries = 0;

beforeAll(async () => {
  connector = await startFakeConnector();
  shop = await startShopServer('sa-ids-fuzz-', 'idfuzztoken', {
    APP_HMAC_SECRET: APP_SECRET,
    EMBEDDINGS_MODEL: 'lexical',
    RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    WEB_SESSION_IP_PER_MINUTE: '100000',
    HANDOFF_AFTER_FALLBACKS: '20',
  });
  console.log(`id fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces it)`);
}, 120_000);

afterAll(async () => {
  console.log(`id fuzz: ${runsDone} runs, ${stepsDone} messages (${collisions} on an id another sender of the channel had used, ${redeliveries} redeliveries by the same sender)`);
  for (const s of sockets) await s.close();
  await shop?.close();
  await connector?.close();
});

// ------------------------------------------------------------------------- senders

/** One sender on one channel: how its stored keys look, and what it may see. */
interface Sender {
  lane: 'web' | Exclude<Lane, 'web-rest' | 'web-ws'>;
  label: string;
  /** The conversation and account the channel gives its activities (the stored key's scope). */
  conversationId: string;
  accountId: string;
  /** The activity's channelId (Bot Framework: emulator or msteams; else the lane's channel). */
  channelId: string;
  /** Its order number: the only SA9xxxxx it may ever see. */
  marker: string;
  customerId?: string;
  /** First text sent under each id (a redelivery repeats it), and the message stored for it. */
  sent: Map<string, { text: string; messageId?: string }>;
  /** Everything this sender was shown. */
  seen: string[];
  /** Widget only. */
  token?: string;
  socket?: WsClient;
}

let markerSeq = 0;
const nextMarker = () => `SA9${String(++markerSeq % 100_000).padStart(5, '0')}`;

async function webSender(run: string, i: number): Promise<Sender> {
  const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"locale":"en"}' });
  expect(res.status).toBe(200);
  const { visitorToken } = (await res.json()) as { visitorToken: string };
  const visitorId = visitorToken.split('.')[1]!;
  const socket = await WsClient.connect(`${shop.server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`);
  sockets.push(socket);
  await socket.waitFor((f) => f.type === 'history');
  return { lane: 'web', label: `web ${run}/${i}`, conversationId: `web:${visitorId}`, accountId: visitorId, channelId: 'web', marker: nextMarker(), sent: new Map(), seen: [], token: visitorToken, socket };
}

function senders(run: string): { web: () => Promise<Sender[]>; others: Record<'app' | 'wechat' | 'botframework', Sender[]> } {
  const make = (lane: Sender['lane'], label: string, conversationId: string, accountId: string, channelId: string = lane): Sender => ({
    lane,
    label,
    conversationId,
    accountId,
    channelId,
    marker: nextMarker(),
    sent: new Map(),
    seen: [],
  });
  const appUsers = [`fz-${run}`, `fz-${run}%2Fb`, `fz:${run}`];
  const group = `group-${run}`;
  return {
    web: () => Promise.all([0, 1, 2].map((i) => webSender(run, i))),
    others: {
      app: appUsers.map((u) => {
        const ref = AppAdapter.reference(u);
        return make('app', `app ${u}`, ref.conversation!.id, ref.user!.id);
      }),
      wechat: [0, 1, 2].map((i) => make('wechat', `wechat ${run}/${i}`, `wechat:oFz${run}_${i}`, `oFz${run}_${i}`)),
      // One group conversation; account ids that would collide in an unescaped `conversation/account/id` key,
      // and one account id on two Bot Framework channels (two customers: emulator:x and msteams:x).
      botframework: [
        ...[`x${run}`, `x${run}/b`, `x${run}%2Fb`].map((u) => make('botframework', `botframework emulator:${u}`, group, u, 'emulator')),
        make('botframework', `botframework msteams:x${run}`, group, `x${run}`, 'msteams'),
      ],
    },
  };
}

function textFor(s: Sender, which: number): string {
  return [`where is my order ${s.marker}`, 'hello', `order ${s.marker} please`, 'thanks'][which]!;
}

/** Order numbers of the fuzz (SA9 + 5 digits) in `text` that are not `s`'s own. */
function foreignMarkers(s: Sender, text: string): string[] {
  return [...text.matchAll(/SA9\d{5}/g)].map((m) => m[0]).filter((m) => m !== s.marker);
}

const conversationOwner = new Map<string, string>();
async function ownerOf(conversationId: string): Promise<string | undefined> {
  if (!conversationOwner.has(conversationId)) {
    const c = await shop.server.store.conversations.get(conversationId);
    if (c) conversationOwner.set(conversationId, c.customerId);
  }
  return conversationOwner.get(conversationId);
}

async function customerOf(s: Sender): Promise<string> {
  if (!s.customerId) {
    const external = s.lane === 'botframework' ? `${s.channelId}:${s.accountId}` : s.accountId;
    const c = await shop.server.store.customers.findByIdentity(s.lane, external);
    expect(c, `${s.label} is a customer after its first message`).not.toBeNull();
    s.customerId = c!.id;
  }
  return s.customerId;
}

/** The ack's message: the sender's, and the same message for a redelivery as for the first delivery. */
async function checkAck(s: Sender, id: string, messageId: string, duplicate: boolean): Promise<void> {
  const entry = s.sent.get(id)!;
  if (duplicate) expect(messageId, `${s.label}: a redelivery of ${JSON.stringify(id)} acks the first delivery`).toBe(entry.messageId);
  else entry.messageId = messageId;
  const stored = await shop.server.store.messages.get(messageId);
  expect(stored, `${s.label}: the acked message is stored`).not.toBeNull();
  expect(stored!.customerId, `${s.label}: the acked message ${JSON.stringify(id)} is the sender's`).toBe(await customerOf(s));
  expect(stored!.text).toBe(entry.text);
}

async function checkReplies(s: Sender, replies: WireMessage[]): Promise<void> {
  for (const r of replies) {
    expect(await ownerOf(r.conversationId), `${s.label}: a reply from another customer's conversation`).toBe(await customerOf(s));
    s.seen.push(r.text);
  }
}

// -------------------------------------------------------------------------- one step

async function send(s: Sender, lane: Lane, id: string, duplicate: boolean): Promise<void> {
  const text = s.sent.get(id)!.text;
  if (lane === 'web-rest') {
    const res = await fetch(`${shop.server.url}/api/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ id, text }),
    });
    expect(res.status, `${s.label} ${JSON.stringify(id)}: ${await res.clone().text()}`).toBe(200);
    const body = (await res.json()) as { ack: { id: string; messageId: string }; duplicate: boolean; replies: WireMessage[] };
    expect(body.ack.id).toBe(id);
    expect(body.duplicate, `${s.label} ${JSON.stringify(id)}: duplicate`).toBe(duplicate);
    await checkAck(s, id, body.ack.messageId, duplicate);
    if (!duplicate) expect(body.replies.length, `${s.label}: a new message is answered`).toBeGreaterThan(0);
    await checkReplies(s, body.replies);
  } else if (lane === 'web-ws') {
    const c = s.socket!;
    const from = c.frames.length;
    c.send({ type: 'message', id, text });
    const ack = await c.waitFor((f) => f.type === 'ack' && f['id'] === id, { from });
    // The bot's typing-off ends every message frame's turn (its replies come before it).
    await c.waitFor((f) => f.type === 'typing' && f['on'] === false && f['from'] === 'bot', { from });
    await checkAck(s, id, String(ack['messageId']), duplicate);
    const bot = c.frames.slice(from).filter((f) => f.type === 'message' && (f['message'] as WireMessage).sender === 'bot');
    if (duplicate) expect(bot, `${s.label}: a redelivery on the socket is not answered again`).toHaveLength(0);
    else expect(bot.length, `${s.label}: a new message is answered`).toBeGreaterThan(0);
  } else if (lane === 'app') {
    const target = `/api/app/v1/conversations/${encodeURIComponent(`app:${s.accountId}`)}/messages`;
    const body = JSON.stringify({ userId: s.accountId, text, locale: 'en' });
    const headers = { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target, idempotencyKey: id, body }) };
    const res = await fetch(`${shop.server.url}${target}`, { method: 'POST', headers, body });
    expect(res.status, `${s.label} ${JSON.stringify(id)}: ${await res.clone().text()}`).toBe(200);
    const answer = (await res.json()) as { ack: { messageId: string; conversationId: string }; duplicate: boolean; replies: WireMessage[] };
    expect(answer.duplicate, `${s.label} ${JSON.stringify(id)}: duplicate`).toBe(duplicate);
    await checkAck(s, id, answer.ack.messageId, duplicate);
    expect(await ownerOf(answer.ack.conversationId)).toBe(await customerOf(s));
    if (!duplicate) expect(answer.replies.length, `${s.label}: a new message is answered`).toBeGreaterThan(0);
    await checkReplies(s, answer.replies);
  } else if (lane === 'wechat') {
    const sentTo = () => shop.fake.sent.filter((x) => x.touser === s.accountId).length;
    const before = sentTo();
    const res = await wechatPost(shop, OA, s.accountId, text, id);
    expect(res.status, `${s.label} ${id}: ${res.body}`).toBe(200);
    if (res.body !== 'success') {
      // A passive reply: addressed to this follower only.
      expect(res.body).toContain(`<ToUserName><![CDATA[${s.accountId}]]></ToUserName>`);
      expect(duplicate, `${s.label}: a redelivery is not answered again`).toBe(false);
      s.seen.push(res.body);
    } else if (!duplicate) {
      // An answer of several messages goes out through the customer-service API after the `success`: to this follower.
      await expect
        .poll(sentTo, { timeout: 10_000, message: `${s.label} ${id}: a new message got \`success\` and no answer (taken for a redelivery?)` })
        .toBeGreaterThan(before);
    }
  } else {
    const before = connector.calls.length;
    const activity = emulatorActivity(connector.url, s.accountId, text, { id, channelId: s.channelId, conversation: { id: s.conversationId } });
    const res = await postActivity({ base: shop.server.url }, activity);
    expect(res.status, `${s.label} ${JSON.stringify(id)}: ${res.text}`).toBe(200);
    const replies = connector.calls.slice(before);
    if (duplicate) expect(replies, `${s.label}: a redelivery of ${JSON.stringify(id)} is not answered again`).toHaveLength(0);
    else expect(replies.length, `${s.label}: a new message is answered`).toBeGreaterThan(0);
    for (const r of replies) {
      expect(r.conversationId).toBe(s.conversationId);
      expect(r.body['recipient'], `${s.label}: a reply addressed to someone else`).toMatchObject({ id: s.accountId });
      expect(r.body['replyToId']).toBe(id);
      s.seen.push(String(r.body['text'] ?? ''));
    }
  }
}

// --------------------------------------------------------------------- after a run

async function checkRun(all: Sender[]): Promise<void> {
  for (const s of all) {
    if (s.sent.size === 0) continue;
    const customerId = await customerOf(s);
    // Everything stored under the sender: exactly one inbound message per (sender, id), under the sender's scoped key.
    const inbound: Message[] = [];
    let cursor: string | null = null;
    do {
      const page = await shop.server.store.messages.listByCustomer(customerId, { limit: 500, cursor });
      inbound.push(...page.items.filter((m) => m.direction === 'in'));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = [...s.sent.keys()].map((id) => inboundMessageKey({ id, channelId: s.channelId, conversation: { id: s.conversationId }, from: { id: s.accountId } })!).sort();
    expect(inbound.map((m) => m.channelMessageId).sort(), `${s.label}: stored messages`).toEqual(expected);
    expect(new Set(inbound.map((m) => m.channel))).toEqual(new Set([s.lane]));
    for (const m of inbound) expect(await ownerOf(m.conversationId)).toBe(customerId);

    // What the sender was shown: its own conversation and its own order number only.
    if (s.socket) {
      for (const f of s.socket.frames) {
        if (f.type === 'message') {
          const m = f['message'] as WireMessage;
          expect(await ownerOf(m.conversationId), `${s.label}: the socket showed another customer's message`).toBe(customerId);
          s.seen.push(m.text);
        } else if (f.type === 'hello' && typeof f['customerId'] === 'string') {
          expect(f['customerId']).toBe(customerId);
        }
      }
    }
    if (s.lane === 'wechat') {
      s.seen.push(...shop.fake.sent.filter((x) => x.touser === s.accountId).map((x) => JSON.stringify(x)));
    }
    for (const text of s.seen) expect(foreignMarkers(s, text), `${s.label} was shown another sender's order number: ${text}`).toEqual([]);
  }
  // Customer-service messages (WeChat) go to the follower who wrote, never to another: checked by content above;
  // and none went to a follower of this run who never wrote.
  const wrote = new Set(all.filter((s) => s.lane === 'wechat' && s.sent.size > 0).map((s) => s.accountId));
  for (const x of shop.fake.sent) if (all.some((s) => s.lane === 'wechat' && s.accountId === x.touser)) expect(wrote.has(x.touser)).toBe(true);
}

describe('message ids: collisions between senders on every channel', () => {
  it('keeps every sender in its own conversation, stores each new message once under its sender, and answers redeliveries once', async () => {
    await fc.assert(
      fc.asyncProperty(run, async (steps) => {
        const made = senders(randomUUID().slice(0, 8));
        const web = await made.web();
        const bySender = (s: Step): Sender => {
          const of = s.lane === 'web-rest' || s.lane === 'web-ws' ? web : made.others[s.lane];
          return of[s.sender % of.length]!;
        };
        for (const st of steps) {
          const s = bySender(st);
          const id = idFor(st);
          const duplicate = s.sent.has(id);
          if (!duplicate) s.sent.set(id, { text: textFor(s, st.text) });
          const others = [...web, ...Object.values(made.others).flat()].filter((o) => o !== s && channelOf(o.lane === 'web' ? 'web-rest' : o.lane) === channelOf(st.lane));
          if (duplicate) redeliveries++;
          else if (others.some((o) => o.sent.has(id))) collisions++;
          await send(s, st.lane, id, duplicate);
          stepsDone++;
        }
        await checkRun([...web, ...Object.values(made.others).flat()]);
        for (const s of web) {
          await s.socket!.close();
          sockets.splice(sockets.indexOf(s.socket!), 1);
        }
        runsDone++;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(stepsDone).toBeGreaterThan(0);
  }, 600_000);
});
