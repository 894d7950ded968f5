import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { openSqliteStore, type Store } from '../store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-http-'));
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  },
});
let store: Store;
let server: http.Server;
let url: string;

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  await store.products.upsert({
    id: 'P-1',
    category: 'bags',
    title: { en: 'Canvas tote', zh: '帆布托特包' },
    description: { en: 'A tote.', zh: '一个托特包。' },
    price: 99,
    currency: 'CNY',
    stock: 3,
    attributes: { color: ['natural'] },
    tags: [],
  });
  const readiness = new Readiness();
  readiness.add('store', async () => {
    await store.ping();
    return { ok: true };
  });
  const logger = createLogger({ level: 'debug' }, sink);
  const app = createHttpApp({ store, logger, readiness, inFlight: new InFlight(), bodyLimit: '1kb', trustProxy: false });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP app', () => {
  it('serves products and 404s with the JSON error shape', async () => {
    const ok = await fetch(`${url}/api/products/P-1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 'P-1', title: { zh: '帆布托特包' } });

    const missing = await fetch(`${url}/api/products/NOPE`);
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.requestId).toBe(missing.headers.get('x-request-id'));
  });

  it('rejects a bad query, bad JSON and an oversized body with clear 4xx errors', async () => {
    const badQuery = await fetch(`${url}/api/products?limit=0&minPrice=-5`);
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { error: { message: string } }).error.message).toMatch(/limit.*minPrice|minPrice.*limit/s);

    const badJson = await fetch(`${url}/api/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'bad_request', message: 'request body is not valid JSON' } });

    const big = await fetch(`${url}/api/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(5000) }),
    });
    expect(big.status).toBe(413);
  });

  it('puts the request id on every log line of a request, and keeps a sane incoming one', async () => {
    await fetch(`${url}/api/products/NOPE`, { headers: { 'x-request-id': 'trace-abc-123' } });
    await new Promise((r) => setTimeout(r, 50));
    const mine = lines.filter((l) => l['reqId'] === 'trace-abc-123');
    expect(mine.map((l) => l['msg'])).toEqual(expect.arrayContaining(['request rejected', 'request']));

    const evil = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(evil.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('answers 503 with a JSON error when the store fails, logs it, and keeps serving', async () => {
    await store.close();
    const res = await fetch(`${url}/api/products`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.some((l) => l['msg'] === 'request error' && l['code'] === 'unavailable')).toBe(true);
  });
});
