import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locale } from '../../store/index.js';
import type { CreatedEmbeddings } from '../embeddings/index.js';
import { MANIFEST_FILE, modelDir, MULTILINGUAL_MODEL_ID } from '../models/index.js';

/**
 * The lexical fallback's vectors are used for English queries only. They are hashed word and
 * character n-grams, so for Chinese they repeat BM25's character evidence less well: on
 * data/kb-eval they pulled the hybrid's Chinese hit@1 from 0.89 (BM25) to 0.83 and halved
 * its confidence, while in English they are what keeps off-topic questions below the floor.
 */
export const LEXICAL_VECTOR_LOCALES: readonly Locale[] = ['en'];

/**
 * The query languages whose retrieval uses the created embeddings' vectors, for
 * `vectorLocales`: the installed model's manifest `languages` (all-MiniLM-L6-v2 says
 * `["en"]`), `LEXICAL_VECTOR_LOCALES` for the lexical fallback, and undefined (all) for a
 * model without a manifest.
 */
export async function embeddingLocales(created: Pick<CreatedEmbeddings, 'kind' | 'modelId'>, modelsDir: string | undefined): Promise<Locale[] | undefined> {
  if (created.kind === 'lexical') return [...LEXICAL_VECTOR_LOCALES];
  if (created.kind !== 'transformers' || modelsDir === undefined) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(modelDir(modelsDir, created.modelId), MANIFEST_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const languages = (manifest as { languages?: unknown }).languages;
  if (!Array.isArray(languages)) return undefined;
  return (['en', 'zh'] as const).filter((l) => languages.includes(l));
}

/** What `EMBEDDINGS_MODEL_ZH` resolves to: a model to route Chinese to, or why there is none. */
export type LanguageRouteChoice = { modelId: string; explicit: boolean } | { modelId?: undefined; reason: string };

/**
 * Resolves the Chinese route's setting. `auto` picks the multilingual model when it is
 * installed (`models:pull` is the operator's choice to have it) and the main model is a
 * sentence model: with the lexical embedder, chosen for fast, small starts, nothing heavy is
 * loaded behind the operator's back. `none` and a setting naming the main model mean no route.
 */
export async function resolveLanguageRoute(
  setting: string,
  main: Pick<CreatedEmbeddings, 'kind' | 'modelId'>,
  modelsDir: string | undefined,
): Promise<LanguageRouteChoice> {
  const wanted = setting.trim();
  if (wanted === '' || wanted === 'none') return { reason: 'EMBEDDINGS_MODEL_ZH=none' };
  if (wanted === 'auto') {
    if (main.kind === 'lexical') return { reason: 'the lexical embedder is in use' };
    if (main.modelId === MULTILINGUAL_MODEL_ID) return { reason: `EMBEDDINGS_MODEL is ${MULTILINGUAL_MODEL_ID} already` };
    if (!(await isInstalled(MULTILINGUAL_MODEL_ID, modelsDir))) return { reason: `${MULTILINGUAL_MODEL_ID} is not installed (npm run cli -- models:pull ${MULTILINGUAL_MODEL_ID})` };
    return { modelId: MULTILINGUAL_MODEL_ID, explicit: false };
  }
  if (wanted === main.modelId) return { reason: `EMBEDDINGS_MODEL_ZH names EMBEDDINGS_MODEL (${wanted})` };
  return { modelId: wanted, explicit: true };
}

/** Whether `models:pull` (or the operator) put the model's manifest in MODELS_DIR. */
async function isInstalled(modelId: string, modelsDir: string | undefined): Promise<boolean> {
  if (modelsDir === undefined) return false;
  try {
    await access(join(modelDir(modelsDir, modelId), MANIFEST_FILE));
    return true;
  } catch {
    return false;
  }
}

/**
 * A routed model's knowledge floor (the hybrid confidence of its own vectors), calibrated on
 * the Chinese queries of data/kb-eval (46 answerable, 8 off-topic) with the default fusion:
 * multilingual-e5-small's cosines sit high for any text, so its off-topic queries reach
 * 0.554 and its lowest right answer 0.589 (the shared 0.30 would refuse nothing); the floor
 * is the midpoint. A model not listed keeps `DEFAULT_MIN_CONFIDENCE`, with a warning.
 */
export const ROUTE_MIN_CONFIDENCE: ReadonlyMap<string, number> = new Map([[MULTILINGUAL_MODEL_ID, 0.57]]);
