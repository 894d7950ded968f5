import type { Storage, StoreItem, StoreItems } from 'botbuilder-core';
import { ShopError } from '../errors.js';
import { newETag } from '../ids.js';
import type { Db } from './db.js';
import { jsonList, parseJson } from './rows.js';
import { isPlainObject } from './validate.js';

interface StateRow {
  key: string;
  etag: string;
  data: string;
}

function keyList(keys: unknown, what: string): string[] {
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new ShopError('bad_request', `${what} needs an array of string keys`);
  }
  return keys as string[];
}

/**
 * botbuilder `Storage` with the semantics of its MemoryStorage: a write whose item carries
 * an eTag other than '*' that differs from the stored one fails (`precondition_failed`);
 * no eTag or '*' overwrites. Unlike MemoryStorage, one `write` call is all or nothing.
 * The eTag lives in its own column, not inside the JSON data.
 */
export class SqliteBotState implements Storage {
  constructor(private readonly db: Db) {}

  async read(keys: string[]): Promise<StoreItems> {
    const list = keyList(keys, 'read');
    if (list.length === 0) return {};
    return this.db.read(() => {
      const rows = this.db.all<StateRow>('SELECT key, etag, data FROM bot_state WHERE key IN (SELECT value FROM json_each(?))', [
        jsonList(list),
      ]);
      const items: StoreItems = {};
      for (const r of rows) items[r.key] = { ...parseJson<Record<string, unknown>>(r.data), eTag: r.etag };
      return items;
    });
  }

  async write(changes: StoreItems): Promise<void> {
    if (!isPlainObject(changes)) throw new ShopError('bad_request', 'write needs an object of items');
    const entries = Object.entries(changes).map(([key, item]: [string, unknown]) => {
      if (!isPlainObject(item)) throw new ShopError('bad_request', `bot state item ${key} must be an object`, { details: { key } });
      const { eTag, ...data } = item as StoreItem;
      let json: string;
      try {
        json = JSON.stringify(data);
      } catch (err) {
        throw new ShopError('bad_request', `bot state item ${key} is not JSON-serializable`, { cause: err, details: { key } });
      }
      // As in MemoryStorage, an empty eTag counts as none.
      return { key, eTag: typeof eTag === 'string' && eTag !== '' ? eTag : undefined, data: json };
    });
    if (entries.length === 0) return;
    this.db.write(() => {
      const now = Date.now();
      for (const e of entries) {
        if (e.eTag !== undefined && e.eTag !== '*') {
          const stored = this.db.get<{ etag: string }>('SELECT etag FROM bot_state WHERE key = ?', [e.key]);
          if (stored !== undefined && stored.etag !== e.eTag) {
            throw new ShopError('precondition_failed', `bot state ${e.key} was changed by someone else (stale eTag)`, {
              details: { key: e.key },
            });
          }
        }
        this.db.run(
          `INSERT INTO bot_state (key, etag, data, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, data = excluded.data, updated_at = excluded.updated_at`,
          [e.key, newETag(), e.data, now],
        );
      }
    });
  }

  async delete(keys: string[]): Promise<void> {
    const list = keyList(keys, 'delete');
    if (list.length === 0) return;
    this.db.write(() => {
      this.db.run('DELETE FROM bot_state WHERE key IN (SELECT value FROM json_each(?))', [jsonList(list)]);
    });
  }
}
