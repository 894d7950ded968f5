/**
 * Unbounded doors (issue 14, points 7 and 8), against the real server on 127.0.0.1:
 * the anonymous knowledge search (per-IP limit, query cap, admission gate), WebSocket
 * upgrades to paths no socket serves (404 and closed; exactly one answer per request), the
 * console login throttle per address, the HTTP server's own bounds (slow headers and bodies
 * cut off, long-polls and open sockets untouched, connections capped), and what a run of
 * bad requests writes to the log (no query string, nothing at error level, no stack).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { requestSignatureHeaders } from '../channels/app/signature.js';

type LogLine = Record<string, unknown> & { level: number; msg?: string };

interface Node {
  server: RunningServer;
  lines: LogLine[];
  close(): Promise<void>;
}

const nodes: Node[] = [];
const APP_SECRET = 'doors-app-hmac-secret-0123456789abcdefghij';

async function startNode(env: Record<string, string>): Promise<Node> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-doors-'));
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  const config = loadConfig({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'debug', EMBEDDINGS_MODEL: 'lexical', TRUST_PROXY: 'true', ...env }, dir);
  const server = await startServer(config, createLogger({ level: 'debug' }, sink));
  const node = {
    server,
    lines,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  nodes.push(node);
  return node;
}

afterAll(async () => {
  for (const n of nodes) await n.close();
});

/** Writes `request` on a fresh TCP connection; resolves with everything read once the server closes it (rejects after 15 s). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server never closed the connection; read so far: ${JSON.stringify(data.slice(0, 300))}`));
    }, 15_000);
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

const upgradeRequest = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

/** Status lines in a raw response ("HTTP/1.1 404 Not Found" ...). */
const statusLines = (raw: string) => raw.split('\r\n').filter((l) => /^HTTP\/1\.1 \d{3}/.test(l));

async function visitorToken(base: string): Promise<string> {
  const res = await fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { visitorToken: string }).visitorToken;
}

