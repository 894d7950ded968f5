import type Database from 'better-sqlite3';
import { ShopError } from '../errors.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type { Page, PageRequest } from '../types.js';

/** A value better-sqlite3 can bind. */
export type SqlValue = string | number | bigint | Buffer | null;

/** SQLite result codes (primary part of `err.code`) that mean the database cannot be used right now. */
const UNAVAILABLE_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
]);

function sqliteCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Turns a better-sqlite3 error into a `ShopError`, by `err.code` only (the message text is
 * not a contract). Constraint failures are `conflict` except CHECK/NOT NULL, which mean the
 * input was invalid.
 */
export function toShopError(err: unknown): ShopError {
  if (err instanceof ShopError) return err;
  // better-sqlite3 refuses to bind a value that is not a number, string, bigint, buffer or
  // null, and reads a plain object as named parameters: an object (`{ $gt: "" }`) where the
  // port takes a string is the caller's bad input, not a crash of ours.
  if ((err instanceof TypeError && /can only bind/i.test(err.message)) || (err instanceof RangeError && /parameter/i.test(err.message))) {
    return new ShopError('bad_request', 'a value of the wrong type (an object where a string or number belongs)', { cause: err });
  }
  const code = sqliteCode(err);
  if (code !== undefined) {
    if (code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL') {
      return new ShopError('bad_request', 'invalid value for the database', { cause: err, details: { sqliteCode: code } });
    }
    if (code.startsWith('SQLITE_CONSTRAINT')) {
      return new ShopError('conflict', 'a record with the same unique key already exists', {
        cause: err,
        details: { sqliteCode: code },
      });
    }
    const primary = code.replace(/^(SQLITE_[A-Z]+)(_.*)?$/, '$1');
    if (UNAVAILABLE_CODES.has(primary)) {
      return new ShopError('unavailable', 'the SQLite database cannot be used', { cause: err, details: { sqliteCode: code } });
    }
  }
  return new ShopError('internal', 'unexpected SQLite error', { cause: err });
}

/**
 * The connection shared by the repositories: a statement cache plus the two ways in
 * (`read`, `write`), so every error leaves the adapter as a `ShopError` and every write is
 * one IMMEDIATE transaction (taking the write lock up front avoids SQLITE_BUSY on lock
 * upgrade when several processes share the file).
 */
export class Db {
  private readonly statements = new Map<string, Database.Statement<SqlValue[]>>();

  constructor(readonly raw: Database.Database) {}

  /** Runs `fn` against an open connection, mapping every failure to a `ShopError`. */
  read<T>(fn: () => T): T {
    if (!this.raw.open) throw new ShopError('unavailable', 'the SQLite store is closed');
    try {
      return fn();
    } catch (err) {
      throw toShopError(err);
    }
  }

  /** Runs `fn` in one IMMEDIATE transaction (a savepoint when already inside one). */
  write<T>(fn: () => T): T {
    return this.read(() => this.raw.transaction(fn).immediate());
  }

  /** Runs `fn` in one read transaction, so multi-query reads see a single snapshot. */
  snapshot<T>(fn: () => T): T {
    return this.read(() => this.raw.transaction(fn).deferred());
  }

  private stmt(sql: string): Database.Statement<SqlValue[]> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.raw.prepare<SqlValue[]>(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<R>(sql: string, params: SqlValue[] = []): R | undefined {
    return this.stmt(sql).get(...params) as R | undefined;
  }

  all<R>(sql: string, params: SqlValue[] = []): R[] {
    return this.stmt(sql).all(...params) as R[];
  }

  run(sql: string, params: SqlValue[] = []): Database.RunResult {
    return this.stmt(sql).run(...params);
  }

  /**
   * One page of a list ordered by (`timeColumn`, id), ascending or descending, after the
   * page's cursor: every time-ordered list pages the same way. `table` and `timeColumn` are
   * trusted literals.
   */
  timePage<R, T>(q: {
    table: string;
    timeColumn: string;
    where: Where;
    descending: boolean;
    page: PageRequest | undefined;
    map: (row: R) => T;
    key: (item: T) => [number, string];
  }): Page<T> {
    const limit = pageLimit(q.page);
    const after = decodeCursor(q.page?.cursor, 2);
    if (after !== null) q.where.add(`(${q.timeColumn}, id) ${q.descending ? '<' : '>'} (?, ?)`, after[0], after[1]);
    const dir = q.descending ? ' DESC' : '';
    return this.read(() => {
      const rows = this.all<R>(`SELECT * FROM ${q.table} ${q.where} ORDER BY ${q.timeColumn}${dir}, id${dir} LIMIT ?`, [
        ...q.where.params,
        limit + 1,
      ]);
      return toPage(rows.map(q.map), limit, q.key);
    });
  }

  /** True when a row with this id exists in `table` (a trusted, literal table name). */
  exists(table: string, id: string): boolean {
    return this.get<{ one: number }>(`SELECT 1 AS one FROM ${table} WHERE id = ?`, [id]) !== undefined;
  }

  close(): void {
    if (this.raw.open) {
      this.statements.clear();
      this.raw.close();
    }
  }
}

/** Collects WHERE clauses and their parameters in order. */
export class Where {
  private readonly clauses: string[] = [];
  readonly params: SqlValue[] = [];

  add(clause: string, ...params: SqlValue[]): this {
    this.clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  /** Adds the clause only when `value` is defined. */
  addIf<V>(value: V | undefined, clause: string, toSql: (v: V) => SqlValue): this {
    return value === undefined ? this : this.add(clause, toSql(value));
  }

  toString(): string {
    return this.clauses.length === 0 ? '' : `WHERE ${this.clauses.join(' AND ')}`;
  }
}
