import type { ChannelId, Message, Store } from '../../store/index.js';

/**
 * Every stored inbound message whose channel id (WeChat MsgId, widget id, Idempotency-Key,
 * Bot Framework activity id) is `rawId`, whoever sent it. The store keys them scoped to the
 * sender (`<conversation>/<account>/<id>`, see inboundMessageKey), so tests that only know
 * the id they sent look for the suffix. Test stores are small: a scan is fine here.
 */
export async function storedByChannelId(store: Store, channel: ChannelId, rawId: string): Promise<Message[]> {
  const found: Message[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.messages.listByTime({}, { limit: 500, cursor });
    for (const m of page.items) {
      if (m.channel === channel && m.direction === 'in' && m.channelMessageId?.endsWith(`/${rawId}`)) found.push(m);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}
