/**
 * channels/app: the REST API the shop's mobile-app backend calls (HMAC-signed), with
 * long-polling and a push webhook back to it. See the README's "Mobile app API" section
 * and the OpenAPI document at `/api/app/v1/openapi.json`.
 */
import type { Request } from 'express';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { inboundMessageKey, isOverloadError, isStoreUnavailable, localeOf, resolveCustomer, type BotCore, type EventBus, type StoreHealth } from '../../bots/index.js';
import { ShopError, type Conversation, type Message, type Store, safeParse } from '../../store/index.js';
import { toWireMessage, type WireMessage } from '../web/index.js';
import { AppAdapter } from './adapter.js';
import { longPoll } from './long-poll.js';
import { appOpenApiDocument } from './openapi.js';
import { PushQueue, type PushQueueOptions } from './push.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from './signature.js';
import { MemoryReplayCache, type ReplayCache } from '../../bots/index.js';

export { AppAdapter, type AppAdapterOptions, type AppMessageInput } from './adapter.js';
export { PushQueue, type PushEvent, type DeadLetter, type PushQueueOptions } from './push.js';
export {
  canonicalRequest,
  signRequest,
  requestSignatureHeaders,
  requestTarget,
  verifyRequest,
  signPayload,
  signatureHeaders,
  verifySignature,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  IDEMPOTENCY_HEADER,
  SIGNATURE_VERSION,
  type SignedRequest,
  type SignatureFailure,
} from './signature.js';
export { appOpenApiDocument, type OpenApiDocument } from './openapi.js';

/** Where the API lives; the version is in the path so a v2 can run beside it. */
export const APP_API_BASE = '/api/app/v1';

export interface AppChannelOptions {
  store: Pick<Store, 'customers' | 'conversations' | 'messages'>;
  core: BotCore;
  events: EventBus;
  logger: Logger;
  /** APP_HMAC_SECRET: the app backend signs its calls with it, and we sign our pushes. */
  secret: string;
  /** APP_SIGNATURE_TOLERANCE_SECONDS: the replay window, either side of the server clock. */
  signatureToleranceSeconds?: number;
  /**
   * Signatures already used, kept while their timestamp is inside the window (a signed GET is
   * single-use). Default: this node's memory; the runtime passes a Redis-backed one with REDIS_URL.
   */
  replayCache?: ReplayCache;
  /** BODY_LIMIT: the raw-body parser of the signed routes enforces it (413). */
  bodyLimit: string;
  /** APP_PUSH_URL and its retry settings; without it nothing is pushed. */
  push?: Pick<PushQueueOptions, 'url' | 'maxAttempts' | 'retryBaseMs'> & Partial<Pick<PushQueueOptions, 'maxDelayMs' | 'reporter'>>;
  maxTextLength?: number;
  /** Long-polls allowed to wait at once on this node; beyond it 503. */
  maxWaiters?: number;
  /** Whether the store answers: while it does not, a message gets 503 + Retry-After at once (the backend retries with the same Idempotency-Key). */
  health?: StoreHealth;
}

export interface AppChannel {
  /** Mount BEFORE the JSON body parser: signatures are checked over the raw body. */
  router: Router;
  /** For proactive messages (an agent's reply): `adapter.continueConversation(AppAdapter.reference(userId), ...)`. */
  adapter: AppAdapter;
  push?: PushQueue;
  /** Ends waiting long-polls and stops the push queue (pending retries are dropped, logged). */
  close(): Promise<void>;
}

const MAX_WAIT_SECONDS = 30;
const PAGE = 100;
const USER_ID = /^[^\s/]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const CONVERSATION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

interface MessageResponse {
  ack: { messageId: string; seq: number; conversationId: string };
  duplicate: boolean;
  heldForAgent: boolean;
  replies: WireMessage[];
}

/** The path's `:id`: the `app:<userId>` alias of a user's current conversation, or a conversation id. */
type Handle = { kind: 'user'; userId: string } | { kind: 'conversation'; id: string };

function parseHandle(raw: string): Handle {
  if (raw.startsWith('app:')) {
    const userId = raw.slice(4);
    if (!USER_ID.test(userId)) throw new ShopError('bad_request', 'conversation handle app:<userId> needs a userId of 1..128 characters without spaces or "/"');
    return { kind: 'user', userId };
  }
  if (!CONVERSATION_ID.test(raw)) throw new ShopError('bad_request', 'conversation must be app:<userId> or a conversationId returned by this API');
  return { kind: 'conversation', id: raw };
}

function issues(error: z.ZodError, what: string): string {
  return error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
}

