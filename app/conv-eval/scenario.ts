/**
 * Conversation-bench scenarios: scripted shopper conversations with what a shopper would
 * accept from each answer. Files are JSON arrays under `data/conversations/<split>/`; the
 * split (dev: tuned on, test: measured only) is the folder a file sits in.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { safeParse, ShopError } from '../../store/index.js';

const lang = z.enum(['en', 'zh']);
const regexList = z.array(z.string().min(1).max(400)).max(20);

export const CATEGORIES = [
  'faq',
  'shipping',
  'size_fit',
  'recommend',
  'product_info',
  'orders',
  'returns',
  'complaints',
  'smalltalk',
  'out_of_scope',
  'language_switch',
] as const;
export type Category = (typeof CATEGORIES)[number];

const productsCheck = z
  .object({
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
    category: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    match: z.array(z.string().min(1)).min(1).optional(),
    maxPrice: z.number().positive().optional(),
    minPrice: z.number().min(0).optional(),
    ids: z.array(z.string()).optional(),
    notIds: z.array(z.string()).optional(),
    inStock: z.boolean().optional(),
  })
  .strict();
export type ProductsCheck = z.infer<typeof productsCheck>;

const expectation = z
  .object({
    article: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    noArticle: z.literal(true).optional(),
    says: regexList.optional(),
    notSays: regexList.optional(),
    products: productsCheck.optional(),
    noProducts: z.literal(true).optional(),
    order: z.string().min(1).optional(),
    returnOpened: z.boolean().optional(),
    handoff: z.boolean().optional(),
    clarify: z.literal(true).optional(),
    buttons: regexList.optional(),
    silent: z.literal(true).optional(),
  })
  .strict();
export type Expectation = z.infer<typeof expectation>;

const turn = z.union([
  z.object({ say: z.string().min(1).max(2000), lang: lang.optional(), expect: expectation.optional() }).strict(),
  z.object({ click: z.string().min(1).max(200), lang: lang.optional(), expect: expectation.optional() }).strict(),
]);
export type ScenarioTurn = z.infer<typeof turn>;

const scenario = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,80}$/, 'lower-case letters, digits, - and _'),
    category: z.enum(CATEGORIES),
    lang,
    /** The channel the shopper writes on (default web): on WeChat a button is a numbered choice, picked by typing its number. */
    channel: z.enum(['web', 'wechat']).optional(),
    as: z.string().min(1).optional(),
    note: z.string().optional(),
    turns: z.array(turn).min(1).max(12),
  })
  .strict();

export type Split = 'dev' | 'test' | 'other';
export type Scenario = z.infer<typeof scenario> & { file: string; split: Split };

/** The split a file belongs to: the nearest folder named dev or test on its path. */
function splitOf(file: string): Split {
  const parts = file.split(path.sep).reverse();
  for (const p of parts) if (p === 'dev' || p === 'test') return p;
  return 'other';
}

function jsonFiles(target: string): string[] {
  const st = statSync(target, { throwIfNoEntry: false });
  if (!st) throw new ShopError('bad_request', `scenarios not found: ${target}`);
  if (st.isFile()) return [target];
  return readdirSync(target, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? jsonFiles(path.join(target, e.name)) : e.name.endsWith('.json') ? [path.join(target, e.name)] : []));
}

/** Every scenario in a file or folder (recursively), validated; ids must be unique. Errors name the file and item. */
export function loadScenarios(target: string): Scenario[] {
  const out: Scenario[] = [];
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const file of jsonFiles(target)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push(`${file}: not JSON (${(err as Error).message})`);
      continue;
    }
    if (!Array.isArray(raw)) {
      problems.push(`${file}: expected a JSON array of scenarios`);
      continue;
    }
    raw.forEach((item, i) => {
      const parsed = safeParse(scenario, item);
      if (!parsed.success) {
        const id = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : `#${i}`;
        problems.push(`${file} ${id}: ${parsed.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
        return;
      }
      const other = seen.get(parsed.data.id);
      if (other) problems.push(`${file}: id ${parsed.data.id} is also in ${other}`);
      seen.set(parsed.data.id, file);
      for (const t of parsed.data.turns) {
        for (const re of [...(t.expect?.says ?? []), ...(t.expect?.notSays ?? []), ...(t.expect?.buttons ?? [])]) {
          try {
            new RegExp(re, 'iu');
          } catch {
            problems.push(`${file} ${parsed.data.id}: bad regular expression ${JSON.stringify(re)}`);
          }
        }
      }
      out.push({ ...parsed.data, file, split: splitOf(file) });
    });
  }
  if (problems.length > 0) {
    throw new ShopError('bad_request', `invalid scenarios:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … and ${problems.length - 30} more` : ''}`);
  }
  return out;
}
