/**
 * Chinese word segmentation against character n-grams (issue 16, part 5), same run, same
 * machine. Today Chinese is analysed as character unigrams + bigrams (BM25,
 * knowledge/retrieval/analyzer.ts) and character 1..3-grams (the intent classifier's lexical
 * features, skills/nlu/features.ts). Each segmenter is measured three ways:
 *   (a) n-grams: today's analysis, the baseline;
 *   (b) words: the segmenter's words in place of the n-grams;
 *   (c) words + n-grams: both.
 * Segmenters: jieba-wasm (jieba-rs compiled to WASM, MIT; a devDependency used by this bench
 * only) and, as a zero-install reference, Node's built-in Intl.Segmenter (ICU's dictionary).
 * Without jieba-wasm installed its rows are left out with a note; the rest still runs.
 *
 * 1. BM25 on the Chinese queries of data/kb-eval: hit@1, hit@5, MRR, answered at the default
 *    confidence floor, off-topic answered, CPU ms per query; BM25 alone and the hybrid with the
 *    lexical embedder (whose own vectors keep their n-grams: only BM25's terms change).
 * 2. Intents on data/intents/zh.csv with the lexical embedder: the classifier's seeded
 *    validation split (seed 42, its default), the mean over BENCH_SEGMENTER_SEEDS seeds, and
 *    the seed-42 model (trained on every example) on the hard Chinese phrasings of
 *    data/nlu-eval/hard-zh.csv (when present). The classifier takes text, not features, so (b) hands it each Chinese word as
 *    one opaque letter token (its characters moved to CJK Extension B, which the lexical
 *    features read as a word: word, word bigram and in-word character n-gram features in
 *    place of the cross-word n-grams; embedder and hashed features alike); (c) appends those
 *    tokens to the original text.
 * Env: BENCH_SEGMENTER_SEEDS (default 10, at most 10).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Bm25Index,
  DEFAULT_MIN_CONFIDENCE,
  detectLocale,
  evaluateRetrieval,
  HnswVectorStore,
  HybridIndex,
  LexicalEmbeddings,
  loadEvalArticles,
  loadEvalQueries,
  type EvalArticle,
  type EvalQuery,
  type HybridIndexOptions,
} from '../knowledge/index.js';
import { analyze } from '../knowledge/retrieval/index.js';
import { evaluateIntents, IntentClassifier, loadIntentExamples, type IntentExample } from '../skills/nlu/index.js';
import type { Locale } from '../store/index.js';

/** What the bench uses of jieba-wasm (its nodejs build). */
type JiebaModule = { cut(text: string, hmm?: boolean | null): string[] };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K = 5;
const SEEDS = [42, 1, 2, 3, 4, 5, 6, 7, 8, 9].slice(0, Math.max(1, Math.min(10, Number(process.env['BENCH_SEGMENTER_SEEDS'] ?? 10) || 10)));
// The analyzer's Chinese runs (Han, kana, Hangul) and the Han range the intent tokens remap.
const CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const HAN_RUN = /[\u3400-\u4dbf\u4e00-\u9fff]+/gu;

interface Segmenter {
  name: string;
  /** Words of one run of Chinese characters. */
  cut(run: string): string[];
  /** Package, licence, install size, load time: one line for the table. */
  about: string;
}

type Variant = { label: string; segmenter?: Segmenter; mode: 'ngrams' | 'words' | 'both' };

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** jieba-wasm when installed: load (WASM instantiation and the dictionary, built on first use) timed. */
async function jieba(): Promise<Segmenter | string> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let mod: JiebaModule;
  try {
    mod = await import('jieba-wasm');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'jieba-wasm is not installed: `npm install` adds it (a devDependency); its rows are left out';
    return `jieba-wasm did not load (${err instanceof Error ? err.message : String(err)}); its rows are left out`;
  }
  mod.cut('退货运费谁出', true);
  const loadMs = performance.now() - t0;
  const loadCpu = cpuMs(c0);
  const dir = path.join(ROOT, 'node_modules/jieba-wasm');
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string; license?: string };
  const mb = (dirBytes(dir) / 2 ** 20).toFixed(1);
  return {
    name: 'jieba-wasm',
    cut: (run) => mod.cut(run, true),
    about: `jieba-wasm ${pkg.version ?? '?'} (${pkg.license ?? '?'}, WASM, no native build): ${mb} MiB installed; load + first cut ${loadMs.toFixed(0)} ms wall, ${loadCpu.toFixed(0)} ms CPU`,
  };
}

function icu(): Segmenter {
  const t0 = performance.now();
  const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
  const cut = (run: string): string[] => [...segmenter.segment(run)].map((s) => s.segment);
  cut('退货运费谁出');
  return { name: 'Intl.Segmenter', cut, about: `Intl.Segmenter (Node ${process.versions.node}, ICU ${process.versions.icu ?? '?'}, built in): 0 MiB; first cut ${(performance.now() - t0).toFixed(0)} ms wall` };
}

