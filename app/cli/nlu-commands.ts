import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createEmbeddings, LexicalEmbeddings } from '../../knowledge/index.js';
import { loadZhRoute, routeModelFile } from '../understanding.js';
import { DEFAULT_INTENTS_DIR, evaluateIntents, IntentClassifier, loadIntentExamples, Nlu, type EntityExtractorLike } from '../../skills/nlu/index.js';
import { ShopError } from '../../store/index.js';
import { flag, positionals, requiredFlag, type Command, type CommandContext } from './command.js';

/** Builds the entity extractor for `nlu:parse` (the lead wires the real one in). */
export type EntityExtractorFactory = (ctx: CommandContext) => EntityExtractorLike | Promise<EntityExtractorLike>;

async function embeddingsFor(ctx: CommandContext, which: string | undefined) {
  if (which === 'lexical') return { embeddings: new LexicalEmbeddings(), modelId: 'lexical', kind: 'lexical' as const };
  if (which !== undefined && which !== 'configured') throw new ShopError('bad_request', `--embeddings must be configured or lexical, got ${which}`);
  const m = ctx.config.models;
  const created = await createEmbeddings({ modelId: m.embeddingsModel, modelsDir: m.modelsDir, allowRemote: m.allowRemote, logger: ctx.logger });
  return { embeddings: created.embeddings, modelId: created.modelId, kind: created.kind };
}

/** `nlu:train`, `nlu:eval`, `nlu:parse`; pass an extractor factory to give `nlu:parse` entities. */
export function createNluCommands(entities?: EntityExtractorFactory): Record<string, Command> {
  return {
    'nlu:train': {
      usage: 'nlu:train [--intents <dir|file.csv>]',
      summary: 'Train the intent classifier with the configured embeddings (lexical fallback) and save it to the NLU model file.',
      run: async (args, ctx) => {
        const intentsDir = flag(args, '--intents');
        const examples = await loadIntentExamples(intentsDir ?? DEFAULT_INTENTS_DIR);
        const { embeddings, modelId, kind } = await embeddingsFor(ctx, 'configured');
        const classifier = await IntentClassifier.train(examples, embeddings, { modelId });
        const file = ctx.config.models.nluModelFile;
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(`${file}.tmp`, JSON.stringify(classifier.toJSON()));
        await rename(`${file}.tmp`, file);
        const r = classifier.report;
        return {
          modelFile: file,
          embeddings: { kind, modelId },
          examples: r.examples,
          intents: r.intents,
          epochs: r.epochs,
          validationAccuracy: r.validation.accuracy,
          validation: r.validation,
          mixWeight: r.mixWeight,
          temperature: r.temperature,
          oos: r.oos,
          trainMs: r.trainMs,
        };
      },
    },
    'nlu:eval': {
      usage: 'nlu:eval [--train <A.csv|dir>] --test <B.csv> [--embeddings configured|lexical]',
      summary:
        'Score a labelled CSV (text,intent): accuracy, macro-F1, per intent, confusions, out-of-scope, calibration. With --train, a model trained on that file; without, the shop\'s own models as the server routes them (EMBEDDINGS_MODEL_ZH; trained first when missing or stale).',
      run: async (args, ctx) => {
        const usage = 'nlu:eval [--train <A.csv|dir>] --test <B.csv> [--embeddings configured|lexical]';
        const test = await loadIntentExamples(requiredFlag(args, '--test', usage));
        const trainFile = flag(args, '--train');
        const { embeddings, modelId, kind } = await embeddingsFor(ctx, flag(args, '--embeddings'));
        if (trainFile === undefined) {
          // The shop's own models, routed by language as the server does (the Chinese route only with a sentence model).
          const zh = kind === 'transformers' ? await loadZhRoute(ctx.config, { kind, modelId }, ctx.logger) : undefined;
          const nlu = await Nlu.create({
            embeddings,
            modelId,
            modelFile: ctx.config.models.nluModelFile,
            logger: ctx.logger,
            ...(zh ? { zh: { embeddings: zh.embeddings, modelId: zh.modelId, modelFile: routeModelFile(ctx.config.models.nluModelFile, 'zh') } } : {}),
          });
          const evaluation = await evaluateIntents(nlu, test);
          return { embeddings: { kind, modelId, zh: zh?.modelId ?? modelId }, model: 'shop', training: { en: nlu.classifier.report, ...(nlu.zhClassifier ? { zh: nlu.zhClassifier.report } : {}) }, ...evaluation };
        }
        const train = await loadIntentExamples(trainFile);
        const classifier = await IntentClassifier.train(train, embeddings, { modelId });
        const evaluation = await evaluateIntents(classifier, test);
        return { embeddings: { kind, modelId }, train: train.length, training: classifier.report, ...evaluation };
      },
    },
    'nlu:parse': {
      usage: 'nlu:parse "<text>" [--locale en|zh]',
      summary: 'Understand one message: intent, confidence, alternatives, entities, language (trains the model first if it is missing or stale).',
      run: async (args, ctx) => {
        const text = positionals(args, ['--locale']).join(' ');
        const locale = flag(args, '--locale');
        if (locale !== undefined && locale !== 'en' && locale !== 'zh') throw new ShopError('bad_request', `--locale must be en or zh, got ${locale}`);
        const { embeddings, modelId } = await embeddingsFor(ctx, 'configured');
        const nlu = await Nlu.create({
          embeddings,
          modelId,
          modelFile: ctx.config.models.nluModelFile,
          logger: ctx.logger,
          ...(entities ? { entities: await entities(ctx) } : {}),
        });
        return nlu.parse(text, locale ? { locale } : {});
      },
    },
  };
}

/** The NLU command group without an entity extractor (entities come back empty). */
export const nluCommands: Record<string, Command> = createNluCommands();
