import type { Locale } from '../store/index.js';

/**
 * When people answer shoppers (SERVICE_HOURS, read and checked by app/config.ts): one or more
 * weekly windows in one time zone. The bot quotes them (how to reach a person, the hand-off
 * notice) and decides with them whether "no agent online" means "closed now".
 */
export interface ServiceHours {
  /** Each window: the weekdays it opens on (0 = Sunday … 6 = Saturday) and its minutes after midnight. */
  windows: ReadonlyArray<ServiceWindow>;
  /** IANA time zone the windows are in (SHOP_TIME_ZONE unless the setting names one). */
  timeZone: string;
}

export interface ServiceWindow {
  days: ReadonlyArray<number>;
  /** Opening minute, 0-1439. */
  opens: number;
  /**
   * Closing minute, 1-1440. At or before `opens`: the window runs past midnight into the next
   * day (`22:00-02:00` on Fri is open Friday 22:00 to Saturday 02:00). 0-1440: around the clock.
   */
  closes: number;
}

const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6] as const;

/** The hours the demo shop always quoted: every day 09:00-22:00 Beijing time. */
export const DEFAULT_SERVICE_HOURS: ServiceHours = { windows: [{ days: EVERY_DAY, opens: 9 * 60, closes: 22 * 60 }], timeZone: 'Asia/Shanghai' };

const WEEKDAY_INDEX = new Map([
  ['Sun', 0],
  ['Mon', 1],
  ['Tue', 2],
  ['Wed', 3],
  ['Thu', 4],
  ['Fri', 5],
  ['Sat', 6],
]);
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and minute of the day of `at` in `timeZone`. */
function localClock(at: Date, timeZone: string): { day: number; minute: number } {
  let f = clockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    clockFormats.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: WEEKDAY_INDEX.get(get('weekday')) ?? 0, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Whether the hours cover every minute of the week (then there is no "outside hours"). */
export function isAroundTheClock(hours: ServiceHours): boolean {
  return hours.windows.some((w) => new Set(w.days).size === 7 && w.opens === 0 && w.closes === 1440);
}

/** Whether `at` falls inside the service hours. */
export function isWithinServiceHours(hours: ServiceHours, at: Date): boolean {
  const { day, minute } = localClock(at, hours.timeZone);
  const yesterday = (day + 6) % 7;
  return hours.windows.some((w) => {
    if (w.closes > w.opens) return w.days.includes(day) && minute >= w.opens && minute < w.closes;
    // Past midnight: the evening of an opening day, or the early hours after one.
    return (w.days.includes(day) && minute >= w.opens) || (w.days.includes(yesterday) && minute < w.closes);
  });
}

const DAY_NAMES: Record<Locale, readonly string[]> = {
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  zh: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
};

/** Weekdays as a shopper reads them, Monday first: "every day", "Mon–Fri", "Sat, Sun". */
function describeDays(days: ReadonlyArray<number>, l: Locale): string {
  const set = new Set(days);
  if (set.size === 7) return l === 'zh' ? '每天' : 'every day';
  const order = [1, 2, 3, 4, 5, 6, 0].filter((d) => set.has(d));
  const runs: number[][] = [];
  for (const d of order) {
    const run = runs.at(-1);
    if (run && (run.at(-1)! + 1) % 7 === d) run.push(d);
    else runs.push([d]);
  }
  const names = DAY_NAMES[l];
  const parts = runs.flatMap((r) => (r.length >= 3 ? [`${names[r[0]!]}${l === 'zh' ? '至' : '–'}${names[r.at(-1)!]}`] : r.map((d) => names[d]!)));
  return parts.join(l === 'zh' ? '、' : ', ');
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** The time zone as a shopper knows it: "Beijing time", "Central European Time", "中欧时间". */
function zoneName(timeZone: string, l: Locale): string {
  if (timeZone === 'Asia/Shanghai') return l === 'zh' ? '北京时间' : 'Beijing time';
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
  try {
    const name = new Intl.DateTimeFormat(l === 'zh' ? 'zh-CN' : 'en', { timeZone, timeZoneName: 'longGeneric' })
      .formatToParts(new Date())
      .find((p) => p.type === 'timeZoneName')?.value;
    return name ?? timeZone;
  } catch {
    return timeZone;
  }
}

/**
 * The hours in the shopper's language: "every day 09:00–22:00 Beijing time",
 * "Mon–Fri 09:00–18:00; Sat 10:00–16:00 Central European Time", "每天 09:00–22:00（北京时间）";
 * around the clock: "around the clock" / "全天 24 小时".
 */
export function describeServiceHours(hours: ServiceHours, l: Locale): string {
  if (isAroundTheClock(hours)) return l === 'zh' ? '全天 24 小时' : 'around the clock';
  const windows = hours.windows.map((w) => `${describeDays(w.days, l)} ${hhmm(w.opens)}–${hhmm(w.closes)}`);
  const zone = zoneName(hours.timeZone, l);
  return l === 'zh' ? `${windows.join('，')}（${zone}）` : `${windows.join('; ')} ${zone}`;
}