/** A Chinese word that is nothing but the analyzer's function characters (的, 怎么, 我们) carries no topic. */
const isStopWord = (w: string): boolean => [...w].every((c) => analyze(c).length === 0);

/** The BM25 analyzer of a variant: Latin handling is today's in every variant; only Chinese changes. */
function bm25Analyzer(v: Variant): (text: string) => string[] {
  const seg = v.segmenter;
  if (v.mode === 'ngrams' || !seg) return analyze;
  return (text) => {
    const normalised = text.normalize('NFKC').toLowerCase();
    const words: string[] = [];
    for (const m of normalised.matchAll(CJK_RUN)) {
      // Prefixed in (c): a two-character word and the bigram of the same characters keep their own statistics.
      for (const w of seg.cut(m[0])) if (!isStopWord(w)) words.push(v.mode === 'both' ? `w:${w}` : w);
    }
    const latin = analyze(normalised.replace(CJK_RUN, ' '));
    return v.mode === 'both' ? [...analyze(normalised), ...words] : [...words, ...latin];
  };
}

/** Today's HybridIndex with a chosen BM25 analyzer (the app's index always uses `analyze`). */
function hybridWith(analyzer: (text: string) => string[], embeddings: LexicalEmbeddings, vectors: HnswVectorStore, opts?: HybridIndexOptions): HybridIndex {
  class Index extends HybridIndex {
    override readonly bm25 = new Bm25Index<{ documentId: string; locale: Locale }>({ analyzer });
  }
  return new Index(embeddings, vectors, opts);
}

async function buildIndex(articles: EvalArticle[], analyzer: (text: string) => string[]): Promise<HybridIndex> {
  const embeddings = new LexicalEmbeddings();
  const vectors = new HnswVectorStore(embeddings, { space: 'cosine', dimension: embeddings.dimension, initialCapacity: Math.max(16, articles.length * 4) });
  const index = hybridWith(analyzer, embeddings, vectors);
  for (const a of articles) {
    await index.addArticle({ id: a.id, slug: a.id, locale: a.locale, title: a.title, body: a.body, category: a.category ?? 'general', tags: a.tags ?? [] });
  }
  return index;
}

/** A Han word as one letter token the lexical features read as a word (Extension B, one to one). */
const opaque = (word: string): string => String.fromCodePoint(...[...word].map((c) => 0x20000 + c.codePointAt(0)! - 0x3400));

function intentText(v: Variant, text: string): string {
  const seg = v.segmenter;
  if (v.mode === 'ngrams' || !seg) return text;
  const tokens = (run: string): string => seg.cut(run).map(opaque).join(' ');
  if (v.mode === 'words') return text.replace(HAN_RUN, (run) => ` ${tokens(run)} `);
  return `${text} ${[...text.matchAll(HAN_RUN)].map((m) => tokens(m[0])).join(' ')}`;
}

const f3 = (x: number | undefined): string => (x ?? 0).toFixed(3);
const ratio = (x: number, base: number): string => (base > 0 ? `${(x / base).toFixed(2)}x` : '-');

async function retrievalSection(variants: Variant[]): Promise<void> {
  const articles = await loadEvalArticles(path.join(ROOT, 'data/kb-eval/articles.jsonl'));
  const all = await loadEvalQueries(path.join(ROOT, 'data/kb-eval/queries.csv'), new Set(articles.map((a) => a.id)));
  const queries: EvalQuery[] = all.filter((q) => detectLocale(q.query) === 'zh');
  const answerable = queries.filter((q) => q.expected.length > 0).length;
  console.log(`\n## 1. BM25 and hybrid (lexical embedder) on data/kb-eval, Chinese queries only: ${answerable} answerable, ${queries.length - answerable} off-topic; ${articles.length} articles; k=${K}; load average ${loadavg()[0]!.toFixed(2)}\n`);
  console.log(`| retriever | Chinese terms | hit@1 | hit@5 | MRR | MRR vs n-grams | answered at ${DEFAULT_MIN_CONFIDENCE} | off-topic answered | CPU ms/query |`);
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const lines = new Map<'bm25' | 'hybrid', string[]>([
    ['bm25', []],
    ['hybrid', []],
  ]);
  const base = new Map<string, number>();
  for (const v of variants) {
    const index = await buildIndex(articles, bm25Analyzer(v));
    // A first pass warms the JIT for this analyzer; the second is measured (same hits, steadier CPU).
    await evaluateRetrieval(index, queries, { k: K });
    const r = await evaluateRetrieval(index, queries, { k: K });
    for (const mode of ['bm25', 'hybrid'] as const) {
      const s = r.byRetriever[mode];
      if (v.mode === 'ngrams') base.set(mode, s.mrr);
      // `answered` and off-topic are the hybrid's (the app's) decisions: shown on the hybrid rows.
      const decided = mode === 'hybrid' ? [`${(r.answered.rate * 100).toFixed(1)}%`, `${(r.offTopic.falsePositiveRate * 100).toFixed(1)}% of ${r.offTopic.count}`] : ['', ''];
      lines.get(mode)!.push(`| ${mode} | ${v.label} | ${f3(s['hit@1'])} | ${f3(s[`hit@${K}`])} | ${f3(s.mrr)} | ${ratio(s.mrr, base.get(mode) ?? 0)} | ${decided[0]} | ${decided[1]} | ${s.cpuMsPerQuery.toFixed(2)} |`);
    }
  }
  for (const l of [...lines.get('bm25')!, ...lines.get('hybrid')!]) console.log(l);
  console.log('\nCPU ms/query: process CPU of one search (the analyzer and segmenter included), averaged.');
}

