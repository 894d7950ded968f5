import { ShopError } from '../errors.js';

/**
 * Query-operator injection guard at the adapter boundary. The ports take strings, numbers
 * and plain filter objects; a caller that forwards parsed JSON unchecked could hand us
 * `{ "$gt": "" }` where an id or an email belongs, and Mongo would read it as an operator
 * (`{ email: { $gt: "" } }` matches every agent). Mongoose's `sanitizeFilter` cannot be
 * switched on for the whole connection here: it would also neutralise the adapter's own
 * `$gt`/`$in`/`$or` filters. So every repository method refuses, as `bad_request`, an
 * argument that is an operator object itself and, for reads and filters, a plain object
 * one of whose fields holds an operator object.
 */

/** Methods that take a document to store (its nested fields are data, never a filter). */
const WRITES = /^(create|upsert|append|add|insert|update|patch|record|save|write|set|annotate|import)/;

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

const operatorIn = (v: unknown): string | undefined => (isPlain(v) ? Object.keys(v).find((k) => k.startsWith('$')) : undefined);

/** Throws `bad_request` when `args` of repository method `method` carry a query operator where a value belongs. */
export function refuseOperators(method: string, args: unknown[]): void {
  const deep = !WRITES.test(method);
  for (const arg of args) {
    let op = operatorIn(arg);
    if (op === undefined && Array.isArray(arg)) op = arg.map(operatorIn).find((k) => k !== undefined);
    if (op === undefined && deep && isPlain(arg)) {
      for (const v of Object.values(arg)) {
        op = operatorIn(v) ?? (Array.isArray(v) ? v.map(operatorIn).find((k) => k !== undefined) : undefined);
        if (op !== undefined) break;
      }
    }
    if (op !== undefined) throw new ShopError('bad_request', `${method}: a query operator (${JSON.stringify(op.slice(0, 20))}) is not a value`);
  }
}
