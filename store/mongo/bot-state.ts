import type { Storage, StoreItems } from 'botbuilder-core';
import { ShopError } from '../errors.js';
import { newETag } from '../ids.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { BotStateDoc } from './models.js';
import type { Ctx } from './query.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The item's JSON without its eTag (the eTag lives beside it, where it can be filtered on). */
function serialize(item: unknown): string {
  if (!isObject(item)) return JSON.stringify(item);
  const { eTag: _eTag, ...rest } = item;
  return JSON.stringify(rest);
}

function deserialize(doc: BotStateDoc): unknown {
  const value: unknown = JSON.parse(doc.item);
  return isObject(value) ? { ...value, eTag: doc.eTag } : value;
}

/**
 * botbuilder `Storage` with MemoryStorage's eTag rules: a write whose eTag is set, not
 * '*', and not the stored one fails with `precondition_failed`; every save gets a fresh
 * eTag. The compare-and-save is a revisioned write, so of two writers holding the same
 * eTag exactly one wins, on FerretDB too.
 */
export function botStateStorage({ m, revs }: Ctx): Storage {
  async function writeOne(key: string, item: unknown): Promise<void> {
    const expected = isObject(item) && typeof item.eTag === 'string' && item.eTag !== '' && item.eTag !== '*' ? item.eTag : undefined;
    const json = serialize(item);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await m.botState.exists({ _id: key }).exec()) {
        try {
          await revs.mutate(m.botState, 'bot state item', key, (cur) => {
            if (expected !== undefined && expected !== cur.eTag) {
              throw new ShopError('precondition_failed', `bot state "${key}" was changed by another writer (eTag mismatch)`, {
                details: { key },
              });
            }
            return { next: { _id: key, eTag: newETag(), item: json }, result: undefined };
          });
          return;
        } catch (err) {
          if (err instanceof ShopError && err.code === 'not_found') continue; // deleted meanwhile
          throw err;
        }
      }
      // Like MemoryStorage, an item that is not stored is written whatever its eTag.
      try {
        await m.botState.create({ _id: key, eTag: newETag(), item: json, rev: 0 });
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // created meanwhile: compare with it
      }
    }
    throw new ShopError('conflict', `bot state "${key}" is being written concurrently`);
  }

  return guarded<Storage>({
    async read(keys: string[]): Promise<StoreItems> {
      if (!Array.isArray(keys)) throw new ShopError('bad_request', 'keys are required when reading');
      if (keys.length === 0) return {};
      const docs = await m.botState.find({ _id: { $in: keys } }).lean<BotStateDoc[]>().exec();
      const items: StoreItems = {};
      for (const doc of docs) items[doc._id] = deserialize(doc);
      return items;
    },

    async write(changes: StoreItems): Promise<void> {
      if (!isObject(changes)) throw new ShopError('bad_request', 'changes are required when writing');
      for (const [key, item] of Object.entries(changes)) await writeOne(key, item);
    },

    async delete(keys: string[]): Promise<void> {
      if (!Array.isArray(keys)) throw new ShopError('bad_request', 'keys are required when deleting');
      if (keys.length === 0) return;
      await m.botState.deleteMany({ _id: { $in: keys } }).exec();
    },
  });
}
