import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kbCommands } from '../../app/cli/kb-commands.js';
import type { CommandContext } from '../../app/cli/command.js';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { Progress } from '../../app/progress.js';
import {
  BITEXT_INTENT_ARTICLES,
  bitextSplit,
  loadBitextEval,
  loadEvalArticles,
  parseBitextEval,
  RETRIEVER_MODES,
  sampleByGroup,
  type BitextQuery,
} from '../../knowledge/retrieval/index.js';
import type { Store } from '../../store/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTICLES = path.join(ROOT, 'data/kb-eval/bitext/articles.jsonl');
// The public data lives beside the repo (CI has it); never copied into it.
const BITEXT = path.resolve(ROOT, '../shared/data/bitext-customer-service/bitext-customer-service-8k.csv');
const hasBitext = existsSync(BITEXT);
const skipped = hasBitext ? '' : ` (skipped: ${BITEXT} absent)`;

const key = (q: BitextQuery): string => `${q.group}\u0000${q.query.trim().replace(/\s+/g, ' ').toLowerCase()}`;
const countBy = (qs: BitextQuery[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const q of qs) m.set(q.group, (m.get(q.group) ?? 0) + 1);
  return m;
};

describe('Bitext articles', () => {
  it('has one article per Bitext intent, each an English help article of 200-600 words', async () => {
    const articles = await loadEvalArticles(ARTICLES);
    const ids = new Set(articles.map((a) => a.id));
    expect(BITEXT_INTENT_ARTICLES.size).toBe(27);
    expect(articles).toHaveLength(27);
    // Every intent maps to an existing article, and no two intents share one.
    for (const id of BITEXT_INTENT_ARTICLES.values()) expect(ids.has(id), id).toBe(true);
    expect(new Set(BITEXT_INTENT_ARTICLES.values()).size).toBe(27);
    for (const a of articles) {
      expect(a.locale).toBe('en');
      const words = a.body.split(/\s+/).filter((w) => w !== '').length;
      expect(words, a.id).toBeGreaterThanOrEqual(200);
      expect(words, a.id).toBeLessThanOrEqual(600);
      expect(a.body, a.id).toMatch(/^## /m);
    }
  });
});

describe('Bitext loader on bad input', () => {
  const header = 'flags,utterance,category,intent\n';
  it('rejects an unknown intent, an empty utterance and missing columns with the line', () => {
    expect(() => parseBitextEval(`${header}B,hello,ORDER,order_pizza\n`)).toThrow(/line 2: intent: unknown Bitext intent "order_pizza"/);
    expect(() => parseBitextEval(`${header}B, ,ORDER,cancel_order\n`)).toThrow(/line 2: utterance: empty/);
    expect(() => parseBitextEval('text,label\nhi,cancel_order\n')).toThrow(/columns utterance and intent/);
    expect(() => parseBitextEval(header)).toThrow(/no utterances/);
    expect(() => parseBitextEval(`${header}B,"cancel it,ORDER,cancel_order\n`)).toThrow(/never closed/);
    // An intent named like an Object.prototype member is unknown, not a function.
    expect(() => parseBitextEval(`${header}B,hi,X,constructor\n`)).toThrow(/unknown Bitext intent "constructor"/);
  });

  it('names the intents whose article is missing', () => {
    const ids = new Set([...BITEXT_INTENT_ARTICLES.values()].filter((id) => id !== 'get-invoice.en'));
    expect(() => parseBitextEval(`${header}B,cancel my order,ORDER,cancel_order\n`, { articleIds: ids })).toThrow(/no article for get_invoice -> get-invoice.en/);
  });

  it('keeps a repeated utterance of one intent once, so it cannot land in both splits', () => {
    const rows = Array.from({ length: 8 }, (_, i) => `B,cancel order number ${i},ORDER,cancel_order`);
    const set = parseBitextEval(`${header}${rows.join('\n')}\nB,Cancel  order number 3,ORDER,cancel_order\n`);
    expect(set.duplicatesDropped).toBe(1);
    expect(set.tune.length + set.holdout.length).toBe(8);
    expect(set.tune).toHaveLength(2);
  });
});

describe(`Bitext split${skipped}`, () => {
  it.skipIf(!hasBitext)('is seeded, stratified by intent, disjoint, and covers all 27 intents', async () => {
    const a = await loadBitextEval(BITEXT, { articleIds: new Set(BITEXT_INTENT_ARTICLES.values()) });
    const b = await loadBitextEval(BITEXT);
    const other = await loadBitextEval(BITEXT, { seed: 43 });
    // Seeded: the same seed gives the same split, another seed another one.
    expect(b.tune.map((q) => q.query)).toEqual(a.tune.map((q) => q.query));
    expect(other.tune.map((q) => q.query)).not.toEqual(a.tune.map((q) => q.query));
    // Every utterance is used once (8,175 rows less the repeated ones).
    expect(a.tune.length + a.holdout.length + a.duplicatesDropped).toBe(8175);
    expect(a.intents).toEqual([...BITEXT_INTENT_ARTICLES.keys()].sort());
    // Disjoint.
    const tuneKeys = new Set(a.tune.map(key));
    expect(a.holdout.filter((q) => tuneKeys.has(key(q)))).toEqual([]);
    // Stratified: each intent is 25% tune / 75% holdout, to the nearest utterance.
    const tune = countBy(a.tune);
    const holdout = countBy(a.holdout);
    expect(tune.size).toBe(27);
    expect(holdout.size).toBe(27);
    for (const intent of a.intents) {
      const n = tune.get(intent)! + holdout.get(intent)!;
      expect(tune.get(intent), intent).toBe(Math.round(n * 0.25));
    }
    // Every query expects its intent's article.
    for (const q of [...a.tune, ...a.holdout]) expect(q.expected).toEqual([BITEXT_INTENT_ARTICLES.get(q.group)]);
    expect(bitextSplit(a, 'all')).toHaveLength(a.tune.length + a.holdout.length);
  });

  it.skipIf(!hasBitext)('samples across every intent, the same way each time', async () => {
    const { holdout } = await loadBitextEval(BITEXT);
    const sample = sampleByGroup(holdout, 54);
    expect(sample).toHaveLength(54);
    expect([...countBy(sample).values()]).toEqual(Array.from({ length: 27 }, () => 2));
    expect(sampleByGroup(holdout, 54).map((q) => q.query)).toEqual(sample.map((q) => q.query));
    expect(sampleByGroup(holdout, 1_000_000)).toBe(holdout);
    expect(() => sampleByGroup(holdout, 0)).toThrow(/positive integer/);
  });
});

describe(`kb:eval --bitext${skipped}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-bitext-'));
  let ctx: CommandContext;
  beforeAll(() => {
    // An empty models folder: the lexical embedder, as on a fresh clone.
    mkdirSync(path.join(dir, 'models'));
    const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), MODELS_DIR: path.join(dir, 'models'), LOG_LEVEL: 'silent', EMBEDDINGS_MODEL: 'lexical' }, dir);
    const noStore = async (): Promise<Store> => {
      throw new Error('kb:eval must not open the store');
    };
    ctx = { store: noStore, config, logger: createLogger({ level: 'silent' }), progress: new Progress(process.stderr, () => 0) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) => kbCommands['kb:eval']!.run(args, ctx) as Promise<Record<string, unknown>>;

  it.skipIf(!hasBitext)('scores every retriever on a sample of the holdout, per intent', async () => {
    const report = await run(['--articles', ARTICLES, '--bitext', BITEXT, '--split', 'holdout', '--limit', '54']);
    expect(report['embeddings']).toMatchObject({ kind: 'lexical' });
    expect(report['set']).toMatchObject({ source: 'bitext', split: 'holdout', seed: 42, tuneShare: 0.25, intents: 27, sampled: 54 });
    expect((report['set'] as { splitQueries: number }).splitQueries).toBeGreaterThan(6000);
    const byRetriever = report['byRetriever'] as Record<string, { 'hit@1': number; 'hit@5': number; mrr: number; queries: number; byGroup: Record<string, { queries: number }> }>;
    expect(Object.keys(byRetriever).sort()).toEqual([...RETRIEVER_MODES].sort());
    for (const s of Object.values(byRetriever)) {
      expect(s.queries).toBe(54);
      expect(s.mrr).toBeGreaterThanOrEqual(s['hit@1']);
      expect(s['hit@5']).toBeGreaterThanOrEqual(s.mrr);
      expect(Object.keys(s.byGroup)).toHaveLength(27);
      for (const g of Object.values(s.byGroup)) expect(g.queries).toBe(2);
    }
    // Real retrieval, not chance (1/27): BM25 alone finds the right article first for many.
    expect(byRetriever['bm25']!['hit@1']).toBeGreaterThan(0.2);
    expect(report['details']).toBeUndefined();
  });

  it.skipIf(!hasBitext)('says what is wrong with its arguments', async () => {
    await expect(run(['--articles', ARTICLES, '--bitext', BITEXT, '--split', 'train'])).rejects.toThrow(/--split must be one of tune, holdout, all/);
    await expect(run(['--articles', ARTICLES, '--bitext', BITEXT, '--queries', path.join(ROOT, 'data/kb-eval/queries.csv')])).rejects.toThrow(/not both/);
    await expect(run(['--articles', ARTICLES, '--queries', path.join(ROOT, 'data/kb-eval/queries.csv'), '--limit', '5'])).rejects.toThrow(/--limit goes with --bitext/);
    await expect(run(['--articles', ARTICLES, '--bitext', BITEXT, '--limit', '0'])).rejects.toThrow(/--limit must be an integer/);
    await expect(run(['--articles', ARTICLES, '--bitext', path.join(dir, 'missing.csv')])).rejects.toThrow(/cannot read/);
    // The demo articles have none of the Bitext ids.
    await expect(run(['--articles', path.join(ROOT, 'data/kb-eval/articles.jsonl'), '--bitext', BITEXT])).rejects.toThrow(/no article for cancel_order -> cancel-order.en/);
  });
});
