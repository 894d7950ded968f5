import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's request signature: the hex SHA-1 of the parts sorted as strings and joined with
 * nothing. Plain mode signs `[token, timestamp, nonce]` (the `signature` query parameter);
 * safe mode adds the `Encrypt` value (the `msg_signature` parameter).
 */
export function wechatSignature(token: string, timestamp: string, nonce: string, encrypt?: string): string {
  const parts = encrypt === undefined ? [token, timestamp, nonce] : [token, timestamp, nonce, encrypt];
  // Code-unit order equals WeChat's byte order for the ASCII values it sends.
  parts.sort();
  return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
}

const SHA1_HEX = /^[0-9a-f]{40}$/i;

/**
 * Checks a `signature` / `msg_signature` from the query string in constant time, so the
 * comparison leaks nothing about how much of a forged signature was right. A missing or
 * malformed signature is simply not valid.
 */
export function verifySignature(
  signature: string | undefined,
  token: string,
  timestamp: string,
  nonce: string,
  encrypt?: string,
): boolean {
  if (typeof signature !== 'string' || !SHA1_HEX.test(signature)) return false;
  const expected = Buffer.from(wechatSignature(token, timestamp, nonce, encrypt), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const TIMESTAMP = /^\d{1,12}$/;
/** WeChat sends a number; anything printable up to 64 characters is taken (it is signed, and the replay cache keys on it). */
const NONCE = /^[\x21-\x7e]{1,64}$/;

/**
 * Whether a request's `timestamp` (unix seconds) is within `toleranceSeconds` of now, either
 * side. The signature alone never expires: without this, one captured query string would be
 * good for ever. The reason comes back when it is not.
 */
export function checkTimestamp(
  timestamp: string,
  toleranceSeconds: number,
  nowMs: number = Date.now(),
): { ok: true; seconds: number } | { ok: false; code: 'timestamp_invalid' | 'timestamp_out_of_window'; reason: string } {
  if (!TIMESTAMP.test(timestamp)) return { ok: false, code: 'timestamp_invalid', reason: 'timestamp must be unix seconds' };
  const seconds = Number(timestamp);
  const skew = Math.abs(Math.floor(nowMs / 1000) - seconds);
  if (skew > toleranceSeconds) return { ok: false, code: 'timestamp_out_of_window', reason: `timestamp is ${skew}s away from the server clock (allowed: ${toleranceSeconds}s)` };
  return { ok: true, seconds };
}

/** Whether a nonce is one the replay cache can key on (WeChat's are digits). */
export function validNonce(nonce: string): boolean {
  return NONCE.test(nonce);
}
