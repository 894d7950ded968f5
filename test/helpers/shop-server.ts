/**
 * The real server for end-to-end shopper flows: a temporary data folder, the local fake
 * WeChat API, and helpers that talk to it as the widget (a real WebSocket) and as WeChat
 * (signed XML posts) do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { signIdentityToken } from '../../channels/web/index.js';
import { wechatSignature } from '../../channels/wechat/index.js';
import type { ProductCard } from '../../skills/index.js';
import { startFakeWeChat, type FakeWeChat } from '../fakes/wechat-server.js';
import { WsClient, type Frame } from './ws-client.js';

export const IDENTITY_SECRET = 'test-identity-secret-0123456789abcdef';

export interface ShopServer {
  server: RunningServer;
  fake: FakeWeChat;
  wechatToken: string;
  /** A widget connection: signed in as `customerId` when given, else an anonymous visitor. */
  widget(opts?: { customerId?: string; locale?: 'en' | 'zh' }): Promise<WsClient>;
  close(): Promise<void>;
}

export async function startShopServer(prefix: string, wechatToken: string, env: Record<string, string> = {}): Promise<ShopServer> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const fake = await startFakeWeChat();
  const config = loadConfig(
    {
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      WEB_IDENTITY_SECRET: IDENTITY_SECRET,
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '600',
      WECHAT_TOKEN: wechatToken,
      WECHAT_APP_ID: fake.appId,
      WECHAT_APP_SECRET: fake.appSecret,
      WECHAT_API_BASE: fake.apiBase,
      ...env,
    },
    dir,
  );
  const server = await startServer(config, createLogger({ level: (process.env['TEST_LOG_LEVEL'] ?? 'silent') as 'silent' }, process.stderr));
  const clients: WsClient[] = [];
  return {
    server,
    fake,
    wechatToken,
    async widget(opts = {}) {
      const body: Record<string, unknown> = { locale: opts.locale ?? 'en' };
      if (opts.customerId) body['identityToken'] = signIdentityToken(IDENTITY_SECRET, opts.customerId, Math.floor(Date.now() / 1000) + 600);
      const res = await fetch(`${server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { visitorToken } = (await res.json()) as { visitorToken: string };
      const c = await WsClient.connect(`${server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`);
      clients.push(c);
      await c.waitFor((f) => f.type === 'history');
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await server.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type BotMessage = { text: string; cards?: ProductCard[]; suggestedActions?: Array<{ title: string; value: string }> };
const botMessage = (f: Frame) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'bot';

/** Sends a message (or a quick-reply click: a postback with the button's value) and collects every bot message of the turn. */
export async function say(c: WsClient, text: string, value?: string): Promise<BotMessage[]> {
  const from = c.frames.length;
  c.send(value ? { type: 'postback', id: randomUUID(), value, text } : { type: 'message', id: randomUUID(), text });
  await c.waitFor(botMessage, { from });
  // The turn's messages arrive back to back; wait until no more come.
  let count = -1;
  while (count !== c.frames.length) {
    count = c.frames.length;
    await new Promise((r) => setTimeout(r, 150));
  }
  return c.frames.slice(from).filter(botMessage).map((f) => f['message'] as BotMessage);
}

/** Sends a message (or a quick-reply click) on a widget socket and waits until the server acknowledges it (stored). */
export async function sendAcked(c: WsClient, text: string, value?: string): Promise<void> {
  const id = randomUUID();
  c.send(value ? { type: 'postback', id, value, text } : { type: 'message', id, text });
  await c.waitFor((f) => f.type === 'ack' && f['id'] === id);
}

let msgId = 8_000_000_000_000_000 + Math.floor(Math.random() * 1e12);

/** A WeChat text message as the platform posts it (a fresh MsgId unless one is given, e.g. to replay one). */
export function wechatTextXml(oa: string, openId: string, content: string, id: string = String(++msgId)): string {
  return `<xml><ToUserName><![CDATA[${oa}]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${id}</MsgId></xml>`;
}

/**
 * Posts a signed WeChat message (with MsgId `msgId` when given); returns the HTTP status and the passive reply body.
 * `shop`: this helper's server, or any server's URL with its WeChat token (a server process).
 */
export async function wechatPost(shop: Pick<ShopServer, 'wechatToken'> & { server: { url: string } }, oa: string, openId: string, content: string, msgId?: string): Promise<{ status: number; body: string }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(shop.wechatToken, timestamp, nonce) });
  const res = await fetch(`${shop.server.url}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: wechatTextXml(oa, openId, content, msgId) });
  return { status: res.status, body: await res.text() };
}

/** A console login: the session cookie, its CSRF token and the agent's id. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
  agentId: string;
}

/** Logs in through `POST /api/console/login` and checks the cookie is the HTTP-only session cookie. */
export async function consoleLogin(base: string, email: string, password: string): Promise<ConsoleSession> {
  const res = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`console login for ${email} answered ${res.status}: ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  if (!/^sa_console=/.test(setCookie) || !/HttpOnly/.test(setCookie)) throw new Error(`not an HTTP-only console session cookie: ${setCookie}`);
  const body = (await res.json()) as { csrfToken: string; agent: { id: string } };
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, agentId: body.agent.id };
}

/** A console API call with the session's cookie and CSRF header; the JSON answer ({} when empty). */
export async function consoleApi(
  base: string,
  s: ConsoleSession,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
