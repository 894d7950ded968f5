import type { ProductCard, QuickReply, Sender, WireMessage } from './protocol.js';

/** Where one of this widget's own messages is on its way to the server. */
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed';

/** One row of the transcript: a server message, a message of ours not yet confirmed, or a local notice. */
export interface ChatItem {
  /** Stable key for the view: the client id for our own messages, else the server id. */
  key: string;
  /** The server's message id, once known. */
  id?: string;
  clientId?: string;
  seq?: number;
  conversationId?: string;
  sender: Sender;
  agentName?: string;
  channel: string;
  text: string;
  /** ms since epoch: the server's createdAt when known. */
  time: number;
  suggestedActions?: QuickReply[];
  cards?: ProductCard[];
  status?: DeliveryStatus;
  /** Shown under the message (a refusal, a rate limit). */
  error?: string;
  /** For a postback (quick reply, card button): the value to resend. */
  postback?: string;
  /** A local notice (an error not tied to a message), never sent. */
  notice?: boolean;
  /** Insertion order, for stable sorting. */
  order: number;
}

export type ApplyResult = 'added' | 'matched' | 'duplicate';

/** Allowed clock difference when matching our message with its echo from the server. */
const ECHO_WINDOW_MS = 10 * 60_000;

/**
 * The transcript model: server messages deduplicated by id, our own messages reconciled with
 * the server's copy (by ack, or by the live echo that can arrive before the ack), kept in
 * time order with unconfirmed messages last.
 */
export class MessageStore {
  private readonly byKey = new Map<string, ChatItem>();
  private readonly keyById = new Map<string, string>();
  private counter = 0;
  /** Server clock minus ours, from the last live message: our own rows get comparable times. */
  private clockOffset = 0;

  get size(): number {
    return this.byKey.size;
  }

  items(): ChatItem[] {
    return [...this.byKey.values()].sort(compareItems);
  }

  get(key: string): ChatItem | undefined {
    return this.byKey.get(key);
  }

  byClientId(clientId: string): ChatItem | undefined {
    return this.byKey.get(clientId);
  }

  /** Our own outgoing message, queued until it is sent. */
  addLocal(input: { clientId: string; text: string; postback?: string; now?: number }): ChatItem {
    const item: ChatItem = {
      key: input.clientId,
      clientId: input.clientId,
      sender: 'customer',
      channel: 'web',
      text: input.text,
      time: input.now ?? Date.now() + this.clockOffset,
      status: 'queued',
      order: this.counter++,
    };
    if (input.postback !== undefined) item.postback = input.postback;
    this.byKey.set(item.key, item);
    return item;
  }

  addNotice(text: string, now: number = Date.now()): ChatItem {
    const key = `notice-${this.counter}`;
    const item: ChatItem = { key, sender: 'system', channel: 'web', text, time: now, notice: true, order: this.counter++ };
    this.byKey.set(key, item);
    return item;
  }

  setStatus(clientId: string, status: DeliveryStatus, error?: string): ChatItem | undefined {
    const item = this.byKey.get(clientId);
    if (!item || item.id !== undefined) return item;
    item.status = status;
    if (error !== undefined) item.error = error;
    else if (status !== 'failed') delete item.error;
    return item;
  }

  /** An error about a message (it may be stored already, e.g. rate limited). */
  setError(clientId: string, error: string): ChatItem | undefined {
    const item = this.byKey.get(clientId);
    if (item) item.error = error;
    return item;
  }

  /** Our messages still to be delivered, oldest first. */
  unsent(): ChatItem[] {
    return this.items().filter((i) => i.status === 'queued' || i.status === 'sending');
  }

  /**
   * A message from the server. `live` for messages pushed as they happen (they may be the
   * echo of a message we are sending); history pages and polls are not live.
   */
  apply(m: WireMessage, live: boolean): { result: ApplyResult; item: ChatItem } {
    if (live) {
      const at = Date.parse(m.createdAt);
      if (Number.isFinite(at)) this.clockOffset = at - Date.now();
    }
    const knownKey = this.keyById.get(m.id);
    const known = knownKey !== undefined ? this.byKey.get(knownKey) : undefined;
    if (known) {
      this.fill(known, m);
      return { result: 'duplicate', item: known };
    }
    if (live && m.sender === 'customer' && m.channel === 'web') {
      const time = Date.parse(m.createdAt);
      const mine = this.items().find(
        (i) => i.id === undefined && i.status === 'sending' && i.text === m.text && Math.abs(time - i.time) < ECHO_WINDOW_MS,
      );
      if (mine) {
        this.confirm(mine, m.id, m.seq, m);
        return { result: 'matched', item: mine };
      }
    }
    const item: ChatItem = { key: m.id, sender: m.sender, channel: m.channel, text: m.text, time: 0, order: this.counter++ };
    this.fill(item, m);
    this.byKey.set(item.key, item);
    this.keyById.set(m.id, item.key);
    return { result: 'added', item };
  }

  /** The server stored our message `clientId` as `messageId`. Returns the item, and the key of a duplicate row it replaced. */
  ack(clientId: string, messageId: string, seq: number): { item?: ChatItem; removedKey?: string } {
    const item = this.byKey.get(clientId);
    if (!item) return {};
    let removedKey: string | undefined;
    const otherKey = this.keyById.get(messageId);
    if (otherKey !== undefined && otherKey !== item.key) {
      // The stored copy came first (history replayed after a reconnect): keep one row.
      const other = this.byKey.get(otherKey);
      this.byKey.delete(otherKey);
      removedKey = otherKey;
      if (other) {
        item.time = other.time;
        if (other.conversationId) item.conversationId = other.conversationId;
      }
    }
    this.confirm(item, messageId, seq);
    return { item, removedKey };
  }

  /** The highest seq we hold in one conversation (for polling with `after`). */
  latestSeq(conversationId: string): number {
    let max = 0;
    for (const i of this.byKey.values()) if (i.conversationId === conversationId && i.seq !== undefined && i.seq > max) max = i.seq;
    return max;
  }

  private confirm(item: ChatItem, id: string, seq: number, m?: WireMessage): void {
    item.id = id;
    item.seq = seq;
    item.status = 'sent';
    if (item.error && !item.notice) delete item.error;
    this.keyById.set(id, item.key);
    if (m) {
      item.time = Date.parse(m.createdAt) || item.time;
      item.conversationId = m.conversationId;
    }
  }

  private fill(item: ChatItem, m: WireMessage): void {
    item.id = m.id;
    item.seq = m.seq;
    item.conversationId = m.conversationId;
    item.sender = m.sender;
    item.channel = m.channel;
    item.text = m.text;
    item.time = Date.parse(m.createdAt) || item.time || Date.now();
    if (m.agentName) item.agentName = m.agentName;
    if (m.suggestedActions) item.suggestedActions = m.suggestedActions;
    if (m.cards) item.cards = m.cards;
  }
}

/** Still on its way: shown after everything else. A failed message stays where it was sent. */
function unconfirmed(i: ChatItem): boolean {
  return i.id === undefined && !i.notice && i.status !== 'failed';
}

function compareItems(a: ChatItem, b: ChatItem): number {
  const ua = unconfirmed(a);
  const ub = unconfirmed(b);
  if (ua !== ub) return ua ? 1 : -1;
  if (ua && ub) return a.order - b.order;
  if (a.time !== b.time) return a.time - b.time;
  if (a.conversationId && a.conversationId === b.conversationId && a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
  return a.order - b.order;
}
