import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { ChannelId, Customer, CustomerRepository, NewCustomer } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { CustomerDoc, IdentityDoc } from './models.js';
import { afterId, clean, opt, type Ctx } from './query.js';

export function toCustomer(d: CustomerDoc, identities: IdentityDoc[]): Customer {
  return clean({
    id: d._id,
    displayName: d.displayName,
    email: opt(d.email),
    phone: opt(d.phone),
    locale: d.locale,
    vip: d.vip,
    tags: d.tags ?? [],
    identities: identities.map((i) => ({ channel: i.channel, externalId: i.externalId, linkedAt: i.linkedAt })),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

/** Customers, with their channel identities in a collection of their own (see models.ts). */
export function customerRepository({ m, revs }: Ctx): CustomerRepository {
  async function identitiesOf(customerIds: string[]): Promise<Map<string, IdentityDoc[]>> {
    const rows = await m.identities.find({ customerId: { $in: customerIds } }).sort({ _id: 1 }).lean<IdentityDoc[]>().exec();
    const byCustomer = new Map<string, IdentityDoc[]>();
    for (const row of rows) {
      const list = byCustomer.get(row.customerId) ?? [];
      list.push(row);
      byCustomer.set(row.customerId, list);
    }
    return byCustomer;
  }

  async function load(doc: CustomerDoc | null): Promise<Customer | null> {
    if (!doc) return null;
    return toCustomer(doc, (await identitiesOf([doc._id])).get(doc._id) ?? []);
  }

  async function get(id: string): Promise<Customer | null> {
    return load(await m.customers.findById(id).lean<CustomerDoc>().exec());
  }

  async function mustGet(id: string): Promise<Customer> {
    const c = await get(id);
    if (!c) throw new ShopError('not_found', `customer ${id} not found`);
    return c;
  }

  async function bumpUpdatedAt(id: string): Promise<void> {
    await revs.mutate(m.customers, 'customer', id, (cur) => ({ next: { ...cur, updatedAt: new Date() }, result: undefined }));
  }

  return guarded<CustomerRepository>({
    async create(input: NewCustomer) {
      const now = new Date();
      const id = input.id ?? newId('cus');
      const doc: CustomerDoc = clean({
        _id: id,
        displayName: input.displayName,
        email: input.email,
        emailKey: input.email?.toLowerCase(),
        phone: input.phone,
        locale: input.locale ?? 'en',
        vip: input.vip ?? false,
        tags: input.tags ?? [],
        createdAt: now,
        updatedAt: now,
        rev: 0,
      });
      const identities: IdentityDoc[] = (input.identities ?? []).map((i) => ({
        _id: newId('cid'),
        channel: i.channel,
        externalId: i.externalId,
        customerId: id,
        linkedAt: now,
      }));
      try {
        await m.customers.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `customer ${id} already exists`, { cause: err });
        throw err;
      }
      // The customer first, then its identities: a crash in between leaves a customer
      // with fewer identities, never an identity that points at nobody.
      try {
        if (identities.length > 0) await m.identities.insertMany(identities, { ordered: true });
      } catch (err) {
        await m.identities.deleteMany({ _id: { $in: identities.map((i) => i._id) } }).exec();
        await m.customers.deleteOne({ _id: id }).exec();
        if (isDuplicateKey(err)) throw new ShopError('conflict', 'one of the channel identities belongs to another customer', { cause: err });
        throw err;
      }
      return toCustomer(doc, identities);
    },

    get,

    async findByIdentity(channel: ChannelId, externalId: string) {
      const identity = await m.identities.findOne({ channel, externalId }).lean<IdentityDoc>().exec();
      return identity ? get(identity.customerId) : null;
    },

    async findByEmail(email: string) {
      const doc = await m.customers.findOne({ emailKey: email.toLowerCase() }).sort({ _id: 1 }).lean<CustomerDoc>().exec();
      return load(doc);
    },

    async linkIdentity(customerId: string, channel: ChannelId, externalId: string) {
      for (let attempt = 0; attempt < 5; attempt++) {
        await mustGet(customerId);
        const held = await m.identities.findOne({ channel, externalId }).lean<IdentityDoc>().exec();
        if (held) {
          if (held.customerId === customerId) return mustGet(customerId);
          const owner = await m.customers.exists({ _id: held.customerId }).exec();
          if (owner) throw new ShopError('conflict', `${channel} account ${externalId} belongs to another customer`);
          // Left behind by an interrupted deletion: nobody owns it, so it may be taken.
          await m.identities.deleteOne({ _id: held._id }).exec();
          continue;
        }
        try {
          await m.identities.create({ _id: newId('cid'), channel, externalId, customerId, linkedAt: new Date() });
        } catch (err) {
          if (isDuplicateKey(err)) continue; // linked concurrently: look again
          throw err;
        }
        await bumpUpdatedAt(customerId);
        return mustGet(customerId);
      }
      throw new ShopError('conflict', `${channel} account ${externalId} is being linked concurrently`);
    },

    async unlinkIdentity(customerId: string, channel: ChannelId, externalId: string) {
      await mustGet(customerId);
      const res = await m.identities.deleteOne({ customerId, channel, externalId }).exec();
      if (res.deletedCount > 0) await bumpUpdatedAt(customerId);
      return mustGet(customerId);
    },

    async update(id, patch) {
      await revs.mutate(m.customers, 'customer', id, (cur) => {
        const next: CustomerDoc = { ...cur, updatedAt: new Date() };
        if (patch.displayName !== undefined) next.displayName = patch.displayName;
        if (patch.email !== undefined) {
          next.email = patch.email;
          next.emailKey = patch.email.toLowerCase();
        }
        if (patch.phone !== undefined) next.phone = patch.phone;
        if (patch.locale !== undefined) next.locale = patch.locale;
        if (patch.vip !== undefined) next.vip = patch.vip;
        if (patch.tags !== undefined) next.tags = patch.tags;
        return { next, result: undefined };
      });
      return mustGet(id);
    },

    async list(page) {
      const limit = pageLimit(page);
      const filter = (afterId(page?.cursor, 1) ?? {}) as QueryFilter<CustomerDoc>;
      const docs = await m.customers.find(filter).sort({ _id: 1 }).limit(limit + 1).lean<CustomerDoc[]>().exec();
      const identities = await identitiesOf(docs.map((d) => d._id));
      const rows = docs.map((d) => toCustomer(d, identities.get(d._id) ?? []));
      return toPage(rows, limit, (c) => [c.id]);
    },
  });
}
