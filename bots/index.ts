/**
 * bots/: the channel-agnostic turn. Channels extend `ChannelAdapter`, install the
 * middleware from `createBotCore`, and run `core.bot.run` as the turn logic.
 */
import type { BotAdapter, Middleware, TurnContext } from 'botbuilder-core';
import type { Logger } from 'pino';
import type { BaseLanguageModelInterface } from '@langchain/core/language_models/base';
import type { DialogState } from 'botbuilder-dialogs';
import { createRouter, type KnowledgeSearch, type NluPort, type RecommenderPort, type RecommendLinks, type ServiceHours, type OrderNumberFormat } from '../skills/index.js';
import type { Locale } from '../store/index.js';
import type { Store } from '../store/index.js';
import { ChannelAdapter } from './adapter.js';
import { isStoreUnavailable } from './store-health.js';
import { ShopAssistantBot, type HandoffTriggers } from './bot.js';
import { HandoffService } from './handoff/index.js';
import { OutboundDelivery, type RetryPolicy } from './delivery.js';
import type { EventBus } from './events.js';
import { DEFAULT_LINK_LIMITS, LinkCodes, OwnerNotices, type LinkLimits } from './linking.js';
import { MergeLog } from './merge-log.js';
import { handoffGateMiddleware } from './middleware/handoff-gate.js';
import { identityMiddleware } from './middleware/identity.js';
import { rateLimitMiddleware } from './middleware/rate-limit.js';
import { transcriptMiddleware } from './middleware/transcript.js';
import { RateLimiter, type RateLimitRule } from './rate-limit.js';
import { CustomerState, ShopConversationState } from './state.js';

export { ChannelAdapter, type BotLogic, type ProcessOptions, type TurnOutcome } from './adapter.js';
export { TurnAdmission, OverloadError, isOverloadError, type AdmissionLimits, type AdmissionStats } from './admission.js';
export { StoreHealth, isStoreUnavailable, type StoreHealthOptions } from './store-health.js';
export { LocalEventBus, type EventBus, type ShopEvent } from './events.js';
export { RedisEventBus, coalesce, encodeEvent, decodeEvent, type RedisEventBusOptions, type RedisEventBusStats, type BusLogger } from './redis-bus.js';
export { MemoryReplayCache, RedisReplayCache, type ReplayCache, type MemoryReplayCacheOptions, type RedisReplayCacheOptions } from './replay-cache.js';
export { PRODUCT_CARD, productCardAttachment, readCards, readQuickReplies, type ProductCard, type QuickReply } from './cards.js';
export { resolveCustomer, resolveConversation, localeOf, channelAccount } from './middleware/identity.js';
export { isDuplicateDelivery, inboundMessageKey, answerIfUnanswered } from './middleware/transcript.js';
export { isHeldForAgent } from './middleware/handoff-gate.js';
export { isRateLimited } from './middleware/rate-limit.js';
export { RateLimiter, type RateLimitRule } from './rate-limit.js';
export { inboundMessage, turnCustomer, turnConversation } from './turn-state.js';
export { LinkCodes, OwnerNotices, GuessWindows, SharedGuessBudget, DEFAULT_LINK_LIMITS, canonicalLinkCode, formatLinkCode, forgetLinkCodes, newLinkCode, ipBucket, type LinkLimits, type AccountReferenceResolver } from './linking.js';
export { HandoffService, pickAgent, priorityOf, queueOrder, effectivePriority, topicOf, wechatWindow, WECHAT_WINDOW_MS, RATING_WINDOW_MS, parseRating, awaitsRating, type WeChatWindow } from './handoff/index.js';
export type { HandoffTriggers } from './bot.js';
export {
  OutboundDelivery,
  claimBeforeSending,
  isStoredMessage,
  classifyFailure,
  retryDelay,
  retryWindowMs,
  isTransientHttpStatus,
  wechatErrcodeIsTransient,
  deliveryView,
  DEFAULT_RETRY_POLICY,
  INTERRUPTED_ERROR,
  SHUTDOWN_ERROR,
  type RetryPolicy,
  type FailureVerdict,
  type DeliveryReporter,
  type DeliveryResult,
  type OutboundDeliveryOptions,
} from './delivery.js';

