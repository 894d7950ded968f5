/**
 * Link codes on a real store (SQLite; the shared per-minute budget on MongoDB too when
 * MONGODB_URI is set): issue and redeem, expired and used codes, the guess limits per
 * customer, per IP (or channel account), per code and per minute for everyone, the owner's
 * notice, and races. The clock is injected: no sleeps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestAdapter, TurnContext, type Activity } from 'botbuilder-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteCustomer } from '../app/privacy-routes.js';
import { LocalEventBus } from '../bots/events.js';
import { canonicalLinkCode, LinkCodes, SharedGuessBudget, type LinkLimits } from '../bots/linking.js';
import { MergeLog } from '../bots/merge-log.js';
import { setClientIp } from '../bots/turn-state.js';
import type { LinkParty } from '../skills/link.js';
import { openStore, openSqliteStore, type ChannelId, type Locale, type Store, type StoreOptions } from '../store/index.js';
import { dropMongoDatabase } from './helpers/mongo.js';
import { mongoUriWithDb } from './helpers/processes.js';

const TTL = 10 * 60_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sa-linking-'));
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Logged {
  level: 'warn' | 'info';
  obj: object;
  msg: string;
}

function setup(limits: Partial<LinkLimits> = {}) {
  const clock = { now: T0 };
  const logs: Logged[] = [];
  const notices: Array<{ to: { channel: ChannelId; externalId: string }; activity: Partial<Activity> }> = [];
  const linker = new LinkCodes(store, store.botState, new LocalEventBus(), new MergeLog(), {
    codeTtlMs: TTL,
    limits: { perCustomer: 5, perSource: 10, perCode: 3, perMinute: 1000, ...limits },
    notices: {
      send: async (to, activity) => {
        notices.push({ to, activity });
        return 'sent';
      },
    },
    logger: { warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }), info: (obj, msg) => logs.push({ level: 'info', obj, msg }) },
    now: () => clock.now,
    // Issued codes never contain Z (the alphabet's last letter): the guesses below start with it, so they never hit one by chance.
    random: (max) => randomInt(max - 1),
  });
  return { linker, clock, logs, notices };
}

let seq = 0;

/** A new shopper on `channel`, as a turn of theirs sees itself (with the client IP when the channel has one). */
async function shopper(channel: ChannelId, opts: { ip?: string; locale?: Locale; known?: boolean } = {}): Promise<LinkParty> {
  const externalId = `${channel}-user-${++seq}-${randomBytes(3).toString('hex')}`;
  const locale = opts.locale ?? 'en';
  const customer = await store.customers.create({
    displayName: 'Shopper',
    locale,
    tags: opts.known ? [] : ['anonymous'],
    identities: [{ channel, externalId }],
  });
  const conversation = await store.conversations.create({ customerId: customer.id, channel, language: locale });
  const context = new TurnContext(new TestAdapter(), {
    type: 'message',
    channelId: channel,
    from: { id: externalId, name: '' },
    conversation: { id: `${channel}:${externalId}`, isGroup: false, conversationType: 'personal', name: '' },
    recipient: { id: 'shop-assistant', name: 'Shop Assistant' },
    text: 'link',
  });
  setClientIp(context, opts.ip);
  return { context, customer, conversation, locale };
}

/** A well-formed code that is not `code` (its second half changed). */
function nearMiss(code: string, n = 0): string {
  const c = canonicalLinkCode(code)!;
  const alphabet = '23456789';
  const last = alphabet[(alphabet.indexOf(c[7]!) + 1 + n) % alphabet.length] ?? '2';
  return `${c.slice(0, 4)}-${c.slice(4, 7)}${last === c[7] ? '9' : last}`;
}

/** A well-formed code whose first half is nobody's (it starts with Z; see `random` in `setup`). */
function randomGuess(): string {
  return `Z${randomBytes(4).toString('hex').slice(0, 3).toUpperCase()}-${randomBytes(4).toString('hex').slice(0, 4).toUpperCase()}`.replace(/[^0-9A-Z-]/g, '0');
}

