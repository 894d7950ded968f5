/**
 * The WeChat spool: messages WeChat delivered while the store did not answer. WeChat needs
 * `success` within 5 s (else it retries three times in 15 s and drops the message), so the
 * message goes to a small durable local folder first, one file per message (written to a
 * temporary file, fsynced, renamed, the folder fsynced), and a replayer runs it through the
 * normal turn once the store answers again, on this node, also after a restart.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isOverloadError, isStoreUnavailable, type StoreHealth } from '../../bots/index.js';
import { ShopError } from '../../store/index.js';

/** One spooled delivery: the plain (decrypted) XML as WeChat sent it. */
export interface SpooledMessage {
  /** The dedupe key (MsgId, or sender + CreateTime + event). */
  key: string;
  xml: string;
  /** ms since epoch, when this node received it. */
  receivedAt: number;
  ip?: string;
}

export interface WeChatSpoolOptions {
  /** The folder (created if missing). */
  dir: string;
  /** Files kept at most; beyond it `put` refuses (the webhook then lets WeChat retry). */
  maxMessages: number;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
}

const SUFFIX = '.json';
const TMP = '.tmp';
const FAILED = '.failed';

const fileKey = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

export class WeChatSpool {
  /** dedupe key -> file name (names sort in arrival order). */
  private readonly files = new Map<string, string>();
  private opened = false;

  constructor(readonly opts: WeChatSpoolOptions) {
    if (!(opts.maxMessages >= 1)) throw new ShopError('config_invalid', 'WeChat spool: maxMessages must be at least 1');
  }

