/**
 * Outbound delivery of messages sent outside the shopper's own turn (an agent's reply, a
 * hand-off notice, a late WeChat answer, an app push): one retry policy, one error
 * classification, and the delivery status on the stored message (`pending` while retrying,
 * `sent`, `failed` with the channel's last error), published on the event bus as
 * `message.delivery` so every agent console (on any node) shows it live.
 *
 * Retries are timers in this process. A node that dies mid-retry leaves `pending` messages;
 * `sweepInterrupted` (on start and every few minutes, on every node) marks those whose last
 * update is older than the whole retry window as `failed`, with an error telling the agent to
 * retry from the console. They are not resumed automatically: the store has no
 * compare-and-set on the delivery status, so two nodes resuming the same message could
 * both send it, and a second copy in the shopper's chat is worse than a visible failure.
 */
import type { Logger } from 'pino';
import { isShopError, type DeliveryStatus, type Message, type MessageDelivery, type Store } from '../store/index.js';
import type { EventBus } from './events.js';

export interface RetryPolicy {
  /** Attempts per message, the first included (OUTBOUND_RETRY_ATTEMPTS). */
  attempts: number;
  /** Delay before the first retry; doubles per retry, with jitter (OUTBOUND_RETRY_BASE_MS). */
  baseMs: number;
  /** The longest wait between two attempts, whatever the backoff or Retry-After says (OUTBOUND_RETRY_MAX_DELAY_MS). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseMs: 1000, maxDelayMs: 60_000 };

/** What a failed attempt means for the next one. */
export interface FailureVerdict {
  transient: boolean;
  /** For the stored message and the console: the channel's error, never the message text. */
  error: string;
  /** The channel asked to wait at least this long (Retry-After, WeChat's per-minute quota). */
  retryAfterMs?: number;
}

/** The error recorded on messages a node left `pending` when it stopped. */
export const INTERRUPTED_ERROR = 'interrupted: the server restarted during delivery; retry from the console';
/** The error recorded on messages whose next retry was due after a graceful shutdown began. */
export const SHUTDOWN_ERROR = 'interrupted: the server shut down during delivery; retry from the console';

/**
 * The wait after failed attempt `attempt` (1-based): base * 2^(attempt-1), scaled by a
 * random factor in [0.5, 1) ("equal jitter": spread out, yet still growing), at least
 * `retryAfterMs` when the channel asked for it, never more than `maxDelayMs`.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random, retryAfterMs = 0): number {
  const backoff = Math.round(policy.baseMs * 2 ** Math.max(0, attempt - 1) * (0.5 + random() / 2));
  return Math.min(policy.maxDelayMs, Math.max(backoff, retryAfterMs));
}

/**
 * The longest time a live node can leave a message `pending` without touching it: every
 * wait at its ceiling plus every attempt at its timeout. A `pending` message older than
 * this was left by a node that stopped.
 */
export function retryWindowMs(policy: RetryPolicy, attemptTimeoutMs: number): number {
  let total = 0;
  for (let n = 1; n < policy.attempts; n++) total += Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (n - 1));
  return total + policy.attempts * attemptTimeoutMs;
}

