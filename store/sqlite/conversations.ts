import { checkNote, checkScore, normalizeTags } from '../conversation-rules.js';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type {
  ChannelId,
  Conversation,
  ConversationFilter,
  ConversationRepository,
  ConversationStatus,
  Locale,
  NewConversation,
  Page,
  PageRequest,
} from '../types.js';
import { Where, type Db } from './db.js';
import { opt, optDate, parseJson, toDate } from './rows.js';
import * as check from './validate.js';

export const CONVERSATION_STATUSES: readonly ConversationStatus[] = ['bot', 'queued', 'assigned', 'resolved'];

export interface ConversationRow {
  id: string;
  customer_id: string;
  channel: ChannelId;
  status: ConversationStatus;
  assignee_id: string | null;
  priority: number;
  handoff_reason: string | null;
  language: Locale;
  created_at: number;
  updated_at: number;
  last_message_at: number;
  queued_at: number | null;
  assigned_at: number | null;
  resolved_at: number | null;
  topic: string | null;
  first_response_at: number | null;
  tags: string;
  notes: string;
  rating: number | null;
  rated_at: number | null;
}

export function toConversation(r: ConversationRow): Conversation {
  return {
    id: r.id,
    customerId: r.customer_id,
    channel: r.channel,
    status: r.status,
    assigneeId: r.assignee_id,
    priority: r.priority,
    handoffReason: opt(r.handoff_reason),
    language: r.language,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    lastMessageAt: toDate(r.last_message_at),
    queuedAt: optDate(r.queued_at),
    assignedAt: optDate(r.assigned_at),
    resolvedAt: optDate(r.resolved_at),
    topic: opt(r.topic),
    firstResponseAt: optDate(r.first_response_at),
    tags: parseJson<string[]>(r.tags),
    notes: parseJson<Array<{ agentId: string; text: string; at: number }>>(r.notes).map((n) => ({ ...n, at: toDate(n.at) })),
    rating: opt(r.rating),
    ratedAt: optDate(r.rated_at),
  };
}

/**
 * Conversations and their hand-off life cycle. Every state change is one conditional
 * UPDATE whose WHERE clause is the allowed "from" states, so concurrent changes cannot
 * both succeed; a zero-row update is then explained as `not_found` or `conflict`.
 */