  /** Creates the folder, drops half-written files, and indexes what an earlier run left. */
  async open(): Promise<this> {
    await mkdir(this.opts.dir, { recursive: true });
    for (const name of (await readdir(this.opts.dir)).sort()) {
      if (name.endsWith(TMP)) {
        await rm(path.join(this.opts.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      try {
        const msg = JSON.parse(await readFile(path.join(this.opts.dir, name), 'utf8')) as SpooledMessage;
        if (typeof msg.key !== 'string' || typeof msg.xml !== 'string') throw new Error('not a spooled message');
        this.files.set(msg.key, name);
      } catch (err) {
        // Kept for the operator, never replayed.
        this.opts.logger.error({ err, file: name }, 'unreadable WeChat spool file: renamed to .failed');
        await rename(path.join(this.opts.dir, name), path.join(this.opts.dir, name + FAILED)).catch(() => {});
      }
    }
    this.opened = true;
    if (this.files.size > 0) this.opts.logger.warn({ spooled: this.files.size, dir: this.opts.dir }, 'WeChat spool holds messages from an earlier run: they are replayed once the store answers');
    return this;
  }

  get size(): number {
    return this.files.size;
  }

  get full(): boolean {
    return this.files.size >= this.opts.maxMessages;
  }

  has(key: string): boolean {
    return this.files.has(key);
  }

  /**
   * Writes one message durably. True when it is on disk (or was already); false when the
   * spool is full (the caller must not tell WeChat `success`).
   */
  async put(msg: SpooledMessage): Promise<boolean> {
    if (!this.opened) throw new ShopError('internal', 'WeChat spool used before open()');
    if (this.files.has(msg.key)) return true;
    if (this.full) return false;
    const name = `${String(msg.receivedAt).padStart(15, '0')}-${fileKey(msg.key)}${SUFFIX}`;
    // Reserved before the first await: a concurrent put of the same key (a WeChat retry) waits for nothing and writes nothing.
    this.files.set(msg.key, name);
    const final = path.join(this.opts.dir, name);
    const tmp = `${final}.${process.pid}${TMP}`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(msg));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      await this.syncDir();
      return true;
    } catch (err) {
      this.files.delete(msg.key);
      await rm(tmp, { force: true }).catch(() => {});
      throw new ShopError('unavailable', `cannot write the WeChat spool: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Removes a message (it is stored now). */
  async remove(key: string): Promise<void> {
    const name = this.files.get(key);
    if (!name) return;
    await rm(path.join(this.opts.dir, name), { force: true });
    this.files.delete(key);
    await this.syncDir().catch(() => {});
  }

  /** Keeps a message that cannot be replayed (the operator decides), out of the count. */
  async quarantine(key: string): Promise<void> {
    const name = this.files.get(key);
    if (!name) return;
    await rename(path.join(this.opts.dir, name), path.join(this.opts.dir, name + FAILED)).catch(() => {});
    this.files.delete(key);
  }

  /** Spooled messages, oldest first. */
  async list(limit = Infinity): Promise<SpooledMessage[]> {
    const out: SpooledMessage[] = [];
    const names = [...this.files.entries()].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [key, name] of names) {
      if (out.length >= limit) break;
      try {
        out.push(JSON.parse(await readFile(path.join(this.opts.dir, name), 'utf8')) as SpooledMessage);
      } catch (err) {
        // Removed meanwhile (replayed by a concurrent drain) or damaged.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.opts.logger.error({ err, file: name }, 'unreadable WeChat spool file');
          await this.quarantine(key);
        }
      }
    }
    return out;
  }

  private async syncDir(): Promise<void> {
    // A rename is durable once the folder is: fsync it (not supported everywhere; best effort).
    const dh = await open(this.opts.dir, 'r');
    try {
      await dh.sync();
    } catch {
      // e.g. EINVAL on some file systems
    } finally {
      await dh.close();
    }
  }
}

export interface SpoolReplayerOptions {
  spool: WeChatSpool;
  health: StoreHealth;
  /** Runs one spooled message through the normal turn; resolves once the message is stored (and answered or queued for answering). */
  replay: (msg: SpooledMessage) => Promise<void>;
  /** Messages replayed at once; default 2. */
  concurrency?: number;
  /** Keys a live request is handling right now: not replayed meanwhile. */
  busy?: (key: string) => boolean;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
}

/**
 * Replays the spool whenever the store answers (at start, and after each outage), a few
 * messages at a time, oldest first. A message's file goes only once it is stored; a replay
 * after a crash is harmless (the transcript dedupes by MsgId and answers an unanswered one).
 */
export class SpoolReplayer {
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private offUp: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  replayed = 0;

  constructor(private readonly opts: SpoolReplayerOptions) {}

  start(): this {
    this.stopped = false;
    this.offUp = this.opts.health.onUp(() => this.kick());
    this.kick();
    return this;
  }

  /** Stops replaying (a replay in progress finishes). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offUp?.();
    clearTimeout(this.retryTimer);
    await this.draining;
  }

  /** Drains now if there is anything to drain (also called after a message was spooled while the store is up). */
  kick(): void {
    if (this.stopped || this.opts.spool.size === 0 || this.opts.health.down) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no drain is running (tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    const { spool, logger } = this.opts;
    const concurrency = Math.max(1, this.opts.concurrency ?? 2);
    const started = spool.size;
    let stop = false;
    let retryLater = false;
    while (!stop && !this.stopped && !this.opts.health.down) {
      const batch = (await spool.list(concurrency * 4)).filter((m) => !this.opts.busy?.(m.key));
      if (batch.length === 0) break;
      let next = 0;
      const worker = async () => {
        while (!stop && !this.stopped && next < batch.length) {
          const msg = batch[next++]!;
          try {
            await this.opts.replay(msg);
            await spool.remove(msg.key);
            this.replayed += 1;
          } catch (err) {
            if (isStoreUnavailable(err)) {
              // Down again: the file stays; the next recovery replays it.
              this.opts.health.failed(err);
              stop = true;
            } else if (isOverloadError(err)) {
              // The node is full: try again shortly, oldest first.
              stop = true;
              retryLater = true;
            } else {
              logger.error({ err, key: msg.key }, 'WeChat spooled message cannot be replayed: kept as .failed for the operator');
              await spool.quarantine(msg.key);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      // Only busy keys left (a live request holds them): they leave the spool when it ends.
      if (batch.length < concurrency * 4 && spool.size > 0 && (await spool.list()).every((m) => this.opts.busy?.(m.key))) break;
    }
    if (started > 0 && spool.size === 0) logger.info({ replayed: started }, 'WeChat spool replayed');
    if (retryLater && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), 1000);
      this.retryTimer.unref();
    }
  }
}
