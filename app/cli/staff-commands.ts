import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AdServer } from '../../recommender/ads/index.js';
import { ShopError, type Agent, type Campaign, type NewCampaign, type Store } from '../../store/index.js';
import {
  agentLoad,
  CAMPAIGN_STATUSES,
  createAgent,
  deleteAgent,
  listAgentLoads,
  listCampaigns,
  parseNewCampaign,
  updateAgent,
  updateCampaign,
  AGENT_ROLES,
  AGENT_STATUSES,
} from '../admin-routes.js';
import { adsReportRange } from '../shop-event-routes.js';
import { flag, positionals, requiredFlag, type Command } from './command.js';
import { auditCli } from './audit-commands.js';
import { changedFields } from '../audit.js';

/** Unknown or repeated flags are a usage error: a typo must not silently do something else. */
function checkFlags(args: string[], withValues: string[], booleans: string[], usage: string, maxPositionals: number): void {
  let seen = 0;
  const given = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (given.has(a)) throw new ShopError('bad_request', `${a} is given twice: cli ${usage}`);
    if (withValues.includes(a)) {
      given.add(a);
      i++;
    } else if (booleans.includes(a)) given.add(a);
    else if (a.startsWith('--') || ++seen > maxPositionals) throw new ShopError('bad_request', `unexpected argument "${a}": cli ${usage}`);
  }
}

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function numberFlag(args: string[], name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ShopError('bad_request', `${name} must be a number, got "${v}"`);
  return n;
}

