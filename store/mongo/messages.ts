import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { ChannelId, DeliveryStatus, DeliveryUpdate, Message, MessageRepository } from '../types.js';

const DELIVERY: readonly DeliveryStatus[] = ['pending', 'sent', 'failed'];

function deliveryStatus(v: unknown): DeliveryStatus {
  if (!DELIVERY.includes(v as DeliveryStatus)) throw new ShopError('bad_request', `delivery status must be one of ${DELIVERY.join(', ')}`);
  return v as DeliveryStatus;
}
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { MessageDoc } from './models.js';
import { afterTime, and, clean, fromJson, inRange, opt, toJson, type Ctx, type Filter } from './query.js';

function validDate(name: string, d: unknown): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ShopError('bad_request', `${name} must be a valid Date`);
  return d;
}

/** The delivery fields of a checked `DeliveryUpdate`; the outbox ones only for `pending`. */
function deliveryFields(delivery: DeliveryUpdate): Partial<MessageDoc> {
  const status = deliveryStatus(delivery.status);
  if (!Number.isInteger(delivery.attempts) || delivery.attempts < 0) throw new ShopError('bad_request', 'attempts must be an integer of 0 or more');
  if (delivery.error !== undefined && (typeof delivery.error !== 'string' || delivery.error === '')) {
    throw new ShopError('bad_request', 'error must be a non-empty string');
  }
  const fields: Partial<MessageDoc> = { deliveryStatus: status, deliveryAttempts: delivery.attempts, deliveryError: delivery.error };
  if (status !== 'pending') return fields;
  if (delivery.claim !== undefined) {
    if (typeof delivery.claim.owner !== 'string' || delivery.claim.owner === '') throw new ShopError('bad_request', 'claim.owner must be a non-empty string');
    fields.deliveryOwner = delivery.claim.owner;
    fields.deliveryLeaseUntil = validDate('claim.until', delivery.claim.until);
  }
  if (delivery.nextAttemptAt !== undefined) fields.deliveryNextAt = validDate('nextAttemptAt', delivery.nextAttemptAt);
  if (delivery.maxAttempts !== undefined) {
    if (!Number.isInteger(delivery.maxAttempts) || delivery.maxAttempts < 1) throw new ShopError('bad_request', 'maxAttempts must be an integer of 1 or more');
    fields.deliveryMaxAttempts = delivery.maxAttempts;
  }
  return fields;
}

/** A message document without its delivery state (`setDelivery` writes all of it anew). */
function withoutDelivery(d: MessageDoc): MessageDoc {
  const rest = { ...d };
  for (const k of ['deliveryStatus', 'deliveryAttempts', 'deliveryError', 'deliveryUpdatedAt', 'deliveryOwner', 'deliveryLeaseUntil', 'deliveryNextAt', 'deliveryMaxAttempts'] as const) delete rest[k];
  return rest;
}

export function toMessage(d: MessageDoc): Message {
  return clean({
    id: d._id,
    conversationId: d.conversationId,
    customerId: d.customerId,
    seq: d.seq,
    direction: d.direction,
    sender: d.sender,
    agentId: opt(d.agentId),
    channel: d.channel,
    text: d.text,
    payload: fromJson<Record<string, unknown>>(d.payload),
    channelMessageId: opt(d.channelMessageId),
    intent: opt(d.intent),
    confidence: opt(d.confidence),
    entities: fromJson<Array<Record<string, unknown>>>(d.entities),
    sentiment: opt(d.sentiment),
    skill: opt(d.skill),
    delivery:
      d.deliveryStatus === undefined || d.deliveryStatus === null
        ? undefined
        : clean({
            status: d.deliveryStatus,
            attempts: d.deliveryAttempts ?? 0,
            error: opt(d.deliveryError),
            updatedAt: d.deliveryUpdatedAt ?? d.createdAt,
            claim: d.deliveryOwner && d.deliveryLeaseUntil ? { owner: d.deliveryOwner, until: d.deliveryLeaseUntil } : undefined,
            nextAttemptAt: opt(d.deliveryNextAt),
            maxAttempts: opt(d.deliveryMaxAttempts),
          }),
    createdAt: d.createdAt,
  });
}

