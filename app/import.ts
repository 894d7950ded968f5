import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ShopError, type Store, safeParse } from '../store/index.js';
import { loadKnowledgeFile } from '../knowledge/ingest/index.js';
import { parseCsvObjects } from './csv.js';
import { recordSchemas } from './demo-shop.js';

export const IMPORT_KINDS = ['products', 'customers', 'orders', 'knowledge'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportReport {
  kind: ImportKind;
  file: string;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
}

type OnProgress = (step: string, done: number, total: number) => void;

/** CSV cells are strings: these columns are turned into the JSON shapes before validation. */
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const num = (v: string | undefined): number | string | undefined => (v === undefined || v.trim() === '' ? undefined : Number.isNaN(Number(v)) ? v : Number(v));
const opt = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

/**
 * `attributes` in CSV: `color=black|white; size=S|M; material=cotton` (a value with `|` is a
 * list). JSON in the cell (starting with `{`) is accepted as well.
 */
function attributesFromCell(cell: string | undefined): unknown {
  const v = (cell ?? '').trim();
  if (v === '') return {};
  if (v.startsWith('{')) {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v; // the schema reports it as the wrong type, with its row
    }
  }
  // Keys are the file's words: a null-prototype object keeps `__proto__=x` an ordinary key
  // (a plain object dropped it, or took `__proto__=a|b` as its prototype) for the check below.
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const part of v.split(';')) {
    const [k, val] = part.split('=').map((s) => s.trim());
    if (!k || val === undefined) continue;
    out[k] = val.includes('|') ? list(val) : val;
  }
  return out;
}

function productFromCsv(r: Record<string, string>): unknown {
  return {
    id: r['id'],
    category: r['category'],
    title: { en: r['title_en'], zh: r['title_zh'] },
    description: { en: r['description_en'], zh: r['description_zh'] },
    price: num(r['price']),
    currency: r['currency'] || 'CNY',
    stock: num(r['stock']),
    attributes: attributesFromCell(r['attributes']),
    tags: list(r['tags']),
    imageUrl: opt(r['imageUrl']),
  };
}

function customerFromCsv(r: Record<string, string>): unknown {
  return {
    id: r['id'],
    displayName: r['displayName'],
    email: opt(r['email']),
    phone: opt(r['phone']),
    locale: r['locale'] || 'en',
    vip: (r['vip'] ?? '').trim().toLowerCase() === 'true',
    tags: list(r['tags']),
    identities: [],
  };
}

/**
 * Problems of a product record the schema cannot see. `__proto__` is no attribute name: it
 * is not an ordinary key of a plain object, so the schema (and every JSON round trip after
 * it) drops it without a word. It is refused with its row instead of being lost. Other names
 * an object answers for (`constructor`, `toString`) are kept: the attributes are stored as
 * JSON and read with Object.entries, where they are ordinary keys.
 */
function productProblems(rec: unknown): string[] {
  const attributes = rec !== null && typeof rec === 'object' ? (rec as { attributes?: unknown }).attributes : undefined;
  if (attributes === null || typeof attributes !== 'object' || !Object.hasOwn(attributes, '__proto__')) return [];
  return ['attributes.__proto__: "__proto__" cannot be an attribute name (rename it)'];
}

/** Validates every record first: one bad record rejects the file, naming its row and field. */
function validateAll<T>(schema: z.ZodType<T>, records: unknown[], file: string, rowOffset: number, check: (rec: unknown) => string[] = () => []): T[] {
  const out: T[] = [];
  const problems: string[] = [];
  records.forEach((rec, i) => {
    for (const problem of check(rec)) problems.push(`row ${i + rowOffset}: ${problem}`);
    const r = safeParse(schema, rec);
    if (r.success) out.push(r.data);
    else {
      for (const issue of r.error.issues.slice(0, 3)) {
        problems.push(`row ${i + rowOffset}: ${issue.path.join('.') || '(record)'}: ${issue.message}`);
      }
    }
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n  ');
    const more = problems.length > 10 ? `\n  (and ${problems.length - 10} more)` : '';
    throw new ShopError('bad_request', `${path.basename(file)}: nothing imported, fix these first:\n  ${shown}${more}`);
  }
  return out;
}

/** Reads a JSON array or a CSV file (knowledge files are read by knowledge/ingest). */
async function readRecords(kind: Exclude<ImportKind, 'knowledge'>, file: string): Promise<{ records: unknown[]; rowOffset: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ShopError('bad_request', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ShopError('bad_request', `${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new ShopError('bad_request', `${path.basename(file)}: expected a JSON array of ${kind}`);
    return { records: parsed, rowOffset: 0 };
  }
  if (ext === '.csv' || ext === '.tsv') {
    const rows = parseCsvObjects(text, { delimiter: ext === '.tsv' ? '\t' : ',' });
    const map = { products: productFromCsv, customers: customerFromCsv, orders: null }[kind];
    if (!map) throw new ShopError('bad_request', `${kind} import takes JSON only (orders have nested items)`);
    // Row numbers as a spreadsheet shows them: the header is row 1.
    return { records: rows.map(map), rowOffset: 2 };
  }
  throw new ShopError('bad_request', `unsupported file type "${ext}" for ${kind}: use .json or .csv`);
}

/** Imports one file into the store; see the README's CLI table for each kind's rules. */
export async function importFile(store: Store, kind: ImportKind, file: string, onProgress: OnProgress = () => {}): Promise<ImportReport> {
  if (kind === 'knowledge') {
    // Markdown (<slug>.<en|zh>.md), JSON array, JSON Lines or CSV: knowledge/ingest validates every row first.
    const items = await loadKnowledgeFile(file);
    const report: ImportReport = { kind, file, read: items.length, created: 0, updated: 0, unchanged: 0 };
    for (const [i, k] of items.entries()) {
      const before = await store.knowledge.getBySlug(k.slug, k.locale);
      const after = await store.knowledge.upsert(k);
      if (!before) report.created++;
      else if (after.version !== before.version) report.updated++;
      else report.unchanged++;
      onProgress(kind, i + 1, items.length);
    }
    return report;
  }
  const { records, rowOffset } = await readRecords(kind, file);
  const report: ImportReport = { kind, file, read: records.length, created: 0, updated: 0, unchanged: 0 };
  const tick = (i: number) => onProgress(kind, i + 1, records.length);

  if (kind === 'products') {
    const items = validateAll(recordSchemas.product, records, file, rowOffset, productProblems);
    for (const [i, p] of items.entries()) {
      const existed = await store.products.get(p.id);
      await store.products.upsert(p);
      if (existed) report.updated++;
      else report.created++;
      tick(i);
    }
  } else if (kind === 'customers') {
    const items = validateAll(recordSchemas.customer, records, file, rowOffset);
    for (const [i, c] of items.entries()) {
      if (await store.customers.get(c.id)) report.unchanged++;
      else {
        await store.customers.create(c);
        report.created++;
      }
      tick(i);
    }
  } else if (kind === 'orders') {
    const items = validateAll(recordSchemas.order, records, file, rowOffset);
    for (const [i, o] of items.entries()) {
      if (await store.orders.getByNumber(o.number)) report.unchanged++;
      else {
        await store.orders.create(o);
        report.created++;
      }
      tick(i);
    }
  }
  return report;
}
