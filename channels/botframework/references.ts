import type { Activity, ConversationReference, Storage } from 'botbuilder';
import { channelAccount } from '../../bots/index.js';
import type { Customer } from '../../store/index.js';

/** What an agent's reply needs to reach a Bot Framework shopper: where and in which conversation. */
interface StoredReference {
  channelId: string;
  serviceUrl: string;
  conversation: { id: string; isGroup?: boolean; conversationType?: string; tenantId?: string; name?: string };
  user: { id: string; name?: string; aadObjectId?: string };
  bot: { id: string; name?: string };
  locale?: string;
  /** When the shopper last wrote from this address (ISO). */
  at: string;
}

/**
 * The Bot Framework address (serviceUrl, conversation, user, bot, channelId) of each
 * shopper account, as their last message gave it, kept in the bot-state storage under the
 * channel account (`botframework/references/<channelId>:<from.id>`): a key belongs to one
 * channel account, an account to one customer, and a customer's erasure removes it (the key
 * contains the account id). Only activities that were accepted (authenticated, or from this
 * machine without an app id) and stored are recorded, so a reference always names a
 * serviceUrl this server was allowed to answer.
 */
export class ConversationReferences {
  constructor(private readonly storage: Storage) {}

  static key(externalId: string): string {
    return `botframework/references/${externalId}`;
  }

  /** Records the address of an accepted shopper activity. */
  async remember(activity: Activity): Promise<void> {
    const { externalId } = channelAccount(activity);
    const ref: StoredReference = {
      channelId: activity.channelId,
      serviceUrl: activity.serviceUrl,
      conversation: pick(activity.conversation, ['id', 'isGroup', 'conversationType', 'tenantId', 'name']) as StoredReference['conversation'],
      user: pick(activity.from, ['id', 'name', 'aadObjectId']) as StoredReference['user'],
      bot: activity.recipient ? (pick(activity.recipient, ['id', 'name']) as StoredReference['bot']) : { id: 'bot' },
      ...(activity.locale ? { locale: activity.locale } : {}),
      at: new Date().toISOString(),
    };
    // Last writer wins: the newest message's address is the one to answer.
    await this.storage.write({ [ConversationReferences.key(externalId)]: { ...ref, eTag: '*' } });
  }

  /**
   * The address to reach `customer` on Bot Framework: the most recent one among the
   * customer's own Bot Framework accounts (nobody else's), or undefined.
   */
  async latestFor(customer: Customer): Promise<Partial<ConversationReference> | undefined> {
    const keys = customer.identities.filter((i) => i.channel === 'botframework').map((i) => ConversationReferences.key(i.externalId));
    if (keys.length === 0) return undefined;
    const found = await this.storage.read(keys);
    let best: StoredReference | undefined;
    for (const key of keys) {
      const ref = usable(found[key]);
      if (ref && (!best || ref.at > best.at)) best = ref;
    }
    return best ? asReference(best) : undefined;
  }

  /**
   * The address of one Bot Framework account (`<channelId>:<from.id>`, as `channelAccount`
   * names it), as its last message gave it; undefined when none was stored. For a message
   * meant for that very account (the link-code owner's notice).
   */
  async forAccount(externalId: string): Promise<Partial<ConversationReference> | undefined> {
    const key = ConversationReferences.key(externalId);
    const ref = usable((await this.storage.read([key]))[key]);
    return ref ? asReference(ref) : undefined;
  }
}

function usable(item: unknown): StoredReference | undefined {
  const ref = item as StoredReference | undefined;
  return ref?.serviceUrl && ref.conversation?.id && ref.user?.id ? ref : undefined;
}

function asReference(ref: StoredReference): Partial<ConversationReference> {
  return {
    channelId: ref.channelId,
    serviceUrl: ref.serviceUrl,
    conversation: { ...ref.conversation, isGroup: ref.conversation.isGroup ?? false, conversationType: ref.conversation.conversationType ?? '', name: ref.conversation.name ?? '' },
    user: { name: '', ...ref.user },
    bot: { name: '', ...ref.bot },
    ...(ref.locale ? { locale: ref.locale } : {}),
  };
}

function pick(from: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const k of keys) {
    const v = (from as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return { ...out };
}
