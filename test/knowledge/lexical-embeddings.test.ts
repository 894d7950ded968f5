import { describe, expect, it } from 'vitest';
import { LexicalEmbeddings } from '../../knowledge/index.js';

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

function norm(v: number[]): number {
  return Math.sqrt(cosine(v, v));
}

const CORPUS_ZH = ['查询订单物流', '我要退货退款', '修改收货地址', '我的快递到哪了', '怎么付款', '退款多久到账'];
const CORPUS_EN = ['track my order delivery', 'change my password', 'return an item for a refund', 'payment methods', 'where is my invoice'];

describe('LexicalEmbeddings', () => {
  it('is deterministic across instances and calls', async () => {
    const a = new LexicalEmbeddings().fit(CORPUS_EN);
    const b = new LexicalEmbeddings().fit(CORPUS_EN);
    const [x] = await a.embedDocuments(['Where is my parcel?']);
    expect(x).toEqual(await b.embedQuery('Where is my parcel?'));
    expect(await a.embedQuery('Where is my parcel?')).toEqual(x);
  });

  it('returns L2-normalised vectors of the configured dimension, zero for featureless text', async () => {
    const e = new LexicalEmbeddings({ dimension: 128 });
    for (const text of ['hello world', '我的订单到哪了', 'mixed 混合 text 123']) {
      const v = await e.embedQuery(text);
      expect(v).toHaveLength(128);
      expect(norm(v)).toBeCloseTo(1, 10);
    }
    expect(norm(await e.embedQuery('  🙂🙂 '))).toBe(0);
    expect(new LexicalEmbeddings().dimension).toBe(512);
  });

  it('IDF from fit lowers the weight of words that occur everywhere', async () => {
    const corpus = ['order shoes', 'order shirt', 'order coat', 'order dress', 'refund shoes'];
    const fitted = new LexicalEmbeddings().fit(corpus);
    const plain = new LexicalEmbeddings();
    // Without IDF "order" and "refund" count alike; with IDF the rare word "refund"
    // dominates, so "order refund" moves towards "refund shoes" and away from "order coat".
    const q = 'order refund';
    const plainGap = cosine(await plain.embedQuery(q), await plain.embedQuery('refund shoes')) -
      cosine(await plain.embedQuery(q), await plain.embedQuery('order coat'));
    const fittedGap = cosine(await fitted.embedQuery(q), await fitted.embedQuery('refund shoes')) -
      cosine(await fitted.embedQuery(q), await fitted.embedQuery('order coat'));
    expect(fittedGap).toBeGreaterThan(plainGap);
    expect(fittedGap).toBeGreaterThan(0);
  });

  it('serialises its IDF table so an index rebuilds identically', async () => {
    const fitted = new LexicalEmbeddings({ dimension: 256 }).fit(CORPUS_ZH.concat(CORPUS_EN));
    const restored = LexicalEmbeddings.fromJSON(JSON.parse(JSON.stringify(fitted.toJSON())));
    expect(restored.dimension).toBe(256);
    for (const text of ['查询订单物流', 'never seen words', 'track']) {
      expect(await restored.embedQuery(text)).toEqual(await fitted.embedQuery(text));
    }
    // The restored IDF really is in use: an unfitted embedder gives another vector.
    expect(await restored.embedQuery('track my order')).not.toEqual(
      await new LexicalEmbeddings({ dimension: 256 }).embedQuery('track my order'),
    );
  });

  it('understands Chinese without a segmenter', async () => {
    for (const e of [new LexicalEmbeddings(), new LexicalEmbeddings().fit(CORPUS_ZH)]) {
      const [q, track, refund] = await e.embedDocuments(['我的订单到哪了', '查询订单物流', '我要退货退款']);
      expect(cosine(q!, track!)).toBeGreaterThan(cosine(q!, refund!));
    }
  });

  it('puts related English phrasings closer', async () => {
    for (const e of [new LexicalEmbeddings(), new LexicalEmbeddings().fit(CORPUS_EN)]) {
      const [q, track, password] = await e.embedDocuments(['where is my parcel', 'track my order delivery', 'change my password']);
      expect(cosine(q!, track!)).toBeGreaterThan(cosine(q!, password!));
    }
  });
});
