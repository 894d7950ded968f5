import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { ConsoleAuth } from '../app/console/auth.js';
import { articleUrl, knowledgeRoutes, renderMarkdown } from '../app/knowledge-routes.js';
import { createLogger } from '../app/logger.js';
import { hashPassword } from '../app/passwords.js';
import { Readiness } from '../app/readiness.js';
import { LexicalEmbeddings } from '../knowledge/index.js';
import { DEFAULT_MIN_CONFIDENCE, KnowledgeBase } from '../knowledge/retrieval/index.js';
import { openSqliteStore, type Store } from '../store/index.js';

const TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-kb-routes-'));
const logger = createLogger({ level: 'silent' });
let store: Store;
let kb: KnowledgeBase;
const servers: Server[] = [];
let base = '';
let baseNoToken = '';
/** Guarded by the console's `auth.require('admin')` (sessions and the bearer), as the server mounts it. */
let baseSessions = '';

async function listen(adminToken: string | undefined, auth?: ConsoleAuth): Promise<string> {
  const app = createHttpApp(
    { store, logger, readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '200kb', trustProxy: false },
    (a) => {
      if (auth) a.use(auth.routes());
      a.use(knowledgeRoutes(kb, { adminToken, publicBaseUrl: 'https://shop.example', ...(auth ? { guard: auth.require('admin') } : {}) }));
    },
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  await store.knowledge.upsert({ slug: 'return-policy', locale: 'en', title: 'Return policy', body: 'Return most items within 7 days for any reason.', category: 'returns' });
  kb = await KnowledgeBase.open({ store, embeddings: new LexicalEmbeddings(), modelId: 'lexical', indexDir: path.join(dir, 'indexes'), logger });
  base = await listen(TOKEN);
  baseNoToken = await listen(undefined);
  const passwordHash = await hashPassword('kb routes password');
  for (const role of ['admin', 'agent'] as const) {
    await store.agents.create({ email: `${role}@kb.example`, name: role, role, passwordHash, languages: ['en'], skills: [], capacity: 1 });
  }
  baseSessions = await listen(TOKEN, new ConsoleAuth({ agents: store.agents, sessions: store.botState, adminToken: TOKEN }));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Slugs of the hits confident enough to answer with. */
async function searchSlugs(q: string, locale = 'en'): Promise<string[]> {
  const r = await call('GET', `${base}/api/knowledge/search?q=${encodeURIComponent(q)}&locale=${locale}`, undefined, {});
  expect(r.status).toBe(200);
  return (r.json['hits'] as Array<{ slug: string; confidence: number }>).filter((h) => h.confidence >= DEFAULT_MIN_CONFIDENCE).map((h) => h.slug);
}

const giftWrap = {
  slug: 'gift-wrapping',
  locale: 'en',
  title: 'Gift wrapping',
  body: '# Gift wrapping\n\nWe wrap presents in recycled bamboo paper for 5 CNY per order.',
  category: 'orders',
  tags: ['gift'],
};

describe('knowledge routes', () => {
  it('search: public hits without internal fields, a citation url, and 400 without q', async () => {
    const r = await call('GET', `${base}/api/knowledge/search?q=${encodeURIComponent('can I return an item after 7 days?')}&locale=en&k=3`, undefined, {});
    expect(r.status).toBe(200);
    const hits = r.json['hits'] as Array<Record<string, unknown>>;
    expect(hits[0]).toMatchObject({ slug: 'return-policy', locale: 'en', url: 'https://shop.example/help/return-policy?lang=en' });
    expect(hits[0]).not.toHaveProperty('chunkId');
    expect(hits[0]).not.toHaveProperty('documentId');
    expect(hits[0]).not.toHaveProperty('bm25');
    const missing = await call('GET', `${base}/api/knowledge/search?locale=en`, undefined, {});
    expect(missing.status).toBe(400);
    expect(String((missing.json['error'] as { message: string }).message)).toMatch(/q/);
    expect((await call('GET', `${base}/api/knowledge/search?q=x&locale=fr`, undefined, {})).status).toBe(400);
  });

  it('admin: 404 naming ADMIN_TOKEN when none is configured; 401 without or with a wrong token', async () => {
    const off = await call('GET', `${baseNoToken}/api/admin/knowledge`);
    expect(off.status).toBe(404);
    expect(JSON.stringify(off.json)).toMatch(/ADMIN_TOKEN is not set/);
    const none = await call('GET', `${base}/api/admin/knowledge`, undefined, {});
    expect(none.status).toBe(401);
    const wrong = await call('POST', `${base}/api/admin/knowledge`, giftWrap, { ...auth, authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(await store.knowledge.getBySlug('gift-wrapping', 'en')).toBeNull();
  });

  it('admin: bad bodies get a 400 naming the field', async () => {
    const noTitle = await call('POST', `${base}/api/admin/knowledge`, { ...giftWrap, title: undefined });
    expect(noTitle.status).toBe(400);
    expect(JSON.stringify(noTitle.json)).toMatch(/title/);
    const badLocale = await call('POST', `${base}/api/admin/knowledge`, { ...giftWrap, locale: 'fr' });
    expect(JSON.stringify(badLocale.json)).toMatch(/locale/);
    const extra = await call('POST', `${base}/api/admin/knowledge`, { ...giftWrap, author: 'me' });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.json)).toMatch(/author/);
    const notJson = await call('POST', `${base}/api/admin/knowledge`, '{"slug":');
    expect(notJson.status).toBe(400);
    const emptyPut = await call('PUT', `${base}/api/admin/knowledge/kb_nope`, {});
    expect(emptyPut.status).toBe(400);
  });

  it('admin: create is searchable at once, update replaces what is found, delete removes it', async () => {
    const created = await call('POST', `${base}/api/admin/knowledge`, giftWrap);
    expect(created.status).toBe(201);
    const id = String(created.json['id']);
    expect(created.json).toMatchObject({ slug: 'gift-wrapping', version: 1, source: 'admin', url: articleUrl('gift-wrapping', 'en', 'https://shop.example') });
    expect((await searchSlugs('do you wrap presents in bamboo paper?'))[0]).toBe('gift-wrapping');

    const updated = await call('PUT', `${base}/api/admin/knowledge/${id}`, { body: 'Presents come in a cloth furoshiki bag, free of charge.' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id, version: 2 });
    expect((await searchSlugs('furoshiki cloth bag'))[0]).toBe('gift-wrapping');
    expect(await searchSlugs('bamboo paper')).not.toContain('gift-wrapping');

    const listed = await call('GET', `${base}/api/admin/knowledge?locale=en`);
    expect((listed.json['items'] as Array<{ id: string }>).map((d) => d.id)).toContain(id);
    expect((await call('GET', `${base}/api/admin/knowledge/${id}`)).json).toMatchObject({ version: 2 });

    expect((await call('DELETE', `${base}/api/admin/knowledge/${id}`)).status).toBe(204);
    expect(await searchSlugs('furoshiki cloth bag')).not.toContain('gift-wrapping');
    expect((await call('GET', `${base}/api/admin/knowledge/${id}`)).status).toBe(404);
    expect((await call('DELETE', `${base}/api/admin/knowledge/${id}`)).status).toBe(404);
  });

  it('admin with a guard option: an admin console session (with its CSRF header) works, an agent gets 403, the bearer still works', async () => {
    const session = async (email: string) => {
      const res = await fetch(`${baseSessions}/api/console/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'kb routes password' }),
      });
      expect(res.status).toBe(200);
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    };
    const admin = await session('admin@kb.example');
    const agent = await session('agent@kb.example');
    const article = { ...giftWrap, slug: 'store-hours', title: 'Store hours', body: 'Our flagship store opens at ten every morning.' };

    expect((await call('GET', `${baseSessions}/api/admin/knowledge`, undefined, {})).status).toBe(401);
    expect((await call('GET', `${baseSessions}/api/admin/knowledge`, undefined, agent)).status).toBe(403);
    expect((await call('POST', `${baseSessions}/api/admin/knowledge`, article, agent)).status).toBe(403);
    const noCsrf = await call('POST', `${baseSessions}/api/admin/knowledge`, article, { cookie: admin.cookie, 'content-type': 'application/json' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json['error']).toMatchObject({ reason: 'csrf' });
    expect(await store.knowledge.getBySlug('store-hours', 'en')).toBeNull();

    const created = await call('POST', `${baseSessions}/api/admin/knowledge`, article, admin);
    expect(created.status).toBe(201);
    const id = String(created.json['id']);
    expect((await call('GET', `${baseSessions}/api/admin/knowledge/${id}`, undefined, admin)).json).toMatchObject({ slug: 'store-hours', version: 1 });
    expect((await call('PUT', `${baseSessions}/api/admin/knowledge/${id}`, { title: 'Opening hours' })).json).toMatchObject({ title: 'Opening hours', version: 2 });
    expect((await call('DELETE', `${baseSessions}/api/admin/knowledge/${id}`, undefined, admin)).status).toBe(204);
    expect(await store.knowledge.getBySlug('store-hours', 'en')).toBeNull();
  });

  it('/help/:slug renders the article as safe HTML: scripts and javascript: links stay text', async () => {
    const body = '## Care\n\nWash **cold**, *inside out*. <script>alert("x")</script>\n\n- one\n- two\n\n[ok](https://example.com/a?b=1&c=2) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>';
    const created = await call('POST', `${base}/api/admin/knowledge`, { slug: 'denim-care', locale: 'en', title: 'Denim <care>', body, category: 'care' });
    expect(created.status).toBe(201);
    const res = await fetch(`${base}/help/denim-care?lang=en`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/href="javascript/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('<h1>Denim &lt;care&gt;</h1>');
    expect(html).toContain('<strong>cold</strong>');
    expect(html).toContain('<li>two</li>');
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2"');
    // A missing language falls back to the other one; an unknown slug is a 404 page.
    expect((await fetch(`${base}/help/denim-care?lang=zh`)).status).toBe(200);
    const missing = await fetch(`${base}/help/no-such-article?lang=zh`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('找不到');
  });
});

describe('renderMarkdown', () => {
  it('renders tables and ordered lists', () => {
    const html = renderMarkdown('| Size | Waist |\n|---|---|\n| M | 70 |\n\n1. first\n2. second');
    expect(html).toContain('<thead><tr><th>Size</th><th>Waist</th></tr></thead><tbody><tr><td>M</td><td>70</td></tr></tbody>');
    expect(html).toContain('<ol><li>first</li><li>second</li></ol>');
  });
});