describe('LinkCodes on SQLite', () => {
  it('links with the right code once, tells the owner on their channel and language, and refuses the code again', async () => {
    const { linker, notices, logs } = setup();
    const owner = await shopper('wechat', { locale: 'zh', known: true });
    const { code, expiresAt } = await linker.issue(owner);
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(expiresAt.getTime()).toBe(T0 + TTL);

    const visitor = await shopper('web', { ip: '198.51.100.1' });
    const typed = code.toLowerCase().replace('-', ' ');
    const result = await linker.redeem(typed, visitor);
    expect(result).toMatchObject({ ok: true, customer: { id: owner.customer.id } });
    expect(await store.customers.get(visitor.customer.id)).toBeNull();
    expect((await store.customers.get(owner.customer.id))!.identities.map((i) => i.channel).sort()).toEqual(['web', 'wechat']);

    // The owner hears it on the WeChat account that asked for the code, in Chinese, naming the web.
    expect(notices).toHaveLength(1);
    expect(notices[0]!.to).toEqual({ channel: 'wechat', externalId: owner.context.activity.from.id });
    expect(notices[0]!.activity.text).toBe('您的账号刚刚与网站客服账号绑定。如果不是您本人操作，请立即回复"转人工"联系客服。');
    expect(logs.find((l) => l.msg === 'accounts linked with a link code')?.obj).toMatchObject({ owner: owner.customer.id, redeemer: visitor.customer.id, channel: 'web' });

    // Used: its record no longer says whose it was (a customer's erasure finds bot state by the ids in its keys)...
    const key = `linkcodes/${canonicalLinkCode(code)!.slice(0, 4)}`;
    const spent = (await store.botState.read([key]))[key] as Record<string, unknown>;
    expect(spent).toMatchObject({ used: true, customerId: '', secret: '' });
    for (const id of [owner.customer.id, owner.context.activity.from.id]) expect(JSON.stringify(spent)).not.toContain(id);
    // ...nobody gets in with it again, and the answer is the same as for a wrong code.
    const other = await shopper('app');
    expect(await linker.redeem(code, other)).toEqual({ ok: false, reason: 'invalid' });
    expect(notices).toHaveLength(1);
  });

  it('an expired code is refused as expired (and a wrong one on its slot as invalid)', async () => {
    const { linker, clock, notices } = setup();
    const owner = await shopper('web', { ip: '198.51.100.2' });
    const { code } = await linker.issue(owner);
    const other = await shopper('wechat');
    clock.now = T0 + TTL - 1;
    const live = await linker.issue(await shopper('web', { ip: '198.51.100.3' }));
    clock.now = T0 + TTL;
    expect(await linker.redeem(code, other)).toEqual({ ok: false, reason: 'expired' });
    expect(await linker.redeem(nearMiss(code), other)).toEqual({ ok: false, reason: 'invalid' });
    expect(notices).toHaveLength(0);
    // A code issued a moment later still works.
    expect(await linker.redeem(live.code, other)).toMatchObject({ ok: true });
  });

  it('asking again replaces the code: only the newest one of a customer is live', async () => {
    const { linker } = setup();
    const owner = await shopper('web', { ip: '198.51.100.6' });
    const first = await linker.issue(owner);
    const second = await linker.issue(owner);
    expect(second.code).not.toBe(first.code);
    const other = await shopper('wechat');
    expect(await linker.redeem(first.code, other)).toEqual({ ok: false, reason: 'invalid' });
    expect(await linker.redeem(second.code, other)).toMatchObject({ ok: true });
  });

  it("a customer's erasure removes their live code's record too (its key names the code, not them), and the code no longer works", async () => {
    const { linker } = setup();
    const owner = await shopper('wechat', { known: true });
    const { code } = await linker.issue(owner);
    const slot = `linkcodes/${canonicalLinkCode(code)!.slice(0, 4)}`;
    expect(((await store.botState.read([slot]))[slot] as { customerId?: string } | undefined)?.customerId).toBe(owner.customer.id);

    const deleted = await deleteCustomer(store, owner.customer.id);
    expect(deleted.botState).toBeGreaterThanOrEqual(2); // the owner's pointer and the code's record
    expect((await store.botState.read([slot]))[slot]).toBeUndefined();
    expect(await store.botState.read([`linkcodes/owner/${owner.customer.id}`])).toEqual({});
    const other = await shopper('web', { ip: '198.51.100.77' });
    expect(await linker.redeem(code, other)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it("one's own code answers 'same' and costs no guess", async () => {
    const { linker } = setup({ perCustomer: 2 });
    const owner = await shopper('web', { ip: '198.51.100.4' });
    const { code } = await linker.issue(owner);
    for (let i = 0; i < 5; i++) expect(await linker.redeem(code, owner)).toEqual({ ok: false, reason: 'same' });
    expect(await linker.redeem(randomGuess(), owner)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a typo that is not a code shape (old 6 digits, 7 characters) is no guess', async () => {
    const { linker } = setup({ perCustomer: 1, perSource: 1 });
    const s = await shopper('web', { ip: '198.51.100.5' });
    for (let i = 0; i < 5; i++) expect(await linker.redeem('482913', s)).toEqual({ ok: false, reason: 'invalid' });
    expect(await linker.redeem(randomGuess(), s)).toEqual({ ok: false, reason: 'invalid' });
    expect(await linker.redeem(randomGuess(), s)).toEqual({ ok: false, reason: 'rate_limited' });
  });

  it('per customer: 5 wrong codes, then refused whatever the IP, until the window ends', async () => {
    const { linker, clock } = setup();
    const owner = await shopper('wechat');
    const { code } = await linker.issue(owner);
    const s = await shopper('web', { ip: '198.51.100.10' });
    for (let i = 0; i < 5; i++) expect(await linker.redeem(randomGuess(), s), `guess ${i}`).toEqual({ ok: false, reason: 'invalid' });
    s.context.turnState.clear();
    setClientIp(s.context, '198.51.100.11');
    expect(await linker.redeem(code, s)).toEqual({ ok: false, reason: 'rate_limited' });
    clock.now += TTL;
    const fresh = await linker.issue(owner);
    expect(await linker.redeem(fresh.code, s)).toMatchObject({ ok: true });
  });

  it('per IP: fresh visitors from one IP share its 10 wrong codes; another IP and a WeChat account are not held up', async () => {
    const { linker } = setup();
    const owner = await shopper('wechat');
    const { code } = await linker.issue(owner);
    const outcomes: string[] = [];
    // Five fresh anonymous visitors, as POST /api/web/session makes them, 5 guesses each.
    for (let v = 0; v < 5; v++) {
      const visitor = await shopper('web', { ip: '203.0.113.9' });
      for (let g = 0; g < 5; g++) {
        const r = await linker.redeem(randomGuess(), visitor);
        outcomes.push(r.ok ? 'ok' : r.reason);
      }
    }
    expect(outcomes.filter((o) => o === 'invalid')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'rate_limited')).toHaveLength(15);
    // Even the right code from that IP waits now...
    const late = await shopper('web', { ip: '203.0.113.9' });
    expect(await linker.redeem(code, late)).toEqual({ ok: false, reason: 'rate_limited' });
    // ...an IPv6 visitor is counted by the /64 it holds, not per address...
    const v6: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await linker.redeem(randomGuess(), await shopper('web', { ip: `2001:db8:7:7::${i.toString(16)}` }));
      v6.push(r.ok ? 'ok' : r.reason);
    }
    expect(v6.filter((o) => o === 'rate_limited')).toHaveLength(2);
    // ...and the legitimate shopper on WeChat (no IP: counted by their account) links.
    const mine = await shopper('wechat');
    expect(await linker.redeem(code, mine)).toMatchObject({ ok: true });
  });

  it('per code: 3 wrong second halves with its first half void a live code; 2 do not', async () => {
    const { linker, logs } = setup({ perCustomer: 100, perSource: 100 });
    const owner = await shopper('web', { ip: '198.51.100.20' });
    const attacker = await shopper('web', { ip: '198.51.100.21' });
    const kept = await linker.issue(owner);
    for (let i = 0; i < 2; i++) expect(await linker.redeem(nearMiss(kept.code, i), attacker)).toEqual({ ok: false, reason: 'invalid' });
    const other = await shopper('app');
    expect(await linker.redeem(kept.code, other)).toMatchObject({ ok: true });

    const owner2 = await shopper('web', { ip: '198.51.100.22' });
    const voided = await linker.issue(owner2);
    for (let i = 0; i < 3; i++) expect(await linker.redeem(nearMiss(voided.code, i), attacker)).toEqual({ ok: false, reason: 'invalid' });
    expect(logs.some((l) => l.level === 'warn' && l.msg.startsWith('link code void'))).toBe(true);
    expect(await linker.redeem(voided.code, await shopper('app'))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('globally: after perMinute wrong codes from many IPs redeeming pauses for everyone (right code too) with one warning, and resumes next minute', async () => {
    const { linker, clock, logs, notices } = setup({ perMinute: 6 });
    // This test's budget starts empty: a minute no other test used.
    clock.now = T0 + 7 * 24 * 3600_000;
    const owner = await shopper('web', { ip: '198.51.100.30' });
    const { code } = await linker.issue(owner);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await linker.redeem(randomGuess(), await shopper('web', { ip: `192.0.2.${i + 1}` }));
      outcomes.push(r.ok ? 'ok' : r.reason);
    }
    expect(outcomes.filter((o) => o === 'invalid')).toHaveLength(6);
    expect(outcomes.filter((o) => o === 'paused')).toHaveLength(14);
    const mine = await shopper('wechat');
    expect(await linker.redeem(code, mine)).toEqual({ ok: false, reason: 'paused' });
    const warnings = logs.filter((l) => l.level === 'warn' && l.msg.includes('redeeming paused'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj).toMatchObject({ limitPerMinute: 6 });
    expect(notices).toHaveLength(0);
    // The next minute the legitimate shopper gets in.
    clock.now = (Math.floor(clock.now / 60_000) + 1) * 60_000;
    expect(await linker.redeem(code, mine)).toMatchObject({ ok: true });
    expect(notices).toHaveLength(1);
  });

  it('two shoppers redeeming one code at the same moment: exactly one is linked', async () => {
    const { linker, notices } = setup();
    const owner = await shopper('web', { ip: '198.51.100.40' });
    const { code } = await linker.issue(owner);
    const a = await shopper('wechat');
    const b = await shopper('app');
    const results = await Promise.all([linker.redeem(code, a), linker.redeem(code, b)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'invalid' }]);
    expect(notices).toHaveLength(1);
  });
});

/** Two nodes' budgets over one store each (same database): the per-minute limit holds across them. */
function budgetAcrossNodes(name: string, open: () => Promise<{ a: Store; b: Store; dispose: () => Promise<void> }>) {
  describe(`SharedGuessBudget across two nodes on ${name}`, () => {
    it('admits exactly perMinute guesses per minute, whatever the concurrency, and gives back successes', async () => {
      const { a, b, dispose } = await open();
      try {
        let now = Date.UTC(2031, 5, 1, 8, 30, 0);
        const key = `linkguard/test-${randomBytes(4).toString('hex')}`;
        const nodeA = new SharedGuessBudget(a.botState, 15, () => now, key);
        const nodeB = new SharedGuessBudget(b.botState, 15, () => now, key);
        // The deployment's first guess makes the record (see SharedGuessBudget.take); from then on, compare-and-set only.
        expect(await nodeA.take()).toBe(true);
        const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? nodeA : nodeB).take()));
        const admitted = 1 + burst.filter(Boolean).length;
        expect(admitted).toBeLessThanOrEqual(15);
        // Whatever the burst left (a take that lost every compare-and-set is refused, not counted) is still there, exactly.
        let more = 0;
        while (await (more % 2 ? nodeA : nodeB).take()) more++;
        expect(admitted + more).toBe(15);
        expect(nodeA.pausedUntil() || nodeB.pausedUntil()).toBe((Math.floor(now / 60_000) + 1) * 60_000);
        // A success gives its guess back: one more is admitted (on a node that did not see the pause yet).
        const nodeC = new SharedGuessBudget(a.botState, 15, () => now, key);
        await nodeC.giveBack();
        expect(await nodeC.take()).toBe(true);
        expect(await nodeC.take()).toBe(false);
        // The next minute, a fresh budget.
        now += 60_000;
        expect(await nodeA.take()).toBe(true);
        expect(await nodeB.take()).toBe(true);
      } finally {
        await dispose();
      }
    });
  });
}

budgetAcrossNodes('one SQLite file', async () => {
  const file = path.join(dir, 'shop.db');
  const a = await openSqliteStore({ file });
  const b = await openSqliteStore({ file });
  return {
    a,
    b,
    dispose: async () => {
      await a.close();
      await b.close();
    },
  };
});

const mongoBase = process.env['MONGODB_URI'];
if (mongoBase) {
  budgetAcrossNodes('one MongoDB database', async () => {
    const uri = mongoUriWithDb(mongoBase, `sa_linking_${randomBytes(4).toString('hex')}`);
    const opts: StoreOptions = { kind: 'mongo', uri, serverSelectionTimeoutMS: 5000 };
    const a = await openStore(opts);
    const b = await openStore(opts);
    return {
      a,
      b,
      dispose: async () => {
        await a.close();
        await b.close();
        await dropMongoDatabase(uri);
      },
    };
  });
}
