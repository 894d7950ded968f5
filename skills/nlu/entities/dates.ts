import type { Entity } from '../../types.js';
import { EN_NUMBER, readNumber } from './numbers.js';
import { matchAll } from './text.js';

type DateEntity = Extract<Entity, { type: 'date' }>;

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: callers validate once, at construction.
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The calendar day `now` falls on in `timeZone`, as UTC midnight of that day (so day
 * arithmetic below is plain UTC arithmetic, free of DST and offsets).
 */
export function localDay(now: Date, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'));
}

/** YYYY-MM-DD of a UTC-midnight day number. */
export function isoDay(day: number): string {
  return new Date(day).toISOString().slice(0, 10);
}

function ymd(y: number, m: number, d: number): number | undefined {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d) || m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  return back.getUTCMonth() === m - 1 && back.getUTCDate() === d ? t : undefined;
}

/** Monday-based weekday: 0 = Monday .. 6 = Sunday. */
function weekday(day: number): number {
  return (new Date(day).getUTCDay() + 6) % 7;
}

function weekStart(day: number): number {
  return day - weekday(day) * DAY;
}

function monthSpan(day: number, offset: number): [number, number] {
  const d = new Date(day);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset + 1, 1) - DAY;
  return [from, to];
}

/** Of month/day in the years around today, the one nearest to today. */
function nearestYear(today: number, m: number, d: number): number | undefined {
  const y = new Date(today).getUTCFullYear();
  let best: number | undefined;
  for (const year of [y - 1, y, y + 1]) {
    const t = ymd(year, m, d);
    if (t !== undefined && (best === undefined || Math.abs(t - today) < Math.abs(best - today))) best = t;
  }
  return best;
}

// Maps, not plain objects: looked up with words of the message (issue 14: `{}` answers for `constructor`).
const table = (entries: Record<string, number>): ReadonlyMap<string, number> => new Map(Object.entries(entries));
const EN_WEEKDAYS = table({
  monday: 0, mon: 0, tuesday: 1, tue: 1, tues: 1, wednesday: 2, wed: 2, thursday: 3, thu: 3, thur: 3, thurs: 3,
  friday: 4, fri: 4, saturday: 5, sat: 5, sunday: 6, sun: 6,
});
const ZH_WEEKDAYS = table({ 一: 0, 二: 1, 三: 2, 四: 3, 五: 4, 六: 5, 日: 6, 天: 6, '1': 0, '2': 1, '3': 2, '4': 3, '5': 4, '6': 5, '7': 6 });
const EN_MONTHS = table({
  january: 1, jan: 1, february: 2, feb: 2, march: 3, mar: 3, april: 4, apr: 4, may: 5, june: 6, jun: 6,
  july: 7, jul: 7, august: 8, aug: 8, september: 9, sep: 9, sept: 9, october: 10, oct: 10, november: 11, nov: 11,
  december: 12, dec: 12,
});
const MONTH_NAMES = [...EN_MONTHS.keys()].sort((a, b) => b.length - a.length).join('|');
const ZH_SMALL_NUM = '[0-9零〇一二两三四五六七八九十]{1,3}';

type Resolver = (m: RegExpExecArray, today: number) => [number, number] | undefined;

const EN_OFFSET = table({ 'the day before yesterday': -2, 'day before yesterday': -2, yesterday: -1, today: 0, tonight: 0, tomorrow: 1, 'the day after tomorrow': 2, 'day after tomorrow': 2 });
const ZH_OFFSET = table({ 大前天: -3, 前天: -2, 昨天: -1, 昨日: -1, 昨晚: -1, 今天: 0, 今日: 0, 今晚: 0, 明天: 1, 明日: 1, 后天: 2, 大后天: 3 });

function single(day: number | undefined): [number, number] | undefined {
  return day === undefined ? undefined : [day, day];
}

function relWeek(which: string): number {
  const w = which.toLowerCase();
  if (w === 'last' || w === 'previous' || w === '上' || w === '上个') return -1;
  if (w === '上上' || w === '上上个') return -2;
  if (w === 'next' || w === '下' || w === '下个') return 1;
  return 0;
}

function unitDays(unit: string, n: number, today: number): number | undefined {
  const u = unit.toLowerCase();
  if (/^(days?|天|日)$/.test(u)) return today - n * DAY;
  if (/^(weeks?|周|星期|个星期|礼拜|个礼拜)$/.test(u)) return today - n * 7 * DAY;
  if (/^(months?|个月)$/.test(u)) {
    const d = new Date(today);
    return ymd(d.getUTCFullYear(), d.getUTCMonth() + 1 - n, d.getUTCDate()) ?? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n + 1, 1) - DAY;
  }
  return undefined;
}

