import { ShopError } from '../errors.js';
import { COLLECTIONS, type CollectionName, type CustomerExport } from '../types.js';
import { toConversation, type ConversationRow } from './conversations.js';
import type { SqliteCustomers } from './customers.js';
import type { Db } from './db.js';
import { toInteraction, type InteractionRow } from './interactions.js';
import { toMessage, type MessageRow } from './messages.js';
import { toOrder, type OrderRow } from './orders.js';
import { toReturn, type ReturnRow } from './returns.js';

/** SQLite table of each collection. */
export const TABLES: Record<CollectionName, string> = {
  customers: 'customers',
  conversations: 'conversations',
  messages: 'messages',
  products: 'products',
  orders: 'orders',
  returns: 'returns',
  interactions: 'interactions',
  campaigns: 'campaigns',
  agents: 'agents',
  knowledge: 'knowledge',
  botState: 'bot_state',
};

// A customer's records: their own rows, plus rows reached through their conversations
// (messages) and orders (returns), in case a row names a different customer id.
const OWN_CONVERSATIONS = 'SELECT id FROM conversations WHERE customer_id = ?';
const OWN_ORDERS = 'SELECT id FROM orders WHERE customer_id = ?';
const MESSAGES_OF = `customer_id = ? OR conversation_id IN (${OWN_CONVERSATIONS})`;
const RETURNS_OF = `customer_id = ? OR order_id IN (${OWN_ORDERS})`;

export function zeroCounts(): Record<CollectionName, number> {
  return Object.fromEntries(COLLECTIONS.map((c) => [c, 0])) as Record<CollectionName, number>;
}

/** Record count of every collection, read in one snapshot. */
export function countAll(db: Db): Record<CollectionName, number> {
  return db.snapshot(() => {
    const counts = zeroCounts();
    for (const c of COLLECTIONS) counts[c] = db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${TABLES[c]}`)!.n;
    return counts;
  });
}

/** Everything about one customer, read in one snapshot so the parts agree. */
export function exportCustomer(db: Db, customers: SqliteCustomers, customerId: string): CustomerExport {
  return db.snapshot(() => {
    const customer = customers.find(customerId);
    if (customer === null) throw new ShopError('not_found', `customer ${customerId} not found`, { details: { id: customerId } });
    const id = [customerId];
    return {
      customer,
      conversations: db.all<ConversationRow>('SELECT * FROM conversations WHERE customer_id = ? ORDER BY id', id).map(toConversation),
      messages: db
        .all<MessageRow>(`SELECT * FROM messages WHERE ${MESSAGES_OF} ORDER BY created_at, id`, [customerId, customerId])
        .map(toMessage),
      orders: db.all<OrderRow>('SELECT * FROM orders WHERE customer_id = ? ORDER BY placed_at, id', id).map(toOrder),
      returns: db.all<ReturnRow>(`SELECT * FROM returns WHERE ${RETURNS_OF} ORDER BY created_at, id`, [customerId, customerId]).map(toReturn),
      interactions: db
        .all<InteractionRow>('SELECT * FROM interactions WHERE customer_id = ? ORDER BY created_at, id', id)
        .map(toInteraction),
    };
  });
}

/**
 * Erases a customer in one transaction. An unknown customer is not an error: erasure is
 * retried after failures, and leftover rows naming the id are still removed. Bot state
 * keys are matched by substring (botbuilder keys embed channel, conversation and user ids);
 * the identifiers are collected before anything is deleted.
 */
export function eraseCustomer(db: Db, customerId: string): Record<CollectionName, number> {
  return db.write(() => {
    const counts = zeroCounts();
    const needles = new Set<string>([customerId]);
    for (const r of db.all<{ id: string }>(OWN_CONVERSATIONS, [customerId])) needles.add(r.id);
    for (const r of db.all<{ external_id: string }>('SELECT external_id FROM customer_identities WHERE customer_id = ?', [customerId])) {
      needles.add(r.external_id);
    }
    needles.delete('');

    const stateKeys = new Set<string>();
    for (const needle of needles) {
      for (const r of db.all<{ key: string }>('SELECT key FROM bot_state WHERE instr(key, ?) > 0', [needle])) stateKeys.add(r.key);
    }
    for (const key of stateKeys) counts.botState += db.run('DELETE FROM bot_state WHERE key = ?', [key]).changes;

    counts.messages = db.run(`DELETE FROM messages WHERE ${MESSAGES_OF}`, [customerId, customerId]).changes;
    counts.returns = db.run(`DELETE FROM returns WHERE ${RETURNS_OF}`, [customerId, customerId]).changes;
    counts.conversations = db.run('DELETE FROM conversations WHERE customer_id = ?', [customerId]).changes;
    counts.orders = db.run('DELETE FROM orders WHERE customer_id = ?', [customerId]).changes;
    counts.interactions = db.run('DELETE FROM interactions WHERE customer_id = ?', [customerId]).changes;
    // Identities go with the customer (ON DELETE CASCADE); deleted explicitly as well so
    // erasure does not depend on the foreign_keys pragma.
    db.run('DELETE FROM customer_identities WHERE customer_id = ?', [customerId]);
    counts.customers = db.run('DELETE FROM customers WHERE id = ?', [customerId]).changes;
    return counts;
  });
}
