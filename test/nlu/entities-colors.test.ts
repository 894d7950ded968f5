/**
 * Issue 16 part 3: a colour word that names a tier, a programme, a card, a sale day or a
 * service is no colour ("gold account", "black friday", "金卡会员"); a product with the same
 * words stays one ("red card holder").
 */
import { describe, expect, it } from 'vitest';
import { AttributeExtractor, EntityExtractor } from '../../skills/nlu/entities/index.js';

const attributes = new AttributeExtractor({ colors: ['Black', 'Gold', 'Silver', 'Rose Gold'] });
const colors = (text: string) => attributes.colors(text).map((c) => c.value);

describe('colour words that are not colours', () => {
  it.each([
    'I want to open a gold account',
    'can I upgrade my gold membership',
    'is there a discount for gold members?',
    'silver tier benefits',
    'what do platinum-level and silver-level get',
    'black friday deals',
    'Black-Friday sale',
    'can I pay with orange money',
    'I have a green card, can I order',
    'my membership level is gold',
    'account tier: silver',
    'loyalty status is Gold',
    '金卡会员有什么优惠',
    '银卡会员',
    '金色会员能打几折',
    '黑色星期五有活动吗',
    '会员等级是金色',
    '我是黑卡用户',
  ])('%j has no colour', (text) => {
    expect(colors(text)).toEqual([]);
  });

  it.each([
    ['a black card holder', ['Black']],
    ['黑色卡包', ['Black']],
    ['the gold necklace, not the silver one', ['Gold', 'Silver']],
    ['rose gold watch', ['Rose Gold']],
    ['black jacket for my gold account', ['Black']],
    ['do you have it in black? friday delivery ok', ['Black']],
    ['黑色的 星期五能到吗', ['Black']],
  ])('a colour of a product stays one: %j', (text, want) => {
    expect(colors(text)).toEqual(want);
  });

  it('"black friday" and "黑色星期五" are not next Friday either', async () => {
    const extractor = new EntityExtractor();
    const now = new Date('2026-12-07T04:00:00Z');
    expect((await extractor.extract('any black friday deals?', { now })).map((e) => e.type)).toEqual([]);
    expect((await extractor.extract('黑色星期五有活动吗', { now })).map((e) => e.type)).toEqual([]);
    expect((await extractor.extract('can it arrive by friday?', { now })).map((e) => e.type)).toEqual(['date']);
  });

  it('a long run of colour and tier words is read without trouble', () => {
    const text = 'gold account, black jacket; '.repeat(400);
    const found = colors(text);
    expect(found.every((c) => c === 'Black')).toBe(true);
    expect(found.length).toBeGreaterThan(0);
  });
});
