import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { Interaction, InteractionFilter, InteractionRepository, InteractionType, NewInteraction } from '../types.js';
import { guarded } from './mongo-errors.js';
import type { InteractionDoc } from './models.js';
import { afterTime, and, clean, inRange, opt, type Ctx, type Filter } from './query.js';

export function toInteraction(d: InteractionDoc): Interaction {
  return clean({
    id: d._id,
    customerId: d.customerId,
    productId: d.productId,
    type: d.type,
    value: opt(d.value),
    source: opt(d.source),
    createdAt: d.createdAt,
  });
}

const TYPES: ReadonlySet<string> = new Set<InteractionType>(['view', 'click', 'cart', 'purchase', 'rating', 'impression']);

function toDoc(input: NewInteraction, now: Date): InteractionDoc {
  if (!TYPES.has(input.type)) throw new ShopError('bad_request', `interaction type must be one of ${[...TYPES].join(', ')}, got ${String(input.type)}`);
  if (input.type === 'rating' && (typeof input.value !== 'number' || !(input.value >= 0.5 && input.value <= 5))) {
    throw new ShopError('bad_request', `a rating needs a value from 0.5 to 5, got ${String(input.value)}`);
  }
  const createdAt = input.createdAt ?? now;
  if (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime())) throw new ShopError('bad_request', 'createdAt must be a valid Date');
  return clean({
    _id: input.id ?? newId('int'),
    customerId: input.customerId,
    productId: input.productId,
    type: input.type,
    value: input.value,
    source: input.source,
    createdAt,
  });
}

function where(filter: InteractionFilter | undefined): Filter {
  const eq: Filter = {};
  if (filter?.customerId !== undefined) eq.customerId = filter.customerId;
  if (filter?.productId !== undefined) eq.productId = filter.productId;
  if (filter?.type !== undefined) eq.type = filter.type;
  if (filter?.source !== undefined) eq.source = filter.source;
  return and(eq, inRange('createdAt', filter));
}

/** Shopper behaviour (views, clicks, purchases, ratings): the recommender's training data. */
export function interactionRepository({ m }: Pick<Ctx, 'm'>): InteractionRepository {
  const find = (filter: Filter) => m.interactions.find(filter as QueryFilter<InteractionDoc>);

  return guarded<InteractionRepository>({
    async record(input) {
      const doc = toDoc(input, new Date());
      await m.interactions.create(doc);
      return toInteraction(doc);
    },

    async recordMany(inputs) {
      if (inputs.length === 0) return 0;
      const now = new Date();
      const docs = inputs.map((i) => toDoc(i, now));
      // lean: the documents are already in their stored shape, so skip hydrating them.
      const res = await m.interactions.insertMany(docs, { ordered: true, lean: true });
      return res.length;
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const docs = await find(and(where(filter), afterTime('createdAt', page?.cursor, 1)))
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit + 1)
        .lean<InteractionDoc[]>()
        .exec();
      return toPage(docs.map(toInteraction), limit, (x) => [x.createdAt.getTime(), x.id]);
    },

    async count(filter) {
      return m.interactions.countDocuments(where(filter) as QueryFilter<InteractionDoc>).exec();
    },
  });
}
