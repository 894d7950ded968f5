import type { WeChatInbound } from './xml.js';

/**
 * The key WeChat's retries share (it POSTs an unanswered message up to three times):
 * MsgId for messages; for events, which have none, sender + CreateTime + event name, as
 * WeChat's passive-reply documentation recommends.
 */
export function dedupeKey(msg: WeChatInbound): string {
  if (msg.MsgId) return msg.MsgId;
  const kind = msg.MsgType === 'event' ? msg.Event : msg.MsgType;
  return `${msg.FromUserName}:${msg.CreateTime}:${kind}`;
}
