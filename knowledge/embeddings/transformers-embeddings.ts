import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { env, pipeline, type FeatureExtractionPipeline } from '@xenova/transformers';
import { ShopError } from '../../store/index.js';
import { MANIFEST_FILE } from '../models/registry.js';
import { LruCache } from './lru-cache.js';

// The one piece of module state: a chain that serialises model loads, because
// transformers.js's `env` is itself module-global (see `loadPipeline`).
let loadChain: Promise<unknown> = Promise.resolve();

function exclusiveLoad<T>(load: () => Promise<T>): Promise<T> {
  const run = loadChain.then(load, load);
  loadChain = run.catch(() => undefined);
  return run;
}

export interface TransformersEmbeddingsOptions extends EmbeddingsParams {
  /** Hub id or a folder name under `modelsDir`, e.g. `Xenova/paraphrase-multilingual-MiniLM-L12-v2`. */
  modelId: string;
  /** Local models folder (MODELS_DIR); also where downloads are cached. */
  modelsDir?: string;
  /** Whether transformers.js may download from the hub; off keeps tests and servers offline. */
  allowRemote?: boolean;
  /** Use `onnx/model_quantized.onnx` (int8, faster on CPU) rather than `onnx/model.onnx`. */
  quantized?: boolean;
  /** Texts per pipeline call (default 1, the fastest on CPU; larger batches are grouped by length). */
  batchSize?: number;
  /** Cached vectors kept (LRU); 0 turns the cache off. */
  cacheSize?: number;
}

/** Counters exposed for tests and benchmarks, so nobody has to spy on the pipeline. */
export interface TransformersEmbeddingsStats {
  /** Pipeline invocations (one per batch; the one-off dimension probe at load is not counted). */
  pipelineCalls: number;
  /** Texts actually run through the model. */
  textsEmbedded: number;
  cacheHits: number;
  loads: number;
}

/** Text put before each input: E5 models expect `query: ` / `passage: `; most models nothing. */
export interface TextPrefixes {
  query: string;
  passage: string;
}

/**
 * LangChain embeddings over transformers.js feature extraction: mean pooling,
 * L2-normalised, batched, with an LRU cache. The model loads lazily on first use (or
 * through `load()`), once, however many calls race for it.
 *
 * A model installed by `models:pull` whose manifest names a `queryPrefix` / `passagePrefix`
 * (multilingual-e5: `query: ` and `passage: `) gets them: embedQuery prepends the query
 * prefix, embedDocuments the passage prefix. Models without them see the text as given.
 */
export class TransformersEmbeddings extends Embeddings {
  readonly modelId: string;
  readonly modelsDir: string | undefined;
  readonly allowRemote: boolean;
  readonly quantized: boolean;
  readonly batchSize: number;
  private readonly cache: LruCache<string, number[]>;
  private loading: Promise<FeatureExtractionPipeline> | undefined;
  private dim: number | undefined;
  private prefixes: TextPrefixes = { query: '', passage: '' };
  private readonly counters: TransformersEmbeddingsStats = { pipelineCalls: 0, textsEmbedded: 0, cacheHits: 0, loads: 0 };

