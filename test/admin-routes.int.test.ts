import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes, type AgentChange } from '../app/admin-routes.js';
import { ConsoleAuth } from '../app/console/auth.js';
import { createHttpApp } from '../app/http.js';
import { InFlight } from '../app/in-flight.js';
import { createLogger } from '../app/logger.js';
import { hashPassword } from '../app/passwords.js';
import { Readiness } from '../app/readiness.js';
import { openSqliteStore, type Agent, type AgentRole, type Store } from '../store/index.js';

const TOKEN = 'admin-routes-test-token-0123456789abcdef';
const PASSWORD = 'correct horse battery';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-admin-routes-'));
const logger = createLogger({ level: 'silent' });
let store: Store;
let server: Server;
let base = '';
const changes: AgentChange[] = [];
const seeded: Record<AgentRole, Agent> = {} as Record<AgentRole, Agent>;

interface Session {
  cookie: string;
  csrf: string;
}
const sessions: Partial<Record<AgentRole, Session>> = {};

interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

type Caller = { session: Session; csrf?: boolean } | { bearer: string } | 'anonymous';

async function call(method: string, url: string, who: Caller, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== 'anonymous' && 'bearer' in who) headers['authorization'] = `Bearer ${who.bearer}`;
  if (who !== 'anonymous' && 'session' in who) {
    headers['cookie'] = who.session.cookie;
    if (who.csrf !== false) headers['x-csrf-token'] = who.session.csrf;
  }
  const res = await fetch(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function login(email: string, password = PASSWORD): Promise<{ status: number; session?: Session; agent?: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const json = (await res.json()) as { csrfToken?: string; agent?: Record<string, unknown> };
  if (res.status !== 200) return { status: res.status };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { status: 200, session: { cookie, csrf: json.csrfToken! }, agent: json.agent! };
}

const as = (role: AgentRole, csrf = true): Caller => ({ session: sessions[role]!, csrf });
const bearer: Caller = { bearer: TOKEN };
const errorOf = (r: Reply) => r.json['error'] as { code: string; reason?: string; message: string };

const newAgent = (over: Record<string, unknown> = {}) => ({
  email: 'New.Agent@Shop.Example',
  name: 'New Agent',
  role: 'agent',
  languages: ['zh', 'en', 'zh'],
  skills: ['Returns', 'vip'],
  capacity: 4,
  password: 'a long enough password',
  ...over,
});

const newCampaign = (over: Record<string, unknown> = {}) => ({
  name: 'Winter boots push',
  productId: 'P-BOOT-1',
  bid: 1.5,
  dailyBudget: 200,
  startsAt: '2026-01-01T00:00:00Z',
  endsAt: '2027-01-01',
  targeting: { categories: ['boots'], keywords: ['snow boots', '雪地靴'] },
  ...over,
});

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  const hash = await hashPassword(PASSWORD);
  for (const role of ['admin', 'supervisor', 'agent'] as const) {
    seeded[role] = await store.agents.create({ email: `${role}@shop.example`, name: `Demo ${role}`, role, passwordHash: hash, languages: ['en'], skills: [], capacity: 3 });
  }
  await store.products.upsert({
    id: 'P-BOOT-1',
    category: 'boots',
    title: { en: 'Snow boots', zh: '雪地靴' },
    description: { en: 'Warm.', zh: '保暖。' },
    price: 499,
    currency: 'CNY',
    stock: 10,
    attributes: {},
    tags: [],
  });
  const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, adminToken: TOKEN });
  const app = createHttpApp({ store, logger, readiness: new Readiness(), inFlight: new InFlight(), bodyLimit: '100kb', trustProxy: false }, (a) => {
    a.use(auth.routes());
    a.use(adminRoutes({ store, auth, onAgentChange: (c) => changes.push(c) }));
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const role of ['admin', 'supervisor', 'agent'] as const) {
    const r = await login(`${role}@shop.example`);
    expect(r.status).toBe(200);
    sessions[role] = r.session!;
  }
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every route, with a body that would pass validation where one is needed. */
const ROUTES: Array<{ method: string; url: string; body?: unknown; supervisorMay?: boolean }> = [
  { method: 'GET', url: '/api/admin/agents', supervisorMay: true },
  { method: 'POST', url: '/api/admin/agents', body: newAgent({ email: 'never@shop.example' }) },
  { method: 'PATCH', url: '/api/admin/agents/agt_unknown', body: { capacity: 2 } },
  { method: 'DELETE', url: '/api/admin/agents/agt_unknown' },
  { method: 'GET', url: '/api/admin/campaigns' },
  { method: 'GET', url: '/api/admin/campaigns/cmp_unknown' },
  { method: 'POST', url: '/api/admin/campaigns', body: newCampaign({ id: 'never' }) },
  { method: 'PATCH', url: '/api/admin/campaigns/cmp_unknown', body: { status: 'paused' } },
  { method: 'DELETE', url: '/api/admin/campaigns/cmp_unknown' },
];

describe('admin routes: who may call what', () => {
  it('no session: 401 on every route; a wrong bearer token: 401', async () => {
    for (const r of ROUTES) {
      expect((await call(r.method, r.url, 'anonymous', r.body)).status, `${r.method} ${r.url}`).toBe(401);
      expect((await call(r.method, r.url, { bearer: 'not-the-token' }, r.body)).status, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it('agent: 403 on every route, reads included', async () => {
    for (const r of ROUTES) {
      const res = await call(r.method, r.url, as('agent'), r.body);
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      expect(errorOf(res).code).toBe('forbidden');
    }
  });

  it('supervisor: reads the agent list (with load, without hashes), 403 everywhere else', async () => {
    for (const r of ROUTES) {
      const res = await call(r.method, r.url, as('supervisor'), r.body);
      expect(res.status, `${r.method} ${r.url}`).toBe(r.supervisorMay ? 200 : 403);
    }
    const list = await call('GET', '/api/admin/agents', as('supervisor'));
    const agents = list.json['agents'] as Array<Record<string, unknown>>;
    expect(agents.map((a) => a['email'])).toEqual(expect.arrayContaining(['admin@shop.example', 'supervisor@shop.example', 'agent@shop.example']));
    for (const a of agents) {
      expect(Object.keys(a).sort()).toEqual(['capacity', 'email', 'id', 'languages', 'load', 'name', 'role', 'skills', 'status']);
    }
    expect(list.text).not.toContain('scrypt$');
  });

  it('admin session: reaches every route (404 for unknown ids, not 401/403); a write without the CSRF header is 403 csrf', async () => {
    for (const r of ROUTES) {
      const res = await call(r.method, r.url, as('admin'), r.body);
      expect([200, 201, 404], `${r.method} ${r.url}: ${res.text}`).toContain(res.status);
    }
    for (const r of ROUTES.filter((x) => x.method !== 'GET')) {
      const res = await call(r.method, r.url, as('admin', false), r.body);
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      expect(errorOf(res).reason).toBe('csrf');
    }
    expect((await call('GET', '/api/admin/campaigns', as('admin', false))).status).toBe(200);
    // the two creations above are cleaned up for the tests below
    const created = (await call('GET', '/api/admin/agents', bearer)).json['agents'] as Array<{ id: string; email: string }>;
    const never = created.find((a) => a.email === 'never@shop.example')!;
    expect((await call('DELETE', `/api/admin/agents/${never.id}`, bearer)).status).toBe(204);
    expect((await call('DELETE', '/api/admin/campaigns/never', bearer)).status).toBe(204);
  });

  it('the ADMIN_TOKEN bearer acts as admin without a CSRF header', async () => {
    expect((await call('GET', '/api/admin/agents', bearer)).status).toBe(200);
    const r = await call('POST', '/api/admin/campaigns', bearer, newCampaign({ id: 'cmp_bearer' }));
    expect(r.status).toBe(201);
    expect((await call('DELETE', '/api/admin/campaigns/cmp_bearer', bearer)).status).toBe(204);
  });
});

describe('admin routes: agents', () => {
  let created: { id: string; email: string };

  it('creates an agent: normalised fields, load 0, no hash in the answer, and they can log in', async () => {
    const before = changes.length;
    const r = await call('POST', '/api/admin/agents', as('admin'), newAgent());
    expect(r.status).toBe(201);
    expect(r.text).not.toMatch(/scrypt|passwordHash|a long enough password/);
    const agent = r.json['agent'] as Record<string, unknown>;
    expect(agent).toMatchObject({ email: 'new.agent@shop.example', role: 'agent', languages: ['zh', 'en'], skills: ['returns', 'vip'], capacity: 4, status: 'offline', load: 0 });
    created = agent as { id: string; email: string };
    expect(changes.slice(before)).toEqual([{ agent }]);
    const stored = await store.agents.get(created.id);
    expect(stored?.passwordHash).toMatch(/^scrypt\$/);
    const l = await login('NEW.agent@shop.example', 'a long enough password');
    expect(l.status).toBe(200);
    expect(l.agent).toMatchObject({ id: created.id, role: 'agent' });
  });

  it('409 for a duplicate email (any case)', async () => {
    const r = await call('POST', '/api/admin/agents', as('admin'), newAgent({ email: 'AGENT@shop.example' }));
    expect(r.status).toBe(409);
    expect(errorOf(r)).toMatchObject({ code: 'conflict', reason: 'duplicate_email' });
  });

  it('400 for invalid bodies, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [newAgent({ email: 'x1@shop.example', password: 'short' }), /password/],
      [newAgent({ email: 'not-an-email' }), /email/],
      [newAgent({ email: 'x2@shop.example', role: 'owner' }), /role/],
      [newAgent({ email: 'x3@shop.example', languages: [] }), /languages/],
      [newAgent({ email: 'x4@shop.example', languages: ['fr'] }), /languages/],
      [newAgent({ email: 'x5@shop.example', capacity: -1 }), /capacity/],
      [newAgent({ email: 'x6@shop.example', capacity: 2.5 }), /capacity/],
      [newAgent({ email: 'x7@shop.example', passwordHash: 'scrypt$1$1$1$a$b' }), /passwordHash/],
      [newAgent({ email: 'x8@shop.example', name: '   ' }), /name/],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/api/admin/agents', as('admin'), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(r).message).toMatch(field);
    }
    const bad = await call('PATCH', `/api/admin/agents/${created.id}`, as('admin'), {});
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/nothing to change/);
    expect((await call('PATCH', `/api/admin/agents/${created.id}`, as('admin'), { status: 'asleep' })).status).toBe(400);
    expect((await call('PATCH', `/api/admin/agents/${created.id}`, as('admin'), { email: 'other@shop.example' })).status).toBe(400);
    expect((await store.agents.list({}, { limit: 100 })).items.filter((a) => a.email.startsWith('x'))).toEqual([]);
  });

  it('changes an agent: role takes effect on their session at once, a new password replaces the old', async () => {
    const l = await login(created.email, 'a long enough password');
    const session = l.session!;
    expect((await call('GET', '/api/admin/agents', { session })).status).toBe(403);
    const r = await call('PATCH', `/api/admin/agents/${created.id}`, as('admin'), { role: 'supervisor', capacity: 6, skills: ['Orders'], password: 'another long password' });
    expect(r.status).toBe(200);
    expect(r.json['agent']).toMatchObject({ id: created.id, role: 'supervisor', capacity: 6, skills: ['orders'], load: 0 });
    expect(r.text).not.toContain('scrypt');
    expect((await call('GET', '/api/admin/agents', { session })).status).toBe(200);
    expect((await login(created.email, 'a long enough password')).status).toBe(401);
    expect((await login(created.email, 'another long password')).status).toBe(200);
    expect((await call('PATCH', '/api/admin/agents/agt_missing', as('admin'), { capacity: 1 })).status).toBe(404);
  });

  it('lists the current load; refuses to delete an agent with assigned conversations (409), then deletes once they are resolved', async () => {
    const customer = await store.customers.create({ displayName: 'Shopper' });
    const conv = await store.conversations.create({ customerId: customer.id, channel: 'web' });
    await store.conversations.enqueue(conv.id, { priority: 1, reason: 'asked_for_human' });
    await store.conversations.claim(conv.id, created.id);
    const list = (await call('GET', '/api/admin/agents', as('supervisor'))).json['agents'] as Array<{ id: string; load: number }>;
    expect(list.find((a) => a.id === created.id)?.load).toBe(1);
    const refused = await call('DELETE', `/api/admin/agents/${created.id}`, as('admin'));
    expect(refused.status).toBe(409);
    expect(errorOf(refused).reason).toBe('has_assigned_conversations');
    expect(await store.agents.get(created.id)).not.toBeNull();
    await store.conversations.resolve(conv.id);
    const before = changes.length;
    expect((await call('DELETE', `/api/admin/agents/${created.id}`, as('admin'))).status).toBe(204);
    expect(await store.agents.get(created.id)).toBeNull();
    expect(changes.slice(before)).toEqual([{ deletedId: created.id }]);
    expect((await call('DELETE', `/api/admin/agents/${created.id}`, as('admin'))).status).toBe(404);
  });

  it('refuses deleting yourself and removing the last admin (delete or demote), allows it once there is another admin', async () => {
    const admin = seeded.admin;
    const self = await call('DELETE', `/api/admin/agents/${admin.id}`, as('admin'));
    expect(self.status).toBe(409);
    expect(errorOf(self).reason).toBe('self');
    const last = await call('DELETE', `/api/admin/agents/${admin.id}`, bearer);
    expect(last.status).toBe(409);
    expect(errorOf(last).reason).toBe('last_admin');
    const demote = await call('PATCH', `/api/admin/agents/${admin.id}`, bearer, { role: 'supervisor' });
    expect(demote.status).toBe(409);
    expect(errorOf(demote).reason).toBe('last_admin');
    expect((await store.agents.get(admin.id))?.role).toBe('admin');

    const second = (await call('POST', '/api/admin/agents', bearer, newAgent({ email: 'admin2@shop.example', role: 'admin' }))).json['agent'] as { id: string };
    const s2 = (await login('admin2@shop.example', 'a long enough password')).session!;
    expect((await call('PATCH', `/api/admin/agents/${admin.id}`, { session: s2 }, { role: 'supervisor' })).status).toBe(200);
    // the demoted admin's session lost the admin routes at once
    expect((await call('GET', '/api/admin/campaigns', as('admin'))).status).toBe(403);
    const lastAgain = await call('DELETE', `/api/admin/agents/${second.id}`, bearer);
    expect(errorOf(lastAgain).reason).toBe('last_admin');
    expect((await call('PATCH', `/api/admin/agents/${admin.id}`, { session: s2 }, { role: 'admin' })).status).toBe(200);
    expect((await call('DELETE', `/api/admin/agents/${second.id}`, as('admin'))).status).toBe(204);
  });
});

describe('admin routes: campaigns', () => {
  it('creates a campaign (defaults filled, money in cents), lists and reads it', async () => {
    const r = await call('POST', '/api/admin/campaigns', as('admin'), newCampaign({ id: 'cmp_boots', bid: 1.234 }));
    expect(r.status).toBe(201);
    expect(r.json['campaign']).toMatchObject({
      id: 'cmp_boots',
      status: 'active',
      bid: 1.23,
      dailyBudget: 200,
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2027-01-01T00:00:00.000Z',
      targeting: { categories: ['boots'], intents: [], keywords: ['snow boots', '雪地靴'] },
    });
    const noId = await call('POST', '/api/admin/campaigns', as('admin'), newCampaign({ targeting: undefined, startsAt: undefined, endsAt: undefined }));
    expect(noId.status).toBe(201);
    const made = noId.json['campaign'] as { id: string; startsAt: string; targeting: unknown };
    expect(made.id).toMatch(/\S/);
    expect(Math.abs(Date.parse(made.startsAt) - Date.now())).toBeLessThan(60_000);
    expect(made.targeting).toEqual({ categories: [], intents: [], keywords: [] });

    const list = (await call('GET', '/api/admin/campaigns', as('admin'))).json['campaigns'] as Array<{ id: string }>;
    expect(list.map((c) => c.id)).toEqual(expect.arrayContaining(['cmp_boots', made.id]));
    expect((await call('GET', '/api/admin/campaigns/cmp_boots', as('admin'))).json['campaign']).toMatchObject({ name: 'Winter boots push' });
    expect((await call('DELETE', `/api/admin/campaigns/${made.id}`, as('admin'))).status).toBe(204);
  });

  it('400 for invalid campaigns (unknown product, bad money, dates, fields), 409 for a taken id', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [newCampaign({ productId: 'P-NONE' }), /productId/],
      [newCampaign({ bid: 0 }), /bid/],
      [newCampaign({ bid: '1.5' }), /bid/],
      [newCampaign({ dailyBudget: -5 }), /dailyBudget/],
      [newCampaign({ status: 'running' }), /status/],
      [newCampaign({ startsAt: 'tomorrow' }), /startsAt/],
      [newCampaign({ startsAt: '2027-02-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' }), /endsAt/],
      [newCampaign({ targeting: { colours: ['red'] } }), /targeting/],
      [newCampaign({ id: 'has space' }), /id/],
      [newCampaign({ name: '' }), /name/],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/api/admin/campaigns', as('admin'), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(r).message).toMatch(field);
    }
    const unknown = await call('POST', '/api/admin/campaigns', as('admin'), newCampaign({ productId: 'P-NONE' }));
    expect(errorOf(unknown).reason).toBe('unknown_product');
    const dup = await call('POST', '/api/admin/campaigns', as('admin'), newCampaign({ id: 'cmp_boots' }));
    expect(dup.status).toBe(409);
  });

  it('pauses and resumes (status), changes budget and bid, checks the dates against the stored ones, deletes', async () => {
    const paused = await call('PATCH', '/api/admin/campaigns/cmp_boots', as('admin'), { status: 'paused' });
    expect(paused.status).toBe(200);
    expect((await store.campaigns.get('cmp_boots'))?.status).toBe('paused');
    expect((await store.campaigns.list({ activeAt: new Date('2026-06-01T00:00:00Z') })).items.map((c) => c.id)).not.toContain('cmp_boots');
    const resumed = await call('PATCH', '/api/admin/campaigns/cmp_boots', as('admin'), { status: 'active', dailyBudget: 50, bid: 2 });
    expect(resumed.json['campaign']).toMatchObject({ status: 'active', dailyBudget: 50, bid: 2, name: 'Winter boots push' });
    const badEnd = await call('PATCH', '/api/admin/campaigns/cmp_boots', as('admin'), { endsAt: '2025-12-31' });
    expect(badEnd.status).toBe(400);
    expect(errorOf(badEnd).message).toMatch(/endsAt/);
    expect((await call('PATCH', '/api/admin/campaigns/cmp_boots', as('admin'), {})).status).toBe(400);
    expect((await call('PATCH', '/api/admin/campaigns/cmp_boots', as('admin'), { productId: 'P-NONE' })).status).toBe(400);
    expect((await call('PATCH', '/api/admin/campaigns/cmp_none', as('admin'), { status: 'paused' })).status).toBe(404);
    expect((await call('DELETE', '/api/admin/campaigns/cmp_boots', as('admin'))).status).toBe(204);
    expect(await store.campaigns.get('cmp_boots')).toBeNull();
    expect((await call('GET', '/api/admin/campaigns/cmp_boots', as('admin'))).status).toBe(404);
  });
});
