import { randomInt } from 'node:crypto';
import type { Storage } from 'botbuilder-core';
import type { AccountLinker, RedeemResult } from '../skills/index.js';
import { isShopError, type ChannelId, type Customer, type Store } from '../store/index.js';
import type { EventBus } from './events.js';
import { RateLimiter } from './rate-limit.js';
import { customerMemoryKey } from './state.js';
import type { MergeLog } from './merge-log.js';

interface CodeRecord {
  customerId: string;
  channel: ChannelId;
  expiresAt: number;
  used: boolean;
  eTag?: string;
}

export interface LinkingOptions {
  codeTtlMs: number;
  /** Wrong or expired codes allowed per customer before a pause. */
  maxFailures: number;
  now?: () => number;
}

/**
 * One-time link codes kept in the bot state storage (eTag concurrency makes "single use"
 * hold across nodes: of two redeemers of one code exactly one wins). A redeem merges the
 * two customers in the store and their cross-channel memory.
 */
export class LinkCodes implements AccountLinker {
  private readonly failures: RateLimiter;
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<Store, 'customers' | 'mergeCustomers'>,
    private readonly storage: Storage,
    private readonly events: EventBus,
    private readonly merges: MergeLog,
    private readonly opts: LinkingOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.failures = new RateLimiter({ burst: opts.maxFailures, perSecond: opts.maxFailures / (opts.codeTtlMs / 1000) }, this.now);
  }

  async issue(customerId: string, channel: ChannelId): Promise<{ code: string; expiresAt: Date }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const key = `linkcodes/${code}`;
      const existing = (await this.storage.read([key]))[key] as CodeRecord | undefined;
      if (existing && !existing.used && existing.expiresAt > this.now()) continue; // in use: pick another
      const expiresAt = this.now() + this.opts.codeTtlMs;
      const record: CodeRecord = { customerId, channel, expiresAt, used: false, eTag: existing?.eTag ?? '*' };
      try {
        await this.storage.write({ [key]: record });
        return { code, expiresAt: new Date(expiresAt) };
      } catch (err) {
        if (!isShopError(err, 'precondition_failed')) throw err;
      }
    }
    throw new Error('could not allocate a link code');
  }

  async redeem(code: string, customer: Customer, _channel: ChannelId): Promise<RedeemResult> {
    if (this.failures.retryAfter(customer.id) > 0) return { ok: false, reason: 'rate_limited' };
    const key = `linkcodes/${code}`;
    const record = (await this.storage.read([key]))[key] as CodeRecord | undefined;
    const fail = (reason: 'invalid' | 'expired'): RedeemResult => {
      this.failures.take(customer.id);
      return { ok: false, reason };
    };
    if (!record || record.used) return fail('invalid');
    if (record.expiresAt <= this.now()) return fail('expired');
    if (record.customerId === customer.id) return { ok: false, reason: 'same' };
    try {
      await this.storage.write({ [key]: { ...record, used: true } });
    } catch (err) {
      if (isShopError(err, 'precondition_failed')) return fail('invalid');
      throw err;
    }
    const issuer = await this.store.customers.get(record.customerId);
    if (!issuer) return fail('invalid');
    // A known (shop-verified) customer survives an anonymous one; otherwise the issuer does.
    const anonymous = (c: Customer) => c.tags.includes('anonymous');
    const [source, target] = anonymous(issuer) && !anonymous(customer) ? [issuer, customer] : [customer, issuer];
    const merged = await this.mergeCustomers(source.id, target.id);
    return { ok: true, customer: merged };
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
