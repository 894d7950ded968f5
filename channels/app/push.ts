import type { Logger } from 'pino';
import { isTransientHttpStatus, retryDelay, SHUTDOWN_ERROR, type DeliveryReporter } from '../../bots/index.js';
import { ShopError } from '../../store/index.js';
import type { WireMessage } from '../web/index.js';
import { signatureHeaders } from './signature.js';

/** What the app backend's push webhook receives for every outgoing message of the app channel. */
export interface PushEvent {
  type: 'message';
  /** The app account the message is for (the `userId` of the app's calls). */
  userId: string;
  customerId: string;
  conversationId: string;
  message: WireMessage;
}

/** A delivery that ran out of attempts (or was refused): kept so an operator can see it. */
export interface DeadLetter {
  deliveryId: string;
  event: PushEvent;
  attempts: number;
  lastError: string;
  /** The webhook's last HTTP status, when it answered at all. */
  lastStatus?: number;
  deadAt: string;
}

export interface PushQueueOptions {
  url: string;
  /** Signs every delivery (APP_HMAC_SECRET), so the app backend can check it came from us. */
  secret: string;
  logger: Logger;
  /** Attempts per delivery, the first included (APP_PUSH_MAX_ATTEMPTS, else OUTBOUND_RETRY_ATTEMPTS). */
  maxAttempts: number;
  /** Delay before the first retry; doubles per retry, with jitter (APP_PUSH_RETRY_BASE_MS, else OUTBOUND_RETRY_BASE_MS). */
  retryBaseMs: number;
  /**
   * Told about every push of an out-of-turn message (an agent's reply, a notice): the
   * delivery status on the stored message follows the attempts (pending, sent, failed).
   */
  reporter?: DeliveryReporter;
  /** Deliveries waiting or in flight; beyond it new ones are dead-lettered at once. */
  maxQueued?: number;
  concurrency?: number;
  attemptTimeoutMs?: number;
  /** Newest dead letters kept (per node). */
  maxDeadLetters?: number;
  /** The longest wait between attempts, whatever the backoff or Retry-After says (OUTBOUND_RETRY_MAX_DELAY_MS). */
  maxDelayMs?: number;
  random?: () => number;
}

interface Job {
  deliveryId: string;
  event: PushEvent;
  body: string;
  attempts: number;
  lastError: string;
  lastStatus?: number;
  /** Its outcome goes to the reporter (the stored message's delivery status). */
  tracked: boolean;
}

type AttemptResult = { ok: true } | { ok: false; retry: boolean; error: string; status?: number; retryAfterMs?: number };

/**
 * Delivers push events to the app backend's webhook, off the turn: `enqueue` never waits.
 * Network errors, 5xx and 429 are retried with exponential backoff and jitter; other 4xx
 * answers mean the backend refuses this delivery, so retrying cannot help (the backoff and
 * the classification are bots/delivery.ts's, shared with every out-of-turn send). A
 * delivery that gives up is logged at error and kept in a bounded in-memory dead-letter
 * list, and, for an out-of-turn message, recorded `failed` on the stored message (the agent
 * console shows it, with a Retry). The queue lives in this process: a restart drops what
 * was still waiting (the messages themselves are stored, and the app can fetch them with
 * GET .../messages); out-of-turn ones stay `pending` in the outbox and a node resumes them.
 *
 * A delivery's id (`X-Shop-Delivery-Id`) is the stored message's id: the same on every
 * attempt, on a console Retry and when a node resumes the delivery after a crash, so the
 * backend can drop a copy of a push it has already accepted.
 */
export class PushQueue {
  private readonly waiting: Job[] = [];
  private readonly timers = new Map<NodeJS.Timeout, Job>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly dead: DeadLetter[] = [];
  private active = 0;
  private closed = false;
  private readonly maxQueued: number;
  private readonly concurrency: number;
  private readonly attemptTimeoutMs: number;
  private readonly maxDeadLetters: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(private readonly opts: PushQueueOptions) {
    for (const key of ['url', 'secret', 'logger'] as const) {
      if (!opts[key]) throw new ShopError('config_invalid', `PushQueueOptions.${key} is required`);
    }
    if (!(opts.maxAttempts >= 1) || !(opts.retryBaseMs >= 0)) {
      throw new ShopError('config_invalid', 'PushQueueOptions.maxAttempts must be >= 1 and retryBaseMs >= 0');
    }
    this.maxQueued = opts.maxQueued ?? 1000;
    this.concurrency = opts.concurrency ?? 4;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 10_000;
    this.maxDeadLetters = opts.maxDeadLetters ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.random = opts.random ?? Math.random;
  }

  /** Deliveries waiting, scheduled for a retry or in flight. */
  get size(): number {
    return this.waiting.length + this.timers.size + this.active;
  }

  /** Dead letters of this node, newest first. */
  deadLetters(): DeadLetter[] {
    return [...this.dead].reverse();
  }

