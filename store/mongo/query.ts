import { ShopError } from '../errors.js';
import { decodeCursor } from '../paging.js';
import type { TimeRange } from '../types.js';
import type { Models } from './models.js';
import type { Revisions } from './revisions.js';

/** What every repository of this adapter is built from. */
export interface Ctx {
  m: Models;
  revs: Revisions;
}

/** A loose filter document; each repository casts it to its model's filter type once. */
export type Filter = Record<string, unknown>;

/** `{ $and: [...] }` of the non-empty parts (FerretDB and MongoDB both take a 1-element $and). */
export function and(...parts: Array<Filter | undefined>): Filter {
  const kept = parts.filter((p): p is Filter => p !== undefined && Object.keys(p).length > 0);
  if (kept.length === 0) return {};
  if (kept.length === 1) return kept[0]!;
  return { $and: kept };
}

function checkDate(name: string, d: Date | undefined): Date | undefined {
  if (d === undefined) return undefined;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ShopError('bad_request', `${name} must be a valid Date`);
  return d;
}

/** Inclusive `from`, exclusive `to` on a Date field. */
export function inRange(field: string, range: TimeRange | undefined): Filter | undefined {
  const from = checkDate('from', range?.from);
  const to = checkDate('to', range?.to);
  if (!from && !to) return undefined;
  const cond: Filter = {};
  if (from) cond.$gte = from;
  if (to) cond.$lt = to;
  return { [field]: cond };
}

/** Rows after an `[id]` cursor in the given id order. */
export function afterId(cursor: string | null | undefined, dir: 1 | -1): Filter | undefined {
  const key = decodeCursor(cursor, 1);
  if (!key) return undefined;
  return { _id: { [dir === 1 ? '$gt' : '$lt']: key[0] } };
}

/** Rows after an `[epochMs, id]` cursor in (field, id) order. */
export function afterTime(field: string, cursor: string | null | undefined, dir: 1 | -1): Filter | undefined {
  const key = decodeCursor(cursor, 2);
  if (!key) return undefined;
  const at = new Date(key[0]);
  const op = dir === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [op]: at } }, { [field]: at, _id: { [op]: key[1] } }] };
}

/** Copies `o` without its undefined-valued keys: absent optional fields stay absent. */
export function clean<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const key of Object.keys(o) as Array<keyof T>) {
    if (o[key] !== undefined) out[key] = o[key];
  }
  return out as T;
}

/** The given fields of a patch: absent and undefined both mean "leave as is". */
export function given<T extends object>(o: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return clean(o) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}

/** `null` (what a server may hand back for a missing value) as `undefined`. */
export function opt<T>(v: T | null | undefined): T | undefined {
  return v ?? undefined;
}

export function toJson(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

export function fromJson<T>(text: string | null | undefined): T | undefined {
  return text === undefined || text === null ? undefined : (JSON.parse(text) as T);
}
