import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LocalEventBus, type EventBus, type ShopEvent } from './events.js';

/** The part of a pino logger the bus uses. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RedisEventBusOptions {
  /** redis://[user:password@]host:port[/db] (or rediss:// for TLS). */
  url: string;
  logger: BusLogger;
  /** The pub/sub channel every node of one shop shares. Default `shop:events`. */
  channel?: string;
  /** This node's id: its own events coming back from Redis are ignored. Default: a random UUID. */
  nodeId?: string;
  /** Events kept while Redis is unreachable, sent when it is back (oldest dropped beyond this). Default 1000. */
  bufferLimit?: number;
  /** Buffered events older than this are dropped rather than sent late. Default 60 s. */
  bufferMaxAgeMs?: number;
  /** Longest wait between reconnection attempts. Default 2 s. */
  maxReconnectDelayMs?: number;
}

export interface RedisEventBusStats {
  connected: boolean;
  /** Events sent to Redis / received from other nodes since start. */
  published: number;
  received: number;
  /** Events waiting for Redis to come back. */
  buffered: number;
  /** Events other nodes never got: typing while offline, buffer overflow, expired, failed sends. */
  dropped: number;
}

/** Typing indicators are stale within seconds: never worth sending late. */
const EPHEMERAL: ReadonlySet<ShopEvent['type']> = new Set(['typing']);

const DATE_TAG = '$shop:date';

/** JSON with Dates kept as Dates: `{"$shop:date": iso}` on the wire (a string that merely looks like a date stays a string). */
export function encodeEvent(node: string, event: ShopEvent): string {
  return JSON.stringify({ node, event }, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { [DATE_TAG]: Number.isNaN(raw.getTime()) ? null : raw.toISOString() } : value;
  });
}

export function decodeEvent(payload: string): { node: string; event: ShopEvent } {
  const parsed = JSON.parse(payload, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === DATE_TAG) {
        const iso = (value as Record<string, unknown>)[DATE_TAG];
        return new Date(typeof iso === 'string' ? iso : NaN);
      }
    }
    return value;
  }) as { node?: unknown; event?: unknown };
  if (typeof parsed.node !== 'string' || !parsed.event || typeof (parsed.event as { type?: unknown }).type !== 'string') {
    throw new Error('not a shop event envelope');
  }
  return { node: parsed.node, event: parsed.event as ShopEvent };
}

/**
 * The event bus of a node among several: every event is delivered to this node's
 * subscribers at once (as `LocalEventBus` does) and published on one Redis pub/sub channel;
 * events other nodes publish arrive from there (this node's own echo is ignored by node id).
 *
 * Redis down or unreachable never blocks a turn and never crashes the node: `publish`
 * returns at once, local delivery goes on, the degradation is logged once (warn) and the
 * recovery once (info). Meanwhile events for other nodes wait in a bounded buffer (default
 * 1000 events, at most 60 s old; typing indicators are dropped, not buffered) and are sent
 * when Redis is back; the store stays the source of truth, so a console or widget that
 * missed an event still shows the right state on its next fetch. ioredis reconnects forever
 * (at most every `maxReconnectDelayMs`).
 */
export class RedisEventBus implements EventBus {
  readonly nodeId: string;
  readonly channel: string;
  private readonly local: LocalEventBus;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly bufferLimit: number;
  private readonly bufferMaxAgeMs: number;
  private buffer: Array<{ at: number; payload: string }> = [];
  private subscribed = false;
  /** Whether the bus counts as connected (both connections ready and subscribed). */
  private up = false;
  /** Whether a degradation has been logged and not yet a recovery. */
  private degraded = false;
  private closed = false;
  private everUp = false;
  private counts = { published: 0, received: 0, dropped: 0 };
  private waiters: Array<() => void> = [];
  private readonly recoveredHandlers = new Set<() => void>();

