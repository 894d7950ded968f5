import { ActivityTypes, MessageFactory, TurnContext, type Activity, type ConversationReference } from 'botbuilder-core';
import type { Logger } from 'pino';
import {
  isShopError,
  listAll,
  ShopError,
  type Agent,
  type AgentStatus,
  type ChannelId,
  type Conversation,
  type Customer,
  type Locale,
  type Message,
  type Store,
} from '../../store/index.js';
import type { ChannelAdapter } from '../adapter.js';
import { productCardAttachment, type ProductCard, type QuickReply } from '../cards.js';
import { claimBeforeSending, OutboundDelivery, type DeliveryResult } from '../delivery.js';
import type { EventBus } from '../events.js';
import { inboundMessage, turnConversation, turnCustomer, updateTurnConversation } from '../turn-state.js';
import { awaitsRating, effectivePriority, parseRating, pickAgent, priorityOf, queueOrder, topicOf, wechatWindow, type WeChatWindow } from './routing.js';
import { HANDOFF_TEXT, ratingChoices } from './texts.js';
import type { ServiceHours } from '../../skills/index.js';

export interface HandoffServiceOptions {
  store: Store;
  events: EventBus;
  logger: Logger;
  /** Assign queued conversations to the least busy matching agent (default); off = agents claim. */
  autoAssign?: boolean;
  /** How long after the resolution a shopper's "1".."5" still counts as the rating. */
  ratingWindowMs?: number;
  /** At most one "still in the queue" notice per conversation this often (unless the position changed). */
  noticeIntervalMs?: number;
  /** Called for each hand-off and each agent reply (metrics). */
  onCount?: (what: 'handoff' | 'agent_reply' | 'resolved', labels: Record<string, string>) => void;
  clock?: () => Date;
  /** Retries and delivery status of what agents and notices send (default: the default policy). */
  delivery?: OutboundDelivery;
  /** SERVICE_HOURS: the queue notice quotes them, and says "outside our hours" when no agent is online then. */
  serviceHours?: ServiceHours;
}

/** A channel's address of a customer for an out-of-turn message (see `registerChannel`). */
export type ReferenceResolver = (conv: Conversation, customer: Customer) => Promise<Partial<ConversationReference> | undefined>;

/** What the console needs to know about a failed reply: `reason` is machine-readable. */
function refuse(reason: string, message: string, code: 'conflict' | 'bad_request' | 'unavailable' = 'conflict', extra: Record<string, unknown> = {}): ShopError {
  return new ShopError(code, message, { details: { reason, ...extra } });
}

/** Original activities of messages not yet delivered, for resending them as they were (at most this many). */
const MAX_KEPT_ACTIVITIES = 1000;

/**
 * The hand-off from bot to human and back. The bot side escalates a turn's conversation
 * (queue with priority, skills-based auto-assignment) and answers held messages with a
 * queue-position notice only; the agent side claims, replies (on the shopper's own channel,
 * through that channel's adapter, so the transcript stores it), transfers, reassigns and
 * resolves (the shopper is then asked for a 1-5 rating). Every state change is an atomic
 * store transition, so two agents, two nodes or an agent and the auto-assigner racing for
 * one conversation have exactly one winner.
 */
export class HandoffService {
  private readonly channels = new Map<ChannelId, ChannelAdapter>();
  private readonly notices = new Map<string, { at: number; position: number }>();
  private readonly autoAssign: boolean;
  private readonly ratingWindowMs: number;
  private readonly noticeIntervalMs: number;
  private readonly clock: () => Date;
  /** One assignment sweep at a time on this node (the store arbitrates between nodes). */
  private sweeping: Promise<number> = Promise.resolve(0);
  readonly delivery: OutboundDelivery;
  private readonly unsent = new Map<string, Partial<Activity>>();
  private readonly references = new Map<ChannelId, ReferenceResolver>();

  constructor(private readonly o: HandoffServiceOptions) {
    for (const key of ['store', 'events', 'logger'] as const) {
      if (!o[key]) throw new ShopError('config_invalid', `HandoffServiceOptions.${key} is required`);
    }
    this.autoAssign = o.autoAssign ?? true;
    this.ratingWindowMs = o.ratingWindowMs ?? 24 * 3600_000;
    this.noticeIntervalMs = o.noticeIntervalMs ?? 2 * 60_000;
    this.clock = o.clock ?? (() => new Date());
    this.delivery = o.delivery ?? new OutboundDelivery({ store: o.store, events: o.events, logger: o.logger });
  }

