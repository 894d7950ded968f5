import {
  ActivityTypes,
  BotAdapter,
  TurnContext,
  type Activity,
  type ConversationReference,
  type ResourceResponse,
} from 'botbuilder-core';
import { ShopError, type ChannelId } from '../store/index.js';
import type { TurnAdmission } from './admission.js';
import { isHeldForAgent } from './middleware/handoff-gate.js';
import { isRateLimited } from './middleware/rate-limit.js';
import { answerIfUnanswered, isDuplicateDelivery } from './middleware/transcript.js';
import { inboundMessage, outbox, setClientIp, useOutbox } from './turn-state.js';
import type { Message } from '../store/index.js';

/** What became of one inbound activity. */
export interface TurnOutcome {
  /** The stored inbound message (for a redelivery: the one stored the first time). */
  inbound?: Message;
  /** A redelivery of a message already stored: the bot did not run again. */
  duplicate: boolean;
  /** A human owns the conversation: the bot stayed silent. */
  heldForAgent: boolean;
  /** Over the rate limit: stored, not answered. */
  rateLimited: boolean;
  /** The node was full (`whenOverloaded: 'store'`): stored, not answered. */
  overloaded: boolean;
  /** Outgoing activities, in collect mode. */
  replies: Array<Partial<Activity>>;
}

export type BotLogic = (context: TurnContext) => Promise<void>;

export interface ProcessOptions {
  /** The client's IP, for per-IP rate limits. */
  ip?: string;
  /** Collect outgoing activities and return them instead of delivering them. */
  collect?: boolean;
  /**
   * When the node is full (the admission gate sheds the turn): `refuse` (default) throws an
   * `OverloadError` (503) before anything is stored, so the client retries with the same
   * id; `store` stores the message without answering it (for channels whose clients do not
   * retry, e.g. WeChat once it got `success`).
   */
  whenOverloaded?: 'refuse' | 'store';
  /**
   * A redelivery whose stored original has no answer yet (the store failed mid-turn) runs
   * the bot instead of being dropped: for clients that retry with the same id after a
   * temporary error (widget, app, the WeChat spool).
   */
  answerUnanswered?: boolean;
}

/**
 * Base adapter of our channels. A channel implements `deliver` (how one outgoing activity
 * reaches the shopper) and calls `processActivity` with the Activity it made from its
 * inbound protocol; the middleware (identity, transcript, handoff gate, rate limit) and
 * the bot run on the TurnContext built here.
 */
export abstract class ChannelAdapter extends BotAdapter {
  /** Bounds the shopper turns of this node (shared by every channel); none: unbounded. */
  private admission?: TurnAdmission;

  protected constructor(readonly channelId: ChannelId) {
    super();
  }

  /** Puts this adapter's shopper messages behind the node's admission gate. */
  useAdmission(admission: TurnAdmission): this {
    this.admission = admission;
    return this;
  }

  /** Sends one outgoing activity (already stored by the transcript) to the shopper. */
  protected abstract deliver(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void>;

  /**
   * Runs one inbound activity through the middleware and `logic`. With `collect`, returns
   * the activities the turn produced (for channels that answer in the HTTP response).
   */
  async processActivity(activity: Partial<Activity>, logic: BotLogic, opts: ProcessOptions = {}): Promise<TurnOutcome> {
    if (activity.channelId !== this.channelId) {
      throw new ShopError('internal', `activity for channel ${String(activity.channelId)} given to the ${this.channelId} adapter`);
    }
    // Shopper messages wait for a slot (proactive and other activities pass: they are few and cheap).
    let release: (() => void) | undefined;
    let overloaded = false;
    if (this.admission && activity.type === ActivityTypes.Message) {
      try {
        release = await this.admission.enter();
      } catch (err) {
        if (opts.whenOverloaded !== 'store') throw err;
        overloaded = true;
      }
    }
    const context = new TurnContext(this, activity);
    setClientIp(context, opts.ip);
    if (opts.collect) useOutbox(context);
    if (opts.answerUnanswered) answerIfUnanswered(context);
    try {
      // Overloaded but kept: identity and transcript store the message; the bot does not run.
      await this.runMiddleware(context, overloaded ? async () => {} : logic);
      return {
        inbound: inboundMessage(context),
        duplicate: isDuplicateDelivery(context),
        heldForAgent: isHeldForAgent(context),
        rateLimited: isRateLimited(context),
        overloaded,
        replies: (outbox(context) ?? []) as Array<Partial<Activity>>,
      };
    } finally {
      release?.();
      // Nothing may use the context once the turn is over (a late send would go nowhere).
      context.turnState.clear();
    }
  }

  async sendActivities(context: TurnContext, activities: Array<Partial<Activity>>): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    const collected = outbox(context);
    for (const activity of activities) {
      if (activity.type === 'delay') {
        const ms = typeof activity.value === 'number' ? activity.value : 1000;
        await new Promise((r) => setTimeout(r, Math.min(ms, 5000)));
      } else if (collected && activity.type !== ActivityTypes.Typing) {
        collected.push(activity as Record<string, unknown>);
      } else {
        await this.deliver(TurnContext.getConversationReference(context.activity), activity);
      }
      responses.push({ id: activity.id ?? '' });
    }
    return responses;
  }

  updateActivity(_context: TurnContext, _activity: Partial<Activity>): Promise<void> {
    return Promise.reject(new ShopError('bad_request', `the ${this.channelId} channel cannot edit a sent message`));
  }

  deleteActivity(_context: TurnContext, _reference: Partial<ConversationReference>): Promise<void> {
    return Promise.reject(new ShopError('bad_request', `the ${this.channelId} channel cannot delete a sent message`));
  }

  /**
   * Proactive messages (an agent's reply, a notification): runs `logic` on a context whose
   * activity is a `continueConversation` event for `reference`, through the middleware, so
   * the transcript stores what it sends.
   */
  async continueConversation(reference: Partial<ConversationReference>, logic: BotLogic): Promise<void> {
    const event = TurnContext.applyConversationReference(
      { type: ActivityTypes.Event, name: 'continueConversation' },
      reference,
      true,
    );
    const context = new TurnContext(this, event);
    try {
      await this.runMiddleware(context, logic);
    } finally {
      context.turnState.clear();
    }
  }
}
