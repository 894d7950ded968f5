/**
 * Property-based fuzzing of the Bot Framework endpoint, `POST /api/messages`: the real server
 * without an app id (over TCP loopback, as the Emulator, and over a Unix socket or with
 * proxy headers, as a remote caller), and the channel with an app id checking real RS256
 * channel tokens against a local OpenID document. Activities are built from the fields
 * botbuilder and our middleware read, each sometimes of the wrong type, hostile or huge
 * (membersAdded, attachments, suggestedActions, from, recipient, conversation, channelData,
 * entities, ...); the impersonation fields (channelId — this server's own channels included
 * —, from.id, from.role, recipient, serviceUrl, deliveryMode) vary on their own; and
 * prototype keys (`__proto__`, `constructor`, `toString`) appear as ids, texts and keys.
 *
 * Properties: every answer is 2xx or 4xx, never 5xx (a 4xx is our JSON error); a remote
 * caller without an app id, or a caller without a valid token with one, is never answered
 * 2xx and never gets replies in the body; two senders reusing one activity id are two
 * messages, both stored and both answered; Object.prototype stays clean; the server answers
 * /healthz after each property; nothing is thrown unhandled. FUZZ_SEED reproduces a run,
 * FUZZ_RUNS scales it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createHttpApp } from '../../app/http.js';
import { InFlight } from '../../app/in-flight.js';
import { createLogger } from '../../app/logger.js';
import { Readiness } from '../../app/readiness.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { createBotCore, LocalEventBus } from '../../bots/index.js';
import { createBotFrameworkChannel, PROXY_HEADERS } from '../../channels/botframework/index.js';
import { openStore, type Store } from '../../store/index.js';
import { channelToken, postActivity, startFakeConnector, until, type Answer, type FakeConnector, type Json } from '../botframework-fakes.js';
import { captureApp } from '../helpers/role-matrix.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const APP_ID = '33333333-4444-4555-8666-777777777777';
const KID = 'fuzz-key';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const silent = createLogger({ level: 'silent' });

const processErrors: unknown[] = [];
const onProcessError = (e: unknown) => processErrors.push(e);
const statusCounts = new Map<number, number>();
let tried = 0;

let dir = '';
let server: RunningServer;
let viaSocket: http.Server;
let socketPath = '';
let connector: FakeConnector;
let refuser: FakeConnector;
let authStore: Store;
let authServer: http.Server;
let authBase = '';

// ---- arbitraries -------------------------------------------------------------------------

const PROTO = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf'];

const weirdString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 3, arbitrary: fc.constantFrom(...PROTO, '', ' ', '\u0000', '\uD800', '我想退货', 'Is the constructor set included?', '<script>alert(1)</script>', '$gt', 'NaN', '29:victim', 'a:1/b%2F') },
  { weight: 1, arbitrary: fc.integer({ min: 6, max: 14 }).map((n) => 'x'.repeat(2 ** n)) },
);

/** Any JSON value, with objects whose keys are sometimes prototype keys (own properties, as JSON.parse makes them). */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    weirdString,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO), fc.string({ maxLength: 8 })), tie('v')), { maxLength: 5 }).map(toObject),
  ),
})).v;

function toObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** A field that is usually well-formed and sometimes anything at all. */
const mostly = <T,>(good: fc.Arbitrary<T>, weight = 4) => fc.oneof({ weight, arbitrary: good }, { weight: 1, arbitrary: anyJson });
const maybe = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

const idValue = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PROTO, '29:victim', 'u-1', 'shared-1', 'a|b', 'x/y%z') }, { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) });
const account = fc.record({ id: mostly(idValue), name: maybe(mostly(weirdString, 2)), role: maybe(fc.constantFrom<unknown>('user', 'bot', 'skill', 'admin', '', 1, null)) }, { requiredKeys: ['id'] });
const CHANNEL_IDS = ['emulator', 'msteams', 'directline', 'webchat', 'web', 'wechat', 'app', 'WEB', 'botframework', ...PROTO, '', 'a b', 'x'.repeat(70)];
const TYPES = ['message', 'message', 'message', 'conversationUpdate', 'conversationUpdate', 'invoke', 'event', 'typing', 'messageReaction', 'installationUpdate', 'endOfConversation', 'trace', 'delay', 'invokeResponse', ...PROTO, ''];

