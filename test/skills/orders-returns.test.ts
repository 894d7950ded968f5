/**
 * Issue 15, orders and returns: the shop's order-number format (ORDER_NUMBER_PATTERN), numbers
 * the shopper calls order numbers, the whole phone number as the ownership proof, typed answers
 * of the return flow, follow-ups about the conversation's order, and refund timing that agrees
 * with the help article.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { phoneDigitsIn, recognizeAnswer, type AnswerSpec } from '../../skills/dialogs/answer-prompt.js';
import { EntityExtractor, exampleOf, parseOrderNumberFormat, type OrderNumberFormat } from '../../skills/nlu/entities/index.js';
import { phoneMatches } from '../../skills/orders/access.js';
import { asksWhenItComes, conversationOrder } from '../../skills/orders/find-order.js';
import { describeOrder, REFUND_CREDIT_TIMES, refundTiming } from '../../skills/orders/status.js';
import { returnsSkill } from '../../skills/returns/index.js';
import type { Entity, Turn } from '../../skills/types.js';
import type { Order } from '../../store/index.js';

const NOW = new Date('2026-12-07T08:00:00Z');

function order(patch: Partial<Order> = {}): Order {
  return {
    id: 'ord_1',
    number: 'SA100252',
    customerId: 'cus_1',
    status: 'shipped',
    items: [{ productId: 'P-JKT-016', title: '山脊 Cozy Grid 女款抓绒外套', quantity: 1, unitPrice: 329 }],
    total: 329,
    currency: 'CNY',
    shippingAddress: { name: 'Li', phone: '+86 138 0000 0021', line1: '1 Road', city: 'Hangzhou', region: 'Zhejiang', country: 'CN' },
    placedAt: new Date('2026-12-01T02:00:00Z'),
    shippedAt: new Date('2026-12-05T02:00:00Z'),
    carrier: 'SF Express',
    trackingNumber: 'SF1',
    updatedAt: new Date('2026-12-05T02:00:00Z'),
    ...patch,
  };
}

/** A turn as the prompts and skills read it (text, a clicked value, what NLU found). */
function turn(
  text: string,
  opts: { entities?: Entity[]; intent?: string; confidence?: number; alternatives?: Array<{ intent: string; confidence: number }>; value?: string; session?: Turn['session'] } = {},
): Turn {
  return {
    text,
    value: opts.value,
    locale: 'en',
    nlu: { intent: opts.intent ?? 'none', confidence: opts.confidence ?? 0.5, entities: opts.entities ?? [], alternatives: opts.alternatives ?? [] },
    memory: {},
    session: opts.session ?? { fallbacks: 0 },
    now: NOW,
  } as unknown as Turn;
}

function format(pattern: string, example?: string): OrderNumberFormat {
  const f = parseOrderNumberFormat(pattern, example);
  if (typeof f === 'string') throw new Error(f);
  return f;
}

describe('ORDER_NUMBER_PATTERN: the shop order-number format', () => {
  it('defaults to the demo format, with an example and the letter prefix', () => {
    expect(parseOrderNumberFormat('SA\\d{6}')).toEqual({ source: 'SA\\d{6}', example: 'SA100123', prefix: 'SA' });
  });

  it('takes a shop format; the example is made from the pattern or given, and must match', () => {
    expect(format('^\\d{10,12}$')).toEqual({ source: '\\d{10,12}', example: '1001234567', prefix: '' });
    expect(format('ORD-\\d{4}-\\d{6}')).toMatchObject({ example: 'ORD-1001-234567', prefix: 'ORD' });
    expect(format('(\\d{4}-){2}\\d{4}').example).toBe('1001-2345-6789');
    expect(format('[A-Z]{2}\\d{8}', 'AB20241215').example).toBe('AB20241215');
    expect(parseOrderNumberFormat('\\d{10}', 'SA100123')).toMatch(/does not match ORDER_NUMBER_EXAMPLE "SA100123"/);
    expect(exampleOf('[^x]{6}')).toBeUndefined();
    expect(parseOrderNumberFormat('[^x]{8}')).toMatch(/set ORDER_NUMBER_EXAMPLE/);
    expect(format('[^x]{8}', '12345678').example).toBe('12345678');
  });

  it.each([
    ['(\\d+)+', /repeats a group that itself branches or repeats/],
    ['(a|ab)*\\d{6}', /repeats a group that itself branches or repeats/],
    ['(\\d{1,4})*', /repeats a group that itself branches or repeats/],
    ['\\d*\\d*\\d*\\d*\\d*', /more than 4 repetitions of varying length/],
    ['(?=SA)SA\\d{6}', /look-ahead or look-behind/],
    ['(\\d)\\1{5}', /back-reference/],
    ['SA\\b\\d{6}', /word boundary/],
    ['SA^\\d{6}', /only a leading \^ and a trailing \$/],
    ['\\d*', /matches an empty text/],
    ['\\d{2}', /fewer than 3 digits/],
    ['SA(\\d{6}', /without its "\)"|not a valid regular expression/],
    ['\\d{5,3}', /maximum is below its minimum|not a valid regular expression/],
    [`SA${'\\d'.repeat(60)}`, /at most 100/],
  ])('refuses %s with a clear reason', (pattern, why) => {
    expect(parseOrderNumberFormat(pattern)).toMatch(why);
  });
});

