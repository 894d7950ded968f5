import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { BotAdapter } from 'botbuilder-core';
import type { AddressInfo } from 'node:net';
import { ShopError, type Store } from '../store/index.js';
import { openConfiguredStore } from './open-store.js';
import type { Config } from './config.js';
import { createHttpApp, createStartupApp } from './http.js';
import { InFlight } from './in-flight.js';
import type { Logger } from './logger.js';
import { Readiness } from './readiness.js';
import { seedDemoShop } from './seed.js';
import { localSecret } from './secrets.js';
import { createBotCore, LocalEventBus, StoreHealth, TurnAdmission, type EventBus } from '../bots/index.js';
import { coalesce, RateLimiter, RedisEventBus, type RateLimitRule } from '../bots/index.js';
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from '../bots/index.js';
import { createWebChannel } from '../channels/web/index.js';
import { createWeChatChannel, WeChatSpool } from '../channels/wechat/index.js';
import { createBotFrameworkChannel } from '../channels/botframework/index.js';
import { appChannelOff, createAppChannel } from '../channels/app/index.js';
import { mountWebPages } from './pages.js';
import { openRecommendations, type Recommendations } from './recommendations.js';
import { articleUrl, knowledgeRoutes } from './knowledge-routes.js';
import { loadUnderstanding, type UnderstandingModules } from './understanding.js';
import { ConsoleAuth } from './console/auth.js';
import { consoleRoutes, loadCannedResponses } from './console/routes.js';
import { attachConsoleSocket, CONSOLE_SOCKET_PATH } from './console/socket.js';
import { dispatchUpgrades } from './upgrades.js';
import { scoreSentiment } from '../skills/nlu/sentiment.js';
import { adminRoutes } from './admin-routes.js';
import { redactPII } from './redact.js';
import { privacyRoutes } from './privacy-routes.js';
import { Auditor } from './audit.js';
import { auditRoutes } from './audit-routes.js';
import { dashboardRoutes, Metrics } from './dashboard/index.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  readonly readiness: Readiness;
  readonly events: EventBus;
  /** This node's id on the event bus (its own reload events are not acted on twice). */
  readonly nodeId: string;
  /** Embeddings, knowledge base, catalogue matcher and NLU of this node. */
  readonly understanding: UnderstandingModules;
  /** The channel adapters that are on, for proactive messages (agents, notifications). */
  readonly adapters: Partial<Record<'web' | 'wechat' | 'app' | 'botframework', BotAdapter>>;
  /** The recommender, the ad server and the card links of this node. */
  readonly recommendations: Recommendations;
  /** The node's bound on shopper turns (running, waiting, shed). */
  readonly admission: TurnAdmission;
  /** Graceful: stop accepting, let requests in flight finish (bounded), close the store. */
  close(): Promise<void>;
}

export { openConfiguredStore } from './open-store.js';

/**
 * Hooks into a start for tests (a shop sets none of these; they are not settings).
 */
export interface StartOptions {
  /** Called as soon as the port is open, before anything is loaded, with the node's URL. */
  onListening?: (url: string) => void;
  /** One more startup step (tests: a deliberately slow one), run after the understanding has loaded. */
  extraStartupStep?: { name: string; detail?: string; run: () => Promise<void> };
}

/** The HTTP server, open from the start: it answers with the startup app until `serve` hands it the real one. */
interface EarlyServer {
  server: http.Server;
  url: string;
  port: number;
  serve(app: http.RequestListener): void;
  close(): Promise<void>;
}

/**
 * The composition root of one node. The port opens first, so /healthz answers (and /readyz
 * says what is still loading) during a first start that takes minutes; then config -> store ->
 * (demo data) -> understanding -> bot, channels, pages; only then does the port serve them.
 */
