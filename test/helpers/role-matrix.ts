import http from 'node:http';
import type { Express } from 'express';

/** One route the express app answers: an upper-case method and the full path pattern. */
export interface AppRoute {
  method: string;
  path: string;
}

interface RouteLike {
  path: string | RegExp | Array<string | RegExp>;
  methods: Record<string, boolean>;
}
interface LayerLike {
  route?: RouteLike;
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

function mountPaths(layer: LayerLike): string[] {
  const raw = layer.rawPath;
  const paths = Array.isArray(raw) ? raw : [raw];
  return paths.map((p) => (typeof p === 'string' ? p : p === undefined ? '/' : String(p)));
}

/** `prefix` + `p` with single slashes; a route `/` is its mount path, other trailing slashes are kept (`/console` and `/console/` are two routes). */
function join(prefix: string, p: string): string {
  if (p === '/' || p === '') return prefix || '/';
  return `${prefix}/${p}`.replace(/\/{2,}/g, '/');
}

/**
 * Every (method, path) the app answers, read from express 5's router stack (`app.router.stack`),
 * nested routers included (their mount path prefixes their routes); duplicates are listed once.
 * With `middleware`, middleware mounted on a path of its own (not `/`) is listed too, as `USE <path>`:
 * such a layer can guard a subtree, or answer requests itself like a route.
 */
export function listRoutes(app: Express, opts: { middleware?: boolean } = {}): AppRoute[] {
  const out = new Map<string, AppRoute>();
  const walk = (stack: LayerLike[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const [m, on] of Object.entries(layer.route.methods)) {
            if (!on) continue;
            // `router.all(...)` answers every method: it is listed as ALL and needs its own expectation.
            const route = { method: m === '_all' ? 'ALL' : m.toUpperCase(), path: join(prefix, typeof p === 'string' ? p : String(p)) };
            out.set(`${route.method} ${route.path}`, route);
          }
        }
      } else if ((layer.handle as { name?: string } | undefined)?.name === 'mounted_app') {
        // express wraps a mounted sub-app in a closure that hides its router: fail rather than miss its routes.
        throw new Error(`a sub-app is mounted at ${String(layer.rawPath)}: mount a Router instead so its routes can be listed`);
      } else if (layer.handle?.stack && Array.isArray(layer.handle.stack)) {
        for (const mount of mountPaths(layer)) walk(layer.handle.stack, mount === '/' ? prefix : join(prefix, mount));
      } else if (opts.middleware) {
        // A middleware on a path of its own (a guard, or a handler answering a whole subtree) is listed as USE.
        for (const mount of mountPaths(layer)) {
          if (mount === '/') continue;
          const route = { method: 'USE', path: join(prefix, mount) };
          out.set(`${route.method} ${route.path}`, route);
        }
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
  return [...out.values()];
}

/**
 * Calls `start` while watching `http.createServer`, and returns the express app the
 * composition root handed to it (the running server does not expose its app otherwise).
 */
export async function captureApp<T>(start: () => Promise<T>): Promise<{ result: T; app: Express }> {
  const original = http.createServer;
  let app: Express | undefined;
  // The port opens before the app is built: the listener dispatches to the app `serving` now.
  let listener: { router?: unknown; serving?: unknown } | undefined;
  const patched = ((...args: unknown[]) => {
    listener ??= args.find((a) => typeof a === 'function') as typeof listener;
    return (original as (...a: unknown[]) => http.Server)(...args);
  }) as typeof http.createServer;
  http.createServer = patched;
  try {
    const result = await start();
    const serving = (listener?.serving ?? listener) as { router?: unknown } | undefined;
    if (serving?.router) app = serving as Express;
    if (!app) throw new Error('the server did not create its HTTP server with an express app');
    return { result, app };
  } finally {
    http.createServer = original;
  }
}
