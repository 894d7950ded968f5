/**
 * A local stand-in for api.weixin.qq.com: a real HTTP server on 127.0.0.1 speaking the two
 * documented APIs the WeChat channel uses, with WeChat's error codes, plus switches to make
 * it misbehave the way WeChat does (expired tokens, busy, closed 48-hour windows, slowness).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeWeChatOptions {
  appId?: string;
  appSecret?: string;
  /** expires_in of issued tokens, seconds (WeChat: 7200). The server also enforces it. */
  expiresIn?: number;
  /** Articles accepted in one news message (WeChat documents 8; today's accounts may get 1). */
  maxArticlesPerNews?: number;
}

export interface FakeArticle {
  title: string;
  description?: string;
  url?: string;
  picurl?: string;
}

/** One accepted customer-service message. */
export interface FakeSend {
  touser: string;
  msgtype: 'text' | 'news';
  text?: { content: string };
  news?: { articles: FakeArticle[] };
  accessToken: string;
}

export interface FakeWeChat {
  apiBase: string;
  appId: string;
  appSecret: string;
  /** Accepted sends, in order. */
  sent: FakeSend[];
  /** Requests to /cgi-bin/token, answered or refused. */
  readonly tokenRequests: number;
  /** Requests to /cgi-bin/message/custom/send, answered or refused. */
  readonly sendRequests: number;
  /** The latest token issued. */
  readonly currentToken: string | undefined;
  /** The current token stops working: 42001 (`expired`, default) or 40001 (`invalid`). */
  expireToken(kind?: 'expired' | 'invalid'): void;
  /** The next request to `endpoint` (default: send) answers `errcode` instead, once (or `times` times). */
  failNext(errcode: number, endpoint?: 'send' | 'token', times?: number): void;
  /** The next `times` sends answer this HTTP status (e.g. 500, 502) with a WeChat-style error body. */
  httpFailNext(status: number, times?: number): void;
  /** Sends to this OpenID answer 45015, as when the shopper has not written for 48 hours. */
  closeWindow(openId: string): void;
  /** Makes /cgi-bin/user/info report this UnionID for the follower (an Open Platform-bound account). */
  setUnionId(openId: string, unionId: string): void;
  /** The next request (any endpoint) is answered only after `ms`. */
  delayNext(ms: number): void;
  close(): Promise<void>;
}

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  44002: 'empty post data',
  44004: 'empty content',
  45002: 'content size out of limit',
  45008: 'article size out of limit',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  43004: 'require subscribe',
  47001: 'data format error',
};

const TEXT_MAX_BYTES = 2048;
const BODY_MAX_BYTES = 1024 * 1024;

interface IssuedToken {
  issuedAt: number;
  expiresIn: number;
  revoked?: 42001 | 40001;
}

