/** Issue 16 part 3: invoice numbers, an entity of their own, never also an order number or a phone. */
import { describe, expect, it } from 'vitest';
import { EntityExtractor, extractInvoiceNumbers, parseOrderNumberFormat, type OrderNumberFormat } from '../../skills/nlu/entities/index.js';

const MULTI = parseOrderNumberFormat('SA\\d{6},\\d{8,20}') as OrderNumberFormat;
const demo = new EntityExtractor();
const multi = new EntityExtractor({ orderNumbers: MULTI });

/** Numbers found, as "type:value". */
async function numbers(extractor: EntityExtractor, text: string): Promise<string[]> {
  return (await extractor.extract(text))
    .filter((e) => e.type === 'invoice_number' || e.type === 'order_number' || e.type === 'phone')
    .map((e) => `${e.type}:${(e as { value: string }).value}`);
}

describe('invoice numbers', () => {
  it.each([
    ['invoice INV-2024-00123', 'INV-2024-00123', 'INV-2024-00123'],
    ['can you resend inv-2024-00123?', 'inv-2024-00123', 'INV-2024-00123'],
    ['发票号 12345678', '12345678', '12345678'],
    ['发票号码：044031900111 开错了', '044031900111', '044031900111'],
    ['invoice #98765', '98765', '98765'],
    ['invoice no. 20240001', '20240001', '20240001'],
    ['my invoice number is FP-778812', 'FP-778812', 'FP-778812'],
    ['fapiao 12345678 has the wrong company name', '12345678', '12345678'],
  ])('%j -> %s', async (text, span, value) => {
    for (const extractor of [demo, multi]) {
      const found = (await extractor.extract(text)).filter((e) => e.type === 'invoice_number');
      expect(found.map((e) => ({ text: e.text, value: (e as { value: string }).value }))).toEqual([{ text: span, value }]);
    }
  });

  it('an invoice number is never also an order number or a phone, whatever the order format', async () => {
    expect(await numbers(multi, 'invoice no. 12345678')).toEqual(['invoice_number:12345678']);
    expect(await numbers(multi, '发票号 13812345678')).toEqual(['invoice_number:13812345678']);
    expect(await numbers(demo, '发票号 13812345678')).toEqual(['invoice_number:13812345678']);
    expect(await numbers(multi, 'invoice #00004587345 and order 00004587346')).toEqual(['invoice_number:00004587345', 'order_number:00004587346']);
  });

  it('the order an invoice is for stays an order number', async () => {
    expect(await numbers(demo, 'I need a fapiao for SA100123 for my company')).toEqual(['order_number:SA100123']);
    expect(await numbers(demo, 'invoice SA100123 please')).toEqual(['order_number:SA100123']);
    expect(await numbers(multi, 'can i get the invoice for order 12345678')).toEqual(['order_number:12345678']);
    expect(await numbers(multi, 'invoice 12345678 has the wrong name')).toEqual(['invoice_number:12345678']);
    // Named as the invoice's own number, it is the invoice's.
    expect(await numbers(demo, 'invoice number SA100123')).toEqual(['invoice_number:SA100123']);
  });

  it('a number alone in a sentence about an invoice is the invoice\'s, unless the sentence is about an order or a phone', async () => {
    expect(await numbers(multi, "I can't find my invoice - 12345678")).toEqual(['invoice_number:12345678']);
    expect(await numbers(multi, '发票开错了 044031900111')).toEqual(['invoice_number:044031900111']);
    expect(await numbers(multi, 'my bill 12345678 is wrong')).toEqual(['invoice_number:12345678']);
    expect(await numbers(multi, 'I need the invoice for my order, 12345678')).toEqual(['order_number:12345678']);
    expect(await numbers(multi, 'invoice is wrong, call me 13812345678')).toEqual(['phone:13812345678']);
    expect(await numbers(multi, 'the invoice says 129900 yuan')).toEqual([]);
  });

  it.each(['I need the invoice from 2 months ago', 'invoices from 10 purchases ago', 'invoice 2023', 'INVITE 12345', 'invoiced 123456 times', '开发票'])(
    '%j has none',
    (text) => {
      expect(extractInvoiceNumbers(text, MULTI)).toEqual([]);
    },
  );

  it('a very long digit run after an invoice word is not an invoice number', () => {
    expect(extractInvoiceNumbers(`invoice ${'7'.repeat(10_000)}`)).toEqual([]);
    expect(extractInvoiceNumbers(`INV-${'1-'.repeat(5000)}`)).toEqual([]);
  });
});
