/**
 * The widget's connection logic (web/widget/src/connection.ts) against the real server, in
 * Node: what it does with a visitor token that expired (issue 14, point 8), one that is due
 * for renewal, and an anonymous session that has no customer yet (point 7). The browser's
 * globals it needs are the `ws` WebSocket (the same API) and two event targets; the real
 * Chromium run is test/browser/widget.int.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { checkVisitorToken, issueVisitorToken } from '../channels/web/index.js';
import { Connection, type TokenStore } from '../web/widget/src/connection.js';
import type { ServerFrame } from '../web/widget/src/protocol.js';

const TOKEN_SECRET = 'widget-session-visitor-secret-0123456789';
const DAY = 86_400;
const dir = mkdtempSync(path.join(tmpdir(), 'sa-widget-session-'));
let server: RunningServer;
const globals = globalThis as Record<string, unknown>;
const saved = { window: globals['window'], document: globals['document'], WebSocket: globals['WebSocket'] };

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', EMBEDDINGS_MODEL: 'lexical', WEB_TOKEN_SECRET: TOKEN_SECRET, VISITOR_TOKEN_TTL_DAYS: '30' }, dir);
  server = await startServer(config, createLogger({ level: 'silent' }));
  globals['window'] = new EventTarget();
  globals['document'] = Object.assign(new EventTarget(), { visibilityState: 'visible' });
}, 120_000);

afterAll(async () => {
  Object.assign(globals, saved);
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A network where every WebSocket fails at once (the widget falls back to REST). */
class RefusedWebSocket {
  static readonly OPEN = 1;
  constructor() {
    throw new Error('WebSockets are blocked here');
  }
}

const running: Connection[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const visitorIdOf = (token: string | undefined) => token?.split('.')[1];

/** A Connection as the widget builds it, with a token store in memory and every frame and state kept. */
function widgetConnection(stored: string | undefined, transport: 'ws' | 'rest') {
  globals['WebSocket'] = transport === 'ws' ? WebSocket : RefusedWebSocket;
  let token = stored;
  const tokens: TokenStore = {
    get: () => token,
    set: (t) => {
      token = t;
    },
    clear: () => {
      token = undefined;
    },
  };
  const frames: ServerFrame[] = [];
  const states: string[] = [];
  const conn = new Connection({
    server: server.url,
    locale: 'en',
    tokens,
    onState: (state, t) => states.push(`${state}/${t}`),
    onSession: () => undefined,
    onFrame: (frame) => frames.push(frame),
    afterSeq: (conversationId) => Math.max(0, ...frames.flatMap((f) => (f.type === 'message' && f.message.conversationId === conversationId ? [f.message.seq] : []))),
    wsTriesBeforeFallback: 1,
    pollIntervalMs: 100,
  });
  running.push(conn);
  return { conn, frames, states, tokens, token: () => token };
}

async function until<T>(read: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the widget and its visitor token', () => {
  it('starts a new anonymous session by itself when the stored token expired, and chats over the socket', async () => {
    const expired = issueVisitorToken(TOKEN_SECRET, undefined, now() - 31 * DAY).token;
    const w = widgetConnection(expired, 'ws');
    w.conn.start();
    await until(() => w.states.includes('online/ws'), 'the socket');
    const fresh = w.token()!;
    expect(visitorIdOf(fresh)).not.toBe(visitorIdOf(expired));
    expect(checkVisitorToken(TOKEN_SECRET, fresh, { ttlSeconds: 30 * DAY }).ok).toBe(true);
    // A visitor who has not written: a session without customer or conversation, a hello without them.
    expect(w.conn.currentSession).toMatchObject({ visitorToken: fresh, customerId: null, conversationId: null });
    await until(() => w.frames.find((f) => f.type === 'history'), 'the history');
    expect(w.frames.find((f) => f.type === 'hello')).toEqual({ type: 'hello', locale: 'en', conversationId: undefined, merged: false });

    expect(w.conn.send({ type: 'message', id: 'w-1', text: 'hello' })).toBe(true);
    await until(() => w.frames.find((f) => f.type === 'ack' && f.id === 'w-1'), 'the ack');
    const reply = await until(() => w.frames.find((f) => f.type === 'message' && f.message.sender === 'bot'), 'the answer');
    const customer = await server.store.customers.findByIdentity('web', visitorIdOf(fresh)!);
    expect(customer).not.toBeNull();
    expect((reply as Extract<ServerFrame, { type: 'message' }>).message.text).toMatch(/shopping assistant/);
  });

  it('keeps the visitor when their token is due for renewal: the session call gives it a fresh token', async () => {
    const old = issueVisitorToken(TOKEN_SECRET, undefined, now() - 2 * DAY).token;
    const w = widgetConnection(old, 'ws');
    w.conn.start();
    await until(() => w.states.includes('online/ws'), 'the socket');
    expect(w.token()).not.toBe(old);
    expect(visitorIdOf(w.token())).toBe(visitorIdOf(old));
    const check = checkVisitorToken(TOKEN_SECRET, w.token()!, { ttlSeconds: 30 * DAY });
    expect(check.ok && check.issuedAtSec).toBeGreaterThanOrEqual(now() - 5);
  });

  it('over REST: a send refused because the token expired is kept, a new session starts, and the resent message is answered', async () => {
    const w = widgetConnection(undefined, 'rest');
    w.conn.start();
    await until(() => w.states.includes('online/rest'), 'the REST fallback');
    const first = w.token()!;
    // Polls of a visitor who has not written answer an empty history, not an error.
    expect(w.frames.find((f) => f.type === 'history')).toEqual({ type: 'history', messages: [], nextCursor: null });

    // The token expires while the page stays open (simulated: the held and stored tokens are replaced by an expired one).
    const expired = issueVisitorToken(TOKEN_SECRET, visitorIdOf(first), now() - 31 * DAY).token;
    w.conn.currentSession!.visitorToken = expired;
    w.tokens.set(expired);
    const onlineBefore = w.states.length;
    expect(w.conn.send({ type: 'message', id: 'r-1', text: 'hello' })).toBe(true);
    const refused = await until(() => w.frames.find((f) => f.type === 'error' && f.id === 'r-1'), 'the refusal');
    // 'network': the widget keeps the message queued (not failed) and sends it when online again.
    expect(refused).toMatchObject({ type: 'error', code: 'network' });
    await until(() => w.states.slice(onlineBefore).includes('online/rest'), 'online again');
    const renewed = w.token()!;
    expect(visitorIdOf(renewed)).not.toBe(visitorIdOf(first));

    expect(w.conn.send({ type: 'message', id: 'r-1', text: 'hello' })).toBe(true);
    await until(() => w.frames.find((f) => f.type === 'ack' && f.id === 'r-1'), 'the ack');
    await until(() => w.frames.find((f) => f.type === 'message' && f.message.sender === 'bot'), 'the answer');
    const customer = await server.store.customers.findByIdentity('web', visitorIdOf(renewed)!);
    const conversation = await server.store.conversations.findOpenByCustomer(customer!.id, 'web');
    // The poll tells the widget which conversation the visitor has now.
    await until(() => w.conn.currentSession?.conversationId === conversation!.id, 'the conversation id from the poll');
    expect(await server.store.customers.findByIdentity('web', visitorIdOf(first)!)).toBeNull();
  });
});
