import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import { ShopError, isShopError, type Store, safeParse } from '../store/index.js';
import type { InFlight } from './in-flight.js';
import { withLogContext, type Logger } from './logger.js';
import type { Readiness } from './readiness.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppOptions {
  store: Store;
  logger: Logger;
  readiness: Readiness;
  inFlight: InFlight;
  bodyLimit: string;
  /** TRUST_PROXY, given to express unchanged: false, true or a number of proxy hops (`socketClientIp` applies the same rule to sockets). */
  trustProxy: boolean | number;
  /**
   * Routers that read the raw request bytes themselves (signed webhooks: the signature
   * covers the body exactly as sent) mount here, before the JSON parser consumes it.
   */
  mountBeforeBodyParsers?: (app: Express) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * What a log line says about a request's target: the path only, at most 200 characters. The
 * query string is never logged: it can carry credentials (the widget socket's `?token=`,
 * WeChat's signature, a search someone typed).
 */
export function loggedPath(url: string | undefined): string {
  const path = (url ?? '').split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, so ids follow a request
 * through a proxy), echoes it back, logs the request's end, and counts it as in flight.
 */
function requestContext(logger: Logger, inFlight: InFlight, quiet503 = false): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const reqId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', reqId);
    const end = inFlight.begin();
    const started = process.hrtime.bigint();
    res.on('close', () => {
      end();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      withLogContext({ reqId }, () => {
        const fields = { method: req.method, path: loggedPath(req.originalUrl), status: res.statusCode, ms: Math.round(ms * 10) / 10 };
        // While starting, every 503 is expected (probes, early shoppers): at debug, so a slow first start does not fill the log.
        if (res.statusCode >= 500 && !(quiet503 && res.statusCode === 503)) logger.warn(fields, 'request failed');
        else logger.debug(fields, 'request');
      });
    });
    withLogContext({ reqId }, next);
  };
}

const productQuery = z.object({
  category: z.string().trim().min(1).max(64).optional(),
  inStock: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  minPrice: z.coerce.number().nonnegative().optional(),
  maxPrice: z.coerce.number().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(512).optional(),
});

