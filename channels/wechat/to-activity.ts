import { ActivityTypes, type Activity } from 'botbuilder-core';
import { dedupeKey } from './dedupe-key.js';
import type { WeChatInbound } from './xml.js';

/** What a WeChat activity carries in `channelData`. */
export interface WeChatChannelData {
  /** The message exactly as parsed. */
  wechat: WeChatInbound;
  /** The shopper's UnionID, when the account is bound to an Open Platform account and it is known. */
  unionId?: string;
  /** Latitude/longitude of a location message (where the transcript looks for it). */
  location?: { lat: number; lng: number; label: string };
}

/**
 * One WeChat message or event as a botbuilder Activity. Pure: verification, decryption and
 * de-duplication happen before, and the bot works out the locale (WeChat does not send it).
 * Messages without text (image, voice without recognition, location, ...) get a `[kind]`
 * placeholder so the transcript shows what arrived; the raw message is in `channelData`.
 */
export function toActivity(msg: WeChatInbound, opts: { unionId?: string } = {}): Partial<Activity> {
  const channelData: WeChatChannelData = { wechat: msg, ...(opts.unionId ? { unionId: opts.unionId } : {}) };
  const base: Partial<Activity> = {
    channelId: 'wechat',
    id: dedupeKey(msg),
    timestamp: new Date(Number(msg.CreateTime) * 1000),
    from: { id: msg.FromUserName, name: '' },
    recipient: { id: msg.ToUserName, name: '' },
    conversation: { id: `wechat:${msg.FromUserName}`, isGroup: false, conversationType: 'personal', name: '' },
    channelData,
  };
  const message = (text: string, extra: Partial<Activity> = {}): Partial<Activity> => ({
    ...base,
    type: ActivityTypes.Message,
    text,
    ...extra,
  });

  switch (msg.MsgType) {
    case 'text':
      // A tapped menu link is a button click: its content is the button's value (no language, no mood of its own).
      return msg.bizmsgmenuid !== undefined ? message(msg.Content, { value: msg.Content }) : message(msg.Content);
    case 'voice':
      return message(msg.Recognition?.trim() ? msg.Recognition : '[voice]');
    case 'image':
      return message('[image]', {
        attachments: [{ contentType: 'image/*', contentUrl: msg.PicUrl, name: msg.MediaId }],
      });
    case 'video':
    case 'shortvideo':
      return message(`[${msg.MsgType}]`);
    case 'link':
      return message('[link]', {
        attachments: [{ contentType: 'text/html', contentUrl: msg.Url, name: msg.Title }],
      });
    case 'location': {
      const location = { lat: Number(msg.Location_X), lng: Number(msg.Location_Y), label: msg.Label };
      return message('[location]', {
        channelData: { ...channelData, location },
        entities: [{ type: 'GeoCoordinates', latitude: location.lat, longitude: location.lng, name: msg.Label }],
      });
    }
    case 'unsupported':
      return message(`[${msg.OriginalMsgType}]`);
    case 'event':
      switch (msg.Event) {
        case 'subscribe':
          return { ...base, type: ActivityTypes.ConversationUpdate, membersAdded: [{ id: msg.FromUserName, name: '' }] };
        case 'unsubscribe':
          return { ...base, type: ActivityTypes.ConversationUpdate, membersRemoved: [{ id: msg.FromUserName, name: '' }] };
        case 'CLICK':
          return message(msg.EventKey ?? '', { value: { event: 'CLICK', key: msg.EventKey ?? '' } });
        case 'VIEW':
          return { ...base, type: ActivityTypes.Event, name: 'wechat.view', value: { url: msg.EventKey ?? '' } };
        default:
          return {
            ...base,
            type: ActivityTypes.Event,
            name: `wechat.${msg.Event.toLowerCase()}`,
            value: { event: msg.Event, key: msg.EventKey },
          };
      }
  }
}