const attachment = fc.record(
  { contentType: mostly(fc.constantFrom('image/png', 'application/vnd.microsoft.card.hero', 'application/vnd.shop.product-card', 'text/plain', ...PROTO)), contentUrl: maybe(mostly(fc.constantFrom('https://x.example/a.png', 'javascript:alert(1)', '', 'http://127.0.0.1:1/'))), content: maybe(anyJson), name: maybe(weirdString) },
  { requiredKeys: [] },
);
const cardAction = fc.record({ type: mostly(fc.constantFrom('imBack', 'openUrl', 'postBack', ...PROTO)), title: maybe(mostly(weirdString, 2)), value: maybe(anyJson) }, { requiredKeys: [] });

/** Where replies would go: the fake connector, one that refuses everything, elsewhere, or nonsense. */
const serviceUrl = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(connector.url) },
    { weight: 2, arbitrary: fc.constant(refuser.url) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>('https://attacker.example/bf', 'http://localhost:1/', 'http://127.0.0.1:1', 'ftp://127.0.0.1/', 'javascript:alert(1)', '', 42, null, `http://127.0.0.1/${'a'.repeat(3000)}`) },
  );

const VALID_CHANNEL_IDS = ['emulator', 'msteams', 'directline', 'webchat', 'slack', ...PROTO];
const validText = weirdString.map((t) => t.slice(0, 2000));
const validId = idValue.filter((v) => v.trim() !== '');
const validAccount = fc.record({ id: validId, name: maybe(validText.map((t) => t.slice(0, 256))), role: maybe(fc.constantFrom('user', 'bot', 'skill')) }, { requiredKeys: ['id'] });
const objectOf = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO), fc.string({ maxLength: 8 })), anyJson), { maxLength: 4 }).map(toObject);

/**
 * A well-formed activity (it passes the door and runs a turn) whose impersonation fields
 * and ids vary: any Bot Framework channel, any user id or role, expectReplies or not,
 * prototype keys as ids, texts and channelData keys, members, attachments, quick replies.
 */
const validActivity = () =>
  fc
    .record(
      {
        type: fc.constantFrom('message', 'message', 'message', 'message', 'conversationUpdate', 'conversationUpdate', 'event', 'typing', 'invoke', 'messageReaction', 'installationUpdate', 'endOfConversation'),
        id: maybe(validId),
        channelId: fc.constantFrom(...VALID_CHANNEL_IDS),
        serviceUrl: fc.oneof({ weight: 6, arbitrary: fc.constant(connector.url) }, { weight: 2, arbitrary: fc.constant(refuser.url) }, { weight: 1, arbitrary: fc.constant('http://127.0.0.1:1/') }),
        from: validAccount,
        recipient: maybe(validAccount),
        conversation: fc.record({ id: validId, isGroup: maybe(fc.boolean()) }, { requiredKeys: ['id'] }),
        deliveryMode: maybe(fc.constantFrom('expectReplies', 'normal', 'notification')),
        text: maybe(validText),
        membersAdded: maybe(fc.array(validAccount, { maxLength: 3 })),
        attachments: maybe(fc.array(fc.record({ contentType: fc.constantFrom('image/png', 'application/vnd.microsoft.card.hero', ...PROTO), content: maybe(anyJson) }, { requiredKeys: ['contentType'] }), { maxLength: 2 })),
        suggestedActions: maybe(fc.record({ actions: fc.array(fc.record({ type: fc.constantFrom('imBack', ...PROTO), title: maybe(validText.map((t) => t.slice(0, 256))), value: maybe(anyJson) }, { requiredKeys: ['type'] }), { maxLength: 3 }) })),
        channelData: maybe(objectOf),
        value: maybe(anyJson),
        name: maybe(fc.constantFrom('tokens/response', 'adaptiveCard/action', ...PROTO)),
      },
      { requiredKeys: ['type', 'channelId', 'serviceUrl', 'from', 'conversation'] },
    )
    .map((a) => toObject(Object.entries(a).filter(([, v]) => v !== undefined)));

