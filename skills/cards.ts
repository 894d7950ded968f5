import type { Activity, Attachment, CardAction } from 'botbuilder-core';

/**
 * Product cards travel as attachments of our own content type; each channel renders them
 * its way (widget carousel, WeChat news articles, app JSON, Bot Framework hero cards).
 */
export const PRODUCT_CARD = 'application/vnd.shop-assistant.product+json';

export type CardButton = { title: string; value: string } | { title: string; url: string };

export interface ProductCard {
  id: string;
  title: string;
  subtitle?: string;
  price?: number;
  currency?: string;
  imageUrl?: string;
  url?: string;
  /** Paid or upsell placements are always labelled where shown. */
  label?: 'sponsored' | 'upsell';
  actions?: CardButton[];
}

export function productCardAttachment(card: ProductCard): Attachment {
  return { contentType: PRODUCT_CARD, content: card };
}

export function readCards(activity: Partial<Activity>): ProductCard[] {
  return (activity.attachments ?? []).filter((a) => a.contentType === PRODUCT_CARD).map((a) => a.content as ProductCard);
}

export interface QuickReply {
  title: string;
  value: string;
}

/** Suggested actions (quick replies) of an outgoing activity, as plain title/value pairs. */
export function readQuickReplies(activity: Partial<Activity>): QuickReply[] {
  const actions: CardAction[] = activity.suggestedActions?.actions ?? [];
  return actions.map((a) => ({ title: a.title ?? String(a.value), value: typeof a.value === 'string' ? a.value : (a.title ?? '') }));
}

/** The JSON the transcript stores for an activity's extras (null when it has none). */
export function activityPayload(activity: Partial<Activity>): Record<string, unknown> | undefined {
  const cards = readCards(activity);
  const quick = readQuickReplies(activity);
  const payload = {
    ...(cards.length > 0 ? { cards } : {}),
    ...(quick.length > 0 ? { suggestedActions: quick } : {}),
    ...(activity.value !== undefined ? { value: activity.value as unknown } : {}),
  };
  return Object.keys(payload).length > 0 ? payload : undefined;
}
