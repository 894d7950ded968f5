import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddings, LexicalEmbeddings, makeTinyModel, TransformersEmbeddings } from '../../knowledge/index.js';
import { TINY_MODEL_HIDDEN_SIZE } from '../../knowledge/embeddings/index.js';
import { isShopError } from '../../store/index.js';
import { lengthBatches } from '../../knowledge/embeddings/transformers-embeddings.js';

const MODEL = 'tiny-bert';
let modelsDir: string;

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'shop-tiny-model-'));
  await makeTinyModel(modelsDir, MODEL);
});

afterAll(async () => {
  await rm(modelsDir, { recursive: true, force: true });
});

describe('TransformersEmbeddings on the generated tiny model', () => {
  it('loads offline through transformers.js and returns normalised vectors of the hidden size', async () => {
    const e = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false });
    expect(e.dimension).toBeUndefined();
    const [en, zh] = await e.embedDocuments(['where is my parcel', '我的订单到哪了']);
    expect(e.dimension).toBe(TINY_MODEL_HIDDEN_SIZE);
    expect(en).toHaveLength(TINY_MODEL_HIDDEN_SIZE);
    expect(zh).toHaveLength(TINY_MODEL_HIDDEN_SIZE);
    expect(norm(en!)).toBeCloseTo(1, 5);
    expect(norm(zh!)).toBeCloseTo(1, 5);
    expect(en).not.toEqual(zh);
  });

  it('loads the model once however many calls race for it', async () => {
    const e = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false, quantized: false });
    await Promise.all([e.embedQuery('a'), e.embedQuery('b'), e.load()]);
    expect(e.stats().loads).toBe(1);
  });

  it('answers the same text from the cache', async () => {
    const e = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false });
    const first = await e.embedQuery('track my order');
    const callsAfterFirst = e.stats().pipelineCalls;
    const second = await e.embedQuery('track my order');
    expect(second).toEqual(first);
    expect(e.stats().pipelineCalls).toBe(callsAfterFirst);
    expect(e.stats().cacheHits).toBe(1);
  });

  it('batches: 10 texts of similar length with batchSize 4 take 3 calls and equal one-by-one vectors, in input order', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `order ${9 - i} is late ${'x'.repeat(i % 3)}`);
    const batched = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false, batchSize: 4, cacheSize: 0 });
    const vectors = await batched.embedDocuments(texts);
    expect(vectors).toHaveLength(10);
    expect(batched.stats().pipelineCalls).toBe(3);
    const single = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false, cacheSize: 0 });
    for (let i = 0; i < texts.length; i++) {
      const one = await single.embedQuery(texts[i]!);
      one.forEach((x, j) => expect(vectors[i]![j]).toBeCloseTo(x, 5));
    }
    expect(single.stats().pipelineCalls).toBe(10);
  });

  it('batches by length so padding stays small: a long text never shares a batch with short ones', () => {
    const texts = ['hi', 'a much longer sentence about a parcel', 'ok', 'yes', 'another long sentence about refunds', 'hello'];
    const batches = lengthBatches(texts, 16);
    expect(batches.flat().sort()).toEqual([...texts].sort());
    for (const b of batches) {
      const lengths = b.map((t) => t.length);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(Math.max(8, Math.min(...lengths)) * 1.25);
    }
    expect(lengthBatches(Array.from({ length: 40 }, () => 'same length'), 16).map((b) => b.length)).toEqual([16, 16, 8]);
  });

  it('evicts the least recently used vector when the cache is full', async () => {
    const e = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false, cacheSize: 2 });
    await e.embedDocuments(['one', 'two']);
    await e.embedQuery('one'); // hit: "one" becomes the most recent
    await e.embedQuery('three'); // evicts "two"
    const before = e.stats();
    await e.embedQuery('one');
    expect(e.stats().cacheHits).toBe(before.cacheHits + 1);
    await e.embedQuery('two');
    expect(e.stats().textsEmbedded).toBe(before.textsEmbedded + 1);
  });

  it('concurrent loads from two folders each get their own model despite the global env', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'shop-tiny-model-other-'));
    try {
      await makeTinyModel(otherDir, MODEL, 7);
      const a = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false });
      const b = new TransformersEmbeddings({ modelId: MODEL, modelsDir: otherDir, allowRemote: false });
      const [va, vb] = await Promise.all([a.embedQuery('my order'), b.embedQuery('my order')]);
      expect(va).not.toEqual(vb);
      const fresh = new TransformersEmbeddings({ modelId: MODEL, modelsDir, allowRemote: false });
      expect(await fresh.embedQuery('my order')).toEqual(va);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('a missing model is a ShopError unavailable naming the model and folder', async () => {
    const e = new TransformersEmbeddings({ modelId: 'no-such-model', modelsDir, allowRemote: false });
    const err: unknown = await e.embedQuery('hi').catch((x: unknown) => x);
    expect(isShopError(err, 'unavailable')).toBe(true);
    expect((err as Error).message).toContain(`cannot load embedding model no-such-model from ${modelsDir}`);
  });
});

describe('createEmbeddings', () => {
  it('uses the transformer model when it loads', async () => {
    const warnings: string[] = [];
    const created = await createEmbeddings({
      modelId: MODEL,
      modelsDir,
      allowRemote: false,
      logger: { warn: (_obj, msg) => warnings.push(msg) },
    });
    expect(created.kind).toBe('transformers');
    expect(created.modelId).toBe(MODEL);
    expect(created.dimension).toBe(TINY_MODEL_HIDDEN_SIZE);
    expect(await created.embeddings.embedQuery('hello')).toHaveLength(TINY_MODEL_HIDDEN_SIZE);
    expect(warnings).toEqual([]);
  });

  it('falls back to lexical embeddings with one warning naming the model', async () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const created = await createEmbeddings({
      modelId: 'missing/model',
      modelsDir: join(modelsDir, 'empty'),
      allowRemote: false,
      logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    });
    expect(created.kind).toBe('lexical');
    expect(created.embeddings).toBeInstanceOf(LexicalEmbeddings);
    expect(created.dimension).toBe(512);
    expect(await created.embeddings.embedQuery('hello')).toHaveLength(512);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('missing/model');
    expect(warnings[0]!.msg).toContain('cannot load embedding model');
    expect(warnings[0]!.obj.modelId).toBe('missing/model');
  });
});
