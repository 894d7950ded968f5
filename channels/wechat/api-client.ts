import { ShopError, type ShopErrorCode } from '../../store/index.js';
import { splitText } from './split-text.js';
import { NEWS_MAX_ARTICLES, type WeChatArticle } from './xml.js';

export interface WeChatApiClientOptions {
  appId: string;
  appSecret: string;
  /** `https://api.weixin.qq.com` in production; a local fake in tests. */
  apiBase: string;
  fetch?: typeof fetch;
  /** Clock for the token cache, in milliseconds. */
  now?: () => number;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  /**
   * Articles per customer-service news message (1 to 8). WeChat documents 8, but accounts
   * may be limited to 1 (errcode 45008 beyond); longer lists are sent as several messages.
   */
  maxArticlesPerNews?: number;
}

interface CachedToken {
  token: string;
  /** When to stop using it (ms): before WeChat's expiry, by a safety margin. */
  refreshAt: number;
}

type Json = Record<string, unknown>;

/** Refresh the token this long before WeChat says it expires (other servers, clock skew). */
const TOKEN_MARGIN_S = 300;
/** "invalid credential", "access_token expired", "invalid access_token": get a new token. */
const TOKEN_ERRORS: ReadonlySet<number> = new Set([40001, 42001, 40014]);

/**
 * The two WeChat server APIs the channel needs: the access_token (shared by every send,
 * cached until shortly before it expires, one fetch for concurrent callers) and the
 * customer-service message, used when a reply cannot go back in the webhook response.
 */
export class WeChatApiClient {
  private readonly appId: string;
  private readonly appSecret: string;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly maxArticlesPerNews: number;
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;

  constructor(opts: WeChatApiClientOptions) {
    if (!opts.appId) throw new ShopError('config_invalid', 'WECHAT_APP_ID is required for the WeChat API');
    if (!opts.appSecret) throw new ShopError('config_invalid', 'WECHAT_APP_SECRET is required for the WeChat API');
    if (!opts.apiBase || !URL.canParse(opts.apiBase)) {
      throw new ShopError('config_invalid', `WECHAT_API_BASE must be an absolute URL, not "${opts.apiBase}"`);
    }
    const perNews = opts.maxArticlesPerNews ?? NEWS_MAX_ARTICLES;
    if (!Number.isInteger(perNews) || perNews < 1 || perNews > NEWS_MAX_ARTICLES) {
      throw new ShopError('config_invalid', `maxArticlesPerNews must be 1 to ${NEWS_MAX_ARTICLES}`);
    }
    this.appId = opts.appId;
    this.appSecret = opts.appSecret;
    this.base = opts.apiBase.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxArticlesPerNews = perNews;
  }

  /** A valid access_token: the cached one, or one fetch shared by everyone who asks meanwhile. */
  async getAccessToken(): Promise<string> {
    const c = this.cached;
    if (c && this.now() < c.refreshAt) return c.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return (await this.pending).token;
  }

  /**
   * Sends text as customer-service messages, split at sentence or line boundaries into
   * parts WeChat accepts; resolves to the number of messages sent. On failure the error's
   * details say how many parts had already gone out.
   */
  async sendText(openId: string, content: string): Promise<number> {
    requireOpenId(openId);
    const parts = splitText(content);
    if (parts.length === 0) throw new ShopError('bad_request', 'a WeChat text message cannot be empty');
    return this.sendAll(parts.map((p) => ({ touser: openId, msgtype: 'text', text: { content: p } })));
  }

  /** Sends articles (product cards) as news messages; resolves to the number of messages sent. */
  async sendNews(openId: string, articles: WeChatArticle[]): Promise<number> {
    requireOpenId(openId);
    if (articles.length === 0) throw new ShopError('bad_request', 'a WeChat news message needs at least one article');
    for (const a of articles) {
      if (!a.title?.trim()) throw new ShopError('bad_request', 'every WeChat news article needs a title');
    }
    const bodies: Json[] = [];
    for (let i = 0; i < articles.length; i += this.maxArticlesPerNews) {
      bodies.push({
        touser: openId,
        msgtype: 'news',
        news: { articles: articles.slice(i, i + this.maxArticlesPerNews).map(toApiArticle) },
      });
    }
    return this.sendAll(bodies);
  }

