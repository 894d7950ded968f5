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
      // The newer memory wins per field: the shopper's latest context is what they expect.
      const newer = String(src['lastTopicAt'] ?? '') > String(tgt['lastTopicAt'] ?? '');
      const mergedState = newer ? { ...tgt, ...src, eTag: tgt['eTag'] ?? '*' } : { ...src, ...tgt, eTag: tgt['eTag'] ?? '*' };
      await this.storage.write({ [tKey]: mergedState });
      await this.storage.delete([sKey]);
    }
    this.events.publish({ type: 'customer.merged', sourceId, targetId });
    return customer;
  }
}
