/**
 * Who may talk to the bot as a Bot Framework shopper. Without BOTFRAMEWORK_APP_ID the
 * endpoint has no token to check, so it accepts only callers whose TCP peer is this machine
 * (the Emulator), whatever X-Forwarded-For or TRUST_PROXY say, and nothing relayed by a
 * proxy or tunnel; everyone else gets 401 naming BOTFRAMEWORK_APP_ID, and never the answers
 * (`expectReplies`) of the shopper they pretend to be. With an app id, a Bot Framework
 * token is required, from loopback too. And an activity may never claim one of this
 * server's own channels (`web`, `wechat`, `app`), whose accounts it would then speak for.
 *
 * A remote peer in a real request: the captured express app of the real server also listens
 * on a Unix socket — the peer then has no address, as behind nginx on the same host. Another
 * 127.x address would not do: 127.0.0.0/8 is this machine, and is rightly accepted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { createBotCore, LocalEventBus } from '../bots/index.js';
import { anonymousCallerRefusal, createBotFrameworkChannel, isLoopbackPeer, PROXY_HEADERS } from '../channels/botframework/index.js';
import { openStore, type Store } from '../store/index.js';
import { channelToken, emulatorActivity, postActivity, startFakeConnector, type Answer, type FakeConnector, type Json } from './botframework-fakes.js';
import { captureApp } from './helpers/role-matrix.js';

const silent = createLogger({ level: 'silent' });
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const errorOf = (a: Answer) => (a.body?.['error'] ?? {}) as Json;

describe('the anonymous caller decision (TCP peer and proxy headers)', () => {
  it('accepts only loopback peers: 127.0.0.0/8, ::1 and IPv4-mapped 127.x', () => {
    for (const peer of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3']) {
      expect(isLoopbackPeer(peer), peer).toBe(true);
      expect(anonymousCallerRefusal(peer, {}), peer).toBeUndefined();
    }
    const remote = [undefined, '', '192.0.2.10', '10.0.0.1', '172.17.0.1', '::ffff:10.0.0.1', '::ffff:192.0.2.1', 'fe80::1', 'fd00::2', '::', '0.0.0.0', 'localhost', '127.0.0.1.evil.example', '1127.0.0.1', '127.0.0.256'];
    for (const peer of remote) {
      expect(isLoopbackPeer(peer), String(peer)).toBe(false);
      expect(anonymousCallerRefusal(peer, {}), String(peer)).toMatch(/BOTFRAMEWORK_APP_ID/);
      // A header claiming loopback changes nothing.
      expect(anonymousCallerRefusal(peer, { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-real-ip': '::1' }), String(peer)).toMatch(/BOTFRAMEWORK_APP_ID/);
    }
  });

  it('refuses a loopback peer that relays for someone else (a reverse proxy or tunnel on this machine)', () => {
    for (const header of PROXY_HEADERS) {
      expect(anonymousCallerRefusal('127.0.0.1', { [header]: '203.0.113.7' }), header).toMatch(new RegExp(`through a proxy or tunnel \\(it carries ${header}\\).*BOTFRAMEWORK_APP_ID`));
    }
  });
});

describe('anonymous (no BOTFRAMEWORK_APP_ID, TRUST_PROXY=true): the real server over TCP loopback and over a Unix socket', () => {
  let server: RunningServer;
  let viaSocket: http.Server;
  let socketPath = '';
  let connector: FakeConnector;
  const tcp = () => ({ base: server.url });
  const remote = () => ({ socketPath });
  /** A customer on Teams whose orders an impersonator would like to read. */
  const VICTIM = { channelId: 'msteams', id: '29:1a2b3c-victim' };

  beforeAll(async () => {
    connector = await startFakeConnector();
    const dir = tempDir('sa-bf-imp-');
    const config = loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', EMBEDDINGS_MODEL: 'lexical', TRUST_PROXY: 'true', RATE_LIMIT_CUSTOMER_PER_MINUTE: '600' }, dir);
    const { result, app } = await captureApp(() => startServer(config, silent));
    server = result;
    socketPath = path.join(dir, 'shop.sock');
    viaSocket = http.createServer(app);
    await new Promise<void>((r) => viaSocket.listen(socketPath, r));
    await server.store.customers.create({ displayName: 'Victim', locale: 'en', tags: [], identities: [{ channel: 'botframework', externalId: `${VICTIM.channelId}:${VICTIM.id}` }] });
  }, 120_000);

  afterAll(async () => {
    viaSocket?.closeAllConnections();
    await new Promise<void>((r) => (viaSocket ? viaSocket.close(() => r()) : r()));
    await server?.close();
    await connector?.close();
  });

  const storedFor = async (externalId: string) => {
    const c = await server.store.customers.findByIdentity('botframework', externalId);
    return c ? (await server.store.messages.listByCustomer(c.id, { limit: 100 })).items.length : 0;
  };

  it('the Emulator on this machine chats: replies through the connector, or in the body with expectReplies', async () => {
    const res = await postActivity(tcp(), emulatorActivity(connector.url, 'local-1', 'hello'));
    expect(res.status).toBe(200);
    expect(connector.delivered('conv-local-1|livechat')).toHaveLength(1);

    const inBody = await postActivity(tcp(), emulatorActivity(connector.url, 'local-1', 'what is your return policy?', { deliveryMode: 'expectReplies' }));
    expect(inBody.status).toBe(200);
    expect((inBody.body!['activities'] as Json[]).length).toBeGreaterThan(0);
  });

  it('a remote caller impersonating a Teams user with expectReplies gets 401 naming BOTFRAMEWORK_APP_ID, no answers, nothing stored', async () => {
    const before = await storedFor(`${VICTIM.channelId}:${VICTIM.id}`);
    const sent = connector.calls.length;
    const forged = emulatorActivity(connector.url, VICTIM.id, 'where is my order?', { channelId: VICTIM.channelId, deliveryMode: 'expectReplies', conversation: { id: 'a:victim-chat' } });
    // Forged loopback claims, which TRUST_PROXY=true would make req.ip believe.
    for (const headers of [{}, { 'x-forwarded-for': '127.0.0.1' }, { forwarded: 'for=127.0.0.1', 'x-real-ip': '127.0.0.1' }] as Array<Record<string, string>>) {
      const res = await postActivity(remote(), forged, headers);
      expect(res.status).toBe(401);
      expect(errorOf(res)).toMatchObject({ code: 'unauthorized', reason: 'botframework_app_id_required' });
      expect(String(errorOf(res)['message'])).toMatch(/only accepts callers on this machine.*BOTFRAMEWORK_APP_ID/);
      expect(res.body?.['activities']).toBeUndefined();
    }
    // Malformed or not, a remote caller learns nothing more than 401.
    expect((await postActivity(remote(), { type: 'message' })).status).toBe(401);
    expect(await storedFor(`${VICTIM.channelId}:${VICTIM.id}`)).toBe(before);
    expect(connector.calls.length).toBe(sent);
  });

  it('a request relayed to loopback by a proxy or tunnel (X-Forwarded-For, Forwarded, Via) gets 401', async () => {
    for (const headers of [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7;proto=https' }, { via: '1.1 ngrok' }] as Array<Record<string, string>>) {
      const res = await postActivity(tcp(), emulatorActivity(connector.url, 'proxied-1', 'hello', { deliveryMode: 'expectReplies' }), headers);
      expect(res.status).toBe(401);
      expect(String(errorOf(res)['message'])).toMatch(/through a proxy or tunnel.*BOTFRAMEWORK_APP_ID/);
      expect(res.body?.['activities']).toBeUndefined();
    }
    expect(await storedFor('emulator:proxied-1')).toBe(0);
  });

  it("an activity claiming one of this server's own channels (web, wechat, app) is refused with 400, from loopback too", async () => {
    for (const channelId of ['web', 'wechat', 'app', 'WeChat']) {
      const res = await postActivity(tcp(), emulatorActivity(connector.url, 'o-victim-openid', 'where is my order?', { channelId, deliveryMode: 'expectReplies' }));
      expect(res.status).toBe(400);
      expect(String(errorOf(res)['message'])).toMatch(/channelId: must not be one of this server's own channels/);
      expect(res.body?.['activities']).toBeUndefined();
    }
    for (const channel of ['web', 'wechat', 'app'] as const) expect(await server.store.customers.findByIdentity(channel, 'o-victim-openid')).toBeNull();
  });
});