  /**
   * The follower's UnionID, when the Official Account is bound to a WeChat Open Platform
   * account (`GET /cgi-bin/user/info`); undefined otherwise. The UnionID is WeChat's own
   * word that two accounts (this OpenID, the shop app's WeChat login) are one person.
   */
  async getUnionId(openId: string): Promise<string | undefined> {
    requireOpenId(openId);
    const q = new URLSearchParams({ openid: openId, lang: 'zh_CN' });
    const res = await this.call(`/cgi-bin/user/info?${q.toString()}`, undefined, 'user info request');
    const unionId = res['unionid'];
    return typeof unionId === 'string' && unionId !== '' ? unionId : undefined;
  }

  private async sendAll(bodies: Json[]): Promise<number> {
    for (const [i, body] of bodies.entries()) {
      try {
        await this.call('/cgi-bin/message/custom/send', body, 'customer-service message');
      } catch (err) {
        if (!(err instanceof ShopError) || bodies.length === 1) throw err;
        throw new ShopError(err.code, `${err.message} (after ${i} of ${bodies.length} parts were sent)`, {
          cause: err,
          details: { ...err.details, partsSent: i, parts: bodies.length },
        });
      }
    }
    return bodies.length;
  }

  /**
   * POSTs to an API with the access_token. A token WeChat calls invalid or expired (another
   * server may have fetched a newer one, or it lapsed early) is dropped and the call retried
   * once with a fresh one. Nothing else is retried here: the caller decides (bots/delivery.ts
   * retries sends whose error says `details.transient`, with backoff, and records the
   * outcome on the stored message). WeChat documents -1 as "system busy, try again later";
   * a busy send is very rarely delivered anyway, so a retry may, rarely, show twice.
   */
  private async call(path: string, body: Json | undefined, what: string): Promise<Json> {
    const withToken = (t: string) => `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(t)}`;
    let token = await this.getAccessToken();
    let res = await this.request(withToken(token), what, body);
    if (TOKEN_ERRORS.has(errcodeOf(res))) {
      this.invalidate(token);
      token = await this.getAccessToken();
      res = await this.request(withToken(token), what, body);
    }
    const errcode = errcodeOf(res);
    if (errcode !== 0) throw apiError(errcode, errmsgOf(res), what);
    return res;
  }

  /** Forgets `token` unless a newer one has replaced it already (concurrent failures refresh once). */
  private invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<CachedToken> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: this.appId, secret: this.appSecret });
    const res = await this.request(`/cgi-bin/token?${query.toString()}`, 'access_token request');
    const errcode = errcodeOf(res);
    if (errcode !== 0) throw tokenError(errcode, errmsgOf(res));
    const token = res['access_token'];
    const expiresIn = res['expires_in'];
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new ShopError('unavailable', 'WeChat answered the access_token request without access_token and expires_in');
    }
    // Short-lived tokens (tests, odd servers) keep half their life rather than none.
    const margin = Math.min(TOKEN_MARGIN_S, expiresIn / 2);
    const cached = { token, refreshAt: this.now() + (expiresIn - margin) * 1000 };
    this.cached = cached;
    return cached;
  }

  /**
   * One HTTP exchange. Failures name the API, never the URL: it carries the secret or the
   * token.
   */
  private async request(pathAndQuery: string, what: string, body?: Json): Promise<Json> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.base}${pathAndQuery}`, {
        method: body ? 'POST' : 'GET',
        headers: body ? { 'content-type': 'application/json; charset=utf-8' } : undefined,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new ShopError(
        'unavailable',
        timedOut
          ? `WeChat ${what} timed out after ${this.timeoutMs} ms`
          : `WeChat ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
        // Network trouble or a timeout: worth another try (a timed-out send may have arrived, rarely).
        { cause: err, details: { transient: true } },
      );
    }
    if (!res.ok) {
      throw new ShopError('unavailable', `WeChat ${what} answered HTTP ${res.status}`, { details: { status: res.status, transient: res.status === 408 || res.status === 429 || res.status >= 500 } });
    }
    try {
      const json: unknown = JSON.parse(text);
      if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json as Json;
    } catch {
      // reported below
    }
    throw new ShopError('unavailable', `WeChat ${what} answered something other than a JSON object`);
  }
}

