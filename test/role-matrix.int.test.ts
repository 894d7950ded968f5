import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { hashPassword } from '../app/passwords.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { listAll, type Agent, type AgentRole, type Conversation, type Store } from '../store/index.js';
import { captureApp, listRoutes, type AppRoute } from './helpers/role-matrix.js';

/**
 * The role matrix: every staff route of the real app (enumerated from its express router, so
 * a new route without an expectation fails here) called by every kind of caller. Below the
 * route's minimum: 401/403 in the API's error shape and nothing changed in the store; at or
 * above: never 401/403 (and, with the real ids seeded here, a 2xx/3xx). State-changing
 * session requests without the right CSRF token: 403, even for an admin.
 */

const ADMIN_TOKEN = 'role-matrix-admin-token-0123456789abcdef';
const METRICS_TOKEN = 'role-matrix-metrics-token';
const PASSWORD = 'role matrix password';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-roles-'));

// ------------------------------------------------------------------------- expectations

/**
 * Who may call a route. `session`: any logged-in console user (not the admin token);
 * `agent` < `supervisor` < `admin` (the ADMIN_TOKEN bearer counts as admin);
 * `adminToken`: the ADMIN_TOKEN bearer only (the shop's backend; README "HTTP endpoints");
 * `metricsToken`: the METRICS_TOKEN bearer only; `public`: anyone (pages, login).
 */
type Min = 'public' | 'session' | 'agent' | 'supervisor' | 'admin' | 'adminToken' | 'metricsToken';

interface Req {
  path: string;
  body?: unknown;
}
interface Expectation {
  min: Min;
  /** A session's state-changing request must carry its X-CSRF-Token. */
  csrf: boolean;
  /**
   * What the ADMIN_TOKEN bearer gets where it is not simply an admin: `403` for console
   * actions taken as the signed-in agent (claim, reply, ...), `401` for the session itself.
   */
  token?: 401 | 403;
  /** Statuses an allowed caller may get besides 2xx/3xx (a dummy body on purpose). */
  alsoOk?: number[];
  /** The request for this caller (fresh targets where an allowed write consumes them). */
  req?: (c: Caller) => Promise<Req> | Req;
  /** Session callers use a session of their own for this route (logout ends the session it is sent with). */
  ownSession?: true;
}

const ROLE_RANK: Record<AgentRole, number> = { agent: 1, supervisor: 2, admin: 3 };

/** Routes outside the staff surface: their own auth (or none) is tested by their own suites. */
const NOT_STAFF: Record<string, string> = {
  'GET /healthz': 'public probe',
  'GET /readyz': 'public probe',
  'GET /api/products': 'public catalog',
  'GET /api/products/:id': 'public catalog',
  'GET /api/categories': 'public catalog',
  'POST /api/web/session': 'widget: issues the visitor token',
  'POST /api/web/messages': 'widget: visitor token',
  'GET /api/web/messages': 'widget: visitor token',
  'POST /api/messages': 'Bot Framework: Microsoft-signed JWT',
  'GET /api/knowledge/search': 'public help search',
  'GET /help/:slug': 'public help pages',
  'GET /r/:token': 'HMAC-signed tracking token',
  'GET /demo/p/:id': 'demo shop page',
  'GET /demo/cart/add/:id': 'demo shop page',
  'GET /demo/img/:file': 'demo product picture (public image)',
  'GET /widget.js': 'the widget script',
};

/** Middleware mounted on a path of its own (it guards, or answers, a whole subtree). */
const MOUNTED: Record<string, string> = {
  'USE /api/app': 'the app channel (HMAC-signed); when off it answers 404',
  'USE /api/web': 'the widget API',
  'USE /api/admin/interactions': 'the ADMIN_TOKEN guard of the shop backend API',
  'USE /api/admin/ads': 'the ADMIN_TOKEN guard of the shop backend API',
  'USE /api/admin/customers': 'the admin guard of the privacy API',
};

let fx: Fixtures;

