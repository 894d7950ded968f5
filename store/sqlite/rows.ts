/**
 * Row <-> domain mapping helpers. SQLite has no Date or JSON types and returns NULL for
 * absent columns; the ports want `Date`s, parsed JSON and `undefined`.
 */
import { ShopError } from '../errors.js';
import type { SqlValue } from './db.js';

export const toMs = (d: Date): number => d.getTime();
export const optMs = (d: Date | undefined): number | null => (d === undefined ? null : d.getTime());

export const toDate = (ms: number): Date => new Date(ms);
export const optDate = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(ms));

export const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
/** `undefined` -> NULL for binding. */
export const orNull = <T extends SqlValue>(v: T | undefined): T | null => (v === undefined ? null : v);

export const toJson = (v: unknown): string => JSON.stringify(v);
export const optJson = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** Parses a JSON column this adapter wrote; a corrupt value is an internal error, not a crash. */
export function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new ShopError('internal', 'corrupt JSON column in the SQLite store', { cause: err });
  }
}

export const optParseJson = <T>(text: string | null): T | undefined => (text === null ? undefined : parseJson<T>(text));

/** Binds a JSON array of strings, for `IN (SELECT value FROM json_each(?))`. */
export const jsonList = (values: readonly string[]): string => JSON.stringify(values);

/**
 * Copies `patch` keys that are present and not `undefined`: in a patch, `undefined` means
 * "leave as is", never "clear" (a spread would otherwise silently wipe a field).
 */
export function definedEntries<P extends object>(patch: P): Partial<P> {
  const out: Partial<P> = {};
  for (const key of Object.keys(patch) as Array<keyof P>) {
    if (patch[key] !== undefined) out[key] = patch[key];
  }
  return out;
}
