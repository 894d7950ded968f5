import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// The graph helpers write real ONNX bytes (onnx-proto), so the tiny model goes through
// onnxruntime like a hub model.
import { encodeModel, hiddenStateOutput, int64SequenceInput, onnx, type GraphProto } from '../models/onnx-graph.js';
import { seededRandom } from '../random.js';

/** Sizes of the generated model; small so generating and loading take milliseconds. */
export const TINY_MODEL_HIDDEN_SIZE = 32;
const TYPE_VOCAB_SIZE = 2;
const MAX_POSITIONS = 128;

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

// Words a shop's customers use, so English test sentences mostly map to whole words
// rather than to [UNK]; letters and ##letters make every Latin word tokenisable.
const WORDS = `
the a an and or but not no yes is are was were be been am i you he she it we they me my your our
their his her its this that these those what where when why how who which can could would should
will do does did have has had get got give go going come want need please thanks thank hello hi
bye help order orders parcel package delivery deliver delivered track tracking ship shipping shipped
return returns refund refunds money pay payment paid card cash price cost cheap expensive discount
coupon code account password email phone address change cancel update status time day days week
today tomorrow yesterday late fast slow free size colour color red blue black white green small
medium large shoe shoes shirt dress bag coat jacket phone case product products item items stock
available buy bought sell store shop cart checkout invoice receipt problem issue broken wrong damaged
missing lost human agent person talk speak service customer support policy long much many one two
three four five ten hundred of to in on at for with from by about into over after before up down
out off again still just only also very more most less new old good bad great ok okay sorry
`;
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'er', 'ly', 'est', 'ment', 'ness', 'ion'];
const CJK = `我你他她它们的了是不在有这那要想查询订单物流快递到哪里退货款换钱支付宝微信价格多少便宜贵
颜色尺码大小红蓝黑白衣服鞋子包手机号码地址修改取消时间天周今明昨发送达问题坏错丢人工客服帮助谢再见好吗呢么什怎样能可以会`;
const PUNCTUATION = ['.', ',', '?', '!', "'", '-', '?', '。', '，', '？', '！'];

/** The WordPiece vocabulary, in id order; deterministic so test expectations hold. */
export function tinyVocab(): string[] {
  const seen = new Set<string>();
  const vocab: string[] = [];
  const add = (token: string): void => {
    if (token.length > 0 && !seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  SPECIAL_TOKENS.forEach(add);
  WORDS.split(/\s+/).forEach(add);
  for (let c = 97; c <= 122; c++) add(String.fromCharCode(c));
  for (let c = 97; c <= 122; c++) add(`##${String.fromCharCode(c)}`);
  for (let d = 0; d <= 9; d++) {
    add(String(d));
    add(`##${d}`);
  }
  SUFFIXES.forEach((s) => add(`##${s}`));
  [...CJK.replace(/\s+/g, '')].forEach(add);
  PUNCTUATION.forEach(add);
  return vocab;
}


function randomTable(rows: number, cols: number, next: () => number): number[] {
  const out = new Array<number>(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (next() * 2 - 1) * 0.5;
  return out;
}

function tokenizerJson(vocab: string[]): Record<string, unknown> {
  const id = (token: string): number => vocab.indexOf(token);
  const special = (token: string): Record<string, unknown> => ({
    id: id(token),
    content: token,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const entry = (token: string): Record<string, unknown> => ({ id: token, ids: [id(token)], tokens: [token] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': entry('[CLS]'), '[SEP]': entry('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

/**
 * The graph: last_hidden_state = (Gather(words, input_ids) + Gather(types, token_type_ids))
 * * attention_mask. It is not a transformer, but it has BERT's inputs and output, which is
 * all transformers.js's feature-extraction pipeline needs to run its real code path.
 */
function modelBytes(vocabSize: number, seed: number): Uint8Array {
  const next = seededRandom(seed);
  const H = TINY_MODEL_HIDDEN_SIZE;
  const { FLOAT, INT64 } = onnx.TensorProto.DataType;
  const graph: GraphProto = {
    name: 'tiny-bert',
    input: [int64SequenceInput('input_ids'), int64SequenceInput('attention_mask'), int64SequenceInput('token_type_ids')],
    output: [hiddenStateOutput('last_hidden_state', H)],
    initializer: [
      { name: 'word_embeddings', dataType: FLOAT, dims: [vocabSize, H], floatData: randomTable(vocabSize, H, next) },
      {
        name: 'token_type_embeddings',
        dataType: FLOAT,
        dims: [TYPE_VOCAB_SIZE, H],
        floatData: randomTable(TYPE_VOCAB_SIZE, H, next),
      },
      // Unsqueeze takes its axes as an input from opset 13 on.
      { name: 'mask_axes', dataType: INT64, dims: [1], int64Data: [2] },
    ],
    node: [
      { opType: 'Gather', input: ['word_embeddings', 'input_ids'], output: ['words'], name: 'gather_words' },
      {
        opType: 'Gather',
        input: ['token_type_embeddings', 'token_type_ids'],
        output: ['types'],
        name: 'gather_types',
      },
      { opType: 'Add', input: ['words', 'types'], output: ['summed'], name: 'add' },
      {
        opType: 'Cast',
        input: ['attention_mask'],
        output: ['mask_float'],
        name: 'cast_mask',
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      },
      { opType: 'Unsqueeze', input: ['mask_float', 'mask_axes'], output: ['mask_3d'], name: 'unsqueeze_mask' },
      { opType: 'Mul', input: ['summed', 'mask_3d'], output: ['last_hidden_state'], name: 'apply_mask' },
    ],
  };
  return encodeModel(graph, { irVersion: 7, opset: 13, producerName: 'shop-assistant make-tiny-model' });
}

/**
 * Writes a tiny BERT-shaped feature-extraction model into `<outDir>/<modelName>` in the
 * layout transformers.js loads from a local models folder. Tests generate it into a temp
 * dir, so no binary file is ever committed. Returns the model's folder.
 */
export async function makeTinyModel(outDir: string, modelName = 'tiny-bert', seed = 42): Promise<string> {
  const vocab = tinyVocab();
  const dir = join(outDir, modelName);
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: vocab.length,
    hidden_size: TINY_MODEL_HIDDEN_SIZE,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: TINY_MODEL_HIDDEN_SIZE * 2,
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: TYPE_VOCAB_SIZE,
    pad_token_id: 0,
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_POSITIONS,
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
  };
  const bytes = modelBytes(vocab.length, seed);
  await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  // The same graph under both names: transformers.js picks model_quantized.onnx when
  // `quantized` is true (its default) and model.onnx otherwise.
  await writeFile(join(dir, 'onnx', 'model.onnx'), bytes);
  await writeFile(join(dir, 'onnx', 'model_quantized.onnx'), bytes);
  return dir;
}