  constructor(options: TransformersEmbeddingsOptions) {
    super(options);
    if (!options.modelId) throw new TypeError('TransformersEmbeddings: option modelId is required');
    // One text per model call by default: on CPU, onnxruntime ran all-MiniLM-L6-v2 fastest
    // that way (bench/embeddings: even length-sorted batches of 16 reached 0.77x of it).
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`TransformersEmbeddings: batchSize must be a positive integer, got ${batchSize}`);
    }
    this.modelId = options.modelId;
    this.modelsDir = options.modelsDir;
    this.allowRemote = options.allowRemote ?? false;
    this.quantized = options.quantized ?? true;
    this.batchSize = batchSize;
    this.cache = new LruCache(options.cacheSize ?? 1000);
  }

  stats(): TransformersEmbeddingsStats {
    return { ...this.counters };
  }

  /** The prefixes the installed model's manifest asks for (both empty until loaded, or without any). */
  get textPrefixes(): TextPrefixes {
    return { ...this.prefixes };
  }

  /** The vector length; known once the model has been loaded (see `load`). */
  get dimension(): number | undefined {
    return this.dim;
  }

  /**
   * Loads the model once. A failed load is forgotten so a later call can retry (e.g.
   * after `cli models:pull`); concurrent callers share the one in-flight promise.
   */
  async load(): Promise<void> {
    await this.extractor();
  }

  private extractor(): Promise<FeatureExtractionPipeline> {
    if (!this.loading) {
      this.loading = this.loadPipeline().catch((err: unknown) => {
        this.loading = undefined;
        throw err;
      });
    }
    return this.loading;
  }

  private async loadPipeline(): Promise<FeatureExtractionPipeline> {
    this.counters.loads++;
    // transformers.js reads its settings from a module-global `env`, and keeps reading
    // it across the awaits of a load (file lookups happen after the first await). So
    // each instance writes its own settings right before its load, and loads run one
    // at a time (`exclusiveLoad`), so two instances with different folders or remote
    // settings cannot see each other's values half-way through.
    return exclusiveLoad(() => this.loadWithEnv());
  }

  private async loadWithEnv(): Promise<FeatureExtractionPipeline> {
    if (this.modelsDir !== undefined) {
      env.localModelPath = this.modelsDir;
      env.cacheDir = this.modelsDir;
    }
    env.allowLocalModels = true;
    env.allowRemoteModels = this.allowRemote;
    const where = this.modelsDir ?? (this.allowRemote ? 'the Hugging Face hub' : 'the default models folder');
    try {
      this.prefixes = this.modelsDir === undefined ? { query: '', passage: '' } : await manifestPrefixes(join(this.modelsDir, ...this.modelId.split('/')));
      const extractor = await pipeline('feature-extraction', this.modelId, { quantized: this.quantized });
      // One probe tells the hidden size, which callers need before the first real call
      // (a vector index is created with its dimension).
      const probe = await extractor('dimension probe', { pooling: 'mean', normalize: true });
      this.dim = probe.dims[probe.dims.length - 1];
      return extractor;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ShopError('unavailable', `cannot load embedding model ${this.modelId} from ${where}: ${reason}`, {
        cause: err,
        details: { modelId: this.modelId, modelsDir: this.modelsDir },
      });
    }
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return this.embedTexts(documents, 'passage');
  }

  override async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.embedTexts([document], 'query');
    return vector ?? [];
  }

  private async embedTexts(texts: string[], kind: keyof TextPrefixes): Promise<number[][]> {
    if (texts.length === 0) return [];
    // The prefixes come with the model, so it is loaded before any text is looked up.
    const extractor = await this.extractor();
    const prefix = this.prefixes[kind];
    const documents = prefix ? texts.map((t) => prefix + t) : texts;
    const out = new Array<number[] | undefined>(documents.length);
    // Texts missing from the cache, each once, in first-seen order.
    const pending = new Map<string, number[]>();
    documents.forEach((text, i) => {
      const hit = this.cache.get(this.key(text));
      if (hit) {
        this.counters.cacheHits++;
        out[i] = hit;
      } else {
        const slots = pending.get(text);
        if (slots) slots.push(i);
        else pending.set(text, [i]);
      }
    });
    if (pending.size > 0) {
      for (const batch of lengthBatches([...pending.keys()], this.batchSize)) {
        this.counters.pipelineCalls++;
        this.counters.textsEmbedded += batch.length;
        const tensor = await extractor(batch, { pooling: 'mean', normalize: true });
        const vectors = tensor.tolist() as number[][];
        batch.forEach((text, j) => {
          const vector = vectors[j];
          if (!vector) throw new ShopError('internal', `embedding model ${this.modelId} returned too few vectors`);
          this.cache.set(this.key(text), vector);
          for (const i of pending.get(text) ?? []) out[i] = vector;
        });
      }
    }
    // Copies, so a caller mutating a vector cannot corrupt the cache.
    return out.map((v) => [...(v ?? [])]);
  }

  private key(text: string): string {
    // The model id is part of the key so a cache shared by mistake can never mix models.
    return `${this.modelId}\u0000${text}`;
  }
}

/**
 * The text prefixes in a `models:pull` manifest (`queryPrefix`, `passagePrefix`); none when
 * the folder has no manifest (a model put there by hand) or the manifest names none.
 */
async function manifestPrefixes(dir: string): Promise<TextPrefixes> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch {
    return { query: '', passage: '' };
  }
  const text = (key: string): string => {
    const value = manifest !== null && typeof manifest === 'object' && Object.hasOwn(manifest, key) ? (manifest as Record<string, unknown>)[key] : undefined;
    return typeof value === 'string' ? value : '';
  };
  return { query: text('queryPrefix'), passage: text('passagePrefix') };
}

/**
 * A batch is padded to its longest text, so texts of very different lengths in one batch
 * waste most of the work (bench/embeddings: unsorted batches of 16 ran at 0.6x of one text
 * per call). Sorted by length, a batch takes texts until the longest is 1.25x the shortest.
 */
export function lengthBatches(texts: string[], maxSize: number): string[][] {
  const sorted = [...texts].sort((a, b) => a.length - b.length);
  const batches: string[][] = [];
  let current: string[] = [];
  for (const text of sorted) {
    const first = current[0];
    if (current.length >= maxSize || (first !== undefined && text.length > Math.max(8, first.length) * 1.25)) {
      batches.push(current);
      current = [];
    }
    current.push(text);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
