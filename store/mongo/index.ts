/**
 * The store on MongoDB (4.4+) and FerretDB v1 through mongoose, on a private connection
 * so that several stores can be open in one process. No transactions and no change
 * streams (FerretDB has neither); see revisions.ts for how concurrent writes stay correct.
 */
import mongoose from 'mongoose';
import { ShopError } from '../errors.js';
import { COLLECTIONS, type CollectionName, type Store } from '../types.js';
import { agentRepository } from './agents.js';
import { auditRepository } from './audit.js';
import { botStateStorage } from './bot-state.js';
import { campaignRepository } from './campaigns.js';
import { conversationRepository } from './conversations.js';
import { customerRepository } from './customers.js';
import { interactionRepository } from './interactions.js';
import { ensureKnowledgeVersion, knowledgeRepository } from './knowledge.js';
import { mergeCustomers } from './merge.js';
import { messageRepository } from './messages.js';
import { createModels, type Models } from './models.js';
import { messageOf, redactUri, toShopError } from './mongo-errors.js';
import { orderRepository } from './orders.js';
import { deleteCustomerData, exportCustomerData } from './privacy.js';
import { productRepository } from './products.js';
import type { Ctx } from './query.js';
import { returnRepository } from './returns.js';
import { Revisions } from './revisions.js';

interface MongoStoreOptions {
  uri: string;
  /** How long to look for a server before failing; default 5000 ms. */
  serverSelectionTimeoutMS?: number;
  /**
   * How long one operation may wait on its socket before it fails (default 30000 ms; the
   * driver's own default is none, so a hung server held every running turn for a minute).
   * A `socketTimeoutMS` in the URI wins.
   */
  socketTimeoutMS?: number;
}

/** The record count behind each collection name of the ports. */
function countOf(m: Models, name: CollectionName): Promise<number> {
  switch (name) {
    case 'customers':
      return m.customers.countDocuments({}).exec();
    case 'conversations':
      return m.conversations.countDocuments({}).exec();
    case 'messages':
      return m.messages.countDocuments({}).exec();
    case 'products':
      return m.products.countDocuments({}).exec();
    case 'orders':
      return m.orders.countDocuments({}).exec();
    case 'returns':
      return m.returns.countDocuments({}).exec();
    case 'interactions':
      return m.interactions.countDocuments({}).exec();
    case 'campaigns':
      return m.campaigns.countDocuments({}).exec();
    case 'agents':
      return m.agents.countDocuments({}).exec();
    case 'knowledge':
      return m.knowledge.countDocuments({}).exec();
    case 'botState':
      return m.botState.countDocuments({}).exec();
  }
}

/**
 * Connects, builds every index and returns the store. Fails fast with `unavailable` when
 * no server answers within `serverSelectionTimeoutMS`.
 */
export async function openMongoStore(opts: MongoStoreOptions): Promise<Store> {
  const where = redactUri(opts.uri);
  let conn: mongoose.Connection;
  try {
    conn = mongoose.createConnection(opts.uri, {
      serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000,
      ...(/[?&]socketTimeoutMS=/i.test(opts.uri) ? {} : { socketTimeoutMS: opts.socketTimeoutMS ?? 30_000 }),
      ...(/[?&]connectTimeoutMS=/i.test(opts.uri) ? {} : { connectTimeoutMS: 5000 }),
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
    });
  } catch (err) {
    throw new ShopError('config_invalid', `invalid MongoDB URI ${where}: ${messageOf(err)}`, { cause: err });
  }
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    // mongodb-connection-string-url throws its own MongoParseError class, so go by name.
    if (err instanceof mongoose.mongo.MongoParseError || (err instanceof Error && err.name === 'MongoParseError')) {
      throw new ShopError('config_invalid', `invalid MongoDB URI ${where}: ${messageOf(err)}`, { cause: err });
    }
    throw new ShopError('unavailable', `cannot reach MongoDB at ${where}: ${messageOf(err)}`, { cause: err });
  }

  const m = createModels(conn);
  const revs = new Revisions(m.locks);
  const ctx: Ctx = { m, revs };
  try {
    // Sequentially: FerretDB (SQLite) serialises schema changes anyway.
    for (const model of Object.values(m)) await model.createIndexes();
    await ensureKnowledgeVersion(ctx);
    await revs.sweep();
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    throw toShopError(err);
  }

  let closed: Promise<void> | undefined;
  return {
    kind: 'mongo',
    customers: customerRepository(ctx),
    conversations: conversationRepository(ctx),
    messages: messageRepository(ctx),
    products: productRepository(ctx),
    orders: orderRepository(ctx),
    returns: returnRepository(ctx),
    interactions: interactionRepository(ctx),
    campaigns: campaignRepository(ctx),
    agents: agentRepository(ctx),
    knowledge: knowledgeRepository(ctx),
    audit: auditRepository(ctx),
    botState: botStateStorage(ctx),

    async ping() {
      try {
        const db = conn.db;
        if (!db || closed) throw new Error('the store is closed');
        await db.admin().command({ ping: 1 });
      } catch (err) {
        throw new ShopError('unavailable', `MongoDB at ${where} does not answer: ${messageOf(err)}`, { cause: err });
      }
    },

    async counts() {
      try {
        const entries = await Promise.all(
          COLLECTIONS.map(async (name) => [name, await countOf(m, name)] as const),
        );
        return Object.fromEntries(entries) as Record<CollectionName, number>;
      } catch (err) {
        throw toShopError(err);
      }
    },

    async exportCustomerData(customerId) {
      try {
        return await exportCustomerData(ctx, customerId);
      } catch (err) {
        throw toShopError(err);
      }
    },

    async deleteCustomerData(customerId) {
      try {
        return await deleteCustomerData(ctx, customerId);
      } catch (err) {
        throw toShopError(err);
      }
    },

    async mergeCustomers(sourceId, targetId) {
      try {
        return await mergeCustomers(ctx, sourceId, targetId);
      } catch (err) {
        throw toShopError(err);
      }
    },

    close() {
      closed ??= conn.close();
      return closed;
    },
  };
}