export interface BotCoreOptions {
  store: Store;
  events: EventBus;
  logger: Logger;
  rateLimits?: { perCustomer: RateLimitRule; perIp: RateLimitRule };
  linkCodeTtlMs?: number;
  /** Guess limits of link codes (LINK_MAX_FAILURES_*); default DEFAULT_LINK_LIMITS. */
  linkLimits?: LinkLimits;
  /** Redacts the text of messages before they are stored (REDACT_TRANSCRIPTS); the turn still sees the original. */
  redactTranscript?: (text: string) => string;
  /** The understanding module; without it the bot knows only the keyword basics. */
  nlu?: NluPort;
  /** The knowledge base the FAQ skill answers from. */
  kb?: KnowledgeSearch;
  articleLink?: (slug: string, locale: Locale) => string;
  faqMinConfidence?: number;
  chatModel?: BaseLanguageModelInterface;
  /** Product recommendations and the links on their cards; the recommend skill is off without it. */
  recommender?: { port: RecommenderPort; links?: RecommendLinks };
  clock?: () => Date;
  /** Human hand-off: off without it (the bot then tells shoppers how to reach a person). */
  handoff?: {
    autoAssign?: boolean;
    afterFallbacks?: number;
    sentimentThreshold?: number;
    highValueOrder?: number;
    onCount?: ConstructorParameters<typeof HandoffService>[0]['onCount'];
  };
  /** Retries of out-of-turn messages (agent replies, notices, late WeChat answers, app pushes). */
  outboundRetry?: RetryPolicy;
  /** Called after each shopper message's turn, with its channel and duration (metrics). */
  onTurnMeasured?: (channel: string, seconds: number) => void;
  /** Scores a message's mood (-1..1, anger) for the hand-off triggers and the agent console. */
  /** `cues`: the words that carried the mood (stripped to read what an upset shopper asks). */
  sentiment?: (text: string) => { score: number; anger: boolean; cues?: string[] };
  /** When people answer (SERVICE_HOURS): quoted to shoppers, and "closed now" when no agent is online outside them. */
  serviceHours?: ServiceHours;
  /** How the shop's order numbers look (ORDER_NUMBER_PATTERN); default SA + 6 digits. */
  orderNumbers?: OrderNumberFormat;
}

export interface BotCore {
  bot: ShopAssistantBot;
  linker: LinkCodes;
  /** Present when hand-off is on: channels register with it so agents can reply on them. */
  handoff?: HandoffService;
  /** Out-of-turn sends with retries and the delivery status on the stored message (start it; close it before the store). */
  delivery: OutboundDelivery;
  /** Tells the owner of a link code when it is used; a channel that keeps its shoppers' addresses registers its resolver here. */
  linkNotices: OwnerNotices;
  /** (timing) -> identity -> transcript -> rate limit -> handoff gate, in that order (a flood is limited whoever owns the conversation). */
  middleware: Middleware[];
  /** Installs the middleware and the turn-error handler on a channel adapter. */
  install(adapter: BotAdapter): void;
  logic: (context: TurnContext) => Promise<void>;
}

