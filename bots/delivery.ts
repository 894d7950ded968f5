/**
 * Outbound delivery of messages sent outside the shopper's own turn (an agent's reply, a
 * hand-off notice, a late WeChat answer, an app push): one retry policy, one error
 * classification, and the delivery status on the stored message (`pending` while retrying,
 * `sent`, `failed` with the channel's last error), published on the event bus as
 * `message.delivery` so every agent console (on any node) shows it live.
 *
 * The stored delivery state is a durable outbox. A `pending` delivery carries a claim: the
 * node sending it and a lease (`leaseMs`), renewed while an attempt or a push queue has it
 * and set past the next attempt while a retry waits, plus the next attempt time and the
 * attempt count at which its round gives up. A node that dies leaves its claims to lapse;
 * on start and every `pollEveryMs` each node resumes the lapsed, due ones, under the same
 * retry, backoff and give-up rules. Taking a delivery is a compare-and-set in the store
 * (`messages.claimDelivery`), and a node re-checks its claim before every retry, so of
 * several nodes exactly one sends each attempt. A graceful shutdown hands its waiting
 * retries back to the outbox (a lapsed claim) instead of failing them.
 *
 * The first attempt is claimed too: before the channel sees an out-of-turn message, its
 * sender calls `begin` (or `send` claims it), which records it `pending` under this node's
 * claim (attempts 0), so a node killed at any point of that attempt leaves a delivery the
 * outbox resumes. Stored `attempts` count the attempts whose outcome is known.
 *
 * What "exactly once" cannot cover: an attempt the channel took just before the node died,
 * before its outcome was stored, is sent again on resume. WeChat and Bot Framework offer no
 * idempotency key for out-of-turn sends; the app push webhook gets the stored message id as
 * `X-Shop-Delivery-Id` on every attempt and resume, so the shop's backend can drop the copy.
 */
import { randomUUID } from 'node:crypto';
import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder-core';
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

/** Sends a stored outbound message to its shopper's channel again, as it is stored (resuming a delivery). */
export type Resender = (message: Message) => Promise<void>;

/** The outbox settings of a node (see the module comment). */
export interface OutboxOptions {
  /** This node's id in delivery claims. Default: a random UUID per OutboundDelivery. */
  nodeId?: string;
  /** How long a claim holds without renewal (OUTBOX_LEASE_MS). Default 30 s. */
  leaseMs?: number;
  /** How often to look for deliveries to resume (OUTBOX_POLL_MS). Default 15 s; 0 = only on `start`. */
  pollEveryMs?: number;
  /** How resumed deliveries are sent; without it they are marked `failed` (INTERRUPTED_ERROR) as before the outbox. */
  resend?: Resender;
  /** At most this many deliveries resumed per poll (the rest wait for the next). Default 50. */
  resumeBatch?: number;
}

export interface OutboundDeliveryOptions extends OutboxOptions {
  store: Store;
  events: EventBus;
  logger: Logger;
  policy?: RetryPolicy;
  /** A channel attempt's own timeout (WeChat API, app webhook), for the retry window. Default 10 s. */
  attemptTimeoutMs?: number;
  /** The former name of `pollEveryMs` (used when that is not given). */
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
  /** The attempt count at which this round gives up (a manual retry starts a new round). */
  maxAttempts: number;
  resend: () => Promise<void>;
  timer?: NodeJS.Timeout;
  nextAttemptAt?: Date;
  lastError?: string;
  done: (m: Message) => void;
}

type Outcome = { status: DeliveryStatus; attempts: number; error?: string; nextAttemptAt?: Date; maxAttempts?: number; claimUntil?: Date };

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 15_000;

/**
 * Sends out-of-turn messages with retries and records their delivery on the stored message.
 * One per node; `start()` it (resumes what stopped nodes left), `close()` before the store closes.
 */
export class OutboundDelivery implements DeliveryReporter {
  readonly policy: RetryPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly clock: () => Date;
  private nodeIdValue: string;
  private leaseMsValue: number;
  private pollEveryMs: number;
  private resumeBatch: number;
  private resender?: Resender;
  /** Out-of-turn messages being sent now (a queue that gets one reports on it). */
  private readonly watched = new Map<string, number>();
  /** Messages whose delivery a queue with its own retries has taken over (with the attempts made before). */
  private readonly queued = new Map<string, number>();
  private readonly retrying = new Map<string, Retrying>();
  /** Claimed messages with an attempt running now: their claim is renewed until it ends. */
  private readonly attempting = new Set<string>();
  /** Store writes per message, in order (a slow write never lands after a newer one). */
  private readonly writes = new Map<string, Promise<unknown>>();
  private pollTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private resuming?: Promise<number>;
  private closed = false;

