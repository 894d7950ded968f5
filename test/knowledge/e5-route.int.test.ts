import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { loadConfig } from '../../app/config.js';
import { loadZhRoute, routeModelFile } from '../../app/understanding.js';
import { LexicalEmbeddings, makeTinyModel, TransformersEmbeddings } from '../../knowledge/index.js';
import { loadKnowledgeDir } from '../../knowledge/ingest/index.js';
import { MANIFEST_FILE, MULTILINGUAL_MODEL_ID } from '../../knowledge/models/index.js';
import { DEFAULT_MIN_CONFIDENCE, KnowledgeBase, resolveLanguageRoute, routeConfidence } from '../../knowledge/retrieval/index.js';
import { DEFAULT_INTENTS_DIR, Nlu, QUERY_SIDE } from '../../skills/nlu/index.js';
import { openSqliteStore, type Store } from '../../store/index.js';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../../data/demo-shop/knowledge/', import.meta.url));
const INTENTS = ['greeting', 'track_order', 'return_item', 'human_agent', 'out_of_scope'];
const dir = mkdtempSync(path.join(tmpdir(), 'sa-e5-route-'));
const modelsDir = path.join(dir, 'models');
const intentsDir = path.join(dir, 'intents');

class Lines {
  readonly lines: Array<{ level: 'info' | 'warn'; o: object; m: string }> = [];
  info(o: object, m: string): void {
    this.lines.push({ level: 'info', o, m });
  }
  warn(o: object, m: string): void {
    this.lines.push({ level: 'warn', o, m });
  }
  messages(): string[] {
    return this.lines.map((l) => l.m);
  }
}

