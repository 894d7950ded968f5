export {
  HnswVectorStore,
  MAX_K,
  type HnswFilter,
  type HnswSpace,
  type HnswVectorStoreOptions,
  type HnswLoadOptions,
  type Fingerprint,
  type ExpectedFingerprint,
  type RebuildSource,
  type OpenOrRebuildOptions,
  type OpenOrRebuildResult,
} from './hnsw-store.js';
