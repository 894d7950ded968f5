/**
 * The store: repository ports, their SQLite and MongoDB implementations, and the one
 * error type. The rest of the app opens a store here and depends on the ports only.
 */
import { openMongoStore } from './mongo/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export * from './types.js';
export { ShopError, isShopError, HTTP_STATUS, type ShopErrorCode } from './errors.js';
export { newId } from './ids.js';
export { listAll } from './paging.js';
export { safeParse } from './validate.js';
export { openMongoStore, openSqliteStore };

export type StoreOptions =
  | { kind: 'sqlite'; file: string }
  | { kind: 'mongo'; uri: string; serverSelectionTimeoutMS?: number; socketTimeoutMS?: number };

/** Opens the configured store; fails fast with `unavailable` when it cannot be reached. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  return opts.kind === 'mongo'
    ? openMongoStore({ uri: opts.uri, serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS, socketTimeoutMS: opts.socketTimeoutMS })
    : openSqliteStore({ file: opts.file });
}
