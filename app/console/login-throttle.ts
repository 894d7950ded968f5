import { ipBucket } from '../../bots/index.js';

/**
 * Counts that expire, in a bounded Map kept in order of expiry (the front expires first), so
 * expired entries are dropped from the front in O(1) amortised. When the map is full of live
 * entries, `add` of a new key makes room by evicting the live entry with the lowest count
 * (ties: the one that has held that count longest): cheap one-off entries go, while keys close
 * to their limit stay tracked. Entries are also kept bucketed by count, so finding the victim
 * costs one step per distinct count held (at most the caller's limit, e.g. 20), never a scan of
 * the entries.
 *
 * `sliding`: each `add` restarts the entry's life (a lockout that lasts `ttlMs` after the last
 * failure); otherwise the entry lives `ttlMs` from its first `add` (a fixed window).
 */
export class ExpiringCounts {
  private readonly entries = new Map<string, { count: number; expiresAt: number }>();
  /** count -> the keys holding it, in the order they reached it (empty buckets are removed). */
  private readonly byCount = new Map<number, Set<string>>();

  constructor(
    private readonly ttlMs: number,
    private readonly sliding: boolean,
    readonly maxKeys: number,
    /** Told when a live entry was evicted to make room. */
    private readonly onEvict?: () => void,
  ) {}

  /** The live count of `key` (0 when unknown or expired). */
  count(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (e.expiresAt <= now) {
      this.delete(key);
      return 0;
    }
    return e.count;
  }

  /** When `key`'s count lapses (0 when it has none). */
  expiresAt(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.expiresAt > now ? e.expiresAt : 0;
  }

  /** Counts one more for `key` (a new key when full evicts the live entry with the lowest count). */
  add(key: string, now: number): number {
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) {
      this.rebucket(key, e.count, e.count + 1);
      e.count += 1;
      if (this.sliding) {
        e.expiresAt = now + this.ttlMs;
        // Keeps the map in order of expiry: the entry that now lapses last goes to the back.
        this.entries.delete(key);
        this.entries.set(key, e);
      }
      return e.count;
    }
    if (e) this.delete(key);
    this.dropExpired(now);
    if (this.entries.size >= this.maxKeys) this.evictLowest();
    this.entries.set(key, { count: 1, expiresAt: now + this.ttlMs });
    this.rebucket(key, 0, 1);
    return 1;
  }

  /** Takes one back (an attempt that succeeded, or could not be checked). */
  subtract(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (e.count <= 1) return this.delete(key);
    this.rebucket(key, e.count, e.count - 1);
    e.count -= 1;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.rebucket(key, e.count, 0);
  }

  get size(): number {
    return this.entries.size;
  }

  private rebucket(key: string, from: number, to: number): void {
    if (from > 0) {
      const b = this.byCount.get(from);
      b?.delete(key);
      if (b && b.size === 0) this.byCount.delete(from);
    }
    if (to > 0) {
      let b = this.byCount.get(to);
      if (!b) this.byCount.set(to, (b = new Set()));
      b.add(key);
    }
  }

  private evictLowest(): void {
    let lowest = Infinity;
    for (const c of this.byCount.keys()) if (c < lowest) lowest = c;
    const victim = this.byCount.get(lowest)?.values().next().value;
    if (victim === undefined) return;
    this.delete(victim);
    this.onEvict?.();
  }

  private dropExpired(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.delete(k);
    }
  }
}

/**
 * The address a login throttle counts by: `ipBucket`, the key every per-IP limit uses (an IPv4
 * address, IPv4-mapped IPv6 included, as is; an IPv6 address by its /64: one subscriber gets a
 * whole /64, so counting single IPv6 addresses would give an attacker billions of fresh counters).
 */
export function throttleKey(ip: string | undefined): string {
  return ip ? ipBucket(ip) : 'unknown';
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
  /**
   * Failed logins for one e-mail, from all addresses, per `ipWindowMs` (CONSOLE_LOGIN_EMAIL_MAX_FAILURES);
   * beyond it only addresses that have logged into that e-mail before may try it. 0 or unset: no such limit.
   */
  emailMaxFailures?: number;
}

/** Addresses remembered per e-mail as ones its owner logs in from. */
const KNOWN_PER_EMAIL = 5;

