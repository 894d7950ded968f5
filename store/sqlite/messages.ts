import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit } from '../paging.js';
import type {
  ChannelId,
  DeliveryStatus,
  DeliveryUpdate,
  Message,
  MessageDirection,
  MessageRepository,
  MessageSender,
  NewMessage,
  Page,
  PageRequest,
  TimeRange,
} from '../types.js';
import { Where, type Db } from './db.js';
import { opt, optJson, optParseJson, orNull, toDate } from './rows.js';
import * as check from './validate.js';

const DIRECTIONS: readonly MessageDirection[] = ['in', 'out'];
const SENDERS: readonly MessageSender[] = ['customer', 'bot', 'agent', 'system'];
const DELIVERY: readonly DeliveryStatus[] = ['pending', 'sent', 'failed'];

export interface MessageRow {
  id: string;
  conversation_id: string;
  customer_id: string;
  seq: number;
  direction: MessageDirection;
  sender: MessageSender;
  agent_id: string | null;
  channel: ChannelId;
  text: string;
  payload: string | null;
  channel_message_id: string | null;
  intent: string | null;
  confidence: number | null;
  entities: string | null;
  sentiment: number | null;
  skill: string | null;
  delivery_status: DeliveryStatus | null;
  delivery_attempts: number | null;
  delivery_error: string | null;
  delivery_updated_at: number | null;
  delivery_owner: string | null;
  delivery_lease_until: number | null;
  delivery_next_at: number | null;
  delivery_max_attempts: number | null;
  created_at: number;
}

export function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    customerId: r.customer_id,
    seq: r.seq,
    direction: r.direction,
    sender: r.sender,
    agentId: opt(r.agent_id),
    channel: r.channel,
    text: r.text,
    payload: optParseJson<Record<string, unknown>>(r.payload),
    channelMessageId: opt(r.channel_message_id),
    intent: opt(r.intent),
    confidence: opt(r.confidence),
    entities: optParseJson<Array<Record<string, unknown>>>(r.entities),
    sentiment: opt(r.sentiment),
    skill: opt(r.skill),
    delivery:
      r.delivery_status === null
        ? undefined
        : {
            status: r.delivery_status,
            attempts: r.delivery_attempts ?? 0,
            error: opt(r.delivery_error),
            updatedAt: toDate(r.delivery_updated_at ?? r.created_at),
            claim: r.delivery_owner === null || r.delivery_lease_until === null ? undefined : { owner: r.delivery_owner, until: toDate(r.delivery_lease_until) },
            nextAttemptAt: r.delivery_next_at === null ? undefined : toDate(r.delivery_next_at),
            maxAttempts: opt(r.delivery_max_attempts),
          },
    createdAt: toDate(r.created_at),
  };
}

/** The transcript: every inbound and outbound message, numbered per conversation. */
export class SqliteMessages implements MessageRepository {
  constructor(private readonly db: Db) {}

