import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { isCardNumber, isChineseIdNumber, luhnValid, redactPII, REDACTED } from '../app/redact.js';

/** Published test numbers of the card networks (valid Luhn). */
const CARDS = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3530111333300000', '6200000000000005', '2223003122003222', '4222222222222'];
/** The examples of GB 11643-1999 and its well-known companions: valid check characters and dates. */
const IDS = ['11010519491231002X', '440524188001010014', '11010519491231002x'];

describe('Luhn and the ID check character', () => {
  it.each(CARDS)('%s is a card number', (n) => {
    expect(luhnValid(n)).toBe(true);
    expect(isCardNumber(n)).toBe(true);
  });

  it('one changed digit breaks the Luhn check of every test card', () => {
    for (const n of CARDS) {
      const last = Number(n.at(-1));
      const broken = n.slice(0, -1) + String((last + 1) % 10);
      expect(luhnValid(broken), broken).toBe(false);
      expect(isCardNumber(broken), broken).toBe(false);
    }
  });

  it('too short, too long, or an issuer digit no card network uses, is not a card', () => {
    expect(isCardNumber('411111111111')).toBe(false); // 12 digits
    expect(isCardNumber('41111111111111111115')).toBe(false); // 20 digits, Luhn-valid
    expect(luhnValid('7000000000000005')).toBe(true);
    expect(isCardNumber('7000000000000005')).toBe(false); // MII 7: petroleum, not a bank card
  });

  it.each(IDS)('%s is a resident ID number', (id) => {
    expect(isChineseIdNumber(id)).toBe(true);
  });

  it('a wrong check character, an impossible or future birth date is not an ID number', () => {
    expect(isChineseIdNumber('110105194912310021')).toBe(false); // check should be X
    expect(isChineseIdNumber('440524188001010015')).toBe(false);
    // Every other check character than the right one fails.
    for (const c of '0123456789') expect(isChineseIdNumber(`11010519491231002${c}`)).toBe(false);
    expect(isChineseIdNumber('110105194902301234')).toBe(false); // 30 February
    expect(isChineseIdNumber('110105299901011234')).toBe(false); // year 2999
    expect(isChineseIdNumber('11010519491231002')).toBe(false); // 17 characters
  });
});

describe('redactPII', () => {
  it.each([
    ['my phone is 13812345678 thanks', `my phone is ${REDACTED.phone} thanks`],
    ['电话：138 1234 5678，谢谢', `电话：${REDACTED.phone}，谢谢`],
    ['call +86 138-1234-5678', `call ${REDACTED.phone}`],
    ['或者 8613912345678', `或者 ${REDACTED.phone}`],
    ['US office +1 (415) 555-0100 ok', `US office ${REDACTED.phone} ok`],
    ['London +44 20 7946 0958.', `London ${REDACTED.phone}.`],
    ['mail li.na+shop@example.com.cn now', `mail ${REDACTED.email} now`],
    ['邮箱是zhang_san@qq.com', `邮箱是${REDACTED.email}`],
    ['card 4111 1111 1111 1111 exp 12/28', `card ${REDACTED.card} exp 12/28`],
    ['card 4111-1111-1111-1111', `card ${REDACTED.card}`],
    ['卡号6200000000000005', `卡号${REDACTED.card}`],
    ['身份证 11010519491231002X 谢谢', `身份证 ${REDACTED.idNumber} 谢谢`],
    ['ID:440524188001010014', `ID:${REDACTED.idNumber}`],
  ])('%s', (input, expected) => {
    expect(redactPII(input)).toBe(expected);
  });

  it.each([
    'where is my order SA100123?',
    '订单号SA123456，快递单号 SF1234567890123',
    'tracking JDVB64042113801',
    'card 4111 1111 1111 1112 (a typo, fails Luhn)',
    'ID 110105194912310021 (wrong check character)',
    'I need 2 pairs of size 42, budget 300 yuan',
    'call 12345678901', // 11 digits but not a mobile prefix
    'price 1999.00, qty 3, on 2026-11-29',
    'no digits at all',
    '',
  ])('leaves %j alone', (input) => {
    expect(redactPII(input)).toBe(input);
  });

  it('leaves every order and tracking number of the demo shop untouched', () => {
    const orders = JSON.parse(readFileSync(new URL('../data/demo-shop/orders.json', import.meta.url), 'utf8')) as Array<{ id?: string; number?: string; trackingNumber?: string }>;
    const numbers = orders.flatMap((o) => [o.id, o.number, o.trackingNumber]).filter((x): x is string => typeof x === 'string');
    expect(numbers.length).toBeGreaterThan(10);
    for (const n of numbers) {
      expect(redactPII(n)).toBe(n);
      expect(redactPII(`my order ${n} please`)).toBe(`my order ${n} please`);
    }
  });

  it('redacts several kinds in one message', () => {
    const out = redactPII('我是张三，手机13912345678，邮箱a@b.cn，卡号5555555555554444，订单SA100777');
    expect(out).toBe(`我是张三，手机${REDACTED.phone}，邮箱${REDACTED.email}，卡号${REDACTED.card}，订单SA100777`);
  });
});

describe('the logger', () => {
  function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('masks PII in fields, nested fields, messages and errors, and credentials in headers', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info' }, stream);
    logger.info({ text: 'call me on 13812345678', nested: { q: 'a@b.com' }, orderId: 'SA100123' }, 'customer wrote 4111111111111111');
    logger.warn({ err: new Error('bad input 11010519491231002X') }, 'failed');
    logger.info({ headers: { authorization: 'Bearer s3cret', cookie: 'sa_session=abc', 'content-type': 'application/json' } }, 'request');
    const [a, b, c] = lines();
    expect(a).toMatchObject({ text: `call me on ${REDACTED.phone}`, nested: { q: REDACTED.email }, orderId: 'SA100123', msg: `customer wrote ${REDACTED.card}` });
    expect((b!['err'] as { message: string }).message).toBe(`bad input ${REDACTED.idNumber}`);
    expect((b!['err'] as { stack: string }).stack).not.toContain('11010519491231002X');
    expect(c!['headers']).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'content-type': 'application/json' });
  });
});