  constructor(private readonly o: OutboundDeliveryOptions) {
    this.policy = o.policy ?? DEFAULT_RETRY_POLICY;
    if (!(this.policy.attempts >= 1) || !(this.policy.baseMs >= 0) || !(this.policy.maxDelayMs >= this.policy.baseMs)) {
      throw new Error('RetryPolicy: attempts >= 1, baseMs >= 0 and maxDelayMs >= baseMs');
    }
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? 10_000;
    this.random = o.random ?? Math.random;
    this.clock = o.clock ?? (() => new Date());
    this.nodeIdValue = o.nodeId ?? randomUUID();
    this.leaseMsValue = DEFAULT_LEASE_MS;
    this.pollEveryMs = DEFAULT_POLL_MS;
    this.resumeBatch = 50;
    this.useOutbox({ ...o, pollEveryMs: o.pollEveryMs ?? o.sweepEveryMs });
  }

  /**
   * Outbox settings given after construction (the composition root knows how to resend
   * only once the hand-off service exists). Call before `start()`.
   */
  useOutbox(opts: OutboxOptions): this {
    if (opts.leaseMs !== undefined && !(Number.isFinite(opts.leaseMs) && opts.leaseMs >= 100)) throw new Error('OutboxOptions.leaseMs must be at least 100 ms');
    if (opts.pollEveryMs !== undefined && !(Number.isFinite(opts.pollEveryMs) && opts.pollEveryMs >= 0)) throw new Error('OutboxOptions.pollEveryMs must be 0 or more');
    if (opts.resumeBatch !== undefined && !(Number.isInteger(opts.resumeBatch) && opts.resumeBatch >= 1)) throw new Error('OutboxOptions.resumeBatch must be an integer of 1 or more');
    if (opts.nodeId !== undefined) {
      if (!opts.nodeId) throw new Error('OutboxOptions.nodeId must be a non-empty string');
      this.nodeIdValue = opts.nodeId;
    }
    this.leaseMsValue = opts.leaseMs ?? this.leaseMsValue;
    this.pollEveryMs = opts.pollEveryMs ?? this.pollEveryMs;
    this.resumeBatch = opts.resumeBatch ?? this.resumeBatch;
    if (opts.resend) this.resender = opts.resend;
    return this;
  }

  /** This node's id in delivery claims. */
  get nodeId(): string {
    return this.nodeIdValue;
  }

  get leaseMs(): number {
    return this.leaseMsValue;
  }