export class SqliteConversations implements ConversationRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewConversation): Promise<Conversation> {
    const id = input.id === undefined ? newId('conv') : check.text('id', input.id);
    const customerId = check.text('customerId', input.customerId);
    const channel = check.channel('channel', input.channel);
    const language = input.language === undefined ? 'en' : check.locale('language', input.language);
    const now = Date.now();
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO conversations (id, customer_id, channel, status, assignee_id, priority, language, created_at, updated_at, last_message_at)
         VALUES (?, ?, ?, 'bot', NULL, 0, ?, ?, ?, ?)`,
        [id, customerId, channel, language, now, now, now],
      );
      return this.load(id);
    });
  }

  async get(id: string): Promise<Conversation | null> {
    return this.db.read(() => {
      const row = this.db.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', [id]);
      return row === undefined ? null : toConversation(row);
    });
  }

  /** "Most recent" is the newest by creation (id descending), as in `listByCustomer`. */
  async findOpenByCustomer(customerId: string, channel?: ChannelId): Promise<Conversation | null> {
    return this.db.read(() => {
      const where = new Where()
        .add('customer_id = ?', customerId)
        .add("status <> 'resolved'")
        .addIf(channel, 'channel = ?', (c) => c);
      const row = this.db.get<ConversationRow>(`SELECT * FROM conversations ${where} ORDER BY id DESC LIMIT 1`, where.params);
      return row === undefined ? null : toConversation(row);
    });
  }

  async listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Conversation>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    return this.db.read(() => {
      const where = new Where().add('customer_id = ?', customerId).addIf(after?.[0], 'id < ?', (id) => id);
      const rows = this.db.all<ConversationRow>(`SELECT * FROM conversations ${where} ORDER BY id DESC LIMIT ?`, [
        ...where.params,
        limit + 1,
      ]);
      return toPage(rows.map(toConversation), limit, (c) => [c.id]);
    });
  }

  async list(filter: ConversationFilter = {}, page?: PageRequest): Promise<Page<Conversation>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    const status = check.optOneOf('status', filter.status, CONVERSATION_STATUSES);
    const channel = check.optOneOf('channel', filter.channel, check.CHANNELS);
    const from = check.optDate('from', filter.from);
    const to = check.optDate('to', filter.to);
    return this.db.read(() => {
      const where = new Where()
        .addIf(status, 'status = ?', (s) => s)
        .addIf(filter.assigneeId, 'assignee_id = ?', (a) => a)
        .addIf(channel, 'channel = ?', (c) => c)
        .addIf(from, 'created_at >= ?', (d) => d.getTime())
        .addIf(to, 'created_at < ?', (d) => d.getTime())
        .addIf(after?.[0], 'id > ?', (id) => id);
      const rows = this.db.all<ConversationRow>(`SELECT * FROM conversations ${where} ORDER BY id LIMIT ?`, [
        ...where.params,
        limit + 1,
      ]);
      return toPage(rows.map(toConversation), limit, (c) => [c.id]);
    });
  }

  /** Re-enqueueing a queued conversation updates priority and reason but keeps its place (queuedAt). */
  async enqueue(id: string, input: { priority: number; reason: string; topic?: string; language?: Locale }): Promise<Conversation> {
    const priority = check.finite('priority', input.priority);
    const reason = check.text('reason', input.reason);
    const topic = check.optText('topic', input.topic) ?? null;
    const language = input.language === undefined ? null : check.locale('language', input.language);
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations
       SET status = 'queued', assignee_id = NULL, priority = ?, handoff_reason = ?, topic = COALESCE(?, topic), language = COALESCE(?, language),
           queued_at = CASE WHEN status = 'queued' THEN queued_at ELSE ? END, updated_at = ?
       WHERE id = ? AND status <> 'resolved'`,
      [priority, reason, topic, language, now, now, id],
      'it is resolved',
    );
  }

  async claim(id: string, agentId: string): Promise<Conversation> {
    check.text('agentId', agentId);
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations SET status = 'assigned', assignee_id = ?, assigned_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'bot')`,
      [agentId, now, now, id],
      'it is not queued (already claimed or resolved)',
    );
  }

  async transfer(id: string, fromAgentId: string, toAgentId: string): Promise<Conversation> {
    check.text('toAgentId', toAgentId);
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations SET assignee_id = ?, assigned_at = ?, updated_at = ?
       WHERE id = ? AND status = 'assigned' AND assignee_id = ?`,
      [toAgentId, now, now, id, fromAgentId],
      `it is not assigned to ${fromAgentId}`,
    );
  }

  async reassign(id: string, toAgentId: string): Promise<Conversation> {
    check.text('toAgentId', toAgentId);
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations SET status = 'assigned', assignee_id = ?, assigned_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'assigned')`,
      [toAgentId, now, now, id],
      'it is not queued or assigned',
    );
  }

  async addNote(id: string, note: { agentId: string; text: string }): Promise<Conversation> {
    const n = checkNote(note);
    return this.db.write(() => {
      const cur = this.load(id);
      const notes = [...cur.notes.map((x) => ({ ...x, at: x.at.getTime() })), { ...n, at: Date.now() }];
      this.db.run('UPDATE conversations SET notes = ?, updated_at = ? WHERE id = ?', [JSON.stringify(notes), Date.now(), id]);
      return this.load(id);
    });
  }

  async setTags(id: string, tags: string[]): Promise<Conversation> {
    const clean = normalizeTags(tags);
    return this.db.write(() => {
      if (this.db.run('UPDATE conversations SET tags = ?, updated_at = ? WHERE id = ?', [JSON.stringify(clean), Date.now(), id]).changes === 0) {
        throw notFound(id);
      }
      return this.load(id);
    });
  }

  async markFirstResponse(id: string, at: Date): Promise<void> {
    const ms = check.date('at', at).getTime();
    this.db.write(() => {
      this.db.run('UPDATE conversations SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL', [ms, id]);
      if (!this.db.exists('conversations', id)) throw notFound(id);
    });
  }

  async rate(id: string, score: number): Promise<Conversation> {
    const s = checkScore(score);
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations SET rating = ?, rated_at = ?, updated_at = ? WHERE id = ? AND status = 'resolved' AND rating IS NULL`,
      [s, now, now, id],
      'it is not resolved, or it was rated already',
    );
  }

  async assignedCounts(): Promise<Record<string, number>> {
    return this.db.read(() => {
      const rows = this.db.all<{ assignee_id: string; n: number }>(
        "SELECT assignee_id, COUNT(*) AS n FROM conversations WHERE status = 'assigned' AND assignee_id IS NOT NULL GROUP BY assignee_id",
        [],
      );
      return Object.fromEntries(rows.map((r) => [r.assignee_id, r.n]));
    });
  }

  async resolve(id: string): Promise<Conversation> {
    const now = Date.now();
    return this.transition(
      id,
      `UPDATE conversations SET status = 'resolved', resolved_at = ?, updated_at = ? WHERE id = ? AND status <> 'resolved'`,
      [now, now, id],
      'it is already resolved',
    );
  }

  async touch(id: string, at: Date): Promise<void> {
    const ms = check.date('at', at).getTime();
    this.db.write(() => {
      const changed = this.db.run('UPDATE conversations SET last_message_at = MAX(last_message_at, ?) WHERE id = ?', [ms, id]).changes;
      if (changed === 0) throw notFound(id);
    });
  }

  private transition(id: string, sql: string, params: Array<string | number | null>, whyNot: string): Conversation {
    return this.db.write(() => {
      if (this.db.run(sql, params).changes === 0) {
        if (!this.db.exists('conversations', id)) throw notFound(id);
        throw new ShopError('conflict', `conversation ${id} cannot change: ${whyNot}`, { details: { id } });
      }
      return this.load(id);
    });
  }

  private load(id: string): Conversation {
    const row = this.db.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', [id]);
    if (row === undefined) throw notFound(id);
    return toConversation(row);
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `conversation ${id} not found`, { details: { id } });
}
