/**
 * Replays against the WeChat webhook (issue 14, point 4). Plaintext mode's `signature` covers
 * only token, timestamp and nonce — never the body — so a captured query string used to carry
 * any forged message for ever (a 2001 timestamp was accepted). Now: the timestamp must be within
 * WECHAT_SIGNATURE_TOLERANCE_SECONDS of the server clock, and a timestamp+nonce carries the one
 * message it came with. WeChat's own retries of an unanswered message (the same message again,
 * with the same or a new query string) still reach the MsgId dedupe and get one answer.
 * Safe mode (msg_signature over the encrypted body) gets the same window.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { wechatSignature } from '../channels/wechat/index.js';
import { nowSeconds, postWeChat, randomNonce, storedMessages, useReplayServer, WECHAT_TOKEN, wechatQuery, wechatSafe, wechatText } from './replay-support.js';

const replay = useReplayServer('sa-replay-wechat-');

const openId = () => `oWx_${randomUUID().slice(0, 10)}`;

/** What is stored for a follower: their messages in, and the bot's answers out. */
async function history(id: string): Promise<{ in: string[]; out: number }> {
  const items = await storedMessages(replay.shop, 'wechat', id);
  return { in: items.filter((m) => m.direction === 'in').map((m) => m.text), out: items.filter((m) => m.direction === 'out').length };
}

function reasonOf(text: string): string | undefined {
  return (JSON.parse(text) as { error?: { reason?: string } }).error?.reason;
}

describe('WeChat plaintext mode: timestamp window', () => {
  it('refuses a correctly signed message whose timestamp is from 2001, a day old, or 310 s either side of now (10 s past the window, so a second ticking before the server check cannot bring it inside)', async () => {
    const id = openId();
    const now = nowSeconds();
    for (const timestamp of [978_307_200, now - 86_400, now - 310, now + 310]) {
      const r = await postWeChat(replay.url, wechatQuery({ timestamp }), wechatText(id, `sent at ${timestamp}`));
      expect(r.status, String(timestamp)).toBe(401);
      expect(reasonOf(r.text)).toBe('timestamp_out_of_window');
    }
    expect(await history(id)).toEqual({ in: [], out: 0 });
    // Clock skew inside the window is fine.
    const ok = await postWeChat(replay.url, wechatQuery({ timestamp: now - 200 }), wechatText(id, 'hello'));
    expect(ok.status).toBe(200);
    expect((await history(id)).in).toEqual(['hello']);
  });

  it('refuses the server-verification GET outside the window too', async () => {
    const old = '978307200';
    const nonce = randomNonce();
    const q = new URLSearchParams({ signature: wechatSignature(WECHAT_TOKEN, old, nonce), timestamp: old, nonce, echostr: 'e1' });
    expect((await fetch(`${replay.url}/wechat?${q}`)).status).toBe(401);
    const fresh = await fetch(`${replay.url}/wechat?${wechatQuery()}&echostr=e2`);
    expect(await fresh.text()).toBe('e2');
  });

  it('refuses timestamps that are not unix seconds and nonces it cannot key on', async () => {
    const id = openId();
    for (const [timestamp, nonce, reason] of [
      [`${nowSeconds()}000`, randomNonce(), 'timestamp_invalid'], // milliseconds
      ['-1', randomNonce(), 'timestamp_invalid'],
      [`${nowSeconds()}.5`, randomNonce(), 'timestamp_invalid'],
      [String(nowSeconds()), 'n'.repeat(65), 'nonce_invalid'],
    ] as const) {
      const q = new URLSearchParams({ signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce), timestamp, nonce });
      const r = await postWeChat(replay.url, q.toString(), wechatText(id, 'hi'));
      expect(r.status, `${timestamp} ${nonce}`).toBe(401);
      expect(reasonOf(r.text)).toBe(reason);
    }
    expect(await history(id)).toEqual({ in: [], out: 0 });
  });
});

