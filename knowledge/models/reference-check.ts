import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ShopError } from '../../store/index.js';
import { TransformersEmbeddings } from '../embeddings/transformers-embeddings.js';

/** One sentence embedded by a model's reference engine. */
export interface ReferenceSentence {
  /** `query` is embedded through embedQuery, `passage` through embedDocuments (their prefixes differ). */
  mode: 'query' | 'passage';
  text: string;
  vector: number[];
}

export interface ReferenceEmbeddings {
  model: string;
  dimension: number;
  sentences: ReferenceSentence[];
}

export interface ReferenceCheckResult {
  /** The fixture, relative to knowledge/models/. */
  reference: string;
  sentences: number;
  minCosine: number;
  /** The lowest cosine between a reference vector and the built model's. */
  worstCosine: number;
}

/** Where a registry `reference.file` lives: next to this module. */
export function referencePath(file: string): string {
  return fileURLToPath(new URL(file, import.meta.url));
}

/** Reads and checks a reference fixture. */
export async function readReferenceEmbeddings(path: string): Promise<ReferenceEmbeddings> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ShopError('internal', `cannot read reference embeddings ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const doc = raw as Partial<ReferenceEmbeddings> | null;
  const dimension = doc?.dimension;
  const ok =
    typeof doc?.model === 'string' &&
    typeof dimension === 'number' &&
    Array.isArray(doc.sentences) &&
    doc.sentences.length > 0 &&
    doc.sentences.every(
      (s) =>
        (s.mode === 'query' || s.mode === 'passage') &&
        typeof s.text === 'string' &&
        Array.isArray(s.vector) &&
        s.vector.length === dimension &&
        s.vector.every((x) => typeof x === 'number' && Number.isFinite(x)),
    );
  if (!ok) throw new ShopError('internal', `reference embeddings ${path} are malformed (need model, dimension and sentences of {mode, text, vector})`);
  return doc as ReferenceEmbeddings;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export interface CheckReferenceOptions {
  /** The folder holding the model folder (MODELS_DIR, or the parent of a temp folder). */
  modelsDir: string;
  /** The model folder's name under modelsDir (may be `org/name`). */
  modelId: string;
  /** Fixture file name, relative to knowledge/models/. */
  reference: string;
  minCosine: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Embeds every reference sentence with the model in `<modelsDir>/<modelId>` through
 * TransformersEmbeddings, the same path the app uses (manifest prefixes included), and
 * compares with the reference engine's vectors. Throws ShopError `conflict` (details.reason
 * `reference_mismatch`) naming the worst sentence when any cosine is below `minCosine`.
 */
export async function checkReferenceEmbeddings(opts: CheckReferenceOptions): Promise<ReferenceCheckResult> {
  const ref = await readReferenceEmbeddings(referencePath(opts.reference));
  const embeddings = new TransformersEmbeddings({ modelId: opts.modelId, modelsDir: opts.modelsDir, allowRemote: false, cacheSize: 0 });
  let worst = { cosine: Number.POSITIVE_INFINITY, text: '' };
  for (const [i, s] of ref.sentences.entries()) {
    const vector = s.mode === 'query' ? await embeddings.embedQuery(s.text) : (await embeddings.embedDocuments([s.text]))[0]!;
    if (vector.length !== ref.dimension) {
      throw new ShopError('conflict', `the built model gives ${vector.length}-d vectors, the reference ${ref.dimension}-d; nothing was installed`, {
        details: { reason: 'reference_mismatch', reference: opts.reference },
      });
    }
    const c = cosine(vector, s.vector);
    if (c < worst.cosine) worst = { cosine: c, text: s.text };
    opts.onProgress?.(i + 1, ref.sentences.length);
  }
  if (worst.cosine < opts.minCosine) {
    throw new ShopError(
      'conflict',
      `the built model does not reproduce the reference embeddings (${opts.reference}): cosine ${worst.cosine.toFixed(5)} < ${opts.minCosine} for ${JSON.stringify(worst.text)}; nothing was installed`,
      { details: { reason: 'reference_mismatch', reference: opts.reference, worstCosine: worst.cosine, minCosine: opts.minCosine, text: worst.text } },
    );
  }
  return { reference: opts.reference, sentences: ref.sentences.length, minCosine: opts.minCosine, worstCosine: worst.cosine };
}
