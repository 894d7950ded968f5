import { ActionTypes, AttachmentLayoutTypes, CardFactory, type Activity, type Attachment, type CardAction } from 'botbuilder';
import { PRODUCT_CARD, type ProductCard } from '../../bots/index.js';

const LABELS = {
  sponsored: { en: 'Sponsored', zh: '广告' },
  upsell: { en: 'Pairs well', zh: '搭配推荐' },
} as const;

/** Keys the transcript puts in channelData for our own use; a channel has no business with them. */
const OWN_CHANNEL_DATA = ['message', 'sender', 'agentId'];

function isZh(activity: Partial<Activity>): boolean {
  return (activity.locale ?? '').toLowerCase().startsWith('zh') || /[\u4e00-\u9fff]/.test(activity.text ?? '');
}

function price(card: ProductCard): string | undefined {
  if (card.price === undefined) return undefined;
  return `${card.currency === 'CNY' || !card.currency ? '¥' : `${card.currency} `}${card.price}`;
}

function heroCard(card: ProductCard, zh: boolean, absolute: (u: string | undefined) => string | undefined): Attachment {
  const label = card.label ? LABELS[card.label][zh ? 'zh' : 'en'] : undefined;
  const image = absolute(card.imageUrl);
  const url = absolute(card.url);
  const buttons: CardAction[] = [];
  for (const action of card.actions ?? []) {
    if ('value' in action) buttons.push({ type: ActionTypes.ImBack, title: action.title, value: action.value });
    else {
      const target = absolute(action.url);
      if (target) buttons.push({ type: ActionTypes.OpenUrl, title: action.title, value: target });
    }
  }
  return CardFactory.heroCard(card.title, image ? [image] : [], buttons, {
    // The label leads the subtitle so a paid or upsell placement is never unmarked.
    subtitle: [label, card.subtitle].filter(Boolean).join(' · ') || undefined,
    text: price(card),
    tap: url ? { type: ActionTypes.OpenUrl, title: card.title, value: url } : undefined,
  });
}

/**
 * One outgoing activity as Bot Framework clients expect it: our product cards become hero
 * cards (a carousel when there are several) and our transcript bookkeeping (the stored
 * message, with our internal ids) is removed from channelData. Suggested actions are the
 * Bot Framework's own quick replies and pass as they are. Returns a copy; the transcript has stored our own shape already.
 */
export function renderForBotFramework(activity: Partial<Activity>, publicBaseUrl?: string): Partial<Activity> {
  const out: Partial<Activity> = { ...activity };
  // Bot Framework clients fetch images themselves: a relative URL only works with a public base.
  const absolute = (u: string | undefined): string | undefined => {
    if (!u) return undefined;
    if (/^https?:\/\//i.test(u)) return u;
    return publicBaseUrl && u.startsWith('/') ? `${publicBaseUrl}${u}` : undefined;
  };

  if (activity.attachments?.some((a) => a.contentType === PRODUCT_CARD)) {
    const zh = isZh(activity);
    out.attachments = activity.attachments.map((a) => (a.contentType === PRODUCT_CARD ? heroCard(a.content as ProductCard, zh, absolute) : a));
    if (out.attachments.length > 1 && !out.attachmentLayout) out.attachmentLayout = AttachmentLayoutTypes.Carousel;
  }

  if (activity.channelData && typeof activity.channelData === 'object') {
    const data = Object.fromEntries(Object.entries(activity.channelData as Record<string, unknown>).filter(([k]) => !OWN_CHANNEL_DATA.includes(k)));
    if (Object.keys(data).length > 0) out.channelData = data;
    else delete out.channelData;
  }
  return out;
}
