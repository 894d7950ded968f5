import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auditor } from '../app/audit.js';
import { auditCommands } from '../app/cli/audit-commands.js';
import type { CommandContext } from '../app/cli/command.js';
import { privacyCommands } from '../app/cli/privacy-commands.js';
import { staffCommands } from '../app/cli/staff-commands.js';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { Progress } from '../app/progress.js';
import { listAll, openSqliteStore, type AuditEntry, type Store } from '../store/index.js';
import { sendAcked, startShopServer, type ShopServer } from './helpers/shop-server.js';
import { runCli } from './helpers/processes.js';

/**
 * The audit log through the real server (in-process, real SQLite, the demo agents): every
 * hooked staff action leaves exactly the expected entry (actor, action, outcome, target),
 * refused logins and 403s leave `refused` entries, the admin API filters and pages and is
 * admins-only, the CLI records its actions as the OS user and lists the log, and no
 * password, token, cookie or message text ever reaches an entry.
 */

const TOKEN = 'audit-test-admin-token-0123456789abcdef';
const NEW_PASSWORD = 'brand new password 9731';
const CHANGED_PASSWORD = 'changed password 4410';
const WRONG_PASSWORD = 'not-the-password-5521';
const REPLY_TEXT = 'Your parcel left our warehouse this morning (audit-reply-text)';
const NOTE_TEXT = 'customer sounded upset, called twice (audit-note-text)';
const SHOPPER_TEXT = 'I want to talk to a human please (audit-shopper-text)';
const DEMO_PASSWORDS = ['demo-agent-lina', 'demo-agent-tom', 'demo-supervisor-chen', 'demo-admin-change-me'];
const LINA = 'agt_demo_001';
const TOM = 'agt_demo_002';
const CHEN = 'agt_demo_003';
const ADMIN = 'agt_demo_004';

let shop: ShopServer;
let store: Store;
/** Every secret a request carried (cookies, CSRF tokens): none may appear in the log. */
const secrets: string[] = [TOKEN, NEW_PASSWORD, CHANGED_PASSWORD, WRONG_PASSWORD, REPLY_TEXT, NOTE_TEXT, SHOPPER_TEXT, ...DEMO_PASSWORDS];

interface Session {
  cookie: string;
  csrf: string;
}
type Caller = Session | 'token' | 'none';

beforeAll(async () => {
  shop = await startShopServer('sa-audit-', 'auditTest2026', { EMBEDDINGS_MODEL: 'lexical', ADMIN_TOKEN: TOKEN, HANDOFF_AUTO_ASSIGN: 'false' });
  store = shop.server.store;
}, 90_000);
afterAll(async () => shop?.close());

