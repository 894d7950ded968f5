import { ActivityHandler, ActivityTypes, type TurnContext } from 'botbuilder-core';
import type { Logger } from 'pino';
import { detectLanguage, greetingSkill, type ConversationSession, type CustomerMemory, type Router, type Turn } from '../skills/index.js';
import type { MessageRepository } from '../store/index.js';
import { localeOf } from './middleware/identity.js';
import type { CustomerState, ShopConversationState } from './state.js';
import { inboundMessage, turnConversation, turnCustomer } from './turn-state.js';

export interface BotDeps {
  router: Router;
  messages: MessageRepository;
  customerState: CustomerState;
  conversationState: ShopConversationState;
  logger: Logger;
  /** The turn's clock; injectable for tests of time-dependent policies. */
  clock?: () => Date;
}

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
    turn.nlu = await this.deps.router.understand(text, turn.locale, turn.now);
    // Reply in the shopper's language: the one this message is written in; a message with no
    // words ("1", "👍", an order number) keeps the conversation's language.
    const worded = /[\p{L}]{2,}|\p{Script=Han}/u.test(text.replace(/\bSA\d{6}\b/gi, ''));
    turn.locale = (worded ? turn.nlu.language : undefined) ?? turn.session.language ?? turn.locale;
    turn.session.language = turn.locale;
    const inbound = inboundMessage(context);
    if (inbound) {
      await this.deps.messages.annotate(inbound.id, { intent: turn.nlu.intent, confidence: turn.nlu.confidence, entities: turn.nlu.entities });
    }
    const skill = await this.deps.router.handle(turn);
    this.deps.logger.debug({ intent: turn.nlu.intent, confidence: turn.nlu.confidence, skill }, 'routed');
    await this.session.set(context, turn.session);
    if (skill !== 'link_account') {
      // (After a link the customer may have been merged away: its memory now lives on the survivor.)
      turn.memory.lastIntent = turn.nlu.intent;
      turn.memory.lastTopicAt = new Date().toISOString();
      await this.memory.set(context, turn.memory);
    }
  }
}