  /** Queues one delivery and returns its id, the message's (also sent as `X-Shop-Delivery-Id`). */
  enqueue(event: PushEvent): string {
    const tracked = !this.closed && (this.opts.reporter?.accept(event.message.id) ?? false);
    const job: Job = { deliveryId: event.message.id, event, body: JSON.stringify(event), attempts: 0, lastError: '', tracked };
    if (this.closed) {
      this.opts.logger.warn({ deliveryId: job.deliveryId, messageId: event.message.id }, 'app push queue is closed: delivery dropped');
      return job.deliveryId;
    }
    if (this.size >= this.maxQueued) {
      job.lastError = `push queue full (${this.maxQueued} deliveries waiting)`;
      this.deadLetter(job);
      return job.deliveryId;
    }
    this.waiting.push(job);
    this.pump();
    return job.deliveryId;
  }

  /**
   * Stops: scheduled retries and deliveries not yet started are dropped (with a log line),
   * attempts in flight get `graceMs` to finish and are then aborted. No timer is left behind.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.waiting.length + this.timers.size;
    for (const job of [...this.waiting, ...this.timers.values()]) this.report(job, 'failed', SHUTDOWN_ERROR);
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
    if (dropped > 0) this.opts.logger.warn({ dropped }, 'app push queue closing: undelivered pushes dropped');
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
      this.abort.abort();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private pump(): void {
    while (!this.closed && this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.active += 1;
      const run = this.run(job).finally(() => {
        this.active -= 1;
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    job.attempts += 1;
    const result = await this.attempt(job);
    if (result.ok) {
      this.opts.logger.debug({ deliveryId: job.deliveryId, attempts: job.attempts }, 'app push delivered');
      this.report(job, 'sent');
      return;
    }
    job.lastError = result.error;
    job.lastStatus = result.status;
    if (this.closed) {
      this.opts.logger.warn({ deliveryId: job.deliveryId, attempts: job.attempts, lastError: job.lastError }, 'app push interrupted by shutdown: dropped');
      this.report(job, 'failed', SHUTDOWN_ERROR);
      return;
    }
    if (!result.retry || job.attempts >= this.opts.maxAttempts) {
      this.deadLetter(job);
      return;
    }
    const delay = retryDelay({ attempts: this.opts.maxAttempts, baseMs: this.opts.retryBaseMs, maxDelayMs: this.maxDelayMs }, job.attempts, this.random, result.retryAfterMs);
    this.report(job, 'pending');
    this.opts.logger.info({ deliveryId: job.deliveryId, attempts: job.attempts, lastError: job.lastError, retryInMs: delay }, 'app push failed: will retry');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting.push(job);
      this.pump();
    }, delay);
    this.timers.set(timer, job);
  }

  private report(job: Job, status: 'pending' | 'sent' | 'failed', error?: string): void {
    if (!job.tracked) return;
    const lastError = error ?? (job.lastError || undefined);
    try {
      this.opts.reporter?.report(job.event.message.id, { status, attempts: job.attempts, ...(status !== 'sent' && lastError ? { error: `app push webhook: ${lastError}` } : {}) });
    } catch (err) {
      this.opts.logger.warn({ err, deliveryId: job.deliveryId }, 'delivery report failed');
    }
  }

  private async attempt(job: Job): Promise<AttemptResult> {
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Shop-Delivery-Id': job.deliveryId,
          'X-Shop-Delivery-Attempt': String(job.attempts),
          ...signatureHeaders(this.opts.secret, job.body),
        },
        body: job.body,
        // A redirect would turn the POST into a GET elsewhere: treat it as a refusal instead.
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.attemptTimeoutMs)]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true };
      const retry = isTransientHttpStatus(res.status);
      return { ok: false, retry, status: res.status, error: `HTTP ${res.status}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, retry: true, error: `${err instanceof Error ? err.message : String(err)}${cause}` };
    }
  }

  private deadLetter(job: Job): void {
    this.report(job, 'failed');
    const letter: DeadLetter = {
      deliveryId: job.deliveryId,
      event: job.event,
      attempts: job.attempts,
      lastError: job.lastError,
      lastStatus: job.lastStatus,
      deadAt: new Date().toISOString(),
    };
    this.dead.push(letter);
    if (this.dead.length > this.maxDeadLetters) this.dead.shift();
    // Ids only: the message text may hold personal data, and it is in the store anyway.
    this.opts.logger.error(
      {
        deliveryId: job.deliveryId,
        messageId: job.event.message.id,
        conversationId: job.event.conversationId,
        userId: job.event.userId,
        attempts: job.attempts,
        lastError: job.lastError,
        lastStatus: job.lastStatus,
      },
      'app push dead-lettered',
    );
  }
}

/** Retry-After in seconds (dates are rare from webhooks and ignored). */
function retryAfterMs(header: string | null): number | undefined {
  if (!header || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}