/** The 503 of a message the store could not take (or answer) now. */
function storeDown(retryAfterSeconds: number, cause?: unknown): ShopError {
  return new ShopError(
    'unavailable',
    'the assistant cannot reach its database right now: send the same request again (same Idempotency-Key) after Retry-After seconds; it is stored and answered once',
    { cause, details: { reason: 'store_unavailable', retryAfterSeconds } },
  );
}

const ackOf = (m: Message): MessageResponse['ack'] => ({ messageId: m.id, seq: m.seq, conversationId: m.conversationId });

export function createAppChannel(opts: AppChannelOptions): AppChannel {
  for (const key of ['store', 'core', 'events', 'logger', 'secret', 'bodyLimit'] as const) {
    if (!opts[key]) throw new ShopError('config_invalid', `AppChannelOptions.${key} is required`);
  }
  const { store, events, logger, secret } = opts;
  const tolerance = opts.signatureToleranceSeconds ?? 300;
  const replays = opts.replayCache ?? new MemoryReplayCache({ logger });
  const maxText = opts.maxTextLength ?? 2000;
  const maxWaiters = opts.maxWaiters ?? 5000;
  const push = opts.push ? new PushQueue({ ...opts.push, secret, logger }) : undefined;
  const adapter = new AppAdapter({ core: opts.core, customers: store.customers, logger, push });
  const openApi = appOpenApiDocument({ maxTextLength: maxText, maxWaitSeconds: MAX_WAIT_SECONDS });
  const closing = new AbortController();
  /** Messages of this node in flight, by scoped idempotency key: a concurrent repeat waits for the first. */
  const running = new Map<string, { text: string; response: Promise<MessageResponse> }>();
  let waiters = 0;

  const messageBody = z
    .object({
      userId: z.string().regex(USER_ID, { message: 'must be 1..128 characters without spaces or "/"' }),
      customerId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'must be 1..128 of A-Z a-z 0-9 _ . : -' }).optional(),
      /** The shopper's WeChat UnionID when the app logged them in with WeChat (verified by WeChat). */
      wechatUnionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { message: 'must be a WeChat UnionID' }).optional(),
      text: z.string().trim().min(1).max(maxText),
      locale: z.string().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,4}$/, { message: 'must be a language tag such as en or zh-CN' }).optional(),
      value: z.union([z.string().max(maxText), z.record(z.string(), z.unknown())]).optional(),
    })
    .strict();

  const pollQuery = z.object({
    after: z.string().regex(/^\d{1,12}$/, { message: 'must be a message seq (integer >= 0)' }).transform(Number).default(0),
    wait: z
      .string()
      .regex(/^\d{1,2}$/, { message: `must be whole seconds from 0 to ${MAX_WAIT_SECONDS}` })
      .transform(Number)
      .pipe(z.number().max(MAX_WAIT_SECONDS, { message: `must be at most ${MAX_WAIT_SECONDS}` }))
      .default(0),
  });

  /**
   * 401 unless the shop's backend signed this very call (method, path and query, timestamp,
   * Idempotency-Key, body: see signature.ts) with our secret, recently. Runs before anything is
   * read or stored. A `singleUse` call (a GET) is refused the second time its signature comes
   * within the window: a captured poll cannot be replayed to read what came after it. A POST
   * is not: its repeat is by construction the same message with the same Idempotency-Key, which
   * the idempotency contract answers from the store (`duplicate: true`), never a second time.
   */
  async function authenticate(req: Request, body: Buffer | undefined, singleUse: boolean): Promise<void> {
    const check = verifyRequest({
      secret,
      timestamp: req.get(TIMESTAMP_HEADER),
      signature: req.get(SIGNATURE_HEADER),
      request: { method: req.method, target: req.originalUrl, idempotencyKey: req.get(IDEMPOTENCY_HEADER) ?? '', body },
      toleranceSeconds: tolerance,
    });
    if (!check.ok) throw new ShopError('unauthorized', `app signature rejected: ${check.message}`, { details: { reason: check.reason } });
    if (!singleUse) return;
    // Remembered until its timestamp leaves the window (after that the window refuses it anyway).
    const ttlSeconds = check.timestamp + tolerance - Math.floor(Date.now() / 1000) + 1;
    if ((await replays.remember(`app:${check.mac}`, '1', ttlSeconds)) !== undefined) {
      throw new ShopError(
        'unauthorized',
        'app signature rejected: this signed call was already used (a replay). Sign every GET when you send it; two identical GETs within one second need a distinguishing query parameter (e.g. &n=<random>), which the signature covers',
        { details: { reason: 'signature_replayed' } },
      );
    }
  }

  function parseJson(raw: Buffer): unknown {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new ShopError('bad_request', 'request body is not valid UTF-8');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ShopError('bad_request', `request body is not valid JSON: ${(err as Error).message}`);
    }
  }

  /** A repeat of a stored message: its ack and the bot's replies to it (up to the next shopper message). */
  async function replay(original: Message, text: string): Promise<MessageResponse> {
    if (original.text !== text) throw new ShopError('conflict', 'this Idempotency-Key was already used for a different message');
    const after = await store.messages.listByConversation(original.conversationId, { afterSeq: original.seq, limit: PAGE });
    const end = after.findIndex((m) => m.direction === 'in');
    const replies = (end < 0 ? after : after.slice(0, end)).filter((m) => m.sender === 'bot');
    return { ack: ackOf(original), duplicate: true, heldForAgent: false, replies: replies.map(toWireMessage) };
  }

  /** A conversation id in the path must be the user's current app conversation: the turn runs there. */
  async function checkCurrent(conversation: Conversation, userId: string): Promise<void> {
    const customer = await store.customers.findByIdentity('app', userId);
    if (!customer || conversation.customerId !== customer.id) throw new ShopError('not_found', `no conversation ${conversation.id} for app user ${userId}`);
    const current = await store.conversations.findOpenByCustomer(customer.id, 'app');
    if (!current || current.id !== conversation.id) {
      throw new ShopError('conflict', `conversation ${conversation.id} is no longer current (it was resolved): post to app:${userId}`, {
        details: { currentConversationId: current?.id ?? null },
      });
    }
  }

  async function send(handle: Handle, input: z.infer<typeof messageBody>, idempotencyKey: string): Promise<MessageResponse> {
    // Repeats are answered from the store before any work (and across nodes); the stored key is scoped to the app user.
    const reference = AppAdapter.reference(input.userId);
    const storedKey = inboundMessageKey({ id: idempotencyKey, channelId: reference.channelId, conversation: reference.conversation, from: reference.user })!;
    const earlier = await store.messages.findByChannelMessageId('app', storedKey);
    if (earlier) {
      const repeat = await replay(earlier, input.text);
      // Stored but never answered (the store failed mid-turn): the turn below answers it now.
      const unanswered = repeat.replies.length === 0 && (await store.messages.listByConversation(earlier.conversationId, { afterSeq: earlier.seq, limit: 1 })).length === 0;
      if (!unanswered) return repeat;
    }
    let conversation: Conversation | null = null;
    if (handle.kind === 'conversation') {
      conversation = await store.conversations.get(handle.id);
      if (!conversation || conversation.channel !== 'app') throw new ShopError('not_found', `no app conversation ${handle.id}`);
    }
    if (input.customerId) await adapter.linkCustomer(input.userId, input.customerId, localeOf(input.locale));
    if (input.wechatUnionId) {
      const account = await resolveCustomer(store, 'app', input.userId, { locale: localeOf(input.locale) });
      await opts.core.linker.attachUnionId(account, input.wechatUnionId);
    }
    if (conversation) await checkCurrent(conversation, input.userId);

    const outcome = await adapter.handleMessage({
      userId: input.userId,
      channelMessageId: idempotencyKey,
      text: input.text,
      value: input.value,
      locale: input.locale,
    });
    const inbound = outcome.inbound;
    if (!inbound) throw new ShopError('internal', 'the turn stored no inbound message');
    // Another node stored the same key first: the transcript dropped ours.
    if (outcome.duplicate) return replay(inbound, input.text);
    if (outcome.rateLimited) throw new ShopError('rate_limited', `too many messages: message ${inbound.id} was stored but not answered; wait a moment`);
    const replies = outcome.replies
      .map((a) => (a.channelData as { message?: Message } | undefined)?.message)
      .filter((m): m is Message => m !== undefined);
    return { ack: ackOf(inbound), duplicate: false, heldForAgent: outcome.heldForAgent, replies: replies.map(toWireMessage) };
  }

  async function conversationOf(handle: Handle): Promise<Conversation> {
    if (handle.kind === 'conversation') {
      const c = await store.conversations.get(handle.id);
      if (!c || c.channel !== 'app') throw new ShopError('not_found', `no app conversation ${handle.id}`);
      return c;
    }
    const customer = await store.customers.findByIdentity('app', handle.userId);
    const open = customer ? await store.conversations.findOpenByCustomer(customer.id, 'app') : null;
    if (open) return open;
    // Resolved: the alias still shows the latest one until the user writes again.
    const latest = customer ? (await store.conversations.listByCustomer(customer.id, { limit: 50 })).items.find((c) => c.channel === 'app') : undefined;
    if (!latest) throw new ShopError('not_found', `app user ${handle.userId} has no conversation yet`);
    return latest;
  }

  const router = express.Router();

  router.get(`${APP_API_BASE}/openapi.json`, (_req, res) => {
    res.json(openApi);
  });

  // Raw bytes on this route only: the signature covers the body exactly as sent.
  router.post(`${APP_API_BASE}/conversations/:id/messages`, express.raw({ type: () => true, limit: opts.bodyLimit }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await authenticate(req, raw, false);
    const key = req.get('idempotency-key');
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new ShopError('bad_request', 'Idempotency-Key header is required: 1..128 visible ASCII characters, unique per message (a UUID)');
    }
    const parsed = safeParse(messageBody, parseJson(raw));
    if (!parsed.success) throw new ShopError('bad_request', `invalid message: ${issues(parsed.error, 'body')}`);
    const input = parsed.data;
    const handle = parseHandle(req.params['id'] ?? '');
    if (handle.kind === 'user' && handle.userId !== input.userId) {
      throw new ShopError('bad_request', `conversation handle app:${handle.userId} does not match userId ${input.userId}`);
    }
    // Keys are scoped to the app user: two users' "1" must not collide ("/" cannot occur in a userId).
    const channelMessageId = `${input.userId}/${key}`;
    const first = running.get(channelMessageId);
    if (first) {
      if (first.text !== input.text) throw new ShopError('conflict', 'this Idempotency-Key was already used for a different message');
      res.json(
        await first.response.catch((err: unknown) => {
          if (isOverloadError(err)) res.set('Retry-After', String(err.retryAfterSeconds));
          throw err;
        }),
      );
      return;
    }
    const retryAfter = opts.health?.retryAfterSeconds ?? 5;
    if (opts.health?.down) throw storeDown(retryAfter);
    const response = send(handle, input, key).catch((err: unknown) => {
      if (!isStoreUnavailable(err)) throw err;
      opts.health?.failed(err);
      throw storeDown(retryAfter, err);
    });
    running.set(channelMessageId, { text: input.text, response });
    try {
      res.json(await response);
    } catch (err) {
      // Overloaded: nothing was stored; the backend retries with the same Idempotency-Key.
      if (isOverloadError(err)) res.set('Retry-After', String(err.retryAfterSeconds));
      throw err;
    } finally {
      running.delete(channelMessageId);
    }
  });

  router.get(`${APP_API_BASE}/conversations/:id/messages`, async (req, res) => {
    // Signed over the request target as sent (path and query); single-use.
    await authenticate(req, undefined, true);
    const q = safeParse(pollQuery, { after: req.query['after'], wait: req.query['wait'] });
    if (!q.success) throw new ShopError('bad_request', `invalid query: ${issues(q.error, 'query')}`);
    const { after, wait } = q.data;
    const conversation = await conversationOf(parseHandle(req.params['id'] ?? ''));
    if (wait > 0 && waiters >= maxWaiters) throw new ShopError('unavailable', 'too many long-polls waiting on this node: retry shortly');
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.on('close', onClose);
    waiters += 1;
    let messages: Message[];
    try {
      messages = await longPoll({
        events,
        conversationId: conversation.id,
        afterSeq: after,
        waitMs: wait * 1000,
        signal: AbortSignal.any([gone.signal, closing.signal]),
        read: () => store.messages.listByConversation(conversation.id, { afterSeq: after, limit: PAGE }),
      });
    } finally {
      waiters -= 1;
      res.off('close', onClose);
    }
    if (gone.signal.aborted) return; // the client left: nobody to answer
    res.json({ conversationId: conversation.id, messages: messages.map(toWireMessage), nextAfter: messages.at(-1)?.seq ?? after });
  });

  router.get(`${APP_API_BASE}/push/dead-letters`, async (req, res) => {
    await authenticate(req, undefined, true);
    res.json({ pushEnabled: push !== undefined, deadLetters: push?.deadLetters() ?? [] });
  });

  return {
    router,
    adapter,
    push,
    async close() {
      closing.abort();
      await push?.close();
    },
  };
}

/** Mounted instead of the channel when APP_HMAC_SECRET is unset, so a caller learns why. */
export function appChannelOff(): Router {
  const router = express.Router();
  router.use('/api/app', () => {
    throw new ShopError('not_found', 'the app channel is off: set APP_HMAC_SECRET to enable /api/app/v1');
  });
  return router;
}
