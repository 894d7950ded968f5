import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { socketClientIp, type TrustProxy } from '../channels/web/index.js';
import { openSqliteStore, type Store } from '../store/index.js';

const upgrade = (peer: string, forwarded?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe("the widget socket's client IP follows TRUST_PROXY like express's req.ip", () => {
  it('without a trusted proxy (false or 0 hops): the TCP peer, whatever X-Forwarded-For claims', () => {
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.9'), false)).toBe('10.0.0.5');
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.9'), 0)).toBe('10.0.0.5');
  });
  it('TRUST_PROXY=true: the first forwarded address (whatever the client wrote there)', () => {
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.9, 10.0.0.5'), true)).toBe('203.0.113.9');
    expect(socketClientIp(upgrade('10.0.0.5', ['198.51.100.7']), true)).toBe('198.51.100.7');
  });
  it('a hop count: the address the proxy nearest the client appended, never one the client forged before it', () => {
    // One proxy (nginx $proxy_add_x_forwarded_for) appended the client it saw: 203.0.113.5. The client forged the rest.
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.5'), 1)).toBe('203.0.113.5');
    expect(socketClientIp(upgrade('10.0.0.5', '1.2.3.4, 203.0.113.5'), 1)).toBe('203.0.113.5');
    expect(socketClientIp(upgrade('10.0.0.5', '9.9.9.9, 8.8.8.8, 203.0.113.5'), 1)).toBe('203.0.113.5');
    // Two proxies: a CDN appended the client, then the load balancer appended the CDN's address.
    expect(socketClientIp(upgrade('10.0.0.5', '1.2.3.4, 203.0.113.5, 198.51.100.2'), 2)).toBe('203.0.113.5');
    // Fewer entries than hops: the first entry (express clamps the same way).
    expect(socketClientIp(upgrade('10.0.0.5', '203.0.113.5'), 3)).toBe('203.0.113.5');
  });
  it('behind a trusted proxy without the header (or with empty entries): empty entries are skipped, the peer when none is left', () => {
    expect(socketClientIp(upgrade('10.0.0.5'), true)).toBe('10.0.0.5');
    expect(socketClientIp(upgrade('10.0.0.5'), 1)).toBe('10.0.0.5');
    expect(socketClientIp(upgrade('10.0.0.5', ' , '), true)).toBe('10.0.0.5');
    expect(socketClientIp(upgrade('10.0.0.5', ' , 1.2.3.4'), true)).toBe('1.2.3.4');
    expect(socketClientIp(upgrade('10.0.0.5', '1.2.3.4 ,, '), 1)).toBe('1.2.3.4');
  });
});

/**
 * The same rule as express's: a real HTTP server built by createHttpApp (which hands
 * TRUST_PROXY to express unchanged) answers, for one request, both `req.ip` (what every REST
 * limit keys by) and `socketClientIp` of that same request (what the widget socket keys by).
 */
describe('socketClientIp agrees with express req.ip on the same headers (real server on 127.0.0.1)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-socket-ip-'));
  let store: Store;
  const servers: Server[] = [];

  beforeAll(async () => {
    store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(trustProxy: TrustProxy): Promise<string> {
    const app = createHttpApp({ store, logger: createLogger({ level: 'silent' }), readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '1kb', trustProxy }, (a) => {
      a.get('/ip', (req, res) => {
        res.json({ rest: req.ip ?? null, socket: socketClientIp(req, trustProxy) ?? null });
      });
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const headers: (string | undefined)[] = [
    undefined,
    '',
    '203.0.113.5',
    '1.2.3.4, 203.0.113.5',
    '9.9.9.9,8.8.8.8,  203.0.113.5',
    '1.2.3.4, 203.0.113.5, 198.51.100.2',
    ' , 1.2.3.4, , ',
    '2001:db8::1, 2001:db8:1:2::9',
    'not-an-ip, 203.0.113.5',
  ];
  const settings: TrustProxy[] = [false, true, 0, 1, 2, 3, 10];

  it.each(settings.map((t) => [String(t), t] as const))('TRUST_PROXY=%s', async (_name, trustProxy) => {
    const base = await serve(trustProxy);
    for (const xff of headers) {
      const res = await fetch(`${base}/ip`, { headers: xff === undefined ? {} : { 'X-Forwarded-For': xff } });
      expect(res.status).toBe(200);
      const { rest, socket } = (await res.json()) as { rest: string | null; socket: string | null };
      expect({ xff, socket }).toEqual({ xff, socket: rest });
      expect(rest).not.toBeNull();
    }
  });

  it('with one hop, a client rotating a forged first entry keeps the address the proxy appended (both ways)', async () => {
    const base = await serve(1);
    for (const forged of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
      const res = await fetch(`${base}/ip`, { headers: { 'X-Forwarded-For': `${forged}, 203.0.113.5` } });
      expect(await res.json()).toEqual({ rest: '203.0.113.5', socket: '203.0.113.5' });
    }
  });
});
