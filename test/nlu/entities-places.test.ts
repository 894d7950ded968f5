/**
 * Issue 16 part 3: countries (every destination of the demo's international-shipping article,
 * and common others) and mainland-China cities, in English and Chinese, as canonical values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CITIES, COUNTRIES, EntityExtractor, extractCities, extractCountries } from '../../skills/nlu/entities/index.js';

const places = async (text: string) =>
  (await new EntityExtractor().extract(text)).filter((e) => e.type === 'country' || e.type === 'city').map((e) => `${e.type}:${(e as { value: string }).value}`);

describe('countries', () => {
  it.each([
    ['do you ship to Japan?', ['country:JP']],
    ['how long to south korea', ['country:KR']],
    ['shipping to the United States', ['country:US']],
    ['ship to the US?', ['country:US']],
    ['can you send it to the UK or Ireland', ['country:GB', 'country:IE']],
    ['deliver to New Zealand', ['country:NZ']],
    ['寄到香港要多久', ['country:HK']],
    ['澳门能送吗', ['country:MO']],
    ['发台湾要多少运费', ['country:TW']],
    ['能寄到新加坡和马来西亚吗', ['country:SG', 'country:MY']],
    ['寄到中国香港', ['country:HK']],
    ['港澳台包邮吗', ['country:HK', 'country:MO', 'country:TW']],
    ['我在德国，可以寄吗', ['country:DE']],
    ['do you ship within the EU?', ['country:EU']],
    ['shipping to Turkey', ['country:TR']],
  ])('%j', async (text, want) => {
    expect(await places(text)).toEqual(want);
  });

  it.each(['tell us more', 'a turkey sandwich', 'ships from South America?', 'Latin America', '中国风连衣裙', '国内地址怎么改', '中国银行卡能付吗', 'chile sauce', 'the union'])(
    '%j names no country',
    async (text) => {
      expect((await places(text)).filter((p) => p.startsWith('country'))).toEqual([]);
    },
  );

  it('every destination named in the demo shop\'s international-shipping article is known, in both languages', () => {
    for (const lang of ['en', 'zh']) {
      const article = readFileSync(new URL(`../../data/demo-shop/knowledge/international-shipping.${lang}.md`, import.meta.url), 'utf8');
      const codes = new Set(extractCountries(article).map((c) => c.value));
      for (const code of ['HK', 'MO', 'TW', 'SG', 'MY', 'JP', 'KR', 'AU', 'NZ', 'US', 'CA', 'GB', 'IE', 'EU']) expect(codes.has(code), `${lang} ${code}`).toBe(true);
    }
  });

  it('every country has a Chinese name, and codes are ISO-shaped and distinct', () => {
    const codes = COUNTRIES.map((c) => c.value);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of COUNTRIES) {
      expect(c.value).toMatch(/^[A-Z]{2}$/);
      expect(c.zh.length).toBeGreaterThan(0);
    }
  });
});

describe('mainland-China cities', () => {
  it.each([
    ['送到成都几天', ['city:Chengdu']],
    ['how long does delivery to Chengdu take', ['city:Chengdu']],
    ["can you deliver to Xi'an", ["city:Xi'an"]],
    ['shipping to xian?', ["city:Xi'an"]],
    ['杭州到北京要几天', ['city:Hangzhou', 'city:Beijing']],
    ['寄到乌鲁木齐', ['city:Urumqi']],
    ['中山市能到吗', ['city:Zhongshan']],
    ['I live in shenzhen', ['city:Shenzhen']],
  ])('%j', async (text, want) => {
    expect(await places(text)).toEqual(want);
  });

  it.each(['我想买一个长沙发', '大同小异', '中山路的店', '中山装有吗', '一个面包头'])('%j names no city', (text) => {
    expect(extractCities(text)).toEqual([]);
  });

  it('about sixty cities, each with an English and a Chinese name, values distinct', () => {
    expect(CITIES.length).toBeGreaterThanOrEqual(60);
    expect(CITIES.length).toBeLessThanOrEqual(100);
    expect(new Set(CITIES.map((c) => c.value)).size).toBe(CITIES.length);
    for (const c of CITIES) expect(c.zh[0]).toMatch(/^[\u4e00-\u9fff]{2,4}$/);
  });

  it('a 10,000-character message of place names is read up to the cap, offsets exact', async () => {
    const text = 'Shanghai 北京 Japan 香港 '.repeat(600);
    const found = await new EntityExtractor().extract(text);
    expect(found.length).toBeGreaterThan(100);
    for (const e of found) expect(text.slice(e.start, e.end)).toBe(e.text);
  });
});