async function intentSection(variants: Variant[]): Promise<void> {
  const examples = await loadIntentExamples(path.join(ROOT, 'data/intents/zh.csv'));
  const hardFile = path.join(ROOT, 'data/nlu-eval/hard-zh.csv');
  const hard = existsSync(hardFile) ? await loadIntentExamples(hardFile) : [];
  console.log(
    `\n## 2. Intents, data/intents/zh.csv (${examples.length} examples), lexical embedder: the classifier's validation split (seed 42), and the mean over seeds ${SEEDS.join(', ')}; load average ${loadavg()[0]!.toFixed(2)}\n`,
  );
  console.log(
    `| Chinese features | accuracy (seed 42) | in-scope acc. | linear alone | accuracy, mean of ${SEEDS.length} seeds | vs n-grams | min..max | seeds better / worse than n-grams | hard-zh (${hard.length}) | train CPU s | classify CPU ms/utterance |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  let base = 0;
  let baseAccs: number[] = [];
  for (const v of variants) {
    const accs: number[] = [];
    let first: IntentClassifier | undefined;
    let trainCpu = 0;
    for (const seed of SEEDS) {
      const c0 = process.cpuUsage();
      const data: IntentExample[] = examples.map((e) => ({ ...e, text: intentText(v, e.text) }));
      const classifier = await IntentClassifier.train(data, new LexicalEmbeddings(), { modelId: 'lexical', seed });
      if (seed === 42) trainCpu = cpuMs(c0) / 1000;
      first ??= classifier;
      accs.push(classifier.report.validation.accuracy);
    }
    const texts = examples.map((e) => e.text);
    const c1 = process.cpuUsage();
    await first!.classifyBatch(texts.map((t) => intentText(v, t)));
    const classifyMs = cpuMs(c1) / texts.length;
    const hardAcc = hard.length > 0 ? f3((await evaluateIntents(first!, hard.map((e) => ({ ...e, text: intentText(v, e.text) })))).accuracy) : '-';
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    if (v.mode === 'ngrams') {
      base = mean;
      baseAccs = accs;
    }
    // Same seed, same split: a paired count says more than the means on ~200 validation examples.
    const better = accs.filter((a, i) => a > baseAccs[i]! + 1e-9).length;
    const worse = accs.filter((a, i) => a < baseAccs[i]! - 1e-9).length;
    const val = first!.report.validation;
    console.log(
      `| ${v.label} | ${f3(val.accuracy)} (${first!.report.validationSize}) | ${f3(val.inScopeAccuracy)} | ${f3(val.linearAccuracy)} | ${f3(mean)} | ${ratio(mean, base)} | ` +
        `${f3(Math.min(...accs))}..${f3(Math.max(...accs))} | ${v.mode === 'ngrams' ? '-' : `${better} / ${worse}`} | ${hardAcc} | ${trainCpu.toFixed(1)} | ${classifyMs.toFixed(2)} |`,
    );
  }
  console.log('\nTrain CPU: seed 42, segmentation included. Classify: every example once through the trained seed-42 model, segmentation included.');
}

export async function run(): Promise<void> {
  const segmenters: Segmenter[] = [];
  const j = await jieba();
  if (typeof j === 'string') console.log(`(${j})`);
  else segmenters.push(j);
  segmenters.push(icu());
  console.log('Segmenters:');
  for (const s of segmenters) console.log(`- ${s.about}`);
  console.log('\nHow they cut shop questions:');
  for (const q of ['退货运费谁出', '我买的鞋子不合适想换货', '怎样才能成为VIP会员，积分怎么用', '羽绒服可以机洗吗', '快递显示签收了但我没收到']) {
    const cuts = segmenters.map((s) => `${s.name}: ${[...q.matchAll(CJK_RUN)].flatMap((m) => s.cut(m[0])).join(' | ')}`);
    console.log(`- ${q} -> ${cuts.join('; ')}`);
  }
  const variants: Variant[] = [{ label: '(a) n-grams (today, baseline)', mode: 'ngrams' }];
  for (const s of segmenters) {
    variants.push({ label: `(b) ${s.name} words`, segmenter: s, mode: 'words' });
    variants.push({ label: `(c) ${s.name} words + n-grams`, segmenter: s, mode: 'both' });
  }
  await retrievalSection(variants);
  await intentSection(variants);
}