async function login(email: string, password: string): Promise<{ status: number; session?: Session }> {
  const res = await fetch(`${shop.server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) return { status: res.status };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
  secrets.push(cookie.split('=')[1]!, csrf);
  return { status: 200, session: { cookie, csrf } };
}

async function session(email: string, password: string): Promise<Session> {
  const r = await login(email, password);
  expect(r.status).toBe(200);
  return r.session!;
}

async function api(who: Caller, method: string, url: string, body?: unknown, opts: { csrf?: boolean } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (who === 'token') headers['authorization'] = `Bearer ${TOKEN}`;
  else if (who !== 'none') {
    headers['cookie'] = who.cookie;
    if (opts.csrf !== false) headers['x-csrf-token'] = who.csrf;
  }
  const res = await fetch(`${shop.server.url}${url}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text && text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const seen = new Set<string>();
/** The entries recorded since the last call, oldest first. */
async function fresh(): Promise<AuditEntry[]> {
  const all = await listAll((page) => store.audit.list({}, page));
  const out = all.filter((e) => !seen.has(e.id)).reverse();
  for (const e of out) seen.add(e.id);
  return out;
}

const agentActor = (id: string, email: string, role: string) => ({ kind: 'agent', id, name: email, role });

describe('audit log: logins', () => {
  it('records ok and refused logins (bad password, unknown email, locked out), the lockout and the logout', async () => {
    await fresh();
    const admin = await session('Admin@Example.com', 'demo-admin-change-me');
    let entries = await fresh();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'auth.login', outcome: 'ok', actor: agentActor(ADMIN, 'admin@example.com', 'admin') });
    expect(entries[0]!.ip).toMatch(/127\.0\.0\.1/);

    expect((await login('tom.baker@example.com', WRONG_PASSWORD)).status).toBe(401);
    expect((await login('  Nobody@Example.COM ', WRONG_PASSWORD)).status).toBe(401);
    entries = await fresh();
    expect(entries).toMatchObject([
      { action: 'auth.login', outcome: 'refused', actor: { kind: 'agent', id: TOM, name: 'tom.baker@example.com' }, targetId: TOM, details: { reason: 'bad_password' } },
      { action: 'auth.login', outcome: 'refused', actor: { kind: 'agent', name: 'nobody@example.com' }, details: { reason: 'unknown_email' } },
    ]);
    expect(entries[1]!.actor.id).toBeUndefined();
    // The client is never told which of the two it was.
    const wrong = await fetch(`${shop.server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: 'x' }) });
    expect(JSON.stringify(await wrong.json())).not.toMatch(/unknown_email|bad_password/);
    await fresh();

    // Five failures lock the email out: five refusals and one lockout; the next try is refused as locked out.
    for (let i = 0; i < 5; i++) expect((await login('locked.out@example.com', WRONG_PASSWORD)).status).toBe(401);
    expect((await login('locked.out@example.com', WRONG_PASSWORD)).status).toBe(429);
    entries = await fresh();
    expect(entries.map((e) => `${e.action}:${e.outcome}:${String(e.details?.['reason'])}`)).toEqual([
      ...Array(4).fill('auth.login:refused:unknown_email'),
      'auth.login:refused:unknown_email',
      'auth.lockout:ok:too_many_failures',
      'auth.login:refused:locked_out',
    ]);
    expect(entries.every((e) => e.actor.name === 'locked.out@example.com')).toBe(true);

    expect((await api(admin, 'POST', '/api/console/logout')).status).toBe(204);
    entries = await fresh();
    expect(entries).toMatchObject([{ action: 'auth.logout', outcome: 'ok', actor: agentActor(ADMIN, 'admin@example.com', 'admin') }]);
  });
});

describe('audit log: console actions', () => {
  it('claim, reply (ok and refused), note, tags, transfer, reassign, resolve, status, and one customer.view per agent and customer', async () => {
    const lina = await session('li.na@example.com', 'demo-agent-lina');
    const tom = await session('tom.baker@example.com', 'demo-agent-tom');
    const chen = await session('chen.jing@example.com', 'demo-supervisor-chen');
    const w = await shop.widget();
    await sendAcked(w, SHOPPER_TEXT);
    let id = '';
    for (let i = 0; i < 50 && !id; i++) {
      const q = await api(lina, 'GET', '/api/console/queue');
      id = ((q.json['queued'] as Array<{ id: string }> | undefined) ?? [])[0]?.id ?? '';
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).not.toBe('');
    const conv = (await store.conversations.get(id))!;
    await fresh();

    const target = { targetType: 'conversation', targetId: id };
    expect((await api(lina, 'GET', `/api/console/conversations/${id}`)).status).toBe(200);
    expect((await api(lina, 'GET', `/api/console/conversations/${id}`)).status).toBe(200);
    expect(await fresh()).toMatchObject([
      { action: 'customer.view', outcome: 'ok', actor: agentActor(LINA, 'li.na@example.com', 'agent'), targetType: 'customer', targetId: conv.customerId, details: { conversationId: id, channel: 'web' } },
    ]);

    expect((await api(lina, 'POST', `/api/console/conversations/${id}/claim`)).status).toBe(200);
    expect(await fresh()).toMatchObject([{ action: 'conversation.claim', outcome: 'ok', actor: { id: LINA }, ...target, details: { channel: 'web', from: 'queued' } }]);

    expect((await api(lina, 'POST', `/api/console/conversations/${id}/messages`, { text: REPLY_TEXT })).status).toBe(201);
    const [reply, ...noMore] = await fresh();
    expect(noMore).toEqual([]);
    expect(reply).toMatchObject({ action: 'conversation.reply', outcome: 'ok', actor: { id: LINA }, ...target, details: { channel: 'web' } });
    expect(typeof reply!.details!['delivery']).toBe('string');

    expect((await api(lina, 'POST', `/api/console/conversations/${id}/notes`, { text: NOTE_TEXT })).status).toBe(201);
    expect((await api(lina, 'PUT', `/api/console/conversations/${id}/tags`, { tags: ['late-parcel', 'vip'] })).status).toBe(200);
    expect((await api(lina, 'PUT', '/api/console/me/status', { status: 'away' })).status).toBe(200);
    expect(await fresh()).toMatchObject([
      { action: 'conversation.note', outcome: 'ok', ...target, details: { count: 1 } },
      { action: 'conversation.tags', outcome: 'ok', ...target, details: { count: 2 } },
      { action: 'agent.status', outcome: 'ok', targetType: 'agent', targetId: LINA, details: { status: 'away' } },
    ]);
    await api(lina, 'PUT', '/api/console/me/status', { status: 'online' });
    await api(tom, 'PUT', '/api/console/me/status', { status: 'online' });
    await fresh();

    expect((await api(lina, 'POST', `/api/console/conversations/${id}/transfer`, { toAgentId: TOM })).status).toBe(200);
    expect((await api(chen, 'POST', `/api/console/conversations/${id}/reassign`, { toAgentId: LINA })).status).toBe(200);
    expect((await api(lina, 'POST', `/api/console/conversations/${id}/resolve`)).status).toBe(200);
    expect(await fresh()).toMatchObject([
      { action: 'conversation.transfer', outcome: 'ok', actor: { id: LINA }, ...target, details: { toAgentId: TOM } },
      { action: 'conversation.reassign', outcome: 'ok', actor: agentActor(CHEN, 'chen.jing@example.com', 'supervisor'), ...target, details: { toAgentId: LINA } },
      { action: 'conversation.resolve', outcome: 'ok', actor: { id: LINA }, ...target, details: { channel: 'web' } },
    ]);

    // A reply to a resolved conversation is refused, and recorded with the reason (never the text).
    const late = await api(lina, 'POST', `/api/console/conversations/${id}/messages`, { text: REPLY_TEXT });
    expect(late.status).toBe(409);
    const refused = await fresh();
    expect(refused).toMatchObject([{ action: 'conversation.reply', outcome: 'refused', actor: { id: LINA }, ...target, details: { channel: 'web' } }]);
    expect(typeof refused[0]!.details!['reason']).toBe('string');

    // An agent may not reassign: 403, recorded as refused with the route's action and target.
    expect((await api(tom, 'POST', `/api/console/conversations/${id}/reassign`, { toAgentId: TOM })).status).toBe(403);
    expect(await fresh()).toMatchObject([
      { action: 'conversation.reassign', outcome: 'refused', actor: agentActor(TOM, 'tom.baker@example.com', 'agent'), ...target, details: { reason: 'role', method: 'POST' } },
    ]);
  }, 30_000);
});

describe('audit log: admin and privacy actions', () => {
  it('agent create/update/delete, campaign create/update/delete, knowledge add/update/delete, customer find/export/delete, and 403s', async () => {
    const admin = await session('admin@example.com', 'demo-admin-change-me');
    const lina = await session('li.na@example.com', 'demo-agent-lina');
    const chen = await session('chen.jing@example.com', 'demo-supervisor-chen');
    await fresh();
    const adminActor = agentActor(ADMIN, 'admin@example.com', 'admin');

    const created = await api(admin, 'POST', '/api/admin/agents', { email: 'new.hire@example.com', name: 'New Hire', role: 'agent', languages: ['en'], password: NEW_PASSWORD });
    expect(created.status).toBe(201);
    const newId = (created.json['agent'] as { id: string }).id;
    expect((await api(admin, 'PATCH', `/api/admin/agents/${newId}`, { role: 'supervisor', password: CHANGED_PASSWORD, capacity: 5 })).status).toBe(200);
    expect((await api(admin, 'DELETE', `/api/admin/agents/${newId}`)).status).toBe(204);
    expect(await fresh()).toMatchObject([
      { action: 'agent.create', outcome: 'ok', actor: adminActor, targetType: 'agent', targetId: newId, details: { role: 'agent' } },
      { action: 'agent.update', outcome: 'ok', actor: adminActor, targetId: newId, details: { fields: ['capacity', 'password', 'role'], role: { from: 'agent', to: 'supervisor' } } },
      { action: 'agent.delete', outcome: 'ok', actor: adminActor, targetId: newId, details: { role: 'supervisor' } },
    ]);

    const productId = (await store.products.list({}, { limit: 1 })).items[0]!.id;
    const camp = await api(admin, 'POST', '/api/admin/campaigns', { id: 'cmp_audit', name: 'Audit push', productId, bid: 1, dailyBudget: 10 });
    expect(camp.status).toBe(201);
    expect((await api(admin, 'PATCH', '/api/admin/campaigns/cmp_audit', { status: 'paused', bid: 2 })).status).toBe(200);
    expect((await api(admin, 'DELETE', '/api/admin/campaigns/cmp_audit')).status).toBe(204);
    expect(await fresh()).toMatchObject([
      { action: 'campaign.create', outcome: 'ok', targetType: 'campaign', targetId: 'cmp_audit', details: { status: 'active' } },
      { action: 'campaign.update', outcome: 'ok', targetId: 'cmp_audit', details: { fields: ['bid', 'status'] } },
      { action: 'campaign.delete', outcome: 'ok', targetId: 'cmp_audit' },
    ]);

    const article = await api('token', 'POST', '/api/admin/knowledge', { slug: 'audit-test', locale: 'en', title: 'Audit test', body: 'Body of the audit test article.', category: 'help' });
    expect(article.status).toBe(201);
    const articleId = String(article.json['id']);
    expect((await api('token', 'PUT', `/api/admin/knowledge/${articleId}`, { title: 'Audit test, again' })).status).toBe(200);
    expect((await api('token', 'DELETE', `/api/admin/knowledge/${articleId}`)).status).toBe(204);
    const tokenActor = { kind: 'token', name: 'ADMIN_TOKEN', role: 'admin' };
    expect(await fresh()).toMatchObject([
      { action: 'knowledge.add', outcome: 'ok', actor: tokenActor, targetType: 'article', targetId: articleId, details: { slug: 'audit-test', locale: 'en' } },
      { action: 'knowledge.update', outcome: 'ok', actor: tokenActor, targetId: articleId, details: { fields: ['title'] } },
      { action: 'knowledge.delete', outcome: 'ok', actor: tokenActor, targetId: articleId },
    ]);

    // Privacy: on a customer made for the test (a shopper on WeChat).
    const customer = await store.customers.create({ displayName: 'Audit Shopper', identities: [{ channel: 'wechat', externalId: 'oAudit_0001' }], tags: [], vip: false });
    expect((await api(admin, 'GET', '/api/admin/customers?channel=wechat&externalId=oAudit_0001')).status).toBe(200);
    expect((await api(admin, 'GET', `/api/admin/customers/${customer.id}/export`)).status).toBe(200);
    expect((await api('token', 'DELETE', `/api/admin/customers/${customer.id}`)).status).toBe(200);
    const privacy = await fresh();
    expect(privacy).toMatchObject([
      { action: 'customer.find', outcome: 'ok', actor: adminActor, targetType: 'customer', targetId: customer.id, details: { channel: 'wechat' } },
      { action: 'customer.export', outcome: 'ok', actor: adminActor, targetId: customer.id, details: { messages: 0, conversations: 0, orders: 0 } },
      { action: 'customer.delete', outcome: 'ok', actor: tokenActor, targetId: customer.id, details: { deleted: { customers: 1 } } },
    ]);

    // Wrong role and missing CSRF: refused, with no change made.
    expect((await api(lina, 'POST', '/api/admin/agents', { email: 'x@example.com', name: 'X', role: 'admin', languages: ['en'], password: NEW_PASSWORD })).status).toBe(403);
    expect((await api(chen, 'DELETE', `/api/admin/customers/${customer.id}`)).status).toBe(403);
    expect((await api(admin, 'DELETE', `/api/admin/agents/${LINA}`, undefined, { csrf: false })).status).toBe(403);
    expect(await store.agents.get(LINA)).not.toBeNull();
    expect(await fresh()).toMatchObject([
      { action: 'agent.create', outcome: 'refused', actor: agentActor(LINA, 'li.na@example.com', 'agent'), details: { reason: 'role' } },
      { action: 'customer.delete', outcome: 'refused', actor: { id: CHEN, role: 'supervisor' }, targetId: customer.id, details: { reason: 'role' } },
      { action: 'agent.delete', outcome: 'refused', actor: adminActor, targetType: 'agent', targetId: LINA, details: { reason: 'csrf' } },
    ]);
  }, 30_000);
});

describe('audit log: the admin API', () => {
  it('admins only: a supervisor and an agent get 403 (recorded), nobody gets 401', async () => {
    const chen = await session('chen.jing@example.com', 'demo-supervisor-chen');
    const lina = await session('li.na@example.com', 'demo-agent-lina');
    await fresh();
    expect((await api('none', 'GET', '/api/admin/audit')).status).toBe(401);
    expect((await api(chen, 'GET', '/api/admin/audit')).status).toBe(403);
    expect((await api(lina, 'GET', '/api/admin/audit')).status).toBe(403);
    expect(await fresh()).toMatchObject([
      { action: 'audit.list', outcome: 'refused', actor: { id: CHEN } },
      { action: 'audit.list', outcome: 'refused', actor: { id: LINA } },
    ]);
    const ok = await api('token', 'GET', '/api/admin/audit?limit=1');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ items: [{ action: 'audit.list', outcome: 'refused' }] });
  });

  it('filters by action (exact and prefix), actor, target and time, and pages without gaps or repeats', async () => {
    const all = await listAll((page) => store.audit.list({}, page));
    const get = async (q: string) => {
      const r = await api('token', 'GET', `/api/admin/audit?${q}`);
      expect(r.status).toBe(200);
      return r.json as { items: Array<{ id: string; action: string; at: string; actor: { id?: string }; targetId?: string }>; nextCursor: string | null };
    };
    const byAuth = await get('action=auth.&limit=200');
    expect(byAuth.items.map((e) => e.id)).toEqual(all.filter((e) => e.action.startsWith('auth.')).map((e) => e.id));
    expect(byAuth.items.length).toBeGreaterThan(5);
    const lockouts = await get('action=auth.lockout');
    expect(lockouts.items.map((e) => e.id)).toEqual(all.filter((e) => e.action === 'auth.lockout').map((e) => e.id));
    expect(lockouts.items).toHaveLength(1);
    const lina = await get(`actorId=${LINA}&limit=200`);
    expect(lina.items.map((e) => e.id)).toEqual(all.filter((e) => e.actor.id === LINA).map((e) => e.id));
    const onLina = await get(`targetId=${LINA}&limit=200`);
    expect(onLina.items.map((e) => e.id)).toEqual(all.filter((e) => e.targetId === LINA).map((e) => e.id));
    expect(onLina.items.length).toBeGreaterThan(0);

    // A time window: [from, to) around the middle entries.
    const mid = all[Math.floor(all.length / 2)]!.at;
    const windowed = await get(`from=${encodeURIComponent(new Date(mid.getTime() - 1).toISOString())}&to=${encodeURIComponent(new Date(mid.getTime() + 1).toISOString())}&limit=200`);
    const expected = all.filter((e) => e.at.getTime() >= mid.getTime() - 1 && e.at.getTime() < mid.getTime() + 1).map((e) => e.id);
    expect(windowed.items.map((e) => e.id)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);

    // Pages of 3 give back exactly the whole log, newest first.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    // (The listing requests themselves are not recorded, so the log did not grow meanwhile.)
    expect(paged).toEqual(all.map((e) => e.id));
  });

  it('bad parameters are a 400 that names them', async () => {
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['from=yesterday', 'from'],
      ['from=2026-02-01&to=2026-01-01', 'from'],
      ['action=Auth Login', 'action'],
      ['actor=someone', 'actor'],
      ['cursor=not-a-cursor', 'cursor'],
    ] as const) {
      const r = await api('token', 'GET', `/api/admin/audit?${q}`);
      expect(r.status, q).toBe(400);
      const error = r.json['error'] as { code: string; message: string };
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(new RegExp(field));
    }
  });
});

describe('audit log: the CLI', () => {
  const ctx = (): CommandContext => ({ store: async () => store, config: loadConfig({}, process.cwd()), logger: createLogger({ level: 'silent' }), progress: new Progress() });

  it('records CLI actions as the OS user, and audit:list shows and filters them', async () => {
    await fresh();
    process.env['AGENT_PASSWORD'] = NEW_PASSWORD;
    try {
      await staffCommands['agents:add']!.run(['--email', 'cli.hire@example.com', '--name', 'CLI Hire', '--role', 'agent', '--languages', 'en'], ctx());
    } finally {
      delete process.env['AGENT_PASSWORD'];
    }
    await staffCommands['agents:set']!.run(['cli.hire@example.com', '--role', 'supervisor'], ctx());
    const customer = await store.customers.create({ displayName: 'CLI Shopper', identities: [{ channel: 'app', externalId: 'app-audit-1' }], tags: [], vip: false });
    await privacyCommands['privacy:export']!.run([customer.id], ctx());
    await privacyCommands['privacy:delete']!.run([customer.id, '--yes'], ctx());
    await staffCommands['agents:delete']!.run(['cli.hire@example.com'], ctx());
    const entries = await fresh();
    const { userInfo } = await import('node:os');
    const cli = { kind: 'cli', name: userInfo().username };
    expect(entries).toMatchObject([
      { action: 'agent.create', outcome: 'ok', actor: cli, targetType: 'agent', details: { role: 'agent' } },
      { action: 'agent.update', outcome: 'ok', actor: cli, details: { fields: ['role'], role: { from: 'agent', to: 'supervisor' } } },
      { action: 'customer.export', outcome: 'ok', actor: cli, targetType: 'customer', targetId: customer.id },
      { action: 'customer.delete', outcome: 'ok', actor: cli, targetId: customer.id, details: { deleted: { customers: 1 } } },
      { action: 'agent.delete', outcome: 'ok', actor: cli },
    ]);
    expect(entries.every((e) => e.ip === undefined)).toBe(true);

    const json = (await auditCommands['audit:list']!.run(['--action', 'customer.', '--limit', '2', '--json'], ctx())) as { items: AuditEntry[]; nextCursor: string | null };
    expect(json.items.map((e) => e.id)).toEqual([entries[3]!.id, entries[2]!.id]);
    expect(json.nextCursor).not.toBeNull();
    const text = (await auditCommands['audit:list']!.run(['--actor', 'Li.Na@example.com', '--action', 'conversation.claim'], ctx())) as { entries: string[] };
    expect(text.entries).toHaveLength(1);
    expect(text.entries[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+ agent:li\.na@example\.com \(agent\) conversation\.claim conversation:\S+ ok from \S+/);
    const target = (await auditCommands['audit:list']!.run(['--target', customer.id, '--json'], ctx())) as { items: AuditEntry[] };
    expect(target.items.map((e) => e.action)).toEqual(['customer.delete', 'customer.export']);
    await expect(auditCommands['audit:list']!.run(['--limit', '0'], ctx())).rejects.toMatchObject({ code: 'bad_request' });
    await expect(auditCommands['audit:list']!.run(['--bogus'], ctx())).rejects.toMatchObject({ code: 'bad_request' });
    await expect(auditCommands['audit:list']!.run(['--actor', 'nobody@example.com'], ctx())).rejects.toMatchObject({ code: 'not_found' });
  });

  it('the real CLI: audit:list is registered, prints JSON, and a bad flag exits 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sa-audit-cli-'));
    try {
      const own = await openSqliteStore({ file: path.join(dir, 'shop.db') });
      await own.audit.record({ actor: { kind: 'cli', name: 'tester' }, action: 'agent.create', outcome: 'ok', targetType: 'agent', targetId: 'agt_cli_1' });
      await own.audit.record({ actor: { kind: 'cli', name: 'tester' }, action: 'agent.delete', outcome: 'ok', targetType: 'agent', targetId: 'agt_cli_1' });
      await own.close();
      const env = { DATA_DIR: dir, LOG_LEVEL: 'warn', SEED_DEMO: 'false', ADMIN_TOKEN: undefined };
      const [listed, bad] = await Promise.all([runCli(['audit:list', '--action', 'agent.', '--limit', '1', '--json'], env), runCli(['audit:list', '--limit', '0'], env)]);
      expect(listed.code, listed.stderr).toBe(0);
      const out = JSON.parse(listed.stdout) as { items: AuditEntry[]; nextCursor: string | null };
      expect(out.items).toMatchObject([{ action: 'agent.delete', actor: { kind: 'cli', name: 'tester' }, targetId: 'agt_cli_1' }]);
      expect(out.nextCursor).not.toBeNull();
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/limit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('audit log: what it never holds, and when it cannot write', () => {
  it('no password, token, cookie, CSRF token or message text in any entry', async () => {
    const all = await listAll((page) => store.audit.list({}, page));
    expect(all.length).toBeGreaterThan(40);
    const dump = JSON.stringify(all);
    for (const s of secrets) expect(dump.includes(s), `the log holds a secret: ${s.slice(0, 6)}…`).toBe(false);
    // Every action of the staff API was covered above (a route without an entry would show here as missing).
    const actions = new Set(all.map((e) => e.action));
    for (const a of ['auth.login', 'auth.lockout', 'auth.logout', 'customer.view', 'conversation.claim', 'conversation.reply', 'conversation.transfer', 'conversation.reassign', 'conversation.resolve', 'conversation.note', 'conversation.tags', 'agent.status', 'agent.create', 'agent.update', 'agent.delete', 'campaign.create', 'campaign.update', 'campaign.delete', 'knowledge.add', 'knowledge.update', 'knowledge.delete', 'customer.find', 'customer.export', 'customer.delete', 'audit.list']) {
      expect(actions.has(a), a).toBe(true);
    }
  });

  it('a failing insert is logged with its action and swallowed; forbidden detail keys are dropped', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const broken = { audit: { record: async () => Promise.reject(new Error('database is gone')), list: store.audit.list.bind(store.audit) } };
    const auditor = new Auditor({ store: broken, logger: createLogger({ level: 'warn' }, sink) });
    await expect(auditor.cli('agent.delete', { target: { type: 'agent', id: 'agt_x' }, details: { role: 'agent' } })).resolves.toBeUndefined();
    const line = JSON.parse(lines.join('').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, action: 'agent.delete', msg: 'audit entry not recorded', audit: { targetId: 'agt_x' } });

    const recorded: unknown[] = [];
    const capture = new Auditor({ store: { audit: { record: async (e) => (recorded.push(e), { ...e, id: 'x', at: new Date() }), list: store.audit.list.bind(store.audit) } }, logger: createLogger({ level: 'silent' }) });
    await capture.cli('agent.update', { details: { fields: ['password'], password: 'p', passwordHash: 'h', token: 't', text: 'hello', nested: { apiToken: 't', count: 2 } } });
    expect(recorded).toMatchObject([{ details: { fields: ['password'], nested: { count: 2 } } }]);
    expect(JSON.stringify(recorded)).not.toMatch(/"p"|"h"|"t"|hello/);
  });
});