/** An activity with any field of the wrong type, hostile or huge (what broke turns before), and prototype keys on top. */
const hostileActivity = () =>
  fc
    .record(
      {
        type: mostly(fc.constantFrom(...TYPES), 8),
        id: maybe(mostly(idValue)),
        channelId: mostly(fc.constantFrom(...CHANNEL_IDS), 8),
        serviceUrl: serviceUrl(),
        from: mostly(account),
        recipient: maybe(mostly(account)),
        conversation: mostly(fc.record({ id: mostly(idValue), isGroup: maybe(anyJson), conversationType: maybe(mostly(weirdString)), tenantId: maybe(weirdString) }, { requiredKeys: ['id'] })),
        deliveryMode: maybe(mostly(fc.constantFrom('expectReplies', 'normal', 'notification', 'ephemeral', 'ExpectReplies', ...PROTO))),
        text: maybe(mostly(weirdString, 6)),
        locale: maybe(mostly(fc.constantFrom('en-US', 'zh-CN', ...PROTO))),
        membersAdded: maybe(mostly(fc.array(mostly(account), { maxLength: 3 }))),
        membersRemoved: maybe(mostly(fc.array(mostly(account), { maxLength: 2 }))),
        attachments: maybe(mostly(fc.array(mostly(attachment), { maxLength: 3 }))),
        suggestedActions: maybe(mostly(fc.record({ actions: mostly(fc.array(mostly(cardAction), { maxLength: 3 })), to: maybe(anyJson) }, { requiredKeys: ['actions'] }))),
        channelData: maybe(anyJson),
        entities: maybe(mostly(fc.array(mostly(fc.record({ type: mostly(weirdString) })), { maxLength: 3 }))),
        value: maybe(anyJson),
        name: maybe(mostly(fc.constantFrom('tokens/response', 'adaptiveCard/action', 'composeExtension/query', ...PROTO))),
        timestamp: maybe(mostly(fc.constantFrom(new Date().toISOString(), '2026-02-30T00:00:00Z', 'yesterday'))),
        reactionsAdded: maybe(anyJson),
        relatesTo: maybe(anyJson),
      },
      { requiredKeys: ['type', 'channelId', 'serviceUrl', 'from', 'conversation'] },
    )
    .chain((a) => fc.array(fc.tuple(fc.constantFrom(...PROTO), anyJson), { maxLength: 2 }).map((extra) => toObject([...Object.entries(a).filter(([, v]) => v !== undefined), ...extra])));

const activity = () => fc.oneof({ weight: 3, arbitrary: validActivity() }, { weight: 2, arbitrary: hostileActivity() });

/** A body: usually an activity, sometimes any JSON or not JSON at all. */
const body = () =>
  fc.oneof(
    { weight: 12, arbitrary: activity().map((a) => JSON.stringify(a)) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('{', '[1,2', '"message"', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', `{"type":"message","text":"${'y'.repeat(200_000)}"}`) },
  );

// ---- checks -------------------------------------------------------------------------------

function count(a: Answer): void {
  tried++;
  statusCounts.set(a.status, (statusCounts.get(a.status) ?? 0) + 1);
}

/** 2xx or 4xx; a 4xx is our JSON error. */
function wellFormed(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeLessThan(500);
  if (a.status >= 400) expect((a.body?.['error'] as Json | undefined)?.['code'], `${what}: ${a.text.slice(0, 300)}`).toEqual(expect.any(String));
}

/** A caller who may not talk to the bot: refused, and never answered in the body. */
function refused(a: Answer, what: string): void {
  wellFormed(a, what);
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(a.body?.['activities'], what).toBeUndefined();
}

async function alive(): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), 'Object.prototype polluted').toBe(false);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(processErrors).toEqual([]);
}

const params = (n: number) => ({ seed: SEED, numRuns: runs(n), endOnFailure: true });

