/**
 * channels/web: the widget's session endpoint, WebSocket (`/ws/web`) and REST fallback.
 * See the README's "Web widget" section for the protocol.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Router } from 'express';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { Logger } from 'pino';
import {
  ipBucket,
  isOverloadError,
  isStoreUnavailable,
  RateLimiter,
  resolveConversation,
  resolveCustomer,
  type BotCore,
  type EventBus,
  type LinkCodes,
  type RateLimitRule,
  type StoreHealth,
} from '../../bots/index.js';
import { isShopError, ShopError, type Conversation, type Customer, type Locale, type Message, type Store, safeParse } from '../../store/index.js';
import { visitorMessageKeyPrefix, WebAdapter } from './adapter.js';
import { checkVisitorToken, DEFAULT_VISITOR_TOKEN_TTL_SECONDS, issueVisitorToken, shouldRenewVisitorToken, verifyIdentityToken } from './tokens.js';
import { toWireMessage, type WireMessage } from './wire.js';

export {
  signIdentityToken,
  issueVisitorToken,
  verifyVisitorToken,
  checkVisitorToken,
  shouldRenewVisitorToken,
  DEFAULT_VISITOR_TOKEN_TTL_SECONDS,
  VISITOR_TOKEN_CLOCK_SKEW_SECONDS,
  type VisitorTokenCheck,
  type VisitorTokenFailure,
} from './tokens.js';
export { toWireMessage, type WireMessage } from './wire.js';

export interface WebChannelOptions {
  store: Store;
  core: BotCore;
  events: EventBus;
  logger: Logger;
  /** Signs visitor tokens. */
  visitorSecret: string;
  /** Verifies identity tokens signed by the shop's backend; without it, no login. */
  identitySecret?: string;
  /** TRUST_PROXY: the socket's client IP follows the same rule as express's req.ip for REST (`socketClientIp`). */
  trustProxy?: TrustProxy;
  maxTextLength?: number;
  /** Widget sockets open at once on this node (MAX_SOCKETS); beyond it an upgrade gets 503. */
  maxSockets?: number;
  /** Frames one socket may have waiting (MAX_SOCKET_PENDING_FRAMES); beyond it a message is refused (`rate_limited`). */
  maxPendingFrames?: number;
  /** Whether the store answers: while it does not, messages get `unavailable` (with retryAfterSeconds) at once, and the widget sends them again. */
  health?: StoreHealth;
  /** VISITOR_TOKEN_TTL_DAYS in seconds: a visitor token older than this is refused (401, reason `visitor_token_expired`). */
  visitorTokenTtlSeconds?: number;
  /** WEB_SESSION_IP_PER_MINUTE as a token bucket: `POST /api/web/session` calls per client IP (beyond it 429 + Retry-After). */
  sessionsPerIp?: RateLimitRule;
}

export interface WebChannel {
  router: Router;
  adapter: WebAdapter;
  /** Routes `/ws/web` upgrades of this HTTP server to the widget socket. */
  attach(server: Server): void;
  close(): Promise<void>;
}

const MAX_FRAME_BYTES = 16 * 1024;

/** What a shopper's widget is told while the store does not answer (it keeps the message and sends it again). */
export const STORE_DOWN_MESSAGE = 'The assistant cannot reach its database right now. Your message is kept and will be sent again automatically.';

/** A client that does not read its frames is dropped before the server buffers more than this for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** What `POST /api/web/session` answers. `customerId`/`conversationId` are null until the visitor's first message (anonymous sessions write nothing). */
export interface WebSessionResponse {
  visitorToken: string;
  /** When `visitorToken` stops being accepted (ISO 8601); a session call before then renews it. */
  visitorTokenExpiresAt: string;
  customerId: string | null;
  conversationId: string | null;
  locale: Locale;
}

const localeField = z.enum(['en', 'zh']).optional();

const sessionBody = z.object({
  visitorToken: z.string().max(512).optional(),
  identityToken: z.string().max(1024).optional(),
  locale: z.enum(['en', 'zh']).optional(),
});