describe('with BOTFRAMEWORK_APP_ID: a Bot Framework token is required from every caller, loopback included', () => {
  const APP_ID = '22222222-3333-4444-8555-666666666666';
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const KID = 'imp-key';
  let connector: FakeConnector;
  let store: Store;
  let server: http.Server;
  let base = '';

  beforeAll(async () => {
    connector = await startFakeConnector({ publicKey: keys.publicKey, kid: KID });
    store = await openStore({ kind: 'sqlite', file: path.join(tempDir('sa-bf-imp-jwt-'), 'shop.db') });
    const core = createBotCore({ store, events: new LocalEventBus(() => undefined), logger: silent });
    const channel = createBotFrameworkChannel({ core, logger: silent, appId: APP_ID, appPassword: 'secret', openIdMetadataUrl: `${connector.url}/.well-known/openidconfiguration`, store });
    const app = createHttpApp({ store, logger: silent, readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: true }, (a) => a.use(channel.router));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await store?.close();
    await connector?.close();
  });

  it('expectReplies answers in the body only for a valid token; no token, a forged or foreign one: 401 and no answers', async () => {
    const activity = emulatorActivity(connector.url, '29:teams-user', 'hello', { channelId: 'msteams', deliveryMode: 'expectReplies' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const headers of [
      {},
      { authorization: 'Bearer not-a-jwt' },
      { authorization: `Bearer ${channelToken(other.privateKey, KID, { aud: APP_ID, serviceurl: connector.url })}` },
      { authorization: `Bearer ${channelToken(keys.privateKey, KID, { aud: '99999999-3333-4444-8555-666666666666', serviceurl: connector.url })}` },
      { authorization: `Bearer ${channelToken(keys.privateKey, KID, { aud: APP_ID, serviceurl: 'https://elsewhere.example/' })}` },
    ] as Array<Record<string, string>>) {
      const res = await postActivity({ base }, activity, headers);
      expect(res.status).toBe(401);
      expect(errorOf(res)['code']).toBe('unauthorized');
      expect(res.body?.['activities']).toBeUndefined();
    }
    expect(await store.customers.findByIdentity('botframework', 'msteams:29:teams-user')).toBeNull();

    const ok = await postActivity({ base }, activity, { authorization: `Bearer ${channelToken(keys.privateKey, KID, { aud: APP_ID, serviceurl: connector.url })}` });
    expect(ok.status).toBe(200);
    expect((ok.body!['activities'] as Json[]).length).toBeGreaterThan(0);
  });
});

describe('production (NODE_ENV=production) without BOTFRAMEWORK_APP_ID: the endpoint answers no one', () => {
  let server: RunningServer;
  let connector: FakeConnector;

  beforeAll(async () => {
    connector = await startFakeConnector();
    const dir = tempDir('sa-bf-prod-');
    const config = loadConfig({ NODE_ENV: 'production', PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', EMBEDDINGS_MODEL: 'lexical' }, dir);
    server = await startServer(config, silent);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await connector?.close();
  });

  it('a loopback caller with no proxy header (a same-host nginx with a plain proxy_pass looks exactly like this) gets 401, nothing stored, no reply', async () => {
    const activity = emulatorActivity(connector.url, 'prod-1', 'where is my order?', { deliveryMode: 'expectReplies' });
    const res = await postActivity({ base: server.url }, activity);
    expect(res.status).toBe(401);
    expect(errorOf(res)['message']).toMatch(/NODE_ENV=production.*BOTFRAMEWORK_APP_ID/);
    expect(res.body?.['activities']).toBeUndefined();
    expect(connector.calls).toHaveLength(0);
    expect(await server.store.customers.findByIdentity('botframework', 'emulator:prod-1')).toBeNull();
  });
});