/** Parses with zod; a failure is a `bad_request` that names the bad fields. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = safeParse(schema, value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  throw new ShopError('bad_request', `invalid ${what}: ${fields.join('; ')}`, { details: { fields } });
}

/** The JSON error shape of every API: `{ error: { code, message, requestId } }`. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    let shopError: ShopError;
    if (isShopError(err)) shopError = err;
    else if (isBodyParserError(err)) {
      shopError =
        err.type === 'entity.too.large'
          ? new ShopError('payload_too_large', `request body is larger than the limit`)
          : new ShopError('bad_request', err.type === 'entity.parse.failed' ? 'request body is not valid JSON' : err.message);
    } else if (isClientHttpError(err)) {
      // Thrown by express itself for the request's fault, e.g. a path parameter that is not valid percent-encoding ("/api/products/%").
      shopError = new ShopError('bad_request', err.message);
    } else shopError = new ShopError('internal', 'internal error', { cause: err });

    withLogContext({ reqId: requestId }, () => {
      const path = loggedPath(req.originalUrl);
      // A store outage is logged once when it starts (StoreHealth), not once per refused request.
      if (shopError.details?.['reason'] === 'store_unavailable') logger.debug({ code: shopError.code, path }, 'request refused: store unavailable');
      else if (shopError.details?.['reason'] === 'starting') logger.debug({ code: shopError.code, path }, 'request refused: still starting');
      else if (shopError.status >= 500) logger.error({ err, code: shopError.code, path }, 'request error');
      // A 4xx is the client's doing: at debug, so a scanner or a fuzzer cannot fill the log (staff refusals are in the audit log).
      else logger.debug({ code: shopError.code, path, reason: shopError.message }, 'request rejected');
    });
    if (res.headersSent) return;
    // Internal details stay in the log; a client sees the code and a safe message.
    const message = shopError.code === 'internal' ? 'internal error' : shopError.message;
    // A machine-readable reason beside the code (e.g. "wechat_window_closed"), when the thrower gave one.
    const reason = typeof shopError.details?.['reason'] === 'string' ? shopError.details['reason'] : undefined;
    // The stored message a refused send is about (an agent's reply stored, then refused by the channel).
    const messageId = typeof shopError.details?.['messageId'] === 'string' ? shopError.details['messageId'] : undefined;
    // Every 503 tells the client when to try again (an overloaded node says how long its queue waits).
    if (shopError.status === 503 && !res.getHeader('Retry-After')) {
      const after = shopError.details?.['retryAfterSeconds'];
      res.setHeader('Retry-After', String(typeof after === 'number' && after > 0 ? Math.ceil(after) : 5));
    }
    // A 429 that knows when the limit lifts says so.
    if (shopError.status === 429 && !res.getHeader('Retry-After')) {
      const after = shopError.details?.['retryAfterSeconds'];
      if (typeof after === 'number' && after > 0) res.setHeader('Retry-After', String(Math.ceil(after)));
    }
    res.status(shopError.status).json({ error: { code: shopError.code, message, ...(reason ? { reason } : {}), ...(messageId ? { messageId } : {}), requestId } });
  };
}

interface BodyParserError {
  type: string;
  message: string;
  status: number;
}

/** An error express or a middleware marks as the client's fault (`status` 400-499, not `expose: false`), e.g. the router's URIError. */
function isClientHttpError(err: unknown): err is { status: number; message: string } {
  if (!(err instanceof Error)) return false;
  const { status, expose } = err as Error & { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose !== false;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && 'type' in err && typeof (err as { type: unknown }).type === 'string' && 'status' in err;
}

/** GET /readyz: 200 when every check passes; 503 naming what fails, and while starting what is still loading. */
function readyz(readiness: Readiness): RequestHandler {
  return async (_req, res) => {
    const result = await readiness.evaluate();
    if (readiness.starting) {
      res.status(503).json({ status: 'starting', checks: result.checks, loading: readiness.loading() });
      return;
    }
    res.status(result.ready ? 200 : 503).json({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  };
}

/** Seconds a client is told to wait (Retry-After) while the node starts. */
export const STARTING_RETRY_AFTER_SECONDS = 5;

/**
 * What the port answers while the node is still starting (it listens before loading the
 * store, the demo data and the models, which take minutes on a first start with a sentence
 * model): /healthz 200 (the process is alive), /readyz 503 with what is still loading, and
 * every other request 503 `unavailable` (reason `starting`) with Retry-After, in the JSON
 * error shape of every API. WebSocket upgrades get the same 503 (no socket is attached yet).
 */
export function createStartupApp(opts: Pick<HttpAppOptions, 'logger' | 'readiness' | 'inFlight' | 'trustProxy'>): Express {
  const { logger, readiness } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy);
  app.use(requestContext(logger, opts.inFlight, true));
  app.use(securityHeaders());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', starting: readiness.starting, uptimeSeconds: Math.round(process.uptime()) });
  });
  app.get('/readyz', readyz(readiness));
  app.use((_req, _res, next) => {
    next(
      new ShopError('unavailable', `Shop Assistant is ${readiness.startupSummary()}; try again in a few seconds`, {
        details: { reason: 'starting', retryAfterSeconds: STARTING_RETRY_AFTER_SECONDS },
      }),
    );
  });
  app.use(errorHandler(logger));
  return app;
}

/**
 * The express app. Routers of later parts (channels, console, admin) mount between the
 * built-in routes and the 404/error handlers through `mount`.
 */
export function createHttpApp(opts: HttpAppOptions, mount?: (app: Express) => void): Express {
  const { store, logger, readiness } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy);
  app.use(requestContext(logger, opts.inFlight));
  app.use(securityHeaders());
  opts.mountBeforeBodyParsers?.(app);
  app.use(express.json({ limit: opts.bodyLimit }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  app.get('/readyz', readyz(readiness));

  app.get('/api/products', async (req, res) => {
    const q = parseOrThrow(productQuery, req.query, 'query');
    const page = await store.products.list(
      { category: q.category, inStock: q.inStock, minPrice: q.minPrice, maxPrice: q.maxPrice },
      { limit: q.limit ?? 20, cursor: q.cursor },
    );
    res.json(page);
  });

  app.get('/api/products/:id', async (req, res) => {
    const product = await store.products.get(req.params.id);
    if (!product) throw new ShopError('not_found', `no product ${req.params.id}`);
    res.json(product);
  });

  app.get('/api/categories', async (_req, res) => {
    res.json({ categories: await store.products.categories() });
  });

  mount?.(app);

  app.use((req, _res, next) => {
    next(new ShopError('not_found', `no route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(logger));
  return app;
}
