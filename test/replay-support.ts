/**
 * Shared by the replay tests (test/replay-*.test.ts): a real server with the app API and
 * WeChat (safe mode available) on a temporary SQLite store, a raw HTTP/1.1 client that sends
 * exactly the bytes it is given (duplicate headers, header-name case, non-ASCII bytes, which
 * fetch normalises away), and the signers a backend and WeChat use.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { signRequest } from '../channels/app/index.js';
import { WeChatCrypto, wechatSignature } from '../channels/wechat/index.js';
import type { ChannelId, Message } from '../store/index.js';
import { startShopServer, type ShopServer } from './helpers/shop-server.js';

export const APP_SECRET = 'replay-app-secret-0123456789abcdef0123456789';
export const WECHAT_TOKEN = 'replayToken2026';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const OA = 'gh_replay00001';
export const BASE = '/api/app/v1';

export async function startReplayServer(prefix: string, env: Record<string, string> = {}): Promise<ShopServer> {
  return startShopServer(prefix, WECHAT_TOKEN, {
    APP_HMAC_SECRET: APP_SECRET,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    EMBEDDINGS_MODEL: 'lexical',
    SEED_DEMO: 'false',
    HANDOFF_AUTO_ASSIGN: 'false',
    ...env,
  });
}

/** A test file's replay server: started before its tests, closed after them. Read `shop` and `url` inside tests. */
export function useReplayServer(prefix: string, env: Record<string, string> = {}): { readonly shop: ShopServer; readonly url: string } {
  let shop: ShopServer | undefined;
  beforeAll(async () => {
    shop = await startReplayServer(prefix, env);
  }, 120_000);
  afterAll(async () => {
    await shop?.close();
  });
  const started = (): ShopServer => {
    if (!shop) throw new Error('the replay server is not started yet (read it inside a test)');
    return shop;
  };
  return {
    get shop() {
      return started();
    },
    get url() {
      return started().server.url;
    },
  };
}

/** The messages stored for a channel account (up to 500, as the store lists them); none when it has no customer. */
export async function storedMessages(shop: ShopServer, channel: ChannelId, externalId: string): Promise<Message[]> {
  const customer = await shop.server.store.customers.findByIdentity(channel, externalId);
  if (!customer) return [];
  return (await shop.server.store.messages.listByCustomer(customer.id, { limit: 500 })).items;
}

/** The texts of the inbound messages stored for a channel account. */
export async function inboundTexts(shop: ShopServer, channel: ChannelId, externalId: string): Promise<string[]> {
  return (await storedMessages(shop, channel, externalId)).filter((m) => m.direction === 'in').map((m) => m.text);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ------------------------------------------------------------------------------ raw HTTP

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
  json<T = { error?: { code?: string; reason?: string; message?: string } }>(): T;
}

/**
 * One HTTP/1.1 request over a fresh TCP connection, written byte for byte: the headers in the
 * order and case given (repeats included), values as UTF-8 bytes, then the body.
 */
export function rawRequest(
  baseUrl: string,
  req: { method: string; target: string; headers: Array<[string, string]>; body?: string | Buffer },
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : (req.body ?? Buffer.alloc(0));
  const head =
    `${req.method} ${req.target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n` +
    req.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    (body.length > 0 || req.method === 'POST' ? `Content-Length: ${body.length}\r\n` : '') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const headers = split < 0 ? text : text.slice(0, split);
      let payload = split < 0 ? '' : text.slice(split + 4);
      if (/\r\ntransfer-encoding: chunked/i.test(headers)) payload = unchunk(payload);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      resolve({ status, headers, body: payload, json: <T>() => JSON.parse(payload) as T });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body]));
  });
}

function unchunk(s: string): string {
  let out = '';
  let rest = s;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

// ----------------------------------------------------------------------------- app calls

/** A call exactly as the shop's backend signs and sends it (v1): what an attacker captures. */
export interface AppCall {
  method: 'GET' | 'POST';
  target: string;
  timestamp: string;
  key?: string;
  body?: string;
  signature: string;
}

export function signAppCall(c: { method: 'GET' | 'POST'; target: string; key?: string; body?: string; timestamp?: number }): AppCall {
  const timestamp = String(c.timestamp ?? nowSeconds());
  return {
    method: c.method,
    target: c.target,
    timestamp,
    key: c.key,
    body: c.body,
    signature: signRequest(APP_SECRET, { method: c.method, target: c.target, timestamp, idempotencyKey: c.key ?? '', body: c.body }),
  };
}

/** A signed message POST for app user `userId` with a fresh key. */
export function appMessage(userId: string, text: string, key: string = randomUUID()): AppCall {
  return signAppCall({ method: 'POST', target: `${BASE}/conversations/app:${userId}/messages`, key, body: JSON.stringify({ userId, text, locale: 'en' }) });
}

/** The headers of a captured call, in the order a client sends them. */
export function appHeaders(c: AppCall): Array<[string, string]> {
  const h: Array<[string, string]> = [
    ['Content-Type', 'application/json'],
    ['X-Shop-Timestamp', c.timestamp],
    ['X-Shop-Signature', c.signature],
  ];
  if (c.key !== undefined) h.push(['Idempotency-Key', c.key]);
  return h;
}

/** Sends a (possibly tampered) app call. */
export function sendApp(baseUrl: string, c: AppCall, headers: Array<[string, string]> = appHeaders(c)): Promise<RawResponse> {
  return rawRequest(baseUrl, { method: c.method, target: c.target, headers, body: c.method === 'POST' ? (c.body ?? '') : undefined });
}

// ---------------------------------------------------------------------------- WeChat posts

let msgId = 7_700_000_000_000_000 + Math.floor(Math.random() * 1e12);

/** A text message as WeChat posts it (plaintext XML). */
export function wechatText(openId: string, content: string, id: string = String(++msgId)): string {
  return `<xml><ToUserName><![CDATA[${OA}]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${nowSeconds()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${id}</MsgId></xml>`;
}

export const randomNonce = () => String(1_000_000_000 + Math.floor(Math.random() * 1e9));

/** The query string WeChat signs a plaintext-mode post with (`signature` over token, timestamp, nonce). */
export function wechatQuery(opts: { timestamp?: string | number; nonce?: string } = {}): string {
  const timestamp = String(opts.timestamp ?? nowSeconds());
  const nonce = opts.nonce ?? randomNonce();
  return new URLSearchParams({ signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce), timestamp, nonce }).toString();
}

/** A safe-mode post: the envelope and its query string (`msg_signature` over the Encrypt value too). */
export function wechatSafe(appId: string, xml: string, opts: { timestamp?: string | number; nonce?: string } = {}): { query: string; body: string } {
  const crypto = new WeChatCrypto({ token: WECHAT_TOKEN, encodingAESKey: AES_KEY, appId });
  const timestamp = String(opts.timestamp ?? nowSeconds());
  const nonce = opts.nonce ?? randomNonce();
  const enc = crypto.encrypt(xml, timestamp, nonce);
  const query = new URLSearchParams({
    signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce),
    timestamp,
    nonce,
    encrypt_type: 'aes',
    msg_signature: enc.msgSignature,
  }).toString();
  return { query, body: `<xml><ToUserName><![CDATA[${OA}]]></ToUserName><Encrypt><![CDATA[${enc.encrypt}]]></Encrypt></xml>` };
}

export async function postWeChat(baseUrl: string, query: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/wechat?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  return { status: res.status, text: await res.text() };
}
