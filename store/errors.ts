/**
 * The one error type of Shop Assistant. Callers branch on `code`, never on `message`.
 * It lives in store/ because store/ is the bottom layer: every other folder may import it.
 */
export type ShopErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'config_invalid'
  | 'internal';

/** HTTP status answered for each code. */
export const HTTP_STATUS: Record<ShopErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  config_invalid: 500,
  internal: 500,
};

export class ShopError extends Error {
  readonly code: ShopErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ShopErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShopError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export function isShopError(err: unknown, code?: ShopErrorCode): err is ShopError {
  return err instanceof ShopError && (code === undefined || err.code === code);
}
