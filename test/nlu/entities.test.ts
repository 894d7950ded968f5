import { describe, expect, it } from 'vitest';
import type { Entity } from '../../skills/types.js';
import {
  AttributeExtractor,
  EntityExtractor,
  extractEmails,
  extractMoney,
  extractOrderNumbers,
  extractPhones,
  extractPriceRanges,
  extractQuantities,
  resolveOverlaps,
} from '../../skills/nlu/entities/index.js';

/** The parts of an entity a table row states: type, text and the value fields. */
function brief(e: Entity): Record<string, unknown> {
  const { start: _s, end: _e, ...rest } = e;
  return rest;
}

describe('order numbers', () => {
  it.each([
    ['SA100123', 'SA100123', 'SA100123'],
    ['where is sa-100123?', 'sa-100123', 'SA100123'],
    ['#SA100123 has not arrived', '#SA100123', 'SA100123'],
    ['订单SA 100123怎么还没到', 'SA 100123', 'SA100123'],
    ['my order 100123', '100123', 'SA100123'],
    ['order number: 100123', '100123', 'SA100123'],
    ['订单号100123', '100123', 'SA100123'],
    ['ＳＡ１００１２３', 'ＳＡ１００１２３', 'SA100123'],
  ])('%j -> %s', async (text, span, value) => {
    const found = await new EntityExtractor().extract(text);
    expect(found.filter((e) => e.type === 'order_number').map(brief)).toEqual([{ type: 'order_number', text: span, value }]);
  });

  it.each(['SA1001234', 'SA10012', 'USA100123', 'I have 100123 points', 'visa 100123'])('%j has none', (text) => {
    expect(extractOrderNumbers(text)).toEqual([]);
  });

  it('takes the shop pattern from the constructor', async () => {
    const extractor = new EntityExtractor({ orderNumberPattern: /ORD\d{8}/ });
    const found = await extractor.extract('ord-12345678 and order 87654321, not SA100123');
    expect(found.filter((e) => e.type === 'order_number').map((e) => e.value)).toEqual(['ORD12345678', 'ORD87654321']);
  });
});

describe('phones', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['call 138 0013 8000 please', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['0086-13800138000', '13800138000'],
    ['电话：15912345678', '15912345678'],
    ['010-12345678', '01012345678'],
    ['(021) 1234 5678', '02112345678'],
    ['+86 10 1234 5678', '01012345678'],
    ['+1 415 555 0100', '+14155550100'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%j -> %s', (text, value) => {
    expect(extractPhones(text).map((e) => e.value)).toEqual([value]);
  });

  it.each(['SA100123', '12800138000', '¥13800138000', '2026-03-03', '138001380001', 'iPhone 15', '100-200元'])('%j has none', (text) => {
    expect(extractPhones(text)).toEqual([]);
  });
});

describe('e-mails', () => {
  it.each([
    ['mail me at li.wei@example.com', 'li.wei@example.com'],
    ['Wang_Fang+shop@Mail.Example.CN。', 'Wang_Fang+shop@mail.example.cn'],
    ['邮箱是abc123@qq.com谢谢', 'abc123@qq.com'],
  ])('%j -> %s', (text, value) => {
    expect(extractEmails(text).map((e) => e.value)).toEqual([value]);
  });

  it.each(['user@localhost', '@example.com', 'a@b'])('%j has none', (text) => {
    expect(extractEmails(text)).toEqual([]);
  });
});

describe('money', () => {
  it.each([
    ['$50', 50, 'USD'],
    ['it costs 50 dollars', 50, 'USD'],
    ['USD 20', 20, 'USD'],
    ['US$19.99', 19.99, 'USD'],
    ['fifty bucks', 50, 'USD'],
    ['¥299', 299, 'CNY'],
    ['￥299', 299, 'CNY'],
    ['299元', 299, 'CNY'],
    ['299块钱', 299, 'CNY'],
    ['三百块', 300, 'CNY'],
    ['两千五百元', 2500, 'CNY'],
    ['1.5万元', 15000, 'CNY'],
    ['RMB 200', 200, 'CNY'],
    ['200 yuan', 200, 'CNY'],
    ['1.5k', 1500, undefined],
  ])('%j -> %d %s', (text, value, currency) => {
    const found = extractMoney(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ type: 'money', value });
    expect((found[0] as { currency?: string }).currency).toBe(currency);
  });

  it.each(['iPhone 15', 'SA100123', 'size 42', '3 days', '我要两件'])('%j has none', (text) => {
    expect(extractMoney(text)).toEqual([]);
  });
});

