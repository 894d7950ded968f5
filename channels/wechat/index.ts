/**
 * channels/wechat: the Official Account (公众号) webhook at /wechat.
 * verify (signature / msg_signature) -> decrypt (safe mode) -> parse -> dedupe -> turn ->
 * one passive XML reply within WeChat's 5-second window, or `success` and the
 * customer-service message API when the turn runs late or says more than one thing.
 */
import { createHash } from 'node:crypto';
import express, { type Router } from 'express';
import { ActivityTypes, type Activity, type ConversationReference } from 'botbuilder-core';
import type { Logger } from 'pino';
import { ChannelAdapter, isStoreUnavailable, resolveCustomer, type BotCore, type StoreHealth, type TurnOutcome } from '../../bots/index.js';
import { MemoryReplayCache, type ReplayCache } from '../../bots/index.js';
import { ShopError, type Store } from '../../store/index.js';
import { WeChatApiClient } from './api-client.js';
import { WeChatCrypto } from './crypto.js';
import { deliveryKey } from './dedupe-key.js';
import { SpoolReplayer, type SpooledMessage, type WeChatSpool } from './spool.js';
import { renderForWeChat } from './render.js';
import { checkTimestamp, validNonce, verifySignature } from './signature.js';
import { toActivity } from './to-activity.js';
import { newsReplyXml, parseEncryptedEnvelope, parseInboundXml, textReplyXml } from './xml.js';

export { WeChatApiClient } from './api-client.js';
export { WeChatCrypto } from './crypto.js';
export { wechatSignature } from './signature.js';
export { textReplyXml, newsReplyXml, parseInboundXml } from './xml.js';
export { WeChatSpool, SpoolReplayer, type SpooledMessage, type WeChatSpoolOptions } from './spool.js';

export interface WeChatAdapterOptions {
  token: string;
  appId: string;
  appSecret: string;
  /** Set for safe mode (安全模式) or compatible mode; 43 characters. */
  encodingAESKey?: string;
  /** Default https://api.weixin.qq.com; tests point it at a local fake. */
  apiBase: string;
  /** Where relative product image and page URLs point (the shop's public address). */
  publicBaseUrl?: string;
  /** Answer passively only if the turn finishes within this (WeChat waits 5 s). */
  replyDeadlineMs?: number;
  /**
   * WECHAT_SIGNATURE_TOLERANCE_SECONDS (default 300): how far a request's `timestamp` may be from
   * the server clock, either side. The signature itself never expires; this window does.
   */
  signatureToleranceSeconds?: number;
  /**
   * The `timestamp`+`nonce` pairs seen within the window, with the message each carried.
   * Default: this node's memory; the runtime passes a Redis-backed one with REDIS_URL.
   */
  replayCache?: ReplayCache;
  bodyLimit?: string;
}

/**
 * Sends outgoing activities through the customer-service message API: for late or
 * multiple replies and for proactive messages (an agent's reply).
 */
export class WeChatAdapter extends ChannelAdapter {
  constructor(
    private readonly api: WeChatApiClient,
    private readonly publicBaseUrl: string | undefined,
  ) {
    super('wechat');
  }

  protected async deliver(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    if (activity.type !== ActivityTypes.Message) return; // WeChat has no typing indicator for Official Accounts
    const openId = reference.user?.id;
    if (!openId) throw new ShopError('internal', 'WeChat delivery without an OpenID');
    await this.send(openId, activity);
  }

  async send(openId: string, activity: Partial<Activity>): Promise<void> {
    const out = renderForWeChat(activity, this.publicBaseUrl);
    if (out.text) await this.api.sendText(openId, out.text);
    if (out.articles) await this.api.sendNews(openId, out.articles);
  }
}

export interface WeChatChannel {
  router: Router;
  adapter: WeChatAdapter;
  /** Replays the spool when the store answers again (present with a spool and a health check). */
  replayer?: SpoolReplayer;
  /** Stops the replayer (a replay in progress finishes). */
  close(): Promise<void>;
}

/** Checks the options, naming what is missing (fail fast at start). */
function checkOptions(o: WeChatAdapterOptions): void {
  const missing = (['token', 'appId', 'appSecret', 'apiBase'] as const).filter((k) => !o[k]);
  if (missing.length > 0) {
    const env = { token: 'WECHAT_TOKEN', appId: 'WECHAT_APP_ID', appSecret: 'WECHAT_APP_SECRET', apiBase: 'WECHAT_API_BASE' };
    throw new ShopError('config_invalid', `WeChat channel: missing ${missing.map((m) => env[m]).join(', ')}`);
  }
}

