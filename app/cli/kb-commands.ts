import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  buildEvalIndex,
  createEmbeddings,
  DEFAULT_MIN_CONFIDENCE,
  embeddingLocales,
  evaluateRetrieval,
  KnowledgeBase,
  loadEvalArticles,
  loadEvalQueries,
  loadKnowledgeDir,
  loadKnowledgeFile,
  type CreatedEmbeddings,
  type EvalQuery,
} from '../../knowledge/index.js';
import { BITEXT_SEED, BITEXT_SPLITS, BITEXT_TUNE_SHARE, bitextSplit, loadBitextEval, sampleByGroup, type BitextSplit } from '../../knowledge/retrieval/index.js';
import { ShopError, type KnowledgeInput, type Locale } from '../../store/index.js';
import { flag, positionals, requiredFlag, type Command, type CommandContext } from './command.js';
import { auditCli } from './audit-commands.js';

async function embeddingsFor(ctx: CommandContext): Promise<CreatedEmbeddings> {
  const m = ctx.config.models;
  return createEmbeddings({ modelId: m.embeddingsModel, modelsDir: m.modelsDir, allowRemote: m.allowRemote, logger: ctx.logger });
}

async function openKb(ctx: CommandContext): Promise<KnowledgeBase> {
  const e = await embeddingsFor(ctx);
  const vectorLocales = await embeddingLocales(e, ctx.config.models.modelsDir);
  return KnowledgeBase.open({
    store: await ctx.store(),
    embeddings: e.embeddings,
    modelId: e.modelId,
    dimension: e.dimension,
    ...(vectorLocales ? { vectorLocales } : {}),
    indexDir: ctx.config.models.indexDir,
    logger: ctx.logger,
  });
}

function localeFlag(args: string[]): Locale | undefined {
  const v = flag(args, '--locale');
  if (v === undefined) return undefined;
  if (v !== 'en' && v !== 'zh') throw new ShopError('bad_request', `--locale must be en or zh, got "${v}"`);
  return v;
}

function intFlag(args: string[], name: string, fallback: number, max: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ShopError('bad_request', `${name} must be an integer from 1 to ${max}, got "${v}"`);
  return n;
}

