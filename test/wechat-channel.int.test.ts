import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHmac, randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { WeChatCrypto, wechatSignature } from '../channels/wechat/index.js';
import { startFakeWeChat, type FakeWeChat } from './fakes/wechat-server.js';
import { WsClient } from './helpers/ws-client.js';

const TOKEN = 'shopToken2026';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OA = 'gh_0123456789ab';
const APP_SECRET = 'app-backend-secret-0123456789abcdef';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-wechat-'));
let server: RunningServer;
let fake: FakeWeChat;
const xml = new XMLParser({ parseTagValue: false });

beforeAll(async () => {
  fake = await startFakeWeChat();
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      WECHAT_TOKEN: TOKEN,
      WECHAT_APP_ID: fake.appId,
      WECHAT_APP_SECRET: fake.appSecret,
      WECHAT_ENCODING_AES_KEY: AES_KEY,
      WECHAT_API_BASE: fake.apiBase,
      APP_HMAC_SECRET: APP_SECRET,
      // Low, so the test below shows WeChat traffic (all from WeChat's servers) is not limited per IP.
      RATE_LIMIT_IP_PER_MINUTE: '20',
    },
    dir,
  );
  server = await startServer(config, createLogger({ level: 'silent' }));
}, 120_000);

afterAll(async () => {
  await server.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

let msgId = 7_000_000_000_000_000;
function textXml(openId: string, content: string, id = String(++msgId)): string {
  return `<xml><ToUserName><![CDATA[${OA}]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${id}</MsgId></xml>`;
}

function signedQuery(extra: Record<string, string> = {}): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(TOKEN, timestamp, nonce), ...extra });
  return q.toString();
}

async function post(body: string, query = signedQuery()): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/wechat?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  return { status: res.status, text: await res.text() };
}

function replyContent(text: string): string {
  return String((xml.parse(text) as { xml: { Content: string } }).xml.Content);
}

