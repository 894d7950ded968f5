import { randomInt, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ActivityTypes, TurnContext, type Activity, type ConversationReference, type Storage } from 'botbuilder-core';
import { linkedNotice, type AccountLinker, type LinkParty, type RedeemResult } from '../skills/index.js';
import { isShopError, type ChannelId, type Customer, type Locale, type Store } from '../store/index.js';
import type { ChannelAdapter } from './adapter.js';
import { claimBeforeSending, type OutboundDelivery } from './delivery.js';
import type { EventBus } from './events.js';
import type { MergeLog } from './merge-log.js';
import { channelAccount } from './middleware/identity.js';
import { customerMemoryKey } from './state.js';
import { clientIp } from './turn-state.js';

// ------------------------------------------------------------------ the code

/**
 * Crockford's base 32: digits and capitals without I, L, O and U, so nothing reads two ways
 * (typed O, I and L are taken as 0, 1 and 1). 8 characters: 32^8 = 2^40 codes, of which the
 * ones with at least one digit are used (so the NLU tells "link my wechat" from a code):
 * 32^8 - 22^8 = 1,044,635,754,240.
 */
export const LINK_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 8;
/** The first half names the code's record (its "slot"); the second half is checked against it. */
const SLOT_LENGTH = 4;

/** A new code in canonical form (`7KQ2M9XD`). */
export function newLinkCode(random: (max: number) => number = (max) => randomInt(max)): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < LINK_CODE_LENGTH; i++) code += LINK_CODE_ALPHABET[random(LINK_CODE_ALPHABET.length)];
    if (/\d/.test(code)) return code;
  }
}

/** How a code is shown and typed: `7KQ2-M9XD`. */
export function formatLinkCode(code: string): string {
  return `${code.slice(0, SLOT_LENGTH)}-${code.slice(SLOT_LENGTH)}`;
}

/**
 * A typed code in canonical form, or null when it does not have a code's shape: any case,
 * full-width characters, spaces, dashes, underscores and dots ignored, O read as 0 and I, L as 1.
 */
export function canonicalLinkCode(typed: unknown): string | null {
  if (typeof typed !== 'string' || typed.length > 64) return null;
  const s = typed
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-\u2010-\u2015_.·]/gu, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (s.length !== LINK_CODE_LENGTH) return null;
  for (const ch of s) if (!LINK_CODE_ALPHABET.includes(ch)) return null;
  return s;
}

// ------------------------------------------------------------------ guess limits

/**
 * Failed guesses per key (a customer, a client IP), at most `limit` in a window of
 * `windowMs` that opens with the key's first failure. In memory, per node. A guess is
 * counted when it is made and given back if it succeeds, so guesses running at the same
 * moment cannot overshoot the limit. Memory: windows are kept in the order they opened
 * (a window that ends is dropped, and a new one appended), so the ended ones are always at
 * the front and are dropped without scanning the live ones; past `maxKeys` the oldest live
 * window goes (the global limit keeps the number of keys far below it: each new key costs a
 * guess it admitted).
 */
