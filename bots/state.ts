import { BotState, type Storage, type TurnContext } from 'botbuilder-core';
import { turnConversation, turnCustomer } from './turn-state.js';

export const customerMemoryKey = (customerId: string): string => `customers/${customerId}/memory`;
export const conversationStateKey = (conversationId: string): string => `conversations/${conversationId}/state`;

/**
 * botbuilder state keyed by OUR ids, not the channel's: the customer's memory follows them
 * across channels (and merges with a link), the dialog stack belongs to one conversation.
 * Keys contain the ids so a customer's erase finds them.
 */
export class CustomerState extends BotState {
  constructor(storage: Storage) {
    super(storage, async (context: TurnContext) => customerMemoryKey(turnCustomer(context).id));
  }
}

export class ShopConversationState extends BotState {
  constructor(storage: Storage) {
    super(storage, async (context: TurnContext) => conversationStateKey(turnConversation(context).id));
  }
}