  /**
   * seq is MAX(seq)+1 read inside the same IMMEDIATE transaction as the insert, so two
   * appends (even from two processes) cannot read the same maximum; UNIQUE(conversation_id,
   * seq) backs that up. Empty text is accepted only with a payload (a card-only reply).
   */
  async append(input: NewMessage): Promise<Message> {
    const conversationId = check.text('conversationId', input.conversationId);
    const customerId = check.text('customerId', input.customerId);
    const direction = check.oneOf('direction', input.direction, DIRECTIONS);
    const sender = check.oneOf('sender', input.sender, SENDERS);
    const agentId = check.optText('agentId', input.agentId);
    const channel = check.channel('channel', input.channel);
    const payload = check.optObject('payload', input.payload);
    if (typeof input.text !== 'string' || (input.text.trim() === '' && payload === undefined)) {
      throw new ShopError('bad_request', 'text must be a non-empty string (or come with a payload)', { details: { field: 'text' } });
    }
    const channelMessageId = check.optText('channelMessageId', input.channelMessageId);
    const intent = check.optText('intent', input.intent);
    const confidence = check.optFinite('confidence', input.confidence, 0, 1);
    const entities = check.optObjects('entities', input.entities);
    const createdAt = input.createdAt === undefined ? Date.now() : check.date('createdAt', input.createdAt).getTime();
    const id = newId('msg');
    return this.db.write(() => {
      if (!this.db.exists('conversations', conversationId)) {
        throw new ShopError('not_found', `conversation ${conversationId} not found`, { details: { id: conversationId } });
      }
      const { seq } = this.db.get<{ seq: number }>(
        'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM messages WHERE conversation_id = ?',
        [conversationId],
      )!;
      this.db.run(
        `INSERT INTO messages (id, conversation_id, customer_id, seq, direction, sender, agent_id, channel, text, payload,
                               channel_message_id, intent, confidence, entities, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          conversationId,
          customerId,
          seq,
          direction,
          sender,
          orNull(agentId),
          channel,
          input.text,
          optJson(payload),
          orNull(channelMessageId),
          orNull(intent),
          orNull(confidence),
          optJson(entities),
          createdAt,
        ],
      );
      this.db.run('UPDATE conversations SET last_message_at = MAX(last_message_at, ?) WHERE id = ?', [createdAt, conversationId]);
      return this.load(id);
    });
  }

  async get(id: string): Promise<Message | null> {
    return this.db.read(() => {
      const row = this.db.get<MessageRow>('SELECT * FROM messages WHERE id = ?', [id]);
      return row === undefined ? null : toMessage(row);
    });
  }

  async findByChannelMessageId(channel: ChannelId, channelMessageId: string): Promise<Message | null> {
    return this.db.read(() => {
      const row = this.db.get<MessageRow>('SELECT * FROM messages WHERE channel = ? AND channel_message_id = ?', [
        channel,
        channelMessageId,
      ]);
      return row === undefined ? null : toMessage(row);
    });
  }

  /** Without `entities`, the entities already stored are kept. */
  async annotate(
    id: string,
    nlu: { intent: string; confidence: number; entities?: Array<Record<string, unknown>>; sentiment?: number; skill?: string },
  ): Promise<Message> {
    const intent = check.text('intent', nlu.intent);
    const confidence = check.finite('confidence', nlu.confidence, 0, 1);
    const entities = check.optObjects('entities', nlu.entities);
    const sentiment = check.optFinite('sentiment', nlu.sentiment, -1, 1);
    const skill = check.optText('skill', nlu.skill);
    return this.db.write(() => {
      const changed = this.db.run(
        'UPDATE messages SET intent = ?, confidence = ?, entities = COALESCE(?, entities), sentiment = COALESCE(?, sentiment), skill = COALESCE(?, skill) WHERE id = ?',
        [intent, confidence, optJson(entities), sentiment ?? null, skill ?? null, id],
      ).changes;
      if (changed === 0) throw new ShopError('not_found', `message ${id} not found`, { details: { id } });
      return this.load(id);
    });
  }

  /** `limit` follows the page rules (default 50, at most 500); page on with `afterSeq`. */
  async listByConversation(conversationId: string, opts: { afterSeq?: number; limit?: number } = {}): Promise<Message[]> {
    const limit = pageLimit({ limit: opts.limit });
    const afterSeq = check.int('afterSeq', opts.afterSeq ?? 0, 0);
    return this.db.read(() =>
      this.db
        .all<MessageRow>('SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?', [
          conversationId,
          afterSeq,
          limit,
        ])
        .map(toMessage),
    );
  }

  /** Newest first by createdAt, then id (createdAt may be back-dated by imports). */
  async listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Message>> {
    const where = new Where().add('customer_id = ?', customerId);
    return this.db.timePage({ table: 'messages', timeColumn: 'created_at', where, descending: true, page, map: toMessage, key: messageKey });
  }

  async listByTime(range: TimeRange, page?: PageRequest): Promise<Page<Message>> {
    const from = check.optDate('from', range.from);
    const to = check.optDate('to', range.to);
    const where = new Where()
      .addIf(from, 'created_at >= ?', (d) => d.getTime())
      .addIf(to, 'created_at < ?', (d) => d.getTime());
    return this.db.timePage({ table: 'messages', timeColumn: 'created_at', where, descending: false, page, map: toMessage, key: messageKey });
  }

  async setDelivery(id: string, delivery: DeliveryUpdate): Promise<Message> {
    const status = check.oneOf('status', delivery.status, DELIVERY);
    const attempts = check.int('attempts', delivery.attempts, 0);
    const error = check.optText('error', delivery.error);
    // The outbox fields belong to a delivery still under way only.
    const pending = status === 'pending';
    const owner = pending && delivery.claim ? check.text('claim.owner', delivery.claim.owner) : undefined;
    const until = owner !== undefined ? check.date('claim.until', delivery.claim!.until).getTime() : null;
    const nextAt = pending ? (check.optDate('nextAttemptAt', delivery.nextAttemptAt)?.getTime() ?? null) : null;
    const maxAttempts = pending && delivery.maxAttempts !== undefined ? check.int('maxAttempts', delivery.maxAttempts, 1) : null;
    return this.db.write(() => {
      const changed = this.db.run(
        `UPDATE messages SET delivery_status = ?, delivery_attempts = ?, delivery_error = ?, delivery_updated_at = ?,
                             delivery_owner = ?, delivery_lease_until = ?, delivery_next_at = ?, delivery_max_attempts = ?
         WHERE id = ?`,
        [status, attempts, error ?? null, Date.now(), owner ?? null, until, nextAt, maxAttempts, id],
      ).changes;
      if (changed === 0) throw new ShopError('not_found', `message ${id} not found`, { details: { id } });
      return this.load(id);
    });
  }

  /** One conditional UPDATE in an IMMEDIATE transaction: `changes` says who won, across processes too. */
  async claimDelivery(id: string, claim: { owner: string; until: Date; now?: Date; expect?: DeliveryStatus | null }): Promise<Message | null> {
    const owner = check.text('owner', claim.owner);
    const until = check.date('until', claim.until).getTime();
    const now = claim.now === undefined ? Date.now() : check.date('now', claim.now).getTime();
    const expect = claim.expect === undefined ? 'pending' : claim.expect === null ? null : check.oneOf('expect', claim.expect, DELIVERY);
    const where = new Where().add('id = ?', id);
    if (expect === null) where.add('delivery_status IS NULL');
    else where.add('delivery_status = ?', expect);
    if (expect === 'pending') {
      where.add('(delivery_owner IS NULL OR delivery_lease_until IS NULL OR delivery_lease_until <= ? OR delivery_owner = ?)', now, owner);
    }
    return this.db.write(() => {
      const changed = this.db.run(
        `UPDATE messages SET delivery_status = 'pending', delivery_attempts = COALESCE(delivery_attempts, 0), delivery_updated_at = ?,
                             delivery_owner = ?, delivery_lease_until = ? ${where}`,
        [Date.now(), owner, until, ...where.params],
      ).changes;
      if (changed === 1) return this.load(id);
      if (!this.db.exists('messages', id)) throw new ShopError('not_found', `message ${id} not found`, { details: { id } });
      return null;
    });
  }

  async listByDelivery(status: DeliveryStatus, page?: PageRequest): Promise<Page<Message>> {
    const where = new Where().add('delivery_status = ?', check.oneOf('status', status, DELIVERY));
    return this.db.timePage({ table: 'messages', timeColumn: 'created_at', where, descending: false, page, map: toMessage, key: messageKey });
  }

  private load(id: string): Message {
    const row = this.db.get<MessageRow>('SELECT * FROM messages WHERE id = ?', [id]);
    if (row === undefined) throw new ShopError('not_found', `message ${id} not found`, { details: { id } });
    return toMessage(row);
  }
}

const messageKey = (m: Message): [number, string] => [m.createdAt.getTime(), m.id];
