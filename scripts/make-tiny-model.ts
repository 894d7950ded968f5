/**
 * Generates the tiny BERT-shaped test model: `npx tsx scripts/make-tiny-model.ts <outDir> [name]`.
 * Point MODELS_DIR at <outDir> and use <name> as the model id to load it offline.
 */
import { resolve } from 'node:path';
import { makeTinyModel } from '../knowledge/embeddings/tiny-model.js';

const [outDir, name = 'tiny-bert'] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: npx tsx scripts/make-tiny-model.ts <outDir> [modelName]');
  process.exit(2);
}
const dir = await makeTinyModel(resolve(outDir), name);
console.log(`tiny model written to ${dir}`);
