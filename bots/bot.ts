import { ActivityHandler, ActivityTypes, type TurnContext } from 'botbuilder-core';
import type { Logger } from 'pino';
import { apologizeToUpset, detectLanguage, greetingSkill, humanContactText, type ConversationSession, type CustomerMemory, type Router, type ServiceHours, type Turn } from '../skills/index.js';
import type { MessageRepository, Order } from '../store/index.js';
import type { HandoffService } from './handoff/index.js';
import { localeOf } from './middleware/identity.js';
import type { CustomerState, ShopConversationState } from './state.js';
import { isStoreUnavailable } from './store-health.js';
import { inboundMessage, turnConversation, turnCustomer } from './turn-state.js';

export interface BotDeps {
  router: Router;
  messages: MessageRepository;
  customerState: CustomerState;
  conversationState: ShopConversationState;
  logger: Logger;
  /** The turn's clock; injectable for tests of time-dependent policies. */
  clock?: () => Date;
  /** Hands conversations to human agents; without it the bot tells the shopper how to reach one. */
  handoff?: HandoffService;
  /** Scores a message's mood: -1 furious .. 1 delighted, `anger` for abuse and threats. */
  /** `cues`: the words that carried the mood (stripped to read what an upset shopper asks). */
  sentiment?: (text: string) => { score: number; anger: boolean; cues?: string[] };
  triggers?: HandoffTriggers;
  /** SERVICE_HOURS, quoted when there is no hand-off to tell the shopper how to reach a person. */
  serviceHours?: ServiceHours;
  /** REDACT_TRANSCRIPTS: applied to every text of what is recorded about a message (the entities' values and spans too). */
  redact?: (text: string) => string;
}

/** When the bot hands over by itself (the shopper asking and repeated fallbacks are the skills' and router's). */
export interface HandoffTriggers {
  /** A message at or below this sentiment (-1..0), or an angry one, goes to a human. */
  sentimentThreshold: number;
  /** An unhappy shopper (a complaint, or sentiment at or below -0.5) about an order of at least this total goes to a human. */
  highValueOrder: number;
  findOrder: (number: string) => Promise<Order | null>;
}

/** Where a shopper counts as upset when no hand-off threshold is configured. */
const DEFAULT_UPSET_THRESHOLD = -0.6;

