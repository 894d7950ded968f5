import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../app/redact.js';
import { say, startShopServer, type ShopServer } from './helpers/shop-server.js';

/**
 * REDACT_TRANSCRIPTS=true: what is stored has the shopper's phone, e-mail and card number
 * masked, while the bot answered the original words (the order number, which is not PII,
 * is kept and understood). Off (the default), the transcript is stored as written.
 */

const CUSTOMER = 'cus_demo_001';
const TEXT = 'where is my order? my phone is 13812345678, mail li.na@example.com, card 4111 1111 1111 1111';

async function storedInbound(shop: ShopServer, text: string, customer = CUSTOMER): Promise<{ stored: string[]; replies: string[] }> {
  const c = await shop.widget({ customerId: customer, locale: 'en' });
  const replies = await say(c, text);
  const page = await shop.server.store.messages.listByCustomer(customer, { limit: 20 });
  const stored = page.items.filter((m) => m.direction === 'in').map((m) => m.text);
  return { stored, replies: replies.map((r) => r.text) };
}

let shop: ShopServer;
let plain: ShopServer;
beforeAll(async () => {
  [shop, plain] = await Promise.all([
    startShopServer('sa-redact-on-', 'redactOn2026', { EMBEDDINGS_MODEL: 'lexical', REDACT_TRANSCRIPTS: 'true' }),
    startShopServer('sa-redact-off-', 'redactOff2026', { EMBEDDINGS_MODEL: 'lexical' }),
  ]);
}, 90_000);
afterAll(async () => {
  await shop?.close();
  await plain?.close();
});

describe('transcript redaction on', () => {
  it('stores the message masked and still answers the original', async () => {
    const { stored, replies } = await storedInbound(shop, TEXT);
    const mine = stored.find((t) => t.startsWith('where is my order?'));
    expect(mine).toBe(`where is my order? my phone is ${REDACTED.phone}, mail ${REDACTED.email}, card ${REDACTED.card}`);
    expect(replies.length).toBeGreaterThan(0);
    // Nothing stored for this customer (in or out) carries the raw numbers.
    const all = await shop.server.store.messages.listByCustomer(CUSTOMER, { limit: 50 });
    for (const m of all.items) {
      expect(m.text).not.toContain('13812345678');
      expect(m.text).not.toContain('4111 1111 1111 1111');
      // What the bot understood of it is recorded masked too (the phone and e-mail entities).
      const understood = JSON.stringify(m.entities ?? []);
      expect(understood).not.toContain('13812345678');
      expect(understood).not.toContain('li.na@example.com');
    }
    const inbound = all.items.find((m) => m.direction === 'in' && m.text.startsWith('where is my order?'));
    expect((inbound?.entities ?? []).some((e) => e['type'] === 'phone'), 'the phone entity is still recorded, masked').toBe(true);
  });

  it('keeps order numbers: the order is found from the stored and the live text alike', async () => {
    // SA100001 is an order of cus_demo_048 (data/demo-shop/orders.json).
    const { stored, replies } = await storedInbound(shop, 'status of SA100001 please, call 13912345678', 'cus_demo_048');
    expect(stored).toContain(`status of SA100001 please, call ${REDACTED.phone}`);
    expect(replies.join('\n')).toContain('SA100001');
  });
});

describe('transcript redaction off (default)', () => {
  it('stores the message as written', async () => {
    const { stored } = await storedInbound(plain, TEXT);
    expect(stored).toContain(TEXT);
  });
});
