/**
 * The widget's wire protocol (see the README's "Web widget" section). Server frames are
 * checked at the edge: anything that does not have the expected shape is ignored, so a
 * newer server cannot crash an older widget.
 */

export type Locale = 'en' | 'zh';
export type Sender = 'customer' | 'bot' | 'agent' | 'system';

export interface QuickReply {
  title: string;
  value: string;
}

export type CardAction = { title: string; value: string } | { title: string; url: string };

export interface ProductCard {
  id: string;
  title: string;
  subtitle?: string;
  price?: number;
  currency?: string;
  imageUrl?: string;
  url?: string;
  label?: 'sponsored' | 'upsell';
  actions?: CardAction[];
}

export interface WireMessage {
  id: string;
  seq: number;
  conversationId: string;
  direction: 'in' | 'out';
  sender: Sender;
  agentName?: string;
  channel: string;
  text: string;
  createdAt: string;
  suggestedActions?: QuickReply[];
  cards?: ProductCard[];
}

export interface SessionInfo {
  visitorToken: string;
  /** Null until the visitor's first message (an anonymous session creates nothing on the server). */
  customerId: string | null;
  conversationId: string | null;
  locale: Locale;
}

export type ServerFrame =
  | { type: 'hello'; customerId?: string; conversationId?: string; locale?: Locale; merged?: boolean }
  | { type: 'history'; messages: WireMessage[]; nextCursor: string | null }
  | { type: 'message'; message: WireMessage }
  | { type: 'ack'; id: string; messageId: string; seq: number }
  | { type: 'typing'; on: boolean; from?: 'agent' | 'bot'; agentName?: string }
  | { type: 'error'; code: string; message: string; id?: string; retryAfterSeconds?: number }
  | { type: 'pong' };

export type ClientFrame =
  | { type: 'message'; id: string; text: string }
  | { type: 'postback'; id: string; value: string; text: string }
  | { type: 'typing' }
  | { type: 'history'; before?: string }
  | { type: 'ping' };