/** Lexical vectors that record every text they embed, to see which model a query went to. */
class Recording implements EmbeddingsInterface {
  readonly inner = new LexicalEmbeddings();
  readonly queries: string[] = [];
  readonly documents: string[] = [];
  get dimension(): number {
    return this.inner.dimension;
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documents.push(...texts);
    return this.inner.embedDocuments(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    this.queries.push(text);
    return this.inner.embedQuery(text);
  }
}

const config = (env: Record<string, string>) => loadConfig({ MODELS_DIR: modelsDir, DATA_DIR: path.join(dir, 'data'), ...env }, dir);

beforeAll(async () => {
  // Two tiny BERTs: the main model and one installed where the multilingual model would be.
  await makeTinyModel(modelsDir, 'tiny-en', 1);
  const zhDir = await makeTinyModel(modelsDir, MULTILINGUAL_MODEL_ID, 2);
  await writeFile(path.join(zhDir, MANIFEST_FILE), JSON.stringify({ modelId: MULTILINGUAL_MODEL_ID, languages: ['en', 'zh'], queryPrefix: 'query: ', passagePrefix: 'passage: ' }));
  await mkdir(intentsDir);
  for (const lang of ['en', 'zh']) {
    const lines = (await readFile(path.join(DEFAULT_INTENTS_DIR, `${lang}.csv`), 'utf8')).split('\n');
    await writeFile(path.join(intentsDir, `${lang}.csv`), ['text,intent', ...lines.filter((l) => INTENTS.some((i) => l.endsWith(`,${i}`)))].join('\n'));
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('EMBEDDINGS_MODEL_ZH: which model Chinese goes to', () => {
  const main = { kind: 'transformers' as const, modelId: 'tiny-en' };

  it('auto picks the multilingual model when it is installed and the main model is a sentence model', async () => {
    expect(await resolveLanguageRoute('auto', main, modelsDir)).toEqual({ modelId: MULTILINGUAL_MODEL_ID, explicit: false });
    expect(await resolveLanguageRoute('auto', { kind: 'lexical', modelId: 'lexical' }, modelsDir)).toMatchObject({ reason: expect.stringMatching(/lexical/) });
    expect(await resolveLanguageRoute('auto', main, path.join(dir, 'empty'))).toMatchObject({ reason: expect.stringMatching(/not installed.*models:pull/) });
    expect(await resolveLanguageRoute('none', main, modelsDir)).toMatchObject({ reason: 'EMBEDDINGS_MODEL_ZH=none' });
    expect(await resolveLanguageRoute('tiny-en', main, modelsDir)).toMatchObject({ reason: expect.stringMatching(/names EMBEDDINGS_MODEL/) });
    expect(await resolveLanguageRoute('some/model', main, modelsDir)).toEqual({ modelId: 'some/model', explicit: true });
  });

  it('loads the route model, or says in one line why Chinese stays on the main model', async () => {
    const ok = new Lines();
    const route = await loadZhRoute(config({ EMBEDDINGS_MODEL_ZH: 'auto' }), main, ok);
    expect(route).toMatchObject({ kind: 'transformers', modelId: MULTILINGUAL_MODEL_ID, dimension: 32 });
    expect(ok.lines).toEqual([]);

    const missing = new Lines();
    expect(await loadZhRoute(config({ EMBEDDINGS_MODEL_ZH: 'acme/not-installed' }), main, missing)).toBeUndefined();
    expect(missing.lines).toHaveLength(1);
    expect(missing.lines[0]).toMatchObject({ level: 'warn', o: { fix: 'npm run cli -- models:pull acme/not-installed' } });
    expect(missing.lines[0]!.m).toMatch(/^Chinese model acme\/not-installed unavailable \(.+\): Chinese messages use tiny-en$/);

    const off = new Lines();
    expect(await loadZhRoute(config({ EMBEDDINGS_MODEL_ZH: 'none' }), main, off)).toBeUndefined();
    expect(off.lines).toEqual([{ level: 'info', o: expect.any(Object), m: 'Chinese messages use tiny-en: EMBEDDINGS_MODEL_ZH=none' }]);
  });
});

describe('Nlu routed by language', () => {
  const tiny = (id: string) => new TransformersEmbeddings({ modelId: id, modelsDir, allowRemote: false });

  it('reads a Chinese message with the Chinese classifier and an English one with the main one; each saved with its own fingerprint', async () => {
    const modelFile = path.join(dir, 'nlu', 'model.json');
    const zhFile = routeModelFile(modelFile, 'zh');
    expect(zhFile).toBe(path.join(dir, 'nlu', 'model.zh.json'));
    const log = new Lines();
    const opts = { modelId: 'tiny-en', modelFile, intentsDir, logger: log };
    const nlu = await Nlu.create({ ...opts, embeddings: tiny('tiny-en'), zh: { embeddings: tiny(MULTILINGUAL_MODEL_ID), modelId: MULTILINGUAL_MODEL_ID, modelFile: zhFile } });
    expect(log.messages()).toEqual(['intent model trained', 'intent model trained']);
    const zh = nlu.zhClassifier!;
    expect(zh).toBeDefined();
    // Trained on the Chinese examples only, on query-side vectors of the route's model.
    const zhRows = (await readFile(path.join(intentsDir, 'zh.csv'), 'utf8')).trim().split('\n').length - 1;
    expect(zh.report.examples).toBe(zhRows);
    expect(nlu.classifier.report.examples).toBeGreaterThan(zhRows);
    expect(zh.fingerprint.modelId).toBe(`${MULTILINGUAL_MODEL_ID}${QUERY_SIDE}`);
    expect(JSON.parse(await readFile(zhFile, 'utf8')).fingerprint.modelId).toBe(`${MULTILINGUAL_MODEL_ID}${QUERY_SIDE}`);
    expect(JSON.parse(await readFile(modelFile, 'utf8')).fingerprint.modelId).toBe('tiny-en');

    const zhSpy = vi.spyOn(zh, 'classify');
    const enSpy = vi.spyOn(nlu.classifier, 'classify');
    const cn = await nlu.parse('我的快递到哪了');
    expect(cn.language).toBe('zh');
    expect(zhSpy).toHaveBeenCalledTimes(1);
    expect(enSpy).not.toHaveBeenCalled();
    const en = await nlu.parse('where is my parcel');
    expect(en.language).toBe('en');
    expect(enSpy).toHaveBeenCalledTimes(1);
    expect(zhSpy).toHaveBeenCalledTimes(1);
    // The batch path used by nlu:eval routes the same way.
    const [a, b] = await nlu.classifyBatch(['我要退货', 'talk to a human please']);
    expect(a).toMatchObject(await zh.classifyBatch(['我要退货']).then((p) => p[0]!));
    expect(b).toMatchObject(await nlu.classifier.classifyBatch(['talk to a human please']).then((p) => p[0]!));

    // A second start loads both saved models; the Chinese one is stale when its model changes.
    const again = new Lines();
    await Nlu.create({ ...opts, logger: again, embeddings: tiny('tiny-en'), zh: { embeddings: tiny(MULTILINGUAL_MODEL_ID), modelId: MULTILINGUAL_MODEL_ID, modelFile: zhFile } });
    expect(again.messages()).toEqual(['intent model loaded', 'intent model loaded']);
    const changed = new Lines();
    await Nlu.create({ ...opts, logger: changed, embeddings: tiny('tiny-en'), zh: { embeddings: tiny('tiny-en'), modelId: 'tiny-en', modelFile: zhFile } });
    expect(changed.messages()).toEqual(['intent model loaded', 'intent model trained']);
    expect(changed.lines[1]!.o).toMatchObject({ reason: 'stale: modelId changed' });
  });

  it('without a route, Chinese is read by the main classifier', async () => {
    const nlu = await Nlu.create({ modelId: 'tiny-en', modelFile: path.join(dir, 'nlu', 'model.json'), intentsDir, logger: new Lines(), embeddings: tiny('tiny-en') });
    expect(nlu.zhClassifier).toBeUndefined();
    expect(nlu.classifierFor('zh')).toBe(nlu.classifier);
    const spy = vi.spyOn(nlu.classifier, 'classify');
    expect((await nlu.parse('我要退货')).language).toBe('zh');
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('KnowledgeBase routed by language', () => {
  let store: Store;
  const indexDir = path.join(dir, 'indexes');

  beforeAll(async () => {
    store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
    for (const { file: _file, ...article } of await loadKnowledgeDir(KNOWLEDGE_DIR)) await store.knowledge.upsert(article);
  });
  afterAll(async () => {
    await store.close();
  });

  it('maps a route floor onto the shared one, keeping order and both ends', () => {
    expect(routeConfidence(0.57, 0.57)).toBe(DEFAULT_MIN_CONFIDENCE);
    expect(routeConfidence(0, 0.57)).toBe(0);
    expect(routeConfidence(1, 0.57)).toBe(1);
    expect(routeConfidence(0.55, 0.57)).toBeLessThan(DEFAULT_MIN_CONFIDENCE);
    expect(routeConfidence(0.6, 0.57)).toBeGreaterThan(DEFAULT_MIN_CONFIDENCE);
    expect(routeConfidence(DEFAULT_MIN_CONFIDENCE, 0.57, true)).toBe(0.57);
    for (const c of [0.1, 0.42, 0.8]) expect(routeConfidence(routeConfidence(c, 0.57), 0.57, true)).toBeCloseTo(c, 3);
  });

  it('embeds every chunk with each model, answers Chinese queries from the route, English from the main index', async () => {
    const main = new Recording();
    const zh = new Recording();
    const open = (zhModelId: string, zhEmbeddings: Recording, log = new Lines()) =>
      KnowledgeBase.open({
        store,
        embeddings: main,
        modelId: 'main-model',
        dimension: main.dimension,
        indexDir,
        logger: log,
        zhRoute: { embeddings: zhEmbeddings, modelId: zhModelId, dimension: zhEmbeddings.dimension, minConfidence: 0.57 },
      });
    const log = new Lines();
    const kb = await open('zh-model', zh, log);
    expect(zh.documents.length).toBe(kb.stats().chunks);
    expect(main.documents.length).toBe(kb.stats().chunks);
    expect(kb.stats()).toMatchObject({ indexRebuilt: true, zh: { modelId: 'zh-model', minConfidence: 0.57, indexRebuilt: true, rebuildReason: 'missing' } });
    expect((await readdir(indexDir)).sort()).toEqual(['knowledge', 'knowledge-zh']);

    const zhHits = await kb.search('退货运费谁出', { locale: 'zh' });
    expect(zh.queries).toEqual(['退货运费谁出']);
    expect(main.queries).toEqual([]);
    expect(zhHits[0]?.locale).toBe('zh');
    // The route's raw confidence (the same vectors in a plain index), mapped onto the shared scale.
    const plain = await KnowledgeBase.open({ store, embeddings: new Recording(), modelId: 'zh-model', indexDir: path.join(dir, 'plain'), logger: new Lines() });
    const raw = await plain.search('退货运费谁出', { locale: 'zh' });
    expect(zhHits.map((h) => h.chunkId)).toEqual(raw.map((h) => h.chunkId));
    expect(zhHits.map((h) => h.confidence)).toEqual(raw.map((h) => routeConfidence(h.confidence, 0.57)));
    expect(raw[0]!.confidence).not.toBe(zhHits[0]!.confidence);
    expect(kb.modelFor('退货运费谁出')).toBe('zh-model');

    await kb.search('who pays for return shipping?', { locale: 'en' });
    expect(main.queries).toEqual(['who pays for return shipping?']);
    expect(zh.queries).toEqual(['退货运费谁出']);
    expect(kb.modelFor('who pays for return shipping?')).toBe('main-model');

    // A write reaches both indexes and both saved folders.
    await kb.upsertArticle({ slug: 'gift-wrap', locale: 'zh', title: '礼品包装', body: '礼品包装免费，下单时在备注里写上即可。', category: 'general' });
    expect((await kb.search('礼品包装要钱吗', { locale: 'zh' }))[0]?.slug).toBe('gift-wrap');
    expect((await kb.search('gift wrap 礼品包装', { locale: 'zh', mode: 'vector' }))[0]?.slug).toBe('gift-wrap');

    // Reopened: both saved indexes are fresh; a new route model rebuilds only the Chinese one.
    const reopened = await open('zh-model', new Recording());
    expect(reopened.stats()).toMatchObject({ indexRebuilt: false, zh: { indexRebuilt: false } });
    const other = new Recording();
    const switched = await open('zh-model-2', other);
    expect(switched.stats()).toMatchObject({ indexRebuilt: false, zh: { modelId: 'zh-model-2', indexRebuilt: true, rebuildReason: 'stale' } });
    expect(other.documents.length).toBe(switched.stats().chunks);
  });

  it('refuses a route floor outside 0..1', async () => {
    await expect(
      KnowledgeBase.open({ store, embeddings: new Recording(), modelId: 'm', indexDir: path.join(dir, 'bad'), logger: new Lines(), zhRoute: { embeddings: new Recording(), modelId: 'z', minConfidence: 1.5 } }),
    ).rejects.toThrow(/minConfidence must be between 0 and 1/);
  });
});
