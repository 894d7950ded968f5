/** Natural-language understanding: intents (EN + ZH), language, and the injected entity extractor. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Locale } from '../../store/index.js';
import { understandBasics } from '../basic.js';
import { detectLanguage } from '../language.js';
import type { Entity, Understanding } from '../types.js';
import { loadIntentExamples, OUT_OF_SCOPE, type IntentExample } from './examples.js';
import { normalizeText } from './features.js';
import { IntentClassifier, type IntentClassifierOptions, type IntentPrediction, type ModelFingerprint, type ScoredPrediction } from './intent-classifier.js';

export { IntentClassifier, expectedCalibrationError, CLASSIFIER_VERSION } from './intent-classifier.js';
export type { IntentClassifierOptions, IntentPrediction, ScoredPrediction, ModelFingerprint, TrainingReport } from './intent-classifier.js';
export { loadIntentExamples, parseIntentCsv, canonicalIntent, hashExamples, OUT_OF_SCOPE, type IntentExample } from './examples.js';
export { evaluateIntents, scorePredictions, type IntentEvaluation, type BatchClassifier } from './evaluate.js';
export { normalizeText, MAX_CLASSIFIER_CHARS } from './features.js';

/** The intent examples shipped with the project. */
export const DEFAULT_INTENTS_DIR = fileURLToPath(new URL('../../data/intents', import.meta.url));

/** Longest text handed to the entity extractor (the classifier reads less). */
const MAX_ENTITY_CHARS = 2000;

/** What NLU needs of an entity extractor (the entities module's `EntityExtractor` fits). */
export interface EntityExtractorLike {
  extract(text: string, o: { now?: Date; locale?: 'en' | 'zh' }): Promise<Entity[]> | Entity[];
}

export interface NluLogger {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

export interface NluOptions {
  embeddings: EmbeddingsInterface;
  /** The embedding model's id (`lexical` for the fallback); part of the saved model's fingerprint. */
  modelId: string;
  /** Where the trained model is saved (JSON). */
  modelFile: string;
  intentsDir?: string;
  entities?: EntityExtractorLike;
  logger: NluLogger;
  classifier?: IntentClassifierOptions;
  /**
   * Chinese messages' own intent model: trained on the Chinese examples (`zh.csv`) with this
   * route's embeddings (the multilingual model), saved in its own file with its own
   * fingerprint, its temperature and out-of-scope threshold fitted on its own validation split.
   * Without it (or without Chinese examples) every language uses the main model.
   */
  zh?: NluRoute;
}

/** A language's own embedding model for intents. */
export interface NluRoute {
  embeddings: EmbeddingsInterface;
  /** The model's id; the saved model's fingerprint says it was trained on query-side vectors. */
  modelId: string;
  /** Where this route's trained model is saved (JSON). */
  modelFile: string;
}

/** The file the Chinese intent examples live in (data/intents/zh.csv); what the Chinese route trains on. */
export const ZH_EXAMPLES_FILE = 'zh.csv';

/**
 * Understands one shopper message: language, intent with calibrated confidence and
 * alternatives, entities. `parse` never throws: anything unexpected becomes a low-confidence
 * `out_of_scope` and a warning, so a turn always gets an answer.
 */
export class Nlu {
  private constructor(
    readonly classifier: IntentClassifier,
    private readonly entities: EntityExtractorLike | undefined,
    private readonly logger: NluLogger,
    /** The Chinese route's classifier, when there is one. */
    readonly zhClassifier?: IntentClassifier,
  ) {}

  /** Loads the saved models when their fingerprints match the embedders and the examples; else trains and saves them. */
  static async create(opts: NluOptions): Promise<Nlu> {
    const intentsDir = opts.intentsDir ?? DEFAULT_INTENTS_DIR;
    const examples = await loadIntentExamples(intentsDir);
    const classifier = await loadOrTrain(examples, opts.embeddings, opts.modelId, opts.modelFile, opts);
    let zh: IntentClassifier | undefined;
    if (opts.zh) {
      const zhExamples = examples.filter((e) => e.source !== undefined && path.basename(e.source.replace(/:\d+$/, '')) === ZH_EXAMPLES_FILE);
      if (zhExamples.length === 0) {
        opts.logger.warn({ intentsDir, modelId: opts.zh.modelId }, `no Chinese intent examples (${ZH_EXAMPLES_FILE}) to train the Chinese route on: Chinese messages use ${opts.modelId}`);
      } else {
        // E5 was trained with `query: ` on both sides of a symmetric task: a message and an example are alike.
        zh = await loadOrTrain(zhExamples, new QuerySideEmbeddings(opts.zh.embeddings), `${opts.zh.modelId}${QUERY_SIDE}`, opts.zh.modelFile, opts);
      }
    }
    return new Nlu(classifier, opts.entities, opts.logger, zh);
  }

