/**
 * NLU benchmark: our intent classifier against nlp.js (node-nlp's NlpManager) in the same
 * run, on (1) Bitext customer-service utterances, seeded stratified 80/20 split; (2)
 * generalisation: trained on our data/intents/en.csv, tested on the Bitext utterances of
 * the intents we share; (3) a seeded held-out split of data/intents/zh.csv.
 * Ours runs with the lexical embedder and, when one loads, a real sentence model
 * (EMBEDDINGS_MODEL / MODELS_DIR as configured, else the first model installed in MODELS_DIR).
 * (4) CLINC150 out-of-scope rejection: trained on train.csv (thresholds tuned on a seeded split of
 * it), measured on val.csv: in-scope accuracy, out-of-scope precision and recall, ECE, CPU time
 * per utterance and the load average, side by side with nlp.js (its "None" is its rejection).
 * Env: BENCH_NLU_PER_INTENT caps the generalisation test set per Bitext intent (default 100);
 * BENCH_NLU_CLINC=0 skips CLINC150; BENCH_CACHE_DIR (default the OS temp dir) keeps the sentence
 * model's CLINC150 vectors between runs (embedding its 18k sentences takes minutes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { loadConfig } from '../app/config.js';
import { parseCsvObjects } from '../app/csv.js';
import { createEmbeddings, LexicalEmbeddings } from '../knowledge/index.js';
import { evaluateIntents, IntentClassifier, loadIntentExamples, OUT_OF_SCOPE, scorePredictions, type IntentEvaluation, type IntentExample } from '../skills/nlu/index.js';
import { seededRandom, shuffleInPlace } from '../skills/nlu/features.js';

const BITEXT = path.resolve('../shared/data/bitext-customer-service/bitext-customer-service-8k.csv');
const CLINC = path.resolve('../shared/data/clinc150');
const PER_INTENT = Number(process.env['BENCH_NLU_PER_INTENT'] ?? 100);
const SEED = 7;

/** Bitext intent -> ours. Unmapped (no counterpart in the shop's intents): newsletter_subscription, registration_problems, switch_account. */
const BITEXT_TO_OURS: Record<string, string> = {
  cancel_order: 'cancel_order',
  change_order: 'change_order',
  place_order: 'place_order',
  track_order: 'track_order',
  change_shipping_address: 'change_address',
  set_up_shipping_address: 'change_address',
  check_cancellation_fee: 'cancellation_fee',
  check_invoice: 'invoice',
  get_invoice: 'invoice',
  check_payment_methods: 'payment_methods',
  payment_issue: 'payment_issue',
  check_refund_policy: 'refund_policy',
  get_refund: 'refund_status',
  track_refund: 'refund_status',
  complaint: 'complaint',
  review: 'feedback',
  contact_customer_service: 'human_agent',
  contact_human_agent: 'human_agent',
  create_account: 'create_account',
  delete_account: 'delete_account',
  edit_account: 'edit_account',
  recover_password: 'reset_password',
  delivery_options: 'shipping_options',
  delivery_period: 'delivery_time',
};

interface NlpManagerLike {
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<void>;
  process(locale: string, utterance: string): Promise<{ intent: string; score: number }>;
}
const require = createRequire(import.meta.url);
const { NlpManager } = require('node-nlp') as { NlpManager: new (o: object) => NlpManagerLike };

interface Row {
  setting: string;
  system: string;
  train: number;
  test: number;
  accuracy: number;
  macroF1: number;
  trainS: number;
  msPerQuery: number;
  extra?: string;
}

function split(examples: IntentExample[], testShare: number, seed: number): { train: IntentExample[]; test: IntentExample[] } {
  const random = seededRandom(seed);
  const by = new Map<string, IntentExample[]>();
  for (const e of examples) by.set(e.intent, [...(by.get(e.intent) ?? []), e]);
  const train: IntentExample[] = [];
  const test: IntentExample[] = [];
  for (const intent of [...by.keys()].sort()) {
    const xs = shuffleInPlace([...by.get(intent)!], random);
    const n = Math.round(xs.length * testShare);
    test.push(...xs.slice(0, n));
    train.push(...xs.slice(n));
  }
  return { train, test };
}

async function runOurs(setting: string, label: string, embeddings: EmbeddingsInterface, modelId: string, train: IntentExample[], test: IntentExample[]): Promise<{ row: Row; evaluation: IntentEvaluation }> {
  const t0 = performance.now();
  const classifier = await IntentClassifier.train(train, embeddings, { modelId });
  const trainS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const evaluation = await evaluateIntents(classifier, test);
  const ms = (performance.now() - t1) / test.length;
  const c = evaluation.calibration;
  return {
    evaluation,
    row: {
      setting,
      system: `ours (${label})`,
      train: train.length,
      test: test.length,
      accuracy: evaluation.accuracy,
      macroF1: evaluation.macroF1,
      trainS,
      msPerQuery: ms,
      extra: `mix=${classifier.mixWeight} T=${classifier.temperature} ECE ${c.eceBefore}->${c.eceAfter}`,
    },
  };
}

