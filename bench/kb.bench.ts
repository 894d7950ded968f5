/**
 * Knowledge retrieval quality on data/kb-eval (shopper questions in English and Chinese,
 * plus off-topic ones): hit@1, hit@5 and MRR of BM25 alone (the baseline), vectors alone
 * and the hybrid, with the lexical embedder and with every sentence model installed in
 * MODELS_DIR (./models), side by side in one run; then, for the hybrid, how the confidence
 * threshold trades answered questions against answered off-topic ones.
 *
 * Then the same retrievers on real phrasings: the Bitext customer-service utterances
 * (../shared/data, read at run time) against data/kb-eval/bitext (one article per intent),
 * on the holdout split (seed 42, 75% of each intent; never used for tuning). By default a
 * fixed seeded sample of 2,000 holdout queries spread over the 27 intents (the sentence
 * model embeds each query for the vector and the hybrid search, ~20 ms each here);
 * BENCH_KB_BITEXT=all runs the whole holdout, BENCH_KB_BITEXT=<n> a sample of n.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../app/config.js';
import {
  buildEvalIndex,
  createEmbeddings,
  LexicalEmbeddings,
  DEFAULT_MIN_CONFIDENCE,
  detectLocale,
  embeddingLocales,
  evaluateRetrieval,
  loadEvalArticles,
  loadEvalQueries,
  type EvalQuery,
  type HybridIndex,
  type Scores,
} from '../knowledge/index.js';
import { bitextSplit, loadBitextEval, RETRIEVER_MODES, sampleByGroup, type RetrieverScores } from '../knowledge/retrieval/index.js';
import type { Locale } from '../store/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K = 5;
const BITEXT = path.resolve(ROOT, '../shared/data/bitext-customer-service/bitext-customer-service-8k.csv');
const BITEXT_ARTICLES = path.join(ROOT, 'data/kb-eval/bitext/articles.jsonl');
const BITEXT_SAMPLE = 2000;

interface Row {
  embedder: string;
  retriever: string;
  scores: Scores;
  byLocale: Partial<Record<Locale, Scores>>;
  msPerQuery: number;
}

/** Model folders under modelsDir (a folder with config.json and a tokenizer), as `owner/name` ids. */
async function installedModels(modelsDir: string): Promise<string[]> {
  const out: string[] = [];
  const isModel = async (dir: string) =>
    (await stat(path.join(dir, 'config.json')).then(() => true, () => false)) && (await stat(path.join(dir, 'tokenizer.json')).then(() => true, () => false));
  for (const owner of await readdir(modelsDir).catch(() => [] as string[])) {
    const ownerDir = path.join(modelsDir, owner);
    if (await isModel(ownerDir)) out.push(owner);
    for (const name of await readdir(ownerDir).catch(() => [] as string[])) if (await isModel(path.join(ownerDir, name))) out.push(`${owner}/${name}`);
  }
  return out.sort();
}

async function evaluate(embedder: string, index: HybridIndex, queries: EvalQuery[]): Promise<Row[]> {
  const started = performance.now();
  const report = await evaluateRetrieval(index, queries, { k: K });
  const ms = (performance.now() - started) / (queries.filter((q) => q.expected.length > 0).length * 3 + report.offTopic.count);
  return (['bm25', 'vector', 'hybrid'] as const).map((mode) => ({
    embedder: mode === 'bm25' ? '-' : embedder,
    retriever: mode,
    scores: report.byRetriever[mode],
    byLocale: report.byRetriever[mode].byLocale,
    msPerQuery: ms,
  }));
}