describe('price ranges', () => {
  it.each([
    ['under $50', { max: 50, currency: 'USD' }],
    ['running shoes below 500', { max: 500 }],
    ['less than 300 yuan', { max: 300, currency: 'CNY' }],
    ['no more than 200', { max: 200 }],
    ['at most ¥800', { max: 800, currency: 'CNY' }],
    ['over 100', { min: 100 }],
    ['more than $30', { min: 30, currency: 'USD' }],
    ['at least 200元', { min: 200, currency: 'CNY' }],
    ['between 100 and 200', { min: 100, max: 200 }],
    ['100-200元', { min: 100, max: 200, currency: 'CNY' }],
    ['100到200', { min: 100, max: 200 }],
    ['预算300~500', { min: 300, max: 500 }],
    ['500元以下', { max: 500, currency: 'CNY' }],
    ['300以内', { max: 300 }],
    ['不超过200', { max: 200 }],
    ['200以上', { min: 200 }],
    ['99元起', { min: 99, currency: 'CNY' }],
    ['from $20 to $40', { min: 20, max: 40, currency: 'USD' }],
    ['两三百', { min: 200, max: 300 }],
    ['三四千的', { min: 3000, max: 4000 }],
    ['一千左右', { min: 800, max: 1200 }],
    ['around 1000', { min: 800, max: 1200 }],
    ['about $50', { min: 40, max: 60, currency: 'USD' }],
  ])('%j', (text, fields) => {
    const found = extractPriceRanges(text);
    expect(found).toHaveLength(1);
    const { type, text: _t, start: _s, end: _e, ...rest } = found[0] as Entity;
    expect(type).toBe('price_range');
    expect(rest).toEqual(fields);
  });

  it('a comma before an amount ends a clause, inside one it is a thousands separator', () => {
    expect(extractPriceRanges('黑色跑鞋,500元以下').map((e) => e.max)).toEqual([500]);
    expect(extractMoney('¥1,299').map((e) => e.value)).toEqual([1299]);
  });

  it.each(['more than 3 days', 'within 7 days', 'about 2 pairs', '3-5 days', '2026-03-03', 'size 40-42', 'over 18 years old', 'change the size from 40 to 41', '两张券能一起用吗'])('%j has none', (text) => {
    expect(extractPriceRanges(text)).toEqual([]);
  });

  it('reports the range only, not the money inside it', async () => {
    const found = await new EntityExtractor().extract('black sneakers under $50 please');
    expect(found.filter((e) => e.type === 'money' || e.type === 'price_range').map(brief)).toEqual([
      { type: 'price_range', text: 'under $50', max: 50, currency: 'USD' },
    ]);
  });
});

describe('quantities', () => {
  it.each([
    ['2 pairs of socks', 2, 'pair'],
    ['I want three of them', 3, undefined],
    ['x3', 3, undefined],
    ['×2', 2, undefined],
    ['qty: 4', 4, undefined],
    ['10 pcs', 10, 'piece'],
    ['a pair of jeans', 1, 'pair'],
    ['a couple of tees', 2, undefined],
    ['我要两件', 2, '件'],
    ['三个', 3, '个'],
    ['一双', 1, '双'],
    ['5条牛仔裤', 5, '条'],
  ])('%j -> %d %s', (text, value, unit) => {
    const found = extractQuantities(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ type: 'quantity', value });
    expect((found[0] as { unit?: string }).unit).toBe(unit);
  });

  it.each(['3个月前', '第一件', 'iPhone 15', 'I want 2'])('%j has none', (text) => {
    expect(extractQuantities(text)).toEqual([]);
  });

  it.each([
    ['SA100123', 'order_number'],
    ['13800138000', 'phone'],
    ['2026-03-03', 'date'],
    ['三百块', 'money'],
    ['3 days ago', 'date'],
  ])('%j is a %s, not a quantity', async (text, type) => {
    const found = await new EntityExtractor().extract(text, { now: new Date('2026-03-10T04:00:00Z') });
    expect(found.map((e) => e.type)).toEqual([type]);
  });
});

