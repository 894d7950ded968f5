import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed call, in both directions (app backend -> us, push webhook -> app backend). */
export const TIMESTAMP_HEADER = 'X-Shop-Timestamp';
export const SIGNATURE_HEADER = 'X-Shop-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** The version of the request-signing scheme: the first line of what is signed, and the label of the signature. */
export const SIGNATURE_VERSION = 'v1';

const TIMESTAMP = /^\d{1,12}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const REQUEST_SIGNATURE = /^v1=([0-9a-fA-F]{64})$/;
const LEGACY_SIGNATURE = /^sha256=[0-9a-fA-F]{64}$/;

// ------------------------------------------------------------------ calls to the API (v1)

/** What the shop's backend signs for one call to the app API. */
export interface SignedRequest {
  /** The HTTP method, upper case (`GET`, `POST`). */
  method: string;
  /** The request target exactly as sent on the request line: path and query (`/api/app/v1/conversations/app%3Au1/messages?after=3`). */
  target: string;
  /** Unix seconds, as sent in X-Shop-Timestamp. */
  timestamp: string;
  /** The Idempotency-Key header as sent, or empty when there is none (a GET). */
  idempotencyKey?: string;
  /** The raw body bytes (empty for a GET). */
  body?: string | Buffer;
}

/**
 * The bytes a v1 signature covers, lines separated by `\n` (no trailing newline after the
 * body): the version, the method, the request target (path and query exactly as sent), the
 * timestamp, the Idempotency-Key (empty line when none), then the raw body.
 *
 * ```
 * v1
 * POST
 * /api/app/v1/conversations/app:u1/messages
 * 1767225600
 * 5f0c…-uuid
 * {"userId":"u1","text":"hello"}
 * ```
 * None of the first five fields can hold a newline (HTTP forbids it in the request line and
 * in header values), so each line is unambiguous, and the body, last, is taken whole.
 */
export function canonicalRequest(r: SignedRequest): Buffer {
  const head = [SIGNATURE_VERSION, r.method.toUpperCase(), r.target, r.timestamp, r.idempotencyKey ?? ''].join('\n');
  return Buffer.concat([Buffer.from(`${head}\n`, 'utf8'), typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : (r.body ?? Buffer.alloc(0))]);
}

function requestDigest(secret: string, r: SignedRequest): Buffer {
  return createHmac('sha256', secret).update(canonicalRequest(r)).digest();
}

/** `v1=<hex HMAC-SHA256(secret, canonicalRequest(r))>`: the X-Shop-Signature of a call. */
export function signRequest(secret: string, r: SignedRequest): string {
  return `${SIGNATURE_VERSION}=${requestDigest(secret, r).toString('hex')}`;
}

/**
 * The request target fetch sends for `url`: its path and query as the WHATWG URL parser
 * serialises them (`/api/app/v1/conversations/app:u%201/messages?after=3`). A bare target
 * (starting with `/`) is returned as it is.
 */
