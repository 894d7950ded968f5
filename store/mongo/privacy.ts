import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { COLLECTIONS, type CollectionName, type CustomerExport } from '../types.js';
import { toConversation } from './conversations.js';
import { toCustomer } from './customers.js';
import { toInteraction } from './interactions.js';
import { toMessage } from './messages.js';
import type { BotStateDoc, ConversationDoc, CustomerDoc, IdentityDoc, InteractionDoc, MessageDoc, OrderDoc, ReturnDoc } from './models.js';
import { toOrder } from './orders.js';
import type { Ctx } from './query.js';
import { toReturn } from './returns.js';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Few enough alternatives per regex that the pattern stays small. */
const REGEX_CHUNK = 100;

async function related({ m }: Pick<Ctx, 'm'>, customerId: string) {
  const [conversations, identities, orders] = await Promise.all([
    m.conversations.find({ customerId }).sort({ _id: 1 }).lean<ConversationDoc[]>().exec(),
    m.identities.find({ customerId }).sort({ _id: 1 }).lean<IdentityDoc[]>().exec(),
    m.orders.find({ customerId }).sort({ placedAt: 1, _id: 1 }).lean<OrderDoc[]>().exec(),
  ]);
  return { conversations, identities, orders };
}

/** Everything stored about one customer (privacy export). */
export async function exportCustomerData(ctx: Ctx, customerId: string): Promise<CustomerExport> {
  const { m } = ctx;
  const customer = await m.customers.findById(customerId).lean<CustomerDoc>().exec();
  if (!customer) throw new ShopError('not_found', `customer ${customerId} not found`);
  const { conversations, identities, orders } = await related(ctx, customerId);
  const conversationIds = conversations.map((c) => c._id);
  const [messages, returns, interactions] = await Promise.all([
    m.messages
      .find({ $or: [{ customerId }, { conversationId: { $in: conversationIds } }] } as QueryFilter<MessageDoc>)
      .sort({ createdAt: 1, _id: 1 })
      .lean<MessageDoc[]>()
      .exec(),
    m.returns
      .find({ $or: [{ customerId }, { orderId: { $in: orders.map((o) => o._id) } }] } as QueryFilter<ReturnDoc>)
      .sort({ createdAt: 1, _id: 1 })
      .lean<ReturnDoc[]>()
      .exec(),
    m.interactions.find({ customerId }).sort({ createdAt: 1, _id: 1 }).lean<InteractionDoc[]>().exec(),
  ]);
  return {
    customer: toCustomer(customer, identities),
    conversations: conversations.map(toConversation),
    messages: messages.map(toMessage),
    orders: orders.map(toOrder),
    returns: returns.map(toReturn),
    interactions: interactions.map(toInteraction),
  };
}

/**
 * Deletes a customer and what belongs to them, one collection at a time (no transactions
 * on FerretDB). The order makes it safe to run again after a crash midway: what the later
 * steps find their records by (conversations, identities, orders, the customer) goes last,
 * so a second run finds and deletes whatever the first left.
 */
export async function deleteCustomerData(ctx: Ctx, customerId: string): Promise<Record<CollectionName, number>> {
  const { m } = ctx;
  const counts = Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>;
  const { conversations, identities, orders } = await related(ctx, customerId);
  const conversationIds = conversations.map((c) => c._id);
  const orderIds = orders.map((o) => o._id);

  // Bot state keys that contain the customer's id, a conversation id or a channel account id.
  const terms = [...new Set([customerId, ...conversationIds, ...identities.map((i) => i.externalId)])].filter((t) => t !== '');
  for (let i = 0; i < terms.length; i += REGEX_CHUNK) {
    const pattern = terms.slice(i, i + REGEX_CHUNK).map(escapeRegex).join('|');
    const res = await m.botState.deleteMany({ _id: { $regex: pattern } } as QueryFilter<BotStateDoc>).exec();
    counts.botState += res.deletedCount;
  }
  counts.messages = (
    await m.messages.deleteMany({ $or: [{ customerId }, { conversationId: { $in: conversationIds } }] } as QueryFilter<MessageDoc>).exec()
  ).deletedCount;
  counts.returns = (
    await m.returns.deleteMany({ $or: [{ customerId }, { orderId: { $in: orderIds } }] } as QueryFilter<ReturnDoc>).exec()
  ).deletedCount;
  counts.interactions = (await m.interactions.deleteMany({ customerId }).exec()).deletedCount;
  counts.orders = (await m.orders.deleteMany({ customerId }).exec()).deletedCount;
  counts.conversations = (await m.conversations.deleteMany({ customerId }).exec()).deletedCount;
  await m.identities.deleteMany({ customerId }).exec();
  counts.customers = (await m.customers.deleteOne({ _id: customerId }).exec()).deletedCount;
  // Nothing found is not an error: an interrupted or repeated erase just runs again.
  return counts;
}