/** Confidence of the hybrid's top hit for each query: right answer, wrong answer, off-topic. */
async function thresholdTable(index: HybridIndex, queries: EvalQuery[]): Promise<string[]> {
  const tops: Array<{ kind: 'right' | 'wrong' | 'off'; confidence: number }> = [];
  for (const q of queries) {
    const [top] = await index.search(q.query, { locale: detectLocale(q.query), k: 1 });
    const kind = q.expected.length === 0 ? 'off' : top && q.expected.includes(top.documentId) ? 'right' : 'wrong';
    tops.push({ kind, confidence: top?.confidence ?? 0 });
  }
  const n = (kind: string) => tops.filter((t) => t.kind === kind).length || 1;
  const lines = ['| min confidence | answered right | answered wrong | off-topic answered |', '|---:|---:|---:|---:|'];
  for (const t of [0.2, 0.25, 0.28, 0.3, 0.32, 0.35, 0.4, 0.45]) {
    const share = (kind: string) => tops.filter((x) => x.kind === kind && x.confidence >= t).length / n(kind);
    const mark = t === DEFAULT_MIN_CONFIDENCE ? ' (default)' : '';
    lines.push(`| ${t.toFixed(2)}${mark} | ${pct(share('right'))} of ${n('right')} | ${pct(share('wrong'))} of ${n('wrong')} | ${pct(share('off'))} of ${n('off')} |`);
  }
  return lines;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const f3 = (x: number | undefined): string => (x ?? 0).toFixed(3);

export async function run(): Promise<void> {
  const articles = await loadEvalArticles(path.join(ROOT, 'data/kb-eval/articles.jsonl'));
  const queries = await loadEvalQueries(path.join(ROOT, 'data/kb-eval/queries.csv'), new Set(articles.map((a) => a.id)));
  const config = loadConfig();
  const modelsDir = config.models.modelsDir;
  const answerable = queries.filter((q) => q.expected.length > 0);
  console.log(
    `${articles.length} articles, ${answerable.length} answerable queries (${answerable.filter((q) => detectLocale(q.query) === 'en').length} EN, ` +
      `${answerable.filter((q) => detectLocale(q.query) === 'zh').length} ZH), ${queries.length - answerable.length} off-topic; k=${K}\n`,
  );

  const rows: Row[] = [];
  const thresholds: Array<{ embedder: string; lines: string[] }> = [];
  const lexical = await buildEvalIndex(articles, new LexicalEmbeddings());
  rows.push(...(await evaluate('lexical', lexical, queries)));
  thresholds.push({ embedder: 'lexical', lines: await thresholdTable(lexical, queries) });
  // The lexical vectors repeat much of what BM25 already knows: the same fusion with their weight halved.
  const halved = await buildEvalIndex(articles, new LexicalEmbeddings(), { vectorWeight: 0.5 });
  rows.push((await evaluate('lexical, vectorWeight 0.5', halved, queries)).find((r) => r.retriever === 'hybrid')!);

  const models = await installedModels(modelsDir);
  if (models.length === 0) console.log(`(no sentence model installed in ${modelsDir}: \`npm run cli -- models:pull\` adds one)\n`);
  for (const modelId of models) {
    const created = await createEmbeddings({ modelId, modelsDir, logger: { warn: (_o, m) => console.log(`  ${m}`) } });
    if (created.kind !== 'transformers') continue;
    const locales = await embeddingLocales(created, modelsDir);
    const index = await buildEvalIndex(articles, created.embeddings, { dimension: created.dimension });
    const all = await evaluate(modelId, index, queries);
    rows.push(...all.filter((r) => r.retriever !== 'bm25'));
    thresholds.push({ embedder: modelId, lines: await thresholdTable(index, queries) });
    if (locales && locales.length < 2) {
      // The model's own languages only; other queries go to BM25 (what kb:search and the server do).
      const scoped = await buildEvalIndex(articles, created.embeddings, { dimension: created.dimension, vectorLocales: locales });
      const r = (await evaluate(`${modelId} [vectors for ${locales.join(',')} only]`, scoped, queries)).find((x) => x.retriever === 'hybrid')!;
      rows.push(r);
      thresholds.push({ embedder: `${modelId} [vectors for ${locales.join(',')} only]`, lines: await thresholdTable(scoped, queries) });
    }
  }

  const base = rows.find((r) => r.retriever === 'bm25')!.scores;
  console.log('| retriever | embedder | hit@1 | hit@5 | MRR | MRR vs BM25 | hit@1 EN | hit@1 ZH | ms/query |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.retriever}${r.retriever === 'bm25' ? ' (baseline)' : ''} | ${r.embedder} | ${f3(r.scores['hit@1'])} | ${f3(r.scores[`hit@${K}`])} | ${f3(r.scores.mrr)} | ` +
        `${(r.scores.mrr / base.mrr).toFixed(2)}x | ${f3(r.byLocale.en?.['hit@1'])} | ${f3(r.byLocale.zh?.['hit@1'])} | ${r.msPerQuery.toFixed(1)} |`,
    );
  }
  console.log('\nms/query: wall time of the whole evaluation over every search it ran (all three retrievers); the model embeds each query once, so later rows of one model reuse its cached query vectors.');
  for (const t of thresholds) {
    console.log(`\nHybrid confidence threshold, ${t.embedder} (top hit per query):\n`);
    for (const line of t.lines) console.log(line);
  }

  await bitextBench(models, modelsDir);
}

