/**
 * The conversation bench (issue 15), the product's scoreboard: every scenario in
 * data/conversations played through the real bot (web channel, demo shop, fresh SQLite store)
 * with the lexical embedder — the baseline, measured in the same run — and with the sentence
 * model when one is installed (EMBEDDINGS_MODEL / MODELS_DIR). Reports each split, the test
 * split's table per category and language, and CPU per conversation with the load average.
 * Tune on the dev split only; the test split is what we report.
 * Env: BENCH_CONV_SPLIT=dev|test (default both), BENCH_CONV_FAILURES=1 prints every failure.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { formatFailures, formatTable, loadScenarios, runScenarios, summarize, type BenchSummary } from '../app/conv-eval/index.js';

export async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: 'error' }, process.stderr);
  const only = process.env['BENCH_CONV_SPLIT'];
  const scenarios = loadScenarios(path.resolve('data/conversations')).filter((s) => !only || s.split === only);
  const model = config.models.embeddingsModel;
  const installed = model !== 'lexical' && existsSync(path.join(config.models.modelsDir, model));
  const embedders = ['lexical', ...(installed ? [model] : [])];
  if (!installed) console.log(`(no sentence model at ${path.join(config.models.modelsDir, model)}: run \`npm run cli -- models:pull\` to measure it too)\n`);
  const rows: string[] = [];
  const tables: string[] = [];
  for (const embeddingsModel of embedders) {
    const load = loadavg()[0]!.toFixed(2);
    const zh = embeddingsModel === 'lexical' ? {} : { embeddingsModelZh: config.models.embeddingsModelZh };
    const r = await runScenarios(scenarios, { embeddingsModel, ...zh, modelsDir: config.models.modelsDir, logger });
    const bySplit = (split: string): BenchSummary => summarize(r.results.filter((x) => x.scenario.split === split));
    const pct = (s: BenchSummary) => (s.overall.total ? `${(100 * s.overall.rate).toFixed(1)}% (${s.overall.right}/${s.overall.total})` : '-');
    const lang = (s: BenchSummary, l: string) => {
      const x = s.byLanguage[l];
      return x && x.total ? `${(100 * x.rate).toFixed(1)}%` : '-';
    };
    const test = bySplit('test');
    const dev = bySplit('dev');
    rows.push(
      `| ${r.modelId} | ${pct(test)} | ${lang(test, 'en')} | ${lang(test, 'zh')} | ${pct(dev)} | ${r.cpuMsPerConversation.toFixed(1)} | ${r.startSeconds.toFixed(1)} | ${load} |`,
    );
    tables.push(`Test split, ${r.modelId}:\n\n${formatTable(test)}`);
    if (process.env['BENCH_CONV_FAILURES'] === '1') console.log(formatFailures(r.results));
  }
  console.log(`${scenarios.length} conversations (${scenarios.filter((s) => s.split === 'test').length} test, ${scenarios.filter((s) => s.split === 'dev').length} dev), one after another through the web channel (WeChat for its own scenarios).\n`);
  console.log('| embeddings | test right | test EN | test ZH | dev right | CPU ms per conversation | server start s | load avg |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\n${tables.join('\n\n')}`);
}
