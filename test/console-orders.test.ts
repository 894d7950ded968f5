import { describe, expect, it } from 'vitest';
import { ordersPanel, provenOrderNumbers } from '../app/console/orders.js';
import { rememberVerified } from '../skills/orders/access.js';
import type { CustomerMemory, Understanding } from '../skills/index.js';
import type { Message, Order } from '../store/index.js';

/**
 * The console's Orders panel (issue 15): the customer's own orders and the orders the shopper
 * proved in THIS conversation, marked; never another order. And where a proof is recorded:
 * on the understanding of the message that gave it (the bot stores it on that message).
 */

let seq = 0;
function msg(extra: Partial<Message>): Message {
  seq++;
  return { id: `msg_${seq}`, conversationId: 'conv_a', customerId: 'cus_anon', seq, direction: 'in', sender: 'customer', channel: 'web', text: '0007', createdAt: new Date(1_700_000_000_000 + seq), ...extra };
}
const proof = (number: unknown) => ({ type: 'order_proof', value: number, text: '', start: 0, end: 0 });

function order(number: string, customerId: string, placedAt = new Date('2025-04-01T00:00:00Z')): Order {
  return {
    id: `ord_${number}`,
    number,
    customerId,
    status: 'delivered',
    items: [{ productId: 'P-TEE-001', title: 'Tidewear Crew Neck T-Shirt', quantity: 2, unitPrice: 99 }],
    total: 198,
    currency: 'CNY',
    shippingAddress: { name: 'Li Lei', phone: '+86 138 0000 0007', line1: '1 Road', city: 'Hangzhou', country: 'CN' },
    placedAt,
    deliveredAt: new Date('2025-04-03T00:00:00Z'),
    updatedAt: placedAt,
  };
}

describe('orders proven in a conversation', () => {
  it('only proofs on the shopper’s own messages of this conversation count, newest first, each once', () => {
    const messages = [
      msg({ entities: [proof('SA100001')] }),
      msg({ entities: [proof('SA100002')], conversationId: 'conv_b' }), // another conversation of the same visitor
      msg({ entities: [proof('SA100003')], direction: 'out', sender: 'bot' }), // not the shopper's message
      msg({ entities: [{ type: 'order_number', value: 'SA100004', text: 'SA100004', start: 0, end: 8 }] }), // named, not proven
      msg({ entities: [proof('sa100005'), proof('SA100001')] }),
      msg({ entities: [proof(42), proof('SA 100006; DROP'), proof(''), { type: 'order_proof' }] }), // malformed: ignored
      msg({}),
    ];
    expect(provenOrderNumbers(messages, 'conv_a')).toEqual(['SA100005', 'SA100001']);
    expect(provenOrderNumbers(messages, 'conv_b')).toEqual(['SA100002']);
    expect(provenOrderNumbers(messages, 'conv_c')).toEqual([]);
  });

  it('the panel: own orders first, then proven ones of other customers marked "proven in chat"; a duplicate once', () => {
    const own = [order('SA200001', 'cus_anon')];
    const provenOrders = [order('SA100005', 'cus_owner'), order('SA200001', 'cus_anon'), order('SA100005', 'cus_owner')];
    const panel = ordersPanel(own, provenOrders, 'cus_anon');
    expect(panel.map((o) => [o.number, o.provenInChat ?? false])).toEqual([
      ['SA200001', false],
      ['SA100005', true],
    ]);
    // What the page shows: the item names and ISO dates (the stored Order has `title` and Dates).
    expect(panel[1]).toMatchObject({ placedAt: '2025-04-01T00:00:00.000Z', deliveredAt: '2025-04-03T00:00:00.000Z', items: [{ name: 'Tidewear Crew Neck T-Shirt', quantity: 2, price: 99 }] });
    expect(panel[1]).not.toHaveProperty('shippedAt');
    expect(ordersPanel([], [], 'cus_anon')).toEqual([]);
  });

  it('a proven order that is the customer’s own (older than the owned page) is listed unmarked', () => {
    const panel = ordersPanel([], [order('SA300001', 'cus_anon')], 'cus_anon');
    expect(panel.map((o) => [o.number, o.provenInChat ?? false])).toEqual([['SA300001', false]]);
  });
});

describe('recording a proof (skills/orders/access.ts)', () => {
  it('remembers the order for the customer and adds one order_proof entity to the turn’s understanding', () => {
    const nlu: Understanding = { intent: 'none', confidence: 0.2, entities: [{ type: 'quantity', value: 7, text: '0007', start: 0, end: 4 }] };
    const turn = { memory: {} as CustomerMemory, nlu };
    rememberVerified(turn, 'SA100032');
    rememberVerified(turn, 'SA100032');
    expect(turn.memory.verifiedOrders).toEqual(['SA100032']);
    expect(turn.nlu.entities).toEqual([
      { type: 'quantity', value: 7, text: '0007', start: 0, end: 4 },
      // No span: the digits (or the whole phone number) the shopper typed are not copied into it.
      { type: 'order_proof', value: 'SA100032', text: '', start: 0, end: 0 },
    ]);
    // The understanding NLU returned is not changed in place (it may be shared, e.g. a pending clarification).
    expect(nlu.entities).toHaveLength(1);
  });
});
