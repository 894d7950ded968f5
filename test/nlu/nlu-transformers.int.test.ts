import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel, TransformersEmbeddings } from '../../knowledge/index.js';
import { TINY_MODEL_HIDDEN_SIZE } from '../../knowledge/embeddings/index.js';
import { DEFAULT_INTENTS_DIR, Nlu, type NluLogger } from '../../skills/nlu/index.js';

const MODEL = 'tiny-bert';
const INTENTS = ['greeting', 'track_order', 'return_item', 'human_agent', 'out_of_scope'];
let dir: string;

const messages: string[] = [];
const logger: NluLogger = { info: (_o, m) => messages.push(m), warn: (_o, m) => messages.push(m) };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shop-nlu-tiny-'));
  await makeTinyModel(path.join(dir, 'models'), MODEL);
  // A few intents in both languages keep the test fast; the load path is what is under test.
  await mkdir(path.join(dir, 'intents'));
  for (const lang of ['en', 'zh']) {
    const lines = (await readFile(path.join(DEFAULT_INTENTS_DIR, `${lang}.csv`), 'utf8')).split('\n');
    const keep = lines.filter((l) => INTENTS.some((i) => l.endsWith(`,${i}`)));
    await writeFile(path.join(dir, 'intents', `${lang}.csv`), ['text,intent', ...keep].join('\n'));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Nlu on a transformers.js model (the generated tiny BERT)', () => {
  it('trains on the model, saves vectors with its fingerprint, and loads them back with identical answers', async () => {
    const embeddings = () => new TransformersEmbeddings({ modelId: MODEL, modelsDir: path.join(dir, 'models'), allowRemote: false });
    const modelFile = path.join(dir, 'nlu.json');
    const opts = { modelId: MODEL, modelFile, intentsDir: path.join(dir, 'intents'), logger };
    const trained = await Nlu.create({ ...opts, embeddings: embeddings() });
    expect(messages).toEqual(['intent model trained']);
    const saved = JSON.parse(await readFile(modelFile, 'utf8')) as { fingerprint: { modelId: string; dimension: number }; knn: { vectors?: string; texts?: string[] } };
    expect(saved.fingerprint).toMatchObject({ modelId: MODEL, dimension: TINY_MODEL_HIDDEN_SIZE });
    expect(typeof saved.knn.vectors).toBe('string');
    expect(saved.knn.texts).toBeUndefined();

    const loaded = await Nlu.create({ ...opts, embeddings: embeddings() });
    expect(messages).toEqual(['intent model trained', 'intent model loaded']);
    for (const text of ['where is my parcel SA100123', '我要退货', 'talk to a human please', 'what is the weather']) {
      expect(await loaded.parse(text)).toEqual(await trained.parse(text));
    }

    // Another model id makes the saved file stale.
    await Nlu.create({ ...opts, modelId: 'another-model', embeddings: embeddings() });
    expect(messages.at(-1)).toBe('intent model trained');
  });
});
