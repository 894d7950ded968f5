import { setTimeout as sleep } from 'node:timers/promises';
import type { Model, QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { isDuplicateKey } from './mongo-errors.js';
import type { LockDoc } from './models.js';

/*
 * Read-modify-write of one document, safe under concurrency on MongoDB and on FerretDB.
 *
 * Why not `findOneAndUpdate` with a condition or `$inc`: FerretDB v1 (SQLite) runs every
 * update and findAndModify as "read the matching documents, then write each back by _id",
 * so two concurrent conditional updates both match and both write, and `$inc`s get lost
 * (measured: 20 concurrent `$inc`s yield 3 to 7 distinct values; 10 concurrent claims, 2
 * to 9 winners). Inserts into a unique index, though, are atomic on both servers.
 *
 * So a writer reads the document at revision r, computes the new document, inserts the
 * lock `<collection>:<id>:<r>` (exactly one writer per revision gets it), replaces the
 * document filtered on `rev: r` and then drops the lock. A writer that loses the lock race
 * re-reads and tries again on the newer revision, where its condition (status, stock,
 * eTag) is checked afresh. Dropping the lock after the write is safe: the revision only
 * grows, so a late writer that takes an old lock fails the `rev` filter. A lock left by a
 * crashed writer is taken over after STALE_LOCK_MS.
 *
 * Every in-place change of a revisioned document goes through here: a plain update on
 * FerretDB rewrites the whole document and could undo a concurrent revisioned write.
 */

const STALE_LOCK_MS = 10_000;
const GIVE_UP_MS = 20_000;
/** Locks older than this are garbage (their writer is long gone); swept at open. */
const SWEEP_LOCKS_MS = 3_600_000;

export interface Revisioned {
  _id: string;
  rev: number;
}

/** What a step decides from the current document: write `next` (without `rev`), or nothing. */
export type Step<D, R> = { next: Omit<D, 'rev'>; result: R } | { result: R };

export class Revisions {
  constructor(private readonly locks: Model<LockDoc>) {}

  /**
   * Applies `step` to the current version of document `id` and writes its result, retrying
   * on concurrent writers. `step` may throw (e.g. `conflict`) to refuse the change; it may
   * run several times. `not_found` (naming `what`) when the document does not exist.
   */
  async mutate<D extends Revisioned, R>(model: Model<D>, what: string, id: string, step: (current: D) => Step<D, R>): Promise<R> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const current = await model.findById(id).lean<D>().exec();
      if (!current) throw new ShopError('not_found', `${what} ${id} not found`);
      const decision = step(current);
      if (!('next' in decision)) return decision.result;

      const rev = typeof current.rev === 'number' ? current.rev : 0;
      const lockId = `${model.collection.collectionName}:${id}:${rev}`;
      if (await this.acquire(lockId)) {
        try {
          const filter = { _id: id, rev: typeof current.rev === 'number' ? current.rev : null } as QueryFilter<D>;
          const replacement = { ...decision.next, _id: id, rev: rev + 1 } as D;
          const res = await model.replaceOne(filter, replacement).exec();
          if (res.matchedCount === 1) return decision.result;
        } finally {
          await this.locks.deleteOne({ _id: lockId }).exec();
        }
      }
      if (Date.now() - started > GIVE_UP_MS) {
        throw new ShopError('conflict', `${what} ${id} is being changed by too many writers at once; try again`);
      }
      await sleep(Math.min(2 + attempt * 2, 25) * (0.5 + Math.random()));
    }
  }

  /** Deletes locks that no live writer can hold any more. */
  async sweep(): Promise<void> {
    await this.locks.deleteMany({ at: { $lt: new Date(Date.now() - SWEEP_LOCKS_MS) } }).exec();
  }

  private async acquire(lockId: string): Promise<boolean> {
    try {
      await this.locks.create({ _id: lockId, at: new Date() });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await this.locks.findById(lockId).lean<LockDoc>().exec();
    if (held && Date.now() - held.at.getTime() > STALE_LOCK_MS) {
      await this.locks.deleteOne({ _id: lockId, at: held.at }).exec();
    }
    return false;
  }
}
