import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters for new hashes (OWASP's minimum for scrypt: N=2^14, r=8, p=1). */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** Refuse stored parameters beyond these, so a tampered hash cannot make us burn CPU or memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(plain: string, salt: Buffer, keyLength: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain.normalize('NFKC'), salt, keyLength, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function maxmem(n: number, r: number, p: number): number {
  // scrypt needs about 128 * N * r bytes, plus 128 * r * p; leave headroom.
  return 128 * n * r + 128 * r * p + 1024 * 1024;
}

/**
 * Hashes an agent password as `scrypt$N$r$p$saltB64$hashB64`. The parameters travel with
 * the hash so they can be raised later without invalidating stored passwords.
 */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: maxmem(N, R, P) });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Checks a password against a stored hash in constant time. A malformed or unsupported hash
 * verifies as false rather than throwing, so a login handler has one failure path.
 */
export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, nText, rText, pText, saltText, keyText] = parts as [string, string, string, string, string, string];
  const n = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0)) return false;
  // N must be a power of two greater than 1.
  if (n < 2 || (n & (n - 1)) !== 0 || n > MAX_N || r > MAX_R || p > MAX_P) return false;
  const salt = Buffer.from(saltText, 'base64');
  const expected = Buffer.from(keyText, 'base64');
  if (salt.length === 0 || expected.length < 16 || expected.length > 256) return false;
  const actual = await derive(plain, salt, expected.length, { N: n, r, p, maxmem: maxmem(n, r, p) });
  return timingSafeEqual(actual, expected);
}
