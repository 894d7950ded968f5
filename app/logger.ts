import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

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
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
