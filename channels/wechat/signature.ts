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
