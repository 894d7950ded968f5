import type { Logger } from 'pino';
import { isShopError } from '../store/index.js';
import { isOverloadError } from './admission.js';

export interface StoreHealthOptions {
  /** One cheap round trip to the store (`store.ping`). */
  ping: () => Promise<void>;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** A ping that takes longer than this counts as failed (a hung server never answers). Default 2000 ms. */
  pingTimeoutMs?: number;
  /** While up: how often the store is pinged, so a hang is noticed before a shopper's turn waits on it. Default 5000 ms; 0: only failures reported by callers. */
  checkEveryMs?: number;
  /** While down: the first retry delay, doubled up to `maxBackoffMs`. Defaults 250 ms and 5000 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** The Retry-After told to clients while the store is down, seconds. Default 5. */
  retryAfterSeconds?: number;
}

/** True for a store failure that means "the database is not answering" (not a node overload). */
export function isStoreUnavailable(err: unknown): boolean {
  return isShopError(err, 'unavailable') && !isOverloadError(err);
}

/**
 * Whether this node's store answers. Channels ask `down` before they start a turn (answer
 * with a temporary error at once instead of waiting on a dead store) and report the store
 * failures they see (`failed`); while down, the store is pinged with backoff until it
 * answers, and the `onUp` listeners run (the WeChat spool replays). "Degraded" and
 * "recovered" are logged once each per outage, never per message.
 */
export class StoreHealth {
  private isDown = false;
  private since = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  private readonly upListeners = new Set<() => void>();
  private readonly opts: Required<Omit<StoreHealthOptions, 'ping' | 'logger'>> & Pick<StoreHealthOptions, 'ping' | 'logger'>;

  constructor(opts: StoreHealthOptions) {
    this.opts = { pingTimeoutMs: 2000, checkEveryMs: 5000, minBackoffMs: 250, maxBackoffMs: 5000, retryAfterSeconds: 5, ...opts };
  }

  /** Starts the periodic check (while up) and the probing (while down). */
  start(): this {
    this.stopped = false;
    this.schedule();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get down(): boolean {
    return this.isDown;
  }

  get retryAfterSeconds(): number {
    return this.opts.retryAfterSeconds;
  }

  /** What /readyz and logs show. */
  status(): { up: boolean; downForSeconds?: number } {
    return this.isDown ? { up: false, downForSeconds: Math.round((Date.now() - this.since) / 1000) } : { up: true };
  }

  /** Runs `fn` each time the store answers again after an outage. Returns the unsubscribe. */
  onUp(fn: () => void): () => void {
    this.upListeners.add(fn);
    return () => this.upListeners.delete(fn);
  }

  /** A caller saw `err` from the store: if it means the store is not answering, the node is degraded until a ping answers. */
  failed(err: unknown): void {
    if (!isStoreUnavailable(err)) return;
    this.markDown(err);
  }

  /** Pings now (bounded by `pingTimeoutMs`); true when the store answered. */
  async check(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.opts.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`store ping timed out after ${this.opts.pingTimeoutMs} ms`)), this.opts.pingTimeoutMs);
        }),
      ]);
      if (this.isDown) this.markUp();
      return true;
    } catch (err) {
      this.markDown(err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private markDown(err: unknown): void {
    if (this.isDown) return;
    this.isDown = true;
    this.since = Date.now();
    this.failures = 0;
    this.opts.logger.error({ err }, 'store unavailable: node degraded (widget and app get temporary errors, WeChat messages are spooled)');
    // Probe soon, whatever the periodic timer was waiting for.
    this.schedule();
  }

  private markUp(): void {
    this.isDown = false;
    this.opts.logger.info({ downForSeconds: Math.round((Date.now() - this.since) / 1000) }, 'store answers again: node recovered');
    for (const fn of this.upListeners) {
      try {
        fn();
      } catch (err) {
        this.opts.logger.warn({ err }, 'store recovery listener failed');
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    let delay: number;
    if (this.isDown) {
      delay = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** this.failures);
      this.failures = Math.min(this.failures + 1, 30);
    } else if (this.opts.checkEveryMs > 0) {
      delay = this.opts.checkEveryMs;
    } else {
      return;
    }
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    // One ping at a time: a hung store must not pile them up.
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      await this.check();
    } finally {
      this.probing = false;
      if (!this.timer) this.schedule();
    }
  }
}