export async function startServer(config: Config, logger: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const startedAt = Date.now();
  const readiness = new Readiness();
  readiness.markStarting();
  const inFlight = new InFlight();
  const early = await listenEarly(config, logger, readiness, inFlight);
  opts.onListening?.(early.url);

  let store: Store | undefined;
  let bus: RedisEventBus | undefined;
  try {
    const opened = await readiness.step('store', `opening the ${config.store.kind} store`, () => openConfiguredStore(config, logger));
    store = opened;
    if (config.seedDemo) {
      const report = await readiness.step('demo', 'loading the demo shop into the store', () => seedDemoShop(opened));
      logger.info({ seed: report }, 'demo shop ready');
    }
    readiness.add('store', async () => {
      await opened.ping();
      return { ok: true, detail: opened.kind };
    });
    readiness.add('catalog', async () => {
      const page = await opened.products.list({}, { limit: 1 });
      const kb = await opened.knowledge.list({}, { limit: 1 });
      const ok = page.items.length > 0 && kb.items.length > 0;
      return ok ? { ok } : { ok, detail: 'no products or knowledge articles: run `npm run cli -- seed` or import a catalog' };
    });

    const understanding = await readiness.step(
      'understanding',
      `loading the embedding model ${config.models.embeddingsModel} and the knowledge, catalogue and intent indexes; a first start with a sentence model embeds everything and takes minutes`,
      () => loadUnderstanding(config, opened, logger),
    );
    readiness.add('understanding', async () => {
      const kb = understanding.kb.stats();
      const ok = kb.chunks > 0 && understanding.nlu.classifier.classes.length > 0;
      return { ok, detail: `${understanding.embeddings.modelId}; ${kb.articles} articles, ${kb.chunks} chunks; ${understanding.nlu.classifier.classes.length} intents` };
    });
    const extra = opts.extraStartupStep;
    if (extra) await readiness.step(extra.name, extra.detail ?? extra.name, extra.run);

    // Several nodes: events cross nodes over Redis. Unreachable Redis never stops the start (the bus warns and retries).
    const redis = config.redisUrl ? new RedisEventBus({ url: config.redisUrl, logger }) : undefined;
    bus = redis;
    if (redis) {
      await readiness.step('events', 'connecting to Redis', () => redis.ready(5000));
      readiness.add('events', async () => ({ ok: true, detail: redis.connected ? 'redis' : 'redis unreachable: serving this node\'s sockets only' }));
    }
    return await composeAndServe(config, logger, opened, readiness, inFlight, understanding, early, startedAt, redis);
  } catch (err) {
    await bus?.close().catch(() => {});
    await store?.close().catch(() => {});
    await early.close().catch(() => {});
    throw err;
  }
}

/**
 * Opens the port with the startup app (see `createStartupApp`): /healthz 200, /readyz 503
 * with what is loading, anything else 503 with Retry-After. `serve` swaps in the real app.
 */