export async function startFakeWeChat(opts: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  const appId = opts.appId ?? 'wx0000000000fake01';
  const appSecret = opts.appSecret ?? 'fake-app-secret-0123456789abcdef';
  const expiresIn = opts.expiresIn ?? 7200;
  const maxArticles = opts.maxArticlesPerNews ?? 8;

  const tokens = new Map<string, IssuedToken>();
  const closedWindows = new Set<string>();
  const failures: Record<'send' | 'token', number[]> = { send: [], token: [] };
  const httpFailures: number[] = [];
  const delays: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sent: FakeSend[] = [];
  const unionIds = new Map<string, string>();
  let tokenRequests = 0;
  let sendRequests = 0;
  let currentToken: string | undefined;

  const reply = (res: ServerResponse, body: Record<string, unknown>, status = 200): void => {
    res.writeHead(status, { 'content-type': 'application/json; encoding=utf-8' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, errcode: number): void =>
    reply(res, { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'} rid: ${randomBytes(4).toString('hex')}` });

  function handleToken(url: URL, req: IncomingMessage, res: ServerResponse): void {
    tokenRequests++;
    if (req.method !== 'GET') return error(res, 43001);
    const injected = failures.token.shift();
    if (injected !== undefined) return error(res, injected);
    const q = url.searchParams;
    if (q.get('grant_type') !== 'client_credential') return error(res, 40002);
    if (!q.get('appid')) return error(res, 41002);
    if (!q.get('secret')) return error(res, 41004);
    if (q.get('appid') !== appId) return error(res, 40013);
    if (q.get('secret') !== appSecret) return error(res, 40125);
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { issuedAt: Date.now(), expiresIn });
    currentToken = token;
    reply(res, { access_token: token, expires_in: expiresIn });
  }

  /** 0 when the token may call APIs, else WeChat's errcode for it. */
  function tokenStatus(token: string | null): number {
    if (!token) return 41001;
    const t = tokens.get(token);
    if (!t) return 40001;
    if (t.revoked) return t.revoked;
    if (Date.now() > t.issuedAt + t.expiresIn * 1000) return 42001;
    return 0;
  }

  function validateSend(body: unknown): { errcode: number } | { send: Omit<FakeSend, 'accessToken'> } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { errcode: 47001 };
    const b = body as Record<string, unknown>;
    if (typeof b['touser'] !== 'string' || b['touser'] === '') return { errcode: 40003 };
    const touser = b['touser'];
    if (b['msgtype'] === 'text') {
      const text = b['text'] as Record<string, unknown> | undefined;
      const content = text?.['content'];
      if (typeof content !== 'string') return { errcode: 47001 };
      if (content === '') return { errcode: 44004 };
      if (Buffer.byteLength(content, 'utf8') > TEXT_MAX_BYTES) return { errcode: 45002 };
      return { send: { touser, msgtype: 'text', text: { content } } };
    }
    if (b['msgtype'] === 'news') {
      const news = b['news'] as Record<string, unknown> | undefined;
      const articles = news?.['articles'];
      if (!Array.isArray(articles)) return { errcode: 47001 };
      if (articles.length === 0 || articles.length > maxArticles) return { errcode: 45008 };
      const clean: FakeArticle[] = [];
      for (const a of articles as unknown[]) {
        if (typeof a !== 'object' || a === null) return { errcode: 47001 };
        const r = a as Record<string, unknown>;
        const keys = Object.keys(r);
        if (keys.some((k) => !['title', 'description', 'url', 'picurl'].includes(k))) return { errcode: 47001 };
        if (keys.some((k) => typeof r[k] !== 'string') || typeof r['title'] !== 'string') return { errcode: 47001 };
        clean.push(r as unknown as FakeArticle);
      }
      return { send: { touser, msgtype: 'news', news: { articles: clean } } };
    }
    return { errcode: 40008 };
  }

  async function handleSend(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    sendRequests++;
    const raw = await readBody(req);
    if (req.method !== 'POST') return error(res, 43002);
    const httpStatus = httpFailures.shift();
    if (httpStatus !== undefined) return reply(res, { errcode: -1, errmsg: 'system error' }, httpStatus);
    const token = url.searchParams.get('access_token');
    const status = tokenStatus(token);
    if (status !== 0) return error(res, status);
    const injected = failures.send.shift();
    if (injected !== undefined) return error(res, injected);
    if (raw === undefined) return error(res, 47001);
    if (raw.length === 0) return error(res, 44002);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return error(res, 47001);
    }
    const checked = validateSend(body);
    if ('errcode' in checked) return error(res, checked.errcode);
    if (closedWindows.has(checked.send.touser)) return error(res, 45015);
    sent.push({ ...checked.send, accessToken: token as string });
    reply(res, { errcode: 0, errmsg: 'ok' });
  }

  const server = createServer((req, res) => {
    const delay = delays.shift();
    const run = (): void => {
      const url = new URL(req.url ?? '/', 'http://fake.wechat');
      if (url.pathname === '/cgi-bin/token') return handleToken(url, req, res);
      if (url.pathname === '/cgi-bin/user/info') {
        const status = tokenStatus(url.searchParams.get('access_token'));
        if (status !== 0) return error(res, status);
        const openid = url.searchParams.get('openid');
        if (!openid) return error(res, 40003);
        const unionid = unionIds.get(openid);
        return reply(res, { subscribe: 1, openid, language: 'zh_CN', subscribe_time: Math.floor(Date.now() / 1000), ...(unionid ? { unionid } : {}) });
      }
      if (url.pathname === '/cgi-bin/message/custom/send') {
        handleSend(url, req, res).catch(() => {
          if (!res.headersSent) reply(res, { errcode: -1, errmsg: 'system error' }, 500);
        });
        return;
      }
      reply(res, { errcode: 404, errmsg: `no such API: ${url.pathname}` }, 404);
    };
    if (delay === undefined) return run();
    const t = setTimeout(() => {
      timers.delete(t);
      if (!res.destroyed) run();
    }, delay);
    timers.add(t);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    apiBase: `http://127.0.0.1:${port}`,
    appId,
    appSecret,
    sent,
    get tokenRequests() {
      return tokenRequests;
    },
    get sendRequests() {
      return sendRequests;
    },
    get currentToken() {
      return currentToken;
    },
    expireToken(kind = 'expired') {
      const t = currentToken ? tokens.get(currentToken) : undefined;
      if (!t) throw new Error('no token has been issued yet');
      t.revoked = kind === 'expired' ? 42001 : 40001;
    },
    failNext(errcode, endpoint = 'send', times = 1) {
      for (let i = 0; i < times; i++) failures[endpoint].push(errcode);
    },
    httpFailNext(status, times = 1) {
      for (let i = 0; i < times; i++) httpFailures.push(status);
    },
    setUnionId(openId, unionId) {
      unionIds.set(openId, unionId);
    },
    closeWindow(openId) {
      closedWindows.add(openId);
    },
    delayNext(ms) {
      delays.push(ms);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** The request body, or undefined past the size limit (the fake answers 47001 then). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_MAX_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
