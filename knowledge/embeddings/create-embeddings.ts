import { LexicalEmbeddings } from './lexical-embeddings.js';
import { TransformersEmbeddings } from './transformers-embeddings.js';

/** The one method the factory needs; pino's `Logger` satisfies it. */
export interface EmbeddingsLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface CreateEmbeddingsOptions {
  modelId: string;
  modelsDir?: string;
  allowRemote?: boolean;
  logger: EmbeddingsLogger;
  /** Passed to TransformersEmbeddings; defaults there. */
  batchSize?: number;
  cacheSize?: number;
  quantized?: boolean;
}

export interface CreatedEmbeddings {
  embeddings: TransformersEmbeddings | LexicalEmbeddings;
  kind: 'transformers' | 'lexical';
  /** The model the vectors come from; `lexical` for the fallback, so index fingerprints differ. */
  modelId: string;
  dimension: number;
}

/**
 * The server's embeddings: the configured transformer model if it loads, else the
 * lexical embedder with one warning, so a machine without the model still answers
 * (worse) instead of failing to start.
 */
export async function createEmbeddings(opts: CreateEmbeddingsOptions): Promise<CreatedEmbeddings> {
  if (opts.modelId === LEXICAL_MODEL_ID) {
    // Asked for by name (fast starts, tests, machines without a model): no warning.
    const lexical = new LexicalEmbeddings();
    return { embeddings: lexical, kind: 'lexical', modelId: LEXICAL_MODEL_ID, dimension: lexical.dimension };
  }
  const transformers = new TransformersEmbeddings({
    modelId: opts.modelId,
    modelsDir: opts.modelsDir,
    allowRemote: opts.allowRemote ?? false,
    batchSize: opts.batchSize,
    cacheSize: opts.cacheSize,
    quantized: opts.quantized,
  });
  try {
    await transformers.load();
    const dimension = transformers.dimension;
    if (dimension === undefined) throw new Error('model loaded but reported no dimension');
    return { embeddings: transformers, kind: 'transformers', modelId: opts.modelId, dimension };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const lexical = new LexicalEmbeddings();
    opts.logger.warn(
      // The error itself (type, message, stack, cause), not its text: the logger serialises errors.
      { modelId: opts.modelId, modelsDir: opts.modelsDir, err },
      `embedding model ${opts.modelId} unavailable, falling back to lexical embeddings: ${reason}`,
    );
    return { embeddings: lexical, kind: 'lexical', modelId: LEXICAL_MODEL_ID, dimension: lexical.dimension };
  }
}

/** `EMBEDDINGS_MODEL=lexical` chooses the built-in lexical embedder outright. */
export const LEXICAL_MODEL_ID = 'lexical';
