/**
 * Token buckets per key (customer id, IP). In memory per node: a shopper's traffic sticks
 * to one node for the life of a socket, and a per-node limit still bounds a flood.
 */
export interface RateLimitRule {
  /** Bucket size: how many may come at once. */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Memory is bounded by `maxKeys` without timers. The map is kept in order of last use (a
 * used key moves to the back), so the front is always the least recently used bucket:
 * when the map is full, refilled buckets are dropped from the front (they hold no
 * information), each at most once per insertion, so a `take` is O(1) amortised.
 *
 * A bucket that is still draining is never dropped, so a limited key stays limited however
 * many other keys arrive. When every bucket in the map is still draining (`maxKeys` keys
 * used within about `burst / perSecond` seconds), a NEW key is refused (fail closed) until
 * the least recently used bucket refills; `retryAfter` says how long that is.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rule: RateLimitRule,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty (or the map is full of draining buckets and `key` is new). */
  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys && !this.evictRefilled(t)) return false;
      this.buckets.set(key, { tokens: this.rule.burst - 1, at: t });
      return true;
    }
    // Most recently used at the back.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    const tokens = this.level(b, t);
    b.at = t;
    if (tokens < 1) {
      b.tokens = tokens;
      return false;
    }
    b.tokens = tokens - 1;
    return true;
  }

  /** Seconds until `key` may send again (0 when it may now). */
  retryAfter(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size < this.maxKeys) return 0;
      // A new key waits for the least recently used bucket to refill (then it is dropped for it).
      const front = this.buckets.values().next().value;
      if (!front) return 0;
      const level = this.level(front, t);
      return level >= this.rule.burst ? 0 : Math.max(1, Math.ceil((this.rule.burst - level) / this.rule.perSecond));
    }
    const tokens = this.level(b, t);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.rule.perSecond);
  }

  /** Keys tracked now (at most `maxKeys`). */
  get size(): number {
    return this.buckets.size;
  }

  private level(b: Bucket, t: number): number {
    return Math.min(this.rule.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.rule.perSecond);
  }

  /** Drops refilled buckets from the front, stopping at the first one still draining; true when there is room now. */
  private evictRefilled(t: number): boolean {
    for (const [k, b] of this.buckets) {
      if (this.buckets.size < this.maxKeys || this.level(b, t) < this.rule.burst) break;
      this.buckets.delete(k);
    }
    return this.buckets.size < this.maxKeys;
  }
}
