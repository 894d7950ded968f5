import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { HnswVectorStore } from '../../knowledge/vector-store/hnsw-store.js';
import type { ExpectedFingerprint } from '../../knowledge/vector-store/hnsw-store.js';
import { isShopError } from '../../store/index.js';
import { seededRandom } from '../../knowledge/index.js';

const DIM = 64;

/** Deterministic fake embedder: hashed bag of words, L2-normalised. */
class HashEmbeddings implements EmbeddingsInterface {
  calls = 0;
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    return texts.map((t) => embed(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    return embed(text);
  }
}

function embed(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 2166136261;
    for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    const i = (h >>> 0) % DIM;
    v[i] = (v[i] as number) + 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}


const TEXTS: Record<string, string> = {
  ship: 'shipping options and delivery time for parcels',
  refund: 'refund policy money back within thirty days',
  pay: 'payment methods credit card alipay wechat pay',
  ret: 'return an item send it back with the label',
  pwd: 'reset your account password by email',
};

function docs(): Document[] {
  return Object.entries(TEXTS).map(
    ([id, text], i) => new Document({ id, pageContent: text, metadata: { locale: i % 2 === 0 ? 'en' : 'zh', kind: i < 3 ? 'faq' : 'guide' } }),
  );
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hnsw-test-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function newStore(e: EmbeddingsInterface = new HashEmbeddings(), initialCapacity = 16): HnswVectorStore {
  return new HnswVectorStore(e, { space: 'cosine', dimension: DIM, initialCapacity, modelId: 'fake', dataVersion: 'v1' });
}

describe('HnswVectorStore', () => {
  it('finds the nearest document, scores descend and lie in [-1, 1]', async () => {
    const store = newStore();
    await store.addDocuments(docs());
    const results = await store.similaritySearchWithScore('refund policy money back', 5);
    expect(results[0]?.[0].id).toBe('refund');
    expect(results).toHaveLength(5);
    for (let i = 1; i < results.length; i++) expect(results[i - 1]![1]).toBeGreaterThanOrEqual(results[i]![1]);
    for (const [, s] of results) {
      expect(s).toBeGreaterThanOrEqual(-1 - 1e-6);
      expect(s).toBeLessThanOrEqual(1 + 1e-6);
    }
    const exact = await store.similaritySearchVectorWithScore(embed(TEXTS.pay!), 1);
    expect(exact[0]?.[0].id).toBe('pay');
    expect(exact[0]?.[1]).toBeCloseTo(1, 5);
  });

  it('takes ids from the ids option over Document.id', async () => {
    const store = newStore();
    const ids = await store.addDocuments([new Document({ id: 'x', pageContent: 'alpha beta' })], { ids: ['y'] });
    expect(ids).toEqual(['y']);
    const [hit] = await store.similaritySearch('alpha beta', 1);
    expect(hit?.id).toBe('y');
  });

  it('upsert replaces in place: count stays, new content found, old not', async () => {
    const store = newStore();
    await store.addDocuments(docs());
    const before = store.getCurrentCount();
    await store.addDocuments([new Document({ id: 'refund', pageContent: 'gift wrapping service for birthdays' })]);
    expect(store.size).toBe(5);
    expect(store.getCurrentCount()).toBe(before);
    const hit = await store.similaritySearch('gift wrapping birthdays', 1);
    expect(hit[0]?.id).toBe('refund');
    expect(hit[0]?.pageContent).toContain('gift');
    const all = await store.similaritySearch('refund policy money back thirty days', 5);
    expect(all.some((d) => d.pageContent.includes('money back'))).toBe(false);
  });

  it('delete: never returned, slot reused on re-add', async () => {
    const store = newStore();
    await store.addDocuments(docs());
    await store.delete({ ids: ['pay', 'ship'] });
    expect(store.size).toBe(3);
    const results = await store.similaritySearch('payment methods credit card shipping delivery', 10);
    expect(results.map((d) => d.id).sort()).toEqual(['pwd', 'refund', 'ret']);
    const count = store.getCurrentCount();
    await store.addDocuments([new Document({ id: 'new1', pageContent: 'loyalty points program' }), new Document({ id: 'new2', pageContent: 'store opening hours' })]);
    expect(store.getCurrentCount()).toBe(count);
    expect((await store.similaritySearch('loyalty points', 1))[0]?.id).toBe('new1');
  });

  it('grows beyond the initial capacity', async () => {
    const store = newStore(new HashEmbeddings(), 4);
    const many = Array.from({ length: 50 }, (_, i) => new Document({ id: `d${i}`, pageContent: `topic${i} word${i} thing${i}` }));
    await store.addDocuments(many);
    expect(store.size).toBe(50);
    expect(store.getMaxElements()).toBeGreaterThanOrEqual(50);
    expect((await store.similaritySearch('topic37 word37 thing37', 1))[0]?.id).toBe('d37');
  });

  it('filters by metadata object and by function', async () => {
    const store = newStore();
    await store.addDocuments(docs());
    const zh = await store.similaritySearch('refund policy', 10, { locale: 'zh' });
    expect(zh.map((d) => d.id).sort()).toEqual(['refund', 'ret']);
    const enFaq = await store.similaritySearch('refund policy', 10, { locale: 'en', kind: 'faq' });
    expect(enFaq.map((d) => d.id).sort()).toEqual(['pay', 'ship']);
    const fn = await store.similaritySearch('anything', 10, (d) => d.id === 'ret');
    expect(fn.map((d) => d.id)).toEqual(['ret']);
    const none = await store.similaritySearch('anything', 10, { locale: 'fr' });
    expect(none).toEqual([]);
  });

  it('clamps k to the live count', async () => {
    const store = newStore();
    expect(await store.similaritySearch('x', 3)).toEqual([]);
    await store.addDocuments(docs());
    await store.delete({ ids: ['ret'] });
    expect(await store.similaritySearch('refund', 500)).toHaveLength(4);
  });

  it('ip space scores are inner products', async () => {
    const store = new HnswVectorStore(new HashEmbeddings(), { space: 'ip', dimension: 3 });
    await store.addVectors([[1, 0, 0], [0, 2, 0], [0.5, 0.5, 0]], [new Document({ id: 'a', pageContent: 'a' }), new Document({ id: 'b', pageContent: 'b' }), new Document({ id: 'c', pageContent: 'c' })]);
    const r = await store.similaritySearchVectorWithScore([0, 3, 0], 3);
    expect(r.map(([d]) => d.id)).toEqual(['b', 'c', 'a']);
    expect(r[0]?.[1]).toBeCloseTo(6, 5);
    expect(r[1]?.[1]).toBeCloseTo(1.5, 5);
    expect(r[2]?.[1]).toBeCloseTo(0, 5);
  });

  it('rejects vectors of the wrong dimension', async () => {
    const store = newStore();
    await expect(store.addVectors([[1, 2]], [new Document({ pageContent: 'x' })])).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('save + load round trip gives identical results and restores ef', async () => {
    const e = new HashEmbeddings();
    const store = new HnswVectorStore(e, { space: 'cosine', dimension: DIM, efSearch: 77, modelId: 'fake', dataVersion: 'v1' });
    await store.addDocuments(docs());
    await store.delete({ ids: ['ship'] });
    const dir = join(await tempDir(), 'idx');
    await store.save(dir);
    const expected: ExpectedFingerprint = { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v1' };
    const loaded = await HnswVectorStore.load(dir, e, { expected, efSearch: 77 });
    expect(loaded.getEf()).toBe(77);
    expect(loaded.size).toBe(4);
    for (const q of ['refund policy', 'password email', 'shipping delivery', 'pay by card']) {
      const a = await store.similaritySearchWithScore(q, 4);
      const b = await loaded.similaritySearchWithScore(q, 4);
      expect(b.map(([d, s]) => [d.id, d.pageContent, d.metadata, s])).toEqual(a.map(([d, s]) => [d.id, d.pageContent, d.metadata, s]));
    }
    // Slot reuse survives the reload: the deleted slot is taken by the next add.
    const count = loaded.getCurrentCount();
    await loaded.addDocuments([new Document({ id: 'ship', pageContent: 'express shipping' })]);
    expect(loaded.getCurrentCount()).toBe(count);
    expect((await loaded.similaritySearch('express shipping', 1))[0]?.id).toBe('ship');
  });

  it('an empty index saved and loaded again takes new documents (a loaded index has room for its count only)', async () => {
    const e = new HashEmbeddings();
    const empty = new HnswVectorStore(e, { space: 'cosine', dimension: DIM, modelId: 'fake', dataVersion: 'v0' });
    const dir = join(await tempDir(), 'idx');
    await empty.save(dir);
    const loaded = await HnswVectorStore.load(dir, e, { expected: { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v0' } });
    expect(loaded.size).toBe(0);
    await loaded.addDocuments(docs());
    expect(loaded.size).toBe(docs().length);
    expect((await loaded.similaritySearch('refund policy', 1))[0]?.id).toBe('refund');
  });

  it('stale fingerprint -> precondition_failed', async () => {
    const e = new HashEmbeddings();
    const store = newStore(e);
    await store.addDocuments(docs());
    const dir = join(await tempDir(), 'idx');
    await store.save(dir);
    const err = await HnswVectorStore.load(dir, e, { expected: { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v2' } }).catch((x: unknown) => x);
    expect(isShopError(err, 'precondition_failed')).toBe(true);
    expect((err as Error).message).toMatch(/^index is stale: dataVersion/);
    const err2 = await HnswVectorStore.load(dir, e, { expected: { modelId: 'other', dimension: DIM, space: 'cosine', dataVersion: 'v1' } }).catch((x: unknown) => x);
    expect(isShopError(err2, 'precondition_failed')).toBe(true);
  });

  it('missing files -> unavailable', async () => {
    const err = await HnswVectorStore.load(join(await tempDir(), 'nope'), new HashEmbeddings()).catch((x: unknown) => x);
    expect(isShopError(err, 'unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/^index is corrupt: /);
  });

  it('openOrRebuild: missing -> rebuild, then fresh -> load, stale -> rebuild', async () => {
    const e = new HashEmbeddings();
    const dir = join(await tempDir(), 'kb', 'idx');
    const expected: ExpectedFingerprint = { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v1' };
    let rebuilds = 0;
    const rebuild = async () => {
      rebuilds++;
      return { documents: docs() };
    };
    const first = await HnswVectorStore.openOrRebuild(dir, e, expected, rebuild, { batchSize: 2 });
    expect(first).toMatchObject({ rebuilt: true, reason: 'missing' });
    expect(e.calls).toBe(3); // 5 documents in batches of 2
    expect((await first.store.similaritySearch('refund policy', 1))[0]?.id).toBe('refund');
    const second = await HnswVectorStore.openOrRebuild(dir, e, expected, rebuild);
    expect(second.rebuilt).toBe(false);
    expect(second.reason).toBeUndefined();
    expect(rebuilds).toBe(1);
    const third = await HnswVectorStore.openOrRebuild(dir, e, { ...expected, dataVersion: 'v2' }, rebuild);
    expect(third).toMatchObject({ rebuilt: true, reason: 'stale' });
    expect(third.store.fingerprint().dataVersion).toBe('v2');
    const fourth = await HnswVectorStore.openOrRebuild(dir, e, { ...expected, dataVersion: 'v2' }, rebuild);
    expect(fourth.rebuilt).toBe(false);
  });

  it('openOrRebuild: truncated index.bin -> rebuild with reason corrupt', async () => {
    const e = new HashEmbeddings();
    const dir = join(await tempDir(), 'idx');
    const expected: ExpectedFingerprint = { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v1' };
    const store = newStore(e);
    await store.addDocuments(docs());
    await store.save(dir);
    const size = (await stat(join(dir, 'index.bin'))).size;
    await truncate(join(dir, 'index.bin'), Math.floor(size / 2));
    const res = await HnswVectorStore.openOrRebuild(dir, e, expected, async () => ({ documents: docs() }));
    expect(res).toMatchObject({ rebuilt: true, reason: 'corrupt' });
    expect(res.store.size).toBe(5);
    const again = await HnswVectorStore.openOrRebuild(dir, e, expected, async () => ({ documents: [] }));
    expect(again.rebuilt).toBe(false);
    expect(again.store.size).toBe(5);
  });

  it('a truncated index.bin that passes the checksum is still reported corrupt by the native reader', async () => {
    const e = new HashEmbeddings();
    const dir = join(await tempDir(), 'idx');
    const store = newStore(e);
    await store.addDocuments(docs());
    await store.save(dir);
    const bin = join(dir, 'index.bin');
    await truncate(bin, Math.floor((await stat(bin)).size / 2));
    const docstorePath = join(dir, 'docstore.json');
    const docstore = JSON.parse(await readFile(docstorePath, 'utf8')) as { indexSha256: string };
    docstore.indexSha256 = createHash('sha256').update(await readFile(bin)).digest('hex');
    await writeFile(docstorePath, JSON.stringify(docstore));
    const err = await HnswVectorStore.load(dir, e).catch((x: unknown) => x);
    expect(isShopError(err, 'unavailable')).toBe(true);
    expect((err as Error).message).toBe('index is corrupt: index.bin unreadable');
  });

  it('concurrent openOrRebuild calls on one directory all succeed and leave a loadable index', async () => {
    const e = new HashEmbeddings();
    const dir = join(await tempDir(), 'idx');
    const expected: ExpectedFingerprint = { modelId: 'fake', dimension: DIM, space: 'cosine', dataVersion: 'v1' };
    const rebuild = async () => ({ documents: docs() });
    const results = await Promise.all(Array.from({ length: 6 }, () => HnswVectorStore.openOrRebuild(dir, e, expected, rebuild)));
    expect(results.every((r) => r.store.size === 5)).toBe(true);
    const after = await HnswVectorStore.openOrRebuild(dir, e, expected, rebuild);
    expect(after.rebuilt).toBe(false);
    expect(after.store.size).toBe(5);
  });

  it('recall@10 against brute force is at least 0.95 on 2,000 random documents', async () => {
    const dim = 32;
    const rand = seededRandom(42);
    const vec = (): number[] => {
      const v = Array.from({ length: dim }, () => rand() * 2 - 1);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const vectors = Array.from({ length: 2000 }, vec);
    const store = new HnswVectorStore(new HashEmbeddings(), { space: 'cosine', dimension: dim, initialCapacity: 256, efSearch: 100 });
    await store.addVectors(vectors, vectors.map((_, i) => new Document({ id: String(i), pageContent: `doc ${i}` })));
    let hits = 0;
    const queries = 100;
    for (let q = 0; q < queries; q++) {
      const query = vec();
      const truth = vectors
        .map((v, i) => [i, v.reduce((s, x, j) => s + x * (query[j] as number), 0)] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([i]) => String(i));
      const got = new Set((await store.similaritySearchVectorWithScore(query, 10)).map(([d]) => d.id));
      hits += truth.filter((id) => got.has(id)).length;
    }
    expect(hits / (queries * 10)).toBeGreaterThanOrEqual(0.95);
  });
  it('a selective filter (1% of 2,000 documents) still returns k matches, nearest first', async () => {
    const dim = 16;
    const rand = seededRandom(7);
    const vectors = Array.from({ length: 2000 }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
    const store = new HnswVectorStore(new HashEmbeddings(), { space: 'ip', dimension: dim, initialCapacity: 64 });
    await store.addVectors(vectors, vectors.map((_, i) => new Document({ id: String(i), pageContent: '', metadata: { shard: i % 100 } })));
    const query = Array.from({ length: dim }, () => rand() * 2 - 1);
    const got = await store.similaritySearchVectorWithScore(query, 10, { shard: 3 });
    const truth = vectors
      .map((v, i) => [i, v.reduce((acc, x, j) => acc + x * (query[j] as number), 0)] as const)
      .filter(([i]) => i % 100 === 3)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10);
    expect(got.map(([d]) => d.metadata.shard)).toEqual(new Array(10).fill(3));
    expect(got.map(([d]) => Number(d.id))).toEqual(truth.map(([i]) => i));
    expect(got[0]?.[1]).toBeCloseTo(truth[0]![1], 4);
  });
});
