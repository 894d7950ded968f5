import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { until } from './helpers/poll.js';

/**
 * The port opens before anything is loaded (issue 15, point 5): during a first start that
 * takes minutes, /healthz answers 200 at once, /readyz answers 503 with what is still
 * loading, and every other route answers 503 with Retry-After and a JSON error; once the
 * bot is ready, /readyz answers 200 and the routes serve. A startup step the test holds open
 * stands in for the slow model load.
 */

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function configIn(prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'debug', EMBEDDINGS_MODEL: 'lexical' }, dir);
}

async function get(url: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A WebSocket upgrade request: the status line it gets back (a 503 while starting, never a hang). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/ws/web`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('upgraded while starting'));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a node that is still starting', { timeout: 120_000 }, () => {
  it('answers /healthz 200 and /readyz 503 (naming what is loading) at once, shopper and API routes 503 with Retry-After; all serve once ready', async () => {
    const logs = capture();
    const listening = deferred<string>();
    const hold = deferred<void>();
    const starting = startServer(configIn('sa-newcomer-start-'), createLogger({ level: 'debug' }, logs.stream), {
      onListening: (url) => listening.resolve(url),
      extraStartupStep: { name: 'slow-test-step', detail: 'held open by the test', run: () => hold.promise },
    });
    starting.catch((err: unknown) => listening.reject(err));
    const url = await listening.promise;

    // Liveness: at once, whatever is loading.
    const health = await get(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', starting: true });

    // Not ready, and it says what it is doing: the held step, once the store, demo data and models are loaded.
    const ready = await until('/readyz to name the held step', async () => {
      const r = await get(`${url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.body['status']).toBe('starting');
      const loading = r.body['loading'] as Array<{ step: string; detail: string }>;
      return loading.some((l) => l.step === 'slow-test-step') ? r : undefined;
    }, 90_000);
    expect(ready.body['loading']).toEqual([{ step: 'slow-test-step', detail: 'held open by the test', seconds: expect.any(Number) }]);
    const checks = ready.body['checks'] as Record<string, { ok: boolean; detail?: string }>;
    expect(checks['startup']).toMatchObject({ ok: false, detail: expect.stringContaining('slow-test-step (held open by the test)') });
    expect(checks['store']).toMatchObject({ ok: true, detail: 'sqlite' });

    // Shopper and API routes: a clear JSON 503 with Retry-After, never a refused connection.
    for (const route of ['/api/products', '/api/categories', '/widget.js', '/', '/api/console/queue']) {
      const res = await fetch(`${url}${route}`);
      expect(res.status, route).toBe(503);
      expect(res.headers.get('retry-after'), route).toBe('5');
      const body = (await res.json()) as { error: { code: string; reason: string; message: string; requestId: string } };
      expect(body.error).toMatchObject({ code: 'unavailable', reason: 'starting', requestId: expect.any(String) });
      expect(body.error.message).toMatch(/^Shop Assistant is starting for \d+ s: slow-test-step \(held open by the test\); try again in a few seconds$/);
    }
    const session = await fetch(`${url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'en' }) });
    expect(session.status).toBe(503);
    expect(session.headers.get('retry-after')).toBe('5');
    expect(await upgradeStatus(url)).toBe(503);

    // Ready: the same port now serves everything.
    hold.resolve();
    const server = await starting;
    servers.push(server);
    expect(server.url).toBe(url);
    const after = await get(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(after.body['status']).toBe('ready');
    expect(Object.keys(after.body['checks'] as object)).not.toContain('startup');
    expect((await get(`${url}/healthz`)).body).toMatchObject({ status: 'ok' });
    const products = await get(`${url}/api/products?limit=3`);
    expect(products.status).toBe(200);
    expect((products.body['items'] as unknown[]).length).toBe(3);
    expect(await upgradeStatus(url)).not.toBe(503);

    // The log: the port opened first, "listening" (serving) last; the startup 503s were not logged as failures.
    const msgs = logs.lines().map((l) => String(l['msg']));
    const portOpen = msgs.findIndex((m) => m.startsWith('port open, starting'));
    expect(portOpen).toBeGreaterThanOrEqual(0);
    expect(msgs.indexOf('listening')).toBeGreaterThan(portOpen);
    expect(logs.lines().filter((l) => l['msg'] === 'request failed' || l['msg'] === 'request error')).toEqual([]);
  });

  it('closes the port again when a startup step fails, and the start rejects with that error', async () => {
    const listening = deferred<string>();
    const starting = startServer(configIn('sa-newcomer-fail-'), createLogger({ level: 'silent' }), {
      onListening: (url) => listening.resolve(url),
      extraStartupStep: { name: 'failing-step', run: () => Promise.reject(new Error('the test step failed')) },
    });
    const url = await listening.promise;
    await expect(starting).rejects.toThrow('the test step failed');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