export function createWebChannel(opts: WebChannelOptions): WebChannel {
  const { store, core, events, logger } = opts;
  const maxText = opts.maxTextLength ?? 2000;
  const maxSockets = opts.maxSockets ?? 10_000;
  const maxPendingFrames = opts.maxPendingFrames ?? 16;
  const tokenTtl = opts.visitorTokenTtlSeconds ?? DEFAULT_VISITOR_TOKEN_TTL_SECONDS;
  const sessionLimiter = new RateLimiter(opts.sessionsPerIp ?? { burst: 60, perSecond: 5 });
  const adapter = new WebAdapter({ core, events, messages: store.messages });
  const linker: LinkCodes = core.linker;
  const health = opts.health;
  const storeDown = (cause?: unknown) =>
    new ShopError('unavailable', STORE_DOWN_MESSAGE, { cause, details: { reason: 'store_unavailable', retryAfterSeconds: health?.retryAfterSeconds ?? 5 } });

  const clientFrame = z.discriminatedUnion('type', [
    z.object({ type: z.literal('message'), id: z.string().min(1).max(64), text: z.string().trim().min(1).max(maxText) }),
    z.object({ type: z.literal('postback'), id: z.string().min(1).max(64), value: z.string().max(maxText), text: z.string().max(maxText).optional() }),
    z.object({ type: z.literal('typing'), on: z.boolean().optional() }),
    z.object({ type: z.literal('history'), before: z.string().max(512).optional() }),
    z.object({ type: z.literal('ping') }),
  ]);

  /**
   * The visitor id of a visitor token, or a 401 whose `reason` says why: `visitor_token_expired`
   * (older than VISITOR_TOKEN_TTL_DAYS: the widget starts a new anonymous session) or
   * `visitor_token_invalid` (forged, damaged, or issued in the future).
   */
  function visitorOf(token: string | undefined, nowSec = Math.floor(Date.now() / 1000)): { visitorId: string; issuedAtSec: number; expiresAtSec: number } {
    const check = token ? checkVisitorToken(opts.visitorSecret, token, { ttlSeconds: tokenTtl, nowSec }) : ({ ok: false, reason: 'malformed' } as const);
    if (check.ok) return check;
    if (check.reason === 'expired') {
      throw new ShopError('unauthorized', 'visitor token expired: start a new session (POST /api/web/session without it)', { details: { reason: 'visitor_token_expired' } });
    }
    throw new ShopError('unauthorized', 'missing or invalid visitor token', { details: { reason: 'visitor_token_invalid' } });
  }

  /**
   * A visitor's session. Anonymous, it only signs a token: the visitor becomes a customer with a
   * conversation on their first message, so opening a page (or a flood of session calls) writes
   * nothing. A returning visitor's token is renewed once it is a day old, and their customer and
   * open conversation are read, not created. A shop-signed identity token logs the visitor in
   * (that writes: the shop vouched for it).
   */
  async function session(visitorToken: string | undefined, identityToken: string | undefined, locale: Locale | undefined) {
    const nowSec = Math.floor(Date.now() / 1000);
    let visitorId: string;
    let token: string;
    let expiresAtSec: number;
    const held = visitorToken !== undefined ? visitorOf(visitorToken, nowSec) : undefined;
    if (held && !shouldRenewVisitorToken(held, nowSec)) {
      ({ visitorId, expiresAtSec } = held);
      token = visitorToken!;
    } else {
      const issued = issueVisitorToken(opts.visitorSecret, held?.visitorId, nowSec);
      visitorId = issued.visitorId;
      token = issued.token;
      expiresAtSec = nowSec + tokenTtl;
    }
    // A new visitor (no token yet) is nobody in the store: nothing to read either.
    let customer = held ? await store.customers.findByIdentity('web', visitorId) : null;
    let conversation: Conversation | null = null;
    /**
     * A shared browser: this visitor token belongs to a customer the shop signed in (or who
     * linked to a known account), and the page now says someone else is here, or, on a shop
     * that signs its shoppers in, nobody. The token is left to its owner and this person
     * starts as a new visitor: merging would hand one shopper the other's orders.
     */
    const startOver = () => {
      const issued = issueVisitorToken(opts.visitorSecret, undefined, nowSec);
      visitorId = issued.visitorId;
      token = issued.token;
      expiresAtSec = nowSec + tokenTtl;
      customer = null;
    };
    const known = (c: Customer | null): c is Customer => c !== null && !c.tags.includes('anonymous');
    if (identityToken) {
      if (!opts.identitySecret) throw new ShopError('unauthorized', 'this shop does not accept identity tokens (WEB_IDENTITY_SECRET is not set)');
      const check = verifyIdentityToken(opts.identitySecret, identityToken);
      if (!check.ok) throw new ShopError('unauthorized', `identity token rejected: ${check.reason}`);
      if (known(customer) && customer.id !== check.customerId) startOver();
      customer = await logIn(visitorId, customer, check.customerId, locale);
      conversation = await resolveConversation(store, customer, 'web');
    } else if (opts.identitySecret && known(customer)) {
      // Signed out (the shop's page brought no identity token): the signed-in history stays with its owner.
      startOver();
    } else if (customer) {
      conversation = await store.conversations.findOpenByCustomer(customer.id, 'web');
    }
    return { visitorToken: token, expiresAtSec, visitorId, customer, conversation };
  }

  /** Verified evidence: the visitor becomes the signed customer, bringing their anonymous history (if they have one yet). */
  async function logIn(visitorId: string, visitor: Customer | null, customerId: string, locale: Locale | undefined): Promise<Customer> {
    if (visitor?.id === customerId) return visitor;
    let known = await store.customers.get(customerId);
    if (!known) {
      known = await store.customers.create({ id: customerId, displayName: locale === 'zh' ? '顾客' : 'Customer', locale: locale ?? visitor?.locale ?? 'en' });
    }
    if (visitor) return linker.mergeCustomers(visitor.id, known.id);
    try {
      // No anonymous customer to merge: the visitor's web identity joins the signed customer.
      return await store.customers.linkIdentity(known.id, 'web', visitorId);
    } catch (err) {
      if (!isShopError(err, 'conflict')) throw err;
      // The visitor's first message made them a customer meanwhile: that one is merged in.
      const holder = await store.customers.findByIdentity('web', visitorId);
      if (!holder) throw err;
      if (holder.id === known.id) return holder;
      // Only an anonymous visitor's history joins a signed customer; two known customers are never merged.
      if (!holder.tags.includes('anonymous')) throw err;
      return linker.mergeCustomers(holder.id, known.id);
    }
  }

  // ---------------------------------------------------------------- REST
  const router = express.Router();

  // The widget runs on the shop's pages (another origin) and authenticates with a bearer
  // token, never a cookie, so any origin may call these endpoints.
  router.use('/api/web', (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    res.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.set('Access-Control-Max-Age', '600');
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  router.post('/api/web/session', async (req, res) => {
    // Per client IP, before anything is parsed or read (TRUST_PROXY decides what the client IP is;
    // an IPv6 address counts by its /64, which one subscriber holds whole, like every other per-IP limit).
    const ip = ipBucket(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (!sessionLimiter.take(ip)) {
      throw new ShopError('rate_limited', 'too many chat sessions started from this address: try again shortly', {
        details: { reason: 'session_rate_limited', retryAfterSeconds: Math.max(1, sessionLimiter.retryAfter(ip)) },
      });
    }
    const body = safeParse(sessionBody, req.body ?? {});
    if (!body.success) throw new ShopError('bad_request', `invalid session request: ${body.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    const s = await session(body.data.visitorToken, body.data.identityToken, body.data.locale);
    const answer: WebSessionResponse = {
      visitorToken: s.visitorToken,
      visitorTokenExpiresAt: new Date(s.expiresAtSec * 1000).toISOString(),
      customerId: s.customer?.id ?? null,
      conversationId: s.conversation?.id ?? null,
      locale: s.customer?.locale ?? body.data.locale ?? 'en',
    };
    res.json(answer);
  });

  function bearerVisitor(header: string | undefined): string {
    return visitorOf(header?.startsWith('Bearer ') ? header.slice(7) : undefined).visitorId;
  }

  router.post('/api/web/messages', async (req, res) => {
    const visitorId = bearerVisitor(req.get('authorization'));
    const raw = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const { locale: rawLocale, ...rest } = raw;
    const locale = safeParse(localeField, rawLocale);
    if (!locale.success) throw new ShopError('bad_request', 'invalid message: locale must be "en" or "zh"');
    const frame = safeParse(clientFrame, { type: 'value' in rest ? 'postback' : 'message', ...rest });
    if (!frame.success || (frame.data.type !== 'message' && frame.data.type !== 'postback')) {
      throw new ShopError('bad_request', `invalid message: ${frame.success ? 'wrong type' : frame.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    }
    const f = frame.data;
    if (health?.down) throw storeDown();
    const turn = async () => {
      // A new visitor becomes a customer in the widget's language (the turn would create them in English).
      if (locale.data) await resolveCustomer(store, 'web', visitorId, { locale: locale.data });
      return adapter.handleMessage({
        visitorId,
        clientId: f.id,
        // The transcript shows what the shopper saw (the button's title); the bot reads the value.
        text: f.type === 'message' ? f.text : (f.text ?? f.value),
        value: f.type === 'postback' ? f.value : undefined,
        ip: req.ip,
        collect: true,
      });
    };
    const outcome = await turn()
      .catch((err: unknown) => {
        // Overloaded: nothing was stored; the widget sends the same id again after Retry-After.
        if (isOverloadError(err)) res.set('Retry-After', String(err.retryAfterSeconds));
        // The store failed (before or after storing the message): the widget sends the same id again; stored once, answered once.
        if (isStoreUnavailable(err)) {
          health?.failed(err);
          throw storeDown(err);
        }
        throw err;
      });
    if (outcome.rateLimited) throw new ShopError('rate_limited', 'too many messages: wait a moment');
    const inbound = outcome.inbound!;
    const replies = outcome.duplicate
      ? (await store.messages.listByConversation(inbound.conversationId, { afterSeq: inbound.seq, limit: 20 })).filter((m) => m.direction === 'out')
      : outcome.replies.map((a) => (a.channelData as { message?: Parameters<typeof toWireMessage>[0] }).message).filter((m) => m !== undefined);
    res.json({ ack: { id: f.id, messageId: inbound.id, seq: inbound.seq }, duplicate: outcome.duplicate, replies: replies.map(toWireMessage) });
  });

  router.get('/api/web/messages', async (req, res) => {
    const visitorId = bearerVisitor(req.get('authorization'));
    const after = safeParse(z.coerce.number().int().min(0).default(0), req.query['after']);
    if (!after.success) throw new ShopError('bad_request', 'after must be a message seq (integer >= 0)');
    // Reads only: a visitor without a message yet has no conversation (null, nothing to show).
    const customer = await store.customers.findByIdentity('web', visitorId);
    const conversation = customer ? await latestWebConversation(customer.id) : null;
    const messages = conversation ? await store.messages.listByConversation(conversation.id, { afterSeq: after.data, limit: 100 }) : [];
    res.json({ conversationId: conversation?.id ?? null, messages: messages.map(toWireMessage) });
  });

  /** The open web conversation, else the latest one (a resolved conversation still shows its rating question). */
  async function latestWebConversation(customerId: string): Promise<Conversation | null> {
    const open = await store.conversations.findOpenByCustomer(customerId, 'web');
    if (open) return open;
    return (await store.conversations.listByCustomer(customerId, { limit: 20 })).items.find((c) => c.channel === 'web') ?? null;
  }

  // ------------------------------------------------------------ WebSocket
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sockets = new Set<WebSocket>();
  let upgrading = 0;

  function send(ws: WebSocket, frame: Record<string, unknown>): void {
    if (ws.readyState !== ws.OPEN) return;
    // A client that stopped reading must not make this node buffer without limit.
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      logger.warn({ bufferedAmount: ws.bufferedAmount }, 'web socket client is not reading: dropped');
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(frame));
  }

  async function history(customerId: string, before?: string): Promise<{ messages: WireMessage[]; nextCursor: string | null }> {
    const page = await store.messages.listByCustomer(customerId, { limit: 50, cursor: before });
    return { messages: page.items.reverse().map(toWireMessage), nextCursor: page.nextCursor };
  }

  wss.on('connection', (ws: WebSocket, req: IncomingMessage, visitor: { id: string; locale?: Locale }) => {
    sockets.add(ws);
    const visitorId = visitor.id;
    const ip = socketClientIp(req, opts.trustProxy ?? false);
    // '' until the visitor is a customer: opening the chat writes nothing, their first message does.
    let customerId = '';
    const ownKeyPrefix = visitorMessageKeyPrefix(visitorId);
    /** The visitor's first message, sent from another tab (or over REST): this socket follows that customer from now on. */
    const isOwnMessage = (m: Message) => m.channel === 'web' && m.direction === 'in' && m.channelMessageId?.startsWith(ownKeyPrefix) === true;
    // Frames of one socket run one after another, so a shopper's messages keep their order.
    let queue: Promise<void> = Promise.resolve();
    // Frames waiting in `queue` (bounded: a flood on one socket costs a refusal each, not memory).
    let pending = 0;

    const unsubscribe = events.subscribe((event) => {
      if (!customerId && event.type === 'message' && isOwnMessage(event.message)) customerId = event.message.customerId;
      if (event.type === 'message' && customerId && event.message.customerId === customerId) {
        send(ws, { type: 'message', message: toWireMessage(event.message) });
      } else if (event.type === 'typing' && event.customerId === customerId && event.from !== 'customer') {
        send(ws, { type: 'typing', on: event.on, ...(event.from === 'agent' ? { from: 'agent', ...(event.agentName ? { agentName: event.agentName } : {}) } : {}) });
      } else if (event.type === 'customer.merged' && event.sourceId === customerId) {
        // Linked to another channel's customer: this socket now shows the merged history.
        customerId = event.targetId;
        queue = queue.then(async () => {
          send(ws, { type: 'hello', customerId, merged: true });
          send(ws, { type: 'history', ...(await history(customerId)) });
        });
      }
    });

    const start = (async () => {
      // Reads only. A visitor who has not written yet gets a hello without customerId and an empty history.
      const customer = await store.customers.findByIdentity('web', visitorId);
      if (!customer) {
        send(ws, { type: 'hello', locale: visitor.locale ?? 'en' });
        send(ws, { type: 'history', messages: [], nextCursor: null });
        return;
      }
      customerId = customer.id;
      const open = await store.conversations.findOpenByCustomer(customer.id, 'web');
      send(ws, { type: 'hello', customerId: customer.id, ...(open ? { conversationId: open.id } : {}), locale: customer.locale });
      send(ws, { type: 'history', ...(await history(customer.id)) });
    })();
    queue = start.catch((err: unknown) => {
      if (isStoreUnavailable(err)) health?.failed(err);
      else logger.error({ err }, 'web socket start failed');
      send(ws, { type: 'error', code: 'unavailable', message: 'could not load the conversation; reconnecting', retryAfterSeconds: health?.retryAfterSeconds ?? 5 });
      // Without its conversation the socket would show no replies: the widget reconnects (with backoff) instead.
      ws.close(1013, 'try again later');
    });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const raw = isBinary ? null : data.toString();
      // Liveness checks must not wait behind a running bot turn.
      if (raw === '{"type":"ping"}') {
        send(ws, { type: 'pong' });
        return;
      }
      if (pending >= maxPendingFrames) {
        refuseFrame(raw);
        return;
      }
      pending += 1;
      queue = queue.then(() => onFrame(raw)).finally(() => {
        pending -= 1;
      });
    });

    /** Too many frames waiting on this socket: a message is refused (not stored), other frames are dropped. */
    function refuseFrame(raw: string | null): void {
      let frame: unknown;
      try {
        frame = raw === null ? undefined : JSON.parse(raw);
      } catch {
        return;
      }
      const f = frame as { type?: unknown; id?: unknown } | undefined;
      if ((f?.type === 'message' || f?.type === 'postback') && typeof f.id === 'string') {
        send(ws, { type: 'error', code: 'rate_limited', message: 'too many messages waiting on this connection: send it again after the earlier ones are answered', id: f.id.slice(0, 64) });
      }
    }

    async function onFrame(raw: string | null): Promise<void> {
      let json: unknown;
      try {
        json = raw === null ? undefined : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const parsed = safeParse(clientFrame, json);
      if (!parsed.success) {
        const id = typeof json === 'object' && json !== null && typeof (json as { id?: unknown }).id === 'string' ? (json as { id: string }).id : undefined;
        send(ws, { type: 'error', code: 'bad_request', message: `not a valid message frame: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'} ${i.message}`).join('; ')}`, id });
        return;
      }
      const f = parsed.data;
      try {
        if (f.type === 'ping') send(ws, { type: 'pong' });
        else if (f.type === 'typing') await shopperTyping(f.on ?? true);
        else if (f.type === 'history') send(ws, customerId ? { type: 'history', ...(await history(customerId, f.before)) } : { type: 'history', messages: [], nextCursor: null });
        else {
          if (health?.down) {
            // Not tried: the widget keeps the message and sends the same id again after retryAfterSeconds.
            send(ws, { type: 'error', code: 'unavailable', reason: 'store_unavailable', message: STORE_DOWN_MESSAGE, retryAfterSeconds: health.retryAfterSeconds, id: f.id });
            return;
          }
          if (!customerId) {
            // The first message: now the visitor becomes a customer, and this socket follows them before the turn's replies are published.
            const customer = await resolveCustomer(store, 'web', visitorId, { locale: visitor.locale });
            const conversation = await resolveConversation(store, customer, 'web');
            customerId = customer.id;
            send(ws, { type: 'hello', customerId, conversationId: conversation.id, locale: customer.locale });
          }
          const outcome = await adapter.handleMessage({
            visitorId,
            clientId: f.id,
            text: f.type === 'message' ? f.text : (f.text ?? f.value),
            value: f.type === 'postback' ? f.value : undefined,
            ip,
          });
          if (outcome.inbound) send(ws, { type: 'ack', id: f.id, messageId: outcome.inbound.id, seq: outcome.inbound.seq });
          if (outcome.rateLimited) send(ws, { type: 'error', code: 'rate_limited', message: 'You are sending messages too fast. Please wait a moment.', id: f.id });
        }
      } catch (err) {
        const code = err instanceof ShopError ? err.code : 'internal';
        if (isOverloadError(err)) {
          // Not stored: the widget sends the same id again later.
          send(ws, { type: 'error', code, message: err.message, retryAfterSeconds: err.retryAfterSeconds, id: 'id' in f ? f.id : undefined });
          return;
        }
        if (isStoreUnavailable(err)) {
          // Stored or not, the widget sends the same id again: the transcript keeps one copy and answers it once.
          health?.failed(err);
          send(ws, { type: 'error', code: 'unavailable', reason: 'store_unavailable', message: STORE_DOWN_MESSAGE, retryAfterSeconds: health?.retryAfterSeconds ?? 5, id: 'id' in f ? f.id : undefined });
          return;
        }
        logger.error({ err }, 'web socket frame failed');
        send(ws, { type: 'error', code, message: code === 'internal' ? 'something went wrong; your message was kept' : (err as Error).message, id: 'id' in f ? f.id : undefined });
      } finally {
        // The bot's turn is over: its typing indicator goes (an agent's has its own frames).
        if (f.type === 'message' || f.type === 'postback') send(ws, { type: 'typing', on: false, from: 'bot' });
      }
    }

    // The shopper's typing matters only to an agent who owns the conversation; throttled.
    let lastTyping = { on: false, at: 0 };
    async function shopperTyping(on: boolean): Promise<void> {
      const now = Date.now();
      if (!customerId || (on === lastTyping.on && now - lastTyping.at < 2000)) return;
      lastTyping = { on, at: now };
      const conv = await store.conversations.findOpenByCustomer(customerId, 'web');
      if (conv && (conv.status === 'assigned' || conv.status === 'queued')) {
        events.publish({ type: 'typing', customerId, conversationId: conv.id, on, from: 'customer' });
      }
    }

    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
    ws.on('error', (err) => logger.warn({ err }, 'web socket error'));
  });

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws/web') return; // another channel's upgrade
    if (sockets.size + upgrading >= maxSockets) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"unavailable","message":"too many open chats on this server: retry shortly"}}');
      return;
    }
    const check = checkVisitorToken(opts.visitorSecret, url.searchParams.get('token') ?? '', { ttlSeconds: tokenTtl });
    if (!check.ok) {
      const reason = check.reason === 'expired' ? 'visitor_token_expired' : 'visitor_token_invalid';
      const message = check.reason === 'expired' ? 'visitor token expired: start a new session' : 'invalid visitor token';
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"unauthorized","message":"${message}","reason":"${reason}"}}`);
      return;
    }
    const locale = safeParse(localeField, url.searchParams.get('locale') ?? undefined);
    const visitor = { id: check.visitorId, locale: locale.success ? locale.data : undefined };
    upgrading += 1;
    let counted = true;
    const uncount = () => {
      if (counted) upgrading -= 1;
      counted = false;
    };
    socket.once('close', uncount);
    wss.handleUpgrade(req, socket, head, (ws) => {
      uncount();
      wss.emit('connection', ws, req, visitor);
    });
  }

  return {
    router,
    adapter,
    attach(server) {
      server.on('upgrade', onUpgrade);
    },
    async close() {
      for (const ws of sockets) ws.close(1001, 'server shutting down');
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/**
 * TRUST_PROXY as express takes it (`app.set('trust proxy', …)`): `false` (or `0`) trusts no
 * proxy, a number N trusts the N proxies nearest this server, `true` trusts every hop.
 */
export type TrustProxy = boolean | number;

/**
 * The X-Forwarded-For entries, in order, as express's `forwarded` parser reads them: split on
 * commas, spaces around an entry dropped, empty entries skipped.
 */
function forwardedEntries(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((e) => e.replace(/^ +| +$/g, ''))
    .filter((e) => e !== '');
}

/**
 * The client address of a request, by the rule express applies to REST requests (`req.ip`
 * under `app.set('trust proxy', trustProxy)`): the list is the X-Forwarded-For entries then
 * the TCP peer; with N trusted hops the client is the entry N places before the peer (the
 * first entry when the list is shorter); with `true` the first entry (whatever the client
 * wrote there: only safe behind a proxy that replaces the header); with `false` or `0` the
 * peer. Proxies append the address they saw, so counting hops from the peer's end is what
 * a client cannot forge: a forged entry sits before the real one.
 * The widget socket uses it for its upgrade request, so a socket shopper has the same address
 * as over REST (`test/socket-client-ip.test.ts` checks both agree).
 */
export function socketClientIp(req: IncomingMessage, trustProxy: TrustProxy): string | undefined {
  const peer = req.socket.remoteAddress;
  if (trustProxy === false || trustProxy === 0) return peer;
  const list = [...forwardedEntries(req.headers['x-forwarded-for']), peer];
  if (trustProxy === true) return list[0];
  const hops = Math.max(0, Math.floor(trustProxy));
  return list[Math.max(0, list.length - 1 - hops)];
}
