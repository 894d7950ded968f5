import { isIPv4, isIPv6 } from 'node:net';

/**
 * Counts that expire, in a bounded Map kept in order of expiry (the front expires first), so
 * expired entries are dropped from the front in O(1) amortised and a live entry is never
 * dropped to make room: when the map is full of live entries, `add` of a new key fails and
 * the caller decides (refuse, or rely on another limit).
 *
 * `sliding`: each `add` restarts the entry's life (a lockout that lasts `ttlMs` after the last
 * failure); otherwise the entry lives `ttlMs` from its first `add` (a fixed window).
 */
export class ExpiringCounts {
  private readonly entries = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly sliding: boolean,
    readonly maxKeys: number,
  ) {}

  /** The live count of `key` (0 when unknown or expired). */
  count(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return 0;
    }
    return e.count;
  }

  /** When `key`'s count lapses (0 when it has none). */
  expiresAt(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.expiresAt > now ? e.expiresAt : 0;
  }

  /** Counts one more for `key`; null when `key` is new and every entry is still live (nothing was dropped). */
  add(key: string, now: number): number | null {
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) {
      e.count += 1;
      if (this.sliding) {
        e.expiresAt = now + this.ttlMs;
        // Keeps the map in order of expiry: the entry that now lapses last goes to the back.
        this.entries.delete(key);
        this.entries.set(key, e);
      }
      return e.count;
    }
    if (e) this.entries.delete(key);
    this.dropExpired(now);
    if (this.entries.size >= this.maxKeys) return null;
    this.entries.set(key, { count: 1, expiresAt: now + this.ttlMs });
    return 1;
  }

  /** Takes one back (an attempt that succeeded, or could not be checked). */
  subtract(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.count -= 1;
    if (e.count <= 0) this.entries.delete(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private dropExpired(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(k);
    }
  }
}

/**
 * The address a login throttle counts by: an IPv4 address (IPv4-mapped IPv6 included) as is,
 * an IPv6 address by its /64 (one subscriber gets a whole /64, so counting single IPv6
 * addresses would give an attacker billions of fresh counters).
 */
export function throttleKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return ip.slice(0, 64);
  const [head = '', tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = bare.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = bare.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface LoginThrottleOptions {
  /** Failed logins per (e-mail, address) before that pair is locked out (CONSOLE_LOGIN_MAX_FAILURES). */
  maxFailures: number;
  /** How long a lockout lasts after its last failure (CONSOLE_LOCKOUT_MINUTES). */
  lockoutMs: number;
  /** Failed logins per address per window (CONSOLE_LOGIN_IP_MAX_FAILURES); beyond it every login from there waits. */
  ipMaxFailures: number;
  /** The window (CONSOLE_LOGIN_IP_WINDOW_MINUTES), counted from the first failure. */
  ipWindowMs: number;
  /** Addresses, and (e-mail, address) pairs, tracked at once (each map); default 50,000. */
  maxKeys?: number;
}

export type ThrottleVerdict =
  | { ok: true; attempt: LoginAttempt }
  | { ok: false; reason: 'ip_throttled' | 'locked_out' | 'throttle_full'; retryAfterSeconds: number };

/** A login attempt counted in advance as a failure: `succeeded()` takes it back, `failed()` keeps it. */
export interface LoginAttempt {
  succeeded(): void;
  /** Keeps the failure; true when it locked the (e-mail, address) pair out. */
  failed(): boolean;
  /** Neither (the check itself failed, e.g. the store is down): taken back. */
  abandoned(): void;
}

/**
 * Brute-force bounds on console logins, per node (in memory, like the rate limiter: with
 * N nodes behind a balancer an address gets up to N times the limits):
 *
 * - per address: at most `ipMaxFailures` failed logins per `ipWindowMs`; beyond that every
 *   login from the address is refused (429) before a password is checked, so guessing and
 *   e-mail spraying cost one scrypt per allowed failure and no more;
 * - per (e-mail, address): `maxFailures` failures lock that e-mail out from that address for
 *   `lockoutMs` after the last one. A stranger elsewhere cannot lock an agent out: the agent's
 *   own address keeps its own count.
 *
 * An attempt is counted before its password is checked and taken back when it succeeds, so
 * parallel attempts cannot slip past the limit while scrypt runs, and a successful login
 * never resets an address's failures (one known password cannot launder guesses at others).
 *
 * Memory is bounded (`maxKeys` per map). Expired entries go first; a live one is never
 * dropped. When the address map is full of live entries, an address it does not know yet
 * is refused (fail closed: it could not be counted); when the pair map is full, the attempt
 * goes on under its address's limit alone.
 */
export class LoginThrottle {
  private readonly ips: ExpiringCounts;
  private readonly pairs: ExpiringCounts;

  constructor(
    readonly opts: LoginThrottleOptions,
    private readonly now: () => number = Date.now,
    private readonly onFull?: (which: 'addresses' | 'pairs') => void,
  ) {
    const maxKeys = opts.maxKeys ?? 50_000;
    this.ips = new ExpiringCounts(opts.ipWindowMs, false, maxKeys);
    this.pairs = new ExpiringCounts(opts.lockoutMs, true, maxKeys);
  }

  /** Whether `email` may try a password from `ip` now; when it may, the attempt is already counted. */
  begin(email: string, ip: string | undefined): ThrottleVerdict {
    const now = this.now();
    const ipKey = throttleKey(ip);
    // A Map key: e-mail and address cannot run into each other (an e-mail holds no newline: the login body is trimmed and validated).
    const pairKey = `${email}\n${ipKey}`;
    const seconds = (until: number) => Math.max(1, Math.ceil((until - now) / 1000));
    if (this.ips.count(ipKey, now) >= this.opts.ipMaxFailures) {
      return { ok: false, reason: 'ip_throttled', retryAfterSeconds: seconds(this.ips.expiresAt(ipKey, now)) };
    }
    if (this.pairs.count(pairKey, now) >= this.opts.maxFailures) {
      return { ok: false, reason: 'locked_out', retryAfterSeconds: seconds(this.pairs.expiresAt(pairKey, now)) };
    }
    if (this.ips.add(ipKey, now) === null) {
      this.onFull?.('addresses');
      return { ok: false, reason: 'throttle_full', retryAfterSeconds: 60 };
    }
    const pairCount = this.pairs.add(pairKey, now);
    if (pairCount === null) this.onFull?.('pairs');
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    const takeBack = () => {
      this.ips.subtract(ipKey);
      if (pairCount !== null) this.pairs.subtract(pairKey);
    };
    return {
      ok: true,
      attempt: {
        succeeded: () =>
          settle(() => {
            this.ips.subtract(ipKey);
            this.pairs.delete(pairKey);
          }),
        // The attempt that brought the pair to the limit is the one that locked it (a pair never counts past it).
        failed: () => {
          settle(() => {});
          return pairCount !== null && pairCount >= this.opts.maxFailures;
        },
        abandoned: () => settle(takeBack),
      },
    };
  }

  /** Entries tracked now (for tests and metrics). */
  stats(): { addresses: number; pairs: number } {
    return { addresses: this.ips.size, pairs: this.pairs.size };
  }
}
