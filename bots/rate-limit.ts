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

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rule: RateLimitRule,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.evictFull(t);
      this.buckets.set(key, { tokens: this.rule.burst - 1, at: t });
      return true;
    }
    b.tokens = Math.min(this.rule.burst, b.tokens + ((t - b.at) / 1000) * this.rule.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `key` may send again (0 when it may now). */
  retryAfter(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.rule.burst, b.tokens + ((this.now() - b.at) / 1000) * this.rule.perSecond);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.rule.perSecond);
  }

  /** Drops buckets that have refilled: they hold no information. Bounded memory without timers. */
  private evictFull(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.rule.perSecond >= this.rule.burst) this.buckets.delete(k);
    }
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
