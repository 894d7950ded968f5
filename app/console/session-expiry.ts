import type { Storage } from 'botbuilder-core';
import { isShopError, ShopError } from '../../store/index.js';

/** An eTag no stored item has: a write carrying it creates the item only if it is still absent. */
const ABSENT = 'absent';

interface Bucket {
  keys?: unknown;
  eTag?: string;
}

/**
 * Console sessions live in the botbuilder `Storage`, which can read, write and delete keys but
 * not list them. So each session's key is also listed in the bucket of the hour it expires
 * in (`console-session-expiry/<hour>`), written before the session itself; `purge` reads
 * the buckets of hours that are over, deletes every session listed and then the bucket.
 * Several nodes may purge at once: deleting is idempotent. Appends are compare-and-set on
 * the bucket's eTag, so concurrent logins never lose each other's entry.
 */
export class SessionExpiryIndex {
  constructor(
    private readonly storage: Storage,
    /** Bucket width; a session is purged at most this long after it expired. */
    private readonly bucketMs = 3600_000,
    /** How many past buckets a purge looks at: covers a node that was down this long (default 60 days of hours). */
    private readonly lookback = 1440,
  ) {}

  private bucketKey(bucket: number): string {
    return `console-session-expiry/${bucket}`;
  }

  /** Lists `sessionKey` under the bucket of `expiresAt`. */
  async add(sessionKey: string, expiresAt: number): Promise<void> {
    const key = this.bucketKey(Math.floor(expiresAt / this.bucketMs));
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = (await this.storage.read([key]))[key] as Bucket | undefined;
      const keys = Array.isArray(current?.keys) ? (current.keys as unknown[]).filter((k): k is string => typeof k === 'string') : [];
      try {
        await this.storage.write({ [key]: { keys: [...keys, sessionKey], eTag: current?.eTag ?? ABSENT } });
        return;
      } catch (err) {
        if (!isShopError(err, 'precondition_failed')) throw err;
      }
    }
    throw new ShopError('conflict', `the session expiry bucket ${key} is being written concurrently`);
  }

  /** Deletes the sessions of every bucket that is over at `now`; returns how many session keys were deleted. */
  async purge(now: number): Promise<number> {
    const last = Math.floor(now / this.bucketMs) - 1;
    let deleted = 0;
    for (let from = last - this.lookback + 1; from <= last; from += 500) {
      const keys: string[] = [];
      for (let b = from; b <= Math.min(last, from + 499); b++) keys.push(this.bucketKey(b));
      const found = await this.storage.read(keys);
      for (const [bucketKey, item] of Object.entries(found)) {
        const listed = Array.isArray((item as Bucket).keys) ? ((item as Bucket).keys as unknown[]).filter((k): k is string => typeof k === 'string') : [];
        for (let i = 0; i < listed.length; i += 500) await this.storage.delete(listed.slice(i, i + 500));
        await this.storage.delete([bucketKey]);
        deleted += listed.length;
      }
    }
    return deleted;
  }
}
