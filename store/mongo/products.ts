import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { pageLimit, toPage } from '../paging.js';
import type { Product, ProductInput, ProductRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { ProductDoc } from './models.js';
import { afterId, and, clean, fromJson, opt, type Ctx, type Filter } from './query.js';

export function toProduct(d: ProductDoc): Product {
  return clean({
    id: d._id,
    category: d.category,
    title: { en: d.title.en, zh: d.title.zh },
    description: { en: d.description.en, zh: d.description.zh },
    price: d.price,
    currency: d.currency,
    stock: d.stock,
    attributes: fromJson<Record<string, string | string[]>>(d.attributes) ?? {},
    tags: d.tags ?? [],
    imageUrl: opt(d.imageUrl),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

function checkProduct(p: ProductInput): void {
  if (typeof p.id !== 'string' || p.id === '') throw new ShopError('bad_request', 'product id is required');
  if (!Number.isFinite(p.price) || p.price < 0) throw new ShopError('bad_request', `product ${p.id}: price must be a number >= 0`);
  if (!Number.isInteger(p.stock) || p.stock < 0) throw new ShopError('bad_request', `product ${p.id}: stock must be an integer >= 0`);
}

/** The catalog. Stock changes are revisioned writes, so concurrent orders cannot oversell. */
export function productRepository({ m, revs }: Ctx): ProductRepository {
  const find = (filter: Filter) => m.products.find(filter as QueryFilter<ProductDoc>);

  function fields(p: ProductInput): Omit<ProductDoc, 'createdAt' | 'updatedAt' | 'rev'> {
    return clean({
      _id: p.id,
      category: p.category,
      title: { en: p.title.en, zh: p.title.zh },
      description: { en: p.description.en, zh: p.description.zh },
      price: p.price,
      currency: p.currency,
      stock: p.stock,
      attributes: JSON.stringify(p.attributes ?? {}),
      tags: p.tags ?? [],
      imageUrl: p.imageUrl,
    });
  }

  return guarded<ProductRepository>({
    async upsert(product) {
      checkProduct(product);
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await m.products.exists({ _id: product.id }).exec()) {
          try {
            return await revs.mutate(m.products, 'product', product.id, (cur) => {
              const next = { ...fields(product), createdAt: cur.createdAt, updatedAt: new Date() };
              return { next, result: toProduct({ ...next, rev: 0 }) };
            });
          } catch (err) {
            if (err instanceof ShopError && err.code === 'not_found') continue; // deleted meanwhile: insert
            throw err;
          }
        }
        const now = new Date();
        const doc: ProductDoc = { ...fields(product), createdAt: now, updatedAt: now, rev: 0 };
        try {
          await m.products.create(doc);
          return toProduct(doc);
        } catch (err) {
          if (!isDuplicateKey(err)) throw err; // inserted meanwhile: replace
        }
      }
      throw new ShopError('conflict', `product ${product.id} is being written concurrently`);
    },

    async get(id) {
      const d = await m.products.findById(id).lean<ProductDoc>().exec();
      return d ? toProduct(d) : null;
    },

    async getMany(ids) {
      if (ids.length === 0) return [];
      const docs = await find({ _id: { $in: ids } }).lean<ProductDoc[]>().exec();
      const byId = new Map(docs.map((d) => [d._id, toProduct(d)]));
      return ids.flatMap((id) => {
        const p = byId.get(id);
        return p ? [p] : [];
      });
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const eq: Filter = {};
      if (filter?.category !== undefined) eq.category = filter.category;
      if (filter?.inStock === true) eq.stock = { $gt: 0 };
      if (filter?.inStock === false) eq.stock = { $lte: 0 };
      const price: Filter = {};
      if (filter?.minPrice !== undefined) price.$gte = filter.minPrice;
      if (filter?.maxPrice !== undefined) price.$lte = filter.maxPrice;
      const docs = await find(and(eq, Object.keys(price).length > 0 ? { price } : undefined, afterId(page?.cursor, 1)))
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<ProductDoc[]>()
        .exec();
      return toPage(docs.map(toProduct), limit, (p) => [p.id]);
    },

    async categories() {
      const values = await m.products.distinct('category').exec();
      return values.filter((v): v is string => typeof v === 'string').sort();
    },

    adjustStock(id, delta) {
      if (!Number.isInteger(delta)) throw new ShopError('bad_request', 'stock delta must be an integer');
      return revs.mutate(m.products, 'product', id, (cur) => {
        const stock = cur.stock + delta;
        if (stock < 0) throw new ShopError('conflict', `product ${id} has ${cur.stock} in stock, cannot take ${-delta}`);
        const next = { ...cur, stock, updatedAt: new Date() };
        return { next, result: toProduct(next) };
      });
    },

    async delete(id) {
      const res = await m.products.deleteOne({ _id: id }).exec();
      return res.deletedCount > 0;
    },
  });
}