const EXPECT: Record<string, Expectation> = {
  // Pages and the session itself.
  'GET /console': { min: 'public', csrf: false },
  'GET /console/': { min: 'public', csrf: false },
  'GET /console/app.js': { min: 'public', csrf: false },
  'GET /console/styles.css': { min: 'public', csrf: false },
  'GET /dashboard': { min: 'public', csrf: false },
  'GET /dashboard/': { min: 'public', csrf: false },
  'GET /dashboard/app.js': { min: 'public', csrf: false },
  'GET /dashboard/styles.css': { min: 'public', csrf: false },
  // A login with an empty body is a 400: the route is open, the body is not valid.
  'POST /api/console/login': { min: 'public', csrf: false, alsoOk: [400], req: () => ({ path: '/api/console/login', body: {} }) },
  'POST /api/console/logout': { min: 'public', csrf: false, ownSession: true },
  'GET /api/console/me': { min: 'session', csrf: false, token: 401 },

  // The console (README "The console API").
  'PUT /api/console/me/status': { min: 'agent', csrf: true, token: 403, req: () => ({ path: '/api/console/me/status', body: { status: 'away' } }) },
  'GET /api/console/queue': { min: 'agent', csrf: false },
  'GET /api/console/agents': { min: 'agent', csrf: false },
  'GET /api/console/canned': { min: 'agent', csrf: false },
  'GET /api/console/conversations/:id': { min: 'agent', csrf: false, req: () => ({ path: `/api/console/conversations/${fx.queued.id}` }) },
  'POST /api/console/conversations/:id/claim': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: async () => ({ path: `/api/console/conversations/${(await fx.newConversation()).id}/claim` }),
  },
  'POST /api/console/conversations/:id/messages': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: async (c) => ({ path: `/api/console/conversations/${(await fx.newConversation(c.agent ?? fx.agents.agent)).id}/messages`, body: { text: 'Hello from the role matrix' } }),
  },
  // Sending a reply again whose delivery failed: the conversation's assignee, or a supervisor (or the admin token).
  'POST /api/console/conversations/:id/messages/:messageId/retry': {
    min: 'agent',
    csrf: true,
    req: async (c) => {
      const { conversationId, messageId } = await fx.failedReply(c.agent ?? fx.agents.agent);
      return { path: `/api/console/conversations/${conversationId}/messages/${messageId}/retry` };
    },
  },
  'POST /api/console/conversations/:id/transfer': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: async (c) => ({ path: `/api/console/conversations/${(await fx.newConversation(c.agent ?? fx.agents.agent)).id}/transfer`, body: { toAgentId: fx.peer.id } }),
  },
  'POST /api/console/conversations/:id/reassign': {
    min: 'supervisor',
    csrf: true,
    req: async () => ({ path: `/api/console/conversations/${(await fx.newConversation()).id}/reassign`, body: { toAgentId: fx.peer.id } }),
  },
  'POST /api/console/conversations/:id/resolve': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: async (c) => ({ path: `/api/console/conversations/${(await fx.newConversation(c.agent ?? fx.agents.agent)).id}/resolve` }),
  },
  'POST /api/console/conversations/:id/notes': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: () => ({ path: `/api/console/conversations/${fx.queued.id}/notes`, body: { text: 'a note' } }),
  },
  'PUT /api/console/conversations/:id/tags': { min: 'agent', csrf: true, req: () => ({ path: `/api/console/conversations/${fx.queued.id}/tags`, body: { tags: ['matrix'] } }) },
  'POST /api/console/conversations/:id/typing': {
    min: 'agent',
    csrf: true,
    token: 403,
    req: () => ({ path: `/api/console/conversations/${fx.queued.id}/typing`, body: { on: true } }),
  },

  // Agents, campaigns, articles, customers (README "Managing agents, articles and campaigns", "Security").
  'GET /api/admin/agents': { min: 'supervisor', csrf: false },
  'POST /api/admin/agents': { min: 'admin', csrf: true, req: () => ({ path: '/api/admin/agents', body: fx.newAgentBody() }) },
  'PATCH /api/admin/agents/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/agents/${(await fx.newAgent()).id}`, body: { name: 'Renamed' } }) },
  'DELETE /api/admin/agents/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/agents/${(await fx.newAgent()).id}` }) },
  'GET /api/admin/campaigns': { min: 'admin', csrf: false },
  'GET /api/admin/campaigns/:id': { min: 'admin', csrf: false, req: () => ({ path: `/api/admin/campaigns/${fx.campaignId}` }) },
  'POST /api/admin/campaigns': { min: 'admin', csrf: true, req: () => ({ path: '/api/admin/campaigns', body: fx.newCampaignBody() }) },
  'PATCH /api/admin/campaigns/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/campaigns/${await fx.newCampaign()}`, body: { status: 'paused' } }) },
  'DELETE /api/admin/campaigns/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/campaigns/${await fx.newCampaign()}` }) },
  'GET /api/admin/knowledge': { min: 'admin', csrf: false },
  'POST /api/admin/knowledge': { min: 'admin', csrf: true, req: () => ({ path: '/api/admin/knowledge', body: fx.newArticleBody() }) },
  'GET /api/admin/knowledge/:id': { min: 'admin', csrf: false, req: () => ({ path: `/api/admin/knowledge/${fx.articleId}` }) },
  'PUT /api/admin/knowledge/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/knowledge/${await fx.newArticle()}`, body: { title: 'Retitled by the matrix' } }) },
  'DELETE /api/admin/knowledge/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/knowledge/${await fx.newArticle()}` }) },
  'GET /api/admin/customers': { min: 'admin', csrf: false, req: () => ({ path: `/api/admin/customers?channel=web&externalId=${fx.customer.externalId}` }) },
  'GET /api/admin/customers/:id/export': { min: 'admin', csrf: false, req: () => ({ path: `/api/admin/customers/${fx.customer.id}/export` }) },
  'DELETE /api/admin/customers/:id': { min: 'admin', csrf: true, req: async () => ({ path: `/api/admin/customers/${(await fx.newCustomer()).id}` }) },
  'GET /api/admin/audit': { min: 'admin', csrf: false },

  // The shop backend's token-only API (README "HTTP endpoints": "admin token").
  'POST /api/admin/interactions': {
    min: 'adminToken',
    csrf: false,
    req: () => ({ path: '/api/admin/interactions', body: { events: [{ customerId: fx.customer.id, productId: fx.productId, type: 'view' }] } }),
  },
  'GET /api/admin/ads/report': { min: 'adminToken', csrf: false },
  'POST /api/admin/recommender/reload': { min: 'adminToken', csrf: false },

  // Dashboard and metrics (README "Dashboard and metrics").
  'GET /api/dashboard/summary': { min: 'supervisor', csrf: false },
  'GET /api/dashboard/export.csv': { min: 'supervisor', csrf: false },
  'GET /metrics': { min: 'metricsToken', csrf: false },
};