function bitextSampleSize(): number | 'all' {
  const v = process.env['BENCH_KB_BITEXT'];
  if (v === undefined || v === '') return BITEXT_SAMPLE;
  if (v === 'all') return 'all';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_KB_BITEXT must be "all" or a positive integer, got "${v}"`);
  return n;
}

/** BM25, vectors and hybrid on the Bitext holdout, lexical and each installed sentence model. */
async function bitextBench(models: string[], modelsDir: string): Promise<void> {
  console.log('\n## Real phrasings: Bitext holdout\n');
  if (!existsSync(BITEXT)) {
    console.log(`(${BITEXT} not found: the Bitext evaluation is skipped)`);
    return;
  }
  const articles = await loadEvalArticles(BITEXT_ARTICLES);
  const set = await loadBitextEval(BITEXT, { articleIds: new Set(articles.map((a) => a.id)) });
  const holdout = bitextSplit(set, 'holdout');
  const size = bitextSampleSize();
  const queries = size === 'all' ? holdout : sampleByGroup(holdout, size);
  console.log(
    `${articles.length} articles (data/kb-eval/bitext), ${set.intents.length} intents; holdout ${holdout.length} of ${set.tune.length + set.holdout.length} utterances ` +
      `(seed 42, stratified 25% tune / 75% holdout); evaluated on ${queries.length === holdout.length ? 'all of it' : `a fixed seeded sample of ${queries.length} spread over the intents (BENCH_KB_BITEXT=all for the whole holdout)`}; ` +
      `k=${K}; load average ${loadavg()[0]!.toFixed(1)} at the start\n`,
  );
  const results: Array<{ embedder: string; byRetriever: Record<string, RetrieverScores> }> = [];
  const progress = (label: string) => (done: number, total: number) => {
    if (done % 500 === 0 || done === total) process.stderr.write(`  bitext ${label}: ${done}/${total}\n`);
  };
  const lexical = await buildEvalIndex(articles, new LexicalEmbeddings());
  results.push({ embedder: 'lexical', byRetriever: (await evaluateRetrieval(lexical, queries, { k: K, onProgress: progress('lexical') })).byRetriever });
  for (const modelId of models) {
    // No query cache: the vector and the hybrid search each embed their query, as a served search does.
    const created = await createEmbeddings({ modelId, modelsDir, cacheSize: 0, logger: { warn: (_o, m) => console.log(`  ${m}`) } });
    if (created.kind !== 'transformers') continue;
    const index = await buildEvalIndex(articles, created.embeddings, { dimension: created.dimension });
    results.push({ embedder: modelId, byRetriever: (await evaluateRetrieval(index, queries, { k: K, onProgress: progress(modelId) })).byRetriever });
  }

  const base = results[0]!.byRetriever['bm25']!;
  console.log('| retriever | embedder | hit@1 | hit@5 | MRR | hit@1 vs BM25 | CPU ms/query | wall ms/query |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const { embedder, byRetriever } of results) {
    for (const mode of RETRIEVER_MODES) {
      // BM25 does not depend on the embedder: one row, from the lexical run.
      if (mode === 'bm25' && embedder !== 'lexical') continue;
      const s = byRetriever[mode]!;
      console.log(
        `| ${mode}${mode === 'bm25' ? ' (baseline)' : ''} | ${mode === 'bm25' ? '-' : embedder} | ${f3(s['hit@1'])} | ${f3(s[`hit@${K}`])} | ${f3(s.mrr)} | ` +
          `${(s['hit@1'] / base['hit@1']).toFixed(2)}x | ${s.cpuMsPerQuery.toFixed(2)} | ${s.msPerQuery.toFixed(2)} |`,
      );
    }
  }
  console.log(`\nload average ${loadavg()[0]!.toFixed(1)} at the end (2 shared cores; other work slows every row alike, so compare ratios).`);
  console.log('CPU ms/query: process CPU time (all threads) during one search of that retriever; the vector and hybrid rows include embedding the query.');
  for (const { embedder, byRetriever } of results) {
    const best = Math.max(byRetriever['bm25']!['hit@1'], byRetriever['vector']!['hit@1']);
    const hybrid = byRetriever['hybrid']!['hit@1'];
    console.log(`hybrid vs the better of its parts, ${embedder}: ${f3(hybrid)} vs ${f3(best)} (${hybrid >= best ? 'not below' : `${f3(best - hybrid)} below`}); target >= 0.800 on the holdout: ${hybrid >= 0.8 ? 'met' : 'not met'}`);
  }

  // Per intent: where each retriever finds the right article first (the near intents are the hard part).
  const cols = results.flatMap(({ embedder, byRetriever }) =>
    RETRIEVER_MODES.filter((m) => m !== 'bm25' || embedder === 'lexical').map((m) => ({ label: m === 'bm25' ? 'bm25' : `${m} ${embedder === 'lexical' ? 'lexical' : embedder.split('/').pop()}`, s: byRetriever[m]! })),
  );
  console.log(`\nhit@1 per intent:\n`);
  console.log(`| intent | n | ${cols.map((c) => c.label).join(' | ')} |`);
  console.log(`|---|---:|${cols.map(() => '---:').join('|')}|`);
  for (const intent of set.intents) {
    const n = cols[0]!.s.byGroup?.[intent]?.queries ?? 0;
    console.log(`| ${intent} | ${n} | ${cols.map((c) => f3(c.s.byGroup?.[intent]?.['hit@1'])).join(' | ')} |`);
  }
}