describe('colours', () => {
  const attributes = new AttributeExtractor({ colors: ['black', 'grey', 'navy', 'sky blue', 'Off-White'] });
  it.each([
    ['black sneakers', 'black'],
    ['黑色的', 'black'],
    ['要黑的', 'black'],
    ['a gray tee', 'grey'],
    ['灰色', 'grey'],
    ['navy blue jacket', 'navy'],
    ['藏青色外套', 'navy'],
    ['浅蓝色', 'sky blue'],
    ['off white', 'Off-White'],
    ['米白色', 'Off-White'],
    ['咖啡色', 'brown'],
    ['卡其色裤子', 'khaki'],
    ['rose gold', 'rose gold'],
    ['银色手表', 'silver'],
  ])('%j -> %s', (text, value) => {
    expect(attributes.colors(text).map((e) => e.value)).toEqual([value]);
  });

  it.each(['我明白了', '发个红包', '蓝牙耳机', 'I ordered it', 'sandals', 'credit'])('%j has none', (text) => {
    expect(attributes.colors(text)).toEqual([]);
  });
});

describe('sizes', () => {
  const attributes = new AttributeExtractor({ sizes: ['XS', 'S', 'M', 'L', 'XL', 'XXL', '42', '45 mm'] });
  it.each([
    ['size M', 'M'],
    ['M', 'M'],
    ['do you have it in L?', 'L'],
    ['I need an XL', 'XL'],
    ['2XL', 'XXL'],
    ['L码', 'L'],
    ['要XL码的', 'XL'],
    ['大号', 'L'],
    ['小号', 'S'],
    ['加大', 'XL'],
    ['size 42', '42'],
    ['42码', '42'],
    ['EU 40', '40'],
    ['45mm case', '45 mm'],
    ['size m', 'M'],
  ])('%j -> %s', (text, value) => {
    expect(attributes.sizes(text).map((e) => e.value)).toEqual([value]);
  });

  it.each(['SA100123', 'T-shirt', 'I am fine', 'M&S', 'Plan B', 'XLarge', 'send us 20', 'iPhone 15'])('%j has none', (text) => {
    expect(attributes.sizes(text)).toEqual([]);
  });
});

