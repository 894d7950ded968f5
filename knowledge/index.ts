export { LexicalEmbeddings, type LexicalEmbeddingsOptions, type LexicalEmbeddingsState } from './embeddings/index.js';
export { TransformersEmbeddings, type TransformersEmbeddingsOptions, type TransformersEmbeddingsStats } from './embeddings/index.js';
export { createEmbeddings, type CreateEmbeddingsOptions, type CreatedEmbeddings, type EmbeddingsLogger } from './embeddings/index.js';
export { makeTinyModel } from './embeddings/index.js';
export { HnswVectorStore, MAX_K, type HnswFilter, type HnswSpace, type HnswVectorStoreOptions, type HnswLoadOptions } from './vector-store/index.js';
export { type Fingerprint, type ExpectedFingerprint, type RebuildSource, type OpenOrRebuildOptions, type OpenOrRebuildResult } from './vector-store/index.js';
export { pullModel, listKnownModels, verifyInstalledModel, KNOWN_MODELS, RECOMMENDED_MODEL_ID, type KnownModel, type PullModelOptions, type PullModelResult, type ModelManifest, type KnownModelStatus } from './models/index.js';