export function createBotCore(opts: BotCoreOptions): BotCore {
  const { store, events, logger } = opts;
  const ttl = opts.linkCodeTtlMs ?? 10 * 60_000;
  const merges = new MergeLog();
  const delivery = new OutboundDelivery({ store, events, logger, policy: opts.outboundRetry });
  // The owner of a link code hears on their channel when it is used (channels register in `install`).
  const linkNotices = new OwnerNotices(delivery, logger);
  const linker = new LinkCodes(store, store.botState, events, merges, { codeTtlMs: ttl, limits: opts.linkLimits ?? DEFAULT_LINK_LIMITS, notices: linkNotices, logger });
  const conversationState = new ShopConversationState(store.botState);
  const router = createRouter({
    linker,
    linkCodeMinutes: Math.round(ttl / 60_000),
    store,
    dialogState: conversationState.createProperty<DialogState>('dialogs'),
    nlu: opts.nlu,
    kb: opts.kb,
    getArticle: (id) => store.knowledge.get(id),
    getArticleBySlug: (slug, locale) => store.knowledge.getBySlug(slug, locale),
    articleLink: opts.articleLink,
    faqMinConfidence: opts.faqMinConfidence,
    chatModel: opts.chatModel,
    ...(opts.orderNumbers ? { orderNumbers: opts.orderNumbers } : {}),
    ...(opts.handoff?.afterFallbacks ? { escalateAfterFallbacks: opts.handoff.afterFallbacks } : {}),
    onError: (err) => logger.warn({ err }, 'generative answer failed; answering from the passage'),
    ...(opts.recommender ? { recommender: { ...opts.recommender, store } } : {}),
  });
  const handoff = opts.handoff
    ? new HandoffService({ store, events, logger, autoAssign: opts.handoff.autoAssign, onCount: opts.handoff.onCount, clock: opts.clock, delivery, serviceHours: opts.serviceHours })
    : undefined;
  const triggers: HandoffTriggers | undefined = opts.handoff
    ? {
        sentimentThreshold: opts.handoff.sentimentThreshold ?? -0.6,
        highValueOrder: opts.handoff.highValueOrder ?? 2000,
        findOrder: (n) => store.orders.getByNumber(n),
      }
    : undefined;
  const bot = new ShopAssistantBot({
    router,
    messages: store.messages,
    customerState: new CustomerState(store.botState),
    conversationState,
    logger,
    clock: opts.clock,
    handoff,
    sentiment: opts.sentiment,
    triggers,
    serviceHours: opts.serviceHours,
    ...(opts.redactTranscript ? { redact: opts.redactTranscript } : {}),
  });
  const limits = opts.rateLimits ?? { perCustomer: { burst: 10, perSecond: 0.5 }, perIp: { burst: 60, perSecond: 2 } };
  const measure: Middleware = {
    async onTurn(context, next) {
      if (!opts.onTurnMeasured || context.activity.type !== 'message') return next();
      const started = process.hrtime.bigint();
      try {
        await next();
      } finally {
        try {
          opts.onTurnMeasured(context.activity.channelId ?? 'unknown', Number(process.hrtime.bigint() - started) / 1e9);
        } catch (err) {
          logger.warn({ err }, 'turn metric failed');
        }
      }
    },
  };
  const middleware: Middleware[] = [
    measure,
    identityMiddleware(store),
    transcriptMiddleware({ messages: store.messages, events, merges, redact: opts.redactTranscript }),
    rateLimitMiddleware({ perCustomer: new RateLimiter(limits.perCustomer), perIp: new RateLimiter(limits.perIp) }),
    handoffGateMiddleware(async (context) => {
      // The agent sees what the bot understood of each message; the shopper sees only the queue notice.
      await bot.annotateHeld(context).catch((err: unknown) => logger.warn({ err }, 'could not annotate a held message'));
      await handoff?.onHeld(context);
    }),
  ];
  return {
    bot,
    linker,
    handoff,
    delivery,
    linkNotices,
    middleware,
    install(adapter) {
      if (handoff && adapter instanceof ChannelAdapter) handoff.registerChannel(adapter);
      if (adapter instanceof ChannelAdapter) linkNotices.registerChannel(adapter);
      adapter.use(...middleware);
      adapter.onTurnError = async (context, error) => {
        // The inbound message is stored already; log, and let the channel report the failure.
        // A store outage is logged once by the node's StoreHealth, not once per turn.
        if (!isStoreUnavailable(error)) logger.error({ err: error, channel: context.activity.channelId }, 'turn failed');
        throw error;
      };
    },
    logic: (context) => bot.run(context),
  };
}