function isBitextSplit(v: string): v is BitextSplit {
  return (BITEXT_SPLITS as readonly string[]).includes(v);
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** kb:add, kb:delete, kb:search, kb:eval. */
export const kbCommands: Record<string, Command> = {
  'kb:add': {
    usage: 'kb:add <file.md|.json|.jsonl|.csv|folder>',
    summary: 'Add or update knowledge articles (validated first) and index them at once.',
    run: async (args, ctx) => {
      const [file] = positionals(args, []);
      if (!file) throw new ShopError('bad_request', 'usage: cli kb:add <file.md|.json|.jsonl|.csv|folder>');
      const items: KnowledgeInput[] = (await isDirectory(file))
        ? (await loadKnowledgeDir(file)).map(({ file: f, ...k }) => ({ ...k, source: path.basename(f) }))
        : await loadKnowledgeFile(file);
      const kb = await openKb(ctx);
      const store = await ctx.store();
      const report = { file, read: items.length, created: 0, updated: 0, unchanged: 0, articles: [] as Array<{ id: string; slug: string; locale: Locale; version: number }> };
      for (const [i, item] of items.entries()) {
        const before = await store.knowledge.getBySlug(item.slug, item.locale);
        const doc = await kb.upsertArticle(item);
        if (!before) report.created++;
        else if (before.version !== doc.version) report.updated++;
        else report.unchanged++;
        report.articles.push({ id: doc.id, slug: doc.slug, locale: doc.locale, version: doc.version });
        ctx.progress.update('kb:add', i + 1, items.length);
      }
      await auditCli(ctx, 'knowledge.import', { details: { read: report.read, created: report.created, updated: report.updated, unchanged: report.unchanged } });
      return { ...report, index: kb.stats() };
    },
  },
  'kb:delete': {
    usage: 'kb:delete <slug> [--locale en|zh]',
    summary: 'Delete an article (both languages unless --locale) from the store and the index.',
    run: async (args, ctx) => {
      const [slug] = positionals(args, ['--locale']);
      if (!slug) throw new ShopError('bad_request', 'usage: cli kb:delete <slug> [--locale en|zh]');
      const only = localeFlag(args);
      const store = await ctx.store();
      const docs = [];
      for (const locale of only ? [only] : (['en', 'zh'] as const)) {
        const doc = await store.knowledge.getBySlug(slug, locale);
        if (doc) docs.push(doc);
      }
      if (docs.length === 0) throw new ShopError('not_found', `no article "${slug}"${only ? ` in ${only}` : ''}`);
      const kb = await openKb(ctx);
      const deleted = [];
      for (const doc of docs) if (await kb.deleteArticle(doc.id)) deleted.push({ id: doc.id, slug: doc.slug, locale: doc.locale });
      for (const d of deleted) await auditCli(ctx, 'knowledge.delete', { target: { type: 'article', id: d.id }, details: { slug: d.slug, locale: d.locale } });
      return { deleted, index: kb.stats() };
    },
  },
  'kb:search': {
    usage: 'kb:search "<query>" [--locale en|zh] [--k 5]',
    summary: 'Search the knowledge base (hybrid BM25 + vectors) and print the hits.',
    run: async (args, ctx) => {
      const [query] = positionals(args, ['--locale', '--k']);
      if (query === undefined) throw new ShopError('bad_request', 'usage: cli kb:search "<query>" [--locale en|zh] [--k 5]');
      const locale = localeFlag(args);
      const k = intFlag(args, '--k', 5, 50);
      const kb = await openKb(ctx);
      const hits = await kb.search(query, { ...(locale ? { locale } : {}), k });
      return { query, minConfidence: DEFAULT_MIN_CONFIDENCE, hits };
    },
  },
  'kb:eval': {
    usage:
      'kb:eval --articles <A.jsonl|folder> (--queries <Q.csv> | --bitext <bitext.csv> [--split tune|holdout|all] [--limit N]) [--k 5] [--min-confidence x] [--details]',
    summary:
      'Retrieval quality (hit@1, hit@k, MRR per retriever, off-topic false positives) on a labelled set, or on the Bitext utterances (seeded 25/75 tune/holdout split); no store needed.',
    run: async (args, ctx) => {
      const usage = 'kb:eval --articles <A.jsonl|folder> (--queries <Q.csv> | --bitext <bitext.csv> [--split holdout] [--limit N]) [--k 5]';
      const articles = await loadEvalArticles(requiredFlag(args, '--articles', usage));
      const articleIds = new Set(articles.map((a) => a.id));
      const queriesFile = flag(args, '--queries');
      const bitextFile = flag(args, '--bitext');
      if (queriesFile !== undefined && bitextFile !== undefined) throw new ShopError('bad_request', `give --queries or --bitext, not both: cli ${usage}`);
      if (queriesFile === undefined && bitextFile === undefined) throw new ShopError('bad_request', `--queries is required (or --bitext): cli ${usage}`);
      for (const name of ['--split', '--limit']) {
        if (bitextFile === undefined && flag(args, name) !== undefined) throw new ShopError('bad_request', `${name} goes with --bitext: cli ${usage}`);
      }
      let queries: EvalQuery[];
      let set: Record<string, unknown> | undefined;
      if (bitextFile !== undefined) {
        const split = flag(args, '--split') ?? 'holdout';
        if (!isBitextSplit(split)) throw new ShopError('bad_request', `--split must be one of ${BITEXT_SPLITS.join(', ')}, got "${split}"`);
        const bitext = await loadBitextEval(bitextFile, { articleIds });
        const all = bitextSplit(bitext, split);
        const limitRaw = flag(args, '--limit');
        const chosen = limitRaw === undefined ? all : sampleByGroup(all, intFlag(args, '--limit', all.length, 1_000_000), BITEXT_SEED);
        queries = chosen;
        set = {
          source: 'bitext',
          split,
          seed: BITEXT_SEED,
          tuneShare: BITEXT_TUNE_SHARE,
          intents: bitext.intents.length,
          splitQueries: all.length,
          ...(chosen.length < all.length ? { sampled: chosen.length } : {}),
        };
      } else {
        queries = await loadEvalQueries(queriesFile!, articleIds);
      }
      const k = intFlag(args, '--k', 5, 50);
      const minRaw = flag(args, '--min-confidence');
      const minConfidence = minRaw === undefined ? DEFAULT_MIN_CONFIDENCE : Number(minRaw);
      if (!(minConfidence >= 0 && minConfidence <= 1)) throw new ShopError('bad_request', `--min-confidence must be a number from 0 to 1, got "${minRaw}"`);
      const e = await embeddingsFor(ctx);
      const vectorLocales = await embeddingLocales(e, ctx.config.models.modelsDir);
      const index = await buildEvalIndex(articles, e.embeddings, { dimension: e.dimension, ...(vectorLocales ? { vectorLocales } : {}) });
      const report = await evaluateRetrieval(index, queries, {
        k,
        minConfidence,
        details: args.includes('--details'),
        // A few hundred queries finish at once; past that, show how far along it is.
        ...(queries.length > 200 ? { onProgress: (done: number, total: number) => ctx.progress.update('kb:eval', done, total) } : {}),
      });
      return {
        embeddings: { kind: e.kind, modelId: e.modelId, vectorLocales: vectorLocales ?? ['en', 'zh'] },
        articles: articles.length,
        chunks: index.chunkCount,
        ...(set ? { set } : {}),
        ...report,
      };
    },
  },
};
