import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locale } from '../../store/index.js';
import type { CreatedEmbeddings } from '../embeddings/index.js';
import { MANIFEST_FILE, modelDir } from '../models/index.js';

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
