import { describe, expect, it } from 'vitest';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { LexicalEmbeddings } from '../../knowledge/index.js';
import type {
  HybridIndex} from '../../knowledge/retrieval/index.js';
import {
  analyze,
  Bm25Index,
  buildEvalIndex,
  DEFAULT_MIN_CONFIDENCE,
  evaluateRetrieval,
  FUSION_SHARE_WEIGHT,
  MAX_QUERY_CHARS,
  sanitizeQuery,
  stem,
  type EvalArticle,
} from '../../knowledge/retrieval/index.js';

describe('analyze', () => {
  it('gives Chinese character unigrams and bigrams, keeps digits, drops stop words, stems English', () => {
    expect(analyze('退货运费')).toEqual(['退', '退货', '货', '货运', '运', '运费', '费']);
    // 的 is a function character: no unigram, but its bigrams stay.
    expect(analyze('我的订单')).toEqual(['我的', '的订', '订', '订单', '单']);
    expect(analyze('How do I return 2 items within 7-day window?')).toEqual(['return', '2', 'item', 'within', '7', 'day', 'window']);
    expect(['shipping', 'shipped', 'ships', 'ship'].map(stem)).toEqual(['ship', 'ship', 'ship', 'ship']);
    expect(['deliveries', 'delivery'].map(stem)).toEqual(['delivery', 'delivery']);
    expect(analyze("what's")).toEqual([]);
  });
});

describe('Bm25Index', () => {
  it('ranks by BM25, adds and removes documents incrementally, and filters by metadata', () => {
    const idx = new Bm25Index<{ locale: string }>();
    idx.add('a', 'refund timing: refunds reach your card in 3 days', { locale: 'en' });
    idx.add('b', 'shipping fees and delivery options', { locale: 'en' });
    idx.add('c', '退款多久到账', { locale: 'zh' });
    const hits = idx.search('when does my refund arrive', 10);
    expect(hits.map((h) => h.id)).toEqual(['a']);
    expect(hits[0]!.rank).toBe(1);
    expect(idx.search('退款', 10).map((h) => h.id)).toEqual(['c']);
    expect(idx.search('退款', 10, (m) => m.locale === 'en')).toEqual([]);

    idx.add('d', 'refund refund refund policy', { locale: 'en' });
    expect(idx.search('refund', 10).map((h) => h.id)).toEqual(['d', 'a']);
    expect(idx.remove('d')).toBe(true);
    expect(idx.remove('d')).toBe(false);
    expect(idx.search('refund', 10).map((h) => h.id)).toEqual(['a']);
    // Replacing a document drops its old terms.
    idx.add('a', 'exchanges for another size', { locale: 'en' });
    expect(idx.search('refund', 10)).toEqual([]);
    expect(idx.size).toBe(3);
  });

  it('reference score: a query of unknown words weighs as much as known ones, so its share of matches stays low', () => {
    const idx = new Bm25Index();
    idx.add('a', 'coupon rules', {});
    idx.add('b', 'points rules', {});
    const known = idx.search('coupon', 1)[0]!.score / idx.referenceScore('coupon');
    const diluted = idx.search('coupon weather forecast tomorrow', 1)[0]!.score / idx.referenceScore('coupon weather forecast tomorrow');
    expect(known).toBeGreaterThan(0.5);
    expect(diluted).toBeLessThan(known / 2);
  });

  it('reference score: a Chinese character pair the index never saw, made of two characters it has, is a join of words and does not dilute the match', () => {
    const idx = new Bm25Index();
    idx.add('vip', '怎样 成为 VIP 会员 有 什么 好处 才 能', {});
    idx.add('other', '退货 运费 说明', {});
    // 样才 and 能成 join words; both characters of each are known, so they are not missing concepts.
    const colloquial = idx.search('怎样才能成为VIP', 1)[0]!.score / idx.referenceScore('怎样才能成为VIP');
    expect(colloquial).toBeGreaterThan(0.8);
    // A pair with a character the index never saw still counts in full: 天气 is not a join.
    const offTopic = idx.search('VIP天气', 1)[0]!.score / idx.referenceScore('VIP天气');
    expect(offTopic).toBeLessThan(0.5);
  });
});

