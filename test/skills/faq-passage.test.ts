/**
 * The answer is cut to the line that decides the question (issue 15): a cut-off time for "if I
 * pay at 5pm", a time limit for "is it too late", the fields for "what do you need", the rule for
 * "can I use them together". Each article is longer than the answer, so lines must be chosen.
 */
import { describe, expect, it } from 'vitest';
import { focusedPassage } from '../../skills/faq.js';

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
});
