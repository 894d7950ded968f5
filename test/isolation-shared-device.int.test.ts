/**
 * A shared browser (issue 14, nobody sees another customer's data): the widget keeps its
 * visitor token in localStorage, so the next person on the same browser brings the token of
 * the shopper before them. A signed-in shopper's token must never carry their history to
 * someone else: another signed-in customer, or a signed-out visitor, starts as a new visitor.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentityToken } from '../channels/web/index.js';
import { IDENTITY_SECRET, startShopServer, type ShopServer } from './helpers/shop-server.js';

interface Session {
  visitorToken: string;
  customerId: string | null;
  conversationId: string | null;
}

describe('shared browser: one visitor token, several people', () => {
  let shop: ShopServer;
  const A = 'cus_demo_001';
  const B = 'cus_demo_002';
  const identity = (customerId: string) => signIdentityToken(IDENTITY_SECRET, customerId, Math.floor(Date.now() / 1000) + 600);

  async function session(body: Record<string, unknown>): Promise<Session> {
    const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'en', ...body }) });
    expect(res.status).toBe(200);
    return (await res.json()) as Session;
  }
  async function say(token: string, text: string): Promise<{ replies: Array<{ text: string }> }> {
    const res = await fetch(`${shop.server.url}/api/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: randomUUID(), text }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { replies: Array<{ text: string }> };
  }
  async function history(token: string): Promise<string[]> {
    const res = await fetch(`${shop.server.url}/api/web/messages?after=0`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { messages: Array<{ text: string }> }).messages.map((m) => m.text);
  }

  beforeAll(async () => {
    shop = await startShopServer('sa-shared-device-', 'shareddevicetoken');
  }, 120_000);
  afterAll(async () => {
    await shop?.close();
  });

  it("another signed-in customer on the same browser gets a new visitor, and the two customers stay apart", async () => {
    const a = await session({ identityToken: identity(A) });
    expect(a.customerId).toBe(A);
    const secret = `my parcel for the blue sofa ${randomUUID().slice(0, 8)}`;
    await say(a.visitorToken, secret);
    expect(await history(a.visitorToken)).toContain(secret);

    const b = await session({ visitorToken: a.visitorToken, identityToken: identity(B) });
    expect(b.customerId).toBe(B);
    expect(b.visitorToken).not.toBe(a.visitorToken);
    expect(await history(b.visitorToken)).not.toContain(secret);
    // Both customers still exist on their own: nothing was merged.
    expect(await shop.server.store.customers.get(A)).not.toBeNull();
    expect(await shop.server.store.customers.get(B)).not.toBeNull();
    const bHistory = await shop.server.store.messages.listByCustomer(B, { limit: 500 });
    expect(bHistory.items.map((m) => m.text)).not.toContain(secret);

    // A comes back with her own login: her token still works and shows her conversation.
    const again = await session({ visitorToken: a.visitorToken, identityToken: identity(A) });
    expect(again.customerId).toBe(A);
    expect(again.visitorToken).toBe(a.visitorToken);
    expect(await history(again.visitorToken)).toContain(secret);
  });

  it('a signed-out page on the same browser starts a new anonymous visitor', async () => {
    const a = await session({ identityToken: identity(A) });
    const secret = `return for order ${randomUUID().slice(0, 8)}`;
    await say(a.visitorToken, secret);

    const out = await session({ visitorToken: a.visitorToken });
    expect(out.customerId).toBeNull();
    expect(out.visitorToken).not.toBe(a.visitorToken);
    expect(await history(out.visitorToken)).toEqual([]);
    // The anonymous visitor's own message makes a new customer, not A.
    await say(out.visitorToken, 'hello');
    const mine = await shop.server.store.customers.findByIdentity('web', out.visitorToken.split('.')[1]!);
    expect(mine?.id).not.toBe(A);
    expect(mine?.tags).toContain('anonymous');
  });

  it('an anonymous visitor who signs in still brings their history (the ordinary login)', async () => {
    const anon = await session({});
    const before = `do you sell bamboo socks ${randomUUID().slice(0, 8)}`;
    await say(anon.visitorToken, before);
    const signed = await session({ visitorToken: anon.visitorToken, identityToken: identity(B) });
    expect(signed.customerId).toBe(B);
    expect(signed.visitorToken).toBe(anon.visitorToken);
    expect(await history(signed.visitorToken)).toContain(before);
  });
});