  /** Wraps already trained classifiers (tests, the CLI's eval). */
  static fromClassifier(classifier: IntentClassifier, opts: { entities?: EntityExtractorLike; logger: NluLogger; zh?: IntentClassifier }): Nlu {
    return new Nlu(classifier, opts.entities, opts.logger, opts.zh);
  }

  /** The classifier that reads a message in this language. */
  classifierFor(language: Locale): IntentClassifier {
    return language === 'zh' && this.zhClassifier ? this.zhClassifier : this.classifier;
  }

  /** Scores texts as `parse` routes them (each to its language's classifier): `nlu:eval` of the shop's own models. */
  async classifyBatch(texts: string[]): Promise<ScoredPrediction[]> {
    const languages = texts.map((t) => detectLanguage(normalizeText(typeof t === 'string' ? t : '', MAX_ENTITY_CHARS), 'en'));
    const out: ScoredPrediction[] = new Array<ScoredPrediction>(texts.length);
    for (const language of ['en', 'zh'] as const) {
      const at = languages.flatMap((l, i) => (l === language ? [i] : []));
      if (at.length === 0) continue;
      const predictions = await this.classifierFor(language).classifyBatch(at.map((i) => texts[i]!));
      at.forEach((i, j) => (out[i] = predictions[j]!));
    }
    return out;
  }

  async parse(text: string, opts: { locale?: Locale; now?: Date } = {}): Promise<Understanding> {
    const fallback: Locale = opts.locale === 'zh' ? 'zh' : 'en';
    let language = fallback;
    try {
      const seen = normalizeText(typeof text === 'string' ? text : '', MAX_ENTITY_CHARS);
      language = detectLanguage(seen, fallback);
      if (seen === '') return { intent: OUT_OF_SCOPE, confidence: 1, entities: [], alternatives: [], language };
      const basics = understandBasics(seen);
      // Keyword fast path: an account-link code, and the fully anchored greeting / help patterns.
      if (basics.intent === 'link_account' || basics.intent === 'greeting' || basics.intent === 'help') {
        // A link command names its language ("绑定 7KQ2-M9XD": the code's letters are not English).
        return { ...basics, alternatives: [], language: basics.language ?? language };
      }
      if (!/[\p{L}\p{N}]/u.test(seen)) return { ...symbolsOnly(seen), entities: [], alternatives: [], language };
      const [classified, entities] = await Promise.all([this.classifierFor(language).classify(seen), this.extract(seen, language, opts.now)]);
      const prediction = /\p{L}/u.test(seen) ? classified : withoutSocialIntents(classified);
      return { intent: prediction.intent, confidence: prediction.confidence, alternatives: prediction.alternatives, entities, language };
    } catch (err) {
      this.logger.warn({ err }, 'nlu failed on a message; answering out_of_scope');
      return { intent: OUT_OF_SCOPE, confidence: 0, entities: [], alternatives: [], language };
    }
  }

