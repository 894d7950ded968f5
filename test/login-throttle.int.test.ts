/**
 * Console logins and sessions on a real SQLite store with a fake clock (ConsoleAuth as the
 * server builds it): the per-address throttle, the per-(e-mail, address) lockout and the
 * per-e-mail slow-down for new addresses, their bounded tables (expired entries go first, a
 * full table evicts the entry with the fewest failures), unknown e-mails refused before any
 * lookup or scrypt once throttled, and the
 * purge of expired sessions (on demand and on its timer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleAuth } from '../app/console/auth.js';
import { ExpiringCounts, throttleKey } from '../app/console/login-throttle.js';
import { loadConfig } from '../app/config.js';
import { hashPassword } from '../app/passwords.js';
import { openSqliteStore, ShopError, type AgentRepository, type Store } from '../store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-login-throttle-'));
const PASSWORD = 'the right password 123';
const EMAIL = 'ada@shop.example';
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  await store.agents.create({ email: EMAIL, name: 'Ada', role: 'agent', passwordHash: await hashPassword(PASSWORD), languages: ['en'], skills: [], capacity: 2 });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store's agents, counting e-mail lookups (each one is followed by a scrypt). */
function countingAgents(): { agents: AgentRepository; lookups: () => number } {
  let n = 0;
  const real = store.agents;
  const agents: AgentRepository = Object.assign(Object.create(real) as AgentRepository, {
    getByEmail: (email: string) => {
      n += 1;
      return real.getByEmail(email);
    },
  });
  return { agents, lookups: () => n };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (!(err instanceof ShopError)) throw err;
    const reason = err.details?.['reason'];
    return typeof reason === 'string' ? `${err.code}:${reason}` : err.code;
  }
}

