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
  // Total on an inbound activity's JSON too: attachments that are not an array, null entries.
  const attachments: unknown = activity.attachments;
  if (!Array.isArray(attachments)) return [];
  return attachments
    .filter((a): a is Attachment => a !== null && typeof a === 'object' && (a as { contentType?: unknown }).contentType === PRODUCT_CARD)
    .map((a) => a.content as ProductCard);
}

export interface QuickReply {
  title: string;
  value: string;
}

/**
 * Suggested actions (quick replies) of an activity, as plain title/value pairs. Total: it also
 * reads inbound activities, whose JSON is anyone's (actions that are not an array, null
 * entries, a title that is not a string, a value `{"toString":null}` that `String()` threw on).
 * A title or value that is not a string, a number or a boolean is ignored; an action
 * left with neither says nothing a shopper could click and is left out.
 */
export function readQuickReplies(activity: Partial<Activity>): QuickReply[] {
  const suggested: unknown = activity.suggestedActions;
  const actions: unknown = suggested !== null && typeof suggested === 'object' ? (suggested as { actions?: unknown }).actions : undefined;
  if (!Array.isArray(actions)) return [];
  const out: QuickReply[] = [];
  for (const a of actions as unknown[]) {
    if (a === null || typeof a !== 'object') continue;
    const { title, value } = a as Partial<Record<keyof CardAction, unknown>>;
    const titleText = plainText(title);
    const valueText = plainText(value);
    if (titleText === undefined && valueText === undefined) continue;
    // The value a click sends is a string value, else the title (as before).
    out.push({ title: titleText ?? valueText ?? '', value: (typeof value === 'string' ? value : titleText) ?? '' });
  }
  return out;
}

/** A string as itself, a finite number or a boolean as its text; anything else has none. */
function plainText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : undefined;
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