async function runNlpJs(setting: string, locale: 'en' | 'zh', train: IntentExample[], test: IntentExample[]): Promise<Row> {
  const manager = new NlpManager({ languages: [locale], forceNER: false, nlu: { log: false }, autoSave: false });
  for (const e of train) manager.addDocument(locale, e.text, e.intent);
  const t0 = performance.now();
  await manager.train();
  const trainS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const predicted: Array<{ intent: string }> = [];
  for (const e of test) {
    const r = await manager.process(locale, e.text);
    predicted.push({ intent: r.intent === 'None' ? OUT_OF_SCOPE : r.intent });
  }
  const ms = (performance.now() - t1) / test.length;
  const evaluation = scorePredictions(
    test.map((e) => e.intent),
    predicted,
  );
  return { setting, system: 'nlp.js', train: train.length, test: test.length, accuracy: evaluation.accuracy, macroF1: evaluation.macroF1, trainS, msPerQuery: ms };
}

/** The configured sentence model, else the first one installed in MODELS_DIR; undefined when none loads. */
async function sentenceModel(): Promise<{ embeddings: EmbeddingsInterface; modelId: string } | undefined> {
  const config = loadConfig();
  const m = config.models;
  const quiet = { warn: () => undefined };
  const candidates = [m.embeddingsModel];
  if (existsSync(m.modelsDir)) {
    for (const org of readdirSync(m.modelsDir)) {
      const orgDir = path.join(m.modelsDir, org);
      if (!existsSync(orgDir) || !readdirSync(orgDir, { withFileTypes: true }).length) continue;
      for (const name of readdirSync(orgDir)) {
        const manifest = path.join(orgDir, name, 'shop-assistant-model.json');
        if (existsSync(manifest)) candidates.push((JSON.parse(readFileSync(manifest, 'utf8')) as { modelId: string }).modelId);
      }
    }
  }
  for (const modelId of candidates) {
    // A cache as large as Bitext: the generalisation test re-embeds utterances the in-domain run already embedded.
    const created = await createEmbeddings({ modelId, modelsDir: m.modelsDir, allowRemote: m.allowRemote, logger: quiet, cacheSize: 20_000 });
    if (created.kind === 'transformers') return { embeddings: created.embeddings, modelId };
    console.log(`(sentence model ${modelId} not loadable from ${m.modelsDir})`);
  }
  return undefined;
}

function table(rows: Row[]): void {
  console.log('| setting | system | train | test | accuracy | macro-F1 | train s | ms/query | notes |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.setting} | ${r.system} | ${r.train} | ${r.test} | ${r.accuracy.toFixed(4)} | ${r.macroF1.toFixed(4)} | ${r.trainS.toFixed(1)} | ${r.msPerQuery.toFixed(2)} | ${r.extra ?? ''} |`);
  }
}

function ratios(rows: Row[]): void {
  console.log('\n| setting | ours | accuracy ours / nlp.js | macro-F1 ours / nlp.js |');
  console.log('|---|---|---:|---:|');
  for (const setting of [...new Set(rows.map((r) => r.setting))]) {
    const base = rows.find((r) => r.setting === setting && r.system === 'nlp.js');
    if (!base) continue;
    for (const r of rows.filter((x) => x.setting === setting && x.system !== 'nlp.js')) {
      console.log(`| ${setting} | ${r.system} | ${(r.accuracy / base.accuracy).toFixed(3)} | ${(r.macroF1 / base.macroF1).toFixed(3)} |`);
    }
  }
}

/**
 * A sentence model's vectors kept on disk, keyed by text: a second run of the CLINC150 section
 * embeds nothing. One file pair per model (texts JSON, float32 vectors).
 */
class DiskCachedEmbeddings implements EmbeddingsInterface {
  private readonly vectors = new Map<string, number[]>();
  private dirty = false;
  private readonly base: string;

