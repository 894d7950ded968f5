import type { Locale } from './protocol.js';
import type { Strings } from './i18n.js';

const tag = (locale: Locale): string => (locale === 'zh' ? 'zh-CN' : 'en-US');

export function formatTime(ms: number, locale: Locale): string {
  return new Date(ms).toLocaleTimeString(tag(locale), { hour: '2-digit', minute: '2-digit', hour12: false });
}

export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** "Today", "Yesterday", or a date (with the year only when it is not this year). */
export function dayLabel(ms: number, locale: Locale, s: Strings, now: number = Date.now()): string {
  if (dayKey(ms) === dayKey(now)) return s.today;
  if (dayKey(ms) === dayKey(now - 86_400_000)) return s.yesterday;
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Date(ms).toLocaleDateString(tag(locale), sameYear ? { month: 'short', day: 'numeric', weekday: 'short' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatPrice(price: number, currency: string | undefined, locale: Locale): string {
  if (currency) {
    try {
      return new Intl.NumberFormat(tag(locale), { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).format(price);
    } catch {
      // an unknown currency code: show it as text
    }
  }
  const n = new Intl.NumberFormat(tag(locale), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(price);
  return currency ? `${currency} ${n}` : n;
}

export function channelName(channel: string, s: Strings): string {
  return s.channels[channel] ?? channel;
}

/** Only http(s) links are followed; anything else (javascript:, data:) is dropped. */
export function safeUrl(raw: string | undefined, base: string): string | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