function dedupeKey(channel: ChannelId, channelMessageId: string): string {
  return `${channel}:${channelMessageId}`;
}

/** Transcript messages; seqs come from the conversation document (a revisioned write). */
export function messageRepository({ m, revs }: Ctx): MessageRepository {
  const find = (filter: Filter) => m.messages.find(filter as QueryFilter<MessageDoc>);

  async function byDedupeKey(key: string): Promise<MessageDoc | null> {
    return m.messages.findOne({ dedupeKey: key }).lean<MessageDoc>().exec();
  }

  function duplicate(input: { channel: ChannelId; channelMessageId?: string }, cause?: unknown): ShopError {
    return new ShopError('conflict', `${input.channel} message ${String(input.channelMessageId)} was already stored`, {
      cause,
      details: { channel: input.channel, channelMessageId: input.channelMessageId },
    });
  }

  return guarded<MessageRepository>({
    async append(input) {
      const createdAt = input.createdAt ?? new Date();
      if (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime())) throw new ShopError('bad_request', 'createdAt must be a valid Date');
      const key = input.channelMessageId === undefined ? undefined : dedupeKey(input.channel, input.channelMessageId);
      // Checked first so a channel retry does not use up a seq; the unique index below
      // still settles a race between two deliveries of the same message.
      if (key !== undefined && (await byDedupeKey(key))) throw duplicate(input);

      for (let attempt = 0; attempt < 5; attempt++) {
        const seq = await revs.mutate(m.conversations, 'conversation', input.conversationId, (cur) => {
          const seq = (cur.messageSeq ?? 0) + 1;
          const lastMessageAt = createdAt.getTime() > cur.lastMessageAt.getTime() ? createdAt : cur.lastMessageAt;
          return { next: { ...cur, messageSeq: seq, lastMessageAt }, result: seq };
        });
        const doc: MessageDoc = clean({
          _id: newId('msg'),
          conversationId: input.conversationId,
          customerId: input.customerId,
          seq,
          direction: input.direction,
          sender: input.sender,
          agentId: input.agentId,
          channel: input.channel,
          text: input.text,
          payload: toJson(input.payload),
          channelMessageId: input.channelMessageId,
          dedupeKey: key,
          intent: input.intent,
          confidence: input.confidence,
          entities: toJson(input.entities),
          rev: 0,
          createdAt,
        });
        try {
          await m.messages.create(doc);
          return toMessage(doc);
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          if (key !== undefined && (await byDedupeKey(key))) throw duplicate(input, err);
          // Otherwise the seq was taken (a message written around this adapter): take the next.
        }
      }
      throw new ShopError('conflict', `could not find a free seq in conversation ${input.conversationId}`);
    },

    async get(id) {
      const d = await m.messages.findById(id).lean<MessageDoc>().exec();
      return d ? toMessage(d) : null;
    },

    async findByChannelMessageId(channel, channelMessageId) {
      const d = await byDedupeKey(dedupeKey(channel, channelMessageId));
      return d ? toMessage(d) : null;
    },

    async annotate(id, nlu) {
      // Only annotate writes a stored message, so a plain update cannot undo another writer.
      const set: Filter = { intent: nlu.intent, confidence: nlu.confidence };
      if (nlu.sentiment !== undefined) {
        if (!Number.isFinite(nlu.sentiment) || nlu.sentiment < -1 || nlu.sentiment > 1) throw new ShopError('bad_request', 'sentiment must be a number from -1 to 1');
        set.sentiment = nlu.sentiment;
      }
      if (nlu.skill !== undefined) {
        if (typeof nlu.skill !== 'string' || nlu.skill === '') throw new ShopError('bad_request', 'skill must be a non-empty string');
        set.skill = nlu.skill;
      }
      const update: Filter = { $set: set };
      if (nlu.entities === undefined) update.$unset = { entities: 1 };
      else set.entities = toJson(nlu.entities);
      const d = await m.messages
        .findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' })
        .lean<MessageDoc>()
        .exec();
      if (!d) throw new ShopError('not_found', `message ${id} not found`);
      return toMessage(d);
    },

    async listByConversation(conversationId, opts) {
      const limit = pageLimit({ limit: opts?.limit });
      const afterSeq = opts?.afterSeq ?? 0;
      const docs = await find({ conversationId, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(limit)
        .lean<MessageDoc[]>()
        .exec();
      return docs.map(toMessage);
    },

    async listByCustomer(customerId, page) {
      const limit = pageLimit(page);
      const docs = await find(and({ customerId }, afterTime('createdAt', page?.cursor, -1)))
        .sort({ createdAt: -1, _id: -1 })
        .limit(limit + 1)
        .lean<MessageDoc[]>()
        .exec();
      return toPage(docs.map(toMessage), limit, (x) => [x.createdAt.getTime(), x.id]);
    },

    /**
     * A revisioned write, like `claimDelivery`: on FerretDB a plain update rewrites the whole
     * document and could undo a concurrent claim.
     */
    async setDelivery(id, delivery) {
      const fields = deliveryFields(delivery);
      return revs.mutate(m.messages, 'message', String(id), (cur) => {
        const next = clean({ ...withoutDelivery(cur), ...fields, deliveryUpdatedAt: new Date() });
        return { next, result: toMessage({ ...next, rev: cur.rev }) };
      });
    },

    /**
     * Compare-and-set through revisions.ts (a lock per document revision, then a write
     * filtered on that revision): FerretDB runs even `updateOne({ _id, status }, ...)` as
     * "read, then write back by _id", so a condition in the filter with `modifiedCount` gave
     * several winners there (measured: up to 10 of 20 concurrent calls); MongoDB is atomic either way.
     */
    async claimDelivery(id, claim) {
      if (typeof claim.owner !== 'string' || claim.owner === '') throw new ShopError('bad_request', 'owner must be a non-empty string');
      const until = validDate('until', claim.until);
      const now = claim.now === undefined ? new Date() : validDate('now', claim.now);
      const expect = claim.expect === undefined ? 'pending' : claim.expect === null ? null : deliveryStatus(claim.expect);
      return revs.mutate(m.messages, 'message', String(id), (cur) => {
        const status = cur.deliveryStatus ?? null;
        if (status !== expect) return { result: null };
        const held = cur.deliveryOwner && cur.deliveryLeaseUntil && cur.deliveryOwner !== claim.owner && cur.deliveryLeaseUntil.getTime() > now.getTime();
        if (expect === 'pending' && held) return { result: null };
        const next = clean({
          ...cur,
          deliveryStatus: 'pending' as const,
          deliveryAttempts: cur.deliveryAttempts ?? 0,
          deliveryUpdatedAt: new Date(),
          deliveryOwner: claim.owner,
          deliveryLeaseUntil: until,
        });
        return { next, result: toMessage({ ...next, rev: cur.rev }) };
      });
    },

    async listByDelivery(status, page) {
      const limit = pageLimit(page);
      const docs = await find(and({ deliveryStatus: deliveryStatus(status) }, afterTime('createdAt', page?.cursor, 1)))
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit + 1)
        .lean<MessageDoc[]>()
        .exec();
      return toPage(docs.map(toMessage), limit, (x) => [x.createdAt.getTime(), x.id]);
    },

    async listByTime(range, page) {
      const limit = pageLimit(page);
      const docs = await find(and(inRange('createdAt', range), afterTime('createdAt', page?.cursor, 1)))
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit + 1)
        .lean<MessageDoc[]>()
        .exec();
      return toPage(docs.map(toMessage), limit, (x) => [x.createdAt.getTime(), x.id]);
    },
  });
}