  /**
   * Channels whose shoppers agents can reply to. `reference`: the shopper's address on a
   * channel where it cannot be derived from the account id (Bot Framework: the serviceUrl
   * and conversation their last message came from); undefined means nothing to reach.
   */
  registerChannel(adapter: ChannelAdapter, opts: { reference?: ReferenceResolver } = {}): void {
    this.channels.set(adapter.channelId, adapter);
    if (opts.reference) this.references.set(adapter.channelId, opts.reference);
  }

  get autoAssigns(): boolean {
    return this.autoAssign;
  }

  // ------------------------------------------------------------------ bot side

  /**
   * Sends the turn's conversation to the human queue (no-op when a human has it already)
   * and tells the shopper what happens next, in this turn.
   */
  async escalate(context: TurnContext, input: { reason: string; locale: Locale; intent?: string; sentiment?: number }): Promise<Conversation> {
    const current = turnConversation(context);
    if (current.status === 'queued' || current.status === 'assigned') return current;
    const customer = turnCustomer(context);
    const priority = priorityOf(input.reason, { vip: customer.vip, sentiment: input.sentiment });
    const topic = topicOf(input.intent);
    let conv = await this.o.store.conversations.enqueue(current.id, { priority, reason: input.reason, language: input.locale, ...(topic ? { topic } : {}) });
    this.count('handoff', { reason: input.reason.startsWith('skill:') ? 'skill' : input.reason });
    this.o.logger.info({ conversationId: conv.id, reason: input.reason, priority, topic }, 'handed to the support queue');
    this.publish(conv);
    let agent: Agent | undefined;
    if (this.autoAssign) {
      const r = await this.tryAssign(conv, customer);
      if (r) [conv, agent] = r;
    }
    updateTurnConversation(context, conv);
    if (agent) {
      await context.sendActivity(systemMessage(HANDOFF_TEXT.joined(input.locale, agent.name), input.locale));
    } else {
      const position = await this.position(conv.id);
      const online = await this.anyoneOnline(conv.language);
      this.notices.set(conv.id, { at: this.clock().getTime(), position });
      await context.sendActivity(systemMessage(HANDOFF_TEXT.queued(input.locale, position, online, this.o.serviceHours, this.clock()), input.locale));
    }
    return conv;
  }

  /**
   * A shopper's message while a human owns the conversation: the bot stays silent, except
   * for a queue-position notice while it is still queued (at most one per interval unless
   * the position moved).
   */
  async onHeld(context: TurnContext): Promise<void> {
    const conv = turnConversation(context);
    if (conv.status !== 'queued') return;
    const position = await this.position(conv.id);
    const last = this.notices.get(conv.id);
    const now = this.clock().getTime();
    if (last && last.position === position && now - last.at < this.noticeIntervalMs) return;
    this.notices.set(conv.id, { at: now, position });
    if (this.notices.size > 10_000) this.notices.delete(this.notices.keys().next().value!);
    await context.sendActivity(systemMessage(HANDOFF_TEXT.stillQueued(conv.language, position), conv.language));
  }