describe('order numbers in messages', () => {
  const demo = new EntityExtractor();
  const found = async (extractor: EntityExtractor, text: string) =>
    (await extractor.extract(text)).filter((e) => e.type === 'order_number' || e.type === 'phone').map((e) => `${e.type}:${(e as { value: string }).value}`);

  it.each([
    ['track order 00004587345', ['order_number:00004587345']],
    ["my order 00004587345 hasn't arrived", ['order_number:00004587345']],
    ['ordered from you guys last week, order no. 581204339917, any update?', ['order_number:581204339917']],
    ['订单号 202412150001 查一下', ['order_number:202412150001']],
    ['我在你们家买的 订单号是 1000234598 怎么查不到', ['order_number:1000234598']],
    ['order 13800000001 please', ['order_number:13800000001']],
    ['my order SA1001234', ['order_number:SA1001234']],
    ['my order was 00004587345', ['order_number:00004587345']],
    ['order ORD-88231 please', ['order_number:ORD88231']],
    ['my order 100123', ['order_number:SA100123']],
    ['where is sa100249 pls', ['order_number:SA100249']],
  ])('a number called an order number is one, never a phone: %j', async (text, want) => {
    expect(await found(demo, text)).toEqual(want);
  });

  it.each([
    ['13800000001', ['phone:13800000001']],
    ['I have 100123 points', []],
    ['运单号 1234567890123', []],
    ['order 2 dresses', []],
  ])('other numbers stay what they are: %j', async (text, want) => {
    expect(await found(demo, text)).toEqual(want);
  });

  it('a numeric shop format reads bare order numbers, but a mobile number stays a phone', async () => {
    const numeric = new EntityExtractor({ orderNumbers: format('\\d{10,11}') });
    expect(await found(numeric, 'where is 1000234598')).toEqual(['order_number:1000234598']);
    expect(await found(numeric, '13800000001')).toEqual(['phone:13800000001']);
    expect(await found(numeric, 'my order 13800000001')).toEqual(['order_number:13800000001']);
    // The demo's numbers are another format here: named as an order, still an order-number candidate.
    expect(await found(numeric, 'order SA100123')).toEqual(['order_number:SA100123']);
    expect(await found(numeric, 'price 1299')).toEqual([]);
    const dashed = new EntityExtractor({ orderNumbers: format('ORD-\\d{4}-\\d{6}') });
    expect(await found(dashed, 'status of ord-2024-000123?')).toEqual(['order_number:ORD-2024-000123']);
  });

  it('the "which order?" prompt takes the shop format, a bare number with the prefix, or any number given as one', () => {
    const spec: AnswerSpec = { kind: 'order', format: format('SA\\d{6}') };
    expect(recognizeAnswer(spec, turn('it is sa-100123'))).toBe('SA100123');
    expect(recognizeAnswer(spec, turn('100123'))).toBe('SA100123');
    expect(recognizeAnswer(spec, turn('00004587345'))).toBe('00004587345');
    expect(recognizeAnswer(spec, turn('no idea'))).toBeUndefined();
    const numeric: AnswerSpec = { kind: 'order', format: format('\\d{10}') };
    expect(recognizeAnswer(numeric, turn('it is 1000234598'))).toBe('1000234598');
    // Several formats: a bare number gets the letters of whichever listed format has them.
    const several: AnswerSpec = { kind: 'order', format: format('SA\\d{6},WX\\d{5}') };
    expect(recognizeAnswer(several, turn('12345'))).toBe('WX12345');
    expect(recognizeAnswer(several, turn('100123'))).toBe('SA100123');
  });
});

