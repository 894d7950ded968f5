import { fnv1a, lexicalFeatures } from '../../knowledge/embeddings/index.js';
import { seededRandom, shuffleInPlace } from '../../knowledge/index.js';

/** The project's seeded PRNG (knowledge/random.ts): same seed, same split, same shuffles, same model. */
export { seededRandom, shuffleInPlace };

/** Longest text the classifier looks at; intent lives in the first sentences, not in a pasted essay. */
export const MAX_CLASSIFIER_CHARS = 512;

// C0/C1 controls, zero-width and bidi marks (a pasted message carries them invisibly).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
const SPACE = /[\s\u00a0\u3000]+/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * What NLU reads: NFKC (full-width Latin and digits become ASCII), control characters
 * removed, whitespace collapsed, trimmed, capped at `maxChars` code points (an emoji is
 * never cut in half).
 */
export function normalizeText(text: string, maxChars = MAX_CLASSIFIER_CHARS): string {
  let s = typeof text === 'string' ? text : String(text ?? '');
  // A lone surrogate would make normalize() keep garbage; replace it first.
  s = s.replace(LONE_SURROGATE, '\ufffd').replace(CONTROL, ' ').normalize('NFKC').replace(SPACE, ' ').trim();
  if (s.length > maxChars) s = Array.from(s).slice(0, maxChars).join('').trim();
  return s;
}

/** A sparse vector: sorted unique bucket indices and their values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/**
 * Hashed lexical features for the linear model: the embedder's words, character n-grams
 * and CJK n-grams, plus word bigrams; digits are folded to 0 so "SA100123" and "SA200456"
 * are one feature. Sublinear TF, L2-normalised.
 */
export function hashedFeatures(text: string, buckets: number): SparseVector {
  const folded = text.replace(/\d+/g, '0');
  const features = lexicalFeatures(folded);
  const words = folded
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  for (let i = 0; i + 1 < words.length; i++) features.push(`b:${words[i]} ${words[i + 1]}`);
  const tf = new Map<number, number>();
  for (const f of features) {
    const h = fnv1a(f) % buckets;
    tf.set(h, (tf.get(h) ?? 0) + 1);
  }
  const idx = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
  const val = new Float32Array(idx.length);
  let norm = 0;
  for (let i = 0; i < idx.length; i++) {
    const v = 1 + Math.log(tf.get(idx[i]!)!);
    val[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < val.length; i++) val[i]! /= norm;
  return { idx, val };
}

export function f32ToBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function base64ToF32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.byteLength % 4 !== 0) throw new TypeError('float32 data has a length that is not a multiple of 4');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}
