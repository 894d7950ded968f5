import type { Message } from '../../store/index.js';

/** A stored message as the widget receives it (see the widget protocol in the README). */
export interface WireMessage {
  id: string;
  seq: number;
  conversationId: string;
  direction: 'in' | 'out';
  sender: Message['sender'];
  channel: string;
  text: string;
  createdAt: string;
  suggestedActions?: Array<{ title: string; value: string }>;
  cards?: unknown[];
  /** The widget's own id for a message it sent (lets it match the stored copy to its draft). */
  clientId?: string;
  /** Who from the support team wrote it (sender 'agent'). */
  agentName?: string;
}

export function toWireMessage(m: Message): WireMessage {
  const p = m.payload ?? {};
  const wire: WireMessage = {
    id: m.id,
    seq: m.seq,
    conversationId: m.conversationId,
    direction: m.direction,
    sender: m.sender,
    channel: m.channel,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
  };
  if (Array.isArray(p['suggestedActions'])) wire.suggestedActions = p['suggestedActions'] as WireMessage['suggestedActions'];
  if (Array.isArray(p['cards'])) wire.cards = p['cards'] as unknown[];
  if (m.direction === 'in' && m.channel === 'web' && m.channelMessageId) wire.clientId = clientIdOf(m.channelMessageId);
  if (m.sender === 'agent' && typeof p['agentName'] === 'string') wire.agentName = p['agentName'];
  return wire;
}

/** The widget's own id inside a stored key (`web:<visitor>/web:<visitor>/<clientId>`, see inboundMessageKey). */
function clientIdOf(key: string): string {
  const scoped = /^web:(v_[a-f0-9]{32})\/web:\1\//.exec(key);
  return scoped ? key.slice(scoped[0].length) : key;
}