  constructor(
    private readonly inner: EmbeddingsInterface,
    modelId: string,
  ) {
    const dir = process.env['BENCH_CACHE_DIR'] ?? path.join(os.tmpdir(), 'shop-assistant-bench');
    this.base = path.join(dir, `vectors-${createHash('sha256').update(modelId).digest('hex').slice(0, 16)}`);
    if (existsSync(`${this.base}.json`) && existsSync(`${this.base}.bin`)) {
      const texts = JSON.parse(readFileSync(`${this.base}.json`, 'utf8')) as string[];
      const buf = readFileSync(`${this.base}.bin`);
      const flat = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const dim = texts.length > 0 ? flat.length / texts.length : 0;
      if (Number.isInteger(dim)) texts.forEach((t, i) => this.vectors.set(t, Array.from(flat.subarray(i * dim, (i + 1) * dim))));
    }
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const missing = [...new Set(texts.filter((t) => !this.vectors.has(t)))];
    if (missing.length > 0) {
      const got = await this.inner.embedDocuments(missing);
      missing.forEach((t, i) => this.vectors.set(t, got[i]!));
      this.dirty = true;
    }
    return texts.map((t) => this.vectors.get(t)!);
  }

  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }

  save(): void {
    if (!this.dirty || this.vectors.size === 0) return;
    mkdirSync(path.dirname(this.base), { recursive: true });
    const texts = [...this.vectors.keys()];
    const dim = this.vectors.get(texts[0]!)!.length;
    const flat = new Float32Array(texts.length * dim);
    texts.forEach((t, i) => flat.set(this.vectors.get(t)!, i * dim));
    writeFileSync(`${this.base}.bin`, Buffer.from(flat.buffer));
    writeFileSync(`${this.base}.json`, JSON.stringify(texts));
    this.dirty = false;
  }
}

interface OosRow {
  system: string;
  inScope: number;
  oosPrecision: number;
  oosRecall: number;
  ece: string;
  trainS: number;
  cpuMsPerUtterance: number;
  load: string;
}

const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function clincOurs(label: string, embeddings: EmbeddingsInterface, modelId: string, train: IntentExample[], test: IntentExample[]): Promise<OosRow> {
  const t0 = performance.now();
  const classifier = await IntentClassifier.train(train, embeddings, { modelId });
  const trainS = (performance.now() - t0) / 1000;
  const c0 = cpuMs();
  const evaluation = await evaluateIntents(classifier, test);
  const cpu = (cpuMs() - c0) / test.length;
  const c = evaluation.calibration;
  const v = classifier.report.validation;
  return {
    system: `ours (${label}), threshold ${classifier.oos?.threshold ?? '-'}`,
    inScope: evaluation.inScopeAccuracy,
    oosPrecision: evaluation.outOfScope.precision,
    oosRecall: evaluation.outOfScope.recall,
    ece: `${c.eceBefore.toFixed(3)} -> ${c.eceAfter.toFixed(3)}${v.temperatureKept ? '' : ' (dropped)'}; answer ${c.eceAnswer.toFixed(3)}`,
    trainS,
    cpuMsPerUtterance: cpu,
    load: loadAverage(),
  };
}

async function clincNlpJs(train: IntentExample[], test: IntentExample[]): Promise<OosRow> {
  const manager = new NlpManager({ languages: ['en'], forceNER: false, nlu: { log: false }, autoSave: false });
  for (const e of train) manager.addDocument('en', e.text, e.intent);
  const t0 = performance.now();
  await manager.train();
  const trainS = (performance.now() - t0) / 1000;
  const c0 = cpuMs();
  const predicted: Array<{ intent: string }> = [];
  for (const e of test) {
    const r = await manager.process('en', e.text);
    predicted.push({ intent: r.intent === 'None' ? OUT_OF_SCOPE : r.intent });
  }
  const cpu = (cpuMs() - c0) / test.length;
  const evaluation = scorePredictions(
    test.map((e) => e.intent),
    predicted,
  );
  return { system: 'nlp.js', inScope: evaluation.inScopeAccuracy, oosPrecision: evaluation.outOfScope.precision, oosRecall: evaluation.outOfScope.recall, ece: '-', trainS, cpuMsPerUtterance: cpu, load: loadAverage() };
}

/** The CLINC150 section alone (`run` ends with it). */
export async function runClinc(model = sentenceModel()): Promise<void> {
  await clincSection(await model);
}