  constructor(private readonly opts: RedisEventBusOptions) {
    this.nodeId = opts.nodeId ?? randomUUID();
    this.channel = opts.channel ?? 'shop:events';
    this.bufferLimit = opts.bufferLimit ?? 1000;
    this.bufferMaxAgeMs = opts.bufferMaxAgeMs ?? 60_000;
    this.local = new LocalEventBus((err) => opts.logger.error({ err }, 'event subscriber failed'));
    const maxDelay = opts.maxReconnectDelayMs ?? 2000;
    const common = {
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(times * 100, maxDelay),
      // Never an unbounded queue inside ioredis: the bus keeps its own bounded buffer.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Re-subscribing is done here on every `ready`, so the bus knows when it is live again.
      autoResubscribe: false,
      lazyConnect: true,
    };
    this.pub = new Redis(opts.url, { ...common, connectionName: `shop-pub-${this.nodeId}` });
    this.sub = new Redis(opts.url, { ...common, connectionName: `shop-sub-${this.nodeId}` });

    for (const [name, conn] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      conn.on('error', (err: Error) => this.down(`${name}: ${err.message}`));
      conn.on('close', () => {
        if (conn === this.sub) this.subscribed = false;
        this.down(`${name} connection closed`);
      });
    }
    this.pub.on('ready', () => this.check());
    this.sub.on('ready', () => {
      this.sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.check();
        },
        (err: Error) => this.down(`subscribe failed: ${err.message}`),
      );
    });
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    // lazyConnect + connect(): the first failure goes through the same retry path as later ones.
    void this.pub.connect().catch(() => undefined);
    void this.sub.connect().catch(() => undefined);
  }

  publish(event: ShopEvent): void {
    this.local.publish(event);
    if (this.closed) return;
    let payload: string;
    try {
      payload = encodeEvent(this.nodeId, event);
    } catch (err) {
      this.counts.dropped++;
      this.opts.logger.error({ err, type: event.type }, 'event not serialisable: not sent to other nodes');
      return;
    }
    if (this.up && this.pub.status === 'ready') this.send(payload);
    else if (EPHEMERAL.has(event.type)) this.counts.dropped++;
    else this.hold(payload);
  }

  subscribe(handler: (event: ShopEvent) => void): () => void {
    return this.local.subscribe(handler);
  }

  /** Called each time the bus is connected again after a degradation (other nodes' events may have been missed meanwhile). */
  onRecovered(handler: () => void): () => void {
    this.recoveredHandlers.add(handler);
    return () => this.recoveredHandlers.delete(handler);
  }

  get connected(): boolean {
    return this.up;
  }

  stats(): RedisEventBusStats {
    return { connected: this.up, ...this.counts, buffered: this.buffer.length };
  }

  /** Resolves true once connected and subscribed, false if that takes longer than `timeoutMs` (the bus keeps trying). */
  ready(timeoutMs = 5000): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  /** Sends what it can still send (briefly), then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    const quit = async (conn: Redis) => {
      if (conn.status === 'ready') {
        await Promise.race([conn.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      conn.disconnect(false);
    };
    await Promise.all([quit(this.pub), quit(this.sub)]);
    this.buffer = [];
  }

  private receive(payload: string): void {
    let decoded: { node: string; event: ShopEvent };
    try {
      decoded = decodeEvent(payload);
    } catch (err) {
      this.opts.logger.warn({ err, channel: this.channel }, 'ignored a malformed event from redis');
      return;
    }
    if (decoded.node === this.nodeId) return; // delivered locally when published
    this.counts.received++;
    this.local.publish(decoded.event);
  }

  private send(payload: string): void {
    this.counts.published++;
    this.pub.publish(this.channel, payload).catch((err: Error) => {
      // Lost between the check and the write: other nodes miss it (the store still has the truth).
      this.counts.dropped++;
      this.down(`publish failed: ${err.message}`);
    });
  }

  private hold(payload: string): void {
    this.buffer.push({ at: Date.now(), payload });
    if (this.buffer.length > this.bufferLimit) {
      this.buffer.shift();
      this.counts.dropped++;
    }
  }

  private check(): void {
    if (this.closed || this.up || !this.subscribed || this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.up = true;
    const cutoff = Date.now() - this.bufferMaxAgeMs;
    const pending = this.buffer.splice(0);
    const fresh = pending.filter((b) => b.at >= cutoff);
    this.counts.dropped += pending.length - fresh.length;
    for (const b of fresh) this.send(b.payload);
    for (const w of this.waiters.splice(0)) w();
    if (!this.everUp && !this.degraded) this.opts.logger.info({ channel: this.channel, node: this.nodeId }, 'redis event bus connected');
    this.everUp = true;
    if (this.degraded) {
      this.degraded = false;
      this.opts.logger.info(
        { channel: this.channel, node: this.nodeId, sent: fresh.length, expired: pending.length - fresh.length, dropped: this.counts.dropped },
        'redis event bus reconnected: events reach other nodes again',
      );
      for (const h of this.recoveredHandlers) {
        try {
          h();
        } catch (err) {
          this.opts.logger.error({ err }, 'redis recovery handler failed');
        }
      }
    }
  }

  private down(reason: string): void {
    if (this.closed) return;
    this.up = false;
    if (this.degraded) return;
    this.degraded = true;
    this.opts.logger.warn(
      { reason, channel: this.channel, node: this.nodeId, bufferLimit: this.bufferLimit },
      'redis event bus unavailable: this node serves its own sockets only until it reconnects',
    );
  }
}

/**
 * Wraps an async job (a reload) so that calls while it runs collapse into one more run
 * afterwards: a burst of 50 changes costs two reloads, not 50, and the last change is never missed.
 */
export function coalesce(fn: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    fn()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}