export class GuessWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {
    if (!(limit >= 1) || !(windowMs > 0)) throw new Error('GuessWindows: limit >= 1 and windowMs > 0');
  }

  /** Milliseconds until `key` may guess again (0: it may now). */
  blockedFor(key: string): number {
    const w = this.live(key);
    return w && w.count >= this.limit ? w.start + this.windowMs - this.now() : 0;
  }

  /** Counts a guess; false (and nothing counted) when the key has none left in its window. */
  take(key: string): boolean {
    let w = this.live(key);
    if (!w) {
      const t = this.now();
      this.prune(t);
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) return false;
    w.count += 1;
    return true;
  }

  /** The guess succeeded (or never reached a code): not a failure. */
  giveBack(key: string): void {
    const w = this.live(key);
    if (w && w.count > 0) w.count -= 1;
  }

  /** Keys with an open window. */
  get size(): number {
    return this.windows.size;
  }

  private live(key: string): { start: number; count: number } | undefined {
    const w = this.windows.get(key);
    if (w && this.now() - w.start >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(t: number): void {
    for (const [key, w] of this.windows) {
      if (t - w.start < this.windowMs) break;
      this.windows.delete(key);
    }
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}

interface BudgetRecord {
  /** The minute (ms since the epoch / 60,000) the count is for. */
  minute: number;
  failures: number;
  eTag?: string;
}

/**
 * Failed guesses per calendar minute across every customer, IP and node: one record in the
 * bot state storage (MongoDB when several nodes share it), changed by compare-and-set on its
 * eTag, so the limit is exact whatever the number of nodes and concurrent guesses. Once the
 * minute's budget is spent, a node remembers it and refuses without reading the store until
 * the minute ends.
 */
export class SharedGuessBudget {
  private pausedMinute = Number.NaN;

  constructor(
    private readonly storage: Storage,
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly key = 'linkguard/failures-per-minute',
  ) {
    if (!(perMinute >= 1)) throw new Error('SharedGuessBudget: perMinute >= 1');
  }

  /** When the current pause ends (ms since the epoch), or 0 when not paused on this node. */
  pausedUntil(): number {
    const minute = Math.floor(this.now() / 60_000);
    return minute === this.pausedMinute ? (minute + 1) * 60_000 : 0;
  }

  /**
   * Counts one guess against this minute's budget; false when it is spent (redeeming is
   * paused until the minute ends). A store that keeps refusing the compare-and-set (that
   * many guesses at once) also answers false: the guess is refused, never let through.
   */
  async take(): Promise<boolean> {
    const minute = Math.floor(this.now() / 60_000);
    if (minute === this.pausedMinute) return false;
    for (let attempt = 0; attempt < 10; attempt++) {
      const record = await this.read();
      if (!record) {
        // The storage has no "create if absent": the record is made once (the deployment's first
        // guess), then only ever changed by compare-and-set. Guesses racing that very first write
        // may each be counted on a record the next one overwrites: once, at most their number.
        await this.storage.write({ [this.key]: { minute: -1, failures: 0 } });
        continue;
      }
      const used = record.minute === minute ? record.failures : 0;
      if (used >= this.perMinute) {
        this.pausedMinute = minute;
        return false;
      }
      // A record read without an eTag would be overwritten blindly: treat that as a lost race.
      if (record.eTag && (await this.write({ minute, failures: used + 1, eTag: record.eTag }))) return true;
    }
    return false;
  }

  /** A guess that succeeded: its count is given back (best effort; it is this minute's only). */
  async giveBack(): Promise<void> {
    const minute = Math.floor(this.now() / 60_000);
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.read();
      if (!record || record.minute !== minute || record.failures <= 0) return;
      if (record.eTag && (await this.write({ minute, failures: record.failures - 1, eTag: record.eTag }))) return;
    }
  }

  private async read(): Promise<BudgetRecord | undefined> {
    const item = (await this.storage.read([this.key]))[this.key] as Partial<BudgetRecord> | undefined;
    if (!item || typeof item.minute !== 'number' || typeof item.failures !== 'number') return undefined;
    return { minute: item.minute, failures: item.failures, ...(typeof item.eTag === 'string' ? { eTag: item.eTag } : {}) };
  }

  private async write(record: BudgetRecord): Promise<boolean> {
    try {
      await this.storage.write({ [this.key]: record });
      return true;
    } catch (err) {
      if (isShopError(err, 'precondition_failed') || isShopError(err, 'conflict')) return false;
      throw err;
    }
  }
}

/**
 * The key a guess is counted under besides its customer: the client's IP when the channel
 * knows it (the widget; an IPv6 address by its /64, which one subscriber holds whole), else
 * the channel account (a WeChat OpenID, an app user, a Bot Framework user).
 */
export function guessSourceKey(context: TurnContext): string {
  const ip = clientIp(context);
  if (ip) return `ip:${ipBucket(ip)}`;
  const { channel, externalId } = channelAccount(context.activity);
  return `account:${channel}:${externalId}`;
}

/** An IPv4 address as it is (IPv4-mapped IPv6 too); an IPv6 address as its /64 prefix. */
export function ipBucket(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (isIP(bare) !== 6) return ip.slice(0, 64);
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)))
    .join(':')}::/64`;
}

// ------------------------------------------------------------------ the owner's notice

/**
 * A channel account's address for a message outside its turn, on a channel where the account
 * id alone does not say where to send (Bot Framework: the serviceUrl and conversation the
 * account's last message came from). Undefined: nothing stored, nothing to reach.
 */
export type AccountReferenceResolver = (account: { channel: ChannelId; externalId: string }) => Promise<Partial<ConversationReference> | undefined>;

/**
 * Tells a channel account something outside its own turn (the owner of a link code that
 * was just used): a proactive turn on the account's channel adapter, so the transcript
 * stores the message, with the delivery's retries and status (`OutboundDelivery`). The
 * message is claimed in the outbox (`begin`, awaited) after the transcript stored it and
 * before the channel sees it, so a node that dies during the first attempt leaves a delivery
 * the outbox resumes (through the hand-off service's route, as an agent's reply).
 */
export class OwnerNotices {
  private readonly channels = new Map<ChannelId, ChannelAdapter>();
  private readonly references = new Map<ChannelId, AccountReferenceResolver>();

  constructor(
    private readonly delivery: Pick<OutboundDelivery, 'begin' | 'afterFirstAttempt'>,
    private readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  ) {}

  /**
   * A channel notices can be sent on. `reference`: the account's stored address, for a channel
   * where it cannot be derived from the account id (the same address agents' replies use).
   */
  registerChannel(adapter: ChannelAdapter, opts: { reference?: AccountReferenceResolver } = {}): void {
    this.channels.set(adapter.channelId, adapter);
    if (opts.reference) this.references.set(adapter.channelId, opts.reference);
  }

  /** Sends `activity` to the account; what became of its first attempt. Never throws. */
  async send(to: { channel: ChannelId; externalId: string }, activity: Partial<Activity>): Promise<'sent' | 'pending' | 'failed' | 'unreachable'> {
    const adapter = this.channels.get(to.channel);
    if (!adapter) {
      this.logger.info({ channel: to.channel }, 'link notice: no proactive messages on this channel');
      return 'unreachable';
    }
    let reference: Partial<ConversationReference> | undefined;
    try {
      reference = await this.referenceOf(to);
    } catch (err) {
      this.logger.warn({ err, channel: to.channel }, 'link notice not sent: could not read the account\'s address');
      return 'failed';
    }
    if (!reference) {
      this.logger.info({ channel: to.channel }, 'link notice: no stored address for this account (it never wrote from a reachable conversation)');
      return 'unreachable';
    }
    const address = reference;
    let sent: Partial<Activity> | undefined;
    let error: unknown;
    try {
      await adapter.continueConversation(address, async (ctx) => {
        // Claimed `pending` under this node before the channel sees it: a crash mid-attempt leaves it to the outbox.
        claimBeforeSending(ctx, this.delivery, (a) => {
          sent = a;
        });
        await ctx.sendActivity(activity);
      });
    } catch (err) {
      error = err;
    }
    const out = sent;
    if (!out?.id) {
      this.logger.warn({ err: error, channel: to.channel }, 'link notice not sent');
      return 'failed';
    }
    try {
      // Once begun, the outcome is always recorded (the claim must not be left to lapse on a live node).
      const result = await this.delivery.afterFirstAttempt(out.id, error, () => this.resend(adapter, address, out));
      return result.status;
    } catch (err) {
      this.logger.warn({ err, channel: to.channel }, 'link notice: could not record its delivery');
      return error === undefined ? 'sent' : 'failed';
    }
  }

  /** The account's address: the channel's stored one when it keeps them, else derived from the account id. */
  private async referenceOf(to: { channel: ChannelId; externalId: string }): Promise<Partial<ConversationReference> | undefined> {
    const resolve = this.references.get(to.channel);
    if (resolve) return resolve(to);
    return {
      channelId: to.channel,
      serviceUrl: '',
      user: { id: to.externalId, name: '' },
      bot: { id: 'shop-assistant', name: 'Shop Assistant' },
      conversation: { id: `${to.channel}:${to.externalId}`, isGroup: false, conversationType: 'personal', name: '' },
    };
  }

  /** The stored notice again, outside the middleware (the transcript must not store it twice). */
  private async resend(adapter: ChannelAdapter, reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    const context = new TurnContext(adapter, TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'redeliver' }, reference, true));
    try {
      await adapter.sendActivities(context, [activity]);
    } finally {
      context.turnState.clear();
    }
  }
}

// ------------------------------------------------------------------ codes

interface CodeRecord {
  customerId: string;
  /** The account that asked for the code, told when it is used. */
  channel: ChannelId;
  externalId?: string;
  /** The owner's language when they asked (the notice speaks it). */
  locale?: Locale;
  /** The code's second half. */
  secret: string;
  expiresAt: number;
  /** Redeemed, or void after too many near misses: never redeemable again. */
  used: boolean;
  /** Wrong second halves typed with this code's first half while it was live. */
  nearMisses: number;
  eTag?: string;
}

function isCodeRecord(v: unknown): v is CodeRecord {
  const r = v as Partial<CodeRecord> | undefined;
  return !!r && typeof r.customerId === 'string' && typeof r.secret === 'string' && typeof r.expiresAt === 'number' && typeof r.used === 'boolean';
}

export interface LinkLimits {
  /** Wrong codes per customer per code lifetime (LINK_MAX_FAILURES_PER_CUSTOMER). */
  perCustomer: number;
  /** Wrong codes per client IP (or channel account when the channel has no IP) per code lifetime (LINK_MAX_FAILURES_PER_IP). */
  perSource: number;
  /** Near misses (right first half, wrong second half) after which a live code is void (LINK_MAX_FAILURES_PER_CODE). */
  perCode: number;
  /** Wrong codes per minute across everyone and every node; then redeeming pauses (LINK_MAX_FAILURES_PER_MINUTE). */
  perMinute: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = { perCustomer: 5, perSource: 10, perCode: 3, perMinute: 30 };

export interface LinkingOptions {
  codeTtlMs: number;
  limits?: LinkLimits;
  /** Tells the owner of a code when it is used; without it nobody is told. */
  notices?: Pick<OwnerNotices, 'send'>;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  now?: () => number;
  random?: (max: number) => number;
}

/**
 * One-time link codes kept in the bot state storage (eTag concurrency makes "single use"
 * hold across nodes: of two redeemers of one code exactly one wins). A redeem merges the
 * two customers in the store and their cross-channel memory, and tells the owner of the
 * code on the channel they asked for it.
 *
 * Guessing is bounded four ways: per customer and per client IP / channel account (in
 * memory on each node), per code (its record counts near misses) and per minute for the
 * whole deployment (a shared record, `SharedGuessBudget`). A guess refused by a limit never
 * looks at a code.
 */
export class LinkCodes implements AccountLinker {
  readonly limits: LinkLimits;
  private readonly perCustomer: GuessWindows;
  private readonly perSource: GuessWindows;
  private readonly budget: SharedGuessBudget;
  private readonly now: () => number;
  private readonly logger: NonNullable<LinkingOptions['logger']>;
  private warnedPause = Number.NaN;

  constructor(
    private readonly store: Pick<Store, 'customers' | 'mergeCustomers'>,
    private readonly storage: Storage,
    private readonly events: EventBus,
    private readonly merges: MergeLog,
    private readonly opts: LinkingOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.limits = opts.limits ?? DEFAULT_LINK_LIMITS;
    this.logger = opts.logger ?? { warn: () => undefined, info: () => undefined };
    this.perCustomer = new GuessWindows(this.limits.perCustomer, opts.codeTtlMs, this.now);
    this.perSource = new GuessWindows(this.limits.perSource, opts.codeTtlMs, this.now);
    this.budget = new SharedGuessBudget(storage, this.limits.perMinute, this.now);
  }

  async issue(party: LinkParty): Promise<{ code: string; expiresAt: Date }> {
    const { channel, externalId } = channelAccount(party.context.activity);
    for (let attempt = 0; attempt < 10; attempt++) {
      const code = newLinkCode(this.opts.random);
      const key = slotKey(code);
      const existing = (await this.storage.read([key]))[key];
      if (isCodeRecord(existing) && !existing.used && existing.expiresAt > this.now()) continue; // in use: pick another
      const expiresAt = this.now() + this.opts.codeTtlMs;
      const record: CodeRecord = {
        customerId: party.customer.id,
        channel,
        externalId,
        locale: party.locale,
        secret: code.slice(SLOT_LENGTH),
        expiresAt,
        used: false,
        nearMisses: 0,
        eTag: (existing as { eTag?: string } | undefined)?.eTag ?? '*',
      };
      try {
        await this.storage.write({ [key]: record });
      } catch (err) {
        if (!isShopError(err, 'precondition_failed') && !isShopError(err, 'conflict')) throw err;
        continue;
      }
      await this.replacePrevious(party.customer.id, code.slice(0, SLOT_LENGTH), expiresAt);
      return { code: formatLinkCode(code), expiresAt: new Date(expiresAt) };
    }
    throw new Error('could not allocate a link code');
  }

  /**
   * One live code per customer: asking again voids the code asked for before, so a shopper
   * who sends "link" five times does not leave five codes to guess. (Its key names the
   * customer, so their erasure removes it.)
   */
  private async replacePrevious(customerId: string, slot: string, expiresAt: number): Promise<void> {
    const ownerKey = `linkcodes/owner/${customerId}`;
    const previous = (await this.storage.read([ownerKey]))[ownerKey] as { slot?: unknown } | undefined;
    await this.storage.write({ [ownerKey]: { slot, expiresAt } });
    if (typeof previous?.slot !== 'string' || previous.slot === slot) return;
    const oldKey = `linkcodes/${previous.slot}`;
    const old = (await this.storage.read([oldKey]))[oldKey];
    if (isCodeRecord(old) && !old.used && old.customerId === customerId) await this.update(oldKey, spent(old, old.nearMisses ?? 0));
  }

  async redeem(typed: string, party: LinkParty): Promise<RedeemResult> {
    const code = canonicalLinkCode(typed);
    // Not a code's shape: it cannot match any code, so it is not a guess at one.
    if (!code) return { ok: false, reason: 'invalid' };
    const customerKey = party.customer.id;
    const sourceKey = guessSourceKey(party.context);
    if (this.perCustomer.blockedFor(customerKey) > 0 || this.perSource.blockedFor(sourceKey) > 0) return { ok: false, reason: 'rate_limited' };
    if (!(await this.budget.take())) {
      this.warnPaused();
      return { ok: false, reason: 'paused' };
    }
    if (!this.perCustomer.take(customerKey)) {
      await this.budget.giveBack();
      return { ok: false, reason: 'rate_limited' };
    }
    if (!this.perSource.take(sourceKey)) {
      this.perCustomer.giveBack(customerKey);
      await this.budget.giveBack();
      return { ok: false, reason: 'rate_limited' };
    }
    const giveBack = async () => {
      this.perCustomer.giveBack(customerKey);
      this.perSource.giveBack(sourceKey);
      await this.budget.giveBack().catch(() => undefined);
    };
    let result: RedeemResult;
    try {
      result = await this.check(code, party);
    } catch (err) {
      // The store failed: no answer about the code was given, so it was no guess.
      await giveBack();
      throw err;
    }
    if (result.ok || result.reason === 'same') await giveBack();
    return result;
  }

  private async check(code: string, party: LinkParty): Promise<RedeemResult> {
    const key = slotKey(code);
    const secret = code.slice(SLOT_LENGTH);
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = (await this.storage.read([key]))[key];
      if (!isCodeRecord(record) || record.used) return { ok: false, reason: 'invalid' };
      const live = record.expiresAt > this.now();
      if (!sameSecret(record.secret, secret)) {
        if (!live) return { ok: false, reason: 'invalid' };
        // A near miss: the first half of a live code with a wrong second half. Enough of them void the code.
        const nearMisses = (record.nearMisses ?? 0) + 1;
        const voided = nearMisses >= this.limits.perCode;
        if (!(await this.update(key, voided ? spent(record, nearMisses) : { ...record, nearMisses }))) continue;
        if (voided) this.logger.warn({ owner: record.customerId, nearMisses }, 'link code void: too many wrong codes close to it');
        return { ok: false, reason: 'invalid' };
      }
      if (!live) return { ok: false, reason: 'expired' };
      if (record.customerId === party.customer.id) return { ok: false, reason: 'same' };
      // Single use: of two redeemers holding this eTag, one write wins; the other reads `used` next.
      if (!(await this.update(key, spent(record, record.nearMisses ?? 0)))) continue;
      return this.link(record, party);
    }
    return { ok: false, reason: 'invalid' };
  }

  private async link(record: CodeRecord, party: LinkParty): Promise<RedeemResult> {
    const issuer = await this.store.customers.get(record.customerId);
    if (!issuer) return { ok: false, reason: 'invalid' };
    const customer = party.customer;
    // A known (shop-verified) customer survives an anonymous one; otherwise the issuer does.
    const anonymous = (c: Customer) => c.tags.includes('anonymous');
    const [source, target] = anonymous(issuer) && !anonymous(customer) ? [issuer, customer] : [customer, issuer];
    const merged = await this.mergeCustomers(source.id, target.id);
    const linkedChannel = party.conversation.channel;
    this.logger.info({ owner: issuer.id, redeemer: customer.id, survivor: merged.id, channel: linkedChannel }, 'accounts linked with a link code');
    if (this.opts.notices && record.externalId) {
      // The owner hears of it on the account that asked for the code, in their language.
      const notice = { ...linkedNotice(record.locale ?? issuer.locale, linkedChannel), channelData: { sender: 'system' } };
      await this.opts.notices.send({ channel: record.channel, externalId: record.externalId }, notice);
    }
    return { ok: true, customer: merged };
  }

  /** Compare-and-set of a code record; false when another writer changed it first. */
  private async update(key: string, record: CodeRecord): Promise<boolean> {
    try {
      await this.storage.write({ [key]: record });
      return true;
    } catch (err) {
      if (isShopError(err, 'precondition_failed') || isShopError(err, 'conflict')) return false;
      throw err;
    }
  }

  private warnPaused(): void {
    const until = this.budget.pausedUntil();
    // 0: refused because the store kept losing the compare-and-set (a burst of guesses), not a spent budget.
    if (until === 0 || until === this.warnedPause) return;
    this.warnedPause = until;
    this.logger.warn(
      { limitPerMinute: this.limits.perMinute, pausedUntil: new Date(until).toISOString() },
      'link codes: too many wrong codes across all customers this minute; redeeming paused until the next minute',
    );
  }

  /**
   * WeChat's UnionID is WeChat's own word that several accounts (an Official Account
   * follower, the shop app's WeChat login) are one person: verified evidence. The first
   * account to bring it holds it (as the identity `wechat/union:<id>`); a later one with the
   * same UnionID is merged with that customer (an anonymous customer into a known one).
   */
  async attachUnionId(customer: Customer, unionId: string): Promise<Customer> {
    const key = `union:${unionId}`;
    let holder = await this.store.customers.findByIdentity('wechat', key);
    if (!holder) {
      try {
        return await this.store.customers.linkIdentity(customer.id, 'wechat', key);
      } catch (err) {
        if (!isShopError(err, 'conflict')) throw err;
        holder = await this.store.customers.findByIdentity('wechat', key);
        if (!holder) throw err;
      }
    }
    if (holder.id === customer.id) return customer;
    const anonymous = (c: Customer) => c.tags.includes('anonymous');
    const [source, target] = anonymous(holder) && !anonymous(customer) ? [holder, customer] : [customer, holder];
    return this.mergeCustomers(source.id, target.id);
  }

  /** Store merge plus the bot's memory of both; tells live sockets to follow the survivor. */
  async mergeCustomers(sourceId: string, targetId: string): Promise<Customer> {
    const before = await this.store.customers.get(targetId);
    let { customer } = await this.store.mergeCustomers(sourceId, targetId);
    this.merges.record(sourceId, targetId);
    // A known customer stays known: the merge unions tags, and must not make them anonymous.
    if (before && !before.tags.includes('anonymous') && customer.tags.includes('anonymous')) {
      customer = await this.store.customers.update(targetId, { tags: customer.tags.filter((t) => t !== 'anonymous') });
    }
    const sKey = customerMemoryKey(sourceId);
    const tKey = customerMemoryKey(targetId);
    const items = await this.storage.read([sKey, tKey]);
    const src = items[sKey] as Record<string, unknown> | undefined;
    if (src) {
      const tgt = (items[tKey] as Record<string, unknown> | undefined) ?? {};
      const mergedState: Record<string, unknown> = { ...tgt };
      const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
      for (const [prop, value] of Object.entries(src)) {
        if (prop === 'eTag') continue;
        const mine = tgt[prop];
        if (isObject(value) && isObject(mine)) {
          // Per field, the more recent memory wins: the shopper's latest context is what they expect.
          const newer = String(value['lastTopicAt'] ?? '') > String(mine['lastTopicAt'] ?? '');
          mergedState[prop] = newer ? { ...mine, ...value } : { ...value, ...mine };
        } else if (mine === undefined) mergedState[prop] = value;
      }
      mergedState['eTag'] = tgt['eTag'] ?? '*';
      await this.storage.write({ [tKey]: mergedState });
      await this.storage.delete([sKey]);
    }
    this.events.publish({ type: 'customer.merged', sourceId, targetId });
    return customer;
  }
}

/**
 * A code that can never be redeemed again, kept (a deleted record could be written back by a
 * racing redeemer holding the old eTag) without whom it was for: a customer's erasure finds
 * bot state by the ids in its keys, and this key names none.
 */
function spent(record: CodeRecord, nearMisses: number): CodeRecord {
  return { customerId: '', channel: record.channel, secret: '', expiresAt: record.expiresAt, used: true, nearMisses, ...(record.eTag ? { eTag: record.eTag } : {}) };
}

/**
 * A customer's erasure (privacy delete): their live code's record is keyed by the code, not by
 * them, so the store's erasure (which matches keys naming the customer) would leave it holding
 * their ids and channel account until the slot is reused. Read through the owner's pointer
 * (`linkcodes/owner/<customerId>`, which the erasure removes) and delete it. Returns how many
 * records went.
 */
export async function forgetLinkCodes(storage: Storage, customerId: string): Promise<number> {
  const ownerKey = `linkcodes/owner/${customerId}`;
  const owner = (await storage.read([ownerKey]))[ownerKey] as { slot?: unknown } | undefined;
  if (typeof owner?.slot !== 'string') return 0;
  const key = `linkcodes/${owner.slot}`;
  const record = (await storage.read([key]))[key];
  if (!isCodeRecord(record) || record.customerId !== customerId) return 0;
  await storage.delete([key]);
  return 1;
}

function slotKey(code: string): string {
  return `linkcodes/${code.slice(0, SLOT_LENGTH)}`;
}

function sameSecret(stored: string, typed: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(typed);
  return a.length === b.length && timingSafeEqual(a, b);
}
