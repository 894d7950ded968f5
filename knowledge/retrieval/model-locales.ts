import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locale } from '../../store/index.js';
import type { CreatedEmbeddings } from '../embeddings/index.js';
import { MANIFEST_FILE, modelDir } from '../models/index.js';

/**
 * The query languages the created embeddings understand, for `vectorLocales`: the
 * installed model's manifest `languages` (all-MiniLM-L6-v2 says `["en"]`). Undefined (all)
 * for the lexical fallback, which is language-neutral, and for a model without a manifest.
 */
export async function embeddingLocales(created: Pick<CreatedEmbeddings, 'kind' | 'modelId'>, modelsDir: string | undefined): Promise<Locale[] | undefined> {
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