beforeAll(async () => {
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  connector = await startFakeConnector({ publicKey: keys.publicKey, kid: KID });
  refuser = await startFakeConnector();
  refuser.script.push(...Array.from({ length: 100_000 }, () => 'refuse' as const));
  dir = mkdtempSync(path.join(tmpdir(), 'sa-bf-fuzz-'));
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      EMBEDDINGS_MODEL: 'lexical',
      TRUST_PROXY: 'true',
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
      BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: '1000',
      OUTBOUND_RETRY_ATTEMPTS: '1',
    },
    dir,
  );
  const captured = await captureApp(() => startServer(config, silent));
  server = captured.result;
  socketPath = path.join(dir, 'shop.sock');
  viaSocket = http.createServer(captured.app);
  await new Promise<void>((r) => viaSocket.listen(socketPath, r));

  authStore = await openStore({ kind: 'sqlite', file: path.join(dir, 'auth.db') });
  const core = createBotCore({ store: authStore, events: new LocalEventBus(() => undefined), logger: silent, outboundRetry: { attempts: 1, baseMs: 1, maxDelayMs: 1 }, rateLimits: { perCustomer: { burst: 100_000, perSecond: 1000 }, perIp: { burst: 100_000, perSecond: 1000 } } });
  const channel = createBotFrameworkChannel({ core, logger: silent, appId: APP_ID, appPassword: 'secret', openIdMetadataUrl: `${connector.url}/.well-known/openidconfiguration`, store: authStore, connectorTimeoutMs: 300 });
  const app = createHttpApp({ store: authStore, logger: silent, readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: true }, (a) => a.use(channel.router));
  authServer = http.createServer(app);
  await new Promise<void>((r) => authServer.listen(0, '127.0.0.1', r));
  authBase = `http://127.0.0.1:${(authServer.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  viaSocket?.closeAllConnections();
  await new Promise<void>((r) => (viaSocket ? viaSocket.close(() => r()) : r()));
  await new Promise<void>((r) => (authServer ? authServer.close(() => r()) : r()));
  await server?.close();
  await authStore?.close();
  await connector?.close();
  await refuser?.close();
  rmSync(dir, { recursive: true, force: true });
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
  console.info(`Bot Framework fuzz: seed ${SEED}, ${tried} requests, statuses ${JSON.stringify(Object.fromEntries([...statusCounts].sort((a, b) => a[0] - b[0])))}`);
});

describe(`Bot Framework fuzz (seed ${SEED}; FUZZ_SEED reproduces)`, () => {
  it('the Emulator on this machine (TCP loopback, no app id): any activity is answered 2xx or 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(body(), async (b) => {
        const a = await postActivity({ base: server.url }, b);
        count(a);
        wellFormed(a, b.slice(0, 300));
      }),
      params(300),
    );
    await alive();
  }, 300_000);

  it('a remote caller without an app id (another peer, or relayed by a proxy; forged loopback headers, TRUST_PROXY=true): always refused, never answered in the body', async () => {
    const proxyHeader = fc.constantFrom(...PROXY_HEADERS);
    const transport = fc.oneof(
      fc.record({ kind: fc.constant('socket' as const), headers: fc.dictionary(fc.constantFrom('x-forwarded-for', 'x-real-ip', 'forwarded'), fc.constantFrom('127.0.0.1', '::1', 'for=127.0.0.1', 'localhost'), { maxKeys: 2 }) }),
      fc.record({ kind: fc.constant('proxied' as const), headers: fc.tuple(proxyHeader, fc.constantFrom('203.0.113.7', '127.0.0.1', '1.1 ngrok', 'for=192.0.2.1')).map(([k, v]) => ({ [k]: v })) }),
    );
    const sent = connector.calls.length;
    await fc.assert(
      fc.asyncProperty(activity(), transport, async (act, t) => {
        // Often exactly what an attacker wants: a real user on a real channel, answers in the body.
        const forged = { ...act };
        const a = await postActivity(t.kind === 'socket' ? { socketPath } : { base: server.url }, JSON.stringify(forged), t.headers);
        count(a);
        refused(a, `${t.kind} ${JSON.stringify(t.headers)} ${JSON.stringify(forged).slice(0, 300)}`);
        expect(a.status === 401 || a.status === 400 || a.status === 413, `${a.status} ${a.text.slice(0, 200)}`).toBe(true);
      }),
      params(200),
    );
    // Nothing a refused caller sent reached the connector.
    expect(connector.calls.length).toBe(sent);
    await alive();
  }, 300_000);

  it('with an app id: without a valid token nobody is answered (loopback neither); with one, never a 5xx', async () => {
    const tokenKind = fc.constantFrom('none', 'garbage', 'foreignKey', 'otherBot', 'otherServiceUrl', 'expired', 'valid', 'valid');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await fc.assert(
      fc.asyncProperty(activity(), tokenKind, async (act, kind) => {
        const sUrl = typeof act['serviceUrl'] === 'string' ? act['serviceUrl'] : connector.url;
        const claims: Json = { aud: APP_ID, serviceurl: sUrl };
        const token =
          kind === 'none' ? undefined
          : kind === 'garbage' ? 'Bearer not.a.jwt'
          : kind === 'foreignKey' ? `Bearer ${channelToken(other.privateKey, KID, claims)}`
          : kind === 'otherBot' ? `Bearer ${channelToken(keys.privateKey, KID, { ...claims, aud: '99999999-4444-4555-8666-777777777777' })}`
          : kind === 'otherServiceUrl' ? `Bearer ${channelToken(keys.privateKey, KID, { ...claims, serviceurl: 'https://elsewhere.example/' })}`
          : kind === 'expired' ? `Bearer ${channelToken(keys.privateKey, KID, { ...claims, exp: Math.floor(Date.now() / 1000) - 3600 })}`
          : `Bearer ${channelToken(keys.privateKey, KID, claims)}`;
        const a = await postActivity({ base: authBase }, JSON.stringify(act), token ? { authorization: token } : {});
        count(a);
        if (kind === 'valid') wellFormed(a, JSON.stringify(act).slice(0, 300));
        else refused(a, `${kind} ${JSON.stringify(act).slice(0, 300)}`);
      }),
      params(200),
    );
    await alive();
  }, 300_000);

  it('two senders reusing one activity id (prototype keys included) are two messages: both stored, both answered', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROTO, 'shared-1', '1', 'f:1'),
        fc.uniqueArray(fc.constantFrom(...PROTO, 'u-1', '29:a', 'a/b', 'a%2Fb'), { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        fc.constantFrom('hello', 'Is the constructor set included?', 'toString', '__proto__'),
        async (id, [first, second], sameConversation, text) => {
          const channelId = `fz${++n}`; // fresh accounts each run
          const act = (from: string) => ({ type: 'message', id, channelId, serviceUrl: connector.url, from: { id: from }, recipient: { id: 'bot' }, conversation: { id: sameConversation ? 'group-1' : `personal-${from}` }, text });
          for (const from of [first!, second!]) {
            const a = await postActivity({ base: server.url }, act(from));
            count(a);
            expect(a.status, a.text).toBe(200);
          }
          for (const from of [first!, second!]) {
            const customer = await server.store.customers.findByIdentity('botframework', `${channelId}:${from}`);
            expect(customer, `${channelId}:${from}`).not.toBeNull();
            const messages = (await server.store.messages.listByCustomer(customer!.id, { limit: 10 })).items;
            expect(messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([text]);
            expect(messages.filter((m) => m.direction === 'out').length, `${channelId}:${from} answered`).toBeGreaterThan(0);
          }
        },
      ),
      params(40),
    );
    await alive();
  }, 300_000);

  it('afterwards: the server still answers an Emulator user, and replies that hit the refusing connector were marked, not lost', async () => {
    const a = await postActivity({ base: server.url }, { type: 'message', id: 'after-fuzz', channelId: 'emulator', serviceUrl: connector.url, from: { id: 'after' }, conversation: { id: 'after-conv' }, text: 'hello' });
    expect(a.status).toBe(200);
    await until('the reply', () => connector.delivered('after-conv').length === 1);
    await alive();
  }, 60_000);
});
