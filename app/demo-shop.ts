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
  Product,
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

// ------------------------------------------------------------------ product pictures

/**
 * The demo products' pictures (their `imageUrl` is `/demo/img/<id>.svg`): drawn from the
 * product itself, so no image file ships with the demo. A line drawing of the category,
 * filled with the product's first colour, its other colours as swatches, and its title.
 */
export const DEMO_IMAGE_PATH = '/demo/img/';

/** Colour names of the demo catalog as CSS colours (other names fall back to the category's colour). */
const COLOURS = new Map<string, string>([
  ['beige', '#d8c3a0'],
  ['black', '#2b2b2b'],
  ['blush pink', '#eab3b8'],
  ['burgundy', '#7a2338'],
  ['charcoal', '#45484d'],
  ['coral', '#f27b66'],
  ['dark indigo', '#2c3560'],
  ['dusty pink', '#d4a0a4'],
  ['floral print', '#e58fa8'],
  ['forest green', '#2f5d3a'],
  ['grey', '#9a9ea3'],
  ['grey marl', '#b5b7b9'],
  ['ivory', '#f4efe1'],
  ['khaki', '#b9a66f'],
  ['light wash', '#9db8d6'],
  ['mid wash', '#5f84ad'],
  ['midnight blue', '#1f2b4d'],
  ['navy', '#23325a'],
  ['off-white', '#f1ede4'],
  ['olive', '#6b6b35'],
  ['orange', '#f08a24'],
  ['raw indigo', '#283a66'],
  ['red', '#c8312c'],
  ['rose gold', '#d9a294'],
  ['sage green', '#a3b69a'],
  ['sand', '#d6c19a'],
  ['silver', '#c4c8cc'],
  ['sky blue', '#8ec3e6'],
  ['tan', '#c19a6b'],
  ['terracotta', '#c4623f'],
  ['volt green', '#c6e33b'],
  ['white', '#f7f7f5'],
]);

/** Line drawings on a 224 x 224 grid: `body` is filled with the product's colour, `lines` are details on top. */
const GLYPHS = new Map<string, { body: string; lines: string }>([
  ['shoe', { body: 'M52 118c0-14 4-30 10-40l22 8c8 12 26 18 44 20l34 6c10 2 14 8 14 14v6H52zM50 124h128v6a6 6 0 0 1-6 6H56a6 6 0 0 1-6-6z', lines: 'M86 92l8-10M98 98l8-10M110 102l8-10' }],
  ['tee', { body: 'M80 60l-30 18 12 24 16-8v66h68V94l16 8 12-24-30-18c-4 10-14 16-32 16S84 70 80 60z', lines: 'M96 64c4 6 10 8 16 8s12-2 16-8' }],
  ['jacket', { body: 'M80 58l-30 20 8 94h108l8-94-30-20c-8 8-20 12-32 12s-24-4-32-12z', lines: 'M112 70v102M100 112h6M100 132h6M86 96v76M138 96v76' }],
  ['jeans', { body: 'M78 56h68l10 118h-30l-14-80-14 80H68z', lines: 'M78 70h68M112 56v22' }],
  ['dress', { body: 'M96 52h32l-4 30 34 90H66l34-90z', lines: 'M100 82h24' }],
  ['bag', { body: 'M74 84h76a12 12 0 0 1 12 12v60a12 12 0 0 1-12 12H74a12 12 0 0 1-12-12V96a12 12 0 0 1 12-12z', lines: 'M88 84V72c0-14 10-22 24-22s24 8 24 22v12M62 110h100' }],
  ['headphones', { body: 'M66 120h14v42H66a10 10 0 0 1-10-10v-22a10 10 0 0 1 10-10zM144 120h14a10 10 0 0 1 10 10v22a10 10 0 0 1-10 10h-14z', lines: 'M66 128v-16c0-26 20-46 46-46s46 20 46 46v16' }],
  ['watch', { body: 'M92 82l4-26h32l4 26zM92 148l4 26h32l4-26zM98 82h28a16 16 0 0 1 16 16v34a16 16 0 0 1-16 16H98a16 16 0 0 1-16-16V98a16 16 0 0 1 16-16z', lines: 'M112 104v12l8 6' }],
  ['bottle', { body: 'M96 86h32a12 12 0 0 1 12 12v62a12 12 0 0 1-12 12H96a12 12 0 0 1-12-12V98a12 12 0 0 1 12-12zM98 68h28v18H98zM94 56h36v12H94z', lines: 'M84 118h56M84 146h56' }],
]);

