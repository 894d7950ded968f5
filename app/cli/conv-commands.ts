import path from 'node:path';
import { formatFailures, formatTable, loadScenarios, runScenarios, summarize } from '../conv-eval/index.js';
import { ShopError } from '../../store/index.js';
import { flag, TextOutput, type Command } from './command.js';

export const DEFAULT_SCENARIOS = 'data/conversations';
const USAGE = 'conv:eval [--scenarios <file|dir>] [--split dev|test] [--only <id-prefix>] [--embeddings lexical|configured] [--min <0..1>] [--json]';

/** conv:eval: plays the conversation scenarios through the real bot and reports what a shopper would judge right. */
export const convCommands: Record<string, Command> = {
  'conv:eval': {
    usage: USAGE,
    summary:
      'Play scripted shopper conversations through the real bot (web channel, demo shop on a fresh SQLite store, the configured embeddings); print every failure and a table per category and language; exit 1 below --min.',
    run: async (args, { config, logger, progress }) => {
      const target = flag(args, '--scenarios') ?? DEFAULT_SCENARIOS;
      const split = flag(args, '--split');
      if (split !== undefined && split !== 'dev' && split !== 'test') throw new ShopError('bad_request', `--split must be dev or test, got ${split}`);
      const only = flag(args, '--only');
      const which = flag(args, '--embeddings') ?? 'configured';
      if (which !== 'lexical' && which !== 'configured') throw new ShopError('bad_request', `--embeddings must be lexical or configured, got ${which}`);
      const minRaw = flag(args, '--min');
      const min = minRaw === undefined ? undefined : Number(minRaw);
      if (min !== undefined && !(min >= 0 && min <= 1)) throw new ShopError('bad_request', `--min must be a rate from 0 to 1, got ${minRaw}`);
      const scenarios = loadScenarios(path.resolve(target)).filter((s) => (!split || s.split === split) && (!only || s.id.startsWith(only)));
      if (scenarios.length === 0) throw new ShopError('bad_request', `no scenarios in ${target}${split ? ` (split ${split})` : ''}${only ? ` starting with ${only}` : ''}`);
      const { modelId, results, startSeconds, wallSeconds, cpuMsPerConversation } = await runScenarios(scenarios, {
        embeddingsModel: which === 'lexical' ? 'lexical' : config.models.embeddingsModel,
        ...(which === 'lexical' ? {} : { embeddingsModelZh: config.models.embeddingsModelZh }),
        modelsDir: config.models.modelsDir,
        logger,
        onResult: (_r, done, total) => progress.update('conversations', done, total),
      });
      const summary = summarize(results);
      const timing = { startSeconds: Math.round(startSeconds * 10) / 10, wallSeconds: Math.round(wallSeconds * 10) / 10, cpuMsPerConversation: Math.round(cpuMsPerConversation) };
      const below = min !== undefined && summary.overall.rate < min;
      if (args.includes('--json')) {
        const failures = results.filter((r) => !r.ok).map((r) => ({ id: r.scenario.id, file: r.scenario.file, turns: r.turns }));
        return new TextOutput(JSON.stringify({ embeddings: modelId, scenarios: results.length, ...timing, summary, failures }, null, 2), below ? 1 : 0);
      }
      const text = [
        formatFailures(results),
        '',
        `Embeddings: ${modelId}; ${results.length} conversations${split ? ` (${split} split)` : ''}; server ready in ${timing.startSeconds} s; conversations ${timing.wallSeconds} s, ${timing.cpuMsPerConversation} ms CPU per conversation (server and client in this process).`,
        '',
        formatTable(summary),
        ...(below ? ['', `Below --min ${min}: ${(100 * summary.overall.rate).toFixed(1)}% right.`] : []),
      ].join('\n');
      return new TextOutput(text, below ? 1 : 0);
    },
  },
};
