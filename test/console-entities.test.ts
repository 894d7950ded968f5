import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleEntity, entityDisplay } from '../app/console/entities.js';
import { consoleMessage } from '../app/console/views.js';
import { EntityExtractor } from '../skills/nlu/entities/index.js';
import type { Entity, EntityType } from '../skills/index.js';
import type { Message } from '../store/index.js';

/**
 * How the console shows what NLU found (issue 15: "under 800 -> undefined"). One test per
 * entity kind, on what the real extractor produces where it can (product and category need
 * the catalogue, link codes come from the linking step: those are written as they are stored).
 */

const NOW = new Date('2025-05-01T04:00:00Z'); // 12:00 in Shanghai, the extractor's default zone
const extractor = new EntityExtractor();

async function found(text: string, type: EntityType, locale: 'en' | 'zh' = 'en'): Promise<Record<string, unknown>> {
  const all = await extractor.extract(text, { now: NOW, locale });
  const e = all.find((x) => x.type === type);
  if (!e) throw new Error(`no ${type} in ${JSON.stringify(text)}: ${JSON.stringify(all)}`);
  return e as unknown as Record<string, unknown>;
}

const shown = async (text: string, type: EntityType, locale: 'en' | 'zh' = 'en') => entityDisplay(await found(text, type, locale));

