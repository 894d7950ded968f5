/**
 * The store fails after it stored a shopper's message and before the reply: the client's
 * retry (same id) must not store it twice and must still get its answer, on the widget, the
 * app API and WeChat (through the spool). A real server on SQLite whose message repository
 * refuses the next outgoing message once, as a dying database would.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestSignatureHeaders } from '../../channels/app/index.js';
import { wechatSignature } from '../../channels/wechat/index.js';
import type { ChannelId, Store } from '../../store/index.js';
import { startShopServer, type ShopServer } from '../helpers/shop-server.js';
import { storedByChannelId } from '../helpers/stored.js';
import { failNextReply } from './inject.js';

const APP_SECRET = 'mid-turn-app-secret-0123456789abcdef01234';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}


async function copies(store: Store, channel: ChannelId, channelMessageId: string) {
  const copies = await storedByChannelId(store, channel, channelMessageId);
  const original = copies[0];
  if (!original) return { stored: 0, answers: 0 };
  const all = await store.messages.listByConversation(original.conversationId, { limit: 500 });
  const after = all.filter((m) => m.seq > original.seq);
  const next = after.findIndex((m) => m.direction === 'in');
  return {
    stored: copies.length,
    answers: (next < 0 ? after : after.slice(0, next)).filter((m) => m.sender === 'bot').length,
  };
}

const storeUp = async (shop: ShopServer) => /\nshop_store_up 1\n/.test(await (await fetch(`${shop.server.url}/metrics`)).text());

describe('the store fails between storing a message and answering it', () => {
  let shop: ShopServer;
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'sa-midturn-spool-'));

  beforeAll(async () => {
    shop = await startShopServer('sa-midturn-', 'midturntoken', { APP_HMAC_SECRET: APP_SECRET, WECHAT_SPOOL_DIR: spoolDir });
  }, 120_000);

  afterAll(async () => {
    await shop?.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('widget: an `unavailable` frame; the retry with the same id is stored once and answered', async () => {
    const c = await shop.widget();
    const id = randomUUID();
    failNextReply(shop.server.store.messages);
    let from = c.frames.length;
    c.send({ type: 'message', id, text: 'what is your return policy?' });
    const refused = await c.waitFor((f) => f.type === 'error' && f['id'] === id, { from });
    expect(refused).toMatchObject({ code: 'unavailable', reason: 'store_unavailable' });
    expect(refused['retryAfterSeconds']).toBeGreaterThanOrEqual(1);
    expect(await copies(shop.server.store, 'web', id)).toEqual({ stored: 1, answers: 0 });

    await until('the store reported up', () => storeUp(shop));
    from = c.frames.length;
    c.send({ type: 'message', id, text: 'what is your return policy?' });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === id, { from });
    await c.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'bot', { from });
    expect(await copies(shop.server.store, 'web', id)).toEqual({ stored: 1, answers: expect.any(Number) });
    expect((await copies(shop.server.store, 'web', id)).answers).toBeGreaterThan(0);

    // A third send of the same id (already answered) is a plain duplicate: ack, nothing new.
    const answers = (await copies(shop.server.store, 'web', id)).answers;
    from = c.frames.length;
    c.send({ type: 'message', id, text: 'what is your return policy?' });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === id, { from });
    await sleep(300);
    expect(await copies(shop.server.store, 'web', id)).toEqual({ stored: 1, answers });
  });

  it('app: 503 + Retry-After; the retry with the same Idempotency-Key is answered, stored once', async () => {
    await until('the store reported up', () => storeUp(shop));
    const key = randomUUID();
    const body = JSON.stringify({ userId: 'mid-user', text: 'do you ship to Shanghai?' });
    const post = () =>
      fetch(`${shop.server.url}/api/app/v1/conversations/app:mid-user/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target: '/api/app/v1/conversations/app:mid-user/messages', idempotencyKey: key, body }),
        },
        body,
      });
    failNextReply(shop.server.store.messages);
    const down = await post();
    expect(down.status).toBe(503);
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await down.json()).toMatchObject({ error: { code: 'unavailable', reason: 'store_unavailable' } });

    await until('the store reported up', () => storeUp(shop));
    const back = await post();
    expect(back.status).toBe(200);
    const json = (await back.json()) as { duplicate: boolean; replies: unknown[] };
    expect(json.duplicate).toBe(false);
    expect(json.replies.length).toBeGreaterThan(0);
    const again = (await (await post()).json()) as { duplicate: boolean; replies: unknown[] };
    expect(again.duplicate).toBe(true);
    expect(again.replies.length).toBe(json.replies.length);
    expect(await copies(shop.server.store, 'app', key)).toEqual({ stored: 1, answers: json.replies.length });
  });

  it('WeChat: `success`, spooled, and answered by the replayer as a customer-service message', async () => {
    await until('the store reported up', () => storeUp(shop));
    const openId = `o-mid-${randomUUID().slice(0, 8)}`;
    const msgId = String(7_300_000_000_000_000 + Math.floor(Math.random() * 1e12));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(shop.wechatToken, timestamp, nonce) });
    const xml = `<xml><ToUserName><![CDATA[gh_mid]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[退货政策是什么]]></Content><MsgId>${msgId}</MsgId></xml>`;
    failNextReply(shop.server.store.messages);
    const res = await fetch(`${shop.server.url}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
    await until('the answer at the fake WeChat API', () => shop.fake.sent.some((s) => s.touser === openId));
    const { stored, answers } = await copies(shop.server.store, 'wechat', msgId);
    expect(stored).toBe(1);
    expect(answers).toBeGreaterThan(0);
  });
});
