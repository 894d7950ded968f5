/**
 * Issue 14, point 6: "Is the constructor set included?" was stored and never answered. The
 * sentiment lexicon was a plain object, `constructor` scored NaN and the store refused the
 * annotation. Every lookup keyed by a shopper's words now uses a Map or a null-prototype
 * object; this test posts sentences built around every Object.prototype property name (and
 * a few more dangerous keys) through the real server, `POST /api/web/messages` with a
 * visitor token from `POST /api/web/session`, and checks that each one is answered and
 * stored with its intent and a finite sentiment.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopServer, type ShopServer } from './helpers/shop-server.js';
import { PROTOTYPE_KEYS } from './helpers/prototype-keys.js';

let shop: ShopServer;

beforeAll(async () => {
  shop = await startShopServer('sa-proto-keys-', 'protokeys');
}, 120_000);

afterAll(async () => {
  await shop?.close();
});

/**
 * Shopper sentences in English and Chinese with a prototype key in them, in the cases a shopper
 * might type, grouped by visitor: the issue's own sentence and a repeated key alone (a repeated
 * demand hands the conversation to a person, after which the bot rightly says nothing more in
 * it), then three neutral questions per key.
 */
function conversations(): string[][] {
  const alone = [['Is the constructor set included?'], ['constructor'], ['__proto__'], ['我想买constructor'], ['constructor constructor constructor']];
  return [...alone, ...PROTOTYPE_KEYS.map((key) => [`Is the ${key} set included?`, `${key.toLowerCase()} under 200 yuan`, `请问${key}有货吗`])];
}

async function visitorToken(): Promise<string> {
  const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"locale":"en"}' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { visitorToken: string }).visitorToken;
}

describe('prototype keys in shopper messages, through the real server', () => {
  it('every sentence is answered, and stored with an intent and a finite sentiment', async () => {
    const groups = conversations();
    expect(groups.flat().length).toBeGreaterThan(30);
    for (const group of groups) {
      const token = await visitorToken();
      for (const text of group) {
        const res = await fetch(`${shop.server.url}/api/web/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ id: randomUUID(), text }),
        });
        const body = (await res.json()) as { ack: { messageId: string }; replies: Array<{ text: string }> };
        expect(res.status, `${JSON.stringify(text)} answered ${res.status}: ${JSON.stringify(body)}`).toBe(200);
        expect(body.replies.length, `no reply to ${JSON.stringify(text)}`).toBeGreaterThan(0);
        for (const r of body.replies) expect(r.text).toMatch(/\S/);
        const stored = await shop.server.store.messages.get(body.ack.messageId);
        expect(stored?.text).toBe(text);
        expect(stored?.intent, `no intent stored for ${JSON.stringify(text)}`).toMatch(/^[a-z_]+$/);
        expect(Number.isFinite(stored?.sentiment), `sentiment of ${JSON.stringify(text)} is ${String(stored?.sentiment)}`).toBe(true);
        expect(Number.isFinite(stored?.confidence)).toBe(true);
      }
    }
  }, 180_000);
});
