import { ShopError } from '../store/index.js';

/**
 * Bounded work per node: at most `maxConcurrent` shopper turns run at once, at most
 * `maxQueued` wait (first come, first served, each for at most `maxWaitMs`); beyond that a
 * turn is shed at once. Memory stays bounded under any flood: a shed turn holds nothing.
 */
export interface AdmissionLimits {
  /** Turns running at once (MAX_CONCURRENT_TURNS). */
  maxConcurrent: number;
  /** Turns waiting for a slot (MAX_QUEUED_TURNS); 0: none wait. */
  maxQueued: number;
  /** A waiting turn gives up after this long (TURN_QUEUE_WAIT_MS). */
  maxWaitMs: number;
  /** The Retry-After the client is told, in seconds. */
  retryAfterSeconds?: number;
}

export interface AdmissionStats {
  running: number;
  queued: number;
  /** Turns refused since the start (queue full or waited too long). */
  shed: number;
  admitted: number;
}

interface Waiter {
  grant: (release: () => void) => void;
  timer: NodeJS.Timeout;
}

/** Why a turn was not admitted; `retryAfterSeconds` for Retry-After. */
export class OverloadError extends ShopError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('unavailable', message, { details: { reason: 'overloaded', retryAfterSeconds } });
  }
}

export function isOverloadError(err: unknown): err is OverloadError {
  return err instanceof OverloadError;
}

export class TurnAdmission {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private shedCount = 0;
  private admittedCount = 0;
  readonly retryAfterSeconds: number;

  constructor(readonly limits: AdmissionLimits) {
    if (!(limits.maxConcurrent >= 1)) throw new ShopError('config_invalid', 'maxConcurrent must be at least 1');
    if (!(limits.maxQueued >= 0)) throw new ShopError('config_invalid', 'maxQueued must be at least 0');
    this.retryAfterSeconds = limits.retryAfterSeconds ?? Math.max(1, Math.ceil(limits.maxWaitMs / 1000));
  }

  stats(): AdmissionStats {
    return { running: this.running, queued: this.waiting.length, shed: this.shedCount, admitted: this.admittedCount };
  }

  /**
   * A slot for one turn: resolves with its release (call it once, when the turn is over),
   * or rejects with an `OverloadError` when the node is full.
   *
   * The slot is taken at once but the turn starts in a later turn of the event loop
   * (setImmediate): much of a turn is synchronous (lexical embeddings, SQLite), and without
   * the yield every request read in one poll phase would run to its end before the next
   * arrived here, so nothing would ever wait or be shed while latency grew without limit.
   */
  enter(): Promise<() => void> {
    if (this.running < this.limits.maxConcurrent) {
      const release = this.grant();
      return new Promise((resolve) => setImmediate(() => resolve(release)));
    }
    if (this.waiting.length >= this.limits.maxQueued) return Promise.reject(this.shed('the assistant is busy'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(this.shed('the assistant is busy (waited too long)'));
        }, this.limits.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Runs `work` in a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.enter();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private grant(): () => void {
    this.running += 1;
    this.admittedCount += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        const granted = this.grant();
        setImmediate(() => next.grant(granted));
      }
    };
  }

  private shed(why: string): OverloadError {
    this.shedCount += 1;
    return new OverloadError(`${why}: try again in ${this.retryAfterSeconds} s`, this.retryAfterSeconds);
  }
}
