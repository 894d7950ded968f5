/** Natural-language understanding: intents (EN + ZH), language, and the injected entity extractor. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Locale } from '../../store/index.js';
import { understandBasics } from '../basic.js';
import { detectLanguage } from '../language.js';
import type { Entity, Understanding } from '../types.js';
import { loadIntentExamples, OUT_OF_SCOPE } from './examples.js';
import { normalizeText } from './features.js';
import { IntentClassifier, type IntentClassifierOptions, type IntentPrediction, type ModelFingerprint } from './intent-classifier.js';

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
}

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
  ) {}

  /** Loads the saved model when its fingerprint matches the embedder and the examples; else trains and saves it. */
  static async create(opts: NluOptions): Promise<Nlu> {
    const intentsDir = opts.intentsDir ?? DEFAULT_INTENTS_DIR;
    const examples = await loadIntentExamples(intentsDir);
    const dimension = await embeddingDimension(opts.embeddings);
    const expected = IntentClassifier.expectedFingerprint(examples, opts.modelId, dimension);
    const saved = await readSaved(opts.modelFile);
    const stale = saved === undefined ? 'missing' : staleReason(saved, expected);
    if (saved !== undefined && stale === undefined) {
      try {
        const classifier = await IntentClassifier.fromJSON(saved, opts.embeddings);
        opts.logger.info({ modelFile: opts.modelFile, modelId: opts.modelId, intents: classifier.classes.length }, 'intent model loaded');
        return new Nlu(classifier, opts.entities, opts.logger);
      } catch (err) {
        opts.logger.warn({ modelFile: opts.modelFile, err }, 'saved intent model unreadable, retraining');
      }
    }
    const classifier = await IntentClassifier.train(examples, opts.embeddings, { ...opts.classifier, modelId: opts.modelId });
    await saveAtomically(opts.modelFile, JSON.stringify(classifier.toJSON()));
    const r = classifier.report;
    opts.logger.info(
      {
        modelFile: opts.modelFile,
        modelId: opts.modelId,
        reason: stale ?? 'unreadable',
        examples: r.examples,
        intents: r.intents,
        validationAccuracy: r.validation.accuracy,
        trainMs: r.trainMs,
      },
      'intent model trained',
    );
    return new Nlu(classifier, opts.entities, opts.logger);
  }

  /** Wraps an already trained classifier (tests, the CLI's eval). */
  static fromClassifier(classifier: IntentClassifier, opts: { entities?: EntityExtractorLike; logger: NluLogger }): Nlu {
    return new Nlu(classifier, opts.entities, opts.logger);
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
      const [classified, entities] = await Promise.all([this.classifier.classify(seen), this.extract(seen, language, opts.now)]);
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
