import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { Readiness } from '../app/readiness.js';
import { inlineScriptHashes, PAGE_CSP } from '../app/security-headers.js';
import { openSqliteStore, type Store } from '../store/index.js';

/** The headers on real HTTP responses: JSON, errors, the demo page's CSP, and a route's own CSP winning. */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-headers-'));
let store: Store;
let server: Server;
let base = '';

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  const app = createHttpApp({ store, logger: createLogger({ level: 'silent' }), readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '10kb', trustProxy: false }, (a) => {
    a.get('/', (_req, res) => res.type('html').send('<p>demo</p>'));
    a.get('/own-csp', (_req, res) => res.setHeader('Content-Security-Policy', "default-src 'none'").send('ok'));
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const COMMON = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

describe('security headers', () => {
  it.each(['/healthz', '/api/products', '/no-such-route'])('%s carries every header and the strict CSP', async (url) => {
    const res = await fetch(`${base}${url}`);
    for (const [k, v] of Object.entries(COMMON)) expect(res.headers.get(k), k).toBe(v);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).not.toContain('unsafe-inline');
  });

  it('the demo page allows exactly its inline script by hash, and inline styles', async () => {
    const html = readFileSync(new URL('../web/demo/index.html', import.meta.url), 'utf8');
    const body = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    const expected = `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
    expect(inlineScriptHashes(html)).toEqual([expected]);
    const csp = (await fetch(`${base}/`)).headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'self' ${expected}`);
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('a route that sets its own CSP keeps it', async () => {
    const res = await fetch(`${base}/own-csp`);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
