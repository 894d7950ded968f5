/**
 * Click tracking: `GET /r/:token` records that a shopper followed a product link from the
 * chat (a recommendation, an ad, an upsell) and redirects them to the product.
 *
 * The token is `<payload>.<mac>`: the payload is base64url JSON ({@link TrackingPayload}) and
 * the mac is base64url HMAC-SHA256 of the payload's base64url text under the shop's secret.
 * A token that does not verify, is older than 30 days (or claims to be from the future), or
 * points anywhere but a relative path or the shop's own origin gets 400 and nothing is
 * recorded: the route can never be used as an open redirect.
 *
 * Only a GET counts: a HEAD gets the same redirect without recording or charging anything.
 * Ad clicks go through `AdServer.click`, which charges the campaign (never past its daily
 * budget). If recording fails for another reason (the campaign was deleted, the database is
 * down), the shopper is still sent on: a lost click beats a broken link.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { ShopError, isShopError, type Store } from '../store/index.js';
import { campaignOfSource, type AdServer } from '../recommender/ads/index.js';
import type { Logger } from './logger.js';

export interface TrackingPayload {
  /** Customer id. */
  c: string;
  /** Product id. */
  p: string;
  /** Where the link was shown: 'recommendation' | 'ad:<campaignId>' | 'upsell' | ... */
  s: string;
  /** Where to go: a relative path ('/demo/p/P-RUN-001') or a URL on the shop's origin. */
  u: string;
  /** For ads: the click price the auction set. */
  pr?: number;
  /** Issued at, epoch milliseconds. */
  t: number;
}

export interface TrackingRouterOptions {
  store: Store;
  ads: AdServer;
  /** The HMAC key (at least 16 characters). */
  secret: string;
  /** The shop's public URL: absolute targets must be on its origin. */
  shopUrl?: string;
  clock?: () => Date;
  logger?: Pick<Logger, 'warn'>;
}

export const TOKEN_MAX_AGE_MS = 30 * 86_400_000;
/** Clicks of the same link by the same shopper within this window count (and are charged) once. */
export const REPEAT_CLICK_MS = 60_000;
/** Tolerated clock difference between the process that signed and the one that verifies. */
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_TOKEN_LENGTH = 4096;
const B64URL = /^[A-Za-z0-9_-]+$/;

function checkSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new ShopError('config_invalid', 'the click-tracking secret must be at least 16 characters');
  }
  return Buffer.from(secret, 'utf8');
}

function mac(body: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(body, 'ascii').digest();
}

function isPayload(v: unknown): v is TrackingPayload {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const str = (x: unknown): boolean => typeof x === 'string' && x.trim() !== '' && x.length <= 2048;
  return (
    str(o.c) &&
    str(o.p) &&
    str(o.s) &&
    str(o.u) &&
    typeof o.t === 'number' &&
    Number.isFinite(o.t) &&
    (o.pr === undefined || (typeof o.pr === 'number' && Number.isFinite(o.pr) && o.pr >= 0))
  );
}

/** Signs a link payload: `<base64url JSON>.<base64url HMAC-SHA256>`. */
export function signTrackingToken(payload: TrackingPayload, secret: string): string {
  if (!isPayload(payload)) throw new ShopError('bad_request', 'a tracking payload needs c, p, s, u (non-empty strings), t (a number) and an optional pr >= 0');
  const key = checkSecret(secret);
  const clean: TrackingPayload = { c: payload.c, p: payload.p, s: payload.s, u: payload.u, t: payload.t };
  if (payload.pr !== undefined) clean.pr = payload.pr;
  const body = Buffer.from(JSON.stringify(clean), 'utf8').toString('base64url');
  return `${body}.${mac(body, key).toString('base64url')}`;
}

/**
 * The link to put on a product card: `<base>/r/<token>`, where `base` is the public URL this
 * router is mounted under ('' for a link relative to the bot's own server).
 */
