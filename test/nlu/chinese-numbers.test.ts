import { describe, expect, it } from 'vitest';
import { parseChineseNumber, parseEnglishNumber, readNumber } from '../../skills/nlu/entities/index.js';

describe('parseChineseNumber', () => {
  it.each([
    ['零', 0],
    ['一', 1],
    ['十', 10],
    ['十二', 12],
    ['二十', 20],
    ['二十五', 25],
    ['一百零五', 105],
    ['一百五', 150],
    ['两百', 200],
    ['两千五', 2500],
    ['两千零五', 2005],
    ['三万二', 32000],
    ['三万二千五百', 32500],
    ['一万零一百', 10100],
    ['一亿二千万', 120_000_000],
    ['1.5万', 15000],
    ['3千', 3000],
    ['3百', 300],
    ['１２３', 123],
    ['１.５万', 15000],
    ['二〇二六', 2026],
  ])('%s = %d', (text, value) => {
    expect(parseChineseNumber(text)).toBe(value);
  });

  it.each(['', '你好', 'abc', '两三百', '十百', '1,2x'])('%j is not a number', (text) => {
    expect(parseChineseNumber(text)).toBeUndefined();
  });
});

describe('parseEnglishNumber', () => {
  it.each([
    ['one', 1],
    ['twelve', 12],
    ['twenty', 20],
    ['twenty-five', 25],
    ['a dozen', 12],
    ['two dozen', 24],
    ['a couple', 2],
    ['a hundred', 100],
    ['two hundred and five', 205],
    ['three thousand', 3000],
  ])('%s = %d', (text, value) => {
    expect(parseEnglishNumber(text)).toBe(value);
  });

  it.each(['', 'hello', 'a', 'twenty apples'])('%j is not a number', (text) => {
    expect(parseEnglishNumber(text)).toBeUndefined();
  });
});

describe('readNumber', () => {
  it.each([
    ['42', 42],
    ['1,299', 1299],
    ['19.99', 19.99],
    ['1.5k', 1500],
    ['2K', 2000],
    ['１２３', 123],
    ['两千五', 2500],
    ['3百', 300],
    ['twenty', 20],
  ])('%s = %d', (text, value) => {
    expect(readNumber(text)).toBe(value);
  });
});
