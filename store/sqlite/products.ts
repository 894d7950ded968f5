import { ShopError } from '../errors.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type { LocalizedText, Page, PageRequest, Product, ProductFilter, ProductInput, ProductRepository } from '../types.js';
import { Where, type Db } from './db.js';
import { jsonList, opt, orNull, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

interface ProductRow {
  id: string;
  category: string;
  title: string;
  description: string;
  price: number;
  currency: string;
  stock: number;
  attributes: string;
  tags: string;
  image_url: string | null;
  created_at: number;
  updated_at: number;
}

function toProduct(r: ProductRow): Product {
  return {
    id: r.id,
    category: r.category,
    title: parseJson<LocalizedText>(r.title),
    description: parseJson<LocalizedText>(r.description),
    price: r.price,
    currency: r.currency,
    stock: r.stock,
    attributes: parseJson<Record<string, string | string[]>>(r.attributes),
    tags: parseJson<string[]>(r.tags),
    imageUrl: opt(r.image_url),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Both languages must be present; a description may be empty, a title may not. */
function localized(field: string, v: unknown, allowEmpty: boolean): LocalizedText {
  const o = check.object(field, v);
  const one = (lang: 'en' | 'zh'): string => {
    const s = o[lang];
    if (allowEmpty && typeof s === 'string') return s;
    return check.text(`${field}.${lang}`, s);
  };
  return { en: one('en'), zh: one('zh') };
}

function attributes(v: unknown): Record<string, string | string[]> {
  const o = check.object('attributes', v);
  for (const [key, value] of Object.entries(o)) {
    if (typeof value !== 'string') check.strings(`attributes.${key}`, value);
  }
  return o as Record<string, string | string[]>;
}

/** The catalog. Stock never goes negative: adjustments are conditional UPDATEs. */
export class SqliteProducts implements ProductRepository {
  constructor(private readonly db: Db) {}

  async upsert(product: ProductInput): Promise<Product> {
    const values = [
      check.text('id', product.id),
      check.text('category', product.category),
      toJson(localized('title', product.title, false)),
      toJson(localized('description', product.description, true)),
      check.finite('price', product.price, 0),
      check.text('currency', product.currency),
      check.int('stock', product.stock, 0),
      toJson(attributes(product.attributes ?? {})),
      toJson(check.strings('tags', product.tags ?? [])),
      orNull(check.optText('imageUrl', product.imageUrl)),
    ];
    const now = Date.now();
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO products (id, category, title, description, price, currency, stock, attributes, tags, image_url, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
           category = excluded.category, title = excluded.title, description = excluded.description,
           price = excluded.price, currency = excluded.currency, stock = excluded.stock,
           attributes = excluded.attributes, tags = excluded.tags, image_url = excluded.image_url,
           updated_at = excluded.updated_at`,
        [...values, now, now],
      );
      return this.load(product.id);
    });
  }

  async get(id: string): Promise<Product | null> {
    return this.db.read(() => {
      const row = this.db.get<ProductRow>('SELECT * FROM products WHERE id = ?', [id]);
      return row === undefined ? null : toProduct(row);
    });
  }

  async getMany(ids: string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    return this.db.read(() => {
      const rows = this.db.all<ProductRow>('SELECT * FROM products WHERE id IN (SELECT value FROM json_each(?))', [jsonList(ids)]);
      const byId = new Map(rows.map((r) => [r.id, toProduct(r)]));
      return ids.flatMap((id) => {
        const p = byId.get(id);
        return p === undefined ? [] : [p];
      });
    });
  }

  async list(filter: ProductFilter = {}, page?: PageRequest): Promise<Page<Product>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    const minPrice = check.optFinite('minPrice', filter.minPrice);
    const maxPrice = check.optFinite('maxPrice', filter.maxPrice);
    return this.db.read(() => {
      const where = new Where()
        .addIf(filter.category, 'category = ?', (c) => c)
        .addIf(minPrice, 'price >= ?', (p) => p)
        .addIf(maxPrice, 'price <= ?', (p) => p)
        .addIf(after?.[0], 'id > ?', (id) => id);
      if (filter.inStock === true) where.add('stock > 0');
      if (filter.inStock === false) where.add('stock = 0');
      const rows = this.db.all<ProductRow>(`SELECT * FROM products ${where} ORDER BY id LIMIT ?`, [...where.params, limit + 1]);
      return toPage(rows.map(toProduct), limit, (p) => [p.id]);
    });
  }

  async categories(): Promise<string[]> {
    return this.db.read(() =>
      this.db.all<{ category: string }>('SELECT DISTINCT category FROM products ORDER BY category').map((r) => r.category),
    );
  }

  async adjustStock(id: string, delta: number): Promise<Product> {
    check.int('delta', delta);
    return this.db.write(() => {
      const changed = this.db.run('UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ? AND stock + ? >= 0', [
        delta,
        Date.now(),
        id,
        delta,
      ]).changes;
      if (changed === 0) {
        if (!this.db.exists('products', id)) throw notFound(id);
        throw new ShopError('conflict', `not enough stock of ${id} for ${delta}`, { details: { id, delta } });
      }
      return this.load(id);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.write(() => this.db.run('DELETE FROM products WHERE id = ?', [id]).changes > 0);
  }

  private load(id: string): Product {
    const row = this.db.get<ProductRow>('SELECT * FROM products WHERE id = ?', [id]);
    if (row === undefined) throw notFound(id);
    return toProduct(row);
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `product ${id} not found`, { details: { id } });
}