describe('the ownership proof: last 4 digits or the whole phone number', () => {
  it.each([
    ['0134', '0134'],
    ['哦不好意思 是0022', '0022'],
    ['5 6 7 8', '5678'],
    ['+86 138 0000 0001', '8613800000001'],
    ['138-0000-0001', '13800000001'],
    ['+60 12 555 0193', '60125550193'],
    ['(021) 1234 5678', '02112345678'],
    ['my number is 13800000005, thanks', '13800000005'],
  ])('reads %j', (text, digits) => {
    expect(phoneDigitsIn(text)).toBe(digits);
    expect(recognizeAnswer({ kind: 'phone' }, turn(text))).toBe(digits);
  });

  it('reads no proof in words or 3 digits', () => {
    expect(recognizeAnswer({ kind: 'phone' }, turn("I don't know"))).toBeUndefined();
    expect(recognizeAnswer({ kind: 'phone' }, turn('123'))).toBeUndefined();
  });

  it('matches the whole number in any common format, and only that number', () => {
    const cn = order({ shippingAddress: { ...order().shippingAddress, phone: '+86 138 0000 0021' } });
    for (const ok of ['0021', '00021', '13800000021', '+86 138 0000 0021', '008613800000021', '138 0000 0021']) expect(phoneMatches(cn, ok), ok).toBe(true);
    // Same last 4 digits, another phone: no.
    for (const bad of ['13900000021', '+1 212 555 0021', '1234', '21', '0000021']) expect(phoneMatches(cn, bad), bad).toBe(false);
    const my = order({ shippingAddress: { ...order().shippingAddress, phone: '+60 12 555 0193' } });
    for (const ok of ['+60 12 555 0193', '012 555 0193', '0193']) expect(phoneMatches(my, ok), ok).toBe(true);
    // An order without a usable phone proves nothing.
    expect(phoneMatches(order({ shippingAddress: { ...order().shippingAddress, phone: '' } }), '0000')).toBe(false);
  });
});

