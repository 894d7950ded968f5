import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { ShopError, safeParse } from '../store/index.js';
import type { ServiceHours, ServiceWindow } from '../skills/index.js';
import { DEFAULT_ORDER_NUMBER_SOURCE, parseOrderNumberFormat, type OrderNumberFormat } from '../skills/index.js';

/**
 * Every setting of Shop Assistant, read from the environment (and an optional `.env` file
 * in the working directory, which never overrides a variable that is already set).
 * The README's configuration table lists the same variables: keep them in step.
 */
const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: `${name} must be true or false` })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

/**
 * TRUST_PROXY: `false`, `true`, or the number of proxies in front of the server (0-10), given
 * to express unchanged (`app.set('trust proxy', …)`) and to the widget socket's
 * `socketClientIp`. A number N: the client is the address N hops back from the TCP peer (the
 * X-Forwarded-For entry each proxy appended), which a client cannot forge. `true` takes the
 * first X-Forwarded-For entry, which the client writes itself: only safe behind a proxy that
 * replaces the header.
 */
const trustProxy = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => v === 'true' || v === 'false' || (/^\d{1,2}$/.test(v) && Number(v) <= 10), {
    message: 'must be false, true, or the number of proxies in front of the server (an integer from 0 to 10)',
  })
  .transform((v): boolean | number => (v === 'true' ? true : v === 'false' ? false : Number(v)));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  DATA_DIR: z.string().trim().min(1).default('./data/runtime'),
  SQLITE_FILE: z.string().trim().min(1).optional(),
  MONGODB_URI: z
    .string()
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/.+/, { message: 'must start with mongodb:// or mongodb+srv://' })
    .optional(),
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: int(100, 120_000).default(5000),
  MONGODB_SOCKET_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/.+/, { message: 'must start with redis:// or rediss://' })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: bool('SEED_DEMO').default(true),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  KB_REFRESH_SECONDS: int(0, 86_400).default(30),
  TRUST_PROXY: trustProxy.default(false),
  WEB_TOKEN_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  WEB_IDENTITY_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  /** How long a widget visitor token lives after it was issued (renewed by the session call); then the visitor starts over. */
  VISITOR_TOKEN_TTL_DAYS: int(1, 3650).default(90),
  /** POST /api/web/session calls per minute per client IP (the widget makes one per page load). */
  WEB_SESSION_IP_PER_MINUTE: int(1, 1_000_000).default(300),
  RATE_LIMIT_CUSTOMER_PER_MINUTE: int(1, 100_000).default(30),
  RATE_LIMIT_IP_PER_MINUTE: int(1, 1_000_000).default(300),
  MAX_CONCURRENT_TURNS: int(1, 10_000).default(8),
  MAX_QUEUED_TURNS: int(0, 100_000).default(200),
  TURN_QUEUE_WAIT_MS: int(10, 600_000).default(5000),
  MAX_SOCKETS: int(1, 1_000_000).default(10_000),
  MAX_SOCKET_PENDING_FRAMES: int(1, 10_000).default(16),
  /** TCP connections open at once on this node (HTTP, widget and console sockets); default MAX_SOCKETS + 10,000. */
  MAX_CONNECTIONS: int(2, 10_000_000).optional(),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(15_000),
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  KNOWLEDGE_SEARCH_PER_MINUTE: int(1, 1_000_000).default(120),
  KNOWLEDGE_SEARCH_MAX_CHARS: int(1, 10_000).default(500),
  LINK_CODE_TTL_MINUTES: int(1, 1440).default(10),
  /** Wrong link codes a customer may send per code lifetime (LINK_CODE_TTL_MINUTES). */
  LINK_MAX_FAILURES_PER_CUSTOMER: int(1, 1000).default(5),
  /** Wrong link codes per client IP (IPv6: per /64), or per channel account where the channel has no IP, per code lifetime; per node. */
  LINK_MAX_FAILURES_PER_IP: int(1, 100_000).default(10),
  /** Wrong codes with a live code's first half after which that code is void. */
  LINK_MAX_FAILURES_PER_CODE: int(1, 100).default(3),
  /** Wrong link codes per minute across all customers and nodes; then redeeming pauses until the minute ends. */
  LINK_MAX_FAILURES_PER_MINUTE: int(1, 1_000_000).default(30),
  PUBLIC_BASE_URL: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
  WECHAT_TOKEN: z.string().trim().regex(/^[A-Za-z0-9]{3,32}$/, { message: 'must be 3-32 letters or digits (as WeChat requires)' }).optional(),
  WECHAT_APP_ID: z.string().trim().min(1).optional(),
  WECHAT_APP_SECRET: z.string().trim().min(1).optional(),
  WECHAT_ENCODING_AES_KEY: z.string().trim().regex(/^[A-Za-z0-9+/]{43}$/, { message: 'must be the 43-character EncodingAESKey' }).optional(),
  WECHAT_API_BASE: z.url({ message: 'must be an absolute http(s) URL' }).default('https://api.weixin.qq.com'),
  WECHAT_REPLY_DEADLINE_MS: int(100, 4900).default(4500),
  /** How far a WeChat request's `timestamp` may be from the server clock (either side) before it is refused as a replay. */
  WECHAT_SIGNATURE_TOLERANCE_SECONDS: int(30, 3600).default(300),
  WECHAT_SPOOL_DIR: z.string().trim().min(1).optional(),
  WECHAT_SPOOL_MAX_MESSAGES: int(1, 10_000_000).default(10_000),
  APP_HMAC_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  APP_SIGNATURE_TOLERANCE_SECONDS: int(1, 3600).default(300),
  APP_PUSH_URL: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).optional(),
  /** Overrides OUTBOUND_RETRY_ATTEMPTS / OUTBOUND_RETRY_BASE_MS for app pushes only (older setting names). */
  APP_PUSH_MAX_ATTEMPTS: int(1, 20).optional(),
  APP_PUSH_RETRY_BASE_MS: int(1, 600_000).optional(),
  OUTBOUND_RETRY_ATTEMPTS: int(1, 20).default(5),
  OUTBOUND_RETRY_BASE_MS: int(1, 600_000).default(1000),
  OUTBOUND_RETRY_MAX_DELAY_MS: int(1, 3_600_000).default(60_000),
  /** The outbox: how often a node looks for deliveries a stopped node left (0 = only at start), and how long a claim holds unrenewed. */
  OUTBOX_POLL_MS: int(0, 3_600_000).default(15_000),
  OUTBOX_LEASE_MS: int(1000, 3_600_000).default(30_000),
  BOTFRAMEWORK_APP_ID: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'must be the Microsoft App ID (a GUID)' })
    .optional(),
  BOTFRAMEWORK_APP_PASSWORD: z.string().min(1).optional(),
  BOTFRAMEWORK_TENANT_ID: z.string().trim().min(1).optional(),
  BOTFRAMEWORK_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
  /** One Bot Connector call (a reply, an agent's message); a slower or dead connector makes it a retried delivery. */
  BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS: int(100, 60_000).default(5000),
  EMBEDDINGS_MODEL: z.string().trim().min(1).default('sentence-transformers/all-MiniLM-L6-v2'),
  /**
   * Chinese messages' model: `none` (Chinese follows EMBEDDINGS_MODEL), `auto` (the multilingual
   * model when installed), or a model id. Off by default: on the conversation bench's dev split it
   * does not yet win (one Chinese conversation fewer), and it doubles start time and adds ~600 MB.
   */
  EMBEDDINGS_MODEL_ZH: z
    .string()
    .trim()
    .min(1)
    .refine((v) => v !== 'lexical', { message: 'lexical is no model for a route: use none (Chinese then follows EMBEDDINGS_MODEL)' })
    .default('none'),
  MODELS_DIR: z.string().trim().min(1).default('./models'),
  MODELS_ALLOW_REMOTE: bool('MODELS_ALLOW_REMOTE').default(false),
  INDEX_DIR: z.string().trim().min(1).optional(),
  ADMIN_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  FAQ_MIN_SCORE: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'expected a number from 0 to 1' })
    .transform(Number)
    .optional(),
  NLU_MODEL_FILE: z.string().trim().min(1).optional(),
  CHAT_MODEL_MODULE: z.string().trim().min(1).optional(),
  REC_MODEL_FILE: z.string().trim().min(1).optional(),
  HANDOFF_AFTER_FALLBACKS: int(1, 20).default(3),
  HANDOFF_HIGH_VALUE_ORDER: int(0, 100_000_000).default(2000),
  HANDOFF_SENTIMENT_THRESHOLD: z
    .string()
    .trim()
    .regex(/^-(0(\.\d+)?|1(\.0+)?)$/, { message: 'expected a number from -1 to 0, e.g. -0.6' })
    .transform(Number)
    .default(-0.6),
  HANDOFF_AUTO_ASSIGN: bool('HANDOFF_AUTO_ASSIGN').default(true),
  CONSOLE_SESSION_HOURS: int(1, 24 * 30).default(12),
  CONSOLE_SECURE_COOKIE: bool('CONSOLE_SECURE_COOKIE').default(false),
  CONSOLE_LOGIN_MAX_FAILURES: int(1, 1000).default(5),
  CONSOLE_LOCKOUT_MINUTES: int(1, 1440).default(15),
  CONSOLE_LOGIN_IP_MAX_FAILURES: int(1, 100_000).default(20),
  CONSOLE_LOGIN_IP_WINDOW_MINUTES: int(1, 1440).default(15),
  CONSOLE_LOGIN_EMAIL_MAX_FAILURES: int(0, 100_000).default(50),
  CONSOLE_SESSION_PURGE_MINUTES: int(1, 1440).default(10),
  REDACT_TRANSCRIPTS: bool('REDACT_TRANSCRIPTS').default(false),
  CANNED_RESPONSES_FILE: z.string().trim().min(1).optional(),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  TRACKING_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  SHOP_URL: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).optional(),
  PRODUCT_URL_TEMPLATE: z.string().trim().regex(/\{id\}/, { message: 'must contain {id}' }).default('/demo/p/{id}'),
  CART_URL_TEMPLATE: z.string().trim().regex(/\{id\}/, { message: 'must contain {id}' }).default('/demo/cart/add/{id}'),
  ADS_ENABLED: bool('ADS_ENABLED').default(true),
  AD_FREQUENCY_CAP: int(1, 1000).default(3),
  AD_RELEVANCE_FLOOR: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'expected a number from 0 to 1' })
    .transform(Number)
    .default(0.2),
  SHOP_TIME_ZONE: z
    .string()
    .trim()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, { message: 'must be an IANA time zone such as Asia/Shanghai' })
    .default('Asia/Shanghai'),
  /** When people answer shoppers; parsed (with SHOP_TIME_ZONE) by `parseServiceHours`. */
  SERVICE_HOURS: z.string().trim().min(1).default('09:00-22:00'),
  /**
   * How the shop's order numbers look: one short regular expression, or several separated by a comma or
   * a top-level "|" ("SA\\d{6},\\d{8,20}"); each checked by `parseOrderNumberFormat`, the first gives the example.
   */
  ORDER_NUMBER_PATTERN: z.string().trim().min(1).default(DEFAULT_ORDER_NUMBER_SOURCE),
  /** One of the shop's order numbers, shown to shoppers ("ours look like …"); default: made from the pattern. */
  ORDER_NUMBER_EXAMPLE: z.string().trim().min(1).max(40).optional(),
  BODY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(b|kb|mb)$/i, { message: 'expected a size such as 100kb or 1mb' })
    .default('100kb'),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  env: RawConfig['NODE_ENV'];
  host: string;
  port: number;
  dataDir: string;
  store: { kind: 'sqlite'; file: string } | { kind: 'mongo'; uri: string; serverSelectionTimeoutMS: number; socketTimeoutMS: number };
  /** Several nodes: cross-node events over Redis pub/sub (REDIS_URL); unset = one node, events in memory. */
  redisUrl?: string;
  logLevel: RawConfig['LOG_LEVEL'];
  seedDemo: boolean;
  shutdownTimeoutMs: number;
  /** How often a server checks whether knowledge changed outside it (0: never). */
  kbRefreshSeconds: number;
  /** TRUST_PROXY: false, true (the first X-Forwarded-For entry) or the number of proxies in front (express's 'trust proxy'). */
  trustProxy: boolean | number;
  bodyLimit: string;
  /** The widget's tokens and sessions: visitor token lifetime, session calls per minute per client IP. */
  web: { tokenSecret?: string; identitySecret?: string; visitorTokenTtlSeconds: number; sessionIpPerMinute: number };
  rateLimits: { customerPerMinute: number; ipPerMinute: number };
  /** Bounded work per node: turns running and waiting, widget sockets, frames waiting per socket. */
  load: { maxConcurrentTurns: number; maxQueuedTurns: number; turnQueueWaitMs: number; maxSockets: number; maxSocketPendingFrames: number };
  /** The HTTP server's own bounds: connections open at once, and how long a client may take to send headers / the whole request. */
  http: { maxConnections: number; headersTimeoutMs: number; requestTimeoutMs: number };
  /** GET /api/knowledge/search: requests per minute per client IP, and the longest query. */
  knowledgeSearch: { perMinute: number; maxQueryChars: number };
  linkCodeTtlMs: number;
  /** Guess limits of link codes (see bots/linking.ts). */
  linkLimits: { perCustomer: number; perSource: number; perCode: number; perMinute: number };
  publicBaseUrl?: string;
  /** Present when WECHAT_TOKEN is set (the channel is on). */
  wechat?: {
    token: string;
    appId: string;
    appSecret: string;
    encodingAESKey?: string;
    apiBase: string;
    replyDeadlineMs: number;
    /** The replay window of WeChat's signed query strings (WECHAT_SIGNATURE_TOLERANCE_SECONDS). */
    signatureToleranceSeconds: number;
    /** Messages taken while the store is down wait here, one file each (WECHAT_SPOOL_DIR, default <DATA_DIR>/spool/wechat). */
    spoolDir: string;
    /** Beyond this many spooled messages WeChat is not told `success` (it retries). */
    spoolMaxMessages: number;
  };
  /** Always on: anonymous without an app id (Emulator, local Direct Line), JWT-checked with one. */
  botframework: { appId?: string; appPassword?: string; tenantId?: string; appType: RawConfig['BOTFRAMEWORK_APP_TYPE']; connectorTimeoutMs: number };
  /** Sentence embeddings, HNSW indexes and the trained NLU model. */
  models: {
    embeddingsModel: string;
    /**
     * The model Chinese messages and knowledge queries are routed to: `auto` (default: the
     * multilingual model when it is installed and EMBEDDINGS_MODEL is a sentence model),
     * `none` (every language on EMBEDDINGS_MODEL), or a model id.
     */
    embeddingsModelZh: string;
    modelsDir: string;
    allowRemote: boolean;
    indexDir: string;
    nluModelFile: string;
    /** Below this retrieval confidence the FAQ skill asks to rephrase; undefined = the knowledge module's default. */
    faqMinScore?: number;
    /** An ES module whose `createChatModel()` returns a LangChain chat model: turns on grounded generative FAQ answers. */
    chatModelModule?: string;
  };
  /** Bearer token for the admin API (/api/admin/*); scripts presenting it act as an admin. */
  adminToken?: string;
  /** When a conversation goes to a human, and how it is routed. */
  handoff: {
    afterFallbacks: number;
    /** Order total (shop currency) from which a problem with the order goes to a human. */
    highValueOrder: number;
    /** A message at or below this sentiment (-1..0) goes to a human. */
    sentimentThreshold: number;
    /** Assign queued conversations to the least busy matching agent; off = agents claim. */
    autoAssign: boolean;
  };
  /**
   * The agent console's sessions and logins: failed logins per (e-mail, IP) before a lockout and its length;
   * failed logins per IP per window; how often expired sessions are purged.
   */
  console: {
    sessionTtlMs: number;
    secureCookie: boolean;
    maxFailures: number;
    lockoutMs: number;
    ipMaxFailures: number;
    ipWindowMs: number;
    /** Failed logins per e-mail, all addresses, per window before only its known addresses may try it (0: off). */
    emailMaxFailures: number;
    sessionPurgeMs: number;
  };
  /** Mask phones, e-mails, card and ID numbers in stored message text (REDACT_TRANSCRIPTS). */
  redactTranscripts: boolean;
  /** The console's canned responses (JSON). */
  cannedResponsesFile: string;
  /** Protects /metrics (Bearer) when set. */
  metricsToken?: string;
  /** Recommendations, sponsored products and the click-tracking links on product cards. */
  recommender: {
    modelFile: string;
    trackingSecret?: string;
    shopUrl?: string;
    productUrlTemplate: string;
    cartUrlTemplate: string;
    ads: boolean;
    frequencyCap: number;
    relevanceFloor: number;
    timeZone: string;
  };
  /**
   * SERVICE_HOURS: when agents answer, in SHOP_TIME_ZONE unless the setting names a zone. The bot quotes
   * them, and tells a shopper handed off while no agent is online whether the team is closed or busy.
   */
  serviceHours: ServiceHours;
  /**
   * ORDER_NUMBER_PATTERN / ORDER_NUMBER_EXAMPLE: how the shop's order numbers look. The entity
   * extractor reads them in messages; a number the shopper calls an order number in another
   * format gets "ours look like <example>", never a phone-number question.
   */
  orderNumbers: OrderNumberFormat;
  /** Retries of out-of-turn sends (agent replies, notices, late WeChat answers, app pushes): attempts, first wait, longest wait. */
  outboundRetry: { attempts: number; baseMs: number; maxDelayMs: number };
  /**
   * The durable outbox of out-of-turn sends: every `pollMs` (OUTBOX_POLL_MS; 0 = only at
   * start) a node resumes pending deliveries whose claim lapsed; a claim holds `leaseMs`
   * (OUTBOX_LEASE_MS) unrenewed, so a crashed node's deliveries resume that long after it died.
   */
  outbox: { pollMs: number; leaseMs: number };
  /** Present when APP_HMAC_SECRET is set (the mobile app channel is on). */
  app?: { hmacSecret: string; signatureToleranceSeconds: number; pushUrl?: string; pushMaxAttempts: number; pushRetryBaseMs: number };
}

