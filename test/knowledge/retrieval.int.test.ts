import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { LexicalEmbeddings } from '../../knowledge/index.js';
import { loadKnowledgeDir } from '../../knowledge/ingest/index.js';
import { DEFAULT_MIN_CONFIDENCE, KnowledgeBase } from '../../knowledge/retrieval/index.js';
import { openSqliteStore, type Store } from '../../store/index.js';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../../data/demo-shop/knowledge/', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sa-kb-'));
const indexDir = path.join(dir, 'indexes');
let store: Store;

class RecordingLogger {
  warnings: Array<{ o: object; m: string }> = [];
  info(): void {}
  warn(o: object, m: string): void {
    this.warnings.push({ o, m });
  }
}

/** Lexical embeddings that fail on a marker word, to prove a failed embed writes nothing. */
class FlakyEmbeddings implements EmbeddingsInterface {
  private readonly inner = new LexicalEmbeddings();
  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.some((t) => t.includes('EMBED-FAIL'))) throw new Error('model crashed');
    return this.inner.embedDocuments(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.inner.embedQuery(text);
  }
}

function open(logger = new RecordingLogger(), embeddings: EmbeddingsInterface = new FlakyEmbeddings()): Promise<KnowledgeBase> {
  return KnowledgeBase.open({ store, embeddings, modelId: 'lexical', indexDir, logger });
}

beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  for (const { file: _file, ...article } of await loadKnowledgeDir(KNOWLEDGE_DIR)) await store.knowledge.upsert(article);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KnowledgeBase', () => {
  it('builds the index on first open with one warning, then loads it without rebuilding', async () => {
    const logger = new RecordingLogger();
    const kb = await open(logger);
    const articles = (await store.knowledge.list({}, { limit: 500 })).items.length;
    expect(kb.stats()).toMatchObject({ articles, indexRebuilt: true, rebuildReason: 'missing' });
    expect(kb.stats().chunks).toBeGreaterThan(articles);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]!.m).toMatch(/missing/);

    const again = new RecordingLogger();
    const kb2 = await open(again);
    expect(kb2.stats()).toMatchObject({ articles, indexRebuilt: false });
    expect(again.warnings).toEqual([]);
  });

  it('finds the demo articles for shopper questions, in the asked language', async () => {
    const kb = await open();
    const en = await kb.search('can I send back earbuds once the hygiene seal is broken?', { locale: 'en', k: 3 });
    expect(en.map((h) => h.slug)).toContain('non-returnable-items');
    expect(en.every((h) => h.locale === 'en')).toBe(true);
    const zh = await kb.search('退款多久能到账？', { locale: 'zh', k: 3 });
    expect(zh[0]!.slug).toBe('refund-timing');
    expect(zh[0]!.locale).toBe('zh');
    expect(zh[0]!.confidence).toBeGreaterThanOrEqual(DEFAULT_MIN_CONFIDENCE);
    expect(zh[0]!.heading.startsWith(zh[0]!.title)).toBe(true);
  });

  it('makes an upsert searchable at once and saves it, so the next open needs no rebuild', async () => {
    const kb = await open();
    const doc = await kb.upsertArticle({ slug: 'gift-wrapping', locale: 'en', title: 'Gift wrapping', body: 'We wrap presents in recycled bamboo paper for 5 CNY.', category: 'orders' });
    expect((await kb.search('bamboo paper present wrapping', { locale: 'en' }))[0]!.documentId).toBe(doc.id);
    const logger = new RecordingLogger();
    const reopened = await open(logger);
    expect(reopened.stats().indexRebuilt).toBe(false);
    expect(logger.warnings).toEqual([]);
    expect((await reopened.search('bamboo paper present wrapping', { locale: 'en' }))[0]!.documentId).toBe(doc.id);

    expect(await reopened.deleteArticle(doc.id)).toBe(true);
    expect(await reopened.deleteArticle(doc.id)).toBe(false);
    expect(await store.knowledge.get(doc.id)).toBeNull();
    const hits = await reopened.search('bamboo paper present wrapping', { locale: 'en' });
    expect(hits.map((h) => h.documentId)).not.toContain(doc.id);
    expect((await open()).stats().indexRebuilt).toBe(false);
  });

  it('leaves the store untouched when embedding the new article fails', async () => {
    const kb = await open();
    const version = await store.knowledge.dataVersion();
    await expect(kb.upsertArticle({ slug: 'broken', locale: 'en', title: 'Broken', body: 'EMBED-FAIL here', category: 'orders' })).rejects.toThrow(/model crashed/);
    expect(await store.knowledge.getBySlug('broken', 'en')).toBeNull();
    expect(await store.knowledge.dataVersion()).toBe(version);
  });

  it('rebuilds a stale index (the store changed behind its back) and a corrupt one, and reload picks up changes', async () => {
    const kb = await open();
    await store.knowledge.upsert({ slug: 'pet-policy', locale: 'en', title: 'Pets in the shop', body: 'Dogs on a leash are welcome in our showroom.', category: 'general' });
    expect((await kb.search('dogs leash showroom', { locale: 'en', mode: 'bm25' })).map((h) => h.slug)).not.toContain('pet-policy');
    await kb.reload();
    expect(kb.stats()).toMatchObject({ indexRebuilt: true, rebuildReason: 'stale' });
    expect((await kb.search('dogs leash showroom', { locale: 'en' }))[0]!.slug).toBe('pet-policy');

    const files = await readdir(path.join(indexDir, 'knowledge'));
    expect(files).toContain('index.bin');
    await appendFile(path.join(indexDir, 'knowledge', 'index.bin'), 'garbage');
    const logger = new RecordingLogger();
    const kb2 = await open(logger);
    expect(kb2.stats()).toMatchObject({ indexRebuilt: true, rebuildReason: 'corrupt' });
    expect(logger.warnings).toHaveLength(1);
    expect((await kb2.search('dogs leash showroom', { locale: 'en' }))[0]!.slug).toBe('pet-policy');
  });

  it('serialises concurrent writes: every article ends up indexed once', async () => {
    const kb = await open();
    const docs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        kb.upsertArticle({ slug: `batch-${i}`, locale: 'en', title: `Batch ${i}`, body: `Article number ${i} about zebra${i} stripes.`, category: 'general' }),
      ),
    );
    for (const [i, doc] of docs.entries()) expect((await kb.search(`zebra${i}`, { locale: 'en', mode: 'bm25' }))[0]!.documentId).toBe(doc.id);
    const reopened = await open();
    expect(reopened.stats()).toMatchObject({ indexRebuilt: false, chunks: kb.stats().chunks });
  });
});