// ------------------------------------------------------------------------------ callers

type CallerId = 'anonymous' | 'loggedOut' | 'deletedAgent' | 'wrongBearer' | 'metricsToken' | AgentRole | 'token';

interface Session {
  cookie: string;
  csrf: string;
}

interface Caller {
  id: CallerId;
  /** The console user behind a session. */
  agent?: Agent;
  session?: Session;
  bearer?: string;
}

const STATE_CHANGING = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
const SESSION_MINS: Min[] = ['session', 'agent', 'supervisor', 'admin'];

/** The status a caller must get from a route, or `ok` (anything but 401/403). */
function expected(e: Expectation, c: Caller): 401 | 403 | 'ok' {
  if (e.min === 'public') return 'ok';
  if (e.min === 'metricsToken') return c.id === 'metricsToken' ? 'ok' : 401;
  if (e.min === 'adminToken') return c.id === 'token' ? 'ok' : 401;
  if (c.id === 'token') return e.token ?? (e.min === 'session' ? 401 : 'ok');
  if (!c.agent || !c.session) return 401;
  if (e.min === 'session') return 'ok';
  return ROLE_RANK[c.agent.role] >= ROLE_RANK[e.min] ? 'ok' : 403;
}

// ----------------------------------------------------------------------------- plumbing

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

let server: RunningServer;
let store: Store;
let routes: AppRoute[] = [];
const callers = {} as Record<CallerId, Caller>;
const seen: Array<{ route: string; caller: CallerId; status: number }> = [];
const bodies: string[] = [];

async function send(method: string, url: string, c: Caller | undefined, body?: unknown, csrf: 'right' | 'none' | string = 'right'): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (c?.bearer) headers['authorization'] = `Bearer ${c.bearer}`;
  if (c?.session) {
    headers['cookie'] = c.session.cookie;
    if (csrf === 'right') headers['x-csrf-token'] = c.session.csrf;
    else if (csrf !== 'none') headers['x-csrf-token'] = csrf;
  }
  const res = await fetch(`${server.url}${url}`, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, text, headers: res.headers };
}

