import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShopError } from '../../store/index.js';
import { parseCsvRows } from '../ingest/index.js';
import { seededRandom, shuffleInPlace } from '../random.js';
import type { EvalQuery } from './evaluate.js';

/**
 * The help article (in data/kb-eval/bitext/articles.jsonl) that answers each of the 27
 * intents of the Bitext customer-service set. One article per intent, so near intents
 * (check_invoice / get_invoice, get_refund / track_refund) stay apart.
 */
export const BITEXT_INTENT_ARTICLES: ReadonlyMap<string, string> = new Map([
  ['cancel_order', 'cancel-order.en'],
  ['change_order', 'change-order.en'],
  ['change_shipping_address', 'change-shipping-address.en'],
  ['check_cancellation_fee', 'cancellation-fee.en'],
  ['check_invoice', 'check-invoice.en'],
  ['check_payment_methods', 'payment-methods.en'],
  ['check_refund_policy', 'refund-policy.en'],
  ['complaint', 'complaint.en'],
  ['contact_customer_service', 'contact-customer-service.en'],
  ['contact_human_agent', 'contact-human-agent.en'],
  ['create_account', 'create-account.en'],
  ['delete_account', 'delete-account.en'],
  ['delivery_options', 'delivery-options.en'],
  ['delivery_period', 'delivery-period.en'],
  ['edit_account', 'edit-account.en'],
  ['get_invoice', 'get-invoice.en'],
  ['get_refund', 'get-refund.en'],
  ['newsletter_subscription', 'newsletter-subscription.en'],
  ['payment_issue', 'payment-issue.en'],
  ['place_order', 'place-order.en'],
  ['recover_password', 'recover-password.en'],
  ['registration_problems', 'registration-problems.en'],
  ['review', 'review.en'],
  ['set_up_shipping_address', 'set-up-shipping-address.en'],
  ['switch_account', 'switch-account.en'],
  ['track_order', 'track-order.en'],
  ['track_refund', 'track-refund.en'],
]);

/** Seed of the committed split: the README's numbers are measured on it. */
export const BITEXT_SEED = 42;
/** Share of each intent's utterances in the `tune` split; the rest is the `holdout`. */
export const BITEXT_TUNE_SHARE = 0.25;

export type BitextSplit = 'tune' | 'holdout' | 'all';
export const BITEXT_SPLITS: readonly BitextSplit[] = ['tune', 'holdout', 'all'];

/** A Bitext utterance as an evaluation query; `group` is its Bitext intent. */
export interface BitextQuery extends EvalQuery {
  group: string;
}

export interface BitextEvalSet {
  /** For tuning fusion weights and floors. */
  tune: BitextQuery[];
  /** Real phrasings never used for tuning: the set the targets are measured on. */
  holdout: BitextQuery[];
  /** Intents present, sorted. */
  intents: string[];
  /** Repeated utterances of one intent dropped (kept once, so no phrasing is in both splits). */
  duplicatesDropped: number;
}

export interface BitextLoadOptions {
  seed?: number;
  tuneShare?: number;
  /** When given, every intent's article must be among these ids. */
  articleIds?: Set<string>;
}

const normalise = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Reads the Bitext CSV (columns `flags,utterance,category,intent`; only utterance and intent
 * are used), maps each intent to its article and splits it, stratified by intent and seeded:
 * within each intent (in sorted order) the utterances are shuffled by one seeded generator
 * and the first `tuneShare` go to `tune`. Same file and seed, same split.
 */
export async function loadBitextEval(file: string, opts: BitextLoadOptions = {}): Promise<BitextEvalSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ShopError('bad_request', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseBitextEval(text, { ...opts, file: path.basename(file) });
}

