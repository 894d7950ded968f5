import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { Campaign, CampaignRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { CampaignDoc, CampaignSpendDoc } from './models.js';
import { afterId, and, clean, given, opt, type Ctx, type Filter } from './query.js';
import { cents, day } from '../spend.js';

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


const spendId = (campaignId: string, dayKey: string): string => `${campaignId}:${dayKey}`;

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
      const deleted = (await m.campaigns.deleteOne({ _id: id }).exec()).deletedCount > 0;
      // After the campaign, so a charge racing the delete cannot leave a row behind for long:
      // charge checks that the campaign exists before it writes.
      await m.campaignSpend.deleteMany({ campaignId: id }).exec();
      return deleted;
    },

    /**
     * The day's spend document is created empty (a unique _id makes concurrent creates
     * safe), then changed through a revisioned write: FerretDB v1 runs `$inc` and
     * conditional updates as read-then-write, so neither is atomic there.
     */
    async charge(id, dayKey, amount) {
      if (typeof id !== 'string' || id === '') throw new ShopError('bad_request', 'campaign id is required');
      day('day', dayKey);
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        throw new ShopError('bad_request', `amount must be a number >= 0, got ${String(amount)}`, { details: { field: 'amount' } });
      }
      const wanted = cents(amount);
      const campaign = await m.campaigns.findById(id).lean<CampaignDoc>().exec();
      if (!campaign) throw new ShopError('not_found', `campaign ${id} not found`, { details: { id } });
      const budget = cents(campaign.dailyBudget);
      const _id = spendId(id, dayKey);
      if (!(await m.campaignSpend.exists({ _id }).exec())) {
        try {
          await m.campaignSpend.create({ _id, campaignId: id, day: dayKey, spentCents: 0, clicks: 0, rev: 0 });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err; // created meanwhile by a concurrent charge
        }
      }
      return revs.mutate(m.campaignSpend, 'campaign spend', _id, (cur) => {
        const charged = Math.max(0, Math.min(wanted, budget - cur.spentCents));
        const spent = { charged: charged / 100, spent: (cur.spentCents + charged) / 100 };
        if (charged === 0) return { result: spent };
        const next: Omit<CampaignSpendDoc, 'rev'> = { ...cur, spentCents: cur.spentCents + charged, clicks: cur.clicks + 1 };
        return { next, result: spent };
      });
    },

    async spend(id, dayKey) {
      day('day', dayKey);
      const d = await m.campaignSpend.findById(spendId(id, dayKey)).lean<CampaignSpendDoc>().exec();
      return (d?.spentCents ?? 0) / 100;
    },

    async spendByDay(range) {
      const from = day('from', range?.from);
      const to = day('to', range?.to);
      const docs = await m.campaignSpend
        .find({ day: { $gte: from, $lte: to } })
        .sort({ day: 1, campaignId: 1 })
        .lean<CampaignSpendDoc[]>()
        .exec();
      return docs.map((d) => ({ campaignId: d.campaignId, day: d.day, spent: d.spentCents / 100, clicks: d.clicks }));
    },
  });
}