describe('WeChat Official Account webhook', () => {
  it('answers the server verification GET with echostr, and refuses a bad signature', async () => {
    const ok = await fetch(`${server.url}/wechat?${signedQuery({ echostr: 'hello123' })}`);
    expect(await ok.text()).toBe('hello123');
    const bad = await fetch(`${server.url}/wechat?timestamp=1&nonce=2&signature=${'0'.repeat(40)}&echostr=x`);
    expect(bad.status).toBe(401);
  });

  it('replies passively with XML text, quick replies as tappable menu links', async () => {
    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    const r = await post(textXml(openId, '你好'));
    expect(r.status).toBe(200);
    const parsed = xml.parse(r.text) as { xml: { ToUserName: string; FromUserName: string; MsgType: string } };
    expect(parsed.xml).toMatchObject({ ToUserName: openId, FromUserName: OA, MsgType: 'text' });
    expect(replyContent(r.text)).toMatch(/购物助手/);
    expect(replyContent(r.text)).toMatch(/weixin:\/\/bizmsgmenu\?msgmenucontent=/);
  });

  it('answers many followers at once: every post comes from WeChat\'s servers, so no per-IP limit applies (the per-follower one does)', async () => {
    const openIds = Array.from({ length: 30 }, () => `oWx_${randomUUID().slice(0, 8)}`);
    const answers = await Promise.all(openIds.map((id) => post(textXml(id, 'hello'))));
    expect(answers.every((a) => a.status === 200 && a.text.startsWith('<xml>'))).toBe(true);
    expect(answers.every((a) => replyContent(a.text) !== '')).toBe(true);
    // One follower flooding is still limited: 12 messages at once, burst 10.
    const flooder = `oWx_${randomUUID().slice(0, 8)}`;
    await Promise.all(Array.from({ length: 12 }, () => post(textXml(flooder, 'hello'))));
    const customer = await server.store.customers.findByIdentity('wechat', flooder);
    const history = (await server.store.messages.listByCustomer(customer!.id)).items;
    expect(history.filter((m) => m.direction === 'in')).toHaveLength(12);
    expect(history.filter((m) => m.direction === 'out').length).toBeLessThan(12);
  });

  it('gives exactly one answer when WeChat retries a message three times', async () => {
    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    const body = textXml(openId, 'hello', '6999999999000000001');
    const answers = await Promise.all([post(body), post(body), post(body)]);
    const replies = answers.filter((a) => a.text.startsWith('<xml>'));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(replies).toHaveLength(1);
    expect(answers.filter((a) => a.text === 'success')).toHaveLength(2);
    const customer = await server.store.customers.findByIdentity('wechat', openId);
    const history = await server.store.messages.listByCustomer(customer!.id);
    expect(history.items.filter((m) => m.direction === 'in')).toHaveLength(1);
    expect(history.items.filter((m) => m.direction === 'out')).toHaveLength(1);
    expect(fake.sent.filter((s) => s.touser === openId)).toHaveLength(0);
  });

  it('refuses a bad signature (401) and malformed XML (400), storing nothing', async () => {
    const before = (await server.store.counts()).messages;
    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    expect((await post(textXml(openId, 'hi'), 'timestamp=1&nonce=2&signature=' + 'a'.repeat(40))).status).toBe(401);
    expect((await post('<xml><ToUserName>broken', signedQuery())).status).toBe(400);
    expect((await post('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>', signedQuery())).status).toBe(400);
    expect((await server.store.counts()).messages).toBe(before);
  });

  it('speaks safe mode: decrypts the message and encrypts the reply', async () => {
    const crypto = new WeChatCrypto({ token: TOKEN, encodingAESKey: AES_KEY, appId: fake.appId });
    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    const enc = crypto.encrypt(textXml(openId, 'help'));
    const envelope = `<xml><ToUserName><![CDATA[${OA}]]></ToUserName><Encrypt><![CDATA[${enc.encrypt}]]></Encrypt></xml>`;
    const q = new URLSearchParams({
      timestamp: enc.timestamp,
      nonce: enc.nonce,
      signature: wechatSignature(TOKEN, enc.timestamp, enc.nonce),
      encrypt_type: 'aes',
      msg_signature: enc.msgSignature,
    });
    const r = await post(envelope, q.toString());
    expect(r.status).toBe(200);
    const outer = (xml.parse(r.text) as { xml: { Encrypt: string; MsgSignature: string; TimeStamp: string; Nonce: string } }).xml;
    expect(crypto.verify(outer.MsgSignature, String(outer.TimeStamp), String(outer.Nonce), outer.Encrypt)).toBe(true);
    expect(replyContent(crypto.decrypt(outer.Encrypt))).toMatch(/Here is what I can do/);

    const tampered = new URLSearchParams(q);
    tampered.set('msg_signature', 'f'.repeat(40));
    expect((await post(envelope, tampered.toString())).status).toBe(401);
  });

  it('sends proactive messages through the customer-service API with a cached access token', async () => {
    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    await post(textXml(openId, 'hi'));
    const tokensBefore = fake.tokenRequests;
    const reference = { channelId: 'wechat', user: { id: openId, name: '' }, bot: { id: OA, name: '' }, conversation: { id: `wechat:${openId}`, isGroup: false, conversationType: 'personal', name: '' }, serviceUrl: '' };
    // An agent-style reply: a proactive turn through the same adapter the webhook uses.
    await server.adapters.wechat!.continueConversation(reference, async (context) => {
      await context.sendActivity({ type: 'message', text: 'An agent here: your parcel left Hangzhou today.', channelData: { sender: 'agent', agentId: 'agt_demo' } });
      await context.sendActivity({ type: 'message', text: 'Anything else?', channelData: { sender: 'agent', agentId: 'agt_demo' } });
    });
    const sent = fake.sent.filter((s) => s.touser === openId);
    expect(sent.map((s) => s.text?.content)).toEqual(['An agent here: your parcel left Hangzhou today.', 'Anything else?']);
    expect(fake.tokenRequests - tokensBefore).toBeLessThanOrEqual(1);
    const customer = await server.store.customers.findByIdentity('wechat', openId);
    const stored = await server.store.messages.listByCustomer(customer!.id);
    expect(stored.items[0]).toMatchObject({ sender: 'agent', agentId: 'agt_demo', text: 'Anything else?' });
  });

  it('continues a web conversation on WeChat after a link code: one customer, one history', async () => {
    const s = await fetch(`${server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const web = (await s.json()) as { visitorToken: string; customerId: string };
    const ws = await WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=${web.visitorToken}`);
    await ws.waitFor((f) => f.type === 'history');
    ws.send({ type: 'message', id: randomUUID(), text: 'hello' });
    await ws.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'bot');
    // The visitor is a customer from their first message on.
    web.customerId = (await server.store.customers.findByIdentity('web', web.visitorToken.split('.')[1]!))!.id;
    const from = ws.frames.length;
    ws.send({ type: 'message', id: randomUUID(), text: 'link' });
    const codeFrame = await ws.waitFor((f) => f.type === 'message' && /link code is/.test((f['message'] as { text: string }).text), { from });
    const code = /link code is ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec((codeFrame['message'] as { text: string }).text)![1]!;

    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    await post(textXml(openId, '你好'));
    const linked = await post(textXml(openId, `绑定 ${code}`));
    expect(replyContent(linked.text)).toMatch(/绑定成功/);

    const customer = await server.store.customers.findByIdentity('wechat', openId);
    expect(customer!.id).toBe(web.customerId);
    // The bot's memory of the shopper followed the link (what they last talked about on either side).
    const key = `customers/${web.customerId}/memory`;
    const memory = (await server.store.botState.read([key]))[key] as { memory?: { lastIntent?: string } } | undefined;
    expect(memory?.memory?.lastIntent).toBe('greeting');
    expect(customer!.identities.map((i) => i.channel).sort()).toEqual(['web', 'wechat']);
    // The web socket sees the WeChat side of the conversation live.
    const after = ws.frames.length;
    await post(textXml(openId, 'thanks'));
    await ws.waitFor((f) => f.type === 'message' && (f['message'] as { text: string; channel: string }).channel === 'wechat', { from: after });
    const history = await server.store.messages.listByCustomer(web.customerId, { limit: 100 });
    const channels = new Set(history.items.map((m) => m.channel));
    expect(channels).toEqual(new Set(['web', 'wechat']));
    await ws.close();
  });

  it('joins the app and the Official Account by WeChat UnionID, and nothing else', async () => {
    const unionId = `oUnion_${randomUUID().slice(0, 12)}`;
    const userId = `app-user-${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({ userId, wechatUnionId: unionId, text: 'hello' });
    const ts = String(Math.floor(Date.now() / 1000));
    // Signed by hand, as the README tells a backend to (scheme v1): no helper of ours involved.
    const path = `/api/app/v1/conversations/app:${userId}/messages`;
    const key = randomUUID();
    const sig = createHmac('sha256', APP_SECRET).update(['v1', 'POST', path, ts, key, body].join('\n')).digest('hex');
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-timestamp': ts, 'x-shop-signature': `v1=${sig}`, 'idempotency-key': key },
      body,
    });
    expect(res.status).toBe(200);
    const appCustomer = await server.store.customers.findByIdentity('app', userId);

    const openId = `oWx_${randomUUID().slice(0, 8)}`;
    fake.setUnionId(openId, unionId);
    await post(textXml(openId, '你好'));
    const wechatCustomer = await server.store.customers.findByIdentity('wechat', openId);
    expect(wechatCustomer!.id).toBe(appCustomer!.id);
    const history = await server.store.messages.listByCustomer(appCustomer!.id);
    expect(new Set(history.items.map((m) => m.channel))).toEqual(new Set(['app', 'wechat']));

    // A follower whose account has no UnionID stays a customer of their own.
    const stranger = `oWx_${randomUUID().slice(0, 8)}`;
    await post(textXml(stranger, '你好'));
    expect((await server.store.customers.findByIdentity('wechat', stranger))!.id).not.toBe(appCustomer!.id);
  });
});

describe('WeChat webhook when the turn runs late', () => {
  it('answers success at once and sends the reply through the customer-service API', async () => {
    const lateDir = mkdtempSync(path.join(tmpdir(), 'sa-wechat-late-'));
    const config = loadConfig(
      {
        PORT: '0',
        DATA_DIR: lateDir,
        LOG_LEVEL: 'silent',
        SEED_DEMO: 'false',
        WECHAT_TOKEN: TOKEN,
        WECHAT_APP_ID: fake.appId,
        WECHAT_APP_SECRET: fake.appSecret,
        WECHAT_API_BASE: fake.apiBase,
        WECHAT_REPLY_DEADLINE_MS: '100',
      },
      lateDir,
    );
    const late = await startServer(config, createLogger({ level: 'silent' }));
    try {
      const openId = `oWx_${randomUUID().slice(0, 8)}`;
      // The first-contact UnionID lookup is slow today: the turn misses the deadline.
      fake.delayNext(800);
      const started = Date.now();
      const res = await fetch(`${late.url}/wechat?${signedQuery()}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: textXml(openId, 'hello') });
      expect(await res.text()).toBe('success');
      expect(Date.now() - started).toBeLessThan(700);
      await expect.poll(() => fake.sent.filter((x) => x.touser === openId).length, { timeout: 10_000 }).toBe(1);
      expect(fake.sent.find((x) => x.touser === openId)?.text?.content).toMatch(/shopping assistant/);
    } finally {
      await late.close();
      rmSync(lateDir, { recursive: true, force: true });
    }
  });
});
