import { ShopError } from './errors.js';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A calendar day 'YYYY-MM-DD' (the caller computes it in the shop's time zone); `bad_request` otherwise. */
export function day(field: string, v: unknown): string {
  if (typeof v !== 'string' || !DAY.test(v)) {
    throw new ShopError('bad_request', `${field} must be a day as YYYY-MM-DD, got ${JSON.stringify(v) ?? String(v)}`, { details: { field } });
  }
  return v;
}

/** Money in whole cents; campaign spend is kept in cents so a day's total adds up exactly. */
export const cents = (amount: number): number => Math.round(amount * 100);
