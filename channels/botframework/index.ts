/**
 * channels/botframework: `POST /api/messages` for the Bot Framework (Azure Bot Service
 * channels such as Teams and Direct Line, the Bot Framework Emulator) through botbuilder's
 * `CloudAdapter`. See the README's "Bot Framework" section.
 */
import express, { type Router } from 'express';
import type { Activity, Middleware, Storage, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import {
  answerIfUnanswered,
  inboundMessage,
  isDuplicateDelivery,
  isRateLimited,
  isStoreUnavailable,
  isStoredMessage,
  type BotCore,
  type StoreHealth,
  type TurnAdmission,
} from '../../bots/index.js';
import { isShopError, ShopError, type Message, type MessageRepository } from '../../store/index.js';
import { BotFrameworkCloudAdapter, type BotFrameworkAppType, type BotFrameworkAuthOptions, type DeferredReplies } from './adapter.js';
import { anonymousCallerRefusal } from './caller.js';
import { BotFrameworkProactiveAdapter } from './proactive.js';
import { ConversationReferences } from './references.js';
import { renderForBotFramework } from './render.js';
import { isLoopbackUrl, toActivity } from './to-activity.js';

export { BotFrameworkCloudAdapter, type BotFrameworkAppType } from './adapter.js';
export { BotFrameworkProactiveAdapter } from './proactive.js';
export { ConversationReferences } from './references.js';
export { anonymousCallerRefusal, isLoopbackPeer, PROXY_HEADERS } from './caller.js';
export { DEFAULT_CONNECTOR_TIMEOUT_MS } from './connector.js';
export { renderForBotFramework } from './render.js';
export { toActivity, RESERVED_CHANNEL_IDS } from './to-activity.js';

export const BOTFRAMEWORK_APP_TYPES: readonly BotFrameworkAppType[] = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'];

export interface BotFrameworkChannelOptions extends BotFrameworkAuthOptions {
  core: BotCore;
  logger: Logger;
  /** Makes relative product image and page URLs absolute in hero cards. */
  publicBaseUrl?: string;
  maxTextLength?: number;
  /**
   * The node's turn admission gate. A shopper message that finds the node full is refused
   * with 503 + Retry-After before anything is stored; the Bot Connector redelivers it.
   */
  admission?: TurnAdmission;
  /**
   * Whether the store answers. While it does not, a shopper message gets 503 + Retry-After
   * (before anything runs) and the Bot Connector redelivers it; nothing is stored twice
   * (the transcript dedupes on the activity id).
   */
  health?: StoreHealth;
  /**
   * The store's messages and bot-state storage. With them, each shopper's Bot Framework
   * address is kept (agents can reply: the hand-off service sends through it), and a
   * redelivered activity whose stored replies failed to go out gets them sent again.
   */
  store?: { messages: MessageRepository; botState: Storage };
  /**
   * Whether the endpoint may run anonymously (no app id) at all: false in production
   * (NODE_ENV=production). A reverse proxy on the same host that adds no forwarding header
   * (nginx's default `proxy_pass`) reaches the bot from loopback like the Emulator does, so
   * the loopback rule alone cannot keep an internet-facing server closed. Default true.
   */
  allowAnonymous?: boolean;
}

export interface BotFrameworkChannel {
  router: Router;
  adapter: BotFrameworkCloudAdapter;
  /** Sends out-of-turn messages (agents' replies) through the stored conversation references. */
  proactive: BotFrameworkProactiveAdapter;
}

/** What the turn's first middleware saw of a message's turn. */
interface TurnSeen {
  rateLimited: boolean;
  duplicate: boolean;
  inbound?: Message;
}

/** Fails fast on settings botbuilder would accept and then fail on (or run anonymously with). */
function checkOptions(o: BotFrameworkChannelOptions): void {
  const problem = (message: string) => new ShopError('config_invalid', `Bot Framework channel: ${message}`);
  const type = o.appType ?? 'MultiTenant';
  if (!BOTFRAMEWORK_APP_TYPES.includes(type)) throw problem(`appType must be one of ${BOTFRAMEWORK_APP_TYPES.join(', ')} (got ${String(type)})`);
  if (!o.appId) {
    // Without an app id the endpoint is anonymous: a password or tenant alone means a forgotten id.
    if (o.appPassword || o.tenantId || (o.appType && type !== 'MultiTenant')) throw problem('appId is required when appPassword, tenantId or appType is set');
    return;
  }
  if (type === 'UserAssignedMSI') {
    if (!o.tenantId) throw problem('tenantId is required for a UserAssignedMSI app');
    if (o.appPassword) throw problem('appPassword must not be set for a UserAssignedMSI app');
    return;
  }
  if (!o.appPassword) throw problem(`appPassword is required for a ${type} app`);
  if (type === 'SingleTenant' && !o.tenantId) throw problem('tenantId is required for a SingleTenant app');
}

/**
 * The Bot Framework channel: a `CloudAdapter` carrying the bot core's middleware, and the
 * express route that feeds it. Anonymous without an app id — then only for callers on this
 * machine (the Emulator; see `anonymousCallerRefusal`), whose replies only go to a
 * serviceUrl on this machine — and JWT-checked with one.
 *
 * A message's turn stores the shopper's activity and the bot's replies, and gives its slot
 * back; the replies are then posted to the Bot Connector (one attempt each, bounded by
 * `connectorTimeoutMs`). A connector that refuses or hangs costs no slot and no 500: the
 * request is answered 202 (stored, reply on its way) and the replies go on as retried
 * deliveries marked on their stored messages (pending, then sent or failed), in order.
 * Before the first post every stored reply of the turn is claimed in the durable outbox
 * (`pending` under this node): a node that dies mid-post leaves them to the outbox, which
 * resumes them through the shopper's stored conversation reference once the claim lapses.
 */
export function createBotFrameworkChannel(opts: BotFrameworkChannelOptions): BotFrameworkChannel {
  checkOptions(opts);
  const { core, logger } = opts;
  const maxText = opts.maxTextLength ?? 2000;
  const adapter = new BotFrameworkCloudAdapter(opts);
  const references = opts.store ? new ConversationReferences(opts.store.botState) : undefined;
  const messages = opts.store?.messages;

  // Registered before the core so it sees the whole turn, including a rate-limited one
  // that never reaches the later middleware.
  const seen = new WeakMap<Partial<Activity>, TurnSeen>();
  adapter.use(async (context, next) => {
    // A redelivery whose original was stored but never answered (the turn failed after
    // storing it) runs the bot; one that was answered is not answered twice.
    if (context.activity.type === 'message') answerIfUnanswered(context);
    await next();
    seen.set(context.activity, { rateLimited: isRateLimited(context), duplicate: isDuplicateDelivery(context), inbound: inboundMessage(context) });
  });
  core.install(adapter);
  adapter.use(renderMiddleware(opts.publicBaseUrl));

  // Agents reply into Bot Framework conversations through the address each shopper's last
  // message gave (without one, the hand-off service refuses the reply: nothing to reach).
  const proactive = new BotFrameworkProactiveAdapter(adapter, opts.publicBaseUrl);
  core.install(proactive);
  if (references) {
    core.handoff?.registerChannel(proactive, { reference: (_conv, customer) => references.latestFor(customer) });
    // The owner of a link code hears of its use the same way, at the address of the account that asked for it.
    core.linkNotices.registerChannel(proactive, { reference: (account) => references.forAccount(account.externalId) });
  }

  if (adapter.anonymous && opts.allowAnonymous === false) {
    logger.info('Bot Framework endpoint /api/messages is closed: production without BOTFRAMEWORK_APP_ID (every call gets 401)');
  } else if (adapter.anonymous) {
    logger.info('Bot Framework endpoint /api/messages is anonymous (no BOTFRAMEWORK_APP_ID): it answers callers on this machine only (the Emulator)');
  } else {
    logger.info({ appId: opts.appId, appType: opts.appType ?? 'MultiTenant' }, 'Bot Framework endpoint /api/messages checks channel tokens');
  }

  /**
   * Posts a turn's replies in order; after a failure the rest go on in the background (false).
   * Every stored reply is claimed in the outbox (`pending` under this node, attempts 0) before
   * the first post: a node that dies during any of these posts leaves each reply not yet
   * confirmed to a delivery the outbox resumes (through the stored conversation reference)
   * once the claim lapses, instead of replies with no delivery state that nothing would send.
   */
  async function postReplies(replies: DeferredReplies): Promise<boolean> {
    const { client, activities } = replies;
    for (const a of activities) if (isStoredMessage(a)) await core.delivery.begin(a.id);
    for (let i = 0; i < activities.length; i++) {
      const a = activities[i]!;
      try {
        await adapter.post(client, a);
      } catch (err) {
        void retryInOrder(replies, i, err).catch((e: unknown) => logger.warn({ err: e }, 'Bot Framework replies: retry failed'));
        return false;
      }
      if (isStoredMessage(a)) {
        await core.delivery
          .afterFirstAttempt(a.id, undefined, async () => {
            await adapter.post(client, a);
          })
          .catch((err: unknown) => logger.warn({ err, messageId: a.id }, 'Bot Framework reply sent; could not record its delivery'));
      }
    }
    return true;
  }

  /**
   * Replies from `from` on, one after the other: the first with the failure of its first
   * attempt, each with the delivery's retry policy, the next once the previous is settled
   * (sent or given up), so the shopper reads them in order. The later ones are claimed
   * already (`postReplies`); `send` takes the claim again before their first post, so one a
   * node took over meanwhile (this node stopping) is not sent here too. Activities that are
   * not stored messages (no id) are not worth a retry.
   */
  async function retryInOrder({ client, activities }: DeferredReplies, from: number, firstError: unknown): Promise<void> {
    for (let i = from; i < activities.length; i++) {
      const a = activities[i]!;
      if (!isStoredMessage(a)) continue;
      const send = async () => {
        await adapter.post(client, a);
      };
      const r = i === from ? await core.delivery.afterFirstAttempt(a.id, firstError, send) : await core.delivery.send(a.id, send);
      await r.settled;
    }
  }

  /**
   * A redelivered activity (the channel got no success from us: a timeout, a 5xx): replies
   * stored for it whose delivery failed are sent again, as the same stored messages (the
   * console's Retry). True when nothing is left undelivered.
   */
  async function resendFailedReplies(original: Message): Promise<boolean> {
    if (!messages) return true;
    const after = await messages.listByConversation(original.conversationId, { afterSeq: original.seq, limit: 20 });
    const next = after.findIndex((m) => m.direction === 'in');
    const replies = (next < 0 ? after : after.slice(0, next)).filter((m) => m.direction === 'out' && m.sender !== 'agent' && m.delivery);
    for (const m of replies) {
      if (m.delivery?.status === 'pending') return false; // being retried now
      if (m.delivery?.status !== 'failed' || !core.handoff) continue;
      try {
        const sent = await core.handoff.retryDelivery(m.id);
        if (sent.delivery?.status !== 'sent') return false; // retrying in the background; the rest after a later redelivery
      } catch (err) {
        if (isShopError(err, 'conflict')) continue; // retried meanwhile (the console, another node)
        logger.warn({ err, messageId: m.id }, 'Bot Framework redelivery: a failed reply could not be sent again');
        return false;
      }
    }
    return true;
  }

  const router = express.Router();
  router.post('/api/messages', async (req, res) => {
    // Without an app id there is no token to check: only this machine may call (the TCP
    // peer, never X-Forwarded-For), before anything of the request is looked at.
    if (adapter.anonymous) {
      if (opts.allowAnonymous === false) {
        throw new ShopError(
          'unauthorized',
          'this server runs in production (NODE_ENV=production) without BOTFRAMEWORK_APP_ID: the Bot Framework endpoint answers no one; register the bot in Azure and set BOTFRAMEWORK_APP_ID (and BOTFRAMEWORK_APP_PASSWORD)',
          { details: { reason: 'botframework_app_id_required' } },
        );
      }
      const refusal = anonymousCallerRefusal(req.socket.remoteAddress, req.headers);
      if (refusal) throw new ShopError('unauthorized', refusal, { details: { reason: 'botframework_app_id_required' } });
    }
    const activity = toActivity(req.body, maxText);
    const auth = await adapter.authenticate(req.get('authorization') ?? '', activity);
    // Without tokens anyone could name any serviceUrl, and the bot would POST its replies
    // (with the shopper's data) there: anonymous mode only answers this machine.
    if (adapter.anonymous && !isLoopbackUrl(activity.serviceUrl)) {
      throw new ShopError(
        'forbidden',
        'without BOTFRAMEWORK_APP_ID the bot only answers a serviceUrl on this machine (the Emulator, a local Direct Line); register the bot in Azure and set BOTFRAMEWORK_APP_ID for remote channels',
      );
    }
    // The bot handles no invoke (adaptive card actions, Teams messaging extensions, sign-in):
    // botbuilder's defaults would answer 501, or throw on a malformed value.
    if (activity.type === 'invoke') {
      throw new ShopError('bad_request', `this bot handles no invoke activities (name: ${JSON.stringify(activity.name ?? '')})`, { details: { reason: 'unsupported_invoke' } });
    }
    const health = opts.health;
    const storeDown = (cause?: unknown) =>
      new ShopError('unavailable', 'the assistant cannot reach its database right now: deliver the activity again after Retry-After seconds', {
        cause,
        details: { reason: 'store_unavailable', retryAfterSeconds: health?.retryAfterSeconds ?? 5 },
      });
    const message = activity.type === 'message';
    if (health?.down && message) throw storeDown();
    // expectReplies: the replies go back in the response body (botbuilder buffers them), no connector call.
    const turn = () => adapter.run(auth, activity, core.logic, { deferReplies: activity.deliveryMode !== 'expectReplies' });
    let result: Awaited<ReturnType<typeof turn>>;
    try {
      result = opts.admission && message ? await opts.admission.run(turn) : await turn();
    } catch (err) {
      adapter.takeReplies(activity);
      if (!isStoreUnavailable(err)) throw err;
      health?.failed(err);
      throw storeDown(err);
    }
    const turnSeen = seen.get(activity);
    // The shopper's address, for agents' replies (best effort: the message is stored either way).
    if (references && message && turnSeen?.inbound) {
      await references.remember(activity).catch((err: unknown) => logger.warn({ err }, 'could not store a Bot Framework conversation reference'));
    }
    // Outside the turn slot: the replies go to the Bot Connector now.
    let delivered = true;
    const replies = adapter.takeReplies(activity);
    if (replies) delivered = await postReplies(replies);
    else if (turnSeen?.duplicate && turnSeen.inbound) delivered = await resendFailedReplies(turnSeen.inbound);
    if (turnSeen?.rateLimited) throw new ShopError('rate_limited', 'too many messages: wait a moment');
    // expectReplies deliveries answer in the body; other activities get 200, or 202 when the
    // activity is stored and its reply is still on its way.
    if (result) res.status(result.status).json(result.body ?? {});
    else res.status(delivered ? 200 : 202).end();
  });
  return { router, adapter, proactive };
}

/**
 * Renders outgoing activities for Bot Framework clients. Added after the core, so its send
 * handler runs after the transcript's: the transcript stores our own payload, the
 * connector gets hero cards.
 */
function renderMiddleware(publicBaseUrl: string | undefined): Middleware {
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      context.onSendActivities(async (_ctx, activities, nextSend) => {
        // In place: the adapter sends the array the handlers were given.
        activities.forEach((a, i) => {
          activities[i] = renderForBotFramework(a, publicBaseUrl);
        });
        return nextSend();
      });
      await next();
    },
  };
}