describe('entity display, per kind', () => {
  it('price_range: an upper bound, a lower bound, both, with and without a currency — never "undefined"', async () => {
    expect(await shown('under 800', 'price_range')).toBe('under 800 → ≤ 800');
    expect(await shown('shoes under $50', 'price_range')).toBe('under $50 → ≤ 50 USD');
    expect(await shown('500元以上', 'price_range', 'zh')).toBe('500元以上 → ≥ 500 CNY');
    expect(await shown('between 100 and 200 yuan', 'price_range')).toBe('between 100 and 200 yuan → 100–200 CNY');
    expect(await shown('两三百的鞋', 'price_range', 'zh')).toBe('两三百 → 200–300');
    // A stored range with neither bound (not something the extractor makes) still reads sensibly.
    expect(entityDisplay({ type: 'price_range', text: 'cheap', start: 0, end: 5 })).toBe('cheap → ?');
  });

  it('money: the amount in major units and its currency', async () => {
    expect(await shown('it cost $59.90', 'money')).toBe('$59.90 → 59.9 USD');
    expect(await shown('退299元', 'money', 'zh')).toBe('299元 → 299 CNY');
  });

  it('order_number: the normalised number; the typed text only when it reads differently', async () => {
    expect(await shown('where is SA100123', 'order_number')).toBe('SA100123');
    expect(await shown('where is sa100123', 'order_number')).toBe('SA100123');
    expect(await shown('my order 100123', 'order_number')).toBe('100123 → SA100123');
  });

  it('phone: digits only (a + for international numbers)', async () => {
    expect(await shown('my phone is 138 0013 8000', 'phone')).toBe('138 0013 8000 → 13800138000');
    expect(await shown('call +1 415 555 0100', 'phone')).toBe('+1 415 555 0100 → +14155550100');
  });

  it('email', async () => {
    // Only the domain is folded to lower case: the same address, so the typed text is not repeated.
    expect(await shown('mail me at Li.Na@Example.com', 'email')).toBe('Li.Na@example.com');
    expect(await shown('mail a@b.co', 'email')).toBe('a@b.co');
  });

  it('quantity: the number and its unit', async () => {
    expect(await shown('I want 3 pairs', 'quantity')).toBe('3 pairs → 3 pair');
    expect(await shown('我要2双', 'quantity', 'zh')).toBe('2双 → 2 双');
    expect(entityDisplay({ type: 'quantity', value: 2, text: 'x2', start: 0, end: 2 })).toBe('x2 → 2');
  });

  it('date: one day, or a span of days', async () => {
    expect(await shown('delivered yesterday', 'date')).toBe('yesterday → 2025-04-30');
    expect(await shown('last week', 'date')).toBe('last week → 2025-04-21 – 2025-04-27');
    expect(await shown('下周三', 'date', 'zh')).toBe('下周三 → 2025-05-07');
  });

  it('color: the catalogue spelling', async () => {
    expect(await shown('in red please', 'color')).toBe('red');
    expect(await shown('黑色的', 'color', 'zh')).toBe('黑色 → black');
  });

  it('size: the catalogue spelling', async () => {
    expect(await shown('size M', 'size')).toBe('size M → M');
    expect(await shown('42码', 'size', 'zh')).toBe('42码 → 42');
  });

  it('product and category: the id or name with the match score', () => {
    const product: Entity = { type: 'product', value: 'P-AUD-001', score: 0.873, text: 'hush 700', start: 0, end: 8 };
    const category: Entity = { type: 'category', value: 'headphones', score: 1, text: '耳机', start: 0, end: 2 };
    expect(entityDisplay(product as unknown as Record<string, unknown>)).toBe('hush 700 → P-AUD-001 (87%)');
    expect(entityDisplay(category as unknown as Record<string, unknown>)).toBe('耳机 → headphones (100%)');
  });

  it('link_code: a credential, never shown (the view drops its value and text too)', () => {
    const code: Entity = { type: 'link_code', value: '482913', text: '482913', start: 5, end: 11 };
    const view = consoleEntity(code as unknown as Record<string, unknown>);
    expect(view.display).toBe('••••••');
    expect(JSON.stringify(view)).not.toContain('482913');
  });

  it('order_proof: the order the shopper proved; never the phone digits (an older record may hold them as its text)', () => {
    const proof: Entity = { type: 'order_proof', value: 'SA100032', text: '', start: 0, end: 0 };
    expect(entityDisplay(proof as unknown as Record<string, unknown>)).toBe('SA100032 ✓');
    expect(entityDisplay({ type: 'order_proof', value: 'SA100032', text: '0007', start: 0, end: 4 })).toBe('SA100032 ✓');
  });

  it('an unknown kind or a malformed stored entity: its scalar fields, never "undefined", "NaN" or "[object Object]"', () => {
    expect(entityDisplay({ type: 'loyalty_tier', value: 'gold', text: 'gold member', start: 0, end: 11 })).toBe('gold member → gold');
    expect(entityDisplay({ type: 'geo', latitude: 31.2, longitude: 121.5, text: 'here' })).toBe('here → latitude=31.2, longitude=121.5');
    expect(entityDisplay({ type: 'money', value: 'a lot', text: 'a lot' })).toBe('a lot');
    expect(entityDisplay({ type: 'date', from: 12, to: null })).toBe('from=12');
    expect(entityDisplay({})).toBe('?');
    expect(consoleEntity({ value: 3 })).toMatchObject({ type: 'unknown', display: '3' });
    // A bound so large that rounding to cents overflows (found by the property below).
    expect(entityDisplay({ type: 'price_range', max: -1.797693134862316e306 })).toBe('≤ -1.797693134862316e+306');

    const kinds = ['order_number', 'phone', 'email', 'money', 'price_range', 'quantity', 'date', 'color', 'size', 'product', 'category', 'link_code', 'order_proof', 'other'];
    const nonText = fc.oneof(fc.constant(undefined), fc.constant(null), fc.double(), fc.integer(), fc.boolean(), fc.array(fc.integer()), fc.object());
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.dictionary(fc.constantFrom('value', 'min', 'max', 'from', 'to', 'unit', 'currency', 'score', 'text'), nonText), (type, fields) => {
        const out = entityDisplay({ ...fields, type });
        expect(out.length).toBeGreaterThan(0);
        expect(out).not.toMatch(/undefined|NaN|\[object Object\]|Infinity/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('console messages carry the display', () => {
  it('every entity of a stored message gets `display`; the stored fields stay', async () => {
    const entities = (await extractor.extract('red sneakers under 800, 2 pairs, by tomorrow', { now: NOW, locale: 'en' })) as unknown as Array<Record<string, unknown>>;
    const m: Message = {
      id: 'msg_1',
      conversationId: 'conv_1',
      customerId: 'cus_1',
      seq: 1,
      direction: 'in',
      sender: 'customer',
      channel: 'web',
      text: 'red sneakers under 800, 2 pairs, by tomorrow',
      intent: 'recommend',
      confidence: 0.9,
      entities,
      createdAt: NOW,
    };
    const view = consoleMessage(m, new Map());
    expect(view.entities?.map((e) => [e.type, e.display])).toEqual([
      ['color', 'red'],
      ['price_range', 'under 800 → ≤ 800'],
      ['quantity', '2 pairs → 2 pair'],
      ['date', 'tomorrow → 2025-05-02'],
    ]);
    expect(view.entities?.[1]).toMatchObject({ type: 'price_range', max: 800, text: 'under 800' });
  });
});
