/**
 * Test parts for the Bot Framework channel: a real HTTP server playing the Bot Connector (it
 * takes replies on the v3 REST paths and can be told to refuse or hang the next ones), and
 * a client that posts activities over TCP or over a Unix socket (a peer that is not this
 * machine's loopback, as behind a reverse proxy).
 */
import { sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { until as poll } from './helpers/poll.js';

export type Json = Record<string, unknown>;

export interface ConnectorCall {
  path: string;
  conversationId: string;
  authorization?: string;
  body: Json;
  /** What the fake did: answered 200, refused with 500, or held the request open. */
  outcome: 'ok' | 'refused' | 'held';
}

export interface FakeConnector {
  url: string;
  calls: ConnectorCall[];
  /** Behaviour of the next reply requests, consumed one per request; afterwards each is answered 200. */
  script: Array<'refuse' | 'hang'>;
  /** Every request to `conversationId`'s activities, whatever the fake did with it. */
  callsTo(conversationId: string): ConnectorCall[];
  /** Replies to `conversationId` that were answered 200. */
  delivered(conversationId: string): ConnectorCall[];
  /** Requests held open right now. */
  readonly held: number;
  /** Answers every held request with 200 (the connector woke up). */
  releaseHeld(): void;
  close(): Promise<void>;
}

/**
 * With `signing`, the fake also publishes OpenID metadata and that public key, as
 * login.botframework.com does for channel tokens (point the channel's `openIdMetadataUrl`
 * at `<url>/.well-known/openidconfiguration`).
 */
export async function startFakeConnector(signing?: { publicKey: KeyObject; kid: string }): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const held: Array<() => void> = [];
  const script: Array<'refuse' | 'hang'> = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (signing && req.method === 'GET' && url.pathname === '/.well-known/openidconfiguration') return void json(200, { issuer: 'https://api.botframework.com', jwks_uri: `${base}/keys` });
      if (signing && req.method === 'GET' && url.pathname === '/keys') {
        return void json(200, { keys: [{ ...signing.publicKey.export({ format: 'jwk' }), kid: signing.kid, use: 'sig', endorsements: ['msteams', 'emulator'] }] });
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(\/[^/]+)?$/.exec(url.pathname);
      if (req.method !== 'POST' || !m) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: url.pathname } }));
        return;
      }
      /** Answers 200 unless the caller gave up on the request (its timeout); true when answered. */
      const ok = (): boolean => {
        if (res.writableEnded || res.destroyed || req.socket.destroyed) return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `bf-${++n}` }));
        return true;
      };
      const what = script.shift();
      const call: ConnectorCall = {
        path: url.pathname,
        conversationId: decodeURIComponent(m[1]!),
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json,
        outcome: what === 'refuse' ? 'refused' : what === 'hang' ? 'held' : 'ok',
      };
      calls.push(call);
      if (what === 'refuse') {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'ServiceError', message: 'refused (test)' } }));
      } else if (what === 'hang') {
        held.push(() => {
          if (ok()) call.outcome = 'ok';
        });
      } else {
        ok();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    script,
    callsTo: (conversationId) => calls.filter((c) => c.conversationId === conversationId),
    delivered: (conversationId) => calls.filter((c) => c.conversationId === conversationId && c.outcome === 'ok'),
    get held() {
      return held.length;
    },
    releaseHeld() {
      for (const release of held.splice(0)) release();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A Bot Framework channel token (RS256 JWT) as the Bot Connector sends it, signed with `privateKey`. */
export function channelToken(privateKey: KeyObject, kid: string, claims: Json): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: Json) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT', kid })}.${enc({ iss: 'https://api.botframework.com', nbf: now - 60, iat: now - 60, exp: now + 600, ...claims })}`;
  return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`;
}

let seq = 0;

/** An activity as the Bot Framework Emulator posts it to the bot. */
export function emulatorActivity(serviceUrl: string, userId: string, text: string, extra: Json = {}): Json {
  return {
    type: 'message',
    id: `act-${process.pid}-${++seq}`,
    timestamp: new Date().toISOString(),
    localTimestamp: new Date().toISOString().replace('Z', '+00:00'),
    channelId: 'emulator',
    serviceUrl,
    from: { id: userId, name: 'User', role: 'user' },
    recipient: { id: 'bot-1', name: 'Bot', role: 'bot' },
    conversation: { id: `conv-${userId}|livechat` },
    locale: 'en-US',
    text,
    ...extra,
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json | undefined;
  text: string;
}

/**
 * POST /api/messages with a real HTTP request, over TCP to `base` or over the Unix socket
 * `socketPath` (then the server sees no TCP peer address at all).
 */
export function postActivity(target: { base: string } | { socketPath: string }, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const where = 'base' in target ? (() => {
    const u = new URL(target.base);
    return { host: u.hostname, port: Number(u.port) };
  })() : { socketPath: target.socketPath };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...where, method: 'POST', path: '/api/messages', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Json | undefined;
          try {
            json = text ? (JSON.parse(text) as Json) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls until `fn` holds (a delivery retried in the background, a status written). */
export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  await poll(what, async () => ((await fn()) ? true : undefined), timeoutMs);
}