export function requestTarget(url: string): string {
  if (url.startsWith('/')) return url;
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/**
 * The headers of a call signed now (X-Shop-Timestamp, X-Shop-Signature, and Idempotency-Key
 * when one is given): what a backend written in TypeScript can use as is. `target` may be the
 * whole URL the call goes to: its path and query are signed, as they go on the wire.
 */
export function requestSignatureHeaders(
  secret: string,
  r: Omit<SignedRequest, 'timestamp'> & { nowMs?: number },
): Record<string, string> {
  const timestamp = String(Math.floor((r.nowMs ?? Date.now()) / 1000));
  const signed = { method: r.method, target: requestTarget(r.target), timestamp, idempotencyKey: r.idempotencyKey, body: r.body };
  const headers: Record<string, string> = { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signRequest(secret, signed) };
  if (r.idempotencyKey) headers[IDEMPOTENCY_HEADER] = r.idempotencyKey;
  return headers;
}

/** Why a call's signature was refused: the `reason` of the 401. */
export type SignatureFailure =
  | 'signature_missing'
  | 'timestamp_invalid'
  | 'timestamp_out_of_window'
  | 'signature_malformed'
  | 'signature_scheme_retired'
  | 'signature_mismatch';

export type RequestCheck = { ok: true; timestamp: number; mac: string } | { ok: false; reason: SignatureFailure; message: string };

/**
 * Checks a signed call: both headers there and well formed, the v1 scheme, the timestamp
 * inside the window either side of now (clock skew), and a constant-time comparison of the
 * HMAC over method, target, timestamp, Idempotency-Key and body. On success, the MAC (lower-case
 * hex, whatever case was sent) identifies the call for the replay cache.
 */
export function verifyRequest(input: {
  secret: string;
  /** The X-Shop-Timestamp and X-Shop-Signature headers as received. */
  timestamp: string | undefined;
  signature: string | undefined;
  request: Omit<SignedRequest, 'timestamp'>;
  toleranceSeconds: number;
  nowMs?: number;
}): RequestCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) {
    return { ok: false, reason: 'signature_missing', message: `missing ${timestamp ? SIGNATURE_HEADER : TIMESTAMP_HEADER} header` };
  }
  if (!TIMESTAMP.test(timestamp)) return { ok: false, reason: 'timestamp_invalid', message: `${TIMESTAMP_HEADER} must be unix seconds (digits only)` };
  const seconds = Number(timestamp);
  const skew = Math.abs(Math.floor((input.nowMs ?? Date.now()) / 1000) - seconds);
  if (skew > input.toleranceSeconds) {
    return {
      ok: false,
      reason: 'timestamp_out_of_window',
      message: `${TIMESTAMP_HEADER} is ${skew}s away from the server clock (allowed: ${input.toleranceSeconds}s): sign each call when you send it`,
    };
  }
  const sent = signature.trim();
  if (LEGACY_SIGNATURE.test(sent)) {
    return {
      ok: false,
      reason: 'signature_scheme_retired',
      message:
        `${SIGNATURE_HEADER}: the sha256= scheme (timestamp and body only) is no longer accepted. Sign with ${SIGNATURE_VERSION}: ` +
        `${SIGNATURE_HEADER}: v1=<hex HMAC-SHA256(secret, "v1\\n" + METHOD + "\\n" + path?query + "\\n" + timestamp + "\\n" + Idempotency-Key + "\\n" + body)>`,
    };
  }
  const hex = REQUEST_SIGNATURE.exec(sent)?.[1];
  if (!hex) return { ok: false, reason: 'signature_malformed', message: `${SIGNATURE_HEADER} must be v1=<64 hex digits>` };
  const expected = requestDigest(input.secret, { ...input.request, timestamp });
  // Both 32 bytes (the pattern fixes the length), as timingSafeEqual requires.
  if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) {
    return { ok: false, reason: 'signature_mismatch', message: 'signature does not match the method, path and query, timestamp, Idempotency-Key and body of this call' };
  }
  return { ok: true, timestamp: seconds, mac: hex.toLowerCase() };
}

// --------------------------------------------------------- the push webhook (us -> the backend)

function payloadDigest(secret: string, timestamp: string, payload: string | Buffer): Buffer {
  // Over the exact bytes: re-encoding a parsed body would change what was signed.
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest();
}

/**
 * The push webhook's signature (our POSTs to APP_PUSH_URL, unchanged):
 * `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. Not accepted on calls to the API.
 */
export function signPayload(secret: string, timestamp: number | string, payload: string | Buffer): string {
  return `sha256=${payloadDigest(secret, String(timestamp), payload).toString('hex')}`;
}

/** The two headers of a push signed now. */
export function signatureHeaders(secret: string, payload: string | Buffer, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signPayload(secret, timestamp, payload) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a push webhook signature, as the shop's backend does (window either side of now, constant time). */
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
  const hex = /^sha256=(.*)$/.exec(signature.trim())?.[1];
  if (!hex || !HEX64.test(hex)) return { ok: false, reason: `${SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  const expected = payloadDigest(input.secret, timestamp, input.payload);
  return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