describe('EntityExtractor', () => {
  const extractor = new EntityExtractor();
  const now = new Date('2026-03-10T04:00:00Z');

  it('finds every kind in one English message, sorted by start, with exact spans', async () => {
    const text = 'Order SA100123: 2 pairs of black sneakers size 42 under $50, call 13800138000 or mail a@b.com by tomorrow';
    const found = await extractor.extract(text, { now });
    expect(found.map((e) => e.type)).toEqual(['order_number', 'quantity', 'color', 'size', 'price_range', 'phone', 'email', 'date']);
    for (const e of found) expect(text.slice(e.start, e.end)).toBe(e.text);
  });

  it('finds every kind in one Chinese message', async () => {
    const text = '订单号100123的黑色跑鞋42码，我要两双，500元以下，电话138-0013-8000，昨天下的单';
    const found = await extractor.extract(text, { now, locale: 'zh' });
    expect(found.map(brief)).toEqual([
      { type: 'order_number', text: '100123', value: 'SA100123' },
      { type: 'color', text: '黑色', value: 'black' },
      { type: 'size', text: '42码', value: '42' },
      { type: 'quantity', text: '两双', value: 2, unit: '双' },
      { type: 'price_range', text: '500元以下', max: 500, currency: 'CNY' },
      { type: 'phone', text: '138-0013-8000', value: '13800138000' },
      { type: 'date', text: '昨天', from: '2026-03-09', to: '2026-03-09' },
    ]);
  });

  it('"iPhone 15" is not a price and "2026-03-03" is one date', async () => {
    expect(await extractor.extract('iPhone 15')).toEqual([]);
    expect((await extractor.extract('2026-03-03', { now })).map(brief)).toEqual([{ type: 'date', text: '2026-03-03', from: '2026-03-03', to: '2026-03-03' }]);
  });

  it('reads full-width text and reports spans in the original', async () => {
    const text = '价格３００元以内';
    const [e] = await extractor.extract(text);
    expect(e).toMatchObject({ type: 'price_range', max: 300, text: '３００元以内', start: 2, end: 8 });
    expect((await extractor.extract('要１０件，ＳＩＺＥ Ｌ')).map(brief)).toEqual([
      { type: 'quantity', text: '１０件', value: 10, unit: '件' },
      { type: 'size', text: 'ＳＩＺＥ Ｌ', value: 'L' },
    ]);
  });

  it('caps long input and never reads past the cap', async () => {
    const capped = new EntityExtractor({ maxChars: 50 });
    const text = `${'x'.repeat(60)} SA100123`;
    expect(await capped.extract(text)).toEqual([]);
    expect(await capped.extract(`SA100123 ${'x'.repeat(60)}`)).toHaveLength(1);
  });

  it('rejects an unknown time zone at construction', () => {
    expect(() => new EntityExtractor({ timeZone: 'Mars/Olympus' })).toThrow(/time zone/);
  });

  it('overlaps: the specific type wins, then the longer span', () => {
    const kept = resolveOverlaps([
      { type: 'quantity', value: 2026, text: '2026', start: 0, end: 4 },
      { type: 'date', from: '2026-03-03', to: '2026-03-03', text: '2026-03-03', start: 0, end: 10 },
      { type: 'money', value: 50, text: '$50', start: 18, end: 21 },
      { type: 'price_range', max: 50, text: 'under $50', start: 12, end: 21 },
      { type: 'category', value: 'sneakers', score: 1, text: 'sneakers', start: 22, end: 30 },
      { type: 'product', value: 'P-1', score: 0.5, text: 'sneakers x', start: 22, end: 32 },
    ]);
    expect(kept.map((e) => e.type)).toEqual(['date', 'price_range', 'product']);
  });

  it('fuzz: random text never throws and every span is exact', async () => {
    let seed = 0x5eed;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pieces = ['SA', '100123', '138', '0013', '8000', '$', '¥', '元', '块', '以下', '左右', '两', '三', '百', '千', '万', '月', '日', '号', '周', '上', '下',
      'under ', 'between ', ' and ', '-', '/', '.', ',', ' ', '+86', '@', 'x', 'size ', 'M', 'L码', '黑色', 'navy', '😀', '👍🏽', '\u0000', '\u200b', '\ud800', '\udc00', '\n', '１２', 'ｍ', 'k', 'ago', 'days', 'last ', 'Monday'];
    const alphabet = () => {
      const r = random();
      if (r < 0.5) return pieces[Math.floor(random() * pieces.length)] as string;
      if (r < 0.7) return String.fromCharCode(0x4e00 + Math.floor(random() * 0x5000));
      if (r < 0.85) return String(Math.floor(random() * 10));
      return String.fromCharCode(Math.floor(random() * 0xffff));
    };
    for (let i = 0; i < 400; i++) {
      let text = '';
      const n = Math.floor(random() * 40);
      for (let j = 0; j < n; j++) text += alphabet();
      const found = await extractor.extract(text, { now, locale: random() < 0.5 ? 'en' : 'zh' });
      let lastStart = -1;
      for (const e of found) {
        expect(text.slice(e.start, e.end)).toBe(e.text);
        expect(e.start).toBeGreaterThanOrEqual(lastStart);
        lastStart = e.start;
      }
      for (let a = 0; a < found.length; a++) {
        for (let b = a + 1; b < found.length; b++) expect(found[a]!.end <= found[b]!.start || found[b]!.end <= found[a]!.start).toBe(true);
      }
    }
    for (const odd of [undefined, null, 42, {}, '', ' ', '\u0000'.repeat(3000), '8'.repeat(5000)] as unknown[]) {
      await expect(extractor.extract(odd as string)).resolves.toBeInstanceOf(Array);
    }
  });
});
