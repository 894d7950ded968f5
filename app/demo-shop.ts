/**
 * Loads the built-in demo shop (data/demo-shop) into typed store inputs. Every file is
 * validated, and so are the references between files, so a hand edit that breaks the
 * data fails at startup with the file and the field named, not later as a confusing
 * bot answer.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ShopError, isShopError, safeParse } from '../store/index.js';
import { knowledgeInputSchema, parseFrontMatter as parseArticleFrontMatter, parseMarkdownArticle } from '../knowledge/ingest/index.js';
import type {
  KnowledgeInput,
  Locale,
  NewAgent,
  NewCampaign,
  NewCustomer,
  NewInteraction,
  NewOrder,
  OrderStatus,
  ProductInput,
  ReturnStatus,
} from '../store/index.js';

/** data/demo-shop in this repository. */
export const DEFAULT_DEMO_SHOP_DIR = fileURLToPath(new URL('../data/demo-shop/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A return as the data files describe it: by order number, with the status it should end in. */
export interface DemoReturn {
  rmaCode: string;
  orderNumber: string;
  customerId: string;
  items: Array<{ productId: string; quantity: number }>;
  reason: string;
  status: ReturnStatus;
  refundAmount?: number;
}

/** An agent with its demo password in clear text; the seed hashes it. */
export type DemoAgent = Omit<NewAgent, 'passwordHash'> & { id: string; password: string };

export interface DemoShop {
  products: ProductInput[];
  customers: Array<NewCustomer & { id: string }>;
  orders: NewOrder[];
  returns: DemoReturn[];
  knowledge: KnowledgeInput[];
  agents: DemoAgent[];
  campaigns: Array<NewCampaign & { id: string }>;
  interactions: NewInteraction[];
}

// ------------------------------------------------------------------ schemas

const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'returned', 'refunded'] as const;
const RETURN_STATUSES = ['requested', 'approved', 'rejected', 'received', 'refunded', 'cancelled'] as const;
const LOCALES = ['en', 'zh'] as const;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const text = z.string().trim().min(1);
const date = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const money = z.number().nonnegative().finite();
const localized = z.strictObject({ en: text, zh: text });
const slug = z.string().regex(SLUG, 'expected a lower-case kebab-case slug');

const productSchema = z.strictObject({
  id: text,
  category: slug,
  title: localized,
  description: localized,
  price: z.number().positive().finite(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as CNY'),
  stock: z.number().int().nonnegative(),
  attributes: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  tags: z.array(text),
  imageUrl: text.optional(),
});

const customerSchema = z.strictObject({
  id: text,
  displayName: text,
  email: z.email().optional(),
  phone: text.optional(),
  locale: z.enum(LOCALES),
  vip: z.boolean(),
  tags: z.array(text),
  identities: z
    .array(z.strictObject({ channel: z.enum(['web', 'wechat', 'app', 'botframework', 'console']), externalId: text }))
    .max(5),
});

const PAID: readonly OrderStatus[] = ['paid', 'shipped', 'delivered', 'returned', 'refunded'];
const SHIPPED: readonly OrderStatus[] = ['shipped', 'delivered', 'returned', 'refunded'];
const DELIVERED: readonly OrderStatus[] = ['delivered', 'returned', 'refunded'];

const orderSchema = z
  .strictObject({
    number: text,
    customerId: text,
    status: z.enum(ORDER_STATUSES),
    items: z
      .array(
        z.strictObject({
          productId: text,
          title: text,
          quantity: z.number().int().positive(),
          unitPrice: money,
        }),
      )
      .min(1),
    total: money,
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as CNY'),
    shippingAddress: z.strictObject({
      name: text,
      phone: text,
      line1: text,
      city: text,
      region: text.optional(),
      postalCode: text.optional(),
      country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as CN'),
    }),
    carrier: text.optional(),
    trackingNumber: text.optional(),
    placedAt: date,
    paidAt: date.optional(),
    shippedAt: date.optional(),
    deliveredAt: date.optional(),
    cancelledAt: date.optional(),
  })
  .superRefine((o, ctx) => {
    const issue = (field: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [field], message });
    };
    const sum = o.items.reduce((s, it) => s + it.quantity * it.unitPrice, 0);
    if (Math.abs(sum - o.total) > 0.005) issue('total', `expected the sum of the items (${sum}), got ${o.total}`);
    const cancelled = o.status === 'cancelled';
    // A cancelled order may have been paid first (and refunded); it never shipped.
    const needs = (field: 'paidAt' | 'shippedAt' | 'deliveredAt' | 'cancelledAt' | 'carrier' | 'trackingNumber', required: boolean, allowed = required): void => {
      if (required && o[field] === undefined) issue(field, `required for a ${o.status} order`);
      if (!allowed && o[field] !== undefined) issue(field, `not expected on a ${o.status} order`);
    };
    needs('paidAt', PAID.includes(o.status), PAID.includes(o.status) || cancelled);
    needs('shippedAt', SHIPPED.includes(o.status));
    needs('carrier', SHIPPED.includes(o.status));
    needs('trackingNumber', SHIPPED.includes(o.status));
    needs('deliveredAt', DELIVERED.includes(o.status));
    needs('cancelledAt', cancelled);
    const steps: Array<['paidAt' | 'shippedAt' | 'deliveredAt' | 'cancelledAt', Date | undefined]> = [
      ['paidAt', o.paidAt],
      ['shippedAt', o.shippedAt],
      ['deliveredAt', o.deliveredAt],
      ['cancelledAt', o.cancelledAt],
    ];
    let previous = o.placedAt;
    for (const [field, at] of steps) {
      if (!at) continue;
      if (at < previous) issue(field, 'earlier than the step before it');
      if (field !== 'cancelledAt') previous = at;
    }
  });

