/**
 * Shop days: 'YYYY-MM-DD' calendar days in the shop's IANA time zone, the instants they
 * start at, and a fast day-of lookup for many timestamps (one binary search over the range's
 * day starts instead of an Intl call per message).
 */
import { ShopError } from '../../store/index.js';
import { shopDay } from '../../recommender/ads/index.js';

/** The longest range a dashboard request may cover, in days. */
export const MAX_RANGE_DAYS = 366;
/** The default range: the last 7 shop days, today included. */
export const DEFAULT_RANGE_DAYS = 7;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Parses 'YYYY-MM-DD' strictly (2026-02-30 is rejected); null when it is not a real day. */
export function parseDay(s: string): { y: number; m: number; d: number } | null {
  const match = DAY.exec(s);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
  return { y, m, d };
}

/** `day` plus `n` calendar days. */
export function addDays(day: string, n: number): string {
  const p = parseDay(day);
  if (!p) throw new ShopError('bad_request', `not a day: ${day}`);
  return new Date(Date.UTC(p.y, p.m - 1, p.d) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both inclusive (1 for the same day). */
export function daysBetween(from: string, to: string): number {
  const a = parseDay(from);
  const b = parseDay(to);
  if (!a || !b) throw new ShopError('bad_request', `not a day: ${a ? to : from}`);
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / DAY_MS) + 1;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time minus UTC at instant `t`, in ms (e.g. +8 h in Asia/Shanghai). */
function offsetAt(t: number, timeZone: string): number {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant the shop day `day` begins in `timeZone` (exact across daylight-saving changes). */
export function dayStart(day: string, timeZone: string): Date {
  const p = parseDay(day);
  if (!p) throw new ShopError('bad_request', `not a day: ${day}`);
  const wallMidnight = Date.UTC(p.y, p.m - 1, p.d);
  let t = wallMidnight - offsetAt(wallMidnight, timeZone);
  const again = wallMidnight - offsetAt(t, timeZone);
  if (again !== t) t = again;
  return new Date(t);
}

/** The shop day of an instant. */
export function dayOf(at: Date, timeZone: string): string {
  return shopDay(at, timeZone).day;
}

export interface DayRange {
  /** First and last shop day, inclusive. */
  from: string;
  to: string;
  timeZone: string;
  /** The instants: `start` inclusive (from's midnight), `end` exclusive (the midnight after `to`). */
  start: Date;
  end: Date;
  /** Every day of the range, in order. */
  days: string[];
  /** days[i] starts at starts[i]; starts[days.length] = end. */
  starts: number[];
}

/** The range's days and their start instants. */
export function dayRange(from: string, to: string, timeZone: string): DayRange {
  const n = daysBetween(from, to);
  const days: string[] = [];
  const starts: number[] = [];
  for (let i = 0; i <= n; i++) {
    const day = addDays(from, i);
    if (i < n) days.push(day);
    starts.push(dayStart(day, timeZone).getTime());
  }
  return { from, to, timeZone, start: new Date(starts[0]!), end: new Date(starts[n]!), days, starts };
}

/** Index of the range day containing `t` (ms), or -1 outside the range. */
export function dayIndex(range: DayRange, t: number): number {
  const s = range.starts;
  if (t < s[0]! || t >= s[s.length - 1]!) return -1;
  let lo = 0;
  let hi = s.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The range a request asks for: `from`/`to` as 'YYYY-MM-DD' (inclusive), default the last
 * 7 shop days up to today. `bad_request` for a malformed day, from after to, or more than
 * MAX_RANGE_DAYS days.
 */
export function requestedRange(query: { from?: unknown; to?: unknown }, timeZone: string, now: Date = new Date()): DayRange {
  const str = (name: string, v: unknown): string | undefined => {
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || !parseDay(v)) {
      throw new ShopError('bad_request', `${name} must be a day as YYYY-MM-DD`, { details: { reason: 'bad_range', field: name } });
    }
    return v;
  };
  const qFrom = str('from', query.from);
  const qTo = str('to', query.to);
  const to = qTo ?? (qFrom ? addDays(qFrom, DEFAULT_RANGE_DAYS - 1) : dayOf(now, timeZone));
  const from = qFrom ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  const n = daysBetween(from, to);
  if (n < 1) throw new ShopError('bad_request', `from (${from}) is after to (${to})`, { details: { reason: 'bad_range' } });
  if (n > MAX_RANGE_DAYS) throw new ShopError('bad_request', `a range covers at most ${MAX_RANGE_DAYS} days; this one has ${n}`, { details: { reason: 'range_too_long' } });
  return dayRange(from, to, timeZone);
}