/** HTTP answers worth another try: timeouts, rate limits, server errors. */
export function isTransientHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * WeChat errcodes (developers.weixin.qq.com, global return codes; customer-service message
 * API). Transient: -1 "system busy, try again later", 45011 per-minute quota ("retry next
 * minute"). Everything else a send returns is permanent for the next minutes: 45015 the
 * 48-hour window is closed, 45047 more than 20 messages since the shopper last wrote, 43004
 * unsubscribed, 40003 invalid OpenID, 45009 the DAILY quota is used up (retrying within
 * minutes cannot help; the agent retries from the console later), 50002 user restricted,
 * 4xxxx request errors.
 */
const WECHAT_TRANSIENT: ReadonlyMap<number, number> = new Map([
  [-1, 0],
  [45011, 60_000],
]);
/** Token errors the client already retried once with a fresh token: another server may have refreshed it meanwhile. */
const WECHAT_TOKEN_ERRORS: ReadonlySet<number> = new Set([40001, 42001, 40014]);

export function wechatErrcodeIsTransient(errcode: number): boolean {
  return WECHAT_TRANSIENT.has(errcode) || WECHAT_TOKEN_ERRORS.has(errcode);
}

const MAX_ERROR_LENGTH = 500;

/**
 * Transient or permanent. Errors may say so themselves (`details.transient`); else a WeChat
 * errcode, an HTTP status, or the error code decides: `unavailable`/`timeout`-like errors
 * and errors that are not ours (network failures) are transient, any other ShopError
 * (bad_request, forbidden, config_invalid, ...) is permanent.
 */
export function classifyFailure(err: unknown): FailureVerdict {
  const error = errorText(err);
  if (!isShopError(err)) return { transient: true, error };
  const d = err.details ?? {};
  const retryAfterMs = typeof d['retryAfterMs'] === 'number' ? d['retryAfterMs'] : undefined;
  const withHint = (transient: boolean, hint?: number): FailureVerdict => {
    const after = retryAfterMs ?? hint;
    return after ? { transient, error, retryAfterMs: after } : { transient, error };
  };
  if (typeof d['transient'] === 'boolean') return withHint(d['transient']);
  if (typeof d['errcode'] === 'number') {
    const errcode = d['errcode'];
    return withHint(wechatErrcodeIsTransient(errcode), WECHAT_TRANSIENT.get(errcode) || undefined);
  }
  if (typeof d['status'] === 'number') return withHint(isTransientHttpStatus(d['status']));
  return withHint(err.code === 'unavailable' || err.code === 'internal');
}

function errorText(err: unknown): string {
  const base = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error && !base.includes(err.cause.message) ? `: ${err.cause.message}` : '';
  const text = `${base}${cause}`.trim() || 'unknown error';
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/**
 * The part of `OutboundDelivery` a delivery queue with its own retries (the app push queue)
 * uses: it tells which messages are out of turn, and reports how their delivery goes.
 */
export interface DeliveryReporter {
  /** A queue takes over delivering this message: true when it should report (an out-of-turn message). */
  accept(messageId: string): boolean;
  report(messageId: string, outcome: { status: DeliveryStatus; attempts: number; error?: string }): void;
}

export interface OutboundDeliveryOptions {
  store: Store;
  events: EventBus;
  logger: Logger;
  policy?: RetryPolicy;
  /** A channel attempt's own timeout (WeChat API, app webhook), for the retry window. Default 10 s. */
  attemptTimeoutMs?: number;
  /** How often to look for `pending` messages left by a node that stopped. Default 3 minutes; 0 = only on `start`. */
  sweepEveryMs?: number;
  random?: () => number;
  clock?: () => Date;
}

/** What became of a message's first attempt; `settled` resolves with the final state (sent or failed). */
export interface DeliveryResult {
  message: Message;
  status: DeliveryStatus;
  /** The verdict on the last failure (failed or pending). */
  failure?: FailureVerdict;
  /** The error of a failed first attempt (for the caller's own error reporting). */
  cause?: unknown;
  settled: Promise<Message>;
}

interface Retrying {
  messageId: string;
  attempts: number;
  /** Attempts left in this round (a manual retry starts a new round). */
  budget: number;
  resend: () => Promise<void>;
  timer?: NodeJS.Timeout;
  done: (m: Message) => void;
}

/**
 * Sends out-of-turn messages with retries and records their delivery on the stored message.
 * One per node; `close()` before the store closes.
 */
export class OutboundDelivery implements DeliveryReporter {
  readonly policy: RetryPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly clock: () => Date;
  /** Out-of-turn messages being sent now (a queue that gets one reports on it). */
  private readonly watched = new Map<string, number>();
  /** Messages whose delivery a queue with its own retries has taken over (with the attempts made before). */
  private readonly queued = new Map<string, number>();
  private readonly retrying = new Map<string, Retrying>();
  /** Store writes per message, in order (a slow write never lands after a newer one). */
  private readonly writes = new Map<string, Promise<unknown>>();
  private sweepTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: OutboundDeliveryOptions) {
    this.policy = o.policy ?? DEFAULT_RETRY_POLICY;
    if (!(this.policy.attempts >= 1) || !(this.policy.baseMs >= 0) || !(this.policy.maxDelayMs >= this.policy.baseMs)) {
      throw new Error('RetryPolicy: attempts >= 1, baseMs >= 0 and maxDelayMs >= baseMs');
    }
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? 10_000;
    this.random = o.random ?? Math.random;
    this.clock = o.clock ?? (() => new Date());
  }

  /** Marks what a stopped node left pending, now and every `sweepEveryMs`. */
  start(): void {
    const sweep = () => void this.sweepInterrupted().catch((err: unknown) => this.o.logger.warn({ err }, 'delivery sweep failed'));
    sweep();
    const every = this.o.sweepEveryMs ?? 3 * 60_000;
    if (every > 0) {
      this.sweepTimer = setInterval(sweep, every);
      this.sweepTimer.unref();
    }
  }

  /** Messages retrying on this node now. */
  get inFlight(): number {
    return this.retrying.size;
  }

  /** Whether this node is retrying (or its queue delivering) `messageId` now. */
  isBusy(messageId: string): boolean {
    return this.retrying.has(messageId) || this.watched.has(messageId) || this.queued.has(messageId);
  }

  /**
   * An out-of-turn message is about to go to its channel (call before the channel sees it,
   * so a queue that takes it over knows to report). `previousAttempts`: a retried message's count so far.
   */
  watch(messageId: string, previousAttempts = 0): void {
    this.watched.set(messageId, previousAttempts);
  }

  accept(messageId: string): boolean {
    const offset = this.watched.get(messageId);
    if (offset === undefined || this.closed) return false;
    this.queued.set(messageId, offset);
    this.report(messageId, { status: 'pending', attempts: 0 });
    return true;
  }

  /** A queue's report; `attempts` counts its own attempts (a console retry's earlier ones are added). */
  report(messageId: string, outcome: { status: DeliveryStatus; attempts: number; error?: string }): void {
    const offset = this.queued.get(messageId) ?? 0;
    if (outcome.status !== 'pending') this.queued.delete(messageId);
    void this.record(messageId, { ...outcome, attempts: outcome.attempts + offset }).catch((err: unknown) =>
      this.o.logger.warn({ err, messageId }, 'could not record a delivery status'),
    );
  }

  /**
   * Runs `send` for a stored message with the retry policy: see `afterFirstAttempt`.
   * `previousAttempts` continues the count of a message retried from the console.
   */
  async send(messageId: string, send: () => Promise<void>, previousAttempts = 0): Promise<DeliveryResult> {
    this.watch(messageId, previousAttempts);
    let error: unknown;
    try {
      await send();
    } catch (err) {
      error = err;
    }
    return this.afterFirstAttempt(messageId, error, send, previousAttempts);
  }

  /**
   * Records the first attempt of an out-of-turn message (made by the caller; `error` is
   * undefined when the channel took it): `sent`; or, when a queue with its own retries took
   * it over, whatever that queue reports; or `failed` at once on a permanent error; or
   * `pending` with retries of `resend` in the background until sent or out of attempts.
   */
  async afterFirstAttempt(messageId: string, error: unknown, resend: () => Promise<void>, previousAttempts = 0): Promise<DeliveryResult> {
    const fromQueue = this.queued.has(messageId);
    this.watched.delete(messageId);
    const attempts = previousAttempts + 1;
    if (fromQueue && error === undefined) {
      // The queue reports from here on (it recorded `pending` when it took the message).
      await this.writes.get(messageId)?.catch(() => undefined);
      const message = await this.current(messageId);
      return { message, status: message.delivery?.status ?? 'pending', settled: Promise.resolve(message) };
    }
    this.queued.delete(messageId);
    if (error === undefined) {
      const message = await this.record(messageId, { status: 'sent', attempts });
      return { message, status: 'sent', settled: Promise.resolve(message) };
    }
    const failure = classifyFailure(error);
    if (!failure.transient || this.policy.attempts <= 1 || this.closed) {
      const message = await this.record(messageId, { status: 'failed', attempts, error: failure.error });
      this.o.logger.warn({ messageId, attempts, error: failure.error }, 'outbound message not delivered');
      return { message, status: 'failed', failure, cause: error, settled: Promise.resolve(message) };
    }
    const message = await this.record(messageId, { status: 'pending', attempts, error: failure.error });
    let done!: (m: Message) => void;
    const settled = new Promise<Message>((resolve) => (done = resolve));
    const job: Retrying = { messageId, attempts, budget: this.policy.attempts - 1, resend, done };
    this.retrying.set(messageId, job);
    this.schedule(job, failure);
    return { message, status: 'pending', failure, cause: error, settled };
  }

  /**
   * `pending` messages whose last update is older than the retry window were left by a node
   * that stopped: marked `failed` (see the module comment). Returns how many.
   */
  async sweepInterrupted(): Promise<number> {
    const cutoff = this.clock().getTime() - (retryWindowMs(this.policy, this.attemptTimeoutMs) + 60_000);
    let marked = 0;
    let cursor: string | null | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await this.o.store.messages.listByDelivery('pending', { limit: 200, cursor });
      for (const m of page.items) {
        if (this.isBusy(m.id) || !m.delivery || m.delivery.updatedAt.getTime() > cutoff) continue;
        await this.record(m.id, { status: 'failed', attempts: m.delivery.attempts, error: INTERRUPTED_ERROR });
        marked++;
      }
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    if (marked > 0) this.o.logger.warn({ marked }, 'messages left pending by a stopped node marked failed');
    return marked;
  }

  /**
   * Stops: attempts running now finish (bounded by `graceMs`); retries not yet due are
   * marked `failed` (SHUTDOWN_ERROR) rather than left `pending`; every status write is
   * flushed, so the store can close next.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    const waiting = [...this.retrying.values()].filter((j) => j.timer);
    for (const job of waiting) {
      clearTimeout(job.timer);
      this.retrying.delete(job.messageId);
      void this.finish(job, { status: 'failed', attempts: job.attempts, error: SHUTDOWN_ERROR });
    }
    if (waiting.length > 0) this.o.logger.warn({ interrupted: waiting.length }, 'shutdown: retries not yet due marked failed');
    const deadline = Date.now() + graceMs;
    while ((this.retrying.size > 0 || this.writes.size > 0) && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.writes.values()]), new Promise((r) => setTimeout(r, 50))]);
    }
  }

  private schedule(job: Retrying, failure: FailureVerdict): void {
    const delay = retryDelay(this.policy, job.attempts, this.random, failure.retryAfterMs);
    this.o.logger.info({ messageId: job.messageId, attempts: job.attempts, error: failure.error, retryInMs: delay }, 'outbound message not delivered: will retry');
    job.timer = setTimeout(() => {
      job.timer = undefined;
      void this.retry(job).catch((err: unknown) => this.o.logger.error({ err, messageId: job.messageId }, 'delivery retry failed'));
    }, delay);
    job.timer.unref();
  }

  private async retry(job: Retrying): Promise<void> {
    job.attempts++;
    job.budget--;
    let error: unknown;
    try {
      await job.resend();
    } catch (err) {
      error = err;
    }
    if (error === undefined) {
      this.retrying.delete(job.messageId);
      this.o.logger.info({ messageId: job.messageId, attempts: job.attempts }, 'outbound message delivered after retrying');
      await this.finish(job, { status: 'sent', attempts: job.attempts });
      return;
    }
    const failure = classifyFailure(error);
    if (!failure.transient || job.budget <= 0 || this.closed) {
      this.retrying.delete(job.messageId);
      this.o.logger.warn({ messageId: job.messageId, attempts: job.attempts, error: failure.error }, 'outbound message not delivered: giving up');
      await this.finish(job, { status: 'failed', attempts: job.attempts, error: this.closed && failure.transient ? SHUTDOWN_ERROR : failure.error });
      return;
    }
    await this.record(job.messageId, { status: 'pending', attempts: job.attempts, error: failure.error }).catch((err: unknown) =>
      this.o.logger.warn({ err, messageId: job.messageId }, 'could not record a delivery status'),
    );
    this.schedule(job, failure);
  }

  private async finish(job: Retrying, outcome: { status: DeliveryStatus; attempts: number; error?: string }): Promise<void> {
    try {
      job.done(await this.record(job.messageId, outcome));
    } catch (err) {
      this.o.logger.warn({ err, messageId: job.messageId }, 'could not record a delivery status');
      job.done(await this.current(job.messageId).catch(() => ({ id: job.messageId }) as Message));
    }
  }

  private async current(messageId: string): Promise<Message> {
    const m = await this.o.store.messages.get(messageId);
    if (!m) throw new Error(`message ${messageId} not found`);
    return m;
  }

  /** Writes the status (in order per message) and publishes `message.delivery`. */
  private record(messageId: string, outcome: { status: DeliveryStatus; attempts: number; error?: string }): Promise<Message> {
    const previous = this.writes.get(messageId) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(async () => {
        const clean = { status: outcome.status, attempts: outcome.attempts, ...(outcome.error ? { error: outcome.error.slice(0, MAX_ERROR_LENGTH) } : {}) };
        const message = await this.o.store.messages.setDelivery(messageId, clean);
        this.o.events.publish({ type: 'message.delivery', conversationId: message.conversationId, messageId, delivery: message.delivery! });
        return message;
      });
    this.writes.set(messageId, write);
    void write
      .catch(() => undefined)
      .finally(() => {
        if (this.writes.get(messageId) === write) this.writes.delete(messageId);
      });
    return write;
  }
}

/** The delivery of a message as JSON for browsers (dates as ISO strings). */
export function deliveryView(d: MessageDelivery): { status: DeliveryStatus; attempts: number; error?: string; updatedAt: string } {
  return { status: d.status, attempts: d.attempts, ...(d.error ? { error: d.error } : {}), updatedAt: d.updatedAt.toISOString() };
}