function requireOpenId(openId: string): void {
  if (typeof openId !== 'string' || openId.trim() === '') throw new ShopError('bad_request', 'a WeChat OpenID is required');
}

function toApiArticle(a: WeChatArticle): Json {
  return {
    title: a.title,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.url !== undefined ? { url: a.url } : {}),
    ...(a.picUrl !== undefined ? { picurl: a.picUrl } : {}),
  };
}

/** WeChat omits errcode on some successes; a non-numeric one is not success. */
function errcodeOf(res: Json): number {
  const code = res['errcode'];
  if (code === undefined) return 0;
  return typeof code === 'number' ? code : Number.NaN;
}

function errmsgOf(res: Json): string {
  return typeof res['errmsg'] === 'string' ? res['errmsg'] : '';
}

/**
 * `transient`: whether the same call may succeed in a moment (WeChat's global return codes:
 * -1 "system busy, try again later", 45011 the per-minute quota, "retry next minute"; a
 * token refused right after it was issued, when another server refreshed it meanwhile).
 * Everything else is permanent for the next minutes, e.g. 45015 (48-hour window closed),
 * 45047 (20 messages since the shopper last wrote), 43004 (unsubscribed), 40003 (invalid
 * OpenID), 45009 (the DAILY quota is used up).
 */
function fail(code: ShopErrorCode, message: string, errcode: number, errmsg: string, transient = false, retryAfterMs?: number): ShopError {
  return new ShopError(code, message, { details: { errcode, errmsg, transient, ...(retryAfterMs ? { retryAfterMs } : {}) } });
}

/** A send's errcode as our error: what the caller can do about it decides the code. */
function apiError(errcode: number, errmsg: string, what: string): ShopError {
  const suffix = `(errcode ${errcode}: ${errmsg || 'no message'})`;
  switch (errcode) {
    case -1:
      return fail('unavailable', `WeChat is busy; the ${what} was not accepted ${suffix}`, errcode, errmsg, true);
    case 45011:
      return fail('rate_limited', `WeChat's per-minute quota for the ${what} is used up ${suffix}`, errcode, errmsg, true, 60_000);
    case 40003:
      return fail('bad_request', `WeChat does not know this OpenID for the account ${suffix}`, errcode, errmsg);
    case 50002:
      return fail('forbidden', `WeChat restricts this shopper's account ${suffix}`, errcode, errmsg);
    case 45015:
      return fail(
        'forbidden',
        `the 48-hour customer-service window has closed: the shopper has not written to the account recently ${suffix}`,
        errcode,
        errmsg,
      );
    case 45047:
    case 45009:
      return fail('rate_limited', `WeChat's quota for this ${what} is used up ${suffix}`, errcode, errmsg);
    case 43004:
      return fail('forbidden', `the shopper no longer follows the account ${suffix}`, errcode, errmsg);
    default:
      if (TOKEN_ERRORS.has(errcode)) {
        return fail('unavailable', `WeChat refused a freshly issued access_token ${suffix}`, errcode, errmsg, true);
      }
      return fail('bad_request', `WeChat rejected the ${what} ${suffix}`, errcode, errmsg);
  }
}

/** The token endpoint fails for configuration reasons (appid, secret, IP allow-list) unless busy. */
function tokenError(errcode: number, errmsg: string): ShopError {
  const suffix = `(errcode ${errcode}: ${errmsg || 'no message'})`;
  if (errcode === -1) return fail('unavailable', `WeChat is busy; no access_token issued ${suffix}`, errcode, errmsg, true);
  if (errcode === 45009) return fail('rate_limited', `WeChat's daily access_token quota is used up ${suffix}`, errcode, errmsg);
  return fail(
    'config_invalid',
    `WeChat refused to issue an access_token: check WECHAT_APP_ID, WECHAT_APP_SECRET and the account's IP allow-list ${suffix}`,
    errcode,
    errmsg,
  );
}
