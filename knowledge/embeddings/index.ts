export { LexicalEmbeddings, lexicalFeatures, fnv1a, type LexicalEmbeddingsOptions, type LexicalEmbeddingsState } from './lexical-embeddings.js';
export { TransformersEmbeddings, type TransformersEmbeddingsOptions, type TransformersEmbeddingsStats } from './transformers-embeddings.js';
export { createEmbeddings, type CreateEmbeddingsOptions, type CreatedEmbeddings, type EmbeddingsLogger } from './create-embeddings.js';
export { makeTinyModel, tinyVocab, TINY_MODEL_HIDDEN_SIZE } from './tiny-model.js';
