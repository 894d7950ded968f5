import mongoose from 'mongoose';
import { ShopError } from '../errors.js';
import { refuseOperators } from './guard.js';

const { mongo } = mongoose;

/** MongoDB's duplicate-key codes (11001 is the pre-2.6 spelling some servers still send). */
const DUPLICATE_KEY = new Set([11000, 11001]);

function codeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** True for a unique-index violation, also inside a bulk write's error list. */
export function isDuplicateKey(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && DUPLICATE_KEY.has(code)) return true;
  if (err instanceof mongo.MongoBulkWriteError) {
    const list = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    return list.some((e) => DUPLICATE_KEY.has(e.code));
  }
  return false;
}

/** A server that cannot be reached (or a store that was closed). */
function isUnreachable(err: unknown): boolean {
  return (
    err instanceof mongo.MongoServerSelectionError ||
    err instanceof mongo.MongoNetworkError ||
    err instanceof mongo.MongoNotConnectedError ||
    err instanceof mongo.MongoTopologyClosedError
  );
}

/** Every failure of the adapter leaves as a ShopError; unknown ones keep their cause. */
export function toShopError(err: unknown): ShopError {
  if (err instanceof ShopError) return err;
  if (isDuplicateKey(err)) return new ShopError('conflict', 'a record with the same unique key already exists', { cause: err });
  if (isUnreachable(err)) return new ShopError('unavailable', `MongoDB is unavailable: ${messageOf(err)}`, { cause: err });
  if (err instanceof mongoose.Error.ValidationError || err instanceof mongoose.Error.CastError) {
    return new ShopError('bad_request', err.message, { cause: err });
  }
  return new ShopError('internal', `MongoDB store failed: ${messageOf(err)}`, { cause: err });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The URI without user, password or options, safe for error messages and logs. */
export function redactUri(uri: string): string {
  const noQuery = uri.split('?')[0] ?? uri;
  return noQuery.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1');
}

type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? T[K] : never };

/**
 * Wraps every method of a port so that what it throws is a ShopError: callers branch on
 * `code` and must never see a driver error.
 */
export function guarded<T extends AsyncMethods<T>>(impl: T): T {
  const out: Partial<T> = {};
  for (const key of Object.keys(impl) as Array<keyof T>) {
    const fn = impl[key] as (...args: unknown[]) => Promise<unknown>;
    const wrapped = async (...args: unknown[]): Promise<unknown> => {
      refuseOperators(String(key), args);
      try {
        return await fn(...args);
      } catch (err) {
        throw toShopError(err);
      }
    };
    out[key] = wrapped as T[typeof key];
  }
  return out as T;
}