/** A new visitor's widget socket, open; the frames it receives, as text. */
async function openWidgetSocket(base: string): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(await visitorToken(base))}`);
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames };
}

describe('doors of one node', () => {
  let node: Node;
  let base = '';

  beforeAll(async () => {
    node = await startNode({
      KNOWLEDGE_SEARCH_PER_MINUTE: '6',
      KNOWLEDGE_SEARCH_MAX_CHARS: '500',
      MAX_CONCURRENT_TURNS: '1',
      MAX_QUEUED_TURNS: '0',
      CONSOLE_LOGIN_IP_MAX_FAILURES: '4',
      CONSOLE_LOGIN_MAX_FAILURES: '3',
      HTTP_HEADERS_TIMEOUT_MS: '500',
      HTTP_REQUEST_TIMEOUT_MS: '1000',
      APP_HMAC_SECRET: APP_SECRET,
    });
    base = node.server.url;
  }, 120_000);

  const search = (q: string, ip: string) => fetch(`${base}/api/knowledge/search?q=${encodeURIComponent(q)}&locale=en`, { headers: { 'x-forwarded-for': ip } });

  describe('GET /api/knowledge/search', () => {
    it('limits each client address: over the limit a 429 with Retry-After, other addresses unaffected', async () => {
      // 6 a minute: a burst of 6, then one every 10 s.
      for (let i = 0; i < 6; i++) expect((await search('return policy', '203.0.113.10')).status).toBe(200);
      const over = await search('return policy', '203.0.113.10');
      expect(over.status).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await over.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      expect((await search('return policy', '203.0.113.11')).status).toBe(200);
    });

    it('refuses a 10,000-character query with a clear 400', async () => {
      const res = await search('x'.repeat(10_000), '203.0.113.20');
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toMatch(/q: must be at most 500 characters/);
      expect((await search('x'.repeat(500), '203.0.113.21')).status).toBe(200);
    });

    it('runs in the admission gate: with every slot taken it is shed (503 + Retry-After), and answers once one is free', async () => {
      const release = await node.server.admission.enter(); // the node's only turn slot, no queue
      try {
        const shed = await search('shipping', '203.0.113.30');
        expect(shed.status).toBe(503);
        expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      } finally {
        release();
      }
      expect((await search('shipping', '203.0.113.30')).status).toBe(200);
    });
  });

  describe('WebSocket upgrades', () => {
    it('answers an upgrade to a path no socket serves with 404 and closes the connection', async () => {
      const raw = await rawExchange(node.server.port, upgradeRequest('/ws/nope'));
      expect(raw.startsWith('HTTP/1.1 404')).toBe(true);
      expect(statusLines(raw)).toHaveLength(1);
      for (const target of ['/', '/ws', '/ws/web/', '/WS/WEB', '/api/knowledge/search?q=x', '/ws/console/x?token=abc']) {
        const r = await rawExchange(node.server.port, upgradeRequest(target));
        expect(statusLines(r), target).toEqual(['HTTP/1.1 404 Not Found']);
      }
    });

    it('answers a request target that is not a URL with 400 instead of crashing, and keeps serving', async () => {
      for (const target of ['http://[', 'http://%zz/']) {
        const raw = await rawExchange(node.server.port, upgradeRequest(target));
        expect(statusLines(raw), target).toEqual(['HTTP/1.1 400 Bad Request']);
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    /**
     * Sends an upgrade request on a socket that keeps its own side open, reads the refusal, then
     * either resets the connection or writes more: resolves with how the connection ended.
     */
    function refusedThen(target: string, then: 'reset' | 'write', extra = ''): Promise<{ status: string; ended: 'closed' | 'reset-sent' }> {
      return new Promise((resolve, reject) => {
        const socket = net.connect({ port: node.server.port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(upgradeRequest(target, extra)));
        let data = '';
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`the server kept the refused connection open: ${JSON.stringify(data.slice(0, 200))}`));
        }, 10_000);
        socket.on('error', () => undefined);
        socket.once('data', (d: Buffer) => {
          data += d.toString('latin1');
          if (then === 'reset') {
            clearTimeout(timer);
            socket.resetAndDestroy();
            resolve({ status: data.split('\r\n')[0]!, ended: 'reset-sent' });
            return;
          }
          // Our side stays open and writes: a server that closed in full answers with a reset; a half-open one reads on.
          const poke = setInterval(() => !socket.destroyed && socket.write('x'), 100);
          socket.on('close', () => {
            clearInterval(poke);
            clearTimeout(timer);
            resolve({ status: data.split('\r\n')[0]!, ended: 'closed' });
          });
        });
      });
    }

    it('a client that resets a refused upgrade does not take the server down', async () => {
      for (const [target, extra] of [['/ws/web?token=bad', ''], ['/ws/console', 'Origin: http://127.0.0.1\r\n'], ['/ws/nope', '']] as const) {
        expect((await refusedThen(target, 'reset', extra)).status, target).toMatch(/^HTTP\/1\.1 (401|404)/);
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('closes a refused upgrade in full, even when the client keeps its side open', async () => {
      for (const [target, extra] of [['/ws/web?token=bad', ''], ['/ws/console', 'Origin: http://127.0.0.1\r\n'], ['/ws/nope', '']] as const) {
        expect(await refusedThen(target, 'write', extra), target).toMatchObject({ ended: 'closed' });
      }
    });

    it('leaves the served paths to their sockets: exactly one answer each', async () => {
      // A bad visitor token: the widget socket's own 401, and nothing else.
      expect(statusLines(await rawExchange(node.server.port, upgradeRequest('/ws/web?token=nope')))).toEqual(['HTTP/1.1 401 Unauthorized']);
      // No console session: the console socket's own 401.
      expect(statusLines(await rawExchange(node.server.port, upgradeRequest('/ws/console', 'Origin: http://127.0.0.1\r\n')))).toEqual(['HTTP/1.1 401 Unauthorized']);
      // A good token opens the widget socket, which answers a ping.
      const { ws, frames } = await openWidgetSocket(base);
      ws.send(JSON.stringify({ type: 'ping' }));
      await expect.poll(() => frames.some((f) => f.includes('"pong"'))).toBe(true);
      ws.close();
    });
  });

  describe('console logins', () => {
    const login = (email: string, password: string, ip: string) =>
      fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email, password }) });

    it('throttles failed logins per address whatever the e-mails: then even the right password waits (429 + Retry-After)', async () => {
      const ip = '198.51.100.7';
      for (let i = 0; i < 4; i++) expect((await login(`spray-${i}@example.com`, 'guess', ip)).status).toBe(401);
      const refused = await login('li.na@example.com', 'demo-agent-lina', ip);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
      expect(((await refused.json()) as { error: { reason: string } }).error.reason).toBe('ip_throttled');
      // Another address is not affected.
      expect((await login('li.na@example.com', 'demo-agent-lina', '198.51.100.8')).status).toBe(200);
    });

    it("locks an e-mail out from the guessing address only: the agent's own address still logs in", async () => {
      const attacker = '198.51.100.20';
      for (let i = 0; i < 3; i++) expect((await login('li.na@example.com', 'wrong password', attacker)).status).toBe(401);
      const locked = await login('li.na@example.com', 'demo-agent-lina', attacker);
      expect(locked.status).toBe(429);
      expect(((await locked.json()) as { error: { reason: string } }).error.reason).toBe('locked_out');
      expect((await login('li.na@example.com', 'demo-agent-lina', '198.51.100.21')).status).toBe(200);
    });

    it('counts parallel attempts before their passwords are checked: no more failures get through than the limit', async () => {
      const ip = '198.51.100.30';
      const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => login(`parallel-${i}@example.com`, 'guess', ip).then((r) => r.status)));
      expect(statuses.filter((s) => s === 401)).toHaveLength(4);
      expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    });
  });

  describe('the HTTP server', () => {
    /** Sends `head`, then `drip` every 100 ms for up to 20 s; resolves with what the server said once it closed the connection. */
    function trickle(head: string, drip: string): Promise<{ raw: string; drips: number }> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(node.server.port, '127.0.0.1', () => socket.write(head));
        let raw = '';
        let drips = 0;
        const timer = setInterval(() => {
          if (++drips > 200) {
            clearInterval(timer);
            socket.destroy();
            reject(new Error('a client trickling its request for 20 s was never cut off'));
            return;
          }
          if (!socket.destroyed) socket.write(drip);
        }, 100);
        socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ raw, drips });
        });
      });
    }

    it('cuts off a slow-loris client trickling its headers (408) and one trickling its body', async () => {
      const headers = await trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Trickle: 1\r\n');
      expect(headers.raw).toMatch(/^HTTP\/1\.1 408/);
      const body = await trickle('POST /api/web/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{', ' ');
      expect(body.raw).toMatch(/^HTTP\/1\.1 408/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('answers a long-poll that waits longer than the request timeout (the timeout covers reading the request only)', async () => {
      const target = `/api/app/v1/conversations/${encodeURIComponent('app:u-doors')}/messages`;
      const body = JSON.stringify({ userId: 'u-doors', text: 'hello' });
      const key = randomUUID();
      const posted = await fetch(`${base}${target}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target, idempotencyKey: key, body }) },
        body,
      });
      expect(posted.status).toBe(200);
      const sent = (await posted.json()) as { ack: { seq: number }; replies: Array<{ seq: number }> };
      const after = Math.max(sent.ack.seq, ...sent.replies.map((r) => r.seq));
      // Three seconds of waiting: three times the request timeout.
      const poll = `${target}?after=${after}&wait=3`;
      const res = await fetch(`${base}${poll}`, { headers: requestSignatureHeaders(APP_SECRET, { method: 'GET', target: poll }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ messages: [] });
    });

    it('leaves an open WebSocket alone past the request timeout', async () => {
      const { ws, frames } = await openWidgetSocket(base);
      // Twice the request timeout (1 s), plus the server's checking interval.
      await new Promise((r) => setTimeout(r, 2500));
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.send(JSON.stringify({ type: 'ping' }));
      await expect.poll(() => frames.some((f) => f.includes('"pong"'))).toBe(true);
      ws.close();
    });
  });
});