  /**
   * The shopper's answer to the rating question: the `csat:N` quick reply, or a bare "1".."5"
   * as the first message after a recent resolution. True when it was taken as the rating.
   */
  async captureRating(context: TurnContext, text: string, locale: Locale): Promise<boolean> {
    const rating = parseRating(text);
    if (!rating) return false;
    const { score, explicit } = rating;
    const inbound = inboundMessage(context);
    const here = turnConversation(context);
    // A bare digit counts only as the first thing said after the question: the identity step
    // files it in the resolved conversation it answers, or it opens a new conversation.
    if (!explicit && inbound && inbound.seq > 1 && !awaitsRating(here, this.clock().getTime(), this.ratingWindowMs)) return false;
    const customer = turnCustomer(context);
    const recent = await this.o.store.conversations.listByCustomer(customer.id, { limit: 5 });
    const now = this.clock().getTime();
    const pending = awaitsRating(here, now, this.ratingWindowMs) ? here : recent.items.find((c) => awaitsRating(c, now, this.ratingWindowMs));
    if (!pending) return false;
    try {
      const rated = await this.o.store.conversations.rate(pending.id, score);
      this.publish(rated);
    } catch (err) {
      if (!isShopError(err, 'conflict')) throw err;
      return false; // rated meanwhile (a double click)
    }
    // A bare digit has no language: thank in the language of the conversation that was rated.
    const l = explicit || !/\p{L}{2,}|\p{Script=Han}/u.test(text) ? pending.language : locale;
    await context.sendActivity(MessageFactory.text(HANDOFF_TEXT.thanksForRating(l, score)));
    return true;
  }

  // ---------------------------------------------------------------- agent side

  /** Queued conversations, most urgent first (priority plus waiting time). */
  async queue(): Promise<Conversation[]> {
    const queued = await listAll((page) => this.o.store.conversations.list({ status: 'queued' }, page));
    return queueOrder(queued, this.clock());
  }

  /** 1-based place in the queue; 0 when not queued. */
  async position(conversationId: string): Promise<number> {
    const q = await this.queue();
    return q.findIndex((c) => c.id === conversationId) + 1;
  }

  async claim(conversationId: string, agent: Agent): Promise<Conversation> {
    let conv: Conversation;
    try {
      conv = await this.o.store.conversations.claim(conversationId, agent.id);
    } catch (err) {
      if (isShopError(err, 'conflict')) {
        const now = await this.o.store.conversations.get(conversationId);
        throw refuse('already_claimed', now?.status === 'resolved' ? 'this conversation is already resolved' : 'another agent has already taken this conversation');
      }
      throw err;
    }
    this.publish(conv);
    await this.announce(conv, agent);
    return conv;
  }

  /**
   * Assigns waiting conversations to agents who can take them (online, language, capacity),
   * most urgent first. Returns how many were assigned. Runs one sweep at a time per node.
   */
  assignWaiting(): Promise<number> {
    if (!this.autoAssign) return Promise.resolve(0);
    this.sweeping = this.sweeping.then(
      () => this.sweep(),
      () => this.sweep(),
    );
    return this.sweeping;
  }

  private async sweep(): Promise<number> {
    let assigned = 0;
    for (const conv of await this.queue()) {
      const customer = await this.o.store.customers.get(conv.customerId);
      if (!customer) continue;
      const r = await this.tryAssign(conv, customer);
      if (r) {
        assigned++;
        await this.announce(r[0], r[1]).catch((err: unknown) => this.o.logger.warn({ err, conversationId: conv.id }, 'could not tell the shopper an agent joined'));
      }
    }
    return assigned;
  }

  /** Picks the best agent and claims for them; undefined if nobody fits or someone else won. */
  private async tryAssign(conv: Conversation, customer: Customer): Promise<[Conversation, Agent] | undefined> {
    const agents = await listAll((page) => this.o.store.agents.list({ status: 'online' }, page));
    const loads = await this.o.store.conversations.assignedCounts();
    const agent = pickAgent(agents, loads, { language: conv.language, topic: conv.topic, vip: customer.vip });
    if (!agent) return undefined;
    try {
      const claimed = await this.o.store.conversations.claim(conv.id, agent.id);
      this.publish(claimed);
      this.o.logger.info({ conversationId: conv.id, agentId: agent.id }, 'auto-assigned');
      return [claimed, agent];
    } catch (err) {
      if (isShopError(err, 'conflict')) return undefined;
      throw err;
    }
  }

