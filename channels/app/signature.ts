import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed call, in both directions (app backend -> us, push webhook -> app backend). */
export const TIMESTAMP_HEADER = 'X-Shop-Timestamp';
export const SIGNATURE_HEADER = 'X-Shop-Signature';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

function digest(secret: string, timestamp: string, payload: string | Buffer): Buffer {
  // Over the exact bytes: re-encoding a parsed body would change what was signed.
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest();
}

/**
 * `sha256=<hex HMAC-SHA256(secret, timestamp + "." + payload)>`. The payload is the raw
 * request body for a POST, and the request target (path plus query) for a GET.
 */
export function signPayload(secret: string, timestamp: number | string, payload: string | Buffer): string {
  return `sha256=${digest(secret, String(timestamp), payload).toString('hex')}`;
}

/** The two headers of a call signed now. */
export function signatureHeaders(secret: string, payload: string | Buffer, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signPayload(secret, timestamp, payload) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a signed call: well-formed headers, a timestamp inside the replay window (either
 * side of now, for clock skew) and a constant-time digest comparison.
 */
export function verifySignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  payload: string | Buffer;
  toleranceSeconds: number;
  nowMs?: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: `missing ${timestamp ? SIGNATURE_HEADER : TIMESTAMP_HEADER} header` };
  if (!TIMESTAMP.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be unix seconds` };
  const skew = Math.abs(Math.floor((input.nowMs ?? Date.now()) / 1000) - Number(timestamp));
  if (skew > input.toleranceSeconds) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is ${skew}s away from the server clock (allowed: ${input.toleranceSeconds}s)` };
  }
  const hex = SIGNATURE.exec(signature.trim())?.[1];
  if (!hex) return { ok: false, reason: `${SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  const expected = digest(input.secret, timestamp, input.payload);
  // Both are 32 bytes here (the regex fixes the length), as timingSafeEqual requires.
  return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
