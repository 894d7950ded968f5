import { ActivityTypes, type Activity, type ConversationReference } from 'botbuilder-core';
import type { Logger } from 'pino';
import { ChannelAdapter, type BotCore, type TurnOutcome } from '../../bots/index.js';
import { isShopError, ShopError, type Customer, type CustomerRepository, type Locale, type Message } from '../../store/index.js';
import { toWireMessage } from '../web/index.js';
import type { PushEvent } from './push.js';

export interface AppAdapterOptions {
  core: BotCore;
  customers: CustomerRepository;
  logger: Logger;
  /** Where outgoing messages are pushed to the app backend; absent when APP_PUSH_URL is unset. */
  push?: { enqueue(event: PushEvent): string };
}

/** One shopper message from the app backend, already authenticated (HMAC) and validated. */
export interface AppMessageInput {
  userId: string;
  /** The Idempotency-Key as the app sent it (the transcript scopes it to the app user). */
  channelMessageId: string;
  text: string;
  value?: unknown;
  locale?: string;
}

const ANONYMOUS = 'anonymous';

/**
 * The mobile app channel. The app backend signs every call, so the `userId` it sends is
 * the channel account (`from.id`), and a `customerId` it sends is verified evidence of who
 * that account is. Replies go back in the HTTP response (collect mode) and, like every
 * outgoing message of the channel (an agent's reply arrives through `continueConversation`
 * and `deliver`), to the app backend's push webhook.
 */
export class AppAdapter extends ChannelAdapter {
  constructor(private readonly opts: AppAdapterOptions) {
    super('app');
    for (const key of ['core', 'customers', 'logger'] as const) {
      if (!opts[key]) throw new ShopError('config_invalid', `AppAdapterOptions.${key} is required`);
    }
    opts.core.install(this);
  }

  /** The conversation reference of an app account, for proactive messages (an agent's reply). */
  static reference(userId: string): Partial<ConversationReference> {
    return {
      channelId: 'app',
      serviceUrl: '',
      user: { id: userId, name: '' },
      bot: { id: 'shop-assistant', name: 'Shop Assistant' },
      conversation: { id: `app:${userId}`, isGroup: false, conversationType: 'personal', name: '' },
    };
  }

  protected async deliver(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    const message = (activity.channelData as { message?: Message } | undefined)?.message;
    const userId = reference.user?.id;
    // Typing has no stored message and nothing to push.
    if (activity.type !== ActivityTypes.Message || !message || !userId) return;
    this.push(userId, message);
  }

  /** Queues one stored outgoing message for the push webhook; never waits for it. */
  private push(userId: string, message: Message): void {
    this.opts.push?.enqueue({
      type: 'message',
      userId,
      customerId: message.customerId,
      conversationId: message.conversationId,
      message: toWireMessage(message),
    });
  }

  /**
   * Verified evidence from the shop's backend: app account `userId` is customer
   * `customerId` (created when unknown). An anonymous customer the account had brings its
   * history along (merge); an account that belonged to another KNOWN customer (another
   * login on the same app) is moved, never merged, so two real customers never share a history.
   */
  async linkCustomer(userId: string, customerId: string, locale?: Locale): Promise<Customer> {
    const { customers } = this.opts;
    for (let attempt = 1; ; attempt++) {
      try {
        const account = await customers.findByIdentity('app', userId);
        if (account?.id === customerId) return account;
        const target = await this.verifiedCustomer(customerId, locale ?? account?.locale);
        if (!account) return await customers.linkIdentity(target.id, 'app', userId);
        if (account.tags.includes(ANONYMOUS)) {
          const merged = await this.opts.core.linker.mergeCustomers(account.id, target.id);
          return await this.dropAnonymousTag(merged);
        }
        this.opts.logger.warn({ userId, from: account.id, to: target.id }, 'app account moved to another known customer (not merged)');
        await customers.unlinkIdentity(account.id, 'app', userId);
        return await customers.linkIdentity(target.id, 'app', userId);
      } catch (err) {
        // A concurrent first contact created or moved the account meanwhile: look again.
        if (attempt < 3 && (isShopError(err, 'conflict') || isShopError(err, 'not_found'))) continue;
        throw err;
      }
    }
  }

  private async verifiedCustomer(customerId: string, locale: Locale | undefined): Promise<Customer> {
    const known = await this.opts.customers.get(customerId);
    if (known) return this.dropAnonymousTag(known);
    try {
      return await this.opts.customers.create({ id: customerId, displayName: locale === 'zh' ? '顾客' : 'Customer', locale: locale ?? 'en' });
    } catch (err) {
      const raced = isShopError(err, 'conflict') ? await this.opts.customers.get(customerId) : null;
      if (!raced) throw err;
      return raced;
    }
  }

  /**
   * A customer the shop signed is not anonymous, even if a merge brought the tag along
   * (a merge unions tags): without this, a later link would treat it as mergeable.
   */
  private async dropAnonymousTag(customer: Customer): Promise<Customer> {
    if (!customer.tags.includes(ANONYMOUS)) return customer;
    return this.opts.customers.update(customer.id, { tags: customer.tags.filter((t) => t !== ANONYMOUS) });
  }

  /**
   * Runs one shopper message in collect mode: the replies come back in the outcome (for
   * the HTTP response) and are queued for the push webhook. A redelivery pushes nothing.
   */
  async handleMessage(input: AppMessageInput): Promise<TurnOutcome> {
    const reference = AppAdapter.reference(input.userId);
    const activity: Partial<Activity> = {
      type: ActivityTypes.Message,
      channelId: 'app',
      id: input.channelMessageId,
      from: reference.user,
      recipient: reference.bot,
      conversation: reference.conversation,
      serviceUrl: '',
      text: input.text,
      value: input.value,
      locale: input.locale,
      timestamp: new Date(),
    };
    // A retry (same Idempotency-Key) of a message stored before the store failed gets its answer now.
    const outcome = await this.processActivity(activity, this.opts.core.logic, { collect: true, answerUnanswered: true });
    for (const reply of outcome.replies) {
      const message = (reply.channelData as { message?: Message } | undefined)?.message;
      if (message) this.push(input.userId, message);
    }
    return outcome;
  }
}
