import { ShopError } from './errors.js';
import type { PageRequest } from './types.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The effective page size; `bad_request` outside 1..MAX_PAGE_SIZE. */
export function pageLimit(page?: PageRequest): number {
  const limit = page?.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ShopError('bad_request', `page limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(limit)}`);
  }
  return limit;
}

/**
 * Cursors are the sort key of the last item of the previous page, base64url-encoded JSON:
 * `[id]` or `[epochMs, id]`. Both stores read and write the same shape.
 */
export function encodeCursor(key: Array<string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, arity: 1): [string] | null;
export function decodeCursor(cursor: string | null | undefined, arity: 2): [number, string] | null;
export function decodeCursor(cursor: string | null | undefined, arity: 1 | 2): [string] | [number, string] | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ShopError('bad_request', 'invalid page cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== arity) throw new ShopError('bad_request', 'invalid page cursor');
  if (arity === 1 && typeof parsed[0] === 'string') return [parsed[0]];
  if (arity === 2 && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  throw new ShopError('bad_request', 'invalid page cursor');
}

/** Splits a fetched `limit + 1` rows into a page. */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => Array<string | number>): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}

/** Every item of a paged listing, fetching `limit` at a time (imports, training, index builds). */
export async function listAll<T>(list: (page: PageRequest) => Promise<{ items: T[]; nextCursor: string | null }>, limit = MAX_PAGE_SIZE): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await list({ limit, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
