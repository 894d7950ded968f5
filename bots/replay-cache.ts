import { Redis } from 'ioredis';
import type { BusLogger } from './redis-bus.js';

/**
 * What the channels remember about signed requests they accepted, for as long as the
 * request's signature stays valid: an app API signature (a signed GET is single-use), a
 * WeChat `timestamp`+`nonce` (it carries one message, the one WeChat signed it for).
 */
export interface ReplayCache {
  /**
   * Records `value` under `key` for `ttlSeconds`, unless `key` is recorded already and still
   * live: resolves `undefined` when it was recorded now, or the value recorded first.
   */
  remember(key: string, value: string, ttlSeconds: number): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface MemoryReplayCacheOptions {
  /** Entries kept at most; beyond it the oldest goes (and `evicted` counts it). Default 100,000. */
  maxEntries?: number;
  /** Told (at most once a minute) when live entries had to be evicted. */
  logger?: Pick<BusLogger, 'warn'>;
  now?: () => number;
}

/**
 * One node's memory of recent signatures: a Map in insertion order, expired entries swept
 * from the oldest end on every write, bounded. Only requests whose signature was verified are
 * recorded, so nobody without the secret can fill it; if a busy shop's legitimate traffic does,
 * the oldest (the nearest to expiring) are dropped first and a warning says so.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly max: number;
  private readonly now: () => number;
  private lastWarnAt = -Infinity;
  /** Live entries dropped because the cache was full. */
  evicted = 0;

  constructor(private readonly opts: MemoryReplayCacheOptions = {}) {
    this.max = Math.max(1, opts.maxEntries ?? 100_000);
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  remember(key: string, value: string, ttlSeconds: number): Promise<string | undefined> {
    return Promise.resolve(this.rememberNow(key, value, ttlSeconds));
  }

  /** The live value under `key`, if any. */
  peek(key: string): string | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > this.now() ? hit.value : undefined;
  }

  /** Sets `key` (replacing whatever was there) for `ttlSeconds`. */
  set(key: string, value: string, ttlSeconds: number): void {
    const now = this.now();
    this.entries.delete(key);
    this.sweep(now);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted++;
      if (now - this.lastWarnAt >= 60_000) {
        this.lastWarnAt = now;
        this.opts.logger?.warn({ maxEntries: this.max, evicted: this.evicted }, 'replay cache full: the oldest signatures were forgotten before they expired');
      }
    }
    this.entries.set(key, { value, expiresAt: now + Math.max(1, ttlSeconds) * 1000 });
  }

  rememberNow(key: string, value: string, ttlSeconds: number): string | undefined {
    const seen = this.peek(key);
    if (seen !== undefined) return seen;
    this.set(key, value, ttlSeconds);
    return undefined;
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  /** Drops expired entries from the oldest end (stops at the first live one: bounded work per write). */
  private sweep(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(k);
    }
  }
}

export interface RedisReplayCacheOptions {
  /** REDIS_URL: the nodes of one shop share it. */
  url: string;
  logger: BusLogger;
  /** Key prefix. Default `shop:replay:`. */
  prefix?: string;
  /** A Redis call that takes longer than this counts as failed (this node's memory decides). Default 500 ms. */
  commandTimeoutMs?: number;
  /** The per-node memory's bound. */
  maxEntries?: number;
}

/** GET, and SET NX EX only when absent, in one step: the first value recorded, or nil when this call recorded it. */
const REMEMBER_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX')
return false`;

/**
 * The cache shared by every node (REDIS_URL): a replay sent to another node than the original
 * is caught as well. Each key is written with SET NX EX (in a script, so the first value comes
 * back to a later caller atomically) and expires with the signature it belongs to. What a node
 * learns from Redis it keeps in memory as well, so a repeat on the same node costs no round trip.
 *
 * Redis unreachable or slow never blocks a request: the node falls back to its own memory (the
 * protection of a single node), logs the degradation once (warn) and the recovery once (info).
 * The connection is opened on first use.
 */
export class RedisReplayCache implements ReplayCache {
  private readonly redis: Redis;
  private readonly local: MemoryReplayCache;
  private readonly prefix: string;
  private degraded = false;
  private closed = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly opts: RedisReplayCacheOptions) {
    this.prefix = opts.prefix ?? 'shop:replay:';
    this.local = new MemoryReplayCache({ maxEntries: opts.maxEntries, logger: opts.logger });
    this.redis = new Redis(opts.url, {
      connectTimeout: 2000,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      // A command while disconnected fails at once (memory decides) instead of waiting in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      connectionName: 'shop-replay-cache',
    });
    this.redis.on('error', (err: Error) => this.down(err.message));
    this.redis.on('close', () => this.down('connection closed'));
    this.redis.on('ready', () => {
      if (!this.degraded) return;
      this.degraded = false;
      opts.logger.info({}, 'replay cache: redis reachable again, replays are caught across nodes');
    });
  }

  async remember(key: string, value: string, ttlSeconds: number): Promise<string | undefined> {
    const known = this.local.peek(key);
    if (known !== undefined) return known;
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    if (this.closed) return this.local.rememberNow(key, value, ttl);
    try {
      this.connecting ??= this.redis.connect().catch((err: unknown) => this.down((err as Error).message));
      if (this.redis.status !== 'ready') await this.connecting;
      const first = (await this.redis.eval(REMEMBER_SCRIPT, 1, `${this.prefix}${key}`, value, String(ttl))) as string | null;
      // Redis has the authority: keep its answer here too (what another node saw first wins).
      this.local.set(key, first ?? value, ttl);
      return first ?? undefined;
    } catch (err) {
      this.down((err as Error).message);
      return this.local.rememberNow(key, value, ttl);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      await Promise.race([this.redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.redis.disconnect(false);
    await this.local.close();
  }

  private down(reason: string): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    this.opts.logger.warn({ reason }, "replay cache: redis unreachable, each node checks replays against its own memory only");
  }
}