// Order matters: earlier patterns win where they overlap later ones.
const PATTERNS: Array<{ re: RegExp; resolve: Resolver }> = [
  // 2026-03-03, 2026/3/3, 2026.3.3, 2026年3月3日
  {
    re: /(?<![\d.])(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*(?:日|号)?(?![\d])/g,
    resolve: (m) => single(ymd(Number(m[1]), Number(m[2]), Number(m[3]))),
  },
  // 3月3日, 3月3号, 三月三号
  {
    re: new RegExp(`(?<![\\d零〇一二两三四五六七八九十个])(${ZH_SMALL_NUM})月(${ZH_SMALL_NUM})(?:日|号)`, 'g'),
    resolve: (m, today) => {
      const mo = readNumber(m[1] as string);
      const d = readNumber(m[2] as string);
      return mo === undefined || d === undefined ? undefined : single(nearestYear(today, mo, d));
    },
  },
  // "on March 3rd", "Mar 3, 2026"
  {
    re: new RegExp(`(?<![A-Za-z])(${MONTH_NAMES})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?(?![\\d])`, 'gi'),
    resolve: (m, today) => {
      const mo = EN_MONTHS.get((m[1] as string).toLowerCase()) as number;
      const d = Number(m[2]);
      return single(m[3] ? ymd(Number(m[3]), mo, d) : nearestYear(today, mo, d));
    },
  },
  // "3 March", "3rd of March 2026"
  {
    re: new RegExp(`(?<![\\d.])(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH_NAMES})(?![A-Za-z])(?:,?\\s+(\\d{4}))?`, 'gi'),
    resolve: (m, today) => {
      const mo = EN_MONTHS.get((m[2] as string).toLowerCase()) as number;
      const d = Number(m[1]);
      return single(m[3] ? ymd(Number(m[3]), mo, d) : nearestYear(today, mo, d));
    },
  },
  // "on the 3rd": that day of this month, last month or next, whichever is nearest
  {
    re: /(?<![A-Za-z])(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)(?![A-Za-z])(?!\s+(?:of\s+)?(?:[A-Za-z]+\s+)?(?:order|item|one|time|floor|day|week|month|year))/gi,
    resolve: (m, today) => {
      const d = new Date(today);
      let best: number | undefined;
      for (const offset of [-1, 0, 1]) {
        const month = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
        const t = ymd(month.getUTCFullYear(), month.getUTCMonth() + 1, Number(m[1]));
        if (t !== undefined && (best === undefined || Math.abs(t - today) < Math.abs(best - today))) best = t;
      }
      return single(best);
    },
  },
  // 3/3 (month/day; "3/4" is March 4th, the US reading) and 3/4/2026
  {
    re: /(?<![\d./-])(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?(?![\d/.])/g,
    resolve: (m, today) => single(m[3] ? ymd(Number(m[3]), Number(m[1]), Number(m[2])) : nearestYear(today, Number(m[1]), Number(m[2]))),
  },
  {
    re: /(?<![A-Za-z])(?:the\s+)?day\s+(?:before\s+yesterday|after\s+tomorrow)|(?<![A-Za-z])(?:yesterday|today|tonight|tomorrow)(?![A-Za-z])/gi,
    resolve: (m, today) => single(today + (EN_OFFSET.get(m[0].toLowerCase().replace(/\s+/g, ' ')) ?? 0) * DAY),
  },
  { re: /大前天|大后天|前天|昨天|昨日|昨晚|今天|今日|今晚|明天|明日|后天/g, resolve: (m, today) => single(today + (ZH_OFFSET.get(m[0]) ?? 0) * DAY) },
  // last/this/next Monday; a bare full weekday name is this week's (not a sale's name: Black Friday, Cyber Monday)
  {
    re: /(?<![A-Za-z])(?:(last|this|next|previous|coming)\s+(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)|(?<!(?:black|cyber)[\s-]+)(monday|tuesday|wednesday|thursday|friday|saturday|sunday))(?![A-Za-z])/gi,
    resolve: (m, today) => {
      const which = (m[1] ?? 'this').toLowerCase();
      const wd = EN_WEEKDAYS.get((m[2] ?? m[3] ?? '').toLowerCase()) as number;
      const offset = which === 'coming' ? (wd > weekday(today) ? 0 : 1) : relWeek(which);
      return single(weekStart(today) + (offset * 7 + wd) * DAY);
    },
  },
  // 上周五, 这周三, 下周一, 本星期日, 周五 (not 黑色星期五, Black Friday)
  {
    re: /(?<!黑色)(上上个?|上个?|这个?|本|下个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])/g,
    resolve: (m, today) => single(weekStart(today) + (relWeek(m[1] ?? '') * 7 + (ZH_WEEKDAYS.get(m[2] as string) as number)) * DAY),
  },
  // this weekend, 这周末, 下周末: Saturday..Sunday
  {
    re: /(?<![A-Za-z])(last|this|next|previous)\s+weekend(?![A-Za-z])|(?<![A-Za-z])(?:the\s+)?weekend(?![A-Za-z])|(上个?|这个?|本|下个?)?周末/gi,
    resolve: (m, today) => {
      const from = weekStart(today) + (relWeek(m[1] ?? m[2] ?? '') * 7 + 5) * DAY;
      return [from, from + DAY];
    },
  },
  // last week / this week / next week (Monday..Sunday), last month, this year
  {
    re: /(?<![A-Za-z])(last|this|next|previous)\s+(week|month|year)(?![A-Za-z])/gi,
    resolve: (m, today) => span(relWeek(m[1] as string), (m[2] as string).toLowerCase(), today),
  },
  { re: /(上上个?|上个?|这个?|本|下个?)(周|星期|礼拜)(?![一二三四五六日天1-7])/g, resolve: (m, today) => span(relWeek(m[1] as string), 'week', today) },
  { re: /(上上个|上个|上|这个|本|下个|下)月/g, resolve: (m, today) => span(relWeek(m[1] as string), 'month', today) },
  { re: /(去|今|明)年/g, resolve: (m, today) => span(m[1] === '去' ? -1 : m[1] === '明' ? 1 : 0, 'year', today) },
  // "3 days ago", "two weeks ago", "a month ago"
  {
    re: new RegExp(`(?<![A-Za-z\\d])(\\d{1,3}|${EN_NUMBER}|a|an)\\s+(days?|weeks?|months?)\\s+ago(?![A-Za-z])`, 'gi'),
    resolve: (m, today) => {
      const w = (m[1] as string).toLowerCase();
      const n = w === 'a' || w === 'an' ? 1 : readNumber(w);
      return n === undefined || n > 3660 ? undefined : single(unitDays(m[2] as string, n, today));
    },
  },
  // 三天前, 2周前, 一个月以前
  {
    re: /([0-9零〇一二两三四五六七八九十百]{1,4})\s*(天|日|个星期|星期|周|个礼拜|礼拜|个月)(?:前|以前|之前)/g,
    resolve: (m, today) => {
      const n = readNumber(m[1] as string);
      return n === undefined || n > 3660 ? undefined : single(unitDays(m[2] as string, n, today));
    },
  },
];

function span(offset: number, unit: string, today: number): [number, number] {
  if (unit === 'week') {
    const from = weekStart(today) + offset * 7 * DAY;
    return [from, from + 6 * DAY];
  }
  if (unit === 'month') return monthSpan(today, offset);
  const y = new Date(today).getUTCFullYear() + offset;
  return [Date.UTC(y, 0, 1), Date.UTC(y, 11, 31)];
}

/**
 * Dates, resolved against the calendar day `now` falls on in `timeZone`. Weeks run
 * Monday..Sunday: "last Monday" / "上周一" is the Monday of the previous week, a bare
 * "Friday" / "周五" this week's. A month and day without a year take the year that puts
 * it nearest to today. "3/4" is read month/day (March 4th).
 */
export function extractDates(text: string, opts: { now?: Date; timeZone?: string } = {}): DateEntity[] {
  const now = opts.now ?? new Date();
  const today = localDay(now, opts.timeZone ?? DEFAULT_TIME_ZONE);
  const out: DateEntity[] = [];
  for (const { re, resolve } of PATTERNS) {
    for (const m of matchAll(re, text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (out.some((e) => e.start < end && start < e.end)) continue;
      const days = resolve(m, today);
      if (!days || !Number.isFinite(days[0]) || !Number.isFinite(days[1])) continue;
      out.push({ type: 'date', from: isoDay(days[0]), to: isoDay(days[1]), text: m[0], start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
