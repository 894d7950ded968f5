import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Tokens of the web channel, HMAC-SHA256 signed, base64url parts joined by dots.
 *
 * - Visitor token (ours): `v1.<visitorId>.<issuedAtSec>.<sig>`; an anonymous widget visitor
 *   keeps it in localStorage, so a reload is the same shopper.
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

/** The visitor id of a valid token, else null. */
export function verifyVisitorToken(secret: string, token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1' || !/^v_[a-f0-9]{32}$/.test(parts[1]!)) return null;
  const body = parts.slice(0, 3).join('.');
  return safeEqual(parts[3]!, sign(secret, body, 'base64url')) ? parts[1]! : null;
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
