/**
 * TRUST_PROXY as a hop count, against the real server on 127.0.0.1 (TRUST_PROXY=1: the test
 * client plays a proxy that appended the real client's address to whatever X-Forwarded-For
 * the client sent). A client that rotates the entries it writes itself keeps one address for
 * every per-IP limit: console logins, widget sessions, widget messages over REST and over the
 * socket. IPv6 addresses count by their /64 in every one of them.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-trust-proxy-'));
let server: RunningServer;
let base = '';
/** The server's log lines at warn and above. */
const warnings: Array<{ msg?: string }> = [];
const sink = () =>
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) warnings.push(JSON.parse(l) as { msg?: string });
      cb();
    },
  });

beforeAll(async () => {
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      EMBEDDINGS_MODEL: 'lexical',
      TRUST_PROXY: '1',
      CONSOLE_LOGIN_IP_MAX_FAILURES: '3',
      CONSOLE_LOGIN_MAX_FAILURES: '50',
      WEB_SESSION_IP_PER_MINUTE: '5',
      RATE_LIMIT_IP_PER_MINUTE: '4',
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '600',
    },
    dir,
  );
  server = await startServer(config, createLogger({ level: 'warn' }, sink()));
  base = server.url;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a client writes into X-Forwarded-For itself: a different address (or junk) every time. */
let forgeries = 0;
function forged(): string {
  const n = forgeries++;
  const kinds = [
    () => `${randomInt(1, 224)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
    () => `2001:db8:${randomInt(65536).toString(16)}:${randomInt(65536).toString(16)}::${randomInt(1, 65536).toString(16)}`,
    () => `forged-${n}`,
  ];
  return kinds[n % kinds.length]!();
}

/** The header a client sends through one proxy that appended the address it saw: `<forged>, <real>`. */
const through = (real: string) => ({ 'x-forwarded-for': `${forged()}, ${real}` });

const reasonOf = async (res: Response) => ((await res.json()) as { error?: { reason?: string } }).error?.reason;

async function visitorToken(real: string): Promise<string> {
  const res = await fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...through(real) }, body: '{}' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { visitorToken: string }).visitorToken;
}

describe('TRUST_PROXY=1: per-IP limits key on the address the proxy appended, whatever the client forged before it', () => {
  it('console logins: rotating forged entries, the same appended address is throttled (429); another appended address is not', async () => {
    const login = (email: string, password: string, real: string) =>
      fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...through(real) }, body: JSON.stringify({ email, password }) });
    for (let i = 0; i < 3; i++) expect((await login(`spray-${i}@example.com`, 'wrong password', '203.0.113.5')).status).toBe(401);
    for (let i = 3; i < 8; i++) {
      const refused = await login(`spray-${i}@example.com`, 'wrong password', '203.0.113.5');
      expect(refused.status).toBe(429);
      expect(await reasonOf(refused)).toBe('ip_throttled');
    }
    // Even the right password waits there, and the agent logs in from another real address (not keyed by the peer 127.0.0.1 either).
    expect((await login('li.na@example.com', 'demo-agent-lina', '203.0.113.5')).status).toBe(429);
    expect((await login('li.na@example.com', 'demo-agent-lina', '203.0.113.6')).status).toBe(200);
  });

  it('widget sessions: IPv6 addresses of one /64 share one budget (WEB_SESSION_IP_PER_MINUTE), another /64 has its own', async () => {
    const session = (real: string) => fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...through(real) }, body: '{}' });
    for (let i = 1; i <= 5; i++) expect((await session(`2001:db8:aa:1::${i.toString(16)}`)).status).toBe(200);
    const refused = await session('2001:db8:aa:1:ffff:ffff:ffff:fff0');
    expect(refused.status).toBe(429);
    expect(await reasonOf(refused)).toBe('session_rate_limited');
    expect((await session('2001:db8:aa:2::1')).status).toBe(200);
  });

  it('widget messages: IPv6 addresses of one /64 share one per-IP budget (RATE_LIMIT_IP_PER_MINUTE) over REST and the socket', async () => {
    const token = await visitorToken('198.51.100.50');
    const post = (id: string, real: string) =>
      fetch(`${base}/api/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...through(real) },
        body: JSON.stringify({ id, text: 'thanks' }),
      });
    for (let i = 1; i <= 4; i++) expect((await post(`m-${i}`, `2001:db8:bb:1::${i}`)).status).toBe(200);
    expect((await post('m-5', '2001:db8:bb:1:1234::5')).status).toBe(429);

    /** A socket whose upgrade came through the proxy from `real`; the frames answering one message. */
    async function socketSays(real: string, id: string): Promise<Array<{ type: string; code?: string }>> {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(await visitorToken('198.51.100.51'))}`, { headers: through(real) });
      const frames: Array<{ type: string; code?: string; id?: string }> = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as { type: string; code?: string; id?: string }));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'message', id, text: 'thanks' }));
      try {
        await expect.poll(() => frames.some((f) => f.type === 'ack' && f.id === id), { timeout: 10_000 }).toBe(true);
        // A limited message's error frame is sent right after its ack; a ping's pong comes after both.
        ws.send(JSON.stringify({ type: 'ping' }));
        await expect.poll(() => frames.some((f) => f.type === 'pong'), { timeout: 10_000 }).toBe(true);
        return frames.filter((f) => f.id === id);
      } finally {
        ws.close();
      }
    }
    // The socket's client IP follows the same hop rule: same /64, same spent budget; another /64, answered.
    expect(await socketSays('2001:db8:bb:1::77', 's-1')).toContainEqual(expect.objectContaining({ type: 'error', code: 'rate_limited' }));
    expect(await socketSays('2001:db8:bb:2::1', 's-2')).not.toContainEqual(expect.objectContaining({ type: 'error' }));
  });
});

describe('TRUST_PROXY=true', () => {
  it('still works (the first X-Forwarded-For entry), and the server warns at start that clients write that entry themselves', async () => {
    const trueDir = mkdtempSync(path.join(tmpdir(), 'sa-trust-proxy-true-'));
    const lines: Array<{ msg?: string; level: number }> = [];
    const logSink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as { msg?: string; level: number });
        cb();
      },
    });
    const config = loadConfig(
      { PORT: '0', DATA_DIR: trueDir, LOG_LEVEL: 'warn', EMBEDDINGS_MODEL: 'lexical', SEED_DEMO: 'false', TRUST_PROXY: 'true', CONSOLE_LOGIN_IP_MAX_FAILURES: '2' },
      trueDir,
    );
    const node = await startServer(config, createLogger({ level: 'warn' }, logSink));
    try {
      expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^TRUST_PROXY=true takes the first X-Forwarded-For entry/) }));
      const login = (xff: string) =>
        fetch(`${node.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: JSON.stringify({ email: 'x@example.com', password: 'guess' }) });
      // The first entry is the client: the same first entry is throttled, whatever follows it.
      expect((await login('192.0.2.1, 203.0.113.1')).status).toBe(401);
      expect((await login('192.0.2.1, 203.0.113.2')).status).toBe(401);
      expect((await login('192.0.2.1, 203.0.113.3')).status).toBe(429);
      expect((await login('192.0.2.2, 203.0.113.3')).status).toBe(401);
    } finally {
      await node.close();
      rmSync(trueDir, { recursive: true, force: true });
    }
  });

  it('a hop count draws no such warning', () => {
    expect(warnings.filter((l) => l.msg?.includes('TRUST_PROXY'))).toEqual([]);
  });
});
