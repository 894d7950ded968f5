import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from './logger.js';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function refusal(status: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

const NOT_FOUND = refusal('404 Not Found', 'not_found', 'no WebSocket is served at this path');
const BAD_TARGET = refusal('400 Bad Request', 'bad_request', 'the request target is not a valid URL');

/** The path of an upgrade request, parsed as the sockets parse it; null when it is not a URL at all. */
function upgradePath(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

/**
 * The one dispatcher of the server's WebSocket upgrades. Once a server has an 'upgrade'
 * listener, Node hands every upgrade request to its listeners and nothing else: a request
 * no listener takes is never answered and its connection stays open for ever (no timeout
 * applies to it any more), and a listener that throws (a request target such as `http://[`
 * is not a URL) takes the process down.
 *
 * Call it after every socket has attached its listener (each answers only its own path and
 * returns early for others). It takes those listeners over and, for each upgrade request:
 * a target that is not a URL gets 400; a path in `servedPaths` goes to the listeners, as
 * before (one that throws is logged and its connection closed); any other path gets 404.
 * So exactly one answer goes out for every request. `servedPaths` sits beside the code that
 * attaches the sockets: a socket added without its path here answers nothing (404).
 *
 * Every upgrade socket also gets what Node took away from it when it handed it over: an
 * error handler (a client's reset on a socket without one is an uncaught exception: one bad
 * token and a reset took the server down), and a full close once our side has ended (the
 * HTTP server allows half-open sockets, so a refusal's `end` alone left the connection open
 * for as long as the client kept its side: the growing file descriptors).
 * Returns the function that removes the dispatcher (at shutdown).
 */
export function dispatchUpgrades(server: Server, servedPaths: readonly string[], logger: Logger): () => void {
  const served = new Set(servedPaths);
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  const dispatch: UpgradeListener = (req, socket, head) => {
    socket.on('error', (err) => {
      logger.debug({ code: (err as { code?: unknown }).code, error: err.message }, 'upgrade socket closed on a client error');
      socket.destroy();
    });
    socket.once('finish', () => socket.destroy());
    const path = upgradePath(req);
    if (path === null) {
      logger.debug('upgrade with a request target that is not a URL: 400');
      socket.end(BAD_TARGET);
      return;
    }
    if (!served.has(path)) {
      logger.debug({ path: path.slice(0, 200) }, 'upgrade to a path no socket serves: 404');
      socket.end(NOT_FOUND);
      return;
    }
    for (const listener of listeners) {
      try {
        listener(req, socket, head);
      } catch (err) {
        logger.error({ err, path }, 'upgrade listener failed');
        socket.destroy();
        return;
      }
    }
  };
  server.on('upgrade', dispatch);
  return () => server.off('upgrade', dispatch);
}