/** `loadBitextEval` on the file's text. */
export function parseBitextEval(text: string, opts: BitextLoadOptions & { file?: string } = {}): BitextEvalSet {
  const where = opts.file ?? 'bitext csv';
  const seed = opts.seed ?? BITEXT_SEED;
  const tuneShare = opts.tuneShare ?? BITEXT_TUNE_SHARE;
  if (!Number.isInteger(seed)) throw new ShopError('bad_request', `bitext split: seed must be an integer, got ${seed}`);
  if (!(tuneShare > 0 && tuneShare < 1)) throw new ShopError('bad_request', `bitext split: tuneShare must be between 0 and 1, got ${tuneShare}`);
  const rows = parseCsvRows(text, { file: where });
  const header = rows.shift()?.cells.map((h) => h.trim());
  const uCol = header?.indexOf('utterance') ?? -1;
  const iCol = header?.indexOf('intent') ?? -1;
  if (!header || uCol < 0 || iCol < 0) throw new ShopError('bad_request', `${where}: expected a header with the columns utterance and intent`);
  if (opts.articleIds) {
    const missing = [...BITEXT_INTENT_ARTICLES].filter(([, id]) => !opts.articleIds!.has(id)).map(([intent, id]) => `${intent} -> ${id}`);
    if (missing.length > 0) throw new ShopError('bad_request', `bitext articles: no article for ${missing.join(', ')}`);
  }
  const problems: string[] = [];
  const byIntent = new Map<string, BitextQuery[]>();
  const seen = new Set<string>();
  let duplicatesDropped = 0;
  for (const { line, cells } of rows) {
    const utterance = (cells[uCol] ?? '').trim();
    const intent = (cells[iCol] ?? '').trim();
    const articleId = BITEXT_INTENT_ARTICLES.get(intent);
    if (cells.length !== header.length) problems.push(`line ${line}: expected ${header.length} fields, found ${cells.length}`);
    else if (utterance === '') problems.push(`line ${line}: utterance: empty`);
    else if (articleId === undefined) problems.push(`line ${line}: intent: unknown Bitext intent "${intent.slice(0, 60)}"`);
    if (problems.length >= 10) break;
    if (articleId === undefined || utterance === '') continue;
    const key = `${intent}\u0000${normalise(utterance)}`;
    if (seen.has(key)) {
      duplicatesDropped++;
      continue;
    }
    seen.add(key);
    const list = byIntent.get(intent) ?? [];
    list.push({ query: utterance, expected: [articleId], group: intent });
    byIntent.set(intent, list);
  }
  if (problems.length > 0) throw new ShopError('bad_request', `${where}:\n  ${problems.join('\n  ')}`);
  if (byIntent.size === 0) throw new ShopError('bad_request', `${where}: no utterances`);
  const random = seededRandom(seed);
  const intents = [...byIntent.keys()].sort();
  const tune: BitextQuery[] = [];
  const holdout: BitextQuery[] = [];
  for (const intent of intents) {
    const xs = shuffleInPlace([...byIntent.get(intent)!], random);
    const n = Math.round(xs.length * tuneShare);
    tune.push(...xs.slice(0, n));
    holdout.push(...xs.slice(n));
  }
  return { tune, holdout, intents, duplicatesDropped };
}

/** The queries of one split (`all` = tune then holdout). */
export function bitextSplit(set: BitextEvalSet, split: BitextSplit): BitextQuery[] {
  if (split === 'tune') return set.tune;
  if (split === 'holdout') return set.holdout;
  return [...set.tune, ...set.holdout];
}

/**
 * At most `max` queries, spread over the groups: each group shuffled by the seed, then one
 * from each group in turn, so a small sample still covers every intent. The whole set when
 * it is no larger than `max`.
 */
export function sampleByGroup<T extends { group: string }>(queries: T[], max: number, seed = BITEXT_SEED): T[] {
  if (!Number.isInteger(max) || max < 1) throw new ShopError('bad_request', `sample size must be a positive integer, got ${max}`);
  if (queries.length <= max) return queries;
  const random = seededRandom(seed);
  const groups = new Map<string, T[]>();
  for (const q of queries) {
    const list = groups.get(q.group) ?? [];
    list.push(q);
    groups.set(q.group, list);
  }
  const lists = [...groups.keys()].sort().map((g) => shuffleInPlace([...groups.get(g)!], random));
  const out: T[] = [];
  for (let i = 0; out.length < max; i++) {
    for (const list of lists) {
      const q = list[i];
      if (q !== undefined && out.length < max) out.push(q);
    }
  }
  return out;
}

