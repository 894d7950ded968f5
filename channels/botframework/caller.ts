import { isIP } from 'node:net';

/**
 * Request headers that a reverse proxy or a tunnel (nginx, ngrok, dev tunnels, Cloudflare)
 * adds. The Bot Framework Emulator talking to the bot on the same machine never sends them:
 * a request that carries one was relayed from somewhere else, whatever its TCP peer is.
 */
export const PROXY_HEADERS: readonly string[] = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via', 'cf-connecting-ip', 'true-client-ip'];

/**
 * True when the TCP peer of a connection is this machine: 127.0.0.0/8, `::1`, or
 * 127.0.0.0/8 written as an IPv4-mapped IPv6 address. Anything else — another host, a Unix
 * socket (no address: typically a reverse proxy in front), an unparsable value — is not.
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(a) === 6 && (a === '::1' || a === '0:0:0:0:0:0:0:1');
}

/**
 * Why an anonymous Bot Framework request (no BOTFRAMEWORK_APP_ID: no token to check) is
 * refused, or undefined when it is accepted. Accepted: the TCP peer of the connection is
 * this machine (`req.socket.remoteAddress`, never `req.ip` or X-Forwarded-For, whatever
 * TRUST_PROXY says) and nothing says a proxy relayed it. That is the Bot Framework
 * Emulator or a local Direct Line server on the same machine; a remote caller could
 * otherwise name any `channelId` / `from.id` and, with `deliveryMode: "expectReplies"`,
 * read the answers meant for that shopper in the response body.
 */
export function anonymousCallerRefusal(peer: string | undefined, headers: Record<string, string | string[] | undefined>): string | undefined {
  const fix = 'register the bot in Azure and set BOTFRAMEWORK_APP_ID (and BOTFRAMEWORK_APP_PASSWORD) so that callers are checked by their Bot Framework token';
  if (!isLoopbackPeer(peer)) {
    return `without BOTFRAMEWORK_APP_ID the Bot Framework endpoint only accepts callers on this machine (the Bot Framework Emulator); ${fix}`;
  }
  const relayed = PROXY_HEADERS.find((h) => headers[h] !== undefined);
  if (relayed) {
    return `without BOTFRAMEWORK_APP_ID the Bot Framework endpoint only accepts callers on this machine, and this request came through a proxy or tunnel (it carries ${relayed}); ${fix}`;
  }
  return undefined;
}