const returnSchema = z.strictObject({
  rmaCode: text,
  orderNumber: text,
  customerId: text,
  items: z.array(z.strictObject({ productId: text, quantity: z.number().int().positive() })).min(1),
  reason: text,
  status: z.enum(RETURN_STATUSES),
  refundAmount: money.optional(),
});

const agentsFileSchema = z.strictObject({
  note: z.string().optional(),
  agents: z.array(
    z.strictObject({
      id: text,
      email: z.email(),
      name: text,
      role: z.enum(['agent', 'supervisor', 'admin']),
      languages: z.array(z.enum(LOCALES)).min(1),
      skills: z.array(text),
      capacity: z.number().int().min(1).max(50),
      password: z.string().min(8, 'demo passwords need at least 8 characters'),
    }),
  ),
});

const campaignSchema = z
  .strictObject({
    id: text,
    name: text,
    productId: text,
    bid: z.number().positive().finite(),
    dailyBudget: z.number().positive().finite(),
    status: z.enum(['active', 'paused', 'ended']),
    startsAt: date,
    endsAt: date.optional(),
    targeting: z.strictObject({ categories: z.array(slug), intents: z.array(text), keywords: z.array(text) }),
  })
  .superRefine((c, ctx) => {
    if (c.endsAt && c.endsAt <= c.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
  });

const interactionSchema = z
  .strictObject({
    customerId: text,
    productId: text,
    type: z.enum(['view', 'click', 'cart', 'purchase', 'rating', 'impression']),
    value: z.number().finite().optional(),
    source: text.optional(),
    createdAt: date.optional(),
  })
  .superRefine((i, ctx) => {
    if (i.type === 'rating' && (i.value === undefined || i.value < 0.5 || i.value > 5)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a rating needs a value from 0.5 to 5' });
    }
  });

/** The record schemas, shared with `cli import` so an imported file meets the demo shop's rules. */
export const recordSchemas = {
  product: productSchema,
  customer: customerSchema,
  order: orderSchema,
  knowledge: knowledgeInputSchema,
};

// ------------------------------------------------------------------- errors

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of p) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(root)' : out;
}

