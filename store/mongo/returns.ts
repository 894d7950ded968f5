import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { ReturnRepository, ReturnRequest } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { ReturnDoc } from './models.js';
import { afterId, and, clean, opt, type Ctx, type Filter } from './query.js';

export function toReturn(d: ReturnDoc): ReturnRequest {
  return clean({
    id: d._id,
    orderId: d.orderId,
    customerId: d.customerId,
    items: (d.items ?? []).map((i) => ({ productId: i.productId, quantity: i.quantity })),
    reason: d.reason,
    status: d.status,
    refundAmount: opt(d.refundAmount),
    rmaCode: d.rmaCode,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

/** Return requests (RMAs); status changes are revisioned writes. */
export function returnRepository({ m, revs }: Ctx): ReturnRepository {
  const find = (filter: Filter) => m.returns.find(filter as QueryFilter<ReturnDoc>);

  return guarded<ReturnRepository>({
    async create(input) {
      if (!(await m.orders.exists({ _id: input.orderId }).exec())) throw new ShopError('not_found', `order ${input.orderId} not found`);
      const now = new Date();
      const doc: ReturnDoc = clean({
        _id: input.id ?? newId('ret'),
        orderId: input.orderId,
        customerId: input.customerId,
        items: input.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
        reason: input.reason,
        status: 'requested' as const,
        refundAmount: input.refundAmount,
        rmaCode: input.rmaCode,
        createdAt: now,
        updatedAt: now,
        rev: 0,
      });
      try {
        await m.returns.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `return ${doc._id} or RMA code ${doc.rmaCode} already exists`, { cause: err });
        throw err;
      }
      return toReturn(doc);
    },

    async get(id) {
      const d = await m.returns.findById(id).lean<ReturnDoc>().exec();
      return d ? toReturn(d) : null;
    },

    async listByOrder(orderId) {
      const docs = await find({ orderId }).sort({ createdAt: 1, _id: 1 }).lean<ReturnDoc[]>().exec();
      return docs.map(toReturn);
    },

    async listByCustomer(customerId, page) {
      const limit = pageLimit(page);
      const docs = await find(and({ customerId }, afterId(page?.cursor, -1)))
        .sort({ _id: -1 })
        .limit(limit + 1)
        .lean<ReturnDoc[]>()
        .exec();
      return toPage(docs.map(toReturn), limit, (r) => [r.id]);
    },

    updateStatus(id, status, opts) {
      return revs.mutate(m.returns, 'return', id, (cur) => {
        if (opts?.expected && !opts.expected.includes(cur.status)) {
          throw new ShopError('conflict', `return ${id} is ${cur.status}, expected ${opts.expected.join(' or ')}`, {
            details: { status: cur.status, expected: opts.expected },
          });
        }
        const next: ReturnDoc = { ...cur, status, updatedAt: new Date() };
        if (opts?.refundAmount !== undefined) next.refundAmount = opts.refundAmount;
        return { next, result: toReturn(next) };
      });
    },
  });
}