const ARTICLES: EvalArticle[] = [
  { id: 'returns.en', locale: 'en', title: 'Return policy', body:
      '## No-reason returns\n\nReturn most items within 7 days of delivery for any reason, unused and with tags. The 7 days start the day after the carrier records delivery. Keep the original packaging and any free gifts, and send everything back together in one parcel.\n\n' +
      '## Faulty items\n\nFaulty items can be returned within 15 days, whatever their condition after normal use. After 15 days the warranty applies. If something arrived broken or we sent the wrong item, tell us within 48 hours with a photo.' },
  { id: 'returns.zh', locale: 'zh', title: '退货政策', body: '## 七天无理由退货\n\n签收后 7 天内可以无理由退货，商品需未使用、吊牌完好。\n\n## 质量问题\n\n质量问题 15 天内可退。' },
  { id: 'shipping.en', locale: 'en', title: 'Shipping fees', body: 'Standard delivery is free over 99 CNY. SF Express costs 12 CNY and arrives the next day.' },
  { id: 'shipping.zh', locale: 'zh', title: '运费说明', body: '订单满 99 元免运费。顺丰快递 12 元，次日送达。' },
  { id: 'password.en', locale: 'en', title: 'Reset your password', body: 'Tap "Forgot password" on the sign-in page and enter the code we text you.' },
  { id: 'only-en.en', locale: 'en', title: 'Gift cards', body: 'Gift cards never expire and can be used on any order.' },
];

async function index(embeddings: EmbeddingsInterface = new LexicalEmbeddings()): Promise<HybridIndex> {
  return buildEvalIndex(ARTICLES, embeddings);
}

