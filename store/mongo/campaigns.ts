import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { Campaign, CampaignRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { CampaignDoc } from './models.js';
import { afterId, and, clean, given, opt, type Ctx, type Filter } from './query.js';

export function toCampaign(d: CampaignDoc): Campaign {
  return clean({
    id: d._id,
    name: d.name,
    productId: d.productId,
    bid: d.bid,
    dailyBudget: d.dailyBudget,
    status: d.status,
    startsAt: d.startsAt,
    endsAt: opt(d.endsAt),
    targeting: {
      categories: d.targeting?.categories ?? [],
      intents: d.targeting?.intents ?? [],
      keywords: d.targeting?.keywords ?? [],
    },
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

function targetingOf(t: Campaign['targeting']): CampaignDoc['targeting'] {
  return { categories: t.categories ?? [], intents: t.intents ?? [], keywords: t.keywords ?? [] };
}

/** Sponsored-product campaigns. */
export function campaignRepository({ m, revs }: Ctx): CampaignRepository {
  const find = (filter: Filter) => m.campaigns.find(filter as QueryFilter<CampaignDoc>);

  return guarded<CampaignRepository>({
    async create(input) {
      const now = new Date();
      const doc: CampaignDoc = clean({
        _id: input.id ?? newId('cmp'),
        name: input.name,
        productId: input.productId,
        bid: input.bid,
        dailyBudget: input.dailyBudget,
        status: input.status,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        targeting: targetingOf(input.targeting),
        createdAt: now,
        updatedAt: now,
        rev: 0,
      });
      try {
        await m.campaigns.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `campaign ${doc._id} already exists`, { cause: err });
        throw err;
      }
      return toCampaign(doc);
    },

    async get(id) {
      const d = await m.campaigns.findById(id).lean<CampaignDoc>().exec();
      return d ? toCampaign(d) : null;
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const at = filter?.activeAt;
      const active: Filter | undefined =
        at === undefined
          ? undefined
          : { status: 'active', startsAt: { $lte: at }, $or: [{ endsAt: { $exists: false } }, { endsAt: null }, { endsAt: { $gt: at } }] };
      const docs = await find(and(filter?.status !== undefined ? { status: filter.status } : undefined, active, afterId(page?.cursor, 1)))
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<CampaignDoc[]>()
        .exec();
      return toPage(docs.map(toCampaign), limit, (c) => [c.id]);
    },

    update(id, patch) {
      return revs.mutate(m.campaigns, 'campaign', id, (cur) => {
        const next: CampaignDoc = {
          ...cur,
          ...given({
            name: patch.name,
            productId: patch.productId,
            bid: patch.bid,
            dailyBudget: patch.dailyBudget,
            status: patch.status,
            startsAt: patch.startsAt,
            endsAt: patch.endsAt,
            targeting: patch.targeting && targetingOf(patch.targeting),
          }),
          updatedAt: new Date(),
        };
        return { next, result: toCampaign(next) };
      });
    },

    async delete(id) {
      return (await m.campaigns.deleteOne({ _id: id }).exec()).deletedCount > 0;
    },
  });
}
