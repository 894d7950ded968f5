/** The conversation bench's own parts: scenario validation and the shopper's checks (issue 15). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTurn, citedArticles, findButton, inLanguage, isClarification, loadScenarios, type TurnObservation } from '../app/conv-eval/index.js';
import type { Order, Product } from '../store/index.js';

const product = (over: Partial<Product>): Product => ({
  id: 'P-1',
  category: 'headphones',
  title: { en: 'Hush 500 Noise-Cancelling Headphones', zh: '降噪头戴式耳机' },
  description: { en: 'Quiet.', zh: '安静。' },
  price: 919,
  currency: 'CNY',
  stock: 3,
  attributes: { connectivity: 'bluetooth' },
  tags: ['anc'],
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

function obs(over: Partial<TurnObservation>): TurnObservation {
  return { replies: [], lang: 'en', product: () => undefined, order: () => undefined, returnsOpened: 0, handedOff: false, ...over };
}

describe('conv:eval checks', () => {
  it('judges the reply language as a shopper reads it: links, codes and order numbers do not count', () => {
    expect(inLanguage('订单 SA100001 已签收。来源：退货政策 /help/return-policy?lang=zh', 'zh')).toBe(true);
    expect(inLanguage('可选: color: sky blue', 'zh')).toBe(false);
    expect(inLanguage('Your order SA100001 was delivered.', 'en')).toBe(true);
    expect(inLanguage('花呗分期 订单满 300 元即可使用', 'en')).toBe(false);
  });

  it('finds "please rephrase" and "did you mean" in both languages, and the cited articles', () => {
    expect(isClarification('Just to be sure, do you mean:')).toBe(true);
    expect(isClarification('帮助中心里没有找到相关内容。可以换个说法吗？')).toBe(true);
    expect(isClarification('Standard delivery is 10 CNY.')).toBe(false);
    expect(citedArticles('Source: Fees /help/shipping-options-and-fees?lang=en and /help/coupons')).toEqual(['shipping-options-and-fees', 'coupons']);
  });

  it('fails a product card that does not fit, sponsored ones included', () => {
    const anc = product({});
    const wired = product({ id: 'P-2', title: { en: 'Reference 80 Wired Studio Headphones', zh: '有线监听耳机' }, tags: [], attributes: { connectivity: 'wired' }, price: 679 });
    const catalogue = new Map([[anc.id, anc], [wired.id, wired]]);
    const fails = checkTurn(
      { products: { category: 'headphones', match: ['noise cancelling', '降噪'], maxPrice: 800 } },
      obs({ replies: [{ text: 'Here you go', cards: [{ id: 'P-1', title: 'Hush', label: 'sponsored' }, { id: 'P-2', title: 'Ref 80' }] }], product: (id) => catalogue.get(id) }),
    );
    expect(fails).toEqual([
      'card P-1 (sponsored) "Hush" costs 919 > 800',
      'card P-2 "Ref 80" matches none of noise cancelling / 降噪',
    ]);
  });

  it('checks an order by its number and its status in the reply language, and the hand-off and return outcomes', () => {
    const order = { number: 'SA100001', status: 'shipped' } as Order;
    expect(checkTurn({ order: 'SA100001' }, obs({ lang: 'zh', replies: [{ text: '订单 SA100001 已于 12月5日 发出。' }], order: () => order }))).toEqual([]);
    expect(checkTurn({ order: 'SA100001' }, obs({ replies: [{ text: 'Order SA100001 was delivered.' }], order: () => order }))).toEqual(["does not give order SA100001's status (shipped)"]);
    expect(checkTurn({ handoff: true, returnOpened: false }, obs({ replies: [{ text: 'A person will join.' }], handedOff: false, returnsOpened: 1 }))).toEqual([
      'a return was opened',
      'not handed to a person',
    ]);
  });

  it('a reply that asks to rephrase fails unless the scenario allows a clarification; silence is checked both ways', () => {
    const rephrase = obs({ replies: [{ text: 'Could you say it another way?' }] });
    expect(checkTurn(undefined, rephrase)).toEqual(['asked to rephrase or clarify a clear message']);
    expect(checkTurn({ clarify: true }, rephrase)).toEqual([]);
    expect(checkTurn(undefined, obs({}))).toEqual(['no reply']);
    expect(checkTurn({ silent: true }, obs({}))).toEqual([]);
  });

  it('clicks a button by number, title or value', () => {
    const replies = [{ text: 'Which?', suggestedActions: [{ title: 'Wrong size', value: 'wrong_size' }, { title: 'Refund', value: 'refund' }] }];
    expect(findButton(replies, '#2')?.value).toBe('refund');
    expect(findButton(replies, 'size')?.value).toBe('wrong_size');
    expect(findButton(replies, 'REFUND')?.value).toBe('refund');
    expect(findButton(replies, 'exchange')).toBeUndefined();
  });
});

describe('conv:eval scenario files', () => {
  it('loads every scenario in the repository: valid, unique ids, half or more in Chinese, a dev and a test split', () => {
    const all = loadScenarios(path.resolve('data/conversations'));
    expect(all.length).toBeGreaterThanOrEqual(500);
    expect(all.filter((s) => s.lang === 'zh').length * 2).toBeGreaterThanOrEqual(all.length);
    expect(new Set(all.map((s) => s.split))).toEqual(new Set(['dev', 'test']));
  });

  it('names the file and the scenario of every mistake: bad JSON, unknown keys, duplicate ids, bad regular expressions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'conv-scenarios-'));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify([{ id: 'x-1', category: 'faq', lang: 'en', turns: [{ say: 'hi', expect: { says: ['('] } }] }]));
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify([{ id: 'x-1', category: 'faq', lang: 'en', turns: [{ say: 'hi' }] }, { id: 'x-2', category: 'nope', lang: 'en', turns: [] }]));
    writeFileSync(path.join(dir, 'c.json'), '{ not json');
    expect(() => loadScenarios(dir)).toThrow(/bad regular expression[\s\S]*id x-1 is also in[\s\S]*x-2: category[\s\S]*c\.json: not JSON/);
  });
});