  /** An agent's reply, delivered on the shopper's channel and stored in the transcript. */
  async reply(conversationId: string, agent: Agent, text: string): Promise<Message> {
    const body = text.trim();
    if (body === '') throw new ShopError('bad_request', 'the reply is empty');
    if (body.length > 2000) throw new ShopError('bad_request', 'a reply is at most 2000 characters');
    const conv = await this.mustGet(conversationId);
    this.checkOwner(conv, agent);
    if (conv.channel === 'wechat') {
      const w = await this.wechatWindowOf(conv.customerId);
      if (!w.open) {
        throw refuse(
          'wechat_window_closed',
          w.lastInboundAt
            ? `WeChat delivers customer-service messages only within 48 hours of the shopper's last message; this shopper last wrote at ${w.lastInboundAt.toISOString()} and the window closed at ${w.closesAt!.toISOString()}. Nothing was sent: the shopper has to write to the Official Account again first.`
            : `WeChat delivers customer-service messages only within 48 hours of the shopper's last message, and this shopper has never written on WeChat. Nothing was sent.`,
        );
      }
    }
    const message = await this.deliver(conv, { ...MessageFactory.text(body), channelData: { sender: 'agent', agentId: agent.id, agentName: agent.name } }, (now) =>
      this.checkOwner(now, agent),
    );
    await this.o.store.conversations.markFirstResponse(conv.id, message.createdAt);
    this.count('agent_reply', { channel: conv.channel });
    return message;
  }

  async transfer(conversationId: string, agent: Agent, toAgentId: string): Promise<Conversation> {
    const target = await this.available(toAgentId);
    if (target.id === agent.id) throw new ShopError('bad_request', 'this conversation is already yours');
    let conv: Conversation;
    try {
      conv = await this.o.store.conversations.transfer(conversationId, agent.id, target.id);
    } catch (err) {
      if (isShopError(err, 'conflict')) throw refuse('not_assigned_to_you', 'this conversation is not assigned to you any more');
      throw err;
    }
    this.publish(conv);
    await this.announce(conv, target);
    return conv;
  }

  /** A supervisor moves a queued or assigned conversation to another agent. */
  async reassign(conversationId: string, toAgentId: string): Promise<Conversation> {
    const target = await this.available(toAgentId);
    let conv: Conversation;
    try {
      conv = await this.o.store.conversations.reassign(conversationId, target.id);
    } catch (err) {
      if (isShopError(err, 'conflict')) throw refuse('not_open', 'only a queued or assigned conversation can be reassigned');
      throw err;
    }
    this.publish(conv);
    await this.announce(conv, target);
    return conv;
  }

  /**
   * Ends the human part: the shopper is asked for a 1-5 rating on their channel, then the
   * conversation is resolved and the bot answers again (in a new conversation).
   */
  async resolve(conversationId: string, agent: Agent, opts: { supervisor?: boolean } = {}): Promise<Conversation> {
    const conv = await this.mustGet(conversationId);
    if (conv.status === 'resolved') throw refuse('resolved', 'this conversation is already resolved');
    if (!opts.supervisor) this.checkOwner(conv, agent);
    if (conv.status === 'assigned' || conv.status === 'queued') {
      try {
        const l = conv.language;
        await this.deliver(
          conv,
          {
            ...MessageFactory.suggestedActions(
              ratingChoices(l).map((c) => ({ type: 'imBack', title: c.title, value: c.value })),
              HANDOFF_TEXT.resolved(l, agent.name),
            ),
            channelData: { sender: 'system' },
          },
          () => undefined,
        );
      } catch (err) {
        // The rating question is a courtesy: a closed WeChat window must not keep the conversation open.
        this.o.logger.warn({ err, conversationId }, 'could not ask for a rating');
      }
    }
    let resolved: Conversation;
    try {
      resolved = await this.o.store.conversations.resolve(conversationId);
    } catch (err) {
      if (isShopError(err, 'conflict')) throw refuse('resolved', 'this conversation is already resolved');
      throw err;
    }
    this.notices.delete(conversationId);
    this.count('resolved', { channel: resolved.channel });
    this.publish(resolved);
    void this.assignWaiting().catch((err: unknown) => this.o.logger.warn({ err }, 'assignment sweep failed'));
    return resolved;
  }

  async setStatus(agent: Agent, status: AgentStatus): Promise<Agent> {
    const updated = await this.o.store.agents.update(agent.id, { status });
    this.o.events.publish({ type: 'agent', agentId: updated.id });
    if (status === 'offline') await this.requeueAssignedTo(updated);
    if (status === 'online') void this.assignWaiting().catch((err: unknown) => this.o.logger.warn({ err }, 'assignment sweep failed'));
    return updated;
  }