export interface RestSendResult {
  ack: { id: string; messageId: string; seq: number };
  replies: WireMessage[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const SENDERS: readonly Sender[] = ['customer', 'bot', 'agent', 'system'];

export function parseLocale(v: unknown): Locale | undefined {
  return v === 'en' || v === 'zh' ? v : undefined;
}

function parseQuickReplies(v: unknown): QuickReply[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: QuickReply[] = [];
  for (const a of v) {
    if (!isObj(a)) continue;
    const title = str(a['title']);
    const value = str(a['value']);
    if (title && value !== undefined) out.push({ title, value });
  }
  return out.length > 0 ? out : undefined;
}

function parseCardAction(a: unknown): CardAction | undefined {
  if (!isObj(a)) return undefined;
  const title = str(a['title']);
  if (!title) return undefined;
  const url = str(a['url']);
  if (url !== undefined) return { title, url };
  const value = str(a['value']);
  return value !== undefined ? { title, value } : undefined;
}

function parseCard(c: unknown): ProductCard | undefined {
  if (!isObj(c)) return undefined;
  const id = str(c['id']);
  const title = str(c['title']);
  if (!id || !title) return undefined;
  const card: ProductCard = { id, title };
  const subtitle = str(c['subtitle']);
  if (subtitle) card.subtitle = subtitle;
  const price = num(c['price']);
  if (price !== undefined) card.price = price;
  const currency = str(c['currency']);
  if (currency) card.currency = currency;
  const imageUrl = str(c['imageUrl']);
  if (imageUrl) card.imageUrl = imageUrl;
  const url = str(c['url']);
  if (url) card.url = url;
  const label = c['label'];
  if (label === 'sponsored' || label === 'upsell') card.label = label;
  if (Array.isArray(c['actions'])) {
    const actions = c['actions'].map(parseCardAction).filter((a): a is CardAction => a !== undefined);
    if (actions.length > 0) card.actions = actions;
  }
  return card;
}

export function parseWireMessage(v: unknown): WireMessage | undefined {
  if (!isObj(v)) return undefined;
  const id = str(v['id']);
  const seq = num(v['seq']);
  const sender = str(v['sender']) as Sender | undefined;
  const direction = v['direction'];
  const createdAt = str(v['createdAt']);
  if (!id || seq === undefined || !sender || !SENDERS.includes(sender) || (direction !== 'in' && direction !== 'out') || !createdAt) {
    return undefined;
  }
  const m: WireMessage = {
    id,
    seq,
    conversationId: str(v['conversationId']) ?? '',
    direction,
    sender,
    channel: str(v['channel']) ?? 'web',
    text: str(v['text']) ?? '',
    createdAt,
  };
  const agentName = str(v['agentName']);
  if (agentName) m.agentName = agentName;
  const quick = parseQuickReplies(v['suggestedActions']);
  if (quick) m.suggestedActions = quick;
  if (Array.isArray(v['cards'])) {
    const cards = v['cards'].map(parseCard).filter((c): c is ProductCard => c !== undefined);
    if (cards.length > 0) m.cards = cards;
  }
  return m;
}

export function parseWireMessages(v: unknown): WireMessage[] {
  return Array.isArray(v) ? v.map(parseWireMessage).filter((m): m is WireMessage => m !== undefined) : [];
}

/** A server frame, or undefined for anything this widget does not understand. */
export function parseServerFrame(raw: string): ServerFrame | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObj(v)) return undefined;
  switch (v['type']) {
    case 'hello': {
      // No customerId yet: a visitor who has not written (the server creates them with their first message).
      const customerId = str(v['customerId']);
      return {
        type: 'hello',
        ...(customerId ? { customerId } : {}),
        conversationId: str(v['conversationId']),
        locale: parseLocale(v['locale']),
        merged: v['merged'] === true,
      };
    }
    case 'history':
      return { type: 'history', messages: parseWireMessages(v['messages']), nextCursor: str(v['nextCursor']) ?? null };
    case 'message': {
      const message = parseWireMessage(v['message']);
      return message ? { type: 'message', message } : undefined;
    }
    case 'ack': {
      const id = str(v['id']);
      const messageId = str(v['messageId']);
      const seq = num(v['seq']);
      return id && messageId && seq !== undefined ? { type: 'ack', id, messageId, seq } : undefined;
    }
    case 'typing': {
      // Who is typing: a support agent (with their name) or, by default, the bot.
      const from = v['from'] === 'agent' ? 'agent' : v['from'] === 'bot' ? 'bot' : undefined;
      const agentName = str(v['agentName']);
      return { type: 'typing', on: v['on'] === true, ...(from ? { from } : {}), ...(agentName ? { agentName } : {}) };
    }
    case 'error':
    {
      const retryAfter = num(v['retryAfterSeconds']);
      return { type: 'error', code: str(v['code']) ?? 'error', message: str(v['message']) ?? '', id: str(v['id']), ...(retryAfter !== undefined && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}) };
    }
    case 'pong':
      return { type: 'pong' };
    default:
      return undefined;
  }
}

export function parseSession(v: unknown): SessionInfo | undefined {
  if (!isObj(v)) return undefined;
  const visitorToken = str(v['visitorToken']);
  const customerId = v['customerId'] === null ? null : str(v['customerId']);
  const conversationId = v['conversationId'] === null ? null : str(v['conversationId']);
  if (!visitorToken || customerId === undefined || conversationId === undefined) return undefined;
  return { visitorToken, customerId, conversationId, locale: parseLocale(v['locale']) ?? 'en' };
}

export function parseRestSend(v: unknown): RestSendResult | undefined {
  if (!isObj(v) || !isObj(v['ack'])) return undefined;
  const a = v['ack'];
  const id = str(a['id']);
  const messageId = str(a['messageId']);
  const seq = num(a['seq']);
  if (!id || !messageId || seq === undefined) return undefined;
  return { ack: { id, messageId, seq }, replies: parseWireMessages(v['replies']) };
}

/** The message of a `{error:{code,message}}` body, if it is one. */
export function parseErrorBody(v: unknown): { code: string; message: string } | undefined {
  if (!isObj(v) || !isObj(v['error'])) return undefined;
  return { code: str(v['error']['code']) ?? 'error', message: str(v['error']['message']) ?? '' };
}