describe('typed answers of the return flow', () => {
  const condition: AnswerSpec = { kind: 'yesno', about: 'condition' };

  it.each(['没拆封', '没用过', '没穿过 吊牌都在', '是的 没穿过 盒子也在', '未开封', 'unopened', 'never worn, tags still on', "yes, it's unused", 'still sealed', "haven't used it"])(
    '%j is a yes to "is it unused / unopened?"',
    (text) => expect(recognizeAnswer(condition, turn(text))).toBe('yes'),
  );

  it.each(['封条已经撕了 戴过几次', 'no, i\'ve used them a few times, the seal is gone', '用过了', 'opened it once', 'no'])('%j is a no', (text) => {
    expect(recognizeAnswer(condition, turn(text))).toBe('no');
  });

  it('a plain yes/no question does not read the state words', () => {
    expect(recognizeAnswer({ kind: 'yesno' }, turn('没拆封'))).toBeUndefined();
    expect(recognizeAnswer({ kind: 'yesno' }, turn('确认提交'))).toBe('yes');
    expect(recognizeAnswer({ kind: 'yesno' }, turn('好的 提交吧'))).toBe('yes');
  });

  const items: AnswerSpec = {
    kind: 'choice',
    choices: [
      { value: 'P-TEE-010', synonyms: ['潮汐 Weekend 中性款宽松落肩 T 恤', 'Tidewear Weekend Unisex Oversized T-Shirt', 't-shirt', 'tee', 'T恤', '短袖'] },
      { value: 'P-JNS-020', synonyms: ['潮汐 Paperbag 女款高腰复古牛仔裤', "Tidewear Paperbag Women's High-Rise Mom Jeans", 'jeans', '牛仔裤'] },
      { value: 'all', synonyms: ['all', '全部'] },
    ],
  };
  const jacketOrShoes: AnswerSpec = {
    kind: 'choice',
    choices: [
      { value: 'P-JKT-016', synonyms: ['山脊 Cozy Grid 女款抓绒外套', "Ridgeline Cozy Grid Women's Fleece Jacket"] },
      { value: 'P-RUN-019', synonyms: ['峰步 Harbor 男款稳定支撑跑鞋', "Peakstride Harbor Men's Stability Running Shoes"] },
    ],
  };

  it('picks an item by a word of its name or category ("T恤那件", "the jacket one", "the jeans")', () => {
    expect(recognizeAnswer(items, turn('T恤那件'))).toBe('P-TEE-010');
    expect(recognizeAnswer(items, turn('牛仔裤那条'))).toBe('P-JNS-020');
    expect(recognizeAnswer(items, turn('the jeans please'))).toBe('P-JNS-020');
    expect(recognizeAnswer(jacketOrShoes, turn('the jacket one'))).toBe('P-JKT-016');
    expect(recognizeAnswer(jacketOrShoes, turn('跑鞋'))).toBe('P-RUN-019');
    // Nothing named, or both named equally: no guess.
    expect(recognizeAnswer(jacketOrShoes, turn('the blue one'))).toBeUndefined();
    expect(recognizeAnswer(jacketOrShoes, turn('the grid jacket or the harbor shoes'))).toBeUndefined();
  });

  it('picks an order from the list by its items ("the one with the lip balms")', () => {
    const spec: AnswerSpec = {
      kind: 'order',
      choices: [
        { value: 'SA100261', synonyms: ['SA100261', "Indigo Mill Loose 90s Men's Relaxed Jeans", 'Summitrack Vista 4 Smartwatch'] },
        { value: 'SA100270', synonyms: ['SA100270', 'Qingyan Honey Lip Balm 4.5 g', 'Lane Basics Trucker Unisex Denim Jacket'] },
      ],
    };
    expect(recognizeAnswer(spec, turn('the one with the lip balms'))).toBe('SA100270');
    expect(recognizeAnswer(spec, turn('2'))).toBe('SA100270');
    expect(recognizeAnswer(spec, turn('SA100261', { entities: [{ type: 'order_number', value: 'SA100261', text: 'SA100261', start: 0, end: 8 }] }))).toBe('SA100261');
  });

  it('reads reasons and refund-or-exchange in the shopper\'s words', () => {
    const reasons: AnswerSpec = {
      kind: 'choice',
      choices: [
        { value: 'changed_mind', synonyms: ['Changed my mind', '不想要了', '买多了', '用不上', '不太喜欢'] },
        { value: 'wrong_size', synonyms: ['Wrong size or fit', '尺码不合适', '鞋码', '小了'] },
      ],
    };
    expect(recognizeAnswer(reasons, turn('买多了 用不上'))).toBe('changed_mind');
    expect(recognizeAnswer(reasons, turn('鞋码不合适'))).toBe('wrong_size');
    const method: AnswerSpec = { kind: 'choice', choices: [{ value: 'refund', synonyms: ['退款', 'refund'] }, { value: 'exchange', synonyms: ['换货', '换大', 'exchange'] }] };
    expect(recognizeAnswer(method, turn('换大一码'))).toBe('exchange');
    expect(recognizeAnswer(method, turn('退款吧'))).toBe('refund');
  });

  it.each(['hmm actually never mind, i\'ll keep it', '算了 不退了', 'forget it', '不用了'])('%j stops the flow (null), whatever the question', (text) => {
    expect(recognizeAnswer(items, turn(text))).toBeNull();
    expect(recognizeAnswer(condition, turn(text))).toBeNull();
  });
});