async function listenEarly(config: Config, logger: Logger, readiness: Readiness, inFlight: InFlight): Promise<EarlyServer> {
  let handler: http.RequestListener = createStartupApp({ logger, readiness, inFlight, trustProxy: config.trustProxy });
  // The port's listener passes each request to the app now serving (`serving`: the startup app, then the real one).
  const dispatch = Object.assign((req: http.IncomingMessage, res: http.ServerResponse) => handler(req, res), { serving: handler });
  // A slow client is cut off (408) once it has taken headersTimeout for its headers or requestTimeout for the whole
  // request; both count only until the request is read, so long-polls and open WebSockets are not affected.
  const server = http.createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.http.headersTimeoutMs / 4))),
    },
    dispatch,
  );
  // Beyond it new connections are closed at once (widget sockets count: MAX_CONNECTIONS > MAX_SOCKETS).
  server.maxConnections = config.http.maxConnections;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new ShopError('unavailable', `cannot listen on ${config.host}:${config.port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After start, a server error is logged, never a crash.
  server.on('error', (err) => logger.error({ err }, 'http server error'));
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, port }, 'port open, starting: /healthz answers now, /readyz and every other route 503 until everything is loaded');
  return {
    server,
    url,
    port,
    serve: (app) => {
      handler = app;
      dispatch.serving = app;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Everything after the store and the models: bot, channels, pages, then the port serves them. A failure here closes the store (see the caller). */
async function composeAndServe(
  config: Config,
  logger: Logger,
  store: Store,
  readiness: Readiness,
  inFlight: InFlight,
  understanding: UnderstandingModules,
  early: EarlyServer,
  startedAt: number,
  bus?: RedisEventBus,
): Promise<RunningServer> {
  const nodeId = bus?.nodeId ?? randomUUID();
  const events: EventBus = bus ?? new LocalEventBus((err) => logger.error({ err }, 'event subscriber failed'));
  const recommendations = await openRecommendations(config, store, logger, undefined, {
    onReloaded: () => events.publish({ type: 'recommender.reload', node: nodeId }),
  });
  // What another node changed, this node reloads (bursts collapse into one more reload).
  const reloadKb = coalesce(
    () => understanding.kb.reload(),
    (err) => logger.warn({ err }, 'knowledge base reload failed'),
  );
  const reloadRecommender = coalesce(
    () => recommendations.reload(),
    (err) => logger.warn({ err }, 'recommender reload failed'),
  );
  const offReloads = events.subscribe((e) => {
    if ((e.type !== 'kb.changed' && e.type !== 'recommender.reload') || e.node === nodeId) return;
    logger.info({ from: e.node, type: e.type }, 'changed on another node: reloading');
    if (e.type === 'kb.changed') reloadKb();
    else reloadRecommender();
  });
  // Changes made elsewhere while Redis was down were missed: read the knowledge base again.
  const offRecovered = bus?.onRecovered(reloadKb);
  const metrics = new Metrics();
  // Whether the store answers: while it does not, the widget, the app API and Bot Framework get
  // temporary errors (503 / `unavailable` + Retry-After) at once and WeChat messages are spooled.
  const health = new StoreHealth({ ping: () => store.ping(), logger }).start();
  const spool = config.wechat ? await new WeChatSpool({ dir: config.wechat.spoolDir, maxMessages: config.wechat.spoolMaxMessages, logger }).open() : undefined;
  if (spool) readiness.add('wechatSpool', async () => ({ ok: !spool.full, detail: `${spool.size} of at most ${spool.opts.maxMessages} WeChat messages waiting for the store` }));
  metrics.collect(() => {
    metrics.set('shop_store_up', health.down ? 0 : 1);
    metrics.set('shop_wechat_spooled_messages', spool?.size ?? 0);
  });
  const core = createBotCore({
    store,
    events,
    logger,
    linkCodeTtlMs: config.linkCodeTtlMs,
    linkLimits: config.linkLimits,
    ...(config.redactTranscripts ? { redactTranscript: redactPII } : {}),
    nlu: understanding.nlu,
    kb: understanding.kb,
    articleLink: (slug, locale) => articleUrl(slug, locale, config.publicBaseUrl),
    faqMinConfidence: understanding.faqMinConfidence,
    chatModel: understanding.chatModel,
    recommender: { port: recommendations.port, links: recommendations.links },
    sentiment: (text) => scoreSentiment(text),
    serviceHours: config.serviceHours,
    orderNumbers: config.orderNumbers,
    onTurnMeasured: (channel, seconds) => {
      metrics.inc('shop_turns_total', { channel });
      metrics.observe('shop_turn_seconds', seconds);
    },
    handoff: {
      autoAssign: config.handoff.autoAssign,
      afterFallbacks: config.handoff.afterFallbacks,
      sentimentThreshold: config.handoff.sentimentThreshold,
      highValueOrder: config.handoff.highValueOrder,
      onCount: (what, labels) => metrics.inc(what === 'handoff' ? 'shop_handoffs_total' : what === 'agent_reply' ? 'shop_agent_replies_total' : 'shop_resolved_total', labels),
    },
    outboundRetry: config.outboundRetry,
    rateLimits: {
      perCustomer: burstOf(config.rateLimits.customerPerMinute, 10),
      perIp: burstOf(config.rateLimits.ipPerMinute, 60),
    },
  });
  const web = createWebChannel({
    store,
    core,
    events,
    logger,
    visitorSecret: config.web.tokenSecret ?? localSecret(config.dataDir, 'WEB_TOKEN_SECRET'),
    identitySecret: config.web.identitySecret,
    trustProxy: config.trustProxy,
    maxSockets: config.load.maxSockets,
    maxPendingFrames: config.load.maxSocketPendingFrames,
    visitorTokenTtlSeconds: config.web.visitorTokenTtlSeconds,
    sessionsPerIp: burstOf(config.web.sessionIpPerMinute, 60),
    health,
  });
  // Signatures and WeChat nonces already used (replay protection): shared by every node through Redis when there is one.
  const replayCache: ReplayCache = config.redisUrl ? new RedisReplayCache({ url: config.redisUrl, logger }) : new MemoryReplayCache({ logger });
  const wechat = config.wechat
    ? createWeChatChannel({ ...config.wechat, publicBaseUrl: config.publicBaseUrl, bodyLimit: config.bodyLimit, core, store, logger, inFlight, spool, health, replayCache })
    : undefined;
  const appChannel = config.app
    ? createAppChannel({
        store,
        core,
        events,
        logger,
        secret: config.app.hmacSecret,
        signatureToleranceSeconds: config.app.signatureToleranceSeconds,
        replayCache,
        bodyLimit: config.bodyLimit,
        health,
        push: config.app.pushUrl
          ? {
              url: config.app.pushUrl,
              maxAttempts: config.app.pushMaxAttempts,
              retryBaseMs: config.app.pushRetryBaseMs,
              maxDelayMs: config.outboundRetry.maxDelayMs,
              // Pushes of agent replies and notices mark their stored message (pending, sent, failed).
              reporter: core.delivery,
            }
          : undefined,
      })
    : undefined;
  // One gate for the node's shopper turns, whichever channel they come from (overload sheds with 503).
  const admission = new TurnAdmission({ maxConcurrent: config.load.maxConcurrentTurns, maxQueued: config.load.maxQueuedTurns, maxWaitMs: config.load.turnQueueWaitMs });
  for (const adapter of [web.adapter, wechat?.adapter, appChannel?.adapter]) adapter?.useAdmission(admission);
  const botframework = createBotFrameworkChannel({
    ...config.botframework,
    publicBaseUrl: config.publicBaseUrl,
    core,
    logger,
    admission,
    health,
    store,
    // Anonymous (no app id) only outside production: there, loopback is not proof of a local caller (a same-host proxy).
    allowAnonymous: config.env !== 'production',
  });
  const pages = await mountWebPages({ products: store.products });
  const handoff = core.handoff;
  const canned = loadCannedResponses(config.cannedResponsesFile);
  // The audit log of staff actions (logins, console actions, admin changes, privacy requests, refusals).
  const audit: Auditor = new Auditor({ store, logger, identify: (req) => auth.identify(req) });
  const auth = new ConsoleAuth({
    audit,
    agents: store.agents,
    sessions: store.botState,
    adminToken: config.adminToken,
    sessionTtlMs: config.console.sessionTtlMs,
    secureCookie: config.console.secureCookie,
    maxFailures: config.console.maxFailures,
    lockoutMs: config.console.lockoutMs,
    ipMaxFailures: config.console.ipMaxFailures,
    ipWindowMs: config.console.ipWindowMs,
    emailMaxFailures: config.console.emailMaxFailures,
    logger,
  });
  const stopSessionPurge = auth.startPurging(config.console.sessionPurgeMs);

  // The app API checks its HMAC over the raw body, so it mounts before the JSON parser.
  const rawRoutes = appChannel ? appChannel.router : appChannelOff();
  const mountFirst = (a: Express) => {
    a.use(metrics.httpMiddleware()); // counts every response, whichever router answers it
    a.use(rawRoutes);
  };
  const app = createHttpApp({ store, logger, readiness, inFlight, bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, mountBeforeBodyParsers: mountFirst }, (a) => {
    a.use(web.router);
    if (wechat) a.use(wechat.router);
    a.use(botframework.router);
    a.use(
      knowledgeRoutes(understanding.kb, {
        audit,
        adminToken: config.adminToken,
        publicBaseUrl: config.publicBaseUrl,
        guard: auth.require('admin'),
        onChange: () => events.publish({ type: 'kb.changed', node: nodeId }),
        // Anonymous: limited per client IP, its query length capped, and run in the shopper turns' admission gate.
        search: {
          maxQueryChars: config.knowledgeSearch.maxQueryChars,
          perIp: new RateLimiter(burstOf(config.knowledgeSearch.perMinute, 30)),
          admission,
        },
      }),
    );
    a.use(recommendations.router);
    a.use(auth.routes());
    if (handoff) {
      a.use(
        consoleRoutes({
          audit,
          store,
          auth,
          handoff,
          canned,
          suggest: async (text, locale) =>
            (await understanding.kb.search(text, { locale, k: 3 })).map((h) => ({
              title: h.heading ? `${h.title} · ${h.heading}` : h.title,
              text: h.text,
              url: articleUrl(h.slug, h.locale, config.publicBaseUrl),
              slug: h.slug,
              score: Math.round(h.confidence * 100) / 100,
            })),
        }),
      );
    }
    a.use(adminRoutes({ store, auth, audit, onAgentChange: (change) => events.publish({ type: 'agent', agentId: 'agent' in change ? change.agent.id : change.deletedId }) }));
    a.use(
      privacyRoutes({
        store,
        auth,
        audit,
        onAction: (act) => logger.info({ action: act.action, actor: act.actor, customerId: act.customerId, ...(act.counts ? { deleted: act.counts } : {}) }, 'privacy action'),
      }),
    );
    a.use(auditRoutes({ store, auth }));
    a.use(dashboardRoutes({ store, auth, metrics, embeddings: understanding.embeddings.embeddings, timeZone: config.recommender.timeZone, metricsToken: config.metricsToken }));
    a.use(audit.refusals()); // after every staff router: their 403s become `refused` entries
    a.use(pages);
  });
  const { server, url, port } = early;
  web.attach(server);
  const consoleSocket = handoff ? attachConsoleSocket(server, { store, auth, handoff, events, logger }) : undefined;
  // After every socket above: their paths go to them, any other upgrade is answered 404 and closed, a non-URL target 400.
  const offUpgrades = dispatchUpgrades(server, ['/ws/web', ...(consoleSocket ? [CONSOLE_SOCKET_PATH] : [])], logger);
  // Catches what no event triggered (an agent freed on another node, a missed wake-up).
  const sweep = handoff?.autoAssigns
    ? setInterval(() => void handoff.assignWaiting().catch((err: unknown) => logger.warn({ err }, 'assignment sweep failed')), 15_000)
    : undefined;
  sweep?.unref();
  // Out-of-turn sends are a durable outbox: what a stopped node left `pending` (its claim lapsed) is
  // resumed now and every OUTBOX_POLL_MS, by exactly one node (a compare-and-set claim in the store).
  core.delivery
    .useOutbox({ nodeId, leaseMs: config.outbox.leaseMs, pollEveryMs: config.outbox.pollMs, ...(handoff ? { resend: (m) => handoff.redeliver(m) } : {}) })
    .start();
  // Knowledge written outside this server (the CLI, another node without Redis) is picked up within KB_REFRESH_SECONDS.
  const kbRefresh =
    config.kbRefreshSeconds > 0
      ? setInterval(() => void understanding.kb.refreshIfChanged().catch((err: unknown) => logger.warn({ err }, 'knowledge refresh check failed')), config.kbRefreshSeconds * 1000)
      : undefined;
  kbRefresh?.unref();

  // The sockets are attached above; from here the port serves the shop (the startup app answered until now).
  early.serve(app);
  readiness.markStarted();
  logger.info({ url, port, store: store.kind, startupSeconds: Math.round((Date.now() - startedAt) / 100) / 10 }, 'listening');
  if (config.trustProxy === true) {
    logger.warn('TRUST_PROXY=true takes the first X-Forwarded-For entry, which clients write themselves: safe only behind a proxy that replaces the header; set TRUST_PROXY to the number of proxies in front (e.g. 1) otherwise');
  }
  // WeChat messages an earlier run spooled (the store was down) are replayed now, or once it answers.
  wechat?.replayer?.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      readiness.markDraining();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      clearInterval(sweep);
      clearInterval(kbRefresh);
      stopSessionPurge();
      offUpgrades();
      await web.close();
      await consoleSocket?.close();
      await appChannel?.close();
      // A spool replay in progress finishes; what is left stays on disk for the next start.
      await wechat?.close();
      // Retries not yet due are marked failed (the console offers Retry); status writes land before the store closes.
      await core.delivery.close(Math.min(config.shutdownTimeoutMs, 5000));
      const drained = await inFlight.drain(config.shutdownTimeoutMs);
      if (!drained) logger.warn({ inFlight: inFlight.size }, 'shutdown timeout: closing with requests still in flight');
      server.closeAllConnections();
      await stopped;
      offReloads();
      offRecovered?.();
      await bus?.close();
      await replayCache.close();
      health.stop();
      await store.close();
      logger.info('shutdown complete');
    })();
    return closing;
  };

  const adapters = { web: web.adapter, botframework: botframework.adapter, ...(wechat ? { wechat: wechat.adapter } : {}), ...(appChannel ? { app: appChannel.adapter } : {}) };
  return { url, port, store, readiness, events, nodeId, adapters, understanding, recommendations, admission, close };
}

/**
 * A per-minute limit as a token bucket: the burst is `floor` (10 per customer, 60 per IP), or
 * two seconds' worth when the limit is raised far beyond it, so a raised limit is raised for
 * bursts too (with a fixed burst of 60, 200 widget users behind one IP sending in the same
 * millisecond were refused whatever the per-minute figure).
 */
function burstOf(perMinute: number, floor: number): RateLimitRule {
  return { burst: Math.min(perMinute, Math.max(floor, Math.ceil(perMinute / 30))), perSecond: perMinute / 60 };
}