export type ThrottleVerdict =
  | { ok: true; attempt: LoginAttempt }
  | { ok: false; reason: 'ip_throttled' | 'locked_out' | 'email_throttled'; retryAfterSeconds: number };

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
 *   own address keeps its own count;
 * - per e-mail, across addresses: after `emailMaxFailures` failures in `ipWindowMs` (from its
 *   first failure), that e-mail may only be tried from an address that has logged into it
 *   before (the last few such addresses are remembered per e-mail); every other address gets
 *   429 until the window passes. Many addresses guessing at one account are bounded, and its
 *   owner is not locked out from where they usually log in.
 *
 * An attempt is counted before its password is checked and taken back when it succeeds, so
 * parallel attempts cannot slip past the limit while scrypt runs, and a successful login
 * never resets an address's failures (one known password cannot launder guesses at others).
 *
 * Memory is bounded (`maxKeys` per map). Expired entries go first; when a map is full of live
 * entries, a new key evicts the live entry with the fewest failures (ties: the longest held):
 * a flood of one-failure addresses only evicts its own kind (an evicted address just gets a
 * fresh budget, still bounded by scrypt and the window), addresses and pairs near their limit
 * stay tracked, and a new address is never refused for lack of room.
 */
export class LoginThrottle {
  private readonly ips: ExpiringCounts;
  private readonly pairs: ExpiringCounts;
  private readonly emails: ExpiringCounts;
  /** e-mail -> the last addresses (throttle keys) that logged into it, newest last; least recently used e-mail first. */
  private readonly knownAddresses = new Map<string, string[]>();
  private readonly maxKeys: number;

  constructor(
    readonly opts: LoginThrottleOptions,
    private readonly now: () => number = Date.now,
    /** Told when a full table evicted a live entry to make room. */
    private readonly onFull?: (which: 'addresses' | 'pairs' | 'emails') => void,
  ) {
    this.maxKeys = opts.maxKeys ?? 50_000;
    this.ips = new ExpiringCounts(opts.ipWindowMs, false, this.maxKeys, () => this.onFull?.('addresses'));
    this.pairs = new ExpiringCounts(opts.lockoutMs, true, this.maxKeys, () => this.onFull?.('pairs'));
    this.emails = new ExpiringCounts(opts.ipWindowMs, false, this.maxKeys, () => this.onFull?.('emails'));
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
    const emailMax = this.opts.emailMaxFailures ?? 0;
    if (emailMax > 0 && this.emails.count(email, now) >= emailMax && !this.knownAddresses.get(email)?.includes(ipKey)) {
      return { ok: false, reason: 'email_throttled', retryAfterSeconds: seconds(this.emails.expiresAt(email, now)) };
    }
    this.ips.add(ipKey, now);
    const pairCount = this.pairs.add(pairKey, now);
    if (emailMax > 0) this.emails.add(email, now);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    const takeBack = () => {
      this.ips.subtract(ipKey);
      this.pairs.subtract(pairKey);
      if (emailMax > 0) this.emails.subtract(email);
    };
    return {
      ok: true,
      attempt: {
        succeeded: () =>
          settle(() => {
            this.ips.subtract(ipKey);
            this.pairs.delete(pairKey);
            // Takes this attempt back but keeps the e-mail's other failures (someone else may be guessing).
            if (emailMax > 0) this.emails.subtract(email);
            this.rememberAddress(email, ipKey);
          }),
        // The attempt that brought the pair to the limit is the one that locked it (a pair never counts past it).
        failed: () => {
          settle(() => {});
          return pairCount >= this.opts.maxFailures;
        },
        abandoned: () => settle(takeBack),
      },
    };
  }

  /** Entries tracked now (for tests and metrics). */
  stats(): { addresses: number; pairs: number; emails: number; knownEmails: number } {
    return { addresses: this.ips.size, pairs: this.pairs.size, emails: this.emails.size, knownEmails: this.knownAddresses.size };
  }

  /** Remembers that `ipKey` logged into `email` (the last KNOWN_PER_EMAIL per e-mail, `maxKeys` e-mails, least recently used dropped). */
  private rememberAddress(email: string, ipKey: string): void {
    const known = (this.knownAddresses.get(email) ?? []).filter((k) => k !== ipKey);
    known.push(ipKey);
    if (known.length > KNOWN_PER_EMAIL) known.shift();
    this.knownAddresses.delete(email);
    this.knownAddresses.set(email, known);
    if (this.knownAddresses.size > this.maxKeys) {
      const oldest = this.knownAddresses.keys().next().value;
      if (oldest !== undefined) this.knownAddresses.delete(oldest);
    }
  }
}
