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

/** Digits a whole phone number has at least (the rest of the proof is "the last 4 to 6 digits"). */
const WHOLE_NUMBER_DIGITS = 7;

/**
 * The shopper's proof matches the phone on the order: its last 4 to 6 digits, or the whole
 * number in any common format ("+86 138 0000 0001", "13800000001", "0086-138…", a trunk 0).
 * A whole number must be the order's number, not merely end like it: country code and trunk
 * prefix aside (one of the two numbers ends with the other, 7+ digits), every digit counts.
 */
export function phoneMatches(order: Order, typed: string): boolean {
  const onOrder = order.shippingAddress.phone.replace(/\D/g, '');
  const digits = String(typed ?? '').replace(/\D/g, '');
  if (digits.length < 4 || onOrder.length < 4) return false;
  if (digits.length < WHOLE_NUMBER_DIGITS) return onOrder.endsWith(digits);
  const national = (d: string) => d.replace(/^0+/, '');
  const a = national(digits);
  const b = national(onOrder);
  const shorter = a.length <= b.length ? a : b;
  return shorter.length >= WHOLE_NUMBER_DIGITS && (a.endsWith(b) || b.endsWith(a));
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