function invalid(file: string, issues: Array<{ path: string; message: string }>): ShopError {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new ShopError('config_invalid', `demo shop ${file}: ${shown.join('; ')}${more}`, {
    details: { file, issues },
  });
}

function parse<S extends z.ZodType>(file: string, schema: S, data: unknown): z.output<S> {
  const result = safeParse(schema, data);
  if (result.success) return result.data;
  throw invalid(
    file,
    result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  );
}

async function readJson(dir: string, file: string): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(path.join(dir, file), 'utf8');
  } catch (err) {
    throw new ShopError('config_invalid', `demo shop ${file}: cannot read ${path.join(dir, file)}`, {
      cause: err,
      details: { file, issues: [] },
    });
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new ShopError('config_invalid', `demo shop ${file}: not valid JSON (${(err as Error).message})`, {
      cause: err,
      details: { file, issues: [] },
    });
  }
}

// -------------------------------------------------------------- front matter

/**
 * The knowledge articles' front matter reader (knowledge/ingest), with its errors as the
 * demo shop reports them: `config_invalid` naming the file.
 */
export function parseFrontMatter(source: string, file: string): { data: Record<string, string | string[]>; body: string } {
  try {
    return parseArticleFrontMatter(source, file);
  } catch (err) {
    throw asInvalid(err, file);
  }
}

/** An ingest `bad_request` (details: file, issues) as a demo shop `config_invalid`. */
function asInvalid(err: unknown, file: string): unknown {
  if (!isShopError(err, 'bad_request')) return err;
  const issues = Array.isArray(err.details?.['issues']) ? (err.details['issues'] as Array<{ path: string; message: string }>) : [];
  return invalid(file, issues.length > 0 ? issues : [{ path: '(file)', message: err.message }]);
}

async function loadKnowledge(dir: string): Promise<KnowledgeInput[]> {
  const kdir = path.join(dir, 'knowledge');
  let names: string[];
  try {
    names = (await readdir(kdir)).filter((n) => n.endsWith('.md')).sort();
  } catch (err) {
    throw new ShopError('config_invalid', `demo shop knowledge/: cannot read ${kdir}`, { cause: err, details: { file: 'knowledge/', issues: [] } });
  }
  const docs: KnowledgeInput[] = [];
  const locales = new Map<string, Set<Locale>>();
  for (const name of names) {
    const file = `knowledge/${name}`;
    const full = path.join(kdir, name);
    let article: KnowledgeInput;
    try {
      article = parseMarkdownArticle(await readFile(full, 'utf8'), file);
    } catch (err) {
      throw asInvalid(err, file);
    }
    const { slug: docSlug, locale } = article;
    const rel = path.relative(REPO_ROOT, full);
    docs.push({ ...article, source: (rel.startsWith('..') || path.isAbsolute(rel) ? full : rel).split(path.sep).join('/') });
    locales.set(docSlug, (locales.get(docSlug) ?? new Set<Locale>()).add(locale));
  }
  for (const [docSlug, have] of locales) {
    for (const locale of LOCALES) {
      if (!have.has(locale)) {
        throw invalid(`knowledge/${docSlug}.${locale}.md`, [{ path: '(file)', message: `missing: every article needs both en and zh (found only ${[...have].join(', ')})` }]);
      }
    }
  }
  return docs;
}

// -------------------------------------------------------------------- load

function unique<T>(file: string, items: T[], key: (t: T) => string, field: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) throw invalid(file, [{ path: `[${i}].${field}`, message: `"${k}" repeats [${first}].${field}` }]);
    seen.set(k, i);
  });
}

/**
 * Reads and validates the demo shop. `dir` defaults to this repository's data/demo-shop.
 * Throws `config_invalid` naming the file and field of the first problems found.
 */
