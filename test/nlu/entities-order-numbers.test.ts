/**
 * Issue 16 part 3: order numbers in several configured formats (ORDER_NUMBER_PATTERN lists
 * them), numeric ids never read as phones in an order context, and the guards that keep a
 * hostile pattern or message from making reading slow or crashing it.
 */
import { describe, expect, it } from 'vitest';
import {
  EntityExtractor,
  extractOrderNumbers,
  extractPhones,
  isOrderNumber,
  parseOrderNumberFormat,
  type OrderNumberFormat,
} from '../../skills/nlu/entities/index.js';

function format(pattern: string, example?: string): OrderNumberFormat {
  const f = parseOrderNumberFormat(pattern, example);
  if (typeof f === 'string') throw new Error(f);
  return f;
}

const MULTI = format('SA\\d{6},\\d{8,20}');
const multi = new EntityExtractor({ orderNumbers: MULTI });
const demo = new EntityExtractor();

/** Order numbers and phones found, as "type:value". */
async function found(extractor: EntityExtractor, text: string): Promise<string[]> {
  return (await extractor.extract(text))
    .filter((e) => e.type === 'order_number' || e.type === 'phone' || e.type === 'invoice_number')
    .map((e) => `${e.type}:${(e as { value: string }).value}`);
}

describe('several order-number formats from ORDER_NUMBER_PATTERN', () => {
  it('a number matches when any listed pattern matches it in full', () => {
    expect(MULTI.patterns).toEqual(['SA\\d{6}', '\\d{8,20}']);
    for (const yes of ['SA100123', 'sa100123', '12345678', '00004587345', '12345678901234567890']) expect(isOrderNumber(MULTI, yes), yes).toBe(true);
    for (const no of ['SA1001234', '1234567', '123456789012345678901', 'SA10012345678', '']) expect(isOrderNumber(MULTI, no), no).toBe(false);
  });

  it('the first pattern gives the example and the letter prefix, whatever order the list is in', () => {
    expect(MULTI).toMatchObject({ example: 'SA100123', prefix: 'SA' });
    expect(format('\\d{8,20}|SA\\d{6}')).toMatchObject({ example: '10012345', prefix: 'SA' });
    expect(format('ORD-\\d{6},INV\\d{6}')).toMatchObject({ example: 'ORD-100123', prefix: 'ORD' });
  });

  it('digits after an order word get the letters of whichever pattern has them; the format survives dialog state (JSON)', async () => {
    const numericFirst = format('\\d{8,20},SA\\d{6}');
    const roundTrip = JSON.parse(JSON.stringify(numericFirst)) as OrderNumberFormat;
    const extractor = new EntityExtractor({ orderNumbers: roundTrip });
    expect(await found(extractor, 'my order 100123')).toEqual(['order_number:SA100123']);
    expect(await found(extractor, 'my order 12345678')).toEqual(['order_number:12345678']);
    const twoLettered = new EntityExtractor({ orderNumbers: format('SA\\d{6},SB\\d{7}') });
    expect(await found(twoLettered, 'order 1001234')).toEqual(['order_number:SB1001234']);
  });

  it.each([
    ['track order 00004587345', ['order_number:00004587345']],
    ['where is 1000234598 I ordered last week', ['order_number:1000234598']],
    ['订单 202412150001 到哪了', ['order_number:202412150001']],
    ['where is SA100123', ['order_number:SA100123']],
    ['my order 100123', ['order_number:SA100123']],
    ['SA100123 and 00004587345 both late', ['order_number:SA100123', 'order_number:00004587345']],
    ['order #12345678901234567890', ['order_number:12345678901234567890']],
    // A mobile-shaped number in the shop format is an order number in a sentence about an order ...
    ['where is 13812345678 I ordered last week', ['order_number:13812345678']],
    ['我下单的 13812345678 还没发货', ['order_number:13812345678']],
    // ... and a phone without one, or when the sentence is about phoning.
    ['13812345678', ['phone:13812345678']],
    ['you can reach me on 13812345678', ['phone:13812345678']],
    ['I ordered a coat. Call me at 13812345678', ['phone:13812345678']],
    ['订单的事请打我手机 13812345678', ['phone:13812345678']],
    // A landline with its area code is phone-shaped too.
    ['010-12345678', ['phone:01012345678']],
    ['my refund for 010-12345678 never came', ['order_number:01012345678']],
    ['a refund? call 010-12345678', ['phone:01012345678']],
  ])('numeric ids where configured: %j', async (text, want) => {
    expect(await found(multi, text)).toEqual(want);
  });

  it('with the demo format only, numeric ids count only when called an order; a zero-padded id is never a phone', async () => {
    expect(await found(demo, 'track order 00004587345')).toEqual(['order_number:00004587345']);
    expect(await found(demo, '订单 202412150001 到哪了')).toEqual(['order_number:202412150001']);
    expect(await found(demo, 'where is 1000234598 I ordered last week')).toEqual([]);
    expect(await found(demo, 'where is 00004587345')).toEqual([]);
    expect(extractPhones('00004587345')).toEqual([]);
    // Real area codes still read as landlines.
    expect(extractPhones('010-12345678').map((p) => p.value)).toEqual(['01012345678']);
  });

  it('numbers that are not order numbers stay what they are', async () => {
    expect(await found(multi, 'I have 1234567 points')).toEqual([]);
    // A number labelled as something else (a carrier's waybill, a card, a phone) is not read as an order.
    for (const other of ['运单号 1234567890123', 'tracking number 1234567890123', 'my member card no. 12345678', '手机号 12345678901', 'phone: 02112345678']) {
      expect((await found(multi, other)).filter((e) => e.startsWith('order_number')), other).toEqual([]);
    }
    expect(await found(multi, 'price 1299')).toEqual([]);
    expect(await found(multi, '+86 138 0013 8000')).toEqual(['phone:13800138000']);
  });
});

