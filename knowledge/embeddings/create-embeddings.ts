import { LexicalEmbeddings } from './lexical-embeddings.js';
import { TransformersEmbeddings } from './transformers-embeddings.js';
import { KNOWN_MODELS } from '../models/registry.js';

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
    const lexical = new LexicalEmbeddings();
    const { message, fields } = fallbackWarning(opts.modelId, opts.modelsDir, err);
    opts.logger.warn(fields, message);
    return { embeddings: lexical, kind: 'lexical', modelId: LEXICAL_MODEL_ID, dimension: lexical.dimension };
  }
}

/**
 * The one warning of the fallback. The error goes in as its text (`error`, a string), so any
 * logger shows it as one readable message (an Error or a string handed to a logger that
 * copies its keys came out one character per key); `err` keeps type and stack for loggers
 * that serialise errors (pino). The line says how to install the model: `fix` is the command.
 */
function fallbackWarning(modelId: string, modelsDir: string | undefined, err: unknown): { message: string; fields: Record<string, unknown> } {
  const error = errorText(err).replace(/[.\s]+$/, '');
  const where = modelsDir ? ` (MODELS_DIR ${modelsDir})` : '';
  const fix = KNOWN_MODELS.has(modelId) ? `npm run cli -- models:pull ${modelId}` : 'npm run cli -- models:list';
  const hint = KNOWN_MODELS.has(modelId)
    ? `Install it with \`${fix}\`${where} and restart, or set EMBEDDINGS_MODEL=lexical to use the lexical embedder without this warning.`
    : `\`npm run cli -- models:pull\` installs only the models \`${fix}\` shows: set EMBEDDINGS_MODEL to one of them and pull it, put ${modelId} in MODELS_DIR yourself${where}, or set EMBEDDINGS_MODEL=lexical.`;
  return {
    message: `embedding model ${modelId} unavailable, falling back to lexical embeddings (weaker answers): ${error}. ${hint}`,
    fields: { modelId, ...(modelsDir ? { modelsDir } : {}), error, fix, ...(err instanceof Error ? { err } : {}) },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** `EMBEDDINGS_MODEL=lexical` chooses the built-in lexical embedder outright. */
export const LEXICAL_MODEL_ID = 'lexical';