  /** Resumes what stopped nodes left pending, now and every `pollEveryMs`; renews this node's claims while they run. */
  start(): void {
    if (this.closed || this.heartbeatTimer) return;
    const poll = () => void this.resumeInterrupted().catch((err: unknown) => this.o.logger.warn({ err }, 'outbox poll failed'));
    poll();
    if (this.pollEveryMs > 0) {
      this.pollTimer = setInterval(poll, this.pollEveryMs);
      this.pollTimer.unref();
    }
    this.heartbeatTimer = setInterval(() => void this.renewClaims(), Math.max(50, Math.floor(this.leaseMsValue / 3)));
    this.heartbeatTimer.unref();
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
   * The first attempt of a stored out-of-turn message is about to start: call it after the
   * transcript stored the message and before the channel sees it, and wait for it. The
   * message is recorded `pending` under this node's claim (compare-and-set from "never
   * tracked", attempts kept at 0), renewed while the attempt runs, so a node that dies during
   * the attempt leaves a delivery another node (or this one restarted) resumes once the claim
   * lapses. Then report the attempt with `afterFirstAttempt`. A store that cannot take the
   * claim does not hold the message back: it goes out, tracked from its outcome on (as before
   * the outbox). `previousAttempts`: a retried message's count so far.
   */
  async begin(messageId: string, previousAttempts = 0): Promise<void> {
    this.watched.set(messageId, previousAttempts);
    this.attempting.add(messageId);
    try {
      await this.claimNew(messageId);
    } catch (err) {
      this.o.logger.warn({ err, messageId }, 'could not record a delivery before its first attempt: sending it unclaimed');
    }
  }

  /**
   * `begin` for a caller that cannot wait: the same claim, started now (a store that commits
   * synchronously, as SQLite, has it before the channel sees the message; on MongoDB it may
   * land after). Prefer `await begin(...)`.
   */
  watch(messageId: string, previousAttempts = 0): void {
    void this.begin(messageId, previousAttempts);
  }

  accept(messageId: string): boolean {
    const offset = this.watched.get(messageId);
    if (offset === undefined || this.closed) return false;
    this.queued.set(messageId, offset);
    this.report(messageId, { status: 'pending', attempts: 0 });
    return true;
  }

  /**
   * A queue's report; `attempts` counts its own attempts (a console retry's earlier ones are
   * added). A queue that stops before delivering (`failed` with SHUTDOWN_ERROR) hands the
   * message back to the outbox: it stays `pending` under a lapsed claim, for the next node.
   */
  report(messageId: string, outcome: { status: DeliveryStatus; attempts: number; error?: string }): void {
    const offset = this.queued.get(messageId) ?? 0;
    if (outcome.status !== 'pending') this.queued.delete(messageId);
    const attempts = outcome.attempts + offset;
    const handBack = outcome.status === 'failed' && outcome.error === SHUTDOWN_ERROR;
    const recorded = handBack ? this.handBack(messageId, attempts) : this.record(messageId, { ...outcome, attempts });
    void recorded.catch((err: unknown) => this.o.logger.warn({ err, messageId }, 'could not record a delivery status'));
  }

  /**
   * Runs `send` for a stored message with the retry policy: see `afterFirstAttempt`.
   * `previousAttempts` continues the count of a message retried from the console. The
   * message is claimed first (from its current status: untracked, or `failed` for a console
   * Retry), so two nodes retrying it at once send it once; when another node has it, nothing
   * is sent and the result is its current state.
   */
  async send(messageId: string, send: () => Promise<void>, previousAttempts = 0): Promise<DeliveryResult> {
    const taken = await this.claimFirst(messageId);
    if (taken) return { message: taken, status: taken.delivery?.status ?? 'pending', settled: Promise.resolve(taken) };
    this.watched.set(messageId, previousAttempts);
    this.attempting.add(messageId);
    let error: unknown;
    try {
      await send();
    } catch (err) {
      error = err;
    } finally {
      this.attempting.delete(messageId);
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
    this.attempting.delete(messageId);
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
    const maxAttempts = previousAttempts + this.policy.attempts;
    if (!failure.transient || attempts >= maxAttempts) {
      const message = await this.record(messageId, { status: 'failed', attempts, error: failure.error });
      this.o.logger.warn({ messageId, attempts, error: failure.error }, 'outbound message not delivered');
      return { message, status: 'failed', failure, cause: error, settled: Promise.resolve(message) };
    }
    let done!: (m: Message) => void;
    const settled = new Promise<Message>((resolve) => (done = resolve));
    const job: Retrying = { messageId, attempts, maxAttempts, resend, done, lastError: failure.error };
    if (this.closed) {
      // Shutting down: the next node (or this one restarted) resumes it.
      const message = await this.handBack(messageId, attempts, failure.error, undefined, maxAttempts);
      done(message);
      return { message, status: 'pending', failure, cause: error, settled };
    }
    this.retrying.set(messageId, job);
    const message = await this.schedule(job, failure);
    return { message, status: 'pending', failure, cause: error, settled };
  }

  /**
   * Resumes the `pending` deliveries that no live node holds: a lapsed claim (a crashed or
   * stopped node's), or no claim at all and untouched for longer than the whole retry
   * window (left by a version without the outbox), whose next attempt is due. Each is taken
   * with the store's compare-and-set, so across nodes exactly one resumes it. Without a
   * `resend`, they are marked `failed` (INTERRUPTED_ERROR) instead. Returns how many this
   * node took; one pass at a time per node.
   */
  resumeInterrupted(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    this.resuming ??= this.resumePass().finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  /** The former name of `resumeInterrupted` (which marked them failed): kept for callers. */
  sweepInterrupted(): Promise<number> {
    return this.resumeInterrupted();
  }

  /**
   * Stops: attempts running now finish (bounded by `graceMs`); retries not yet due are
   * handed back to the outbox (`pending` under a lapsed claim: the next node resumes them at
   * their due time); every status write is flushed, so the store can close next.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    const waiting = [...this.retrying.values()].filter((j) => j.timer);
    for (const job of waiting) {
      clearTimeout(job.timer);
      job.timer = undefined;
      this.retrying.delete(job.messageId);
      void this.handBack(job.messageId, job.attempts, job.lastError, job.nextAttemptAt, job.maxAttempts)
        .then(job.done)
        .catch((err: unknown) => {
          this.o.logger.warn({ err, messageId: job.messageId }, 'could not hand a delivery back to the outbox');
          job.done({ id: job.messageId } as Message);
        });
    }
    if (waiting.length > 0) this.o.logger.info({ handedBack: waiting.length }, 'shutdown: retries not yet due handed back to the outbox');
    const deadline = Date.now() + graceMs;
    while ((this.retrying.size > 0 || this.writes.size > 0) && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.writes.values()]), new Promise((r) => setTimeout(r, 50))]);
    }
    clearInterval(this.heartbeatTimer);
  }

  // ------------------------------------------------------------------ internals

  private async resumePass(): Promise<number> {
    const now = this.clock().getTime();
    const legacyCutoff = now - (retryWindowMs(this.policy, this.attemptTimeoutMs) + 60_000);
    let taken = 0;
    let cursor: string | null | undefined;
    scan: for (let pages = 0; pages < 20; pages++) {
      const page = await this.o.store.messages.listByDelivery('pending', { limit: 200, cursor });
      const due = page.items.filter((m) => {
        const d = m.delivery;
        if (!d || this.isBusy(m.id)) return false;
        if (d.claim ? d.claim.until.getTime() > now : d.updatedAt.getTime() > legacyCutoff) return false;
        return !d.nextAttemptAt || d.nextAttemptAt.getTime() <= now;
      });
      // In random order, so nodes resuming one backlog together share it rather than queue behind each other.
      for (let i = due.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [due[i], due[j]] = [due[j]!, due[i]!];
      }
      for (const m of due) {
        if (taken >= this.resumeBatch || this.closed) break scan;
        if (await this.resume(m.id, now)) taken++;
      }
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    if (taken > 0) this.o.logger.info({ resumed: taken, node: this.nodeIdValue }, this.resender ? 'outbox: resumed deliveries a stopped node left pending' : 'outbox: deliveries a stopped node left pending marked failed');
    return taken;
  }

  /** Claims one lapsed delivery and sends it again; false when another node was first. */
  private async resume(messageId: string, now: number): Promise<boolean> {
    // The lease runs from now, not from the start of the pass (a long pass on a slow store would claim already-lapsed leases).
    const claimed = await this.o.store.messages.claimDelivery(messageId, { owner: this.nodeIdValue, until: new Date(this.clock().getTime() + this.leaseMsValue), now: new Date(now) });
    if (!claimed?.delivery || this.isBusy(messageId)) return false;
    const { attempts, error } = claimed.delivery;
    const resend = this.resender;
    if (!resend) {
      await this.record(messageId, { status: 'failed', attempts, error: INTERRUPTED_ERROR });
      return true;
    }
    const maxAttempts = Math.max(claimed.delivery.maxAttempts ?? this.policy.attempts, attempts + 1);
    const job: Retrying = { messageId, attempts, maxAttempts, resend: () => resend(claimed), done: () => undefined, lastError: error };
    this.retrying.set(messageId, job);
    this.o.logger.info({ messageId, attempts, maxAttempts }, 'outbox: resuming an interrupted delivery');
    void this.run(job).catch((err: unknown) => this.o.logger.error({ err, messageId }, 'resumed delivery failed'));
    return true;
  }

  /**
   * Before a first attempt made through `send`: the claim. Undefined: go ahead (claimed, or
   * the store could not say: sent untracked as before the outbox, rather than not at all).
   * A message: another node has it, or it was sent already; nothing may be sent.
   */
  private async claimFirst(messageId: string): Promise<Message | undefined> {
    try {
      const current = await this.o.store.messages.get(messageId);
      if (!current) return undefined;
      const status = current.delivery?.status ?? null;
      if (status === 'sent') return current;
      const until = new Date(this.clock().getTime() + this.leaseMsValue);
      const claimed = await this.o.store.messages.claimDelivery(messageId, { owner: this.nodeIdValue, until, now: this.clock(), expect: status });
      if (claimed) return undefined;
      this.o.logger.info({ messageId }, 'delivery is being sent by another node: not sent here');
      return (await this.o.store.messages.get(messageId)) ?? current;
    } catch (err) {
      this.o.logger.warn({ err, messageId }, 'could not claim a delivery: sending it unclaimed');
      return undefined;
    }
  }

  /** Waits for the backoff, records `pending` until then (the claim outlasts the wait), then retries. */
  private schedule(job: Retrying, failure: FailureVerdict): Promise<Message> {
    const delay = retryDelay(this.policy, job.attempts, this.random, failure.retryAfterMs);
    const now = this.clock().getTime();
    job.nextAttemptAt = new Date(now + delay);
    job.lastError = failure.error;
    this.o.logger.info({ messageId: job.messageId, attempts: job.attempts, error: failure.error, retryInMs: delay }, 'outbound message not delivered: will retry');
    job.timer = setTimeout(() => {
      job.timer = undefined;
      void this.retry(job).catch((err: unknown) => this.o.logger.error({ err, messageId: job.messageId }, 'delivery retry failed'));
    }, delay);
    job.timer.unref();
    return this.record(job.messageId, {
      status: 'pending',
      attempts: job.attempts,
      error: failure.error,
      nextAttemptAt: job.nextAttemptAt,
      maxAttempts: job.maxAttempts,
      claimUntil: new Date(now + delay + this.leaseMsValue),
    });
  }

  /** A retry that is due: only while this node still holds the claim (it re-checks in the store). */
  private async retry(job: Retrying): Promise<void> {
    if (this.closed) return;
    let mine = true;
    try {
      const now = this.clock().getTime();
      mine = (await this.o.store.messages.claimDelivery(job.messageId, { owner: this.nodeIdValue, until: new Date(now + this.leaseMsValue), now: new Date(now) })) !== null;
    } catch (err) {
      // The store does not answer: no other node can take the claim over either.
      this.o.logger.warn({ err, messageId: job.messageId }, 'could not renew a delivery claim: retrying anyway');
    }
    if (!mine) {
      this.retrying.delete(job.messageId);
      this.o.logger.warn({ messageId: job.messageId }, 'outbox: another node took this delivery over: not retried here');
      job.done(await this.current(job.messageId).catch(() => ({ id: job.messageId }) as Message));
      return;
    }
    await this.run(job);
  }

  /** One attempt of a claimed delivery, and what follows from it (sent, another retry, or failed). */
  private async run(job: Retrying): Promise<void> {
    job.attempts++;
    this.watched.set(job.messageId, job.attempts - 1); // a resumed app push is taken over by the push queue (claimed already)
    this.attempting.add(job.messageId);
    let error: unknown;
    try {
      await job.resend();
    } catch (err) {
      error = err;
    } finally {
      this.attempting.delete(job.messageId);
      this.watched.delete(job.messageId);
    }
    if (error === undefined && this.queued.has(job.messageId)) {
      // A queue with its own retries has it now and reports (and this node renews the claim meanwhile).
      this.retrying.delete(job.messageId);
      job.done(await this.current(job.messageId).catch(() => ({ id: job.messageId }) as Message));
      return;
    }
    if (error === undefined) {
      this.retrying.delete(job.messageId);
      this.o.logger.info({ messageId: job.messageId, attempts: job.attempts }, 'outbound message delivered after retrying');
      await this.finish(job, { status: 'sent', attempts: job.attempts });
      return;
    }
    const failure = classifyFailure(error);
    if (failure.transient && this.closed && job.attempts < job.maxAttempts) {
      this.retrying.delete(job.messageId);
      job.done(await this.handBack(job.messageId, job.attempts, failure.error, undefined, job.maxAttempts).catch(() => ({ id: job.messageId }) as Message));
      return;
    }
    if (!failure.transient || job.attempts >= job.maxAttempts || this.closed) {
      this.retrying.delete(job.messageId);
      this.o.logger.warn({ messageId: job.messageId, attempts: job.attempts, error: failure.error }, 'outbound message not delivered: giving up');
      await this.finish(job, { status: 'failed', attempts: job.attempts, error: failure.error });
      return;
    }
    await this.schedule(job, failure).catch((err: unknown) => this.o.logger.warn({ err, messageId: job.messageId }, 'could not record a delivery status'));
  }

  /** Keeps this node's claims alive while an attempt runs or a queue has the message. */
  private async renewClaims(): Promise<void> {
    const ids = new Set([...this.attempting, ...this.queued.keys()]);
    for (const messageId of ids) {
      try {
        const now = this.clock().getTime();
        const renewed = await this.o.store.messages.claimDelivery(messageId, { owner: this.nodeIdValue, until: new Date(now + this.leaseMsValue), now: new Date(now) });
        if (!renewed) this.o.logger.debug({ messageId }, 'outbox: claim not renewed (settled meanwhile, or taken over)');
      } catch (err) {
        this.o.logger.warn({ err, messageId }, 'outbox: could not renew a delivery claim');
      }
    }
  }

  /** `pending` under a claim that has already lapsed: any node (this one restarted too) resumes it when due. */
  private handBack(messageId: string, attempts: number, error?: string, nextAttemptAt?: Date, maxAttempts?: number): Promise<Message> {
    return this.record(messageId, { status: 'pending', attempts, error, nextAttemptAt, maxAttempts, claimUntil: this.clock() });
  }

  private async finish(job: Retrying, outcome: Outcome): Promise<void> {
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

  /**
   * `begin`'s claim of a message never tracked (`pending`, attempts 0, this node's claim), in
   * order with the message's other writes, published like any status. Null when the message
   * has a delivery state already (a queue reported first, or it was claimed before).
   */
  private claimNew(messageId: string): Promise<Message | null> {
    return this.inOrder(messageId, async () => {
      const now = this.clock().getTime();
      const claimed = await this.o.store.messages.claimDelivery(messageId, { owner: this.nodeIdValue, until: new Date(now + this.leaseMsValue), now: new Date(now), expect: null });
      if (claimed) this.publishDelivery(claimed);
      return claimed;
    });
  }

  /**
   * Writes the status (in order per message) and publishes `message.delivery`. A `pending`
   * status carries this node's claim (until `claimUntil`, default one lease from now).
   */
  private record(messageId: string, outcome: Outcome): Promise<Message> {
    return this.inOrder(messageId, async () => {
      const error = outcome.error ? { error: outcome.error.slice(0, MAX_ERROR_LENGTH) } : {};
      const outbox =
        outcome.status === 'pending'
          ? {
              claim: { owner: this.nodeIdValue, until: outcome.claimUntil ?? new Date(this.clock().getTime() + this.leaseMsValue) },
              ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
              ...(outcome.maxAttempts ? { maxAttempts: outcome.maxAttempts } : {}),
            }
          : {};
      const message = await this.o.store.messages.setDelivery(messageId, { status: outcome.status, attempts: outcome.attempts, ...error, ...outbox });
      this.publishDelivery(message);
      return message;
    });
  }

  /** The console's mark: what the outbox keeps for itself (claims, node ids) stays out of the event. */
  private publishDelivery(message: Message): void {
    const d = message.delivery!;
    this.o.events.publish({ type: 'message.delivery', conversationId: message.conversationId, messageId: message.id, delivery: { status: d.status, attempts: d.attempts, ...(d.error ? { error: d.error } : {}), updatedAt: d.updatedAt } });
  }

  /** Runs a store write of one message after its earlier ones (a slow write never lands after a newer one). */
  private inOrder<T>(messageId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.writes.get(messageId) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(fn);
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

/** An outgoing activity the transcript stored (its id is the stored message's): one the outbox can track. */
export function isStoredMessage(a: Partial<Activity>): a is Partial<Activity> & { id: string } {
  return a.type === ActivityTypes.Message && typeof a.id === 'string' && a.id !== '';
}

/**
 * For a proactive turn: every stored message `context` sends from now on is claimed with
 * `begin` after the transcript stored it (so it has its id) and before the channel sees it,
 * `pending` under this node, so a crash during its first attempt leaves it to the outbox.
 * `onClaimed` is told of each such message, before its claim; report the attempt with
 * `afterFirstAttempt`.
 */
export function claimBeforeSending(
  context: TurnContext,
  delivery: Pick<OutboundDelivery, 'begin'>,
  onClaimed: (activity: Partial<Activity> & { id: string }) => void,
): void {
  context.onSendActivities(async (_ctx, activities, next) => {
    for (const a of activities) {
      if (!isStoredMessage(a)) continue;
      onClaimed(a);
      await delivery.begin(a.id);
    }
    return next();
  });
}