describe('connections per node', () => {
  it('closes connections beyond MAX_CONNECTIONS at once, and takes new ones when some close', async () => {
    const node = await startNode({ MAX_SOCKETS: '1', MAX_CONNECTIONS: '3' });
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect(node.server.port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    const held = [await open(), await open(), await open()];
    // The fourth is closed without a byte: the server accepted it only to drop it.
    const fourth = await rawExchange(node.server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(fourth).toBe('');
    // The held ones still work.
    const answer = await new Promise<string>((resolve) => {
      held[0]!.once('data', (d: Buffer) => resolve(d.toString('latin1')));
      held[0]!.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    for (const s of held) s.destroy();
    // Once they are gone, a new connection is served.
    await expect.poll(async () => (await rawExchange(node.server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).split('\r\n')[0], { timeout: 10_000 }).toBe('HTTP/1.1 200 OK');
  }, 120_000);
});

describe('logging a run of bad requests', () => {
  it('writes no query string, nothing at error level and no stack', async () => {
    const node = await startNode({ KNOWLEDGE_SEARCH_PER_MINUTE: '2' });
    const base = node.server.url;
    const SECRET = 'S3cretQueryToken';
    const from = node.lines.length;
    const bad: Array<Promise<unknown>> = [];
    // 404s, 400s, 401s, 429s: each with a token in its query string.
    for (let i = 0; i < 5; i++) {
      bad.push(fetch(`${base}/api/nope-${i}?token=${SECRET}`));
      bad.push(fetch(`${base}/api/knowledge/search?q=${'x'.repeat(600)}&token=${SECRET}`));
      bad.push(fetch(`${base}/api/knowledge/search?q=hello&token=${SECRET}`));
      bad.push(fetch(`${base}/api/products?limit=0&token=${SECRET}`));
      bad.push(fetch(`${base}/api/console/me?token=${SECRET}`));
      bad.push(fetch(`${base}/api/web/messages?token=${SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }));
      bad.push(fetch(`${base}/api/console/login?token=${SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `x${i}@example.com`, password: 'x' }) }));
      bad.push(fetch(`${base}/wechat?signature=${SECRET}&timestamp=1&nonce=2&echostr=x`));
    }
    await Promise.all(bad);
    // Upgrades to unknown paths, a bad widget token, and a widget socket closed for an oversized frame.
    await rawExchange(node.server.port, upgradeRequest(`/ws/nope?token=${SECRET}`));
    await rawExchange(node.server.port, upgradeRequest(`/ws/web?token=${SECRET}`));
    const { ws: socket } = await openWidgetSocket(base);
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'message', id: 'big', text: 'x'.repeat(100_000) }));
    expect(await closed).toBe(1009); // message too big: the server closed it
    // A malformed HTTP request (the parser's own 400).
    await rawExchange(node.server.port, 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
    // Every request's end is logged (at debug) once its response is over: wait for all 41.
    await expect.poll(() => node.lines.slice(from).filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(41);

    const run = node.lines.slice(from);
    const text = run.map((l) => JSON.stringify(l));
    expect(text.filter((t) => t.includes(SECRET))).toEqual([]);
    expect(text.filter((t) => /token=|signature=|[?&]q=/.test(t))).toEqual([]);
    expect(run.filter((l) => l.level >= 50)).toEqual([]);
    expect(text.filter((t) => t.includes('"stack"'))).toEqual([]);
    // A client's 4xx is a debug line, with its path.
    const rejected = run.filter((l) => l.msg === 'request rejected');
    expect(rejected.every((l) => l.level === 20)).toBe(true);
    expect(rejected.map((l) => l['path'])).toContain('/api/nope-0');
  }, 120_000);
});