async function clincSection(model: { embeddings: EmbeddingsInterface; modelId: string } | undefined): Promise<void> {
  if (process.env['BENCH_NLU_CLINC'] === '0') return;
  if (!existsSync(path.join(CLINC, 'train.csv')) || !existsSync(path.join(CLINC, 'val.csv'))) {
    console.log(`(${CLINC} not found: CLINC150 skipped)`);
    return;
  }
  const train = await loadIntentExamples(path.join(CLINC, 'train.csv'));
  const test = await loadIntentExamples(path.join(CLINC, 'val.csv'));
  const rows: OosRow[] = [await clincOurs('lexical', new LexicalEmbeddings(), 'lexical', train, test)];
  if (model) {
    const cached = new DiskCachedEmbeddings(model.embeddings, model.modelId);
    try {
      rows.push(await clincOurs(model.modelId, cached, model.modelId, train, test));
    } finally {
      cached.save();
    }
  }
  rows.push(await clincNlpJs(train, test));
  console.log(`
CLINC150: trained on train.csv (${train.length}), measured on val.csv (${test.length}, ${test.filter((e) => e.intent === OUT_OF_SCOPE).length} out of scope); our thresholds come from a seeded split of train.csv`);
  console.log('| system | in-scope accuracy | OOS precision | OOS recall | ECE before -> after; answer | train s | CPU ms/utterance | load avg 1/5/15 |');
  console.log('|---|---:|---:|---:|---|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.system} | ${r.inScope.toFixed(4)} | ${r.oosPrecision.toFixed(4)} | ${r.oosRecall.toFixed(4)} | ${r.ece} | ${r.trainS.toFixed(1)} | ${r.cpuMsPerUtterance.toFixed(2)} | ${r.load} |`);
  }
  console.log('targets: in-scope >= 0.93 and OOS recall >= 0.60 with the sentence model, >= 0.85 / >= 0.45 lexical');
  console.log('CPU ms/utterance: process CPU time of scoring val.csv over its size; the sentence model\'s row includes embedding only when its vectors were not cached yet (BENCH_CACHE_DIR)');
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const model = await sentenceModel();
  console.log(`sentence model: ${model ? model.modelId : 'none loadable (only the lexical embedder runs)'}`);
  const systems: Array<{ label: string; make: () => EmbeddingsInterface; modelId: string }> = [{ label: 'lexical', make: () => new LexicalEmbeddings(), modelId: 'lexical' }];
  if (model) systems.push({ label: model.modelId, make: () => model.embeddings, modelId: model.modelId });

  if (existsSync(BITEXT)) {
    const bitext = parseCsvObjects(readFileSync(BITEXT, 'utf8')).map((r) => ({ text: r['utterance']!, intent: r['intent']! }));
    // 1. In-domain: Bitext's 27 intents, seeded stratified 80/20.
    const { train, test } = split(bitext, 0.2, SEED);
    for (const s of systems) rows.push((await runOurs('bitext 80/20', s.label, s.make(), s.modelId, train, test)).row);
    rows.push(await runNlpJs('bitext 80/20', 'en', train, test));

    // 2. Generalisation: our EN examples -> Bitext utterances of the shared intents (capped per Bitext intent).
    const ours = await loadIntentExamples(path.resolve('data/intents/en.csv'));
    const random = seededRandom(SEED + 1);
    const byIntent = new Map<string, IntentExample[]>();
    for (const e of bitext) if (BITEXT_TO_OURS[e.intent]) byIntent.set(e.intent, [...(byIntent.get(e.intent) ?? []), e]);
    const general: IntentExample[] = [];
    for (const intent of [...byIntent.keys()].sort()) {
      general.push(...shuffleInPlace(byIntent.get(intent)!, random).slice(0, PER_INTENT).map((e) => ({ text: e.text, intent: BITEXT_TO_OURS[e.intent]! })));
    }
    console.log(`\ngeneralisation mapping (Bitext -> ours), ${PER_INTENT} utterances per Bitext intent:`);
    console.log(Object.entries(BITEXT_TO_OURS).map(([b, o]) => `${b}->${o}`).join(', '));
    for (const s of systems) {
      const { row, evaluation } = await runOurs('generalisation en->bitext', s.label, s.make(), s.modelId, ours, general);
      rows.push(row);
      console.log(`top confusions (${s.label}): ${evaluation.confusions.slice(0, 6).map((c) => `${c.actual}->${c.predicted} ${c.count}`).join('; ')}`);
    }
    rows.push(await runNlpJs('generalisation en->bitext', 'en', ours, general));
  } else {
    console.log(`(${BITEXT} not found: Bitext settings skipped)`);
  }

  // 3. Chinese: seeded 80/20 of our zh examples.
  const zh = await loadIntentExamples(path.resolve('data/intents/zh.csv'));
  const zhSplit = split(zh, 0.2, SEED);
  for (const s of systems) rows.push((await runOurs('zh 80/20 (ours data)', s.label, s.make(), s.modelId, zhSplit.train, zhSplit.test)).row);
  rows.push(await runNlpJs('zh 80/20 (ours data)', 'zh', zhSplit.train, zhSplit.test));

  console.log('');
  table(rows);
  ratios(rows);

  // 4. Out-of-scope rejection on CLINC150.
  await clincSection(model);
}