async function login(email: string): Promise<Session> {
  const res = await fetch(`${server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  const json = (await res.json()) as { csrfToken: string };
  expect(res.status).toBe(200);
  return { cookie: /sa_console=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0], csrf: json.csrfToken };
}

/** A refusal in the API's error shape: `{error: {code, message, requestId}}`, the id echoed in X-Request-Id. */
function expectRefused(r: Reply, status: 401 | 403, label: string, reason?: string): void {
  expect(r.status, `${label}: ${r.text.slice(0, 200)}`).toBe(status);
  const json = JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown; requestId?: unknown; reason?: unknown } };
  expect(json.error?.code, label).toBe(status === 401 ? 'unauthorized' : 'forbidden');
  expect(typeof json.error?.message, label).toBe('string');
  expect(json.error?.requestId, label).toBe(r.headers.get('x-request-id'));
  if (reason) expect(json.error?.reason, label).toBe(reason);
}

/** Everything a staff write could change, read through the store (sessions and the audit log aside). */
async function world(): Promise<string> {
  const [agents, campaigns, conversations, customers, kb, interactions, messages] = await Promise.all([
    listAll((p) => store.agents.list({}, p)),
    listAll((p) => store.campaigns.list({}, p)),
    listAll((p) => store.conversations.list({}, p)),
    listAll((p) => store.customers.list(p)),
    store.knowledge.dataVersion(),
    store.interactions.count(),
    listAll((p) => store.messages.listByTime({}, p)),
  ]);
  return JSON.stringify({ agents, campaigns, conversations, customers, kb, interactions, messages: messages.map((m) => [m.id, m.delivery?.status, m.delivery?.attempts]) });
}

// ----------------------------------------------------------------------------- fixtures

interface Fixtures {
  agents: Record<AgentRole, Agent>;
  /** An online agent to transfer and reassign to. */
  peer: Agent;
  queued: Conversation;
  customer: { id: string; externalId: string };
  productId: string;
  campaignId: string;
  articleId: string;
  newConversation(assignee?: Agent): Promise<Conversation>;
  /** A conversation assigned to `assignee` with one agent reply whose delivery failed. */
  failedReply(assignee: Agent): Promise<{ conversationId: string; messageId: string }>;
  newCustomer(): Promise<{ id: string; externalId: string }>;
  newAgent(): Promise<Agent>;
  newAgentBody(): Record<string, unknown>;
  newCampaign(): Promise<string>;
  newCampaignBody(): Record<string, unknown>;
  newArticle(): Promise<string>;
  newArticleBody(): Record<string, unknown>;
}

let n = 0;
const next = () => `${Date.now().toString(36)}-${++n}`;

async function makeFixtures(s: Store): Promise<Fixtures> {
  const passwordHash = await hashPassword(PASSWORD);
  const mk = (role: AgentRole, status: Agent['status'] = 'online') =>
    s.agents.create({ email: `${role}-${next()}@roles.test`, name: `Matrix ${role}`, role, passwordHash, languages: ['en', 'zh'], skills: [], capacity: 100, status });
  const newCustomer = async () => {
    const externalId = `matrix-visitor-${next()}`;
    const c = await s.customers.create({ displayName: 'Matrix Shopper', identities: [{ channel: 'web', externalId }] });
    return { id: c.id, externalId };
  };
  const newConversation = async (assignee?: Agent) => {
    const customer = await newCustomer();
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'web', language: 'en' });
    await s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'in', sender: 'customer', channel: 'web', text: 'I want a person' });
    const queued = await s.conversations.enqueue(conv.id, { priority: 20, reason: 'requested' });
    return assignee ? s.conversations.claim(conv.id, assignee.id) : queued;
  };
  const products = await s.products.list({}, { limit: 1 });
  const campaigns = await s.campaigns.list({}, { limit: 1 });
  const articles = await s.knowledge.list({}, { limit: 1 });
  const productId = products.items[0]!.id;
  const newCampaignBody = () => ({ name: `Matrix ${next()}`, productId, bid: 1, dailyBudget: 10 });
  const newArticleBody = () => ({ slug: `matrix-${next()}`.toLowerCase().replace(/[^a-z0-9-]/g, '-'), locale: 'en', title: 'Matrix article', body: 'Matrix article body.', category: 'general' });
  return {
    agents: { agent: await mk('agent'), supervisor: await mk('supervisor'), admin: await mk('admin') },
    peer: await mk('agent'),
    queued: await newConversation(),
    customer: await newCustomer(),
    productId,
    campaignId: campaigns.items[0]!.id,
    articleId: articles.items[0]!.id,
    newConversation,
    failedReply: async (assignee) => {
      const conv = await newConversation(assignee);
      const m = await s.messages.append({ conversationId: conv.id, customerId: conv.customerId, direction: 'out', sender: 'agent', agentId: assignee.id, channel: 'web', text: 'Your parcel left today.' });
      await s.messages.setDelivery(m.id, { status: 'failed', attempts: 1, error: 'channel down (role matrix)' });
      return { conversationId: conv.id, messageId: m.id };
    },
    newCustomer,
    newAgent: () => mk('agent', 'offline'),
    newAgentBody: () => ({ email: `new-${next()}@roles.test`, name: 'New by matrix', role: 'agent', languages: ['en'], password: PASSWORD }),
    newCampaign: async () => (await s.campaigns.create({ ...newCampaignBody(), status: 'active', startsAt: new Date(), targeting: { categories: [], intents: [], keywords: [] } })).id,
    newCampaignBody,
    newArticle: async () => (await s.knowledge.upsert({ ...(newArticleBody() as { slug: string; locale: 'en'; title: string; body: string; category: string }), tags: [], source: 'admin' })).id,
    newArticleBody,
  };
}

// --------------------------------------------------------------------------------- setup

beforeAll(async () => {
  const config = loadConfig(
    { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'silent', ADMIN_TOKEN, METRICS_TOKEN, HANDOFF_AUTO_ASSIGN: 'false' },
    dir,
  );
  const { result, app } = await captureApp(() => startServer(config, createLogger({ level: 'silent' })));
  server = result;
  store = server.store;
  routes = listRoutes(app, { middleware: true });
  fx = await makeFixtures(store);

  callers.anonymous = { id: 'anonymous' };
  callers.wrongBearer = { id: 'wrongBearer', bearer: 'not-the-admin-token-0123456789abcdef' };
  callers.metricsToken = { id: 'metricsToken', bearer: METRICS_TOKEN };
  callers.token = { id: 'token', bearer: ADMIN_TOKEN };
  for (const role of ['agent', 'supervisor', 'admin'] as const) callers[role] = { id: role, agent: fx.agents[role], session: await login(fx.agents[role].email) };
  // A session that was logged out: its cookie must open nothing any more.
  const out = await login(fx.agents.admin.email);
  expect((await send('POST', '/api/console/logout', { id: 'admin', session: out })).status).toBe(204);
  callers.loggedOut = { id: 'loggedOut', session: out };
  // The session of an agent who was deleted since.
  const gone = await fx.newAgent();
  const goneSession = await login(gone.email);
  expect((await send('DELETE', `/api/admin/agents/${gone.id}`, callers.token)).status).toBe(204);
  callers.deletedAgent = { id: 'deletedAgent', session: goneSession };
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALL_CALLERS: CallerId[] = ['anonymous', 'wrongBearer', 'metricsToken', 'loggedOut', 'deletedAgent', 'agent', 'supervisor', 'admin', 'token'];
const keyOf = (r: AppRoute) => `${r.method} ${r.path}`;

// ---------------------------------------------------------------------------------- tests

describe('role matrix', () => {
  it('every route of the app has an expectation, and every expectation a route', () => {
    const keys = routes.map(keyOf);
    expect(keys.length).toBeGreaterThan(40);
    const unclassified = keys.filter((k) => !(k in EXPECT) && !(k in NOT_STAFF) && !(k in MOUNTED));
    expect(unclassified.map((k) => `route ${k} has no role expectation`)).toEqual([]);
    // A row whose route disappeared is stale.
    const missing = Object.keys(EXPECT).filter((k) => !keys.includes(k));
    expect(missing.map((k) => `expected route ${k} does not exist`)).toEqual([]);
    for (const [k, e] of Object.entries(EXPECT)) {
      // Every state-changing route behind a session needs the CSRF header; no read needs it.
      expect(e.csrf, k).toBe(STATE_CHANGING(k.split(' ')[0]!) && SESSION_MINS.includes(e.min));
    }
  });

  it('every caller gets exactly what its role allows, refusals change nothing, writes need CSRF', async () => {
    const started = Date.now();
    for (const [key, e] of Object.entries(EXPECT)) {
      const [method, pattern] = key.split(' ') as [string, string];
      const build = async (c: Caller): Promise<Req> => (e.req ? e.req(c) : { path: pattern });
      const who = async (id: CallerId): Promise<Caller> => {
        const c = callers[id];
        return e.ownSession && c.session && c.agent ? { ...c, session: await login(c.agent.email) } : c;
      };
      const refused = ALL_CALLERS.filter((id) => expected(e, callers[id]) !== 'ok');
      const allowed = ALL_CALLERS.filter((id) => expected(e, callers[id]) === 'ok');

      // Refusals, and session writes without (or with someone else's) CSRF token: nothing may change.
      const csrfCallers = e.csrf ? (['admin', e.min === 'session' ? 'agent' : (e.min as AgentRole)] as const).filter((v, i, a) => a.indexOf(v) === i) : [];
      const refusedReqs = await Promise.all(refused.map(async (id) => [id, await build(callers[id])] as const));
      const csrfReqs = await Promise.all(csrfCallers.map(async (id) => [id, await build(callers[id])] as const));
      const before = STATE_CHANGING(method) ? await world() : '';
      for (const [id, r] of refusedReqs) {
        const reply = await send(method, r.path, callers[id], r.body);
        seen.push({ route: key, caller: id, status: reply.status });
        expectRefused(reply, expected(e, callers[id]) as 401 | 403, `${key} as ${id}`);
      }
      for (const [id, r] of csrfReqs) {
        const other = id === 'admin' ? callers.supervisor.session!.csrf : callers.admin.session!.csrf;
        expectRefused(await send(method, r.path, callers[id], r.body, 'none'), 403, `${key} as ${id} without CSRF`, 'csrf');
        expectRefused(await send(method, r.path, callers[id], r.body, other), 403, `${key} as ${id} with another session's CSRF`, 'csrf');
      }
      if (STATE_CHANGING(method)) expect(await world(), `${key}: a refused request changed the store`).toBe(before);

      // Allowed callers: never 401/403; with the real ids above, a success.
      for (const id of allowed) {
        const r = await build(callers[id]);
        const reply = await send(method, r.path, await who(id), r.body);
        seen.push({ route: key, caller: id, status: reply.status });
        const label = `${key} as ${id}: ${reply.status} ${reply.text.slice(0, 300)}`;
        expect([401, 403], label).not.toContain(reply.status);
        expect(reply.status < 400 || (e.alsoOk ?? []).includes(reply.status), label).toBe(true);
      }
    }
    const ms = Date.now() - started;
    const ok = seen.filter((s) => s.status < 400).length;
    console.info(`role matrix: ${seen.length} cells (+ CSRF cells) in ${ms} ms; ${ok} answered 2xx/3xx, ${seen.filter((s) => s.status === 401).length} 401, ${seen.filter((s) => s.status === 403).length} 403`);
    expect(seen.length).toBeGreaterThan(300);
  }, 60_000);

  it('no response ever carries a password hash', async () => {
    const hashes = (await listAll((p) => store.agents.list({}, p))).map((a) => a.passwordHash);
    expect(bodies.length).toBeGreaterThan(300);
    for (const text of bodies) {
      expect(text).not.toContain('passwordHash');
      for (const h of hashes) expect(text.includes(h)).toBe(false);
    }
  });

  it('a role change applies to an open session at once', async () => {
    const a = await fx.newAgent();
    await store.agents.update(a.id, { role: 'supervisor' });
    const c: Caller = { id: 'supervisor', agent: a, session: await login(a.email) };
    expect((await send('GET', '/api/dashboard/summary', c)).status).toBe(200);
    expect((await send('PATCH', `/api/admin/agents/${a.id}`, callers.token, { role: 'agent' })).status).toBe(200);
    expectRefused(await send('GET', '/api/dashboard/summary', c), 403, 'demoted supervisor');
    expectRefused(await send('POST', `/api/console/conversations/${(await fx.newConversation()).id}/reassign`, c, { toAgentId: fx.peer.id }), 403, 'demoted supervisor reassigning');
  });
});

