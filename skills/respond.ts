import { MessageFactory, type Activity, type Attachment } from 'botbuilder-core';
import type { Locale } from '../store/index.js';
import type { Turn } from './types.js';

/** A text in both languages the bot speaks. */
export type Bilingual = Record<Locale, string>;

export interface QuickReplyOption {
  title: string;
  value: string;
}

export interface ReplyOptions {
  quickReplies?: QuickReplyOption[];
  attachments?: Attachment[];
}

/** An outgoing message in the turn's language, with optional quick replies and cards. */
export function message(locale: Locale, text: string, opts: ReplyOptions = {}): Partial<Activity> {
  const activity = MessageFactory.text(text);
  if (opts.quickReplies && opts.quickReplies.length > 0) {
    activity.suggestedActions = { actions: opts.quickReplies.map((q) => ({ type: 'imBack', title: q.title, value: q.value })), to: [] };
  }
  if (opts.attachments && opts.attachments.length > 0) activity.attachments = opts.attachments;
  activity.locale = locale === 'zh' ? 'zh-CN' : 'en-US';
  return activity;
}

export async function reply(turn: Turn, text: string | Bilingual, opts: ReplyOptions = {}): Promise<void> {
  const body = typeof text === 'string' ? text : text[turn.locale];
  await turn.context.sendActivity(message(turn.locale, body, opts));
}

/** "Talk to a person" as a quick reply, in the turn's language. */
export function humanOption(locale: Locale): QuickReplyOption {
  return locale === 'zh' ? { title: '转人工', value: '转人工' } : { title: 'Talk to a person', value: 'Talk to a human' };
}

export function formatMoney(amount: number, currency: string, locale: Locale): string {
  const value = amount.toFixed(Number.isInteger(amount) ? 0 : 2);
  if (currency === 'CNY') return locale === 'zh' ? `${value} 元` : `${value} CNY`;
  return `${value} ${currency}`;
}

/** A calendar day in the shop's time zone, e.g. "3 Nov" / "11月3日". */
export function formatDay(date: Date, locale: Locale, timeZone = 'Asia/Shanghai'): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, month: 'numeric', day: 'numeric' }).formatToParts(date);
  const month = Number(parts.find((p) => p.type === 'month')?.value);
  const day = Number(parts.find((p) => p.type === 'day')?.value);
  if (locale === 'zh') return `${month}月${day}日`;
  const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${day} ${names[month - 1]}`;
}

/** The apology an upset shopper hears first, before the answer or the hand-off. */
export async function apologizeToUpset(turn: Turn): Promise<void> {
  await reply(turn, {
    en: "I'm really sorry about this, and I understand how frustrating it is.",
    zh: '非常抱歉给您带来不好的体验，我理解您的心情。',
  });
}

/** What a shopper reporting a problem (a broken item, a parcel that did not come) hears before how we put it right. */
export async function apologizeForProblem(turn: Turn): Promise<void> {
  await reply(turn, { en: "I'm sorry about that.", zh: '很抱歉给您添麻烦了。' });
}
