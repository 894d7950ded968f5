import type { Activity } from 'botbuilder-core';
import { readCards, readQuickReplies } from '../../bots/index.js';
import type { WeChatArticle } from './xml.js';

/** What one outgoing activity becomes on WeChat: a text message and/or a news message. */
export interface WeChatOutgoing {
  text?: string;
  articles?: WeChatArticle[];
}

function menuLink(title: string, value: string, id: number): string {
  // WeChat's "bizmsgmenu" links send their content back as the shopper's next message,
  // which is the closest WeChat has to quick replies.
  return `<a href="weixin://bizmsgmenu?msgmenucontent=${encodeURIComponent(value)}&msgmenuid=${id}">${title}</a>`;
}

/**
 * Text with quick replies as tappable menu lines; product cards as news articles (at most 8),
 * a paid placement marked 【广告】/[Sponsored] in its title.
 */
export function renderForWeChat(activity: Partial<Activity>, publicBaseUrl: string | undefined): WeChatOutgoing {
  const out: WeChatOutgoing = {};
  const quick = readQuickReplies(activity);
  const zh = (activity.locale ?? '').startsWith('zh') || /[\u4e00-\u9fff]/.test(activity.text ?? '');
  let text = activity.text ?? '';
  if (quick.length > 0) text += `\n\n${quick.map((q, i) => menuLink(q.title, q.value, i + 1)).join('\n')}`;
  if (text.trim() !== '') out.text = text;
  const cards = readCards(activity);
  if (cards.length > 0) {
    const absolute = (u: string | undefined) => (u && publicBaseUrl && u.startsWith('/') ? `${publicBaseUrl}${u}` : u);
    out.articles = cards.slice(0, 8).map((c) => {
      const label = c.label === 'sponsored' ? (zh ? '【广告】' : '[Sponsored] ') : '';
      const price = c.price !== undefined ? `${c.currency === 'CNY' || !c.currency ? '¥' : `${c.currency} `}${c.price}` : '';
      return {
        title: `${label}${c.title}`,
        description: [c.subtitle, price].filter(Boolean).join(' · ') || undefined,
        picUrl: absolute(c.imageUrl),
        url: absolute(c.url),
      };
    });
  }
  return out;
}
