/**
 * Input checks shared by the repositories. Callers are typed, but data reaches the store
 * from HTTP bodies, imports and CLI files; a clear `bad_request` beats a corrupt row.
 */
import { ShopError } from '../errors.js';
import type { ChannelId, Locale } from '../types.js';

export const CHANNELS: readonly ChannelId[] = ['web', 'wechat', 'app', 'botframework', 'console'];
export const LOCALES: readonly Locale[] = ['en', 'zh'];

function bad(field: string, expected: string, value: unknown): ShopError {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new ShopError('bad_request', `${field} must be ${expected}, got ${shown}`, { details: { field } });
}

/** A string that is not empty after trimming. */
export function text(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw bad(field, 'a non-empty string', v);
  return v;
}

export function optText(field: string, v: unknown): string | undefined {
  return v === undefined ? undefined : text(field, v);
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw bad(field, `one of ${allowed.join(', ')}`, v);
  return v as T;
}

export function optOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T | undefined {
  return v === undefined ? undefined : oneOf(field, v, allowed);
}

export function finite(field: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range = min === -Infinity ? 'a finite number' : max === Infinity ? `a number >= ${min}` : `a number from ${min} to ${max}`;
    throw bad(field, range, v);
  }
  return v;
}

export function optFinite(field: string, v: unknown, min = -Infinity, max = Infinity): number | undefined {
  return v === undefined ? undefined : finite(field, v, min, max);
}

export function int(field: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw bad(field, min === -Infinity ? 'an integer' : `an integer >= ${min}`, v);
  }
  return v;
}

export function date(field: string, v: unknown): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw bad(field, 'a valid Date', v);
  return v;
}

export function optDate(field: string, v: unknown): Date | undefined {
  return v === undefined ? undefined : date(field, v);
}

export function strings(field: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(field, 'an array of strings', v);
  return v as string[];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function object(field: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw bad(field, 'an object', v);
  return v;
}

export function optObject(field: string, v: unknown): Record<string, unknown> | undefined {
  return v === undefined ? undefined : object(field, v);
}

export function objects(field: string, v: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(v) || !v.every(isPlainObject)) throw bad(field, 'an array of objects', v);
  return v as Array<Record<string, unknown>>;
}

export function optObjects(field: string, v: unknown): Array<Record<string, unknown>> | undefined {
  return v === undefined ? undefined : objects(field, v);
}

export const channel = (field: string, v: unknown): ChannelId => oneOf(field, v, CHANNELS);
export const locale = (field: string, v: unknown): Locale => oneOf(field, v, LOCALES);
