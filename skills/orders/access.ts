import type { Customer, Order, Store } from '../../store/index.js';
import type { CustomerMemory, Turn } from '../types.js';

export type OrderStore = Pick<Store, 'orders' | 'returns' | 'products'>;

/** A shopper the shop has identified (signed widget identity, WeChat/app account of a known customer, a link). */
export function isVerified(customer: Customer): boolean {
  return !customer.tags.includes('anonymous');
}

export type OrderAccess =
  | { kind: 'ok'; order: Order }
  /** An unverified shopper: they may prove ownership with the phone number on the order. */
  | { kind: 'verify'; order: Order }
  /** Unknown, or another customer's order: the same answer, so order numbers can't be probed. */
  | { kind: 'not_found' };

/**
 * Only the customer's own orders. A verified customer sees the orders on their account;
 * an anonymous shopper sees an order after proving the phone number on it (remembered for them).
 */
export async function accessOrder(store: OrderStore, customer: Customer, memory: CustomerMemory, number: string): Promise<OrderAccess> {
  const order = await store.orders.getByNumber(number.toUpperCase());
  if (!order) return { kind: 'not_found' };
  if (order.customerId === customer.id || memory.verifiedOrders?.includes(order.number)) return { kind: 'ok', order };
  return isVerified(customer) ? { kind: 'not_found' } : { kind: 'verify', order };
}

/** The last `length` digits of the phone on the order match what the shopper typed. */
export function phoneMatches(order: Order, digits: string): boolean {
  const onOrder = order.shippingAddress.phone.replace(/\D/g, '');
  return digits.length >= 4 && onOrder.endsWith(digits);
}

/**
 * Records a proof (the phone digits on `number` matched) twice: in the customer's memory, so
 * the bot shows the order again without asking; and as an `order_proof` entity on this turn's
 * understanding, which the bot stores on the shopper's message. That stored message is the
 * conversation's durable record: the agent console lists the order as "proven in chat" for
 * this conversation only (app/console/orders.ts), on every store, with no field of its own.
 */
export function rememberVerified(turn: Pick<Turn, 'memory' | 'nlu'>, number: string): void {
  const list = turn.memory.verifiedOrders ?? [];
  if (!list.includes(number)) turn.memory.verifiedOrders = [...list, number].slice(-20);
  if (turn.nlu.entities.some((e) => e.type === 'order_proof' && e.value === number)) return;
  // No span: the proof is the whole message (phone digits, perhaps the whole number), which is
  // not copied into the entity (a redacted transcript must not keep it here).
  const proof = { type: 'order_proof' as const, value: number, text: '', start: 0, end: 0 };
  turn.nlu = { ...turn.nlu, entities: [...turn.nlu.entities, proof] };
}

export type OrderPurpose = 'track' | 'cancel' | 'change_address' | 'change_order' | 'return' | 'refund_status';

/** Which of a customer's orders a purpose can apply to, newest first. */
export function candidates(orders: Order[], purpose: OrderPurpose): Order[] {
  switch (purpose) {
    case 'cancel':
    case 'change_address':
    case 'change_order':
      return orders.filter((o) => o.status === 'pending' || o.status === 'paid');
    case 'return':
      return orders.filter((o) => o.status === 'delivered');
    case 'refund_status':
      return orders.filter((o) => ['delivered', 'returned', 'refunded', 'cancelled'].includes(o.status));
    case 'track': {
      const open = orders.filter((o) => o.status === 'pending' || o.status === 'paid' || o.status === 'shipped');
      return open.length > 0 ? open : orders;
    }
  }
}