/** Reads `.env` from `cwd` if present; variables already in `env` win. */
export function readDotenv(cwd: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return env;
  const fromFile = parseDotenv(readFileSync(file));
  return { ...fromFile, ...env };
}

/**
 * Validates the environment. Throws `config_invalid` whose message names every bad
 * variable, e.g. `PORT: expected an integer from 0 to 65535 (got "abc")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const merged = readDotenv(cwd, env);
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = merged[key];
    // An empty variable counts as unset, as in most twelve-factor tools.
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = safeParse(schema, input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const got = input[name];
      return `${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new ShopError('config_invalid', `Invalid configuration:\n  ${lines.join('\n  ')}`, {
      details: { variables: parsed.error.issues.map((i) => String(i.path[0] ?? '?')) },
    });
  }
  const c = parsed.data;
  if (c.WECHAT_TOKEN) {
    const missing = (['WECHAT_APP_ID', 'WECHAT_APP_SECRET'] as const).filter((k) => !c[k]);
    if (missing.length > 0) {
      throw new ShopError('config_invalid', `Invalid configuration:\n  ${missing.map((m) => `${m}: required when WECHAT_TOKEN is set`).join('\n  ')}`, {
        details: { variables: missing },
      });
    }
  }
  if (c.APP_PUSH_URL && !c.APP_HMAC_SECRET) {
    // Pushes are signed with the app secret, and without it the app channel is off.
    throw new ShopError('config_invalid', 'Invalid configuration:\n  APP_PUSH_URL: needs APP_HMAC_SECRET (pushes are signed with it)', {
      details: { variables: ['APP_PUSH_URL'] },
    });
  }
  const maxConnections = c.MAX_CONNECTIONS ?? c.MAX_SOCKETS + 10_000;
  const httpProblems: Array<{ name: string; message: string }> = [];
  if (maxConnections <= c.MAX_SOCKETS) {
    httpProblems.push({ name: 'MAX_CONNECTIONS', message: `must be more than MAX_SOCKETS (${c.MAX_SOCKETS}): widget sockets are connections too, and HTTP needs some left` });
  }
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    httpProblems.push({ name: 'HTTP_HEADERS_TIMEOUT_MS', message: `must be at most HTTP_REQUEST_TIMEOUT_MS (${c.HTTP_REQUEST_TIMEOUT_MS})` });
  }
  if (httpProblems.length > 0) {
    throw new ShopError('config_invalid', `Invalid configuration:\n  ${httpProblems.map((p) => `${p.name}: ${p.message}`).join('\n  ')}`, {
      details: { variables: httpProblems.map((p) => p.name) },
    });
  }
  const bfProblems = botFrameworkProblems(c, input['BOTFRAMEWORK_APP_TYPE'] !== undefined);
  if (bfProblems.length > 0) {
    throw new ShopError('config_invalid', `Invalid configuration:\n  ${bfProblems.map((p) => `${p.name}: ${p.message}`).join('\n  ')}`, {
      details: { variables: bfProblems.map((p) => p.name) },
    });
  }
  const serviceHours = parseServiceHours(c.SERVICE_HOURS, c.SHOP_TIME_ZONE);
  if (typeof serviceHours === 'string') {
    throw new ShopError('config_invalid', `Invalid configuration:\n  SERVICE_HOURS: ${serviceHours} (got ${JSON.stringify(c.SERVICE_HOURS)})`, {
      details: { variables: ['SERVICE_HOURS'] },
    });
  }
  const orderNumbers = parseOrderNumberFormat(c.ORDER_NUMBER_PATTERN, c.ORDER_NUMBER_EXAMPLE);
  if (typeof orderNumbers === 'string') {
    const variables = orderNumbers.includes('ORDER_NUMBER_EXAMPLE') ? ['ORDER_NUMBER_PATTERN', 'ORDER_NUMBER_EXAMPLE'] : ['ORDER_NUMBER_PATTERN'];
    throw new ShopError('config_invalid', `Invalid configuration:\n  ORDER_NUMBER_PATTERN: ${orderNumbers} (got ${JSON.stringify(c.ORDER_NUMBER_PATTERN)})`, {
      details: { variables },
    });
  }
  const dataDir = path.resolve(cwd, c.DATA_DIR);
  return {
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    dataDir,
    store: c.MONGODB_URI
      ? { kind: 'mongo', uri: c.MONGODB_URI, serverSelectionTimeoutMS: c.MONGODB_SERVER_SELECTION_TIMEOUT_MS, socketTimeoutMS: c.MONGODB_SOCKET_TIMEOUT_MS }
      : { kind: 'sqlite', file: path.resolve(dataDir, c.SQLITE_FILE ?? 'shop.db') },
    redisUrl: c.REDIS_URL,
    logLevel: c.LOG_LEVEL,
    seedDemo: c.SEED_DEMO,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    kbRefreshSeconds: c.KB_REFRESH_SECONDS,
    trustProxy: c.TRUST_PROXY,
    bodyLimit: c.BODY_LIMIT.toLowerCase(),
    web: {
      tokenSecret: c.WEB_TOKEN_SECRET,
      identitySecret: c.WEB_IDENTITY_SECRET,
      visitorTokenTtlSeconds: c.VISITOR_TOKEN_TTL_DAYS * 86_400,
      sessionIpPerMinute: c.WEB_SESSION_IP_PER_MINUTE,
    },
    rateLimits: { customerPerMinute: c.RATE_LIMIT_CUSTOMER_PER_MINUTE, ipPerMinute: c.RATE_LIMIT_IP_PER_MINUTE },
    load: {
      maxConcurrentTurns: c.MAX_CONCURRENT_TURNS,
      maxQueuedTurns: c.MAX_QUEUED_TURNS,
      turnQueueWaitMs: c.TURN_QUEUE_WAIT_MS,
      maxSockets: c.MAX_SOCKETS,
      maxSocketPendingFrames: c.MAX_SOCKET_PENDING_FRAMES,
    },
    http: { maxConnections, headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS },
    knowledgeSearch: { perMinute: c.KNOWLEDGE_SEARCH_PER_MINUTE, maxQueryChars: c.KNOWLEDGE_SEARCH_MAX_CHARS },
    linkCodeTtlMs: c.LINK_CODE_TTL_MINUTES * 60_000,
    linkLimits: {
      perCustomer: c.LINK_MAX_FAILURES_PER_CUSTOMER,
      perSource: c.LINK_MAX_FAILURES_PER_IP,
      perCode: c.LINK_MAX_FAILURES_PER_CODE,
      perMinute: c.LINK_MAX_FAILURES_PER_MINUTE,
    },
    publicBaseUrl: c.PUBLIC_BASE_URL?.replace(/\/$/, ''),
    wechat: c.WECHAT_TOKEN
      ? {
          token: c.WECHAT_TOKEN,
          appId: c.WECHAT_APP_ID ?? '',
          appSecret: c.WECHAT_APP_SECRET ?? '',
          encodingAESKey: c.WECHAT_ENCODING_AES_KEY,
          apiBase: c.WECHAT_API_BASE.replace(/\/$/, ''),
          replyDeadlineMs: c.WECHAT_REPLY_DEADLINE_MS,
          signatureToleranceSeconds: c.WECHAT_SIGNATURE_TOLERANCE_SECONDS,
          spoolDir: path.resolve(dataDir, c.WECHAT_SPOOL_DIR ?? 'spool/wechat'),
          spoolMaxMessages: c.WECHAT_SPOOL_MAX_MESSAGES,
        }
      : undefined,
    botframework: {
      appId: c.BOTFRAMEWORK_APP_ID,
      appPassword: c.BOTFRAMEWORK_APP_PASSWORD,
      tenantId: c.BOTFRAMEWORK_TENANT_ID,
      appType: c.BOTFRAMEWORK_APP_TYPE,
      connectorTimeoutMs: c.BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS,
    },
    models: {
      embeddingsModel: c.EMBEDDINGS_MODEL,
      embeddingsModelZh: c.EMBEDDINGS_MODEL_ZH,
      modelsDir: path.resolve(cwd, c.MODELS_DIR),
      allowRemote: c.MODELS_ALLOW_REMOTE,
      indexDir: path.resolve(dataDir, c.INDEX_DIR ?? 'indexes'),
      nluModelFile: path.resolve(dataDir, c.NLU_MODEL_FILE ?? 'nlu-model.json'),
      faqMinScore: c.FAQ_MIN_SCORE,
      chatModelModule: c.CHAT_MODEL_MODULE ? path.resolve(cwd, c.CHAT_MODEL_MODULE) : undefined,
    },
    adminToken: c.ADMIN_TOKEN,
    handoff: {
      afterFallbacks: c.HANDOFF_AFTER_FALLBACKS,
      highValueOrder: c.HANDOFF_HIGH_VALUE_ORDER,
      sentimentThreshold: c.HANDOFF_SENTIMENT_THRESHOLD,
      autoAssign: c.HANDOFF_AUTO_ASSIGN,
    },
    console: {
      sessionTtlMs: c.CONSOLE_SESSION_HOURS * 3600_000,
      secureCookie: c.CONSOLE_SECURE_COOKIE,
      maxFailures: c.CONSOLE_LOGIN_MAX_FAILURES,
      lockoutMs: c.CONSOLE_LOCKOUT_MINUTES * 60_000,
      ipMaxFailures: c.CONSOLE_LOGIN_IP_MAX_FAILURES,
      ipWindowMs: c.CONSOLE_LOGIN_IP_WINDOW_MINUTES * 60_000,
      emailMaxFailures: c.CONSOLE_LOGIN_EMAIL_MAX_FAILURES,
      sessionPurgeMs: c.CONSOLE_SESSION_PURGE_MINUTES * 60_000,
    },
    redactTranscripts: c.REDACT_TRANSCRIPTS,
    metricsToken: c.METRICS_TOKEN,
    cannedResponsesFile: c.CANNED_RESPONSES_FILE ? path.resolve(cwd, c.CANNED_RESPONSES_FILE) : fileURLToPath(new URL('../data/canned-responses.json', import.meta.url)),
    recommender: {
      modelFile: path.resolve(dataDir, c.REC_MODEL_FILE ?? 'recommender/model.bin'),
      trackingSecret: c.TRACKING_SECRET,
      shopUrl: c.SHOP_URL?.replace(/\/$/, ''),
      productUrlTemplate: c.PRODUCT_URL_TEMPLATE,
      cartUrlTemplate: c.CART_URL_TEMPLATE,
      ads: c.ADS_ENABLED,
      frequencyCap: c.AD_FREQUENCY_CAP,
      relevanceFloor: c.AD_RELEVANCE_FLOOR,
      timeZone: c.SHOP_TIME_ZONE,
    },
    serviceHours,
    orderNumbers,
    app: c.APP_HMAC_SECRET
      ? {
          hmacSecret: c.APP_HMAC_SECRET,
          signatureToleranceSeconds: c.APP_SIGNATURE_TOLERANCE_SECONDS,
          pushUrl: c.APP_PUSH_URL,
          pushMaxAttempts: c.APP_PUSH_MAX_ATTEMPTS ?? c.OUTBOUND_RETRY_ATTEMPTS,
          pushRetryBaseMs: c.APP_PUSH_RETRY_BASE_MS ?? c.OUTBOUND_RETRY_BASE_MS,
        }
      : undefined,
    outboundRetry: {
      attempts: c.OUTBOUND_RETRY_ATTEMPTS,
      baseMs: c.OUTBOUND_RETRY_BASE_MS,
      // The ceiling never undercuts the first wait.
      maxDelayMs: Math.max(c.OUTBOUND_RETRY_MAX_DELAY_MS, c.OUTBOUND_RETRY_BASE_MS),
    },
    outbox: { pollMs: c.OUTBOX_POLL_MS, leaseMs: c.OUTBOX_LEASE_MS },
  };
}

const SERVICE_HOURS_FORMAT =
  'expected "HH:MM-HH:MM" every day, weekdays before it ("Mon-Fri 09:00-18:00"), several windows separated by ";" ("Mon-Fri 09:00-18:00; Sat 10:00-16:00"), optionally a time zone last ("09:00-22:00 Europe/Berlin"), or "24/7"';
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const TIME_ZONE_TOKEN = /^(?:UTC|GMT|[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)$/;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "09:00" -> 540; "24:00" only as a closing time; undefined when malformed. */
function minuteOf(text: string, closing: boolean): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (closing && h === 24 && min === 0) return 1440;
  return h <= 23 && min <= 59 ? h * 60 + min : undefined;
}