describe('hostile patterns and messages', () => {
  it.each([
    ['SA\\d{6},(\\d+)+', /pattern 2 .*repeats a group that itself branches or repeats/],
    ['(a|aa)+\\d{6}|\\d{8}', /pattern 1 .*repeats a group/],
    ['\\d{8},(?=\\d)\\d{9}', /look-ahead or look-behind/],
    ['\\d{8},(\\d)\\1{8}', /back-reference/],
    ['SA\\d{6},\\d*\\d*\\d*\\d*\\d*', /more than 4 repetitions of varying length/],
    ['SA\\d{6},\\d*', /matches an empty text/],
    ['SA\\d{6},', /has an empty pattern \(number 2\)/],
    [`SA\\d{6},${'\\d'.repeat(60)}`, /pattern 2 .*at most 100/],
    ['SA\\d{6},[', /not a valid regular expression/],
  ])('refuses %s at configuration with the reason', (pattern, why) => {
    expect(parseOrderNumberFormat(pattern)).toMatch(why);
  });

  it('a comma inside {m,n}, a class or a group does not split the setting', () => {
    expect(format('\\d{8,20}').patterns).toBeUndefined();
    expect(format('[A-Z,]{2}\\d{6}', 'AB100123').patterns).toBeUndefined();
    expect(format('(?:SA|SB)\\d{6}').patterns).toBeUndefined();
    expect(format('SA\\d{6}\\,X\\d{4}', 'SA100123,X1234').patterns).toBeUndefined();
  });

  it('a very long digit run is no order number and no phone, and is read at once', async () => {
    const run = '1'.repeat(5000);
    expect(await found(multi, run)).toEqual([]);
    expect(await found(multi, `order ${'9'.repeat(10_000)}`)).toEqual([]);
    expect(extractOrderNumbers(`${'12345678 '.repeat(1200)}`, MULTI).length).toBeGreaterThan(0);
  });

  it('a 10,000-character message is read up to the cap, offsets exact, nothing thrown', async () => {
    const text = `${'where is my order SA100123 and 00004587345? '.repeat(250)}`.slice(0, 10_000);
    const entities = await multi.extract(text);
    expect(entities.length).toBeGreaterThan(0);
    for (const e of entities) {
      expect(e.end).toBeLessThanOrEqual(2000);
      expect(text.slice(e.start, e.end)).toBe(e.text);
    }
    const mixed = 'a1-'.repeat(3400) + '订单'.repeat(100);
    await expect(multi.extract(mixed)).resolves.toBeInstanceOf(Array);
  });
});
