import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { BaseLanguageModelInterface } from '@langchain/core/language_models/base';
import { createEmbeddings, TransformersEmbeddings, type CreatedEmbeddings } from '../knowledge/index.js';
import { DEFAULT_MIN_CONFIDENCE, embeddingLocales, KnowledgeBase, resolveLanguageRoute, ROUTE_MIN_CONFIDENCE } from '../knowledge/retrieval/index.js';
import { Nlu } from '../skills/nlu/index.js';
import { CatalogMatcher, EntityExtractor } from '../skills/nlu/entities/index.js';
import type { Store } from '../store/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** The bot's brain for one node: embeddings, the knowledge base, the catalogue matcher and NLU. */
export interface UnderstandingModules {
  embeddings: CreatedEmbeddings;
  /** The model Chinese messages and knowledge queries are routed to (EMBEDDINGS_MODEL_ZH), when one loaded. */
  zhEmbeddings?: CreatedEmbeddings;
  kb: KnowledgeBase;
  catalog: CatalogMatcher;
  entities: EntityExtractor;
  nlu: Nlu;
  /** The FAQ skill's confidence floor (FAQ_MIN_SCORE, else the knowledge module's default). */
  faqMinConfidence: number;
  /** Set when CHAT_MODEL_MODULE names a module: grounded generative FAQ answers. */
  chatModel?: BaseLanguageModelInterface;
  /** Milliseconds each part took to open, for the start-up log. */
  timings: Record<string, number>;
}

/**
 * Loads the configured embedding model (falling back to the lexical embedder with one
 * warning), then opens the three HNSW indexes it feeds: knowledge chunks, products and
 * (inside the NLU model) intent examples. Saved indexes and the saved intent model are
 * reused when their fingerprints match; otherwise they are rebuilt from the store and saved.
 */
export async function loadUnderstanding(config: Config, store: Store, logger: Logger): Promise<UnderstandingModules> {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  mkdirSync(config.models.indexDir, { recursive: true });
  const embeddings = await timed('embeddings', () =>
    createEmbeddings({ modelId: config.models.embeddingsModel, modelsDir: config.models.modelsDir, allowRemote: config.models.allowRemote, logger }),
  );
  const zh = await timed('embeddingsZh', () => loadZhRoute(config, embeddings, logger));
  const common = { store, embeddings: embeddings.embeddings, modelId: embeddings.modelId, indexDir: config.models.indexDir, logger };
  // A model that does not speak a language would only add noise to its queries: those use BM25
  // alone (and so do Chinese queries with the lexical fallback; see embeddingLocales).
  const vectorLocales = await embeddingLocales(embeddings, config.models.modelsDir);
  const kb = await timed('knowledge', () =>
    KnowledgeBase.open({
      ...common,
      dimension: embeddings.dimension,
      ...(vectorLocales ? { vectorLocales } : {}),
      ...(zh ? { zhRoute: { embeddings: zh.embeddings, modelId: zh.modelId, dimension: zh.dimension, minConfidence: zhKnowledgeFloor(zh.modelId, logger) } } : {}),
    }),
  );
  const catalog = await timed('catalog', () => CatalogMatcher.create(common));
  const entities = new EntityExtractor({ catalog, logger, orderNumbers: config.orderNumbers });
  const nlu = await timed('nlu', () =>
    Nlu.create({
      embeddings: embeddings.embeddings,
      modelId: embeddings.modelId,
      modelFile: config.models.nluModelFile,
      entities,
      logger,
      ...(zh ? { zh: { embeddings: zh.embeddings, modelId: zh.modelId, modelFile: routeModelFile(config.models.nluModelFile, 'zh') } } : {}),
    }),
  );
  const chatModel = config.models.chatModelModule ? await loadChatModel(config.models.chatModelModule) : undefined;
  logger.info(
    {
      embeddings: embeddings.modelId,
      kind: embeddings.kind,
      dimension: embeddings.dimension,
      embeddingsZh: zh?.modelId ?? embeddings.modelId,
      kb: kb.stats(),
      generative: chatModel !== undefined,
      timings,
    },
    'understanding ready',
  );
  return { embeddings, ...(zh ? { zhEmbeddings: zh } : {}), kb, catalog, entities, nlu, faqMinConfidence: config.models.faqMinScore ?? DEFAULT_MIN_CONFIDENCE, chatModel, timings };
}

/** What the route loader logs with (pino's `Logger` fits). */
export interface RouteLogger {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/**
 * The Chinese route's model (EMBEDDINGS_MODEL_ZH), loaded only when the setting resolves to a
 * model (see `resolveLanguageRoute`): the multilingual model is ~865 MB resident. Without one,
 * or when it fails to load, Chinese stays on the main model and one log line says why.
 */
export async function loadZhRoute(config: Config, main: Pick<CreatedEmbeddings, 'kind' | 'modelId'>, logger: RouteLogger): Promise<CreatedEmbeddings | undefined> {
  const { modelsDir, allowRemote, embeddingsModelZh } = config.models;
  const choice = await resolveLanguageRoute(embeddingsModelZh, main, modelsDir);
  if (choice.modelId === undefined) {
    logger.info({ embeddingsModelZh, reason: choice.reason }, `Chinese messages use ${main.modelId}: ${choice.reason}`);
    return undefined;
  }
  const embeddings = new TransformersEmbeddings({ modelId: choice.modelId, modelsDir, allowRemote });
  try {
    await embeddings.load();
    const dimension = embeddings.dimension;
    if (dimension === undefined) throw new Error('model loaded but reported no dimension');
    return { embeddings, kind: 'transformers', modelId: choice.modelId, dimension };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    logger.warn(
      { embeddingsModelZh, modelId: choice.modelId, error, fix: `npm run cli -- models:pull ${choice.modelId}` },
      `Chinese model ${choice.modelId} unavailable (${error}): Chinese messages use ${main.modelId}`,
    );
    return undefined;
  }
}

/** The Chinese route's knowledge floor: calibrated for the model, else the shared one (said once). */
function zhKnowledgeFloor(modelId: string, logger: RouteLogger): number {
  const floor = ROUTE_MIN_CONFIDENCE.get(modelId);
  if (floor !== undefined) return floor;
  logger.warn({ modelId, floor: DEFAULT_MIN_CONFIDENCE }, `no calibrated knowledge floor for ${modelId}: Chinese answers use the shared ${DEFAULT_MIN_CONFIDENCE}`);
  return DEFAULT_MIN_CONFIDENCE;
}

/** `nlu-model.json` -> `nlu-model.zh.json`: each route's trained model in its own file. */
export function routeModelFile(file: string, locale: 'zh'): string {
  return /\.json$/i.test(file) ? file.replace(/\.json$/i, `.${locale}.json`) : `${file}.${locale}`;
}

/**
 * CHAT_MODEL_MODULE: any ES module exporting `createChatModel()` that returns a LangChain chat
 * model (ChatOpenAI, ChatOllama, ...), so the product depends on no provider package itself.
 */
export async function loadChatModel(file: string): Promise<BaseLanguageModelInterface> {
  const mod = (await import(pathToFileURL(file).href)) as { createChatModel?: () => unknown };
  if (typeof mod.createChatModel !== 'function') throw new Error(`CHAT_MODEL_MODULE ${file} does not export a createChatModel() function`);
  const model = (await mod.createChatModel()) as BaseLanguageModelInterface | undefined;
  if (!model || typeof model.invoke !== 'function') throw new Error(`createChatModel() in ${file} did not return a LangChain chat model`);
  return model;
}