function oneOfFlag<T extends string>(args: string[], name: string, allowed: readonly T[]): T | undefined {
  const v = flag(args, name);
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw new ShopError('bad_request', `${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T | undefined;
}

/** All of stdin, without its final line break (`printf 'secret' | ...` and `echo secret | ...` alike). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function agentByEmail(store: Store, email: string): Promise<Agent> {
  const agent = await store.agents.getByEmail(email);
  if (!agent) throw new ShopError('not_found', `no agent with email ${email}`);
  return agent;
}

/** A random password for an agent added without one (printed once, in the command's output). */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

const ADD_USAGE =
  'agents:add --email <e> --name <n> --role agent|supervisor|admin --languages en,zh [--skills a,b] [--capacity N] [--status online|away|offline] [--password-stdin]';
const ADD_FLAGS = ['--email', '--name', '--role', '--languages', '--skills', '--capacity', '--status'];
const SET_USAGE =
  'agents:set <email> [--name n] [--role r] [--capacity N] [--status online|away|offline] [--skills a,b] [--languages en,zh] [--password-stdin]';
const SET_FLAGS = ['--name', '--role', '--capacity', '--status', '--skills', '--languages'];
const CSET_USAGE = 'campaigns:set <id> [--status active|paused|ended] [--daily-budget N] [--bid N] [--name n]';
const CSET_FLAGS = ['--status', '--daily-budget', '--bid', '--name'];

/** agents:list/add/set/delete, campaigns:list/add/set, ads:report. */
export const staffCommands: Record<string, Command> = {
  'agents:list': {
    usage: 'agents:list [--role agent|supervisor|admin] [--status online|away|offline]',
    summary: 'List console agents with their current load (never password hashes).',
    run: async (args, ctx) => {
      checkFlags(args, ['--role', '--status'], [], 'agents:list [--role r] [--status s]', 0);
      const role = oneOfFlag(args, '--role', AGENT_ROLES);
      const status = oneOfFlag(args, '--status', AGENT_STATUSES);
      return { agents: await listAgentLoads(await ctx.store(), { ...(role ? { role } : {}), ...(status ? { status } : {}) }) };
    },
  },
  'agents:add': {
    usage: ADD_USAGE,
    summary: 'Add a console agent. Password from --password-stdin or AGENT_PASSWORD, else a random one is printed once.',
    run: async (args, ctx) => {
      checkFlags(args, ADD_FLAGS, ['--password-stdin'], ADD_USAGE, 0);
      const capacity = numberFlag(args, '--capacity');
      const skills = flag(args, '--skills');
      const status = flag(args, '--status');
      let password: string;
      let generated = false;
      if (args.includes('--password-stdin')) password = await readStdin();
      else if (process.env['AGENT_PASSWORD']) password = process.env['AGENT_PASSWORD'];
      else {
        password = generatePassword();
        generated = true;
      }
      const store = await ctx.store();
      const agent = await createAgent(store, {
        email: requiredFlag(args, '--email', ADD_USAGE),
        name: requiredFlag(args, '--name', ADD_USAGE),
        role: requiredFlag(args, '--role', ADD_USAGE),
        languages: list(requiredFlag(args, '--languages', ADD_USAGE)),
        ...(skills !== undefined ? { skills: list(skills) } : {}),
        ...(capacity !== undefined ? { capacity } : {}),
        ...(status !== undefined ? { status } : {}),
        password,
      });
      await auditCli(ctx, 'agent.create', { target: { type: 'agent', id: agent.id }, details: { role: agent.role } });
      return { agent: await agentLoad(store, agent), ...(generated ? { password, note: 'generated password: shown only this once' } : {}) };
    },
  },
  'agents:set': {
    usage: SET_USAGE,
    summary: 'Change an agent (role, capacity, status, skills, languages, name; a new password with --password-stdin).',
    run: async (args, ctx) => {
      checkFlags(args, SET_FLAGS, ['--password-stdin'], SET_USAGE, 1);
      const [email] = positionals(args, SET_FLAGS);
      if (!email) throw new ShopError('bad_request', `usage: cli ${SET_USAGE}`);
      const name = flag(args, '--name');
      const role = flag(args, '--role');
      const capacity = numberFlag(args, '--capacity');
      const status = flag(args, '--status');
      const skills = flag(args, '--skills');
      const languages = flag(args, '--languages');
      const password = args.includes('--password-stdin') ? await readStdin() : undefined;
      const store = await ctx.store();
      const agent = await agentByEmail(store, email);
      const change = {
        ...(name !== undefined ? { name } : {}),
        ...(role !== undefined ? { role } : {}),
        ...(capacity !== undefined ? { capacity } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(skills !== undefined ? { skills: list(skills) } : {}),
        ...(languages !== undefined ? { languages: list(languages) } : {}),
        ...(password !== undefined ? { password } : {}),
      };
      const updated = await updateAgent(store, agent.id, change);
      const roleChange = agent.role !== updated.role ? { role: { from: agent.role, to: updated.role } } : {};
      await auditCli(ctx, 'agent.update', { target: { type: 'agent', id: agent.id }, details: { fields: changedFields(change), ...roleChange } });
      return { agent: await agentLoad(store, updated), ...(password !== undefined ? { passwordChanged: true } : {}) };
    },
  },
  'agents:delete': {
    usage: 'agents:delete <email>',
    summary: 'Delete an agent (refused while they have assigned conversations, and for the last admin).',
    run: async (args, ctx) => {
      checkFlags(args, [], [], 'agents:delete <email>', 1);
      const [email] = positionals(args, []);
      if (!email) throw new ShopError('bad_request', 'usage: cli agents:delete <email>');
      const store = await ctx.store();
      const agent = await deleteAgent(store, (await agentByEmail(store, email)).id);
      await auditCli(ctx, 'agent.delete', { target: { type: 'agent', id: agent.id }, details: { role: agent.role } });
      return { deleted: { id: agent.id, email: agent.email } };
    },
  },
  'campaigns:list': {
    usage: 'campaigns:list [--status active|paused|ended]',
    summary: 'List sponsored-product campaigns.',
    run: async (args, ctx) => {
      checkFlags(args, ['--status'], [], 'campaigns:list [--status s]', 0);
      const status = oneOfFlag(args, '--status', CAMPAIGN_STATUSES);
      return { campaigns: await listCampaigns(await ctx.store(), status ? { status } : {}) };
    },
  },
  'campaigns:add': {
    usage: 'campaigns:add --file <campaign.json>',
    summary: 'Add campaigns from a JSON file (one object or an array; every one is checked before any is stored).',
    run: async (args, ctx) => {
      checkFlags(args, ['--file'], [], 'campaigns:add --file <campaign.json>', 0);
      const file = requiredFlag(args, '--file', 'campaigns:add --file <campaign.json>');
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new ShopError('bad_request', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const items = Array.isArray(raw) ? raw : [raw];
      if (items.length === 0) throw new ShopError('bad_request', `${file} holds no campaign`);
      const store = await ctx.store();
      const parsed: NewCampaign[] = [];
      for (const [i, item] of items.entries()) parsed.push(await parseNewCampaign(store, item, Array.isArray(raw) ? `campaign [${i}]` : 'campaign'));
      const ids = parsed.map((c) => c.id).filter((id): id is string => id !== undefined);
      const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
      if (repeated) throw new ShopError('bad_request', `campaign id ${repeated} appears twice in ${file}`);
      for (const id of ids) if (await store.campaigns.get(id)) throw new ShopError('conflict', `a campaign ${id} exists already (change it with campaigns:set)`);
      const created: Campaign[] = [];
      for (const c of parsed) created.push(await store.campaigns.create(c));
      for (const c of created) await auditCli(ctx, 'campaign.create', { target: { type: 'campaign', id: c.id }, details: { status: c.status } });
      return { file, created };
    },
  },
  'campaigns:set': {
    usage: CSET_USAGE,
    summary: 'Pause, resume or end a campaign, or change its daily budget, bid or name.',
    run: async (args, ctx) => {
      checkFlags(args, CSET_FLAGS, [], CSET_USAGE, 1);
      const [id] = positionals(args, CSET_FLAGS);
      if (!id) throw new ShopError('bad_request', `usage: cli ${CSET_USAGE}`);
      const status = flag(args, '--status');
      const dailyBudget = numberFlag(args, '--daily-budget');
      const bid = numberFlag(args, '--bid');
      const name = flag(args, '--name');
      const change = {
        ...(status !== undefined ? { status } : {}),
        ...(dailyBudget !== undefined ? { dailyBudget } : {}),
        ...(bid !== undefined ? { bid } : {}),
        ...(name !== undefined ? { name } : {}),
      };
      const campaign = await updateCampaign(await ctx.store(), id, change);
      await auditCli(ctx, 'campaign.update', { target: { type: 'campaign', id: campaign.id }, details: { fields: changedFields(change) } });
      return { campaign };
    },
  },
  'ads:report': {
    usage: 'ads:report [--from YYYY-MM-DD] [--to YYYY-MM-DD]',
    summary: 'Per campaign: impressions, clicks, CTR, spend, conversions, revenue, ROAS (default: the last 7 days).',
    run: async (args, ctx) => {
      checkFlags(args, ['--from', '--to'], [], 'ads:report [--from YYYY-MM-DD] [--to YYYY-MM-DD]', 0);
      const from = flag(args, '--from');
      const to = flag(args, '--to');
      const range = adsReportRange({ ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
      const ads = new AdServer({ store: await ctx.store(), timeZone: ctx.config.recommender.timeZone });
      const campaigns = await ads.report(range);
      return {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        campaigns,
        ...(ctx.config.recommender.ads ? {} : { note: 'ads are off (ADS_ENABLED=false): no new impressions are recorded' }),
      };
    },
  },
};
