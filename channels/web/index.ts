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
import { isOverloadError, isStoreUnavailable, resolveConversation, resolveCustomer, type BotCore, type EventBus, type LinkCodes, type StoreHealth } from '../../bots/index.js';
import { ShopError, type Customer, type Store } from '../../store/index.js';
import { WebAdapter } from './adapter.js';
import { issueVisitorToken, verifyIdentityToken, verifyVisitorToken } from './tokens.js';
import { toWireMessage, type WireMessage } from './wire.js';

export { signIdentityToken, issueVisitorToken, verifyVisitorToken } from './tokens.js';
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
  maxTextLength?: number;
  /** Widget sockets open at once on this node (MAX_SOCKETS); beyond it an upgrade gets 503. */
  maxSockets?: number;
  /** Frames one socket may have waiting (MAX_SOCKET_PENDING_FRAMES); beyond it a message is refused (`rate_limited`). */
  maxPendingFrames?: number;
  /** Whether the store answers: while it does not, messages get `unavailable` (with retryAfterSeconds) at once, and the widget sends them again. */
  health?: StoreHealth;
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

  /** The visitor's customer, logging them in when the shop signed an identity token. */
  async function session(visitorToken: string | undefined, identityToken: string | undefined, locale: 'en' | 'zh' | undefined) {
    let visitorId = visitorToken ? verifyVisitorToken(opts.visitorSecret, visitorToken) : null;
    if (visitorToken && !visitorId) throw new ShopError('unauthorized', 'visitor token is not valid');
    let token = visitorToken;
    if (!visitorId) {
      const issued = issueVisitorToken(opts.visitorSecret);
      visitorId = issued.visitorId;
      token = issued.token;
    }
    let customer = await resolveCustomer(store, 'web', visitorId, { locale });
    if (identityToken) {
      if (!opts.identitySecret) throw new ShopError('unauthorized', 'this shop does not accept identity tokens (WEB_IDENTITY_SECRET is not set)');
      const check = verifyIdentityToken(opts.identitySecret, identityToken);
      if (!check.ok) throw new ShopError('unauthorized', `identity token rejected: ${check.reason}`);
      customer = await logIn(customer, check.customerId, locale);
    }
    const conversation = await resolveConversation(store, customer, 'web');
    return { visitorToken: token!, visitorId, customer, conversation };
  }

  /** Verified evidence: the visitor becomes the signed customer, bringing their anonymous history. */
  async function logIn(visitor: Customer, customerId: string, locale: 'en' | 'zh' | undefined): Promise<Customer> {
    if (visitor.id === customerId) return visitor;
    let known = await store.customers.get(customerId);
    if (!known) {
      known = await store.customers.create({ id: customerId, displayName: locale === 'zh' ? '顾客' : 'Customer', locale: locale ?? visitor.locale });
    }
    return linker.mergeCustomers(visitor.id, known.id);
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
    const body = sessionBody.safeParse(req.body ?? {});
    if (!body.success) throw new ShopError('bad_request', `invalid session request: ${body.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    const s = await session(body.data.visitorToken, body.data.identityToken, body.data.locale);
    res.json({ visitorToken: s.visitorToken, customerId: s.customer.id, conversationId: s.conversation.id, locale: s.customer.locale });
  });

  function bearerVisitor(header: string | undefined): string {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const visitorId = token ? verifyVisitorToken(opts.visitorSecret, token) : null;
    if (!visitorId) throw new ShopError('unauthorized', 'missing or invalid visitor token (Authorization: Bearer <visitorToken>)');
    return visitorId;
  }

  router.post('/api/web/messages', async (req, res) => {
    const visitorId = bearerVisitor(req.get('authorization'));
    const frame = clientFrame.safeParse({ type: 'value' in (req.body ?? {}) ? 'postback' : 'message', ...(req.body ?? {}) });
    if (!frame.success || (frame.data.type !== 'message' && frame.data.type !== 'postback')) {
      throw new ShopError('bad_request', `invalid message: ${frame.success ? 'wrong type' : frame.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    }
    const f = frame.data;
    if (health?.down) throw storeDown();
    const outcome = await adapter
      .handleMessage({
        visitorId,
        clientId: f.id,
        // The transcript shows what the shopper saw (the button's title); the bot reads the value.
        text: f.type === 'message' ? f.text : (f.text ?? f.value),
        value: f.type === 'postback' ? f.value : undefined,
        ip: req.ip,
        collect: true,
      })
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
    const after = z.coerce.number().int().min(0).default(0).safeParse(req.query['after']);
    if (!after.success) throw new ShopError('bad_request', 'after must be a message seq (integer >= 0)');
    const customer = await store.customers.findByIdentity('web', visitorId);
    if (!customer) throw new ShopError('not_found', 'no conversation for this visitor yet');
    const conversation = await resolveConversation(store, customer, 'web');
    const messages = await store.messages.listByConversation(conversation.id, { afterSeq: after.data, limit: 100 });
    res.json({ conversationId: conversation.id, messages: messages.map(toWireMessage) });
  });

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

  wss.on('connection', (ws: WebSocket, req: IncomingMessage, visitorId: string) => {
    sockets.add(ws);
    const ip = req.socket.remoteAddress;
    let customerId = '';
    // Frames of one socket run one after another, so a shopper's messages keep their order.
    let queue: Promise<void> = Promise.resolve();
    // Frames waiting in `queue` (bounded: a flood on one socket costs a refusal each, not memory).
    let pending = 0;

    const unsubscribe = events.subscribe((event) => {
      if (event.type === 'message' && event.message.customerId === customerId) {
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
      const customer = await resolveCustomer(store, 'web', visitorId);
      const conversation = await resolveConversation(store, customer, 'web');
      customerId = customer.id;
      send(ws, { type: 'hello', customerId: customer.id, conversationId: conversation.id, locale: customer.locale });
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
      const parsed = clientFrame.safeParse(json);
      if (!parsed.success) {
        const id = typeof json === 'object' && json !== null && typeof (json as { id?: unknown }).id === 'string' ? (json as { id: string }).id : undefined;
        send(ws, { type: 'error', code: 'bad_request', message: `not a valid message frame: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'} ${i.message}`).join('; ')}`, id });
        return;
      }
      const f = parsed.data;
      try {
        if (f.type === 'ping') send(ws, { type: 'pong' });
        else if (f.type === 'typing') await shopperTyping(f.on ?? true);
        else if (f.type === 'history') send(ws, { type: 'history', ...(await history(customerId, f.before)) });
        else {
          if (health?.down) {
            // Not tried: the widget keeps the message and sends the same id again after retryAfterSeconds.
            send(ws, { type: 'error', code: 'unavailable', reason: 'store_unavailable', message: STORE_DOWN_MESSAGE, retryAfterSeconds: health.retryAfterSeconds, id: f.id });
            return;
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
    const token = url.searchParams.get('token') ?? '';
    const visitorId = verifyVisitorToken(opts.visitorSecret, token);
    if (!visitorId) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"unauthorized","message":"invalid visitor token"}}');
      return;
    }
    upgrading += 1;
    let counted = true;
    const uncount = () => {
      if (counted) upgrading -= 1;
      counted = false;
    };
    socket.once('close', uncount);
    wss.handleUpgrade(req, socket, head, (ws) => {
      uncount();
      wss.emit('connection', ws, req, visitorId);
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
