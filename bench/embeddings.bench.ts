/**
 * Embedding throughput: sentences/s of our TransformersEmbeddings (cold cache, warm cache,
 * one query at a time) against the raw transformers.js feature-extraction pipeline doing
 * the same work in the same run (one call per sentence, batches of the same size, one
 * call for everything), on the generated tiny model and on the real model when it is
 * installed (`npm run cli -- models:pull`). The lexical embedder is shown for scale.
 *
 * BENCH_EMBED_SENTENCES (default 256) sets the number of sentences.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, pipeline } from '@xenova/transformers';
import { LexicalEmbeddings, makeTinyModel, TransformersEmbeddings } from '../knowledge/index.js';
import { listKnownModels, RECOMMENDED_MODEL_ID } from '../knowledge/models/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SENTENCES = Number(process.env['BENCH_EMBED_SENTENCES'] ?? 256);
const BATCH = 16;

/** Real shop text: the demo knowledge base's paragraphs and product titles, EN and ZH. */
function sentences(n: number): string[] {
  const out: string[] = [];
  const kb = path.join(root, 'data', 'demo-shop', 'knowledge');
  for (const f of readdirSync(kb).sort()) {
    for (const p of readFileSync(path.join(kb, f), 'utf8').split(/\n\s*\n/)) {
      const t = p.replace(/^#+\s*/gm, '').trim();
      if (t.length > 0) out.push(t.slice(0, 400));
    }
  }
  const products = JSON.parse(readFileSync(path.join(root, 'data', 'demo-shop', 'products.json'), 'utf8')) as {
    title: { en: string; zh: string };
  }[];
  for (const p of products) out.push(p.title.en, p.title.zh);
  const unique = [...new Set(out)];
  const picked: string[] = [];
  // Spread the picks over the whole list (so EN and ZH, long and short all appear).
  for (let i = 0; i < n; i++) picked.push(unique[Math.floor((i * unique.length) / n)]!);
  return [...new Set(picked)];
}

interface Row {
  model: string;
  how: string;
  perSec: number;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function benchModel(label: string, modelId: string, modelsDir: string, texts: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const n = texts.length;
  // Raw pipeline: the same settings TransformersEmbeddings uses (local folder, quantized, mean pooling, normalised).
  env.localModelPath = modelsDir;
  env.cacheDir = modelsDir;
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const raw = await pipeline('feature-extraction', modelId, { quantized: true });
  const opts = { pooling: 'mean', normalize: true } as const;
  await raw(texts.slice(0, 4), opts); // warm-up
  let s = await time(async () => {
    for (const t of texts) await raw(t, opts);
  });
  rows.push({ model: label, how: 'raw pipeline, 1 sentence per call', perSec: n / s });
  s = await time(async () => {
    for (let i = 0; i < n; i += BATCH) await raw(texts.slice(i, i + BATCH), opts);
  });
  rows.push({ model: label, how: `raw pipeline, batches of ${BATCH}`, perSec: n / s });
  // Padding is to the longest text of a batch, so batches of similar lengths waste less.
  const byLength = [...texts].sort((a, b) => a.length - b.length);
  s = await time(async () => {
    for (let i = 0; i < n; i += BATCH) await raw(byLength.slice(i, i + BATCH), opts);
  });
  rows.push({ model: label, how: `raw pipeline, batches of ${BATCH} sorted by length`, perSec: n / s });
  s = await time(() => raw(texts, opts));
  rows.push({ model: label, how: `raw pipeline, 1 call of all ${n}`, perSec: n / s });

  // The defaults (one text per call), as the server uses them.
  const defaults = new TransformersEmbeddings({ modelId, modelsDir, cacheSize: 10_000 });
  await defaults.load();
  await defaults.embedDocuments(['warm up one', 'warm up two']);
  s = await time(() => defaults.embedDocuments(texts));
  rows.push({ model: label, how: 'TransformersEmbeddings.embedDocuments, cold cache (defaults)', perSec: n / s });

  const ours = new TransformersEmbeddings({ modelId, modelsDir, batchSize: BATCH, cacheSize: 10_000 });
  await ours.load();
  await ours.embedDocuments(['warm up one', 'warm up two']);
  s = await time(() => ours.embedDocuments(texts));
  rows.push({ model: label, how: `TransformersEmbeddings.embedDocuments, cold cache (batch ${BATCH}, grouped by length)`, perSec: n / s });
  s = await time(() => ours.embedDocuments(texts));
  rows.push({ model: label, how: 'TransformersEmbeddings.embedDocuments, warm cache', perSec: n / s });
  const single = new TransformersEmbeddings({ modelId, modelsDir, cacheSize: 0 });
  await single.load();
  s = await time(async () => {
    for (const t of texts) await single.embedQuery(t);
  });
  rows.push({ model: label, how: 'TransformersEmbeddings.embedQuery per sentence, no cache', perSec: n / s });
  return rows;
}

function printTable(rows: Row[]): void {
  console.log('| model | what | sentences/s | vs raw 1/call |');
  console.log('|---|---|---:|---:|');
  for (const r of rows) {
    const base = rows.find((x) => x.model === r.model && x.how === 'raw pipeline, 1 sentence per call');
    const ratio = base ? `${(r.perSec / base.perSec).toFixed(2)}x` : '-';
    console.log(`| ${r.model} | ${r.how} | ${r.perSec.toFixed(0)} | ${ratio} |`);
  }
}

export async function run(): Promise<void> {
  const texts = sentences(SENTENCES);
  const avgChars = texts.reduce((a, t) => a + t.length, 0) / texts.length;
  console.log(
    `${texts.length} sentences from data/demo-shop (mean ${avgChars.toFixed(0)} chars); load average ${loadavg()[0]!.toFixed(1)} (other work on the machine slows every row alike; compare ratios)`,
  );
  const tmp = mkdtempSync(path.join(tmpdir(), 'bench-embed-'));
  const rows: Row[] = [];
  try {
    await makeTinyModel(tmp, 'tiny-bert');
    rows.push(...(await benchModel('tiny (generated)', 'tiny-bert', tmp, texts)));
    const modelsDir = path.resolve(root, process.env['MODELS_DIR'] ?? 'models');
    const real = (await listKnownModels(modelsDir)).find((m) => m.id === RECOMMENDED_MODEL_ID);
    if (real?.installed) {
      rows.push(...(await benchModel(real.id, real.id, modelsDir, texts)));
    } else {
      console.log(`(${RECOMMENDED_MODEL_ID} is not installed in ${modelsDir}: run npm run cli -- models:pull to include it)`);
    }
    const lexical = new LexicalEmbeddings();
    const s = await time(async () => {
      lexical.fit(texts);
      await lexical.embedDocuments(texts);
    });
    rows.push({ model: 'lexical (hashed n-grams)', how: 'fit + embedDocuments', perSec: texts.length / s });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  printTable(rows);
}
