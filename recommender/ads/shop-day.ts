import { ShopError } from '../../store/index.js';

/** The shop's calendar day of an instant, and how much of it has passed. */
export interface ShopDay {
  /** 'YYYY-MM-DD' in the shop's time zone: the key of a campaign's daily budget. */
  day: string;
  /** The instant the day began (in the shop's time zone). */
  start: Date;
  /** Fraction of the day elapsed, 0..1. */
  elapsed: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (err) {
      throw new ShopError('config_invalid', `unknown time zone ${JSON.stringify(timeZone)}`, { cause: err });
    }
    formats.set(timeZone, f);
  }
  return f;
}

/** Checks a time zone name once, up front (a typo should fail at start, not on the first ad). */
export function checkTimeZone(timeZone: string): string {
  formatFor(timeZone);
  return timeZone;
}

/**
 * The shop day of `at` in `timeZone`. The day's start is `at` minus the wall-clock time
 * elapsed since midnight, which is exact except on a day with a daylight-saving change
 * (the default zone, Asia/Shanghai, has none).
 */
export function shopDay(at: Date, timeZone: string): ShopDay {
  if (Number.isNaN(at.getTime())) throw new ShopError('bad_request', 'the clock gave an invalid Date');
  const parts: Record<string, string> = {};
  for (const p of formatFor(timeZone).formatToParts(at)) parts[p.type] = p.value;
  const seconds = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second) + at.getUTCMilliseconds() / 1000;
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    start: new Date(at.getTime() - seconds * 1000),
    elapsed: Math.min(1, Math.max(0, seconds / 86_400)),
  };
}
