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

/**
 * The key of one delivery in this node's retry memory and the spool: the sender's and the
 * message's. A MsgId names a message only together with its sender: another follower's
 * message under the same MsgId (forged, or colliding) is that follower's new message, never a
 * "retry" to drop (issue 14). JSON keeps the pair unambiguous whatever the sender field holds.
 */
export function deliveryKey(msg: WeChatInbound): string {
  return JSON.stringify([msg.FromUserName, dedupeKey(msg)]);
}
