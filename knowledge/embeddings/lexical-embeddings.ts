import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';

export interface LexicalEmbeddingsOptions extends EmbeddingsParams {
  /** Vector length; features are hashed into this many buckets. */
  dimension?: number;
}

/** The serialisable state of a fitted embedder: enough to rebuild an index identically. */
export interface LexicalEmbeddingsState {
  version: 1;
  dimension: number;
  /** Inverse document frequency per feature, keyed by the feature's 32-bit hash. */
  idf: Record<string, number>;
  maxIdf: number;
  documents: number;
}

const DEFAULT_DIMENSION = 512;

// Han, Hiragana, Katakana and Hangul: scripts written without spaces, so character
// n-grams stand in for a word segmenter.
const CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const LATIN_WORD = /[\p{L}\p{N}]+/gu;

/** FNV-1a over UTF-16 code units: our own tiny hash, stable across runs and platforms. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The features of a text: Latin words (lower-cased), their character 3..5-grams with
 * word boundaries, and character 1..3-grams of CJK runs. Prefixes keep kinds apart.
 */
export function lexicalFeatures(text: string): string[] {
  const features: string[] = [];
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const match of normalised.matchAll(CJK_RUN)) {
    const chars = [...match[0]];
    for (let n = 1; n <= 3; n++) {
      for (let i = 0; i + n <= chars.length; i++) features.push(`c:${chars.slice(i, i + n).join('')}`);
    }
  }
  const latin = normalised.replace(CJK_RUN, ' ');
  for (const match of latin.matchAll(LATIN_WORD)) {
    const word = match[0];
    features.push(`w:${word}`);
    const padded = [...`<${word}>`];
    for (let n = 3; n <= 5; n++) {
      for (let i = 0; i + n <= padded.length; i++) features.push(`g:${padded.slice(i, i + n).join('')}`);
    }
  }
  return features;
}

/**
 * Hashed bag of words and character n-grams, sublinear TF times IDF, L2-normalised.
 * The fallback when no transformer model can be loaded: no files, no downloads, and
 * Chinese works without segmentation. Call `fit` on the corpus to learn IDF; without it
 * every feature weighs 1.
 */
export class LexicalEmbeddings extends Embeddings {
  readonly dimension: number;
  private idf = new Map<number, number>();
  private maxIdf = 1;
  private documents = 0;

  constructor(options: LexicalEmbeddingsOptions = {}) {
    super(options);
    const dimension = options.dimension ?? DEFAULT_DIMENSION;
    if (!Number.isInteger(dimension) || dimension < 2) {
      throw new TypeError(`LexicalEmbeddings: dimension must be an integer >= 2, got ${dimension}`);
    }
    this.dimension = dimension;
  }

  /** Learns smoothed IDF (ln((1+N)/(1+df))+1) from a corpus; replaces any earlier fit. */
  fit(texts: string[]): this {
    const df = new Map<number, number>();
    for (const text of texts) {
      for (const h of new Set(lexicalFeatures(text).map((f) => fnv1a(f)))) df.set(h, (df.get(h) ?? 0) + 1);
    }
    const n = texts.length;
    this.idf = new Map();
    for (const [h, count] of df) this.idf.set(h, Math.log((1 + n) / (1 + count)) + 1);
    // A feature never seen in the corpus is rarer than any seen one: give it the max.
    this.maxIdf = Math.log(1 + n) + 1;
    this.documents = n;
    return this;
  }

  /** Synchronous core, for callers (BM25 hybrids, tests) that need no promise. */
  embed(text: string): number[] {
    const tf = new Map<number, number>();
    for (const feature of lexicalFeatures(text)) {
      const h = fnv1a(feature);
      tf.set(h, (tf.get(h) ?? 0) + 1);
    }
    const vector = new Array<number>(this.dimension).fill(0);
    for (const [h, count] of tf) {
      const weight = (1 + Math.log(count)) * (this.documents === 0 ? 1 : (this.idf.get(h) ?? this.maxIdf));
      // A second, independent hash picks the sign so collisions cancel out on average
      // instead of always adding up (the "hashing trick" with signed buckets).
      const sign = (fnv1a(String(h), 0x9747b28c) & 1) === 0 ? 1 : -1;
      const bucket = h % this.dimension;
      vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
    }
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    // An empty or emoji-only text has no features: return the zero vector, not NaNs.
    return norm === 0 ? vector : vector.map((v) => v / norm);
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => this.embed(d));
  }

  override async embedQuery(document: string): Promise<number[]> {
    return this.embed(document);
  }

  toJSON(): LexicalEmbeddingsState {
    const idf = Object.fromEntries([...this.idf].map(([h, v]) => [String(h), v]));
    return { version: 1, dimension: this.dimension, idf, maxIdf: this.maxIdf, documents: this.documents };
  }

  static fromJSON(state: LexicalEmbeddingsState): LexicalEmbeddings {
    if (state.version !== 1) throw new TypeError(`LexicalEmbeddings: unknown state version ${String(state.version)}`);
    const embeddings = new LexicalEmbeddings({ dimension: state.dimension });
    embeddings.idf = new Map(Object.entries(state.idf).map(([h, v]) => [Number(h), v]));
    embeddings.maxIdf = state.maxIdf;
    embeddings.documents = state.documents;
    return embeddings;
  }
}