describe('an agent and other agents\' conversations', () => {
  it('an agent cannot read, note, tag, reply to, transfer, resolve or claim a conversation assigned to someone else', async () => {
    const { conversationId, messageId } = await fx.failedReply(fx.peer);
    const conv = (await store.conversations.get(conversationId))!;
    const agent = callers.agent;
    const base = `/api/console/conversations/${conv.id}`;
    const before = await world();
    const attempts: Array<[string, string, unknown, number]> = [
      ['GET', base, undefined, 404],
      ['POST', `${base}/notes`, { text: 'peek' }, 404],
      ['PUT', `${base}/tags`, { tags: ['peek'] }, 404],
      ['POST', `${base}/resolve`, undefined, 404],
      ['POST', `${base}/typing`, { on: true }, 404],
      ['POST', `${base}/messages`, { text: 'hijack' }, 409],
      ['POST', `${base}/transfer`, { toAgentId: fx.agents.supervisor.id }, 409],
      ['POST', `${base}/claim`, undefined, 409],
      ['POST', `${base}/messages/${messageId}/retry`, undefined, 404],
    ];
    for (const [method, url, body, status] of attempts) {
      const r = await send(method, url, agent, body);
      expect(r.status, `${method} ${url}: ${r.text}`).toBe(status);
      expect(r.text).not.toContain('hijack');
    }
    expect(await world()).toBe(before);
    // A supervisor sees it and may resolve it.
    expect((await send('GET', base, callers.supervisor)).status).toBe(200);
    expect((await send('POST', `${base}/resolve`, callers.supervisor)).status).toBe(200);
  });

  it('taking a conversation from the bot unasked is a supervisor\'s call', async () => {
    const customer = await fx.newCustomer();
    const withBot = await store.conversations.create({ customerId: customer.id, channel: 'web', language: 'en' });
    const r = await send('POST', `/api/console/conversations/${withBot.id}/claim`, callers.agent);
    expect(r.status).toBe(409);
    expect((JSON.parse(r.text) as { error: { reason?: string } }).error.reason).toBe('not_queued');
    expect((await store.conversations.get(withBot.id))?.status).toBe('bot');
    expect((await send('POST', `/api/console/conversations/${withBot.id}/claim`, callers.supervisor)).status).toBe(200);
    expect((await store.conversations.get(withBot.id))?.assigneeId).toBe(fx.agents.supervisor.id);
  });
});

