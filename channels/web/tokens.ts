import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Tokens of the web channel, HMAC-SHA256 signed, base64url parts joined by dots.
 *
 * - Visitor token (ours): `v1.<visitorId>.<issuedAtSec>.<sig>`; an anonymous widget visitor
 *   keeps it in localStorage, so a reload is the same shopper. It lives VISITOR_TOKEN_TTL_DAYS
 *   from its issue time; the session call renews it (same visitor, new issue time).
 * - Identity token (signed by the shop's backend with WEB_IDENTITY_SECRET):
 *   `<base64url(customerId)>.<expiresAtSec>.<hex hmac-sha256 of "<base64url(customerId)>.<expiresAtSec>">`.
 *   It is the evidence that logs a shopper in as that customer.
 */
function sign(secret: string, data: string, encoding: 'base64url' | 'hex'): string {
  return createHmac('sha256', secret).update(data).digest(encoding);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function issueVisitorToken(secret: string, visitorId: string = `v_${randomUUID().replaceAll('-', '')}`, nowSec = Math.floor(Date.now() / 1000)): { token: string; visitorId: string } {
  const body = `v1.${visitorId}.${nowSec}`;
  return { token: `${body}.${sign(secret, body, 'base64url')}`, visitorId };
}

/** VISITOR_TOKEN_TTL_DAYS' default: a visitor who stays away this long starts over as a new visitor. */
export const DEFAULT_VISITOR_TOKEN_TTL_SECONDS = 90 * 86_400;

/**
 * How far in the future a token's issue time may be (clocks of several nodes differ a little).
 * Beyond it the token is refused: we never issue one, so it was made with the secret and a
 * chosen time, to outlive its lifetime.
 */
export const VISITOR_TOKEN_CLOCK_SKEW_SECONDS = 300;

/** Why a visitor token was refused (the `reason` of the 401: `visitor_token_<reason>`). */
export type VisitorTokenFailure = 'malformed' | 'bad_signature' | 'expired' | 'issued_in_future';

export type VisitorTokenCheck =
  | { ok: true; visitorId: string; issuedAtSec: number; expiresAtSec: number }
  | { ok: false; reason: VisitorTokenFailure };

/**
 * Checks a visitor token: its shape, our signature (constant time), and its lifetime: issued
 * at most `ttlSeconds` ago (at the expiry second it is refused) and not later than now plus
 * the clock skew.
 */
export function checkVisitorToken(
  secret: string,
  token: string,
  opts: { ttlSeconds?: number; nowSec?: number } = {},
): VisitorTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1' || !/^v_[a-f0-9]{32}$/.test(parts[1]!) || !/^\d{1,12}$/.test(parts[2]!)) return { ok: false, reason: 'malformed' };
  const body = parts.slice(0, 3).join('.');
  if (!safeEqual(parts[3]!, sign(secret, body, 'base64url'))) return { ok: false, reason: 'bad_signature' };
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  const issuedAtSec = Number(parts[2]);
  const expiresAtSec = issuedAtSec + (opts.ttlSeconds ?? DEFAULT_VISITOR_TOKEN_TTL_SECONDS);
  if (issuedAtSec > now + VISITOR_TOKEN_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'issued_in_future' };
  if (now >= expiresAtSec) return { ok: false, reason: 'expired' };
  return { ok: true, visitorId: parts[1]!, issuedAtSec, expiresAtSec };
}

/** The visitor id of a valid, unexpired token, else null (see checkVisitorToken). */
export function verifyVisitorToken(secret: string, token: string, opts: { ttlSeconds?: number; nowSec?: number } = {}): string | null {
  const check = checkVisitorToken(secret, token, opts);
  return check.ok ? check.visitorId : null;
}

/**
 * Whether `POST /api/web/session` gives this token's visitor a fresh token: once it is a day
 * old (or half its lifetime, when that is shorter). So a visitor expires `ttlSeconds` after
 * their last visit, give or take a day, and the stored token changes at most once a day.
 */
export function shouldRenewVisitorToken(check: { issuedAtSec: number; expiresAtSec: number }, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const ttl = check.expiresAtSec - check.issuedAtSec;
  return nowSec - check.issuedAtSec >= Math.min(86_400, ttl / 2);
}

/** What a shop backend does to log a shopper in (also used by tests and the README example). */
export function signIdentityToken(secret: string, customerId: string, expiresAtSec: number): string {
  const body = `${Buffer.from(customerId, 'utf8').toString('base64url')}.${expiresAtSec}`;
  return `${body}.${sign(secret, body, 'hex')}`;
}

export type IdentityCheck = { ok: true; customerId: string } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyIdentityToken(secret: string, token: string, nowSec = Math.floor(Date.now() / 1000)): IdentityCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[1]!) || !/^[a-f0-9]{64}$/.test(parts[2]!)) return { ok: false, reason: 'malformed' };
  const body = `${parts[0]}.${parts[1]}`;
  if (!safeEqual(parts[2]!, sign(secret, body, 'hex'))) return { ok: false, reason: 'bad_signature' };
  if (Number(parts[1]) <= nowSec) return { ok: false, reason: 'expired' };
  const customerId = Buffer.from(parts[0]!, 'base64url').toString('utf8');
  if (customerId === '' || customerId.length > 128) return { ok: false, reason: 'malformed' };
  return { ok: true, customerId };
}
