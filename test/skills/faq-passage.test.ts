/**
 * The answer is cut to the line that decides the question (issue 15): a cut-off time for "if I
 * pay at 5pm", a time limit for "is it too late", the fields for "what do you need", the rule for
 * "can I use them together". Each article is longer than the answer, so lines must be chosen.
 */
import { describe, expect, it } from 'vitest';
import { focusedPassage, sharedContentWords } from '../../skills/faq.js';

const filler = (n: number, word: string) => Array.from({ length: n }, (_, i) => `- ${word} note ${i + 1}: general information that does not answer the question at all.`).join('\n');

const DISPATCH = ['## Dispatch', filler(4, 'warehouse'), '- Paid before 16:00 Beijing time: leaves the warehouse the same day.', '- Paid after 16:00: leaves the next day.', '## Transit', filler(6, 'carrier')].join('\n');
const FAPIAO = ['## How to request one', filler(5, 'checkout'), '## Later requests', '- You can request a fapiao up to 90 days after delivery.', '## Company details', filler(4, 'format')].join('\n');
const VAT = ['## About', filler(4, 'vat'), '## What we need', '1. Full registered company name.', '2. Taxpayer identification number.', '3. Registered address and telephone.', '4. Bank name and account number.', filler(3, 'timing')].join('\n');
const COUPONS = ['## Types', filler(6, 'coupon type'), '## Rules', '- Only one coupon can be used per order; coupons cannot be combined.', filler(3, 'expiry')].join('\n');
const ZH = ['## 发货时间', '- 北京时间 16:00 前付款的订单当天发货。', '- 16:00 后付款的订单次日发货。', '## 运输时间', ...Array.from({ length: 12 }, (_, i) => `- 第${i + 1}条：各地区快递的常规运输时间说明，与发货时间无关。`)].join('\n');

describe('the line that decides', () => {
  it('a time of day asks for the cut-off', () => {
    const out = focusedPassage(DISPATCH, 'if i pay at 5pm today when does it leave the warehouse?', 300);
    expect(out).toMatch(/next day/);
    expect(out).toMatch(/16:00/);
    const zh = focusedPassage(ZH, '下午五点下的单今天能发吗', 120);
    expect(zh).toMatch(/次日/);
  });

  it('"too late?" asks for the time limit', () => {
    expect(focusedPassage(FAPIAO, 'forgot to tick it at checkout and it came 2 months ago. is it too late now?', 250)).toMatch(/90 days/);
  });

  it('"what do you need" asks for the fields', () => {
    const out = focusedPassage(VAT, 'our company needs a special VAT invoice, what do you need from us exactly', 300);
    expect(out).toMatch(/Taxpayer identification/);
    expect(out).toMatch(/address and telephone/);
  });

  it('"together" asks for the rule on combining', () => {
    expect(focusedPassage(COUPONS, 'can i use a 30 off coupon and a 10% coupon together?', 250)).toMatch(/Only one coupon/);
  });

  it('a "no" brings what there is: the positive sibling of a "Not accepted" section', () => {
    const doc = ['# Payment', 'You pay when you order.', '## Accepted', '- Alipay.', '- WeChat Pay.', '- Visa and Mastercard.', filler(6, 'security'), '## Not accepted', 'Cash on delivery, PayPal and cryptocurrency.', '## Refunds', filler(4, 'refund')].join('\n');
    const out = focusedPassage(doc, 'Do you take PayPal?', 320);
    expect(out).toMatch(/PayPal and cryptocurrency/);
    expect(out).toMatch(/Alipay/);
    const zh = ['# 支付方式', '## 支持的支付方式', '- 支付宝。', '- 微信支付。', ...Array.from({ length: 8 }, (_, i) => `- 第${i + 1}条：与问题无关的支付安全说明。`), '## 暂不支持', '货到付款、PayPal 和加密货币。'].join('\n');
    expect(focusedPassage(zh, '你们收paypal吗', 120)).toMatch(/支付宝/);
  });

  it('a line that introduces a list comes with its list', () => {
    const doc = ['# Address', '## Before dispatch', filler(6, 'address before'), '## After dispatch', 'The address on the parcel cannot be changed, but there are ways:', '', '- SF Express: redirect it in their app.', '- ZTO: we ask the carrier to intercept it.', '## Tips', filler(4, 'tip')].join('\n');
    const out = focusedPassage(doc, 'it was already dispatched, can the address still be changed?', 400);
    expect(out).toMatch(/redirect it/);
    expect(out).toMatch(/intercept/);
  });

  it('"can I …?" asks for the condition; "when do they expire?" for the date', () => {
    const doc = ['# Paying in instalments', '## Huabei', '- Available on orders of 300 CNY or more.', filler(5, 'instalments fee'), '## Cards', filler(4, 'instalments bank')].join('\n');
    expect(focusedPassage(doc, 'can i pay in instalmnts?', 260)).toMatch(/300 CNY or more/);
    const points = ['# Points', '## Earning', '- Points are credited 7 days after delivery.', filler(5, 'points'), '## Expiry', 'Points earned in a year expire on 31 December of the following year.'].join('\n');
    expect(focusedPassage(points, 'and when do the points expire?', 200)).toMatch(/31 December/);
  });

  it('"已经发货了" is the "已发货" of a heading', () => {
    const doc = ['# 修改收货地址', '## 发货前', ...Array.from({ length: 6 }, (_, i) => `- 第${i + 1}步：在我的订单里修改地址。`), '## 已发货', '包裹上的地址无法直接修改，但还有办法：', '- 顺丰：在快递 App 申请改址转寄。', '- 中通：我们帮您申请拦截。'].join('\n');
    expect(focusedPassage(doc, '已经发货了还能改地址吗', 160)).toMatch(/拦截/);
  });

  it('an answer from the opening goes on into the first section', () => {
    const doc = ['# International shipping', 'We ship to most countries, including Singapore and Japan.', '## Carriers and fees', '- Everywhere else: DHL Express, 120 CNY.', '## Duties', filler(6, 'duties')].join('\n');
    expect(focusedPassage(doc, 'do you ship to singapore', 300)).toMatch(/DHL Express, 120 CNY/);
  });
});

