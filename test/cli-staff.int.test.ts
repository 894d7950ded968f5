import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../app/cli/command.js';
import { staffCommands } from '../app/cli/staff-commands.js';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { verifyPassword } from '../app/passwords.js';
import { Progress } from '../app/progress.js';
import { AdServer, adSource } from '../recommender/ads/index.js';
import { openSqliteStore, type Store } from '../store/index.js';
import { runCli, runEntry } from './helpers/processes.js';

/*
 * Two parts on one SQLite file: the commands run in-process for the many cases (fast), and
 * through the real CLI (`cli.ts` in a tsx process: stdin, JSON on stdout, exit codes) for
 * each command once. A CLI process costs about 4 s of CPU to start, so those runs are few
 * and go in parallel.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'sa-cli-staff-'));
const TZ = 'Asia/Shanghai';
const DATA_DIR = path.join(dir, 'data');
const env = { DATA_DIR, LOG_LEVEL: 'warn', SHOP_TIME_ZONE: TZ, AGENT_PASSWORD: undefined, ADMIN_TOKEN: undefined };
let store: Store;
let ctx: CommandContext;

const run = (name: string, args: string[]) => staffCommands[name]!.run(args, ctx) as Promise<Record<string, unknown>>;
const addArgs = (email: string, role: string) => ['--email', email, '--name', `Name ${role}`, '--role', role, '--languages', 'en,zh', '--skills', 'Returns,vip', '--capacity', '4'];
const hashOf = async (email: string) => (await store.agents.getByEmail(email))!.passwordHash;

/** A real CLI run; `input` goes to its stdin (for --password-stdin). */
async function cli(args: string[], input?: string) {
  if (input === undefined) return runCli(args, env);
  const p = runEntry('cli.ts', args, env);
  p.child.stdin.end(input);
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

const tent = { id: 'cmp_tent', name: 'Tents', productId: 'P-TENT-1', bid: 1.5, dailyBudget: 100, status: 'active', startsAt: '2026-01-01T00:00:00.000Z', targeting: { categories: ['camping'], intents: [], keywords: ['tent', '帐篷'] } };
const lamp = { id: 'cmp_lamp', name: 'Lamps', productId: 'P-LAMP-1', bid: 0.8, dailyBudget: 30 };

beforeAll(async () => {
  // Opened here first, so migrations run once before any CLI process opens the file.
  store = await openSqliteStore({ file: path.join(DATA_DIR, 'shop.db') });
  ctx = { store: async () => store, config: loadConfig({ DATA_DIR, SHOP_TIME_ZONE: TZ }, dir), logger: createLogger({ level: 'silent' }), progress: new Progress() };
  for (const id of ['P-TENT-1', 'P-LAMP-1']) {
    await store.products.upsert({ id, category: 'camping', title: { en: id, zh: id }, description: { en: 'Outdoors.', zh: '户外。' }, price: 100, currency: 'CNY', stock: 5, attributes: {}, tags: [] });
  }
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('staff commands (in-process, real SQLite store)', () => {
  it('agents:add takes the password from AGENT_PASSWORD or prints a generated one, and has no --password flag', async () => {
    process.env['AGENT_PASSWORD'] = 'env password 4567';
    let fromEnv: Record<string, unknown>;
    try {
      fromEnv = await run('agents:add', addArgs('Sup@Shop.Example', 'supervisor'));
    } finally {
      delete process.env['AGENT_PASSWORD'];
    }
    expect(fromEnv).toEqual({ agent: expect.objectContaining({ email: 'sup@shop.example', role: 'supervisor', languages: ['en', 'zh'], skills: ['returns', 'vip'], capacity: 4, load: 0 }) });
    expect(await verifyPassword('env password 4567', await hashOf('sup@shop.example'))).toBe(true);

    const generated = await run('agents:add', addArgs('agent@shop.example', 'agent'));
    const printed = generated['password'] as string;
    expect(printed.length).toBeGreaterThanOrEqual(20);
    expect(await verifyPassword(printed, await hashOf('agent@shop.example'))).toBe(true);
    expect(JSON.stringify(generated)).not.toMatch(/scrypt|passwordHash/);

    await expect(run('agents:add', [...addArgs('leak@shop.example', 'agent'), '--password', 'in shell history'])).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/unexpected argument "--password"/),
    });
    await expect(run('agents:add', ['--email', 'x@shop.example', '--name', 'X', '--languages', 'en'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/--role is required/) });
    await expect(run('agents:add', [...addArgs('y@shop.example', 'agent').slice(0, -2), '--capacity', 'lots'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/--capacity must be a number/) });
    await expect(run('agents:add', [...addArgs('z@shop.example', 'agent'), '--role', 'admin'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/--role is given twice/) });
    await expect(run('agents:add', addArgs('AGENT@shop.example', 'agent'))).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.agents.list({}, { limit: 100 })).items.map((a) => a.email).sort()).toEqual(['agent@shop.example', 'sup@shop.example']);
  });

  it('agents:set and agents:delete refuse the last admin and an agent with assigned conversations', async () => {
    expect(await run('agents:set', ['sup@shop.example', '--role', 'admin'])).toMatchObject({ agent: { role: 'admin' } });
    await expect(run('agents:set', ['sup@shop.example', '--role', 'agent'])).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/last admin/) });
    await expect(run('agents:delete', ['sup@shop.example'])).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/last admin/) });
    await expect(run('agents:set', ['sup@shop.example', '--status', 'asleep'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/status/) });
    await expect(run('agents:set', ['sup@shop.example'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/nothing to change/) });
    await expect(run('agents:set', ['nobody@shop.example', '--capacity', '2'])).rejects.toMatchObject({ code: 'not_found' });

    const agent = (await store.agents.getByEmail('agent@shop.example'))!;
    const customer = await store.customers.create({ displayName: 'Camper' });
    const conv = await store.conversations.create({ customerId: customer.id, channel: 'web' });
    await store.conversations.enqueue(conv.id, { priority: 1, reason: 'asked_for_human' });
    await store.conversations.claim(conv.id, agent.id);
    expect(((await run('agents:list', [])).agents as Array<{ email: string; load: number }>).find((a) => a.email === 'agent@shop.example')?.load).toBe(1);
    await expect(run('agents:delete', ['agent@shop.example'])).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/1 assigned conversation/) });
    await store.conversations.resolve(conv.id);
    expect(await store.agents.getByEmail('agent@shop.example')).not.toBeNull();
  });

  it('campaigns:add checks every campaign of a file before storing any; campaigns:set validates', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ ...tent, id: 'cmp_ok' }, { ...lamp, id: 'cmp_bad', productId: 'P-NONE' }]));
    await expect(run('campaigns:add', ['--file', bad])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/campaign \[1\].*productId/) });
    expect(await store.campaigns.get('cmp_ok')).toBeNull();
    const twice = path.join(dir, 'twice.json');
    writeFileSync(twice, JSON.stringify([lamp, lamp]));
    await expect(run('campaigns:add', ['--file', twice])).rejects.toThrow(/cmp_lamp appears twice/);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '[{"id":');
    await expect(run('campaigns:add', ['--file', broken])).rejects.toThrow(/cannot read .*broken\.json/);
    await expect(run('campaigns:set', ['cmp_none', '--status', 'paused'])).rejects.toMatchObject({ code: 'not_found' });
    await expect(run('campaigns:list', ['--status', 'running'])).rejects.toMatchObject({ code: 'bad_request' });
    expect(await run('campaigns:list', [])).toEqual({ campaigns: [] });
    await expect(run('ads:report', ['--from', '10/03/2026'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/from/) });
    await expect(run('ads:report', ['--from', '2026-03-12', '--to', '2026-03-01'])).rejects.toMatchObject({ code: 'bad_request' });

    const one = path.join(dir, 'lamp.json');
    writeFileSync(one, JSON.stringify(lamp));
    const added = await run('campaigns:add', ['--file', one]);
    expect(added['created']).toEqual([expect.objectContaining({ id: 'cmp_lamp', status: 'active', bid: 0.8, targeting: { categories: [], intents: [], keywords: [] } })]);
    await expect(run('campaigns:add', ['--file', one])).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/cmp_lamp exists already/) });
    await expect(run('campaigns:set', ['cmp_lamp', '--status', 'running'])).rejects.toMatchObject({ code: 'bad_request' });
    await expect(run('campaigns:set', ['cmp_lamp', '--bid', '0'])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/bid/) });
  });
});