/** The passive reply to a message stored while the node was overloaded. */
export const BUSY_TEXT = '抱歉，现在咨询的人太多，您的消息已收到。请稍后再问一次。(We are very busy right now: your message was received; please ask again in a moment.)';

/** Remembers recent deliveries by dedupe key: WeChat retries a slow POST up to three times. */
class RecentKeys {
  private readonly keys = new Map<string, number>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 50_000,
  ) {}
  /** Forgets `key`: WeChat's retry of a delivery we refused must be handled, not dropped as a repeat. */
  forget(key: string): void {
    this.keys.delete(key);
  }
  /** True if `key` was seen within the TTL; records it otherwise. */
  seen(key: string, now = Date.now()): boolean {
    const at = this.keys.get(key);
    if (at !== undefined && now - at < this.ttlMs) return true;
    this.keys.set(key, now);
    if (this.keys.size > this.max) {
      for (const [k, t] of this.keys) {
        if (now - t >= this.ttlMs || this.keys.size > this.max) this.keys.delete(k);
        else break;
      }
    }
    return false;
  }
}

export function createWeChatChannel(
  opts: WeChatAdapterOptions & {
    core: BotCore;
    store: Store;
    logger: Logger;
    inFlight?: { begin(): () => void };
    /**
     * With both: while the store does not answer, a message is written to the spool and
     * WeChat gets `success` at once; the replayer runs it through the turn and sends the
     * answer as customer-service messages once the store is back.
     */
    spool?: WeChatSpool;
    health?: StoreHealth;
    /** Spooled messages replayed at once (default 2). */
    replayConcurrency?: number;
  },
): WeChatChannel {
  checkOptions(opts);
  const { core, logger, store } = opts;
  const crypto = opts.encodingAESKey ? new WeChatCrypto({ token: opts.token, encodingAESKey: opts.encodingAESKey, appId: opts.appId }) : undefined;
  // WeChat now takes one article per news message (errcode 45008 beyond): a carousel is
  // sent as several news messages.
  const api = new WeChatApiClient({ appId: opts.appId, appSecret: opts.appSecret, apiBase: opts.apiBase, maxArticlesPerNews: 1 });
  const adapter = new WeChatAdapter(api, opts.publicBaseUrl);
  core.install(adapter);
  const deadline = opts.replyDeadlineMs ?? 4500;
  const tolerance = opts.signatureToleranceSeconds ?? 300;
  const replays = opts.replayCache ?? new MemoryReplayCache({ logger });
  const recent = new RecentKeys();
  const { spool, health } = opts;
  /** Keys of deliveries a request of this node is running now (the replayer leaves them alone). */
  const live = new Set<string>();

  /**
   * Keeps a delivery in the spool. Full (or the disk fails): WeChat must not hear `success`,
   * so it retries; the key is forgotten so that the retry is handled, not taken for a repeat.
   */
  async function keep(key: string, xml: string): Promise<void> {
    let kept = false;
    let cause: unknown;
    try {
      kept = spool ? await spool.put({ key, xml, receivedAt: Date.now() }) : false;
    } catch (err) {
      cause = err;
    }
    if (kept) return;
    recent.forget(key);
    logger.error({ err: cause, key, spooled: spool?.size, max: spool?.opts.maxMessages }, spool ? 'WeChat spool full or failing: message refused (WeChat retries it)' : 'store unavailable and no WeChat spool: message refused (WeChat retries it)');
    throw new ShopError('unavailable', 'the assistant cannot take this message now: retry', { cause, details: { reason: 'spool_full', retryAfterSeconds: 5 } });
  }

  /** One spooled delivery through the normal turn; the answer goes out as customer-service messages. */
  async function replaySpooled(m: SpooledMessage): Promise<void> {
    const msg = parseInboundXml(m.xml);
    const openId = msg.FromUserName;
    await linkByUnionId(openId);
    // A replay of a message stored before a crash is a duplicate: answered only if it never was.
    const outcome = await adapter.processActivity(toActivity(msg), core.logic, { collect: true, answerUnanswered: true });
    if (outcome.duplicate) return;
    await sendAsCustomerService(openId, outcome.replies.filter((r) => r.type === ActivityTypes.Message));
  }

  /**
   * Answers outside WeChat's 5-second reply (late turns, replayed spool messages) go out as
   * customer-service messages, in order, each retried with backoff (core.delivery) and
   * marked on its stored message (sent, or failed: the console shows it).
   */
  async function sendAsCustomerService(openId: string, replies: Array<Partial<Activity>>): Promise<void> {
    for (const a of replies) {
      const stored = (a.channelData as { message?: { id?: string } } | undefined)?.message;
      try {
        if (!stored?.id) {
          await adapter.send(openId, a);
          continue;
        }
        const r = await core.delivery.send(stored.id, () => adapter.send(openId, a));
        const final = r.status === 'pending' ? await r.settled : r.message;
        if (final.delivery?.status === 'failed') logger.error({ openId, messageId: stored.id, error: final.delivery.error }, 'WeChat customer-service send failed');
      } catch (err) {
        logger.error({ err, openId }, 'WeChat customer-service send failed');
      }
    }
  }
  // Started by the caller once the node listens (`replayer.start()`): it replays what an earlier run left at once.
  const replayer = spool && health ? new SpoolReplayer({ spool, health, replay: replaySpooled, concurrency: opts.replayConcurrency, busy: (k) => live.has(k), logger }) : undefined;

  /**
   * On a follower's first contact, asks WeChat for their UnionID: when the Official Account
   * is bound to an Open Platform account, it joins them to the customer who already brought
   * the same UnionID (e.g. through the shop app's WeChat login). Best effort: a failing
   * lookup only loses the automatic link, never the message.
   */
  async function linkByUnionId(openId: string): Promise<void> {
    if (await store.customers.findByIdentity('wechat', openId)) return;
    let unionId: string | undefined;
    try {
      unionId = await api.getUnionId(openId);
    } catch (err) {
      logger.warn({ err, openId }, 'WeChat user info lookup failed; continuing without UnionID');
      return;
    }
    if (!unionId) return;
    const customer = await resolveCustomer(store, 'wechat', openId, { locale: 'zh' });
    await core.linker.attachUnionId(customer, unionId);
  }
  const router = express.Router();

  const query = (q: unknown, name: string): string => {
    const v = (q as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : '';
  };

  /** 401 unless `timestamp` is inside the window (checked after the signature, so only WeChat's own requests learn why). */
  const inWindow = (timestamp: string): number => {
    const window = checkTimestamp(timestamp, tolerance);
    if (!window.ok) throw new ShopError('unauthorized', `WeChat request refused: ${window.reason}`, { details: { reason: window.code } });
    return window.seconds;
  };

  /**
   * A `timestamp`+`nonce` carries one message: the first one seen with it is remembered (by
   * digest) while the timestamp is in the window. The same message again is WeChat retrying an
   * unanswered delivery (its retries repeat the message byte for byte, MsgId included; whether
   * they reuse the query string is not documented, so both are fine) and goes on to the MsgId
   * dedupe, answered as before. Another message under a seen pair is a captured query string
   * carrying a forged body (plaintext mode signs no body): refused.
   */
  async function checkReplay(timestamp: string, seconds: number, nonce: string, xml: string): Promise<void> {
    const digest = createHash('sha256').update(xml, 'utf8').digest('hex');
    const ttlSeconds = seconds + tolerance - Math.floor(Date.now() / 1000) + 1;
    const first = await replays.remember(`wechat:${timestamp}:${nonce}`, digest, ttlSeconds);
    if (first !== undefined && first !== digest) {
      throw new ShopError('unauthorized', 'WeChat request refused: this timestamp and nonce already carried another message', { details: { reason: 'nonce_reused' } });
    }
  }

  router.get('/wechat', (req, res) => {
    const [signature, timestamp, nonce, echostr] = ['signature', 'timestamp', 'nonce', 'echostr'].map((n) => query(req.query, n));
    if (!verifySignature(signature, opts.token, timestamp!, nonce!)) throw new ShopError('unauthorized', 'bad WeChat signature');
    inWindow(timestamp!);
    res.type('text/plain').send(echostr);
  });

  router.post('/wechat', express.text({ type: () => true, limit: opts.bodyLimit ?? '100kb' }), async (req, res) => {
    const q = req.query;
    const timestamp = query(q, 'timestamp');
    const nonce = query(q, 'nonce');
    const raw = typeof req.body === 'string' ? req.body : '';
    const safeMode = query(q, 'encrypt_type') === 'aes';
    let xml = raw;
    if (safeMode) {
      if (!crypto) throw new ShopError('unauthorized', 'encrypted message but WECHAT_ENCODING_AES_KEY is not set');
      const envelope = parseEncryptedEnvelope(raw);
      if (!crypto.verify(query(q, 'msg_signature'), timestamp, nonce, envelope.Encrypt)) throw new ShopError('unauthorized', 'bad WeChat msg_signature');
      xml = crypto.decrypt(envelope.Encrypt);
    } else if (!verifySignature(query(q, 'signature'), opts.token, timestamp, nonce)) {
      throw new ShopError('unauthorized', 'bad WeChat signature');
    }
    const seconds = inWindow(timestamp);
    if (!validNonce(nonce)) throw new ShopError('unauthorized', 'WeChat request refused: nonce must be 1..64 visible ASCII characters', { details: { reason: 'nonce_invalid' } });
    // Before parsing: any other body under a used timestamp+nonce is refused the same way (401), well-formed or not.
    await checkReplay(timestamp, seconds, nonce, xml);
    const msg = parseInboundXml(xml);
    const key = deliveryKey(msg);
    if (recent.seen(key)) {
      // A retry of a delivery this node has (or is) handling: the shopper gets one answer.
      res.type('text/plain').send('success');
      return;
    }

    const openId = msg.FromUserName;
    if (spool && (health?.down || spool.has(key))) {
      // The store is down (or this delivery waits in the spool already): WeChat hears `success` now, the answer follows once the store is back.
      await keep(key, xml);
      res.type('text/plain').send('success');
      return;
    }
    live.add(key);
    let storeFailure: unknown;
    const turn = linkByUnionId(openId)
      // Overloaded: WeChat does not resend a message it got `success` for, so it is stored (not answered).
      // No client IP: every follower's message comes from WeChat's own servers, so a per-IP
      // limit would throttle all of them together; the per-customer (OpenID) limit applies.
      .then(() => adapter.processActivity(toActivity(msg), core.logic, { collect: true, whenOverloaded: 'store' }))
      .catch((err: unknown) => {
      if (spool && isStoreUnavailable(err)) {
        // Stored or not, it goes to the spool: the replay stores it once and answers it once.
        health?.failed(err);
        storeFailure = err;
        return null;
      }
      // The message is stored before the bot runs; a failed turn must not make WeChat retry it.
      logger.error({ err, openId }, 'WeChat turn failed');
      return null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadline);
    });
    const first = await Promise.race([turn, late]);
    clearTimeout(timer);

    const sendLater = async (outcome: TurnOutcome | null): Promise<void> => {
      if (outcome) await sendAsCustomerService(openId, outcome.replies);
    };

    if (first === null && storeFailure !== undefined) {
      live.delete(key);
      await keep(key, xml);
      res.type('text/plain').send('success');
      return;
    }
    if (first === 'late' && spool) {
      // The turn may still fail on a slow or hung store: the message is on disk before WeChat hears
      // `success`, and leaves the spool once the turn has stored it.
      try {
        await keep(key, xml);
      } catch (err) {
        live.delete(key);
        throw err;
      }
    }
    if (first === 'late' || first === null) {
      res.type('text/plain').send('success');
      if (first === 'late') {
        // The turn outlives the request: count it, so a graceful shutdown waits for it.
        const end = opts.inFlight?.begin();
        void turn
          .then(async (outcome) => {
            // Failed on the store: it stays in the spool for the replayer.
            if (storeFailure === undefined) await spool?.remove(key).catch((err: unknown) => logger.error({ err, key }, 'WeChat spool cleanup failed'));
            live.delete(key);
            replayer?.kick();
            await sendLater(outcome);
          })
          .finally(() => end?.());
      } else {
        live.delete(key);
      }
      return;
    }
    live.delete(key);
    if (first.overloaded && !first.duplicate) {
      // Stored for the agents, not answered: one passive line (no API call) tells the shopper to ask again.
      const busy = textReplyXml({ to: openId, from: msg.ToUserName, content: BUSY_TEXT });
      if (safeMode && crypto) res.type('application/xml').send(crypto.encryptedReplyXml(busy, timestamp || String(Math.floor(Date.now() / 1000)), nonce || '0'));
      else res.type('application/xml').send(busy);
      return;
    }
    const messages = first.replies.filter((a) => a.type === ActivityTypes.Message);
    const only = messages.length === 1 ? renderForWeChat(messages[0]!, opts.publicBaseUrl) : undefined;
    const passive =
      first.duplicate || !only || (only.text && only.articles) || (only.articles && only.articles.length > 1) || (only.text && Buffer.byteLength(only.text) > 2000)
        ? undefined
        : only.articles
          ? newsReplyXml({ to: openId, from: msg.ToUserName, articles: only.articles })
          : only.text
            ? textReplyXml({ to: openId, from: msg.ToUserName, content: only.text })
            : undefined;
    if (!passive) {
      res.type('text/plain').send('success');
      if (!first.duplicate) void sendLater({ ...first, replies: messages });
      return;
    }
    if (safeMode && crypto) {
      res.type('application/xml').send(crypto.encryptedReplyXml(passive, timestamp || String(Math.floor(Date.now() / 1000)), nonce || '0'));
    } else {
      res.type('application/xml').send(passive);
    }
  });

  return {
    router,
    adapter,
    replayer,
    async close() {
      await replayer?.stop();
    },
  };
}