export async function loadDemoShop(dir: string = DEFAULT_DEMO_SHOP_DIR): Promise<DemoShop> {
  const [productsRaw, customersRaw, ordersRaw, returnsRaw, agentsRaw, campaignsRaw, interactionsRaw, knowledge] = await Promise.all([
    readJson(dir, 'products.json'),
    readJson(dir, 'customers.json'),
    readJson(dir, 'orders.json'),
    readJson(dir, 'returns.json'),
    readJson(dir, 'agents.json'),
    readJson(dir, 'campaigns.json'),
    readJson(dir, 'interactions.json'),
    loadKnowledge(dir),
  ]);

  const products = parse('products.json', z.array(productSchema), productsRaw);
  const customers = parse('customers.json', z.array(customerSchema), customersRaw);
  const orders = parse('orders.json', z.array(orderSchema), ordersRaw);
  const returns = parse('returns.json', z.array(returnSchema), returnsRaw);
  const { agents } = parse('agents.json', agentsFileSchema, agentsRaw);
  const campaigns = parse('campaigns.json', z.array(campaignSchema), campaignsRaw);
  const interactions = parse('interactions.json', z.array(interactionSchema), interactionsRaw);

  unique('products.json', products, (p) => p.id, 'id');
  unique('customers.json', customers, (c) => c.id, 'id');
  unique('orders.json', orders, (o) => o.number, 'number');
  unique('returns.json', returns, (r) => r.rmaCode, 'rmaCode');
  unique('agents.json', agents, (a) => a.email.toLowerCase(), 'email');
  unique('campaigns.json', campaigns, (c) => c.id, 'id');

  const productIds = new Set(products.map((p) => p.id));
  const customerIds = new Set(customers.map((c) => c.id));
  const ordersByNumber = new Map(orders.map((o) => [o.number, o]));
  const check = (file: string, ok: boolean, at: string, message: string): void => {
    if (!ok) throw invalid(file, [{ path: at, message }]);
  };

  orders.forEach((o, i) => {
    check('orders.json', customerIds.has(o.customerId), `[${i}].customerId`, `unknown customer "${o.customerId}"`);
    o.items.forEach((it, j) =>
      check('orders.json', productIds.has(it.productId), `[${i}].items[${j}].productId`, `unknown product "${it.productId}"`),
    );
  });
  returns.forEach((r, i) => {
    const order = ordersByNumber.get(r.orderNumber);
    check('returns.json', order !== undefined, `[${i}].orderNumber`, `unknown order "${r.orderNumber}"`);
    if (!order) return;
    check('returns.json', order.customerId === r.customerId, `[${i}].customerId`, `order ${r.orderNumber} belongs to ${order.customerId}`);
    check('returns.json', DELIVERED.includes(order.status), `[${i}].orderNumber`, `order ${r.orderNumber} is ${order.status}; only delivered, returned or refunded orders have returns`);
    r.items.forEach((it, j) => {
      const line = order.items.find((x) => x.productId === it.productId);
      check('returns.json', line !== undefined, `[${i}].items[${j}].productId`, `"${it.productId}" is not in order ${r.orderNumber}`);
      check('returns.json', line === undefined || it.quantity <= line.quantity, `[${i}].items[${j}].quantity`, `more than the ${line?.quantity ?? 0} ordered`);
    });
  });
  campaigns.forEach((c, i) =>
    check('campaigns.json', productIds.has(c.productId), `[${i}].productId`, `unknown product "${c.productId}"`),
  );
  interactions.forEach((x, i) => {
    check('interactions.json', customerIds.has(x.customerId), `[${i}].customerId`, `unknown customer "${x.customerId}"`);
    check('interactions.json', productIds.has(x.productId), `[${i}].productId`, `unknown product "${x.productId}"`);
  });

  return {
    products,
    customers,
    orders,
    returns,
    knowledge: knowledge.sort((a, b) => a.slug.localeCompare(b.slug) || a.locale.localeCompare(b.locale)),
    agents,
    campaigns,
    interactions,
  };
}