  /**
   * An agent going offline hands their open conversations back to the queue, keeping the
   * priority they had earned by waiting, so no shopper waits on someone who has left; with
   * auto-assign another agent gets them at once. Returns how many went back.
   */
  async requeueAssignedTo(agent: Agent): Promise<number> {
    const mine = await listAll((page) => this.o.store.conversations.list({ status: 'assigned', assigneeId: agent.id }, page));
    const now = this.clock();
    let requeued = 0;
    for (const c of mine) {
      try {
        const queued = await this.o.store.conversations.enqueue(c.id, {
          priority: effectivePriority(c, now),
          reason: c.handoffReason ?? 'requested',
          ...(c.topic ? { topic: c.topic } : {}),
          language: c.language,
        });
        this.publish(queued);
        requeued += 1;
      } catch (err) {
        if (!isShopError(err, 'conflict')) throw err; // resolved meanwhile
      }
    }
    if (requeued > 0) {
      this.o.logger.info({ agentId: agent.id, requeued }, 'agent went offline: their conversations are back in the queue');
      void this.assignWaiting().catch((err: unknown) => this.o.logger.warn({ err }, 'assignment sweep failed'));
    }
    return requeued;
  }

  /** An agent typing in a conversation: shown in the shopper's widget. */
  typing(conv: Conversation, on: boolean, agentName?: string): void {
    this.o.events.publish({ type: 'typing', customerId: conv.customerId, conversationId: conv.id, on, from: 'agent', ...(agentName ? { agentName } : {}) });
  }