describe('WeChat plaintext mode: a timestamp+nonce carries one message', () => {
  it('refuses another message under a captured query string, within the window', async () => {
    const shopper = openId();
    const captured = wechatQuery();
    const msgId = String(7_800_000_000_000_000 + Math.floor(Math.random() * 1e12));
    const first = await postWeChat(replay.url, captured, wechatText(shopper, '你好', msgId));
    expect(first.status).toBe(200);
    expect(first.text).toMatch(/^<xml>/);

    // The forger's bodies: as the shopper, as someone else, the same MsgId with other words.
    const victim = openId();
    const forged = [wechatText(shopper, '我要退款'), wechatText(victim, '查订单'), wechatText(shopper, '你好，我要退款', msgId)];
    for (const body of forged) {
      const r = await postWeChat(replay.url, captured, body);
      expect(r.status).toBe(401);
      expect(reasonOf(r.text)).toBe('nonce_reused');
    }
    expect(await history(shopper)).toEqual({ in: ['你好'], out: 1 });
    expect(await history(victim)).toEqual({ in: [], out: 0 });
  });

  it('still answers WeChat retrying an unanswered message once, with the same query string or a new one', async () => {
    const shopper = openId();
    const body = wechatText(shopper, 'hello');
    const q = wechatQuery();
    // Three deliveries at once with one query string (the first still running when the others arrive) ...
    const answers = await Promise.all([postWeChat(replay.url, q, body), postWeChat(replay.url, q, body), postWeChat(replay.url, q, body)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.text.startsWith('<xml>'))).toHaveLength(1);
    expect(answers.filter((a) => a.text === 'success')).toHaveLength(2);
    // ... then later ones, one with the same query string, one signed afresh.
    for (const query of [q, wechatQuery()]) {
      const r = await postWeChat(replay.url, query, body);
      expect(r.status).toBe(200);
      expect(r.text).toBe('success');
    }
    expect(await history(shopper)).toEqual({ in: ['hello'], out: 1 });
    expect(replay.shop.fake.sent.filter((s) => s.touser === shopper)).toEqual([]);
  });
});

describe('WeChat safe mode', () => {
  it('refuses a correctly encrypted and signed message outside the window', async () => {
    const id = openId();
    // Ten seconds past the 300 s window each way: a second ticking between here and the server's check cannot bring one back inside.
    for (const timestamp of [978_307_200, nowSeconds() - 310, nowSeconds() + 310]) {
      const { query, body } = wechatSafe(replay.shop.fake.appId, wechatText(id, '退货'), { timestamp });
      const r = await postWeChat(replay.url, query, body);
      expect(r.status).toBe(401);
      expect(reasonOf(r.text)).toBe('timestamp_out_of_window');
    }
    expect(await history(id)).toEqual({ in: [], out: 0 });
  });

  it('answers a retry once even when it is encrypted afresh under the same query timestamp and nonce', async () => {
    const id = openId();
    const xml = wechatText(id, 'hello');
    const timestamp = nowSeconds();
    const nonce = randomNonce();
    const first = wechatSafe(replay.shop.fake.appId, xml, { timestamp, nonce });
    const r1 = await postWeChat(replay.url, first.query, first.body);
    expect(r1.status).toBe(200);
    expect(r1.text).toMatch(/<Encrypt>/);
    const again = wechatSafe(replay.shop.fake.appId, xml, { timestamp, nonce }); // new random prefix: another ciphertext and msg_signature
    expect(again.body).not.toBe(first.body);
    const r2 = await postWeChat(replay.url, again.query, again.body);
    expect(r2.status).toBe(200);
    expect(r2.text).toBe('success');
    // Another message under the same timestamp and nonce, properly encrypted and signed: not the message they came with.
    const other = wechatSafe(replay.shop.fake.appId, wechatText(id, '我要退款'), { timestamp, nonce });
    const r3 = await postWeChat(replay.url, other.query, other.body);
    expect(r3.status).toBe(401);
    expect(reasonOf(r3.text)).toBe('nonce_reused');
    expect(await history(id)).toEqual({ in: ['hello'], out: 1 });
  });
});

describe('WECHAT_SIGNATURE_TOLERANCE_SECONDS', () => {
  it('defaults to 300 s, takes 30..3600, and names itself when wrong', () => {
    const base = { WECHAT_TOKEN: 'tok123', WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's' };
    expect(loadConfig(base, '/tmp').wechat?.signatureToleranceSeconds).toBe(300);
    expect(loadConfig({ ...base, WECHAT_SIGNATURE_TOLERANCE_SECONDS: '60' }, '/tmp').wechat?.signatureToleranceSeconds).toBe(60);
    for (const bad of ['0', '29', '3601', 'soon']) {
      expect(() => loadConfig({ ...base, WECHAT_SIGNATURE_TOLERANCE_SECONDS: bad }, '/tmp')).toThrow(/WECHAT_SIGNATURE_TOLERANCE_SECONDS/);
    }
  });
});