/** Intents that say nothing about the topic of the conversation. */
const NO_TOPIC = new Set(['human_agent', 'none', 'out_of_scope', 'greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'help']);

/**
 * The Shop Assistant: understands each message, records what it understood on the stored
 * message, and hands the turn to the skill the router picks. State is saved after every
 * turn (botbuilder state on the store's Storage).
 */
export class ShopAssistantBot extends ActivityHandler {
  private readonly memory;
  private readonly session;

  constructor(private readonly deps: BotDeps) {
    super();
    this.memory = deps.customerState.createProperty<CustomerMemory>('memory');
    this.session = deps.conversationState.createProperty<ConversationSession>('session');

    this.onMessage(async (context, next) => {
      await this.answer(context);
      await next();
    });

    this.onMembersAdded(async (context, next) => {
      // WeChat "subscribe", a new app install: greet once, in the shopper's language.
      const added = context.activity.membersAdded ?? [];
      if (added.some((m) => m.id === context.activity.from.id)) {
        const turn = await this.turnOf(context, 'hello');
        await greetingSkill.handle({ ...turn, nlu: { intent: 'greeting', confidence: 1, entities: [] } });
      }
      await next();
    });
  }

  override async run(context: TurnContext): Promise<void> {
    await super.run(context);
    if (context.activity.type === ActivityTypes.Message || context.activity.type === ActivityTypes.ConversationUpdate) {
      await this.deps.conversationState.saveChanges(context);
      await this.deps.customerState.saveChanges(context);
    }
  }

  /** The bot's own reasons to hand over: an angry shopper, or an unhappy one with a high-value order. */
  private async trigger(turn: Turn, mood: { score: number; anger: boolean } | undefined): Promise<{ reason: string } | undefined> {
    const t = this.deps.triggers;
    if (!t || !mood) return undefined;
    // Anger goes to a person (after the apology and the answer). A shopper who is only unhappy
    // stays with the bot when it answered them; when it could not, the router has already asked for a person.
    if (mood.anger) return { reason: 'sentiment' };
    if (turn.nlu.intent !== 'complaint' && mood.score > -0.5) return undefined;
    const named = turn.nlu.entities.find((e) => e.type === 'order_number')?.value;
    const number = typeof named === 'string' ? named : turn.memory.lastOrderNumber;
    if (!number) return undefined;
    const order = await t.findOrder(number);
    return order && order.customerId === turn.customer.id && order.total >= t.highValueOrder ? { reason: 'high_value_order' } : undefined;
  }

  /**
   * What an upset shopper asks, without the anger: the words that carried the mood ("ridiculous",
   * "骗子", "!!!") drown the question for the classifier and the search. The message is read again
   * without them; when that reading is surer, it is the one answered (the entities of the whole
   * message, such as an order number, are kept).
   */
  private async readPastTheAnger(turn: Turn, cues: string[]): Promise<void> {
    let calm = turn.text;
    for (const cue of cues) {
      const word = cue.replace(/^[a-z]+: /, '').trim();
      if (word.length > 0) calm = calm.split(word).join(' ');
    }
    calm = calm.replace(/[!！?？]{2,}/g, '?').replace(/\s+/g, ' ').trim();
    if (calm === turn.text || !/[\p{L}]{2,}|\p{Script=Han}{2,}/u.test(calm)) return;
    const nlu = await this.deps.router.understand(calm, turn.locale, turn.now);
    if (nlu.intent === 'out_of_scope' || nlu.confidence <= turn.nlu.confidence) {
      turn.searchText = calm;
      return;
    }
    turn.nlu = { ...nlu, entities: turn.nlu.entities.length > 0 ? turn.nlu.entities : nlu.entities, language: turn.nlu.language };
    turn.searchText = calm;
  }

  /** The entities as recorded: with REDACT_TRANSCRIPTS, a phone or e-mail found in a message is not kept in its entities either. */
  private redactEntities(entities: Turn['nlu']['entities']): Turn['nlu']['entities'] {
    const redact = this.deps.redact;
    if (!redact) return entities;
    return entities.map((e) => {
      const out: Record<string, unknown> = { ...e };
      for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = redact(v);
      return out as unknown as (typeof entities)[number];
    });
  }

  /** A held message (a human owns the conversation): understood and annotated for the agent, not answered. */
  async annotateHeld(context: TurnContext): Promise<void> {
    const inbound = inboundMessage(context);
    if (!inbound || !inbound.text) return;
    const turn = await this.turnOf(context, inbound.text);
    const nlu = await this.deps.router.understand(inbound.text, turn.locale, turn.now);
    const mood = this.deps.sentiment?.(inbound.text);
    await this.annotate(inbound.id, { intent: nlu.intent, confidence: nlu.confidence, entities: this.redactEntities(nlu.entities), ...(mood ? { sentiment: round2(mood.score) } : {}), skill: 'agent' });
  }

  /**
   * Records what the bot understood on the stored message. Nothing the shopper sees depends
   * on it: an annotation the store refuses (a value it will not take, a bug of ours) is logged
   * at warn and the turn goes on — it used to abort a turn that was already answered, and the
   * channel reported our fault to the client as a 400. A store that does not answer is still
   * the turn's failure: the channels' store-down path (StoreHealth, a temporary error, the
   * client's retry of the same id answered once) takes it from there.
   */
  private async annotate(messageId: string, annotation: Parameters<MessageRepository['annotate']>[1]): Promise<void> {
    try {
      await this.deps.messages.annotate(messageId, annotation);
    } catch (err) {
      if (isStoreUnavailable(err)) throw err;
      this.deps.logger.warn({ err, messageId, intent: annotation.intent, skill: annotation.skill }, 'could not annotate a message; the turn goes on');
    }
  }

  private async turnOf(context: TurnContext, text: string): Promise<Turn> {
    const customer = turnCustomer(context);
    const conversation = turnConversation(context);
    const fallback = localeOf(context.activity.locale) ?? conversation.language ?? customer.locale;
    const locale = detectLanguage(text, fallback);
    const memory = await this.memory.get(context, {});
    const session = await this.session.get(context, { fallbacks: 0 });
    const now = this.deps.clock?.() ?? new Date();
    return { context, customer, conversation, text, value: context.activity.value as unknown, locale, nlu: { intent: 'none', confidence: 0, entities: [] }, memory, session, now };
  }

  private async answer(context: TurnContext): Promise<void> {
    // A quick-reply or button click carries its meaning in `value`; `text` is its label.
    const value = context.activity.value as unknown;
    const text = (typeof value === 'string' && value.trim() !== '' ? value : (context.activity.text ?? '')).trim();
    const turn = await this.turnOf(context, text);
    // A button's value is not the shopper's words (it is often an English code such as
    // `wrong_size`): only typed text has a language and a mood.
    const typed = !(typeof value === 'string' && value.trim() !== '');
    if (!typed) turn.locale = turn.session.language ?? localeOf(context.activity.locale) ?? turn.conversation.language ?? turn.customer.locale;
    turn.nlu = await this.deps.router.understand(text, turn.locale, turn.now);
    // Reply in the shopper's language: the one this message is written in; a message with no
    // words ("1", "👍", an order number) or a click keeps the conversation's language.
    const worded = typed && /[\p{L}]{2,}|\p{Script=Han}/u.test(text.replace(/\b[A-Za-z]*\d[\w-]*\b/g, ''));
    turn.locale = (worded ? turn.nlu.language : undefined) ?? turn.session.language ?? turn.locale;
    turn.session.language = turn.locale;
    const inbound = inboundMessage(context);
    const mood = typed ? this.deps.sentiment?.(text) : undefined;
    let skill = 'error';
    try {
      if (this.deps.handoff && (await this.deps.handoff.captureRating(context, text, turn.locale))) {
        skill = 'csat';
        turn.nlu = { ...turn.nlu, intent: 'csat', confidence: 1 };
        return;
      }
      // Empathy first: an upset shopper hears that we are sorry before anything else, then gets
      // the answer to what they asked or a person (the router never asks them to rephrase).
      const threshold = this.deps.triggers?.sentimentThreshold ?? DEFAULT_UPSET_THRESHOLD;
      if (mood && (mood.anger || mood.score <= threshold)) {
        turn.upset = true;
        await apologizeToUpset(turn);
        await this.readPastTheAnger(turn, mood.cues ?? []);
      }
      skill = await this.deps.router.handle(turn);
      this.deps.logger.debug({ intent: turn.nlu.intent, confidence: turn.nlu.confidence, skill }, 'routed');
      // Inside a flow (a return being filed), describing the fault is not a reason to hand over: only anger is.
      const flowMood = skill === 'dialog' && mood && !mood.anger ? undefined : mood;
      const escalation = turn.session.escalation ?? (await this.trigger(turn, flowMood));
      if (escalation) {
        delete turn.session.escalation;
        const intent = NO_TOPIC.has(turn.nlu.intent) ? turn.memory.lastIntent : turn.nlu.intent;
        if (this.deps.handoff) {
          await this.deps.handoff.escalate(context, { reason: escalation.reason, locale: turn.locale, intent, sentiment: mood?.score });
        } else if (escalation.reason === 'requested') {
          await context.sendActivity(humanContactText(turn.locale, this.deps.serviceHours));
        }
        if (skill === 'human_agent') skill = 'handoff';
      }
    } finally {
      if (inbound) {
        await this.annotate(inbound.id, {
          intent: turn.nlu.intent,
          confidence: turn.nlu.confidence,
          entities: this.redactEntities(turn.nlu.entities),
          ...(mood ? { sentiment: round2(mood.score) } : {}),
          skill,
        });
      }
    }
    await this.session.set(context, turn.session);
    if (skill !== 'link_account') {
      // (After a link the customer may have been merged away: its memory now lives on the survivor.)
      turn.memory.lastIntent = turn.nlu.intent;
      turn.memory.lastTopicAt = new Date().toISOString();
      await this.memory.set(context, turn.memory);
    }
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