export function trackingLink(payload: TrackingPayload, secret: string, base = ''): string {
  return `${base.replace(/\/+$/, '')}/r/${signTrackingToken(payload, secret)}`;
}

/**
 * The payload of a valid token; `bad_request` for a malformed, tampered, expired or
 * future-dated one. The signature is compared in constant time.
 */
export function verifyTrackingToken(token: string, secret: string, now: Date = new Date()): TrackingPayload {
  const key = checkSecret(secret);
  const invalid = new ShopError('bad_request', 'invalid link');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalid;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw invalid;
  const body = token.slice(0, dot);
  const sig = token.slice(dot + 1);
  if (!B64URL.test(body) || !B64URL.test(sig)) throw invalid;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(body, key);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!isPayload(payload)) throw invalid;
  const age = now.getTime() - payload.t;
  if (age > TOKEN_MAX_AGE_MS) throw new ShopError('bad_request', 'expired link', { details: { reason: 'expired' } });
  if (age < -FUTURE_SKEW_MS) throw invalid;
  return payload;
}

/**
 * Where a redirect to `target` may go: a relative path on this server, or an absolute
 * http(s) URL on `shopUrl`'s origin. Null for anything else ('//evil.example', '/\\evil',
 * 'javascript:', other hosts, control characters).
 */
export function safeRedirect(target: string, shopUrl?: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(target)) return null;
  if (target.startsWith('/')) {
    if (target.startsWith('//')) return null;
    const probe = new URL(target, 'http://relative.invalid');
    return probe.origin === 'http://relative.invalid' ? `${probe.pathname}${probe.search}${probe.hash}` : null;
  }
  if (shopUrl === undefined) return null;
  let url: URL;
  let shop: URL;
  try {
    url = new URL(target);
    shop = new URL(shopUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  return url.origin === shop.origin ? url.href : null;
}

/** `GET /r/:token`: verify, record the click (charging ads), redirect. */
export function createTrackingRouter(opts: TrackingRouterOptions): Router {
  checkSecret(opts.secret);
  if (opts.shopUrl !== undefined) {
    try {
      new URL(opts.shopUrl);
    } catch {
      throw new ShopError('config_invalid', `shopUrl is not a URL: ${opts.shopUrl}`);
    }
  }
  const clock = opts.clock ?? (() => new Date());
  const router = express.Router();

  router.get('/r/:token', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    let payload: TrackingPayload;
    try {
      payload = verifyTrackingToken(req.params.token, opts.secret, clock());
    } catch (err) {
      const expired = isShopError(err) && err.details?.['reason'] === 'expired';
      res.status(400).type('text/plain').send(expired ? 'This link has expired.' : 'This link is not valid.');
      return;
    }
    const target = safeRedirect(payload.u, opts.shopUrl);
    if (target === null) {
      res.status(400).type('text/plain').send('This link does not lead to the shop.');
      return;
    }

    // A HEAD (link previews, uptime checks) follows the link without being a shopper's click.
    if (req.method === 'HEAD') {
      res.redirect(302, target);
      return;
    }
    try {
      // A double click, a retry or a prefetch of the same link within a minute counts once (and is charged once).
      const now = clock();
      const repeat = await opts.store.interactions.count({
        customerId: payload.c,
        productId: payload.p,
        type: 'click',
        source: payload.s,
        from: new Date(now.getTime() - REPEAT_CLICK_MS),
      });
      const campaignId = campaignOfSource(payload.s);
      if (repeat === 0) {
        if (campaignId !== null) await opts.ads.click(campaignId, payload.c, payload.p, payload.pr ?? 0);
        else await opts.store.interactions.record({ customerId: payload.c, productId: payload.p, type: 'click', source: payload.s, createdAt: now });
      }
    } catch (err) {
      opts.logger?.warn({ err, source: payload.s, productId: payload.p }, 'click not recorded');
    }
    res.redirect(302, target);
  });

  return router;
}
