import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { Address, Order, OrderRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { OrderDoc } from './models.js';
import { afterTime, and, clean, inRange, opt, type Ctx, type Filter } from './query.js';

function toAddress(a: OrderDoc['shippingAddress']): Address {
  return clean({
    name: a.name,
    phone: a.phone,
    line1: a.line1,
    city: a.city,
    region: opt(a.region),
    postalCode: opt(a.postalCode),
    country: a.country,
  });
}

export function toOrder(d: OrderDoc): Order {
  return clean({
    id: d._id,
    number: d.number,
    customerId: d.customerId,
    status: d.status,
    items: (d.items ?? []).map((i) => ({ productId: i.productId, title: i.title, quantity: i.quantity, unitPrice: i.unitPrice })),
    total: d.total,
    currency: d.currency,
    shippingAddress: toAddress(d.shippingAddress),
    carrier: opt(d.carrier),
    trackingNumber: opt(d.trackingNumber),
    placedAt: d.placedAt,
    paidAt: opt(d.paidAt),
    shippedAt: opt(d.shippedAt),
    deliveredAt: opt(d.deliveredAt),
    cancelledAt: opt(d.cancelledAt),
    updatedAt: d.updatedAt,
  });
}

/** Orders; status changes are revisioned writes, so `expected` is checked race-free. */
export function orderRepository({ m, revs }: Ctx): OrderRepository {
  const find = (filter: Filter) => m.orders.find(filter as QueryFilter<OrderDoc>);

  return guarded<OrderRepository>({
    async create(input) {
      const doc: OrderDoc = clean({
        _id: input.id ?? newId('ord'),
        number: input.number,
        customerId: input.customerId,
        status: input.status,
        items: input.items.map((i) => ({ productId: i.productId, title: i.title, quantity: i.quantity, unitPrice: i.unitPrice })),
        total: input.total,
        currency: input.currency,
        shippingAddress: clean({ ...input.shippingAddress }),
        carrier: input.carrier,
        trackingNumber: input.trackingNumber,
        placedAt: input.placedAt,
        paidAt: input.paidAt,
        shippedAt: input.shippedAt,
        deliveredAt: input.deliveredAt,
        cancelledAt: input.cancelledAt,
        updatedAt: new Date(),
        rev: 0,
      });
      try {
        await m.orders.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `order ${doc._id} or number ${doc.number} already exists`, { cause: err });
        throw err;
      }
      return toOrder(doc);
    },

    async get(id) {
      const d = await m.orders.findById(id).lean<OrderDoc>().exec();
      return d ? toOrder(d) : null;
    },

    async getByNumber(number) {
      const d = await m.orders.findOne({ number }).lean<OrderDoc>().exec();
      return d ? toOrder(d) : null;
    },

    async listByCustomer(customerId, page) {
      const limit = pageLimit(page);
      const docs = await find(and({ customerId }, afterTime('placedAt', page?.cursor, -1)))
        .sort({ placedAt: -1, _id: -1 })
        .limit(limit + 1)
        .lean<OrderDoc[]>()
        .exec();
      return toPage(docs.map(toOrder), limit, (o) => [o.placedAt.getTime(), o.id]);
    },

    async listByTime(range, page) {
      const limit = pageLimit(page);
      const docs = await find(and(inRange('placedAt', range), afterTime('placedAt', page?.cursor, 1)))
        .sort({ placedAt: 1, _id: 1 })
        .limit(limit + 1)
        .lean<OrderDoc[]>()
        .exec();
      return toPage(docs.map(toOrder), limit, (o) => [o.placedAt.getTime(), o.id]);
    },

    updateStatus(id, status, opts) {
      return revs.mutate(m.orders, 'order', id, (cur) => {
        if (opts?.expected && !opts.expected.includes(cur.status)) {
          throw new ShopError('conflict', `order ${id} is ${cur.status}, expected ${opts.expected.join(' or ')}`, {
            details: { status: cur.status, expected: opts.expected },
          });
        }
        const p = opts?.patch ?? {};
        const patch: Partial<OrderDoc> = clean({
          carrier: p.carrier,
          trackingNumber: p.trackingNumber,
          paidAt: p.paidAt,
          shippedAt: p.shippedAt,
          deliveredAt: p.deliveredAt,
          cancelledAt: p.cancelledAt,
          shippingAddress: p.shippingAddress && clean({ ...p.shippingAddress }),
        });
        const next: OrderDoc = { ...cur, ...patch, status, updatedAt: new Date() };
        return { next, result: toOrder(next) };
      });
    },
  });
}