describe('HybridIndex', () => {
  it('fuses BM25 and vector scores, one hit per article, with confidence in 0..1', async () => {
    const idx = await index();
    const hits = await idx.search('how many days do I have to return unused items?', { locale: 'en', k: 5 });
    expect(hits[0]!.documentId).toBe('returns.en');
    expect(hits[0]!.bm25?.rank).toBe(1);
    expect(hits[0]!.vector?.rank).toBeGreaterThan(0);
    expect(hits[0]!.heading).toMatch(/^Return policy/);
    expect(new Set(hits.map((h) => h.documentId)).size).toBe(hits.length);
    for (const h of hits) {
      expect(h.locale).toBe('en');
      expect(h.confidence).toBeGreaterThanOrEqual(0);
      expect(h.confidence).toBeLessThanOrEqual(1);
    }
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    // All chunks on request: both sections of the policy can come back.
    const chunks = await idx.search('returned within days', { locale: 'en', k: 10, allChunks: true });
    expect(chunks.filter((h) => h.documentId === 'returns.en').length).toBe(2);
  });

  it('fuses the scores, not the ranks: a passage the vectors are sure of beats one BM25 ranks first on a weak match; each retriever alone is still available', async () => {
    // Two-dimensional vectors: "parcel" texts point one way, everything else the other.
    const toward = (t: string): number[] => (/parcel|delivered|neighbour/i.test(t) ? [1, 0.05] : [0.05, 1]);
    const embeddings: EmbeddingsInterface = { embedDocuments: async (ts) => ts.map(toward), embedQuery: async (t) => toward(t.replace(/nothing arrived/, 'parcel')) };
    const idx = await buildEvalIndex(
      [
        { id: 'lost.en', locale: 'en', title: 'Lost parcels', body: 'If tracking says delivered but your parcel is not there, ask a neighbour first.' },
        { id: 'arrive.en', locale: 'en', title: 'When will it arrive', body: 'Nothing arrived yet? Orders arrive in 2 to 4 days. It arrived late? It arrived damaged?' },
      ],
      embeddings,
    );
    const q = 'it says it arrived but nothing arrived';
    expect((await idx.search(q, { locale: 'en', mode: 'bm25' }))[0]!.documentId).toBe('arrive.en');
    expect((await idx.search(q, { locale: 'en', mode: 'vector' }))[0]!.documentId).toBe('lost.en');
    const hybrid = await idx.search(q, { locale: 'en' });
    expect(hybrid[0]!.documentId).toBe('lost.en');
    // The hybrid score is the weighted sum the hit reports evidence for.
    const top = hybrid[0]!;
    const share = (top.bm25?.score ?? 0) / idx.bm25.referenceScore(q);
    expect(top.score).toBeCloseTo(FUSION_SHARE_WEIGHT * Math.min(1, share) + (1 - FUSION_SHARE_WEIGHT) * top.vector!.similarity, 6);
    // Rank fusion, the baseline, gives both retrievers' first hits the same vote.
    const rrf = await idx.search(q, { locale: 'en', mode: 'rrf' });
    expect(rrf).toHaveLength(2);
    expect(rrf[0]!.score).toBeCloseTo(rrf[1]!.score, 9);
  });

  it('ranks a query its vectors do not serve (Chinese with an English model) by BM25 alone', async () => {
    const idx = await buildEvalIndex(ARTICLES, new LexicalEmbeddings(), { vectorLocales: ['en'] });
    const hybrid = await idx.search('顺丰快递要多少钱', { locale: 'zh' });
    const bm25 = await idx.search('顺丰快递要多少钱', { locale: 'zh', mode: 'bm25' });
    expect(hybrid.map((h) => h.documentId)).toEqual(bm25.map((h) => h.documentId));
    expect(hybrid.every((h) => h.vector === undefined)).toBe(true);
  });

  it('prefers the asked locale and falls back to the other only when nothing in it matches', async () => {
    const idx = await index();
    const zh = await idx.search('顺丰快递要多少钱', { locale: 'zh' });
    expect(zh[0]!.documentId).toBe('shipping.zh');
    expect(zh.every((h) => h.locale === 'zh')).toBe(true);
    // No Chinese article about gift cards: the English one answers.
    const fallback = await idx.search('gift cards 会过期吗', { locale: 'zh' });
    expect(fallback[0]!.documentId).toBe('only-en.en');
    expect(fallback[0]!.confidence).toBeGreaterThanOrEqual(DEFAULT_MIN_CONFIDENCE);
  });

  it('answers on-topic questions with more confidence than off-topic ones', async () => {
    const idx = await index();
    const on = (await idx.search('I forgot my password', { locale: 'en' }))[0]!;
    const off = (await idx.search('what is the weather like tomorrow?', { locale: 'en' }))[0];
    expect(on.documentId).toBe('password.en');
    expect(on.confidence).toBeGreaterThanOrEqual(DEFAULT_MIN_CONFIDENCE);
    expect(off?.confidence ?? 0).toBeLessThan(DEFAULT_MIN_CONFIDENCE);
  });

  it('never throws on odd queries, and caps what it embeds', async () => {
    const seen: string[] = [];
    const lexical = new LexicalEmbeddings();
    const spy: EmbeddingsInterface = {
      embedDocuments: (t) => lexical.embedDocuments(t),
      embedQuery: (t) => {
        seen.push(t);
        return lexical.embedQuery(t);
      },
    };
    const idx = await index(spy);
    expect(await idx.search('')).toEqual([]);
    expect(await idx.search('   \n\t ')).toEqual([]);
    expect(await idx.search('\u0000\u0007\u001b')).toEqual([]);
    expect(await idx.search('😀🎉🔥')).toEqual([]);
    expect(await idx.search(undefined as unknown as string)).toEqual([]);
    const long = await idx.search('return policy '.repeat(800), { locale: 'en' });
    expect(long[0]?.documentId).toBe('returns.en');
    expect(Math.max(...seen.map((s) => s.length))).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    const ctrl = await idx.search('reset\u0000 my\u0008 password\u202e', { k: 1 });
    expect(ctrl[0]?.documentId).toBe('password.en');
    expect(sanitizeQuery('a\u0000b\n\nc')).toBe('a b c');
  });

  it('updates and removes articles incrementally', async () => {
    const idx = await index();
    await idx.addArticle({ id: 'gift.en', slug: 'gift', locale: 'en', title: 'Gift wrapping', body: 'We wrap presents in bamboo paper.', category: 'orders' });
    expect((await idx.search('bamboo paper wrapping', { locale: 'en' }))[0]!.documentId).toBe('gift.en');
    await idx.addArticle({ id: 'gift.en', slug: 'gift', locale: 'en', title: 'Gift wrapping', body: 'We wrap presents in a furoshiki cloth.', category: 'orders' });
    const after = await idx.search('bamboo paper', { locale: 'en', mode: 'bm25' });
    expect(after.map((h) => h.documentId)).not.toContain('gift.en');
    expect(await idx.remove('gift.en')).toBe(true);
    expect((await idx.search('furoshiki cloth', { locale: 'en' })).map((h) => h.documentId)).not.toContain('gift.en');
    expect(idx.vectorStore.size).toBe(idx.chunkCount);
  });
});

describe('evaluateRetrieval', () => {
  it('scores each retriever and counts off-topic queries that pass the threshold', async () => {
    const idx = await index();
    const report = await evaluateRetrieval(idx, [
      { query: 'forgot password code', expected: ['password.en'] },
      { query: '无理由退货几天', expected: ['returns.zh'] },
      { query: 'SF Express next day delivery cost', expected: ['shipping.en', 'shipping.zh'] },
      { query: 'tell me a joke about penguins', expected: [] },
    ]);
    expect(report.queries).toBe(4);
    expect(report.offTopic.count).toBe(1);
    expect(report.byRetriever.bm25.queries).toBe(3);
    expect(report.byRetriever.bm25['hit@1']).toBe(1);
    expect(report['hit@1']).toBe(report.byRetriever.hybrid['hit@1']);
    for (const mode of ['bm25', 'vector', 'hybrid'] as const) {
      const s = report.byRetriever[mode];
      expect(s.mrr).toBeGreaterThanOrEqual(s['hit@1']);
      expect(s['hit@5']).toBeGreaterThanOrEqual(s['hit@1']);
    }
  });
});