describe('a table row is about what its header names', () => {
  it('"standard shipping to guangzhou, when will it show up?" gets the standard column\'s times', () => {
    const examples = Array.from({ length: 6 }, (_, i) => `- Example ${i + 1}: paid on a monday, standard shipping to a big city.`).join('\n');
    const doc = ['# Delivery', '## Transit', '| Destination | Standard | Express |', '|---|---|---|', '| Most mainland cities | 2–4 days | 1–2 days |', '| Remote regions | 4–7 days | 2–4 days |', '## Examples', examples].join('\n');
    expect(focusedPassage(doc, 'paid at 3pm, standard shipping to guangzhou. roughly when will it show up?', 300)).toMatch(/2–4 days/);
  });
});

describe('content words a passage shares with a question', () => {
  it('counts words and Chinese pairs, not fillers or numbers', () => {
    expect(sharedContentWords('真皮包被雨淋湿了咋办', '真皮包淋湿后，用干毛巾吸干表面的水')).toBeGreaterThanOrEqual(2);
    expect(sharedContentWords("what's 2+2?", '1. Pick 2 items. 2. Pay.')).toBe(0);
    expect(sharedContentWords('今天天气怎么样', '配送时效：今天下单')).toBeLessThan(2);
  });
});

describe('found in review', () => {
  it('a Chinese word counts once ("羽绒服" is not 羽绒 + 绒服)', () => {
    expect(sharedContentWords('今天降温了要穿羽绒服吗', '羽绒服可以机洗，羽绒服要低温')).toBe(1);
  });
  it('"what is not covered?" is answered with what is not covered, not the covered list first', () => {
    const doc = ['# Warranty', '## What is covered', ...Array.from({ length: 6 }, (_, i) => `- Faults in normal use, case ${i + 1}.`), '## What is not covered', '- Lost items are not covered by the warranty.', '- Water damage is not covered either.'].join('\n');
    const out = focusedPassage(doc, 'what is not covered by the warranty?', 160);
    expect(out).toMatch(/Lost items/);
    expect(out).toMatch(/Water damage/);
  });
});

describe('phone shorthand', () => {
  it('is written out for searching the articles, and a prototype name is just a word', async () => {
    const { expandShorthand } = await import('../../skills/text-terms.js');
    expect(expandShorthand('just got like 800 pts lol, can i use them w/ a coupon b4 my bday?')).toBe('just got like 800 points lol, can i use them with a coupon before my birthday?');
    expect(expandShorthand('should I size down in your unisex tees?')).toBe('should I size down in your unisex t-shirts?');
    expect(expandShorthand('do u take amex?')).toBe('do u take american express?');
    expect(expandShorthand('constructor toString __proto__ hasOwnProperty')).toBe('constructor toString __proto__ hasOwnProperty');
  });
});

