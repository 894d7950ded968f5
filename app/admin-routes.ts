import express, { type Router } from 'express';
import { z } from 'zod';
import {
  listAll,
  ShopError,
  type Agent,
  type AgentPatch,
  type AgentRole,
  type AgentStatus,
  type Campaign,
  type CampaignPatch,
  type CampaignStatus,
  type NewCampaign,
  type Store,
} from '../store/index.js';
import { publicAgent, staffOf, type ConsoleAuth, type PublicAgent } from './console/auth.js';
import { parseOrThrow } from './http.js';
import { hashPassword } from './passwords.js';
import { changedFields, type Auditor } from './audit.js';

/** An agent as the console and admin pages see it, with how many conversations they have assigned now. */
export type AgentLoad = PublicAgent & { load: number };

/** What happened to an agent, for whoever pushes agent changes to open consoles. */
export type AgentChange = { agent: AgentLoad } | { deletedId: string };

export interface AdminRoutesOptions {
  store: Store;
  auth: ConsoleAuth;
  /** Called after an agent was created, changed or deleted (e.g. to tell open consoles). */
  onAgentChange?: (change: AgentChange) => void;
  /** Records agent and campaign changes in the audit log. */
  audit?: Auditor;
}

// ------------------------------------------------------------------ validation

export const AGENT_ROLES = ['agent', 'supervisor', 'admin'] as const satisfies readonly AgentRole[];
export const AGENT_STATUSES = ['online', 'away', 'offline'] as const satisfies readonly AgentStatus[];
export const CAMPAIGN_STATUSES = ['active', 'paused', 'ended'] as const satisfies readonly CampaignStatus[];
export const MIN_PASSWORD_LENGTH = 10;

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const email = z.string().trim().toLowerCase().max(254).pipe(z.email('expected an email address'));
const name = z.string().trim().min(1).max(100);
const password = z.string().min(MIN_PASSWORD_LENGTH, `a password needs at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);
const languages = z.array(z.enum(['en', 'zh'])).min(1, 'an agent speaks at least one language (en, zh)').max(10).transform(uniq);
/** Skills route conversations by topic: lower-case words ("returns", "vip", "wechat"). */
const skills = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[\p{L}\p{N}][\p{L}\p{N}_ -]{0,63}$/u, 'a skill is a word or short phrase (letters, digits, _ and -, up to 64)'),
  )
  .max(50)
  .transform(uniq);
const capacity = z.number().int().min(0).max(100);

/** POST /api/admin/agents */
export const newAgentSchema = z.strictObject({
  email,
  name,
  role: z.enum(AGENT_ROLES),
  languages,
  skills: skills.default([]),
  capacity: capacity.default(3),
  status: z.enum(AGENT_STATUSES).optional(),
  password,
});
export type NewAgentInput = z.input<typeof newAgentSchema>;

/** PATCH /api/admin/agents/:id */
export const agentPatchSchema = z
  .strictObject({
    name: name.optional(),
    role: z.enum(AGENT_ROLES).optional(),
    languages: languages.optional(),
    skills: skills.optional(),
    capacity: capacity.optional(),
    status: z.enum(AGENT_STATUSES).optional(),
    password: password.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change: send name, role, languages, skills, capacity, status or password' });
export type AgentPatchInput = z.input<typeof agentPatchSchema>;

const agentListQuery = z.object({ role: z.enum(AGENT_ROLES).optional(), status: z.enum(AGENT_STATUSES).optional() });

const cents = (x: number): number => Math.round(x * 100) / 100;
/** An ISO date-time with an offset, or a calendar date (midnight UTC). */
const when = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { message: 'expected an ISO date-time (2026-01-01T00:00:00Z) or date (2026-01-01)' }).transform((s) => new Date(s));
const targetList = z.array(z.string().trim().min(1).max(100)).max(100).default([]).transform(uniq);
const targeting = z.strictObject({ categories: targetList, intents: targetList, keywords: targetList });
const bid = z.number().positive().max(10_000).transform(cents);
const dailyBudget = z.number().min(0).max(10_000_000).transform(cents);

/** POST /api/admin/campaigns; also one entry of `campaigns:add --file` (the demo's campaigns.json shape). */
export const newCampaignSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id is 1-64 letters, digits, _ or -')
      .optional(),
    name: z.string().trim().min(1).max(200),
    productId: z.string().trim().min(1).max(128),
    bid,
    dailyBudget,
    status: z.enum(CAMPAIGN_STATUSES).default('active'),
    startsAt: when.optional(),
    endsAt: when.optional(),
    targeting: targeting.default({ categories: [], intents: [], keywords: [] }),
  })
  .refine((c) => !c.endsAt || c.endsAt.getTime() >= (c.startsAt ?? new Date()).getTime(), { message: 'endsAt must not be before startsAt', path: ['endsAt'] });
export type NewCampaignInput = z.input<typeof newCampaignSchema>;

/** PATCH /api/admin/campaigns/:id (pause and resume are `status`). */
export const campaignPatchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    productId: z.string().trim().min(1).max(128).optional(),
    bid: bid.optional(),
    dailyBudget: dailyBudget.optional(),
    status: z.enum(CAMPAIGN_STATUSES).optional(),
    startsAt: when.optional(),
    endsAt: when.optional(),
    targeting: targeting.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change: send name, productId, bid, dailyBudget, status, startsAt, endsAt or targeting' });
export type CampaignPatchInput = z.input<typeof campaignPatchSchema>;

const campaignListQuery = z.object({ status: z.enum(CAMPAIGN_STATUSES).optional() });

// ----------------------------------------------------- operations (HTTP and CLI)

/** Every agent (filtered), with their current load. */
export async function listAgentLoads(store: Store, filter: { role?: AgentRole; status?: AgentStatus } = {}): Promise<AgentLoad[]> {
  const [agents, counts] = await Promise.all([listAll((page) => store.agents.list(filter, page)), store.conversations.assignedCounts()]);
  return agents.map((a) => ({ ...publicAgent(a), load: counts[a.id] ?? 0 }));
}

export async function agentLoad(store: Store, agent: Agent): Promise<AgentLoad> {
  const counts = await store.conversations.assignedCounts();
  return { ...publicAgent(agent), load: counts[agent.id] ?? 0 };
}

/** Validates, hashes the password (scrypt) and stores a new agent; `conflict` for a taken email. */
export async function createAgent(store: Store, input: unknown): Promise<Agent> {
  const body = parseOrThrow(newAgentSchema, input, 'agent');
  if (await store.agents.getByEmail(body.email)) throw new ShopError('conflict', `an agent with email ${body.email} exists already`, { details: { reason: 'duplicate_email' } });
  const { password: plain, status, ...rest } = body;
  return store.agents.create({ ...rest, ...(status ? { status } : {}), passwordHash: await hashPassword(plain) });
}

async function otherAdmins(store: Store, id: string): Promise<number> {
  const admins = await listAll((page) => store.agents.list({ role: 'admin' }, page));
  return admins.filter((a) => a.id !== id).length;
}

/**
 * Validates and applies a change (a new password is hashed). Refuses to demote the last
 * admin: someone must be able to log in and manage agents.
 */
export async function updateAgent(store: Store, id: string, input: unknown): Promise<Agent> {
  const body = parseOrThrow(agentPatchSchema, input, 'agent change');
  const agent = await store.agents.get(id);
  if (!agent) throw new ShopError('not_found', `no agent ${id}`);
  if (agent.role === 'admin' && body.role !== undefined && body.role !== 'admin' && (await otherAdmins(store, id)) === 0) {
    throw new ShopError('conflict', `${agent.email} is the last admin: make another agent admin first`, { details: { reason: 'last_admin' } });
  }
  const { password: plain, ...rest } = body;
  const patch: AgentPatch = { ...rest, ...(plain !== undefined ? { passwordHash: await hashPassword(plain) } : {}) };
  return store.agents.update(id, patch);
}

/**
 * Deletes an agent. Refused (`conflict`) while they have assigned conversations (reassign
 * them first), for the last admin, and for the caller's own account (`actorId`).
 */
export async function deleteAgent(store: Store, id: string, actorId?: string): Promise<Agent> {
  const agent = await store.agents.get(id);
  if (!agent) throw new ShopError('not_found', `no agent ${id}`);
  if (actorId !== undefined && actorId === id) throw new ShopError('conflict', 'you cannot delete your own account', { details: { reason: 'self' } });
  const load = (await store.conversations.assignedCounts())[id] ?? 0;
  if (load > 0) {
    throw new ShopError('conflict', `${agent.email} has ${load} assigned conversation${load === 1 ? '' : 's'}: reassign or resolve them first`, {
      details: { reason: 'has_assigned_conversations' },
    });
  }
  if (agent.role === 'admin' && (await otherAdmins(store, id)) === 0) {
    throw new ShopError('conflict', `${agent.email} is the last admin: make another agent admin first`, { details: { reason: 'last_admin' } });
  }
  if (!(await store.agents.delete(id))) throw new ShopError('not_found', `no agent ${id}`);
  return agent;
}

export async function listCampaigns(store: Store, filter: { status?: CampaignStatus } = {}): Promise<Campaign[]> {
  return listAll((page) => store.campaigns.list(filter, page));
}

async function checkProduct(store: Store, productId: string, what: string): Promise<void> {
  if (!(await store.products.get(productId))) {
    throw new ShopError('bad_request', `invalid ${what}: productId: no product ${productId}`, { details: { reason: 'unknown_product', fields: ['productId'] } });
  }
}

/** Validates a campaign (its product must exist) into the store's input, without storing it. */
export async function parseNewCampaign(store: Store, input: unknown, what = 'campaign'): Promise<NewCampaign> {
  const body = parseOrThrow(newCampaignSchema, input, what);
  await checkProduct(store, body.productId, what);
  const { startsAt, endsAt, id, ...rest } = body;
  return { ...rest, ...(id !== undefined ? { id } : {}), startsAt: startsAt ?? new Date(), ...(endsAt ? { endsAt } : {}) };
}

/** `conflict` for an id that exists already. */
export async function createCampaign(store: Store, input: unknown): Promise<Campaign> {
  const campaign = await parseNewCampaign(store, input);
  if (campaign.id !== undefined && (await store.campaigns.get(campaign.id))) {
    throw new ShopError('conflict', `a campaign ${campaign.id} exists already`, { details: { reason: 'duplicate_id' } });
  }
  return store.campaigns.create(campaign);
}

export async function updateCampaign(store: Store, id: string, input: unknown): Promise<Campaign> {
  const body = parseOrThrow(campaignPatchSchema, input, 'campaign change');
  const current = await store.campaigns.get(id);
  if (!current) throw new ShopError('not_found', `no campaign ${id}`);
  if (body.productId !== undefined) await checkProduct(store, body.productId, 'campaign change');
  const startsAt = body.startsAt ?? current.startsAt;
  const endsAt = body.endsAt ?? current.endsAt;
  if (endsAt && endsAt.getTime() < startsAt.getTime()) {
    throw new ShopError('bad_request', 'invalid campaign change: endsAt: endsAt must not be before startsAt', { details: { fields: ['endsAt'] } });
  }
  const patch: CampaignPatch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  return store.campaigns.update(id, patch);
}

// ---------------------------------------------------------------------- routes

/**
 * The admin API for agents and campaigns: the admin role (session + CSRF header), or the
 * ADMIN_TOKEN bearer. Supervisors may read the agent list. Responses never carry a
 * password hash.
 *
 * - `GET /api/admin/agents[?role&status]` → `{ agents: AgentLoad[] }` (supervisor+)
 * - `POST /api/admin/agents` → 201 `{ agent }`; `PATCH /api/admin/agents/:id` → `{ agent }`;
 *   `DELETE /api/admin/agents/:id` → 204 (409 reasons `has_assigned_conversations`, `last_admin`, `self`)
 * - `GET /api/admin/campaigns[?status]` → `{ campaigns }`; `GET /:id` → `{ campaign }`;
 *   `POST` → 201 `{ campaign }`; `PATCH /:id` → `{ campaign }`; `DELETE /:id` → 204
 */
export function adminRoutes(opts: AdminRoutesOptions): Router {
  const { store, auth } = opts;
  const notify = (change: AgentChange) => opts.onAgentChange?.(change);
  const router = express.Router();

  const agents = express.Router();
  agents.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  agents.get('/', auth.require('supervisor'), async (req, res) => {
    const q = parseOrThrow(agentListQuery, req.query, 'query');
    res.json({ agents: await listAgentLoads(store, q) });
  });
  agents.use(auth.require('admin'));
  agents.post('/', async (req, res) => {
    const agent = await agentLoad(store, await createAgent(store, req.body ?? {}));
    await opts.audit?.staff(req, res, 'agent.create', { target: { type: 'agent', id: agent.id }, details: { role: agent.role } });
    notify({ agent });
    res.status(201).json({ agent });
  });
  agents.patch('/:id', async (req, res) => {
    const before = opts.audit ? await store.agents.get(req.params.id) : null;
    const agent = await agentLoad(store, await updateAgent(store, req.params.id, req.body ?? {}));
    const roleChange = before && before.role !== agent.role ? { role: { from: before.role, to: agent.role } } : {};
    await opts.audit?.staff(req, res, 'agent.update', { target: { type: 'agent', id: agent.id }, details: { fields: changedFields(req.body), ...roleChange } });
    notify({ agent });
    res.json({ agent });
  });
  agents.delete('/:id', async (req, res) => {
    const deleted = await deleteAgent(store, req.params.id, staffOf(res).agent?.id);
    await opts.audit?.staff(req, res, 'agent.delete', { target: { type: 'agent', id: deleted.id }, details: { role: deleted.role } });
    notify({ deletedId: deleted.id });
    res.status(204).end();
  });

  const campaigns = express.Router();
  campaigns.use(auth.require('admin'));
  campaigns.get('/', async (req, res) => {
    const q = parseOrThrow(campaignListQuery, req.query, 'query');
    res.json({ campaigns: await listCampaigns(store, q) });
  });
  campaigns.get('/:id', async (req, res) => {
    const campaign = await store.campaigns.get(req.params.id);
    if (!campaign) throw new ShopError('not_found', `no campaign ${req.params.id}`);
    res.json({ campaign });
  });
  campaigns.post('/', async (req, res) => {
    const campaign = await createCampaign(store, req.body ?? {});
    await opts.audit?.staff(req, res, 'campaign.create', { target: { type: 'campaign', id: campaign.id }, details: { status: campaign.status } });
    res.status(201).json({ campaign });
  });
  campaigns.patch('/:id', async (req, res) => {
    const campaign = await updateCampaign(store, req.params.id, req.body ?? {});
    await opts.audit?.staff(req, res, 'campaign.update', { target: { type: 'campaign', id: campaign.id }, details: { fields: changedFields(req.body) } });
    res.json({ campaign });
  });
  campaigns.delete('/:id', async (req, res) => {
    if (!(await store.campaigns.delete(req.params.id))) throw new ShopError('not_found', `no campaign ${req.params.id}`);
    await opts.audit?.staff(req, res, 'campaign.delete', { target: { type: 'campaign', id: req.params.id } });
    res.status(204).end();
  });

  router.use('/api/admin/agents', agents);
  router.use('/api/admin/campaigns', campaigns);
  return router;
}
