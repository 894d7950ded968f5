import { type Middleware, type TurnContext } from 'botbuilder-core';
import {
  isShopError,
  ShopError,
  type ChannelId,
  type Conversation,
  type ConversationRepository,
  type Customer,
  type CustomerRepository,
  type Locale,
} from '../../store/index.js';
import { awaitsRating, parseRating } from '../handoff/routing.js';
import { setTurnCustomer } from '../turn-state.js';

export interface IdentityDeps {
  customers: CustomerRepository;
  conversations: ConversationRepository;
}

/**
 * The customer behind a channel account, created (anonymous) on first contact. Two first
 * messages racing from one new account end up on one customer: the loser of the unique
 * identity insert reads the winner's.
 */
export async function resolveCustomer(
  deps: IdentityDeps,
  channel: ChannelId,
  externalId: string,
  hints: { name?: string; locale?: Locale } = {},
): Promise<Customer> {
  const existing = await deps.customers.findByIdentity(channel, externalId);
  if (existing) return existing;
  try {
    return await deps.customers.create({
      displayName: hints.name?.trim() || (hints.locale === 'zh' ? '访客' : 'Visitor'),
      locale: hints.locale ?? 'en',
      tags: ['anonymous'],
      identities: [{ channel, externalId }],
    });
  } catch (err) {
    if (!isShopError(err, 'conflict')) throw err;
    const winner = await deps.customers.findByIdentity(channel, externalId);
    if (!winner) throw err;
    return winner;
  }
}

/**
 * The customer's open conversation on this channel, or a new one. An answer to the rating
 * question (`ratingAnswer`) goes to the resolved conversation it rates, when there is one on
 * this channel: a rating is the end of that conversation, not the start of another (it would
 * count as one more bot conversation on the dashboard).
 */
export async function resolveConversation(
  deps: IdentityDeps,
  customer: Customer,
  channel: ChannelId,
  opts: { ratingAnswer?: boolean; now?: number } = {},
): Promise<Conversation> {
  const open = await deps.conversations.findOpenByCustomer(customer.id, channel);
  if (open) return open;
  if (opts.ratingAnswer) {
    const now = opts.now ?? Date.now();
    const recent = await deps.conversations.listByCustomer(customer.id, { limit: 5 });
    const rated = recent.items.find((c) => c.channel === channel && awaitsRating(c, now));
    if (rated) return rated;
  }
  return deps.conversations.create({ customerId: customer.id, channel, language: customer.locale });
}

/** Whether the activity answers the 1-5 rating question (its quick reply, or a bare score typed back). */
function isRatingAnswer(a: { type?: string; text?: string; value?: unknown }): boolean {
  if (a.type !== 'message') return false;
  const text = typeof a.value === 'string' ? a.value : (a.text ?? '');
  return parseRating(text) !== undefined;
}

export function localeOf(raw: string | undefined): Locale | undefined {
  if (!raw) return undefined;
  return raw.toLowerCase().startsWith('zh') ? 'zh' : raw.toLowerCase().startsWith('en') ? 'en' : undefined;
}

const OWN_CHANNELS: readonly string[] = ['web', 'wechat', 'app'];

/**
 * The customer identity of an activity's sender. Our own channels use their ids as they
 * are; anything arriving through Bot Framework (Emulator, Direct Line, Teams, ...) is one
 * `botframework` channel whose account ids carry the Bot Framework channel as a prefix.
 */
export function channelAccount(a: { channelId?: string; from?: { id?: string } }): { channel: ChannelId; externalId: string } {
  const id = a.from?.id;
  if (!id || !a.channelId) throw new ShopError('bad_request', 'activity has no channelId or from.id');
  return OWN_CHANNELS.includes(a.channelId)
    ? { channel: a.channelId as ChannelId, externalId: id }
    : { channel: 'botframework', externalId: `${a.channelId}:${id}` };
}

/** Channel account -> customer and conversation, for every activity of the turn. */
export function identityMiddleware(deps: IdentityDeps): Middleware {
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      const a = context.activity;
      const { channel, externalId } = channelAccount(a);
      const customer = await resolveCustomer(deps, channel, externalId, { name: a.from.name, locale: localeOf(a.locale) });
      const conversation = await resolveConversation(deps, customer, channel, { ratingAnswer: isRatingAnswer(a) });
      setTurnCustomer(context, customer, conversation);
      await next();
    },
  };
}
