import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { redactDeep, redactPII } from './redact.js';

export type { Logger } from 'pino';

/** What a request (or a bot turn) carries into every log line written on its behalf. */
export interface LogContext {
  reqId: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` attached to every log line written inside it, however deep. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return context.run(ctx, fn);
}

export function currentLogContext(): LogContext | undefined {
  return context.getStore();
}

/**
 * Structured JSON logs (pino). The mixin adds the current request id to every line, so
 * modules log through the one root logger and still get per-request correlation.
 */
export function createLogger(opts: { level: LevelWithSilent; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: opts.name ?? 'shop-assistant',
      level: opts.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const ctx = context.getStore();
        return ctx ? { reqId: ctx.reqId } : {};
      },
      // pino's own merge is Object.assign(mixin, logged): a logged object's own `__proto__` key set the line's prototype.
      mixinMergeStrategy: mergeLogged,
      serializers: { err: redactedErr },
      // Credentials never reach a log line, wherever a headers object is logged.
      redact: { paths: HEADER_PATHS, censor: '[redacted]' },
      // PII (phones, e-mails, card and ID numbers) is masked in every field and message.
      formatters: { log: (obj) => redactFields(obj) },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactPII(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

const HEADER_PATHS = ['authorization', 'cookie', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]', '*.headers.authorization', '*.headers.cookie', '*.headers["set-cookie"]'];

/** Fields that are ids, never PII, and must stay intact for correlation. */
const KEEP = new Set(['reqId', 'pid', 'hostname', 'level', 'time', 'name']);

/** Fields that hold a URL or a path: logged without their query string, which can carry credentials (`?token=`, signatures). */
const URL_FIELDS = new Set(['url', 'originalUrl', 'path', 'href']);

export function withoutQuery(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i);
}

/**
 * The logged object and the mixin's fields as one null-prototype object: every key of the
 * logged object, `__proto__` and `constructor` included, stays an ordinary field of the line.
 */
function mergeLogged(logged: object, mixin: object): object {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(mixin)) out[k] = v;
  for (const [k, v] of Object.entries(logged)) out[k] = v;
  return out;
}

/** Every field through `redactPII` (deeply), URLs without their query; a null-prototype copy (see `redactDeep`). */
function redactFields(obj: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (KEEP.has(k) || v instanceof Error) out[k] = v;
    else out[k] = redactDeep(URL_FIELDS.has(k) && typeof v === 'string' ? withoutQuery(v) : v);
  }
  return out;
}

/**
 * Errors a client causes on its own connection (a protocol violation on a WebSocket, a bad
 * HTTP parse, a reset or a timeout): their stack is our library's, never our bug, so it is
 * left out (a fuzz run once wrote thousands of such stacks).
 */
const CLIENT_FAULT = /^(WS_ERR_|HPE_)|^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE|ERR_HTTP_REQUEST_TIMEOUT)$/;

export function isClientFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CLIENT_FAULT.test(code);
}

/** What pino's error serializer takes for an error: anything with a string `message`. */
function isErrorLike(err: unknown): err is Error {
  return err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string';
}

/**
 * The `err` field of a line. An Error (or anything with a string `message`) is serialised
 * by pino with its message and stack redacted. Anything else used to be spread as if it
 * were one — a string became {"0":"c","1":"a",…} — and is now logged as what it is: a
 * primitive as `{ message }` (its text, redacted), an object as its redacted copy.
 */
function redactedErr(err: unknown): unknown {
  if (!isErrorLike(err)) {
    if (err === null || err === undefined) return err;
    if (typeof err === 'object' || typeof err === 'function') return redactDeep(err);
    return { message: redactPII(String(err as string | number | boolean | bigint | symbol)) };
  }
  const s = pino.stdSerializers.err(err);
  if (isClientFault(err)) {
    const { stack: _stack, ...rest } = s;
    return { ...rest, message: redactPII(s.message) } as ReturnType<typeof pino.stdSerializers.err>;
  }
  return { ...s, message: redactPII(s.message), ...(s.stack ? { stack: redactPII(s.stack) } : {}) };
}
