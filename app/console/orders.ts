import type { Message, Order } from '../../store/index.js';
import { ORDER_PROOF } from './entities.js';

/**
 * The console's Orders panel: the customer's own orders, and the orders the shopper proved in
 * this conversation (an anonymous visitor who gave the order number and the last digits of its
 * phone; the bot records the proof as an `order_proof` entity on that message, see
 * skills/orders/access.ts). Nothing else: not an order merely named in the chat, not a proof
 * from another conversation of the same visitor.
 */

/** At most this many proven orders are listed (newest proofs first). */
export const MAX_PROVEN = 10;

const ORDER_NUMBER = /^[A-Z0-9][A-Z0-9-]{0,39}$/;

/**
 * The order numbers proven in conversation `conversationId`, newest proof first: from the
 * shopper's own messages of that conversation only (the bot writes entities; a shopper cannot).
 */
export function provenOrderNumbers(messages: readonly Message[], conversationId: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const newestFirst = [...messages].sort((a, b) => b.seq - a.seq);
  for (const m of newestFirst) {
    if (m.conversationId !== conversationId || m.direction !== 'in' || m.sender !== 'customer' || !Array.isArray(m.entities)) continue;
    for (const e of m.entities) {
      const number = e?.['type'] === ORDER_PROOF && typeof e['value'] === 'string' ? e['value'].trim().toUpperCase() : '';
      if (!ORDER_NUMBER.test(number) || seen.has(number)) continue;
      seen.add(number);
      out.push(number);
    }
  }
  return out.slice(0, MAX_PROVEN);
}

/** An order as the console shows it: the stored fields (dates as ISO strings), items with `name` and `price`. */
export type ConsoleOrder = Omit<Order, 'placedAt' | 'paidAt' | 'shippedAt' | 'deliveredAt' | 'cancelledAt' | 'updatedAt' | 'items'> & {
  placedAt: string;
  paidAt?: string;
  shippedAt?: string;
  deliveredAt?: string;
  cancelledAt?: string;
  updatedAt: string;
  items: Array<Order['items'][number] & { name: string; price: number }>;
  /** Not the customer's order: the shopper proved it in this conversation (phone digits on it). */
  provenInChat?: true;
};

export function consoleOrder(o: Order, provenInChat = false): ConsoleOrder {
  const iso = (d: Date | undefined) => d?.toISOString();
  const out: ConsoleOrder = {
    ...o,
    placedAt: o.placedAt.toISOString(),
    paidAt: iso(o.paidAt),
    shippedAt: iso(o.shippedAt),
    deliveredAt: iso(o.deliveredAt),
    cancelledAt: iso(o.cancelledAt),
    updatedAt: o.updatedAt.toISOString(),
    items: o.items.map((i) => ({ ...i, name: i.title, price: i.unitPrice })),
  };
  for (const k of ['paidAt', 'shippedAt', 'deliveredAt', 'cancelledAt'] as const) if (out[k] === undefined) delete out[k];
  if (provenInChat) out.provenInChat = true;
  return out;
}

/**
 * The panel's list: the customer's own orders (as the store lists them, newest first), then
 * the orders proven in this conversation that are not among them, marked `provenInChat`
 * when they are another customer's (the usual case: an anonymous visitor's proof).
 * `proven` must be the orders of `provenOrderNumbers` (looked up by number).
 */
export function ordersPanel(owned: readonly Order[], proven: readonly Order[], customerId: string): ConsoleOrder[] {
  const ownNumbers = new Set(owned.map((o) => o.number));
  const extra = proven.filter((o) => !ownNumbers.has(o.number));
  const unique = [...new Map(extra.map((o) => [o.number, o])).values()];
  // (A proven order of the customer's own, older than the owned page, is theirs: listed unmarked.)
  return [...owned.map((o) => consoleOrder(o)), ...unique.map((o) => consoleOrder(o, o.customerId !== customerId))];
}
