import type { QueryFilter } from 'mongoose';
import { checkNote, checkScore, normalizeTags } from '../conversation-rules.js';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { ChannelId, Conversation, ConversationRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { ConversationDoc } from './models.js';
import { afterId, and, clean, inRange, opt, type Ctx, type Filter } from './query.js';

export function toConversation(d: ConversationDoc): Conversation {
  return clean({
    id: d._id,
    customerId: d.customerId,
    channel: d.channel,
    status: d.status,
    assigneeId: d.assigneeId ?? null,
    priority: d.priority,
    handoffReason: opt(d.handoffReason),
    language: d.language,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    lastMessageAt: d.lastMessageAt,
    queuedAt: opt(d.queuedAt),
    assignedAt: opt(d.assignedAt),
    resolvedAt: opt(d.resolvedAt),
    topic: opt(d.topic),
    firstResponseAt: opt(d.firstResponseAt),
    tags: d.tags ?? [],
    notes: (d.notes ?? []).map((n) => ({ agentId: n.agentId, text: n.text, at: n.at })),
    rating: opt(d.rating),
    ratedAt: opt(d.ratedAt),
  });
}

/** Conversations; every status change is a revisioned write, so concurrent claims have one winner. */
export function conversationRepository({ m, revs }: Ctx): ConversationRepository {
  const find = (filter: Filter) => m.conversations.find(filter as QueryFilter<ConversationDoc>);

  function change(id: string, step: (cur: ConversationDoc) => ConversationDoc): Promise<Conversation> {
    return revs.mutate(m.conversations, 'conversation', id, (cur) => {
      const next = step(cur);
      return { next, result: toConversation(next) };
    });
  }

  return guarded<ConversationRepository>({
    async create(input) {
      if (!(await m.customers.exists({ _id: input.customerId }).exec())) {
        throw new ShopError('not_found', `customer ${input.customerId} not found`);
      }
      const now = new Date();
      const doc: ConversationDoc = {
        _id: input.id ?? newId('conv'),
        customerId: input.customerId,
        channel: input.channel,
        status: 'bot',
        assigneeId: null,
        priority: 0,
        language: input.language ?? 'en',
        createdAt: now,
        updatedAt: now,
        lastMessageAt: now,
        messageSeq: 0,
        rev: 0,
      };
      try {
        await m.conversations.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `conversation ${doc._id} already exists`, { cause: err });
        throw err;
      }
      return toConversation(doc);
    },

    async get(id) {
      const d = await m.conversations.findById(id).lean<ConversationDoc>().exec();
      return d ? toConversation(d) : null;
    },

    async findOpenByCustomer(customerId: string, channel?: ChannelId) {
      const filter: Filter = { customerId, status: { $ne: 'resolved' } };
      if (channel !== undefined) filter.channel = channel;
      const [d] = await find(filter).sort({ _id: -1 }).limit(1).lean<ConversationDoc[]>().exec();
      return d ? toConversation(d) : null;
    },

    async listByCustomer(customerId, page) {
      const limit = pageLimit(page);
      const docs = await find(and({ customerId }, afterId(page?.cursor, -1)))
        .sort({ _id: -1 })
        .limit(limit + 1)
        .lean<ConversationDoc[]>()
        .exec();
      return toPage(docs.map(toConversation), limit, (c) => [c.id]);
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const eq: Filter = {};
      if (filter?.status !== undefined) eq.status = filter.status;
      if (filter?.assigneeId !== undefined) eq.assigneeId = filter.assigneeId;
      if (filter?.channel !== undefined) eq.channel = filter.channel;
      const docs = await find(and(eq, inRange('createdAt', filter), afterId(page?.cursor, 1)))
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<ConversationDoc[]>()
        .exec();
      return toPage(docs.map(toConversation), limit, (c) => [c.id]);
    },

    enqueue(id, input) {
      if (!Number.isFinite(input.priority)) throw new ShopError('bad_request', 'priority must be a number');
      if (input.language !== undefined && input.language !== 'en' && input.language !== 'zh') throw new ShopError('bad_request', 'language must be en or zh');
      return change(id, (cur) => {
        if (cur.status === 'resolved') throw new ShopError('conflict', `conversation ${id} is resolved`);
        const now = new Date();
        return {
          ...cur,
          status: 'queued',
          assigneeId: null,
          priority: input.priority,
          handoffReason: input.reason,
          ...(input.topic ? { topic: input.topic } : {}),
          ...(input.language ? { language: input.language } : {}),
          queuedAt: cur.status === 'queued' && cur.queuedAt ? cur.queuedAt : now,
          updatedAt: now,
        };
      });
    },

    claim(id, agentId) {
      return change(id, (cur) => {
        if (cur.status !== 'queued' && cur.status !== 'bot') {
          throw new ShopError('conflict', `conversation ${id} is ${cur.status}, it cannot be claimed`);
        }
        const now = new Date();
        return { ...cur, status: 'assigned', assigneeId: agentId, assignedAt: now, updatedAt: now };
      });
    },

    transfer(id, fromAgentId, toAgentId) {
      return change(id, (cur) => {
        if (cur.status !== 'assigned' || cur.assigneeId !== fromAgentId) {
          throw new ShopError('conflict', `conversation ${id} is not assigned to ${fromAgentId}`);
        }
        const now = new Date();
        return { ...cur, assigneeId: toAgentId, assignedAt: now, updatedAt: now };
      });
    },

    reassign(id, toAgentId) {
      if (!toAgentId) throw new ShopError('bad_request', 'toAgentId is required');
      return change(id, (cur) => {
        if (cur.status !== 'queued' && cur.status !== 'assigned') {
          throw new ShopError('conflict', `conversation ${id} is ${cur.status}, it cannot be reassigned`);
        }
        const now = new Date();
        return { ...cur, status: 'assigned', assigneeId: toAgentId, assignedAt: now, updatedAt: now };
      });
    },

    addNote(id, note) {
      const n = checkNote(note);
      return change(id, (cur) => {
        const now = new Date();
        return { ...cur, notes: [...(cur.notes ?? []), { ...n, at: now }], updatedAt: now };
      });
    },

    setTags(id, tags) {
      const clean = normalizeTags(tags);
      return change(id, (cur) => ({ ...cur, tags: clean, updatedAt: new Date() }));
    },

    async markFirstResponse(id, at) {
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ShopError('bad_request', 'at must be a valid Date');
      await revs.mutate(m.conversations, 'conversation', id, (cur) =>
        cur.firstResponseAt ? { result: undefined } : { next: { ...cur, firstResponseAt: at }, result: undefined },
      );
    },

    rate(id, score) {
      const s = checkScore(score);
      return change(id, (cur) => {
        if (cur.status !== 'resolved' || (cur.rating !== undefined && cur.rating !== null)) {
          throw new ShopError('conflict', `conversation ${id} cannot be rated: it is not resolved, or it was rated already`);
        }
        const now = new Date();
        return { ...cur, rating: s, ratedAt: now, updatedAt: now };
      });
    },

    async assignedCounts() {
      const rows = await m.conversations
        .aggregate<{ _id: string; n: number }>([{ $match: { status: 'assigned', assigneeId: { $ne: null } } }, { $group: { _id: '$assigneeId', n: { $sum: 1 } } }])
        .exec();
      return Object.fromEntries(rows.map((r) => [r._id, r.n]));
    },

    resolve(id) {
      return change(id, (cur) => {
        if (cur.status === 'resolved') throw new ShopError('conflict', `conversation ${id} is already resolved`);
        const now = new Date();
        return { ...cur, status: 'resolved', resolvedAt: now, updatedAt: now };
      });
    },

    async touch(id, at) {
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ShopError('bad_request', 'at must be a valid Date');
      await revs.mutate(m.conversations, 'conversation', id, (cur) =>
        at.getTime() > cur.lastMessageAt.getTime() ? { next: { ...cur, lastMessageAt: at }, result: undefined } : { result: undefined },
      );
    },
  });
}