describe('console socket /ws/console', () => {
  function open(headers: Record<string, string>): Promise<{ status: number; hello?: Record<string, unknown> }> {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/console`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.once('message', (data) => {
        resolve({ status: 101, hello: JSON.parse(data.toString()) as Record<string, unknown> });
        ws.close();
      });
      ws.once('error', reject);
    });
  }
  const origin = () => ({ origin: server.url });

  it('opens for a console session of the same origin only', async () => {
    expect((await open(origin())).status).toBe(401);
    expect((await open({ ...origin(), authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(401);
    expect((await open({ ...origin(), cookie: callers.loggedOut.session!.cookie })).status).toBe(401);
    expect((await open({ ...origin(), cookie: callers.deletedAgent.session!.cookie })).status).toBe(401);
    for (const role of ['agent', 'supervisor', 'admin'] as const) {
      const r = await open({ ...origin(), cookie: callers[role].session!.cookie });
      expect(r.status, role).toBe(101);
      expect(r.hello, role).toMatchObject({ type: 'hello', agent: { id: fx.agents[role].id, role } });
      expect(JSON.stringify(r.hello)).not.toContain('passwordHash');
    }
    // Another site's page cannot open the socket with the agent's cookie.
    expect((await open({ origin: 'https://evil.example', cookie: callers.agent.session!.cookie })).status).toBe(403);
    expect((await open({ origin: 'null', cookie: callers.admin.session!.cookie })).status).toBe(403);
  });
});