/** "Mon-Fri,Sun" -> [1,2,3,4,5,0] (a range may wrap: "Fri-Mon"); a string says what is wrong. */
function daysOf(text: string): number[] | string {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, ...rest] = part.trim().toLowerCase().split('-');
    const a = WEEKDAYS.indexOf(from ?? '');
    const b = to === undefined ? a : WEEKDAYS.indexOf(to);
    if (rest.length > 0 || a < 0 || b < 0) return `"${part.trim()}" is not a weekday or a range of them (Mon, Tue, Wed, Thu, Fri, Sat, Sun; e.g. Mon-Fri)`;
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days];
}

/**
 * SERVICE_HOURS as weekly windows; `defaultZone` (SHOP_TIME_ZONE) unless the text ends with a
 * zone. A string return says what is wrong with the text.
 */
export function parseServiceHours(text: string, defaultZone: string): ServiceHours | string {
  const tokens = text.trim().split(/\s+/);
  let timeZone = defaultZone;
  if (tokens.length > 1 && TIME_ZONE_TOKEN.test(tokens.at(-1)!)) {
    timeZone = tokens.pop()!;
    if (!validTimeZone(timeZone)) return `"${timeZone}" is not an IANA time zone such as Asia/Shanghai`;
  }
  const rest = tokens.join(' ');
  if (rest === '24/7') return { windows: [{ days: [0, 1, 2, 3, 4, 5, 6], opens: 0, closes: 1440 }], timeZone };
  const windows: ServiceWindow[] = [];
  for (const raw of rest.split(';')) {
    // "Mon - Fri 09:00 – 18:00" reads as "Mon-Fri 09:00-18:00".
    const spec = raw.trim().replace(/\s*[-–]\s*/g, '-').replace(/\s*,\s*/g, ',');
    const m = /^(?:(\S+)\s+)?(\S+)-(\S+)$/.exec(spec);
    if (!m || !/^\d/.test(m[2]!)) return `"${raw.trim()}" is not a time window: ${SERVICE_HOURS_FORMAT}`;
    const opens = minuteOf(m[2]!, false);
    const closes = minuteOf(m[3]!, true);
    if (opens === undefined || closes === undefined) return `"${raw.trim()}": times are HH:MM on a 24-hour clock, 00:00 to 23:59 (24:00 as a closing time)`;
    if (opens === closes) return `"${raw.trim()}" opens and closes at the same time (around the clock is "24/7")`;
    const days = m[1] === undefined ? [0, 1, 2, 3, 4, 5, 6] : daysOf(m[1]);
    if (typeof days === 'string') return days;
    windows.push({ days, opens, closes });
  }
  return { windows, timeZone };
}