describe('staff commands through the real CLI', () => {
  it('agents:add (password on stdin), agents:set, agents:delete, campaigns:add, campaigns:set; then campaigns:list and ads:report', async () => {
    process.env['AGENT_PASSWORD'] = 'leaving password 1';
    try {
      await run('agents:add', addArgs('leaving@shop.example', 'agent'));
    } finally {
      delete process.env['AGENT_PASSWORD'];
    }
    const file = path.join(dir, 'campaigns.json');
    writeFileSync(file, JSON.stringify([tent]));
    // one batch: the five runs touch different records
    const [added, set, del, campaigns, paused] = await Promise.all([
      cli(['agents:add', ...addArgs('Boss@Shop.Example', 'admin'), '--password-stdin'], 'stdin password 123\n'),
      cli(['agents:set', 'AGENT@shop.example', '--role', 'supervisor', '--capacity', '7', '--status', 'away', '--skills', 'orders', '--password-stdin'], 'a new password!\n'),
      cli(['agents:delete', 'leaving@shop.example']),
      cli(['campaigns:add', '--file', file]),
      cli(['campaigns:set', 'cmp_lamp', '--status', 'paused', '--daily-budget', '80', '--bid', '1.25']),
    ]);
    for (const r of [added, set, del, campaigns, paused]) expect(r.code, r.stderr).toBe(0);

    expect(JSON.parse(added.stdout)).toEqual({ agent: expect.objectContaining({ email: 'boss@shop.example', role: 'admin', load: 0 }) });
    expect(added.stdout).not.toMatch(/scrypt|stdin password/);
    expect(await verifyPassword('stdin password 123', await hashOf('boss@shop.example'))).toBe(true);

    expect(JSON.parse(set.stdout)).toMatchObject({ agent: { email: 'agent@shop.example', role: 'supervisor', capacity: 7, status: 'away', skills: ['orders'] }, passwordChanged: true });
    expect(set.stdout).not.toMatch(/scrypt|a new password/);
    expect(await verifyPassword('a new password!', await hashOf('agent@shop.example'))).toBe(true);

    expect(JSON.parse(del.stdout)).toMatchObject({ deleted: { email: 'leaving@shop.example' } });
    expect(await store.agents.getByEmail('leaving@shop.example')).toBeNull();

    expect((JSON.parse(campaigns.stdout) as { created: Array<{ id: string }> }).created.map((c) => c.id)).toEqual(['cmp_tent']);
    expect(JSON.parse(paused.stdout)).toMatchObject({ campaign: { id: 'cmp_lamp', status: 'paused', dailyBudget: 80, bid: 1.25 } });
    expect(await store.campaigns.get('cmp_lamp')).toMatchObject({ status: 'paused', dailyBudget: 80, bid: 1.25 });
    expect(await run('campaigns:list', ['--status', 'active'])).toEqual({ campaigns: [expect.objectContaining({ id: 'cmp_tent', status: 'active' })] });
    const agents = (await run('agents:list', [])).agents as Array<{ email: string }>;
    expect(agents.map((a) => a.email).sort()).toEqual(['agent@shop.example', 'boss@shop.example', 'sup@shop.example']);

    // ads:report on activity of 2026-03-10 (and one impression outside the range)
    const customer = await store.customers.create({ displayName: 'Hiker' });
    const at = (h: number) => new Date(Date.parse('2026-03-10T04:00:00Z') + h * 3600_000);
    const ad = { customerId: customer.id, productId: 'P-TENT-1', source: adSource('cmp_tent') };
    await store.interactions.recordMany([
      ...[0, 1, 2, 3].map((h) => ({ ...ad, type: 'impression' as const, createdAt: at(h) })),
      { ...ad, type: 'click', createdAt: at(1) },
      { ...ad, type: 'purchase', value: 100, createdAt: at(2) },
      { ...ad, type: 'impression', createdAt: new Date('2026-04-01T04:00:00Z') },
    ]);
    await store.campaigns.charge('cmp_tent', '2026-03-10', 1.5);
    const report = (await run('ads:report', ['--from', '2026-03-09', '--to', '2026-03-11'])) as { from: string; to: string; campaigns: Array<Record<string, unknown>> };
    expect(report).toMatchObject({ from: '2026-03-09T00:00:00.000Z', to: '2026-03-11T23:59:59.999Z' });
    // the ad server's own report (what GET /api/admin/ads/report answers), not a second computation
    expect(report.campaigns).toEqual(await new AdServer({ store, timeZone: TZ }).report({ from: new Date(report.from), to: new Date(report.to) }));
    expect(report.campaigns.find((c) => c['campaignId'] === 'cmp_tent')).toMatchObject({ impressions: 4, clicks: 1, chargedClicks: 1, spend: 1.5, conversions: 1, revenue: 100 });
  }, 120_000);
});