/** Category -> drawing and the colour of a product that names none (skincare). */
const CATEGORY_LOOK = new Map<string, { glyph: string; colour: string }>([
  ['running-shoes', { glyph: 'shoe', colour: '#f08a24' }],
  ['sneakers', { glyph: 'shoe', colour: '#f7f7f5' }],
  ['t-shirts', { glyph: 'tee', colour: '#9a9ea3' }],
  ['jackets', { glyph: 'jacket', colour: '#2f5d3a' }],
  ['jeans', { glyph: 'jeans', colour: '#5f84ad' }],
  ['dresses', { glyph: 'dress', colour: '#d4a0a4' }],
  ['bags', { glyph: 'bag', colour: '#c19a6b' }],
  ['headphones', { glyph: 'headphones', colour: '#2b2b2b' }],
  ['smartwatches', { glyph: 'watch', colour: '#45484d' }],
  ['skincare', { glyph: 'bottle', colour: '#cfe3dc' }],
]);

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A colour `amount` (0..1) of the way to white (positive) or black (negative). */
function shade(hex: string, amount: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const target = amount >= 0 ? 255 : 0;
  const a = Math.abs(amount);
  const channel = (shift: number) => Math.round(((n >> shift) & 255) * (1 - a) + target * a);
  return `#${[16, 8, 0].map((s) => channel(s).toString(16).padStart(2, '0')).join('')}`;
}

/** The title in at most two lines of about `width` characters, the second cut with an ellipsis. */
function titleLines(title: string, width: number): string[] {
  const lines: string[] = [''];
  for (const word of title.split(/\s+/).filter(Boolean)) {
    const line = lines[lines.length - 1]!;
    if (line === '' || line.length + 1 + word.length <= width) lines[lines.length - 1] = line ? `${line} ${word}` : word;
    else if (lines.length < 2) lines.push(word);
    else {
      lines[1] = `${lines[1]!.slice(0, width - 1)}…`;
      return lines;
    }
  }
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}

/** The picture of one product as an SVG document (400 x 400), the same for the same product. */
export function demoProductSvg(p: Pick<Product, 'id' | 'category' | 'title' | 'attributes'>): string {
  const look = CATEGORY_LOOK.get(p.category) ?? { glyph: 'bag', colour: '#9a9ea3' };
  const glyph = GLYPHS.get(look.glyph)!;
  const named = p.attributes['color'];
  const colourNames = (Array.isArray(named) ? named : named ? [named] : []).map((c) => c.toLowerCase());
  const colours = colourNames.map((c) => COLOURS.get(c)).filter((c): c is string => c !== undefined);
  const main = colours[0] ?? look.colour;
  const title = p.title.en || p.title.zh || p.id;
  const swatches = colours
    .slice(0, 6)
    .map((c, i) => `<circle cx="${32 + i * 26}" cy="32" r="9" fill="${c}" stroke="#000" stroke-opacity="0.2" stroke-width="1.5"/>`)
    .join('');
  const lines = titleLines(title, 30)
    .map((l, i) => `<text x="200" y="${338 + i * 26}" text-anchor="middle">${xmlEscape(l)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img" aria-label="${xmlEscape(title)}">` +
    `<title>${xmlEscape(title)}</title>` +
    `<rect width="400" height="400" fill="${shade(main, 0.86)}"/>` +
    `<circle cx="200" cy="160" r="118" fill="${shade(main, 0.7)}"/>` +
    `<g transform="translate(37.6 -2.4) scale(1.45)" stroke="${shade(main, -0.55)}" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round">` +
    `<path d="${glyph.body}" fill="${main}"/><path d="${glyph.lines}" fill="none"/></g>` +
    swatches +
    `<rect y="306" width="400" height="94" fill="#fff" fill-opacity="0.85"/>` +
    `<g font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="19" font-weight="600" fill="#2b2f2d">${lines}</g>` +
    `</svg>`
  );
}

/** `<id>.svg` of a demo picture's file name; undefined for anything else. */
export function demoImageProductId(file: string): string | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.svg$/.exec(file);
  return m?.[1];
}
