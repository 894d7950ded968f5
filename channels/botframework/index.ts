/**
 * channels/botframework: `POST /api/messages` for the Bot Framework (Azure Bot Service
 * channels such as Teams and Direct Line, the Bot Framework Emulator) through botbuilder's
 * `CloudAdapter`. See the README's "Bot Framework" section.
 */
import express, { type Router } from 'express';
import type { Activity, Middleware, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { isRateLimited, isStoreUnavailable, type BotCore, type StoreHealth, type TurnAdmission } from '../../bots/index.js';
import { ShopError } from '../../store/index.js';
import { BotFrameworkCloudAdapter, type BotFrameworkAppType, type BotFrameworkAuthOptions } from './adapter.js';
import { renderForBotFramework } from './render.js';
import { isLoopbackUrl, toActivity } from './to-activity.js';

export { BotFrameworkCloudAdapter, type BotFrameworkAppType } from './adapter.js';
export { renderForBotFramework } from './render.js';
export { toActivity } from './to-activity.js';

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
}

export interface BotFrameworkChannel {
  router: Router;
  adapter: BotFrameworkCloudAdapter;
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
 * express route that feeds it. Anonymous without an app id (for the Emulator and local
 * Direct Line; replies then only go to a serviceUrl on this machine), JWT-checked with one.
 */
export function createBotFrameworkChannel(opts: BotFrameworkChannelOptions): BotFrameworkChannel {
  checkOptions(opts);
  const { core, logger } = opts;
  const maxText = opts.maxTextLength ?? 2000;
  const adapter = new BotFrameworkCloudAdapter(opts);

  // Registered before the core so it sees the whole turn, including a rate-limited one
  // that never reaches the later middleware.
  const rateLimited = new WeakSet<Partial<Activity>>();
  adapter.use(async (context, next) => {
    await next();
    if (isRateLimited(context)) rateLimited.add(context.activity);
  });
  core.install(adapter);
  adapter.use(renderMiddleware(opts.publicBaseUrl));

  if (adapter.anonymous) {
    logger.info('Bot Framework endpoint /api/messages is anonymous (no BOTFRAMEWORK_APP_ID): it answers the Emulator and local Direct Line clients only');
  } else {
    logger.info({ appId: opts.appId, appType: opts.appType ?? 'MultiTenant' }, 'Bot Framework endpoint /api/messages checks channel tokens');
  }

  const router = express.Router();
  router.post('/api/messages', async (req, res) => {
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
    const health = opts.health;
    const storeDown = (cause?: unknown) =>
      new ShopError('unavailable', 'the assistant cannot reach its database right now: deliver the activity again after Retry-After seconds', {
        cause,
        details: { reason: 'store_unavailable', retryAfterSeconds: health?.retryAfterSeconds ?? 5 },
      });
    if (health?.down && activity.type === 'message') throw storeDown();
    const turn = () => adapter.run(auth, activity, core.logic);
    let result: Awaited<ReturnType<typeof turn>>;
    try {
      result = opts.admission && activity.type === 'message' ? await opts.admission.run(turn) : await turn();
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      health?.failed(err);
      throw storeDown(err);
    }
    if (rateLimited.has(activity)) throw new ShopError('rate_limited', 'too many messages: wait a moment');
    // Invoke activities and expectReplies deliveries answer in the body; plain messages get 200.
    if (result) res.status(result.status).json(result.body ?? {});
    else res.status(200).end();
  });
  return { router, adapter };
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