  private async extract(text: string, locale: Locale, now?: Date): Promise<Entity[]> {
    if (!this.entities) return [];
    try {
      return await this.entities.extract(text, { locale, ...(now ? { now } : {}) });
    } catch (err) {
      this.logger.warn({ err }, 'entity extraction failed; continuing without entities');
      return [];
    }
  }
}

// Emoji and punctuation only: a wave says hello, a heart or folded hands say thanks;
// anything else (a lone 👍 may answer a yes/no question: the dialog decides) is not a request.
const WAVE = /\u{1F44B}/u;
const THANKS = /[\u{1F64F}\u2764\u{1F495}\u{1F496}\u{1F60A}\u{1F970}\u{1F618}]/u;

function symbolsOnly(text: string): { intent: string; confidence: number } {
  if (WAVE.test(text)) return { intent: 'greeting', confidence: 0.8 };
  if (THANKS.test(text)) return { intent: 'thanks', confidence: 0.7 };
  return { intent: OUT_OF_SCOPE, confidence: 0.9 };
}

/**
 * Intents said with words: a greeting, thanks, goodbye, yes/no, chit-chat, a request for the
 * menu. A message without a single letter ("0032", "6688", "1+1") says none of them, whatever
 * the digits resemble in the training data; emoji are read separately (`symbolsOnly`).
 */
const SOCIAL_INTENTS = new Set(['greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'smalltalk', 'help', 'feedback']);

/**
 * A letterless message's prediction with the social intents struck out: the best remaining
 * intent keeps its own probability (so a bare number stays a low-confidence guess, or out of
 * scope), never a confident "goodbye".
 */
function withoutSocialIntents(p: IntentPrediction): Pick<IntentPrediction, 'intent' | 'confidence' | 'alternatives'> {
  const ranked = [{ intent: p.intent, confidence: p.confidence }, ...p.alternatives].filter((c) => !SOCIAL_INTENTS.has(c.intent));
  const [best, ...rest] = ranked;
  if (!best) return { intent: OUT_OF_SCOPE, confidence: 0, alternatives: [] };
  return { intent: best.intent, confidence: best.confidence, alternatives: rest };
}

/** Suffix of a query-side model's id in the saved fingerprint (vectors made with the query prefix). */
export const QUERY_SIDE = '#query';

/**
 * Embeds examples as queries too (`query: ` for E5; models without prefixes see no change).
 * On the hard-Chinese set it beat passage-side examples on the validation split (0.876 vs 0.851).
 */
export class QuerySideEmbeddings implements EmbeddingsInterface {
  constructor(private readonly inner: EmbeddingsInterface) {}

  get dimension(): number | undefined {
    const d = (this.inner as { dimension?: unknown }).dimension;
    return typeof d === 'number' ? d : undefined;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (const t of texts) out.push(await this.inner.embedQuery(t));
    return out;
  }

  embedQuery(text: string): Promise<number[]> {
    return this.inner.embedQuery(text);
  }
}

async function loadOrTrain(
  examples: IntentExample[],
  embeddings: EmbeddingsInterface,
  modelId: string,
  modelFile: string,
  opts: Pick<NluOptions, 'logger' | 'classifier'>,
): Promise<IntentClassifier> {
  const dimension = await embeddingDimension(embeddings);
  const expected = IntentClassifier.expectedFingerprint(examples, modelId, dimension);
  const saved = await readSaved(modelFile);
  const stale = saved === undefined ? 'missing' : staleReason(saved, expected);
  if (saved !== undefined && stale === undefined) {
    try {
      const classifier = await IntentClassifier.fromJSON(saved, embeddings);
      opts.logger.info({ modelFile, modelId, intents: classifier.classes.length }, 'intent model loaded');
      return classifier;
    } catch (err) {
      opts.logger.warn({ modelFile, err }, 'saved intent model unreadable, retraining');
    }
  }
  const classifier = await IntentClassifier.train(examples, embeddings, { ...opts.classifier, modelId });
  await saveAtomically(modelFile, JSON.stringify(classifier.toJSON()));
  const r = classifier.report;
  opts.logger.info(
    {
      modelFile,
      modelId,
      reason: stale ?? 'unreadable',
      examples: r.examples,
      intents: r.intents,
      validationAccuracy: r.validation.accuracy,
      trainMs: r.trainMs,
    },
    'intent model trained',
  );
  return classifier;
}

async function embeddingDimension(embeddings: EmbeddingsInterface): Promise<number> {
  const declared = (embeddings as { dimension?: unknown }).dimension;
  if (typeof declared === 'number' && declared > 0) return declared;
  return (await embeddings.embedQuery('dimension probe')).length;
}

async function readSaved(file: string): Promise<{ fingerprint?: ModelFingerprint } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { fingerprint?: ModelFingerprint };
  } catch {
    // Missing or unreadable: the caller retrains, which is the whole recovery.
    return undefined;
  }
}

function staleReason(saved: { fingerprint?: ModelFingerprint }, expected: ModelFingerprint): string | undefined {
  const f = saved.fingerprint;
  if (!f) return 'stale: no fingerprint';
  for (const key of ['version', 'modelId', 'dimension', 'dataHash'] as const) {
    if (f[key] !== expected[key]) return `stale: ${key} changed`;
  }
  return undefined;
}

async function saveAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