describe('login throttle', () => {
  it('refuses a throttled address before any lookup or password check, and lifts at the end of its window', async () => {
    let now = 1_000_000;
    const { agents, lookups } = countingAgents();
    const auth = new ConsoleAuth({ agents, sessions: store.botState, now: () => now, ipMaxFailures: 3, ipWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(await outcome(auth.login(`nobody-${i}@shop.example`, 'guess', '10.0.0.1'))).toBe('unauthorized');
    expect(lookups()).toBe(3);
    for (let i = 0; i < 20; i++) expect(await outcome(auth.login(`nobody-more-${i}@shop.example`, 'guess', '10.0.0.1'))).toBe('rate_limited:ip_throttled');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.0.1'))).toBe('rate_limited:ip_throttled');
    // Twenty-one refusals, not one lookup (so not one scrypt) among them.
    expect(lookups()).toBe(3);
    now += 60_001;
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.0.1'))).toBe('ok');
  });

  it('a successful login does not launder earlier failures of its address', async () => {
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, ipMaxFailures: 3, maxFailures: 10 });
    expect(await outcome(auth.login('x1@shop.example', 'guess', '10.0.1.1'))).toBe('unauthorized');
    expect(await outcome(auth.login('x2@shop.example', 'guess', '10.0.1.1'))).toBe('unauthorized');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.1.1'))).toBe('ok');
    expect(await outcome(auth.login('x3@shop.example', 'guess', '10.0.1.1'))).toBe('unauthorized');
    expect(await outcome(auth.login('x4@shop.example', 'guess', '10.0.1.1'))).toBe('rate_limited:ip_throttled');
  });

  it('locks an e-mail out per address: the lockout lasts lockoutMs after the last failure', async () => {
    let now = 5_000_000;
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, now: () => now, maxFailures: 2, lockoutMs: 60_000, ipMaxFailures: 100 });
    expect(await outcome(auth.login(EMAIL, 'wrong', '10.0.2.1'))).toBe('unauthorized');
    expect(await outcome(auth.login(EMAIL, 'wrong', '10.0.2.1'))).toBe('unauthorized');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.2.1'))).toBe('rate_limited:locked_out');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.2.2'))).toBe('ok');
    now += 59_000;
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.2.1'))).toBe('rate_limited:locked_out');
    now += 2_000;
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.2.1'))).toBe('ok');
  });

  it('keeps a bounded table: when it is full of live entries a new address evicts the entry with the fewest failures, never a throttled one', async () => {
    let now = 9_000_000;
    const { agents, lookups } = countingAgents();
    const auth = new ConsoleAuth({ agents, sessions: store.botState, now: () => now, ipMaxFailures: 3, maxFailures: 2, ipWindowMs: 60_000, throttleMaxKeys: 4 });
    // A throttled address, and a pair locked out from another address (that address one failure short of its limit).
    for (let i = 0; i < 3; i++) expect(await outcome(auth.login(`a${i}@shop.example`, 'guess', '10.0.3.1'))).toBe('unauthorized');
    for (let i = 0; i < 2; i++) expect(await outcome(auth.login(EMAIL, 'guess', '10.0.3.2'))).toBe('unauthorized');
    // A flood of one-failure addresses (an attacker's /48 of /64s): each is counted, and each
    // one evicts an earlier one-failure entry, not the throttled address or the locked pair.
    for (let i = 0; i < 12; i++) {
      expect(await outcome(auth.login(`flood-${i}@shop.example`, 'guess', `2001:db8:0:${i.toString(16)}::1`))).toBe('unauthorized');
    }
    expect(lookups()).toBe(3 + 2 + 12);
    // An agent from a new address gets in (it used to get 429 throttle_full here).
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.4.1'))).toBe('ok');
    // The throttled address and the locked-out pair kept their counts through the flood.
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.3.1'))).toBe('rate_limited:ip_throttled');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.3.2'))).toBe('rate_limited:locked_out');
    now += 60_001;
    // The window is over, and the lockout (60 s after its last failure, at `now` 9,000,000): both lift.
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.3.1'))).toBe('ok');
    now += 15 * 60_000;
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.3.2'))).toBe('ok');
  });

  it('evicts, when full, the live entry with the lowest count, the longest held among equals', () => {
    let evictions = 0;
    const counts = new ExpiringCounts(60_000, false, 3, () => (evictions += 1));
    counts.add('a', 0);
    counts.add('b', 1);
    counts.add('c', 2);
    counts.add('a', 3); // a: 2
    counts.add('d', 4); // full: b (count 1, oldest) goes
    expect([counts.count('a', 5), counts.count('b', 5), counts.count('c', 5), counts.count('d', 5)]).toEqual([2, 0, 1, 1]);
    counts.add('e', 6); // c goes (count 1, older than d)
    expect([counts.count('c', 7), counts.count('d', 7), counts.count('e', 7)]).toEqual([0, 1, 1]);
    counts.subtract('a'); // a back to 1, now the newest at 1
    counts.add('f', 8); // d goes
    expect([counts.count('a', 9), counts.count('d', 9), counts.count('e', 9), counts.count('f', 9)]).toEqual([1, 0, 1, 1]);
    expect(evictions).toBe(3);
    expect(counts.size).toBe(3);
    // Expired entries make room before any live one is evicted.
    counts.add('g', 60_005);
    expect(evictions).toBe(3);
    expect(counts.size).toBe(3);
    expect(counts.count('g', 60_006)).toBe(1);
  });

  it('slows guesses at one e-mail from many addresses, but lets its owner in from an address they logged in from before', async () => {
    let now = 20_000_000;
    const { agents, lookups } = countingAgents();
    const auth = new ConsoleAuth({ agents, sessions: store.botState, now: () => now, emailMaxFailures: 4, ipWindowMs: 60_000 });
    // The agent's usual address.
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.9.1'))).toBe('ok');
    // Four addresses, one guess each: each is under its own limits.
    for (let i = 0; i < 4; i++) expect(await outcome(auth.login(EMAIL, 'guess', `10.0.10.${i}`))).toBe('unauthorized');
    const before = lookups();
    // The e-mail has had its failures for the window: new addresses are refused before any lookup, even with the right password.
    expect(await outcome(auth.login(EMAIL, 'guess', '10.0.10.4'))).toBe('rate_limited:email_throttled');
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.10.5'))).toBe('rate_limited:email_throttled');
    expect(await outcome(auth.login(EMAIL.toUpperCase(), PASSWORD, '2001:db8:5::1'))).toBe('rate_limited:email_throttled');
    expect(lookups()).toBe(before);
    // Its owner, from their usual address, still gets in; other e-mails from the attackers' addresses are not affected.
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.9.1'))).toBe('ok');
    expect(await outcome(auth.login('someone-else@shop.example', 'guess', '10.0.10.6'))).toBe('unauthorized');
    // The window (from the e-mail's first failure) passes: new addresses may try again.
    now += 60_001;
    expect(await outcome(auth.login(EMAIL, PASSWORD, '10.0.10.5'))).toBe('ok');
  });

  it('reads CONSOLE_LOGIN_EMAIL_MAX_FAILURES (default 50, 0 turns it off) and refuses a bad value by name', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'sa-login-throttle-config-'));
    try {
      expect(loadConfig({}, cwd).console.emailMaxFailures).toBe(50);
      expect(loadConfig({ CONSOLE_LOGIN_EMAIL_MAX_FAILURES: '0' }, cwd).console.emailMaxFailures).toBe(0);
      expect(() => loadConfig({ CONSOLE_LOGIN_EMAIL_MAX_FAILURES: 'lots' }, cwd)).toThrow(/CONSOLE_LOGIN_EMAIL_MAX_FAILURES: expected an integer/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('counts IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(throttleKey('2001:db8:1:2:aaaa::1')).toBe(throttleKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(throttleKey('2001:db8:1:2::1')).not.toBe(throttleKey('2001:db8:1:3::1'));
    expect(throttleKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttleKey('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleKey(undefined)).toBe('unknown');
  });
});

describe('console sessions', () => {
  const sessionRows = async () => (await store.counts())['botState'];

  it('purges expired sessions (and their expiry bucket), keeping live ones', async () => {
    let now = Date.UTC(2030, 0, 1, 8, 0, 0);
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, now: () => now, sessionTtlMs: 3600_000 });
    const rowsBefore = await sessionRows();
    const first = await auth.login(EMAIL, PASSWORD, '10.0.5.1');
    now += 2 * 3600_000;
    const second = await auth.login(EMAIL, PASSWORD, '10.0.5.1');
    // Two sessions and two expiry buckets (their hours differ).
    expect(await sessionRows()).toBe(rowsBefore + 4);
    now += 30 * 60_000; // the first expired over an hour ago; the second has 30 minutes left
    expect(await auth.purgeExpiredSessions()).toBe(1);
    expect(await sessionRows()).toBe(rowsBefore + 2);
    expect(await auth.session(first.token)).toBeNull();
    expect((await auth.session(second.token))?.agent.email).toBe(EMAIL);
    // Nothing left to do until the second one's hour is over.
    expect(await auth.purgeExpiredSessions()).toBe(0);
    now += 2 * 3600_000;
    expect(await auth.purgeExpiredSessions()).toBe(1);
    expect(await sessionRows()).toBe(rowsBefore);
  });

  it('purges on its timer', async () => {
    let now = Date.UTC(2031, 0, 1, 8, 0, 0);
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, now: () => now, sessionTtlMs: 3600_000 });
    const rowsBefore = await sessionRows();
    await auth.login(EMAIL, PASSWORD, '10.0.6.1');
    expect(await sessionRows()).toBe(rowsBefore + 2);
    now += 3 * 3600_000;
    const stop = auth.startPurging(20);
    try {
      await expect.poll(sessionRows, { timeout: 5000 }).toBe(rowsBefore);
    } finally {
      stop();
    }
  });

  it('deletes an expired session when it is presented', async () => {
    let now = Date.UTC(2032, 0, 1, 8, 0, 0);
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, now: () => now, sessionTtlMs: 3600_000 });
    const rowsBefore = await sessionRows();
    const s = await auth.login(EMAIL, PASSWORD, '10.0.7.1');
    now += 3600_001;
    expect(await auth.session(s.token)).toBeNull();
    expect(await sessionRows()).toBe(rowsBefore + 1); // the session went; its bucket waits for the purge
    now += 3600_000;
    await auth.purgeExpiredSessions();
    expect(await sessionRows()).toBe(rowsBefore);
  });

  it('lists concurrent logins in one bucket without losing any', async () => {
    let now = Date.UTC(2033, 0, 1, 8, 0, 0);
    const auth = new ConsoleAuth({ agents: store.agents, sessions: store.botState, now: () => now, sessionTtlMs: 3600_000 });
    const rowsBefore = await sessionRows();
    await Promise.all(Array.from({ length: 8 }, (_, i) => auth.login(EMAIL, PASSWORD, `10.0.8.${i}`)));
    expect(await sessionRows()).toBe(rowsBefore + 9); // eight sessions, one bucket
    now += 3 * 3600_000;
    expect(await auth.purgeExpiredSessions()).toBe(8);
    expect(await sessionRows()).toBe(rowsBefore);
  });
});
