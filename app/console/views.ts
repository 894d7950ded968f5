import { deliveryView, type WeChatWindow } from '../../bots/index.js';
import type { Agent, Conversation, Customer, Message } from '../../store/index.js';
import { consoleEntity, type ConsoleEntity } from './entities.js';

/**
 * What the console's browser receives: plain JSON shapes built from store records (dates as
 * ISO strings, never a password hash, names resolved for display).
 */

export interface ConsoleMessage {
  id: string;
  seq: number;
  conversationId: string;
  channel: string;
  direction: 'in' | 'out';
  sender: Message['sender'];
  agentId?: string;
  agentName?: string;
  text: string;
  createdAt: string;
  intent?: string;
  confidence?: number;
  /** What NLU found, each with `display`: its value as the console shows it (see entities.ts). */
  entities?: ConsoleEntity[];
  sentiment?: number;
  skill?: string;
  cards?: unknown[];
  suggestedActions?: Array<{ title: string; value: string }>;
  /** Out-of-turn messages: pending (retrying), sent or failed (with the channel's error). */
  delivery?: ReturnType<typeof deliveryView>;
}

export function consoleMessage(m: Message, agentNames: ReadonlyMap<string, string>): ConsoleMessage {
  const p = m.payload ?? {};
  const out: ConsoleMessage = {
    id: m.id,
    seq: m.seq,
    conversationId: m.conversationId,
    channel: m.channel,
    direction: m.direction,
    sender: m.sender,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
  };
  if (m.agentId) {
    out.agentId = m.agentId;
    const name = agentNames.get(m.agentId) ?? (typeof p['agentName'] === 'string' ? p['agentName'] : undefined);
    if (name) out.agentName = name;
  }
  if (m.intent !== undefined) out.intent = m.intent;
  if (m.confidence !== undefined) out.confidence = m.confidence;
  if (m.entities !== undefined) out.entities = m.entities.filter((e) => e !== null && typeof e === 'object').map(consoleEntity);
  if (m.sentiment !== undefined) out.sentiment = m.sentiment;
  if (m.skill !== undefined) out.skill = m.skill;
  if (Array.isArray(p['cards'])) out.cards = p['cards'] as unknown[];
  if (Array.isArray(p['suggestedActions'])) out.suggestedActions = p['suggestedActions'] as ConsoleMessage['suggestedActions'];
  if (m.delivery) out.delivery = deliveryView(m.delivery);
  return out;
}

export interface WindowView {
  open: boolean;
  lastInboundAt: string | null;
  closesAt: string | null;
}

export function windowView(w: WeChatWindow): WindowView {
  return { open: w.open, lastInboundAt: w.lastInboundAt?.toISOString() ?? null, closesAt: w.closesAt?.toISOString() ?? null };
}

export interface QueueItem {
  id: string;
  customerId: string;
  customerName: string;
  vip: boolean;
  channel: string;
  language: string;
  status: Conversation['status'];
  priority: number;
  reason?: string;
  topic?: string;
  assigneeId: string | null;
  assigneeName?: string;
  queuedAt?: string;
  assignedAt?: string;
  waitingSeconds: number;
  position?: number;
  lastMessage?: { text: string; sender: string; at: string };
  tags: string[];
  wechatWindow?: WindowView;
  /** Messages of this conversation whose delivery failed (the console offers Retry on each). */
  failedDeliveries?: number;
}

export function queueItem(
  c: Conversation,
  extra: { customer: Customer | null; agentNames: ReadonlyMap<string, string>; now: Date; position?: number; last?: Message; window?: WeChatWindow; failedDeliveries?: number },
): QueueItem {
  // The shopper's wait for a human counts from the hand-off request (queuedAt, which claims, transfers and
  // reassignments keep), also once an agent has it: an assignment does not restart the clock.
  const since = c.status === 'queued' || c.status === 'assigned' ? c.queuedAt : undefined;
  const item: QueueItem = {
    id: c.id,
    customerId: c.customerId,
    customerName: extra.customer?.displayName ?? '?',
    vip: extra.customer?.vip ?? false,
    channel: c.channel,
    language: c.language,
    status: c.status,
    priority: c.priority,
    assigneeId: c.assigneeId,
    waitingSeconds: since ? Math.max(0, Math.round((extra.now.getTime() - since.getTime()) / 1000)) : 0,
    tags: c.tags,
  };
  if (c.handoffReason) item.reason = c.handoffReason;
  if (c.topic) item.topic = c.topic;
  if (c.assigneeId && extra.agentNames.has(c.assigneeId)) item.assigneeName = extra.agentNames.get(c.assigneeId)!;
  if (c.queuedAt) item.queuedAt = c.queuedAt.toISOString();
  if (c.assignedAt) item.assignedAt = c.assignedAt.toISOString();
  if (extra.position) item.position = extra.position;
  if (extra.last) item.lastMessage = { text: extra.last.text.slice(0, 200), sender: extra.last.sender, at: extra.last.createdAt.toISOString() };
  if (extra.window) item.wechatWindow = windowView(extra.window);
  if (extra.failedDeliveries) item.failedDeliveries = extra.failedDeliveries;
  return item;
}

/** The customer's profile as an agent sees it. */
export function customerView(c: Customer): Record<string, unknown> {
  return {
    id: c.id,
    displayName: c.displayName,
    email: c.email,
    phone: c.phone,
    locale: c.locale,
    vip: c.vip,
    tags: c.tags,
    identities: c.identities.map((i) => ({ channel: i.channel, externalId: i.externalId, linkedAt: i.linkedAt.toISOString() })),
    createdAt: c.createdAt.toISOString(),
  };
}

export function agentNameMap(agents: Agent[]): Map<string, string> {
  return new Map(agents.map((a) => [a.id, a.name]));
}