describe('follow-ups about the order of the conversation', () => {
  const session = (minutesAgo: number): Turn['session'] => ({ fallbacks: 0, order: { number: 'SA100252', at: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString() } });

  it('knows the order shown in the last 30 minutes', () => {
    expect(conversationOrder(turn('x', { session: session(5) }))).toBe('SA100252');
    expect(conversationOrder(turn('x', { session: session(31) }))).toBeUndefined();
    expect(conversationOrder(turn('x'))).toBeUndefined();
  });

  it.each(['when will it arrive?', 'how long until it gets here', 'any update?', 'has it shipped yet', '那大概啥时候能到？', '什么时候能送到', '发货了吗'])('%j asks about it', (text) => {
    expect(asksWhenItComes(turn(text))).toBe(true);
  });

  it.each(['how long does delivery to Xinjiang usually take?', '一般几天能到', 'when will the red sneakers be back in stock?', 'what is your return policy'])('%j does not', (text) => {
    const entities: Entity[] = /sneakers/.test(text) ? [{ type: 'category', value: 'sneakers', score: 1, text: 'sneakers', start: 0, end: 8 }] : [];
    expect(asksWhenItComes(turn(text, { entities }))).toBe(false);
  });
});

describe('a return named with an order number', () => {
  const returns = returnsSkill();
  const named = (value: string): Entity[] => [{ type: 'order_number', value, text: value, start: 0, end: value.length }];

  it('an unsure guess at a return, made sure by the order number, starts the return ("订单SA900032我想退货")', async () => {
    const rejected = { intent: 'out_of_scope', confidence: 0.04, alternatives: [{ intent: 'return_item', confidence: 0.96 }], entities: named('SA900032') };
    expect(await returns.followUp!(turn('订单SA900032我想退货', rejected))).toBe(true);
    // Without an order number the classifier's doubt stands; a sure return intent is routed as usual.
    expect(await returns.followUp!(turn('我想退货', { ...rejected, entities: [] }))).toBe(false);
    expect(await returns.followUp!(turn('订单SA900032我想退货', { intent: 'return_item', confidence: 0.9, entities: named('SA900032') }))).toBe(false);
  });
});

describe('refund timing agrees with the "Refund timing" article', () => {
  const article = (locale: 'en' | 'zh') => readFileSync(path.join('data/demo-shop/knowledge', `refund-timing.${locale}.md`), 'utf8');
  /** The durations of the "when it reaches you" table, row by row ("24", "1–3", …). */
  const creditRows = (md: string) => {
    const section = md.split(/^## /m).find((s) => /^(When it reaches you|多久能到账)/.test(s)) ?? '';
    return section
      .split('\n')
      .filter((l) => /^\|/.test(l) && !/^\|\s*-/.test(l))
      .slice(1)
      .map((l) => (l.split('|')[2] ?? '').match(/\d+(?:–\d+)?/)?.[0]);
  };

  it.each(['en', 'zh'] as const)('every row of the table, in %s', (locale) => {
    const rows = creditRows(article(locale));
    expect(rows).toHaveLength(REFUND_CREDIT_TIMES.length);
    REFUND_CREDIT_TIMES.forEach((r, i) => expect(r.within[locale].match(/\d+(?:–\d+)?/)?.[0], r.paidWith.en).toBe(rows[i]));
  });

  it('answers for the payment method the shopper names, else with the whole table', () => {
    expect(refundTiming('en', 'paid with my visa card, how long does it take?')).toMatch(/Visa, Mastercard, JCB or American Express: .* 5–10 business days/);
    expect(refundTiming('en', 'paid with my visa card')).not.toMatch(/1–3/);
    expect(refundTiming('zh', '我用的银联卡付的')).toMatch(/银联卡.*3–7 个工作日/);
    const all = refundTiming('en');
    for (const r of REFUND_CREDIT_TIMES) expect(all).toContain(r.within.en);
    expect(refundTiming('zh')).toContain('5–10 个工作日');
  });

  it('a refunded order says when the money arrives; titles follow the reply language', () => {
    const refunded = order({ status: 'refunded' });
    expect(describeOrder(refunded, 'en', NOW, { text: 'i paid by mastercard' })).toMatch(/refunded .*5–10 business days/);
    const shipped = describeOrder(order(), 'en', NOW, { titles: new Map([['P-JKT-016', "Ridgeline Cozy Grid Women's Fleece Jacket"]]) });
    expect(shipped).toContain("Ridgeline Cozy Grid Women's Fleece Jacket");
    expect(shipped).not.toMatch(/\p{Script=Han}/u);
  });
});
