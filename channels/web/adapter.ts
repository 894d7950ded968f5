import { ActivityTypes, type Activity, type ConversationReference } from 'botbuilder-core';
import {
  ChannelAdapter,
  inboundMessageKey,
  turnConversation,
  turnCustomer,
  type BotCore,
  type EventBus,
  type TurnOutcome,
} from '../../bots/index.js';
import { ShopError, type MessageRepository } from '../../store/index.js';

/** The Bot Framework conversation of a widget visitor (one per visitor; the store's conversations are separate). */
function visitorConversationId(visitorId: string): string {
  return `web:${visitorId}`;
}

/** How every stored channel id of this visitor's messages starts (inboundMessageKey of their activities). */
export function visitorMessageKeyPrefix(visitorId: string): string {
  const key = inboundMessageKey({ id: '-', channelId: 'web', conversation: { id: visitorConversationId(visitorId) }, from: { id: visitorId } })!;
  return key.slice(0, -1);
}

export interface WebAdapterOptions {
  core: BotCore;
  events: EventBus;
  messages: MessageRepository;
}

/**
 * The web widget's adapter. Outgoing messages need no delivery here: the transcript stored
 * and published them, and every socket of that customer receives published messages (on
 * any node, through the event bus). Typing goes straight to the bus.
 */
export class WebAdapter extends ChannelAdapter {
  constructor(private readonly opts: WebAdapterOptions) {
    super('web');
    for (const key of ['core', 'events', 'messages'] as const) {
      if (!opts[key]) throw new ShopError('config_invalid', `WebAdapterOptions.${key} is required`);
    }
    opts.core.install(this);
  }

  protected async deliver(_reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    if (activity.type === ActivityTypes.Typing) {
      const data = activity.channelData as { customerId?: string; conversationId?: string } | undefined;
      if (data?.customerId && data.conversationId) {
        this.opts.events.publish({ type: 'typing', customerId: data.customerId, conversationId: data.conversationId, on: true });
      }
    }
  }

  /** Runs one shopper message from the widget (socket or REST). */
  async handleMessage(input: {
    visitorId: string;
    clientId: string;
    text: string;
    value?: unknown;
    locale?: string;
    ip?: string;
    collect?: boolean;
  }): Promise<TurnOutcome> {
    const activity: Partial<Activity> = {
      type: ActivityTypes.Message,
      channelId: 'web',
      id: input.clientId,
      from: { id: input.visitorId, name: '' },
      recipient: { id: 'shop-assistant', name: 'Shop Assistant' },
      conversation: { id: visitorConversationId(input.visitorId), isGroup: false, conversationType: 'personal', name: '' },
      serviceUrl: '',
      text: input.text,
      value: input.value,
      locale: input.locale,
      timestamp: new Date(),
    };
    return this.processActivity(
      activity,
      async (context) => {
        // Before the bot answers, show the shopper it is typing.
        await context.sendActivity({
          type: ActivityTypes.Typing,
          channelData: { customerId: turnCustomer(context).id, conversationId: turnConversation(context).id },
        });
        await this.opts.core.logic(context);
      },
      // The widget sends a message again (same id) after a temporary error: an unanswered original gets its answer.
      { ip: input.ip, collect: input.collect, answerUnanswered: true },
    );
  }
}
