import type { Model, QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { COLLECTIONS, type CollectionName, type Customer } from '../types.js';
import { toCustomer } from './customers.js';
import type { CustomerDoc, IdentityDoc } from './models.js';
import type { Ctx } from './query.js';
import type { Revisioned } from './revisions.js';

/** How many revisioned documents are moved at once. */
const PARALLEL = 8;

const blank = (v: string | null | undefined): boolean => v === null || v === undefined || v.trim() === '';

/** The target's profile after taking in the source's (the rules of `Store.mergeCustomers`). */
function mergedProfile(target: CustomerDoc, source: CustomerDoc): CustomerDoc {
  const next: CustomerDoc = {
    ...target,
    vip: target.vip || source.vip,
    tags: [...new Set([...(target.tags ?? []), ...(source.tags ?? [])])],
    updatedAt: new Date(),
  };
  if (blank(target.displayName) && !blank(source.displayName)) next.displayName = source.displayName;
  if (blank(target.email) && !blank(source.email)) {
    next.email = source.email;
    next.emailKey = source.email!.toLowerCase();
  }
  if (blank(target.phone) && !blank(source.phone)) next.phone = source.phone;
  return next;
}

/**
 * Merges customer `sourceId` into `targetId` without transactions (FerretDB has none), as a
 * sequence of steps that are each safe to repeat, so a merge interrupted midway is finished
 * by running it again:
 *
 * 1. Move the records. Identities, messages and interactions get one `updateMany` of
 *    `customerId` each: setting a field to a constant can be repeated, and none of them is
 *    revisioned (identities and interactions are never changed in place; messages only by
 *    `annotate`, which writes other fields). Conversations, orders and returns ARE
 *    revisioned, and on FerretDB an `updateMany` rewrites whole documents read before the
 *    write, so it could undo a concurrent claim, status change or seq allocation (and a
 *    `$inc` of `rev` would be lost the same way): each of those moves through
 *    `Revisions.mutate`, like any other in-place change of them.
 * 2. Merge the profile into the target, through `Revisions.mutate` as well. The rules
 *    (union of tags, OR of vip, fill only what is empty) give the same result when repeated.
 * 3. Move again: records written for the source while step 1 ran (a turn that resolved the
 *    customer just before its identity moved, or a FerretDB `annotate` whose whole-document
 *    write-back restored the old `customerId`) would otherwise be left on a deleted customer.
 * 4. Delete the source, last: until then a re-run finds it and redoes what is missing.
 */
export async function mergeCustomers(
  ctx: Ctx,
  sourceId: string,
  targetId: string,
): Promise<{ customer: Customer; moved: Record<CollectionName, number> }> {
  const { m, revs } = ctx;
  for (const [field, id] of [['sourceId', sourceId], ['targetId', targetId]] as const) {
    if (typeof id !== 'string' || id.trim() === '') throw new ShopError('bad_request', `${field} must be a non-empty string`);
  }
  if (sourceId === targetId) throw new ShopError('bad_request', `cannot merge customer ${sourceId} into itself`);
  const [source, target] = await Promise.all([
    m.customers.findById(sourceId).lean<CustomerDoc>().exec(),
    m.customers.findById(targetId).lean<CustomerDoc>().exec(),
  ]);
  if (!source) throw new ShopError('not_found', `customer ${sourceId} not found`);
  if (!target) throw new ShopError('not_found', `customer ${targetId} not found`);

  const owned = { customerId: sourceId };
  const toTarget = { $set: { customerId: targetId } };

  /** Re-points the source's documents of a revisioned collection, one revisioned write each. */
  async function moveRevisioned<D extends Revisioned & { customerId: string }>(model: Model<D>, what: string): Promise<number> {
    const docs = await model
      .find(owned as QueryFilter<D>, { _id: 1 })
      .lean<Array<{ _id: string }>>()
      .exec();
    let moved = 0;
    for (let i = 0; i < docs.length; i += PARALLEL) {
      const results = await Promise.all(
        docs.slice(i, i + PARALLEL).map(async ({ _id }) => {
          try {
            return await revs.mutate(model, what, _id, (cur) =>
              cur.customerId === sourceId ? { next: { ...cur, customerId: targetId }, result: 1 } : { result: 0 },
            );
          } catch (err) {
            // Deleted meanwhile (a privacy erase): nothing left to move.
            if (err instanceof ShopError && err.code === 'not_found') return 0;
            throw err;
          }
        }),
      );
      for (const n of results) moved += n;
    }
    return moved;
  }

  const moved = Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>;
  async function moveAll(): Promise<void> {
    await m.identities.updateMany(owned, toTarget).exec();
    moved.conversations += await moveRevisioned(m.conversations, 'conversation');
    moved.orders += await moveRevisioned(m.orders, 'order');
    moved.returns += await moveRevisioned(m.returns, 'return');
    // Revisioned too: an outbox claim (messages.claimDelivery) rewrites the whole message under its
    // revision, and a plain update racing it could be undone (the message left on the deleted source).
    moved.messages += await moveRevisioned(m.messages, 'message');
    moved.interactions += (await m.interactions.updateMany(owned, toTarget).exec()).modifiedCount;
  }

  await moveAll();
  const merged = await revs.mutate(m.customers, 'customer', targetId, (cur) => {
    const next = mergedProfile(cur, source);
    return { next, result: next };
  });
  await moveAll();
  moved.customers = (await m.customers.deleteOne({ _id: sourceId }).exec()).deletedCount;

  const identities = await m.identities.find({ customerId: targetId }).sort({ _id: 1 }).lean<IdentityDoc[]>().exec();
  return { customer: toCustomer(merged, identities), moved };
}
