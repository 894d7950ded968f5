export { KNOWN_MODELS, RECOMMENDED_MODEL_ID, MULTILINGUAL_MODEL_ID, type KnownModel, type ModelSource, type ExtractedFile, type FileTransform } from './registry.js';
export { pullModel, listKnownModels, verifyInstalledModel, modelDir, MANIFEST_FILE } from './pull.js';
export type { PullModelOptions, PullModelResult, PullProgress, ModelManifest, KnownModelStatus } from './pull.js';
export { ZipArchive, isSafeEntryName, type ZipEntry } from './zip.js';
export { readE5Q4, dequantizeQ4, type E5Q4File, type E5Q4Config, type E5Q4Tensor } from './e5-q4.js';
export { buildBertOnnx } from './bert-onnx.js';
export { checkReferenceEmbeddings, readReferenceEmbeddings, referencePath, type ReferenceCheckResult, type ReferenceEmbeddings } from './reference-check.js';