  /** WeChat's 48-hour customer-service window for this customer. */
  async wechatWindowOf(customerId: string): Promise<WeChatWindow> {
    let last: Date | null = null;
    let cursor: string | null | undefined;
    // Newest first: the first inbound WeChat message is the last one the shopper sent.
    for (let pages = 0; pages < 5 && last === null; pages++) {
      const page = await this.o.store.messages.listByCustomer(customerId, { limit: 200, cursor });
      last = page.items.find((m) => m.channel === 'wechat' && m.direction === 'in')?.createdAt ?? null;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return wechatWindow(last, this.clock());
  }

  // ------------------------------------------------------------------ helpers

  /** Metrics are a side show: a failing counter never fails the hand-off. */
  private count(what: 'handoff' | 'agent_reply' | 'resolved', labels: Record<string, string>): void {
    try {
      this.o.onCount?.(what, labels);
    } catch (err) {
      this.o.logger.warn({ err, what }, 'hand-off metric failed');
    }
  }

  private publish(conv: Conversation): void {
    this.o.events.publish({ type: 'conversation', conversation: conv });
  }

  private async mustGet(id: string): Promise<Conversation> {
    const conv = await this.o.store.conversations.get(id);
    if (!conv) throw new ShopError('not_found', `conversation ${id} not found`);
    return conv;
  }

  private checkOwner(conv: Conversation, agent: Agent): void {
    if (conv.status === 'resolved') throw refuse('resolved', 'this conversation was resolved; nothing was sent');
    if (conv.status !== 'assigned' || conv.assigneeId !== agent.id) {
      throw refuse('not_assigned_to_you', conv.status === 'queued' ? 'claim this conversation before replying; nothing was sent' : 'this conversation is not assigned to you any more; nothing was sent');
    }
  }

  private async available(agentId: string): Promise<Agent> {
    const target = await this.o.store.agents.get(agentId);
    if (!target) throw new ShopError('bad_request', `no agent ${agentId}`);
    if (target.status === 'offline') throw new ShopError('bad_request', `${target.name} is offline`);
    return target;
  }

  private async anyoneOnline(language: Locale): Promise<boolean> {
    const online = await this.o.store.agents.list({ status: 'online' }, { limit: 500 });
    return online.items.some((a) => a.languages.includes(language));
  }

  /** Tells the shopper who has joined (assignment, transfer, reassignment). Best effort. */
  private async announce(conv: Conversation, agent: Agent): Promise<void> {
    this.notices.delete(conv.id);
    try {
      await this.deliver(conv, systemMessage(HANDOFF_TEXT.joined(conv.language, agent.name), conv.language), () => undefined);
    } catch (err) {
      this.o.logger.warn({ err, conversationId: conv.id }, 'could not tell the shopper who joined');
    }
  }

  /**
   * Sends again a stored outbound message whose delivery failed (the console's Retry): the
   * SAME message, never a new copy in the transcript, with the retry policy. `conflict`
   * (reason `not_failed`) unless its delivery is `failed` and not being retried already.
   */
  async retryDelivery(messageId: string): Promise<Message> {
    const message = await this.o.store.messages.get(messageId);
    if (!message || message.direction !== 'out') throw new ShopError('not_found', `message ${messageId} not found`);
    if (message.delivery?.status !== 'failed' || this.delivery.isBusy(message.id)) {
      throw refuse('not_failed', `only a message whose delivery failed can be sent again; this one is ${message.delivery?.status ?? 'not tracked'}`);
    }
    const conv = await this.mustGet(message.conversationId);
    const { adapter, reference } = await this.route(conv);
    const activity = this.unsent.get(message.id) ?? activityOf(message);
    const result = await this.delivery.send(message.id, () => this.resend(adapter, reference, activity, message), message.delivery.attempts);
    return this.settle(conv, result, activity);
  }

  /**
   * One attempt to send a stored outbound message to its shopper's channel again, as it was
   * stored: the outbox (bots/delivery.ts) resuming a delivery a stopped node left unfinished.
   * It has claimed the message and applies the retry policy; nothing is added to the transcript.
   */
  async redeliver(message: Message): Promise<void> {
    const conv = await this.mustGet(message.conversationId);
    const { adapter, reference } = await this.route(conv);
    await this.resend(adapter, reference, this.unsent.get(message.id) ?? activityOf(message), message);
  }

  /** The channel adapter and the shopper's address on it, or `delivery_failed` (nothing was sent). */
  private async route(conv: Conversation): Promise<{ adapter: ChannelAdapter; reference: Partial<ConversationReference> }> {
    const adapter = this.channels.get(conv.channel);
    if (!adapter) {
      throw refuse('delivery_failed', `replies to ${conv.channel} conversations cannot be sent from this server`, 'unavailable');
    }
    const customer = await this.o.store.customers.get(conv.customerId);
    const resolve = this.references.get(conv.channel);
    if (resolve) {
      const stored = customer ? await resolve(conv, customer) : undefined;
      if (!stored) throw refuse('delivery_failed', `the customer has no ${conv.channel} address to reply to (they have not written there from a reachable conversation)`, 'unavailable');
      return { adapter, reference: stored };
    }
    const identity = customer?.identities.filter((i) => i.channel === conv.channel).sort((a, b) => b.linkedAt.getTime() - a.linkedAt.getTime())[0];
    if (!identity) throw refuse('delivery_failed', `the customer has no ${conv.channel} account any more`, 'unavailable');
    const reference: Partial<ConversationReference> = {
      channelId: conv.channel,
      serviceUrl: '',
      user: { id: identity.externalId, name: '' },
      bot: { id: 'shop-assistant', name: 'Shop Assistant' },
      conversation: { id: `${conv.channel}:${identity.externalId}`, isGroup: false, conversationType: 'personal', name: '' },
    };
    return { adapter, reference };
  }

  /**
   * Sends an already stored activity to the channel again, outside the middleware (the
   * transcript must not store it twice). The widget gets messages from the event bus, so
   * there the message is published again.
   */
  private async resend(adapter: ChannelAdapter, reference: Partial<ConversationReference>, activity: Partial<Activity>, message?: Message): Promise<void> {
    const event = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'redeliver' }, reference, true);
    const context = new TurnContext(adapter, event);
    try {
      await adapter.sendActivities(context, [activity]);
    } finally {
      context.turnState.clear();
    }
    if (adapter.channelId === 'web') {
      const stored = message ?? (activity.id ? await this.o.store.messages.get(activity.id) : null);
      if (stored) this.o.events.publish({ type: 'message', message: stored });
    }
  }

  /**
   * Sends one activity to the conversation's shopper through their channel's adapter (a
   * proactive turn: the transcript stores it first). `recheck` runs on the conversation as
   * the turn sees it, just before sending, so a conversation resolved or transferred
   * meanwhile sends nothing. A send the channel refuses for a while (network, WeChat busy,
   * HTTP 5xx) is retried in the background and the message comes back `pending`; a
   * permanent refusal marks it `failed` and throws (`wechat_window_closed` or `delivery_failed`).
   */
  private async deliver(conv: Conversation, activity: Partial<Activity>, recheck: (now: Conversation) => void): Promise<Message> {
    const { adapter, reference } = await this.route(conv);
    let sent: Partial<Activity> | undefined;
    let error: unknown;
    try {
      await adapter.continueConversation(reference, async (ctx) => {
        const now = turnConversation(ctx);
        if (now.id !== conv.id) throw refuse('resolved', 'this conversation was resolved; nothing was sent');
        recheck(now);
        // Claimed `pending` under this node before the channel sees it: a crash mid-attempt leaves it to the outbox.
        claimBeforeSending(ctx, this.delivery, (a) => {
          sent = a;
        });
        await ctx.sendActivity(activity);
      });
    } catch (err) {
      // Once begun, the delivery's outcome is always recorded (its claim must not be left renewed).
      if (!sent?.id && isShopError(err) && typeof err.details?.['reason'] === 'string') throw err;
      if (!sent?.id) {
        const why = isShopError(err) ? err.message : 'the channel did not accept it';
        throw new ShopError('unavailable', `the ${conv.channel} channel did not take the message: ${why}`, { cause: err, details: { reason: 'delivery_failed' } });
      }
      error = err;
    }
    if (!sent?.id) throw new ShopError('internal', 'the sent message was not stored');
    const out = sent;
    const result = await this.delivery.afterFirstAttempt(out.id!, error, () => this.resend(adapter, reference, out));
    return this.settle(conv, result, out);
  }

  /** The stored message after a first attempt; a failed one throws what the console shows. */
  private settle(conv: Conversation, result: DeliveryResult, activity: Partial<Activity>): Message {
    const id = result.message.id;
    if (result.status === 'sent') {
      this.unsent.delete(id);
    } else {
      this.unsent.set(id, activity);
      if (this.unsent.size > MAX_KEPT_ACTIVITIES) this.unsent.delete(this.unsent.keys().next().value!);
      void result.settled.then((m) => {
        if (m.delivery?.status === 'sent') this.unsent.delete(id);
      });
    }
    if (result.status !== 'failed') return result.message;
    const err = result.cause;
    if (isShopError(err) && err.details?.['errcode'] === 45015) {
      throw refuse(
        'wechat_window_closed',
        `WeChat refused the message: the shopper has not written to the Official Account in the last 48 hours (errcode 45015). It is in the transcript but was not delivered.`,
        'conflict',
        { messageId: id },
      );
    }
    const why = result.failure?.error ?? 'the channel did not accept it';
    throw new ShopError('unavailable', `the message is stored but the ${conv.channel} channel did not deliver it: ${why}`, {
      cause: err,
      details: { reason: 'delivery_failed', messageId: id },
    });
  }
}

/** A stored outbound message as an activity again (text, product cards, quick replies), for a resend. */
export function activityOf(m: Message): Partial<Activity> {
  const p = m.payload ?? {};
  const cards = Array.isArray(p['cards']) ? (p['cards'] as ProductCard[]) : [];
  const quick = Array.isArray(p['suggestedActions']) ? (p['suggestedActions'] as QuickReply[]) : [];
  return {
    type: ActivityTypes.Message,
    id: m.id,
    text: m.text,
    ...(cards.length > 0 ? { attachments: cards.map(productCardAttachment), attachmentLayout: 'carousel' as const } : {}),
    ...(quick.length > 0 ? { suggestedActions: { to: [], actions: quick.map((q) => ({ type: 'imBack', title: q.title, value: q.value })) } } : {}),
    channelData: { sender: m.sender, ...(m.agentId ? { agentId: m.agentId } : {}), message: m },
  };
}

function systemMessage(text: string, locale: Locale): Partial<Activity> {
  return { type: ActivityTypes.Message, text, locale: locale === 'zh' ? 'zh-CN' : 'en-US', channelData: { sender: 'system' } };
}
