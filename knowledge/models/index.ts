export { KNOWN_MODELS, RECOMMENDED_MODEL_ID, type KnownModel, type ModelSource, type ExtractedFile, type FileTransform } from './registry.js';
export { pullModel, listKnownModels, verifyInstalledModel, modelDir, MANIFEST_FILE } from './pull.js';
export type { PullModelOptions, PullModelResult, PullProgress, ModelManifest, KnownModelStatus } from './pull.js';
export { ZipArchive, isSafeEntryName, type ZipEntry } from './zip.js';