/**
 * Bot Framework settings botbuilder would accept and then fail on at the first reply, or
 * (a password without an app id) silently run anonymously with.
 */
function botFrameworkProblems(c: RawConfig, typeSet: boolean): Array<{ name: string; message: string }> {
  const problems: Array<{ name: string; message: string }> = [];
  const need = (name: keyof RawConfig, message: string) => problems.push({ name, message });
  const type = c.BOTFRAMEWORK_APP_TYPE;
  if (!c.BOTFRAMEWORK_APP_ID) {
    for (const name of ['BOTFRAMEWORK_APP_PASSWORD', 'BOTFRAMEWORK_TENANT_ID'] as const) {
      if (c[name]) need(name, 'needs BOTFRAMEWORK_APP_ID (without it the endpoint is anonymous)');
    }
    if (typeSet && type !== 'MultiTenant') need('BOTFRAMEWORK_APP_TYPE', 'needs BOTFRAMEWORK_APP_ID');
    return problems;
  }
  if (type === 'UserAssignedMSI' && c.BOTFRAMEWORK_APP_PASSWORD) need('BOTFRAMEWORK_APP_PASSWORD', 'must not be set for a UserAssignedMSI app');
  if (type !== 'UserAssignedMSI' && !c.BOTFRAMEWORK_APP_PASSWORD) need('BOTFRAMEWORK_APP_PASSWORD', `required for a ${type} app`);
  if (type !== 'MultiTenant' && !c.BOTFRAMEWORK_TENANT_ID) need('BOTFRAMEWORK_TENANT_ID', `required for a ${type} app`);
  return problems;
}

/** A URI safe to log: credentials removed. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
