import { EventEmitter } from 'node:events';
import type { Conversation, Message, MessageDelivery } from '../store/index.js';

/**
 * Events that cross the turn: a stored message (for the shopper's live widget sockets on
 * any channel and for agent consoles), typing, conversation changes. In one process an
 * EventEmitter carries them; with several nodes a Redis-backed bus implements the same port.
 */
export type ShopEvent =
  | { type: 'message'; message: Message }
  | { type: 'typing'; customerId: string; conversationId: string; on: boolean; from?: 'customer' | 'agent' | 'bot'; agentName?: string }
  | { type: 'agent'; agentId: string }
  | { type: 'conversation'; conversation: Conversation }
  /** How delivery of an out-of-turn message goes (pending with attempts, sent, failed with the error): consoles update the mark. */
  | { type: 'message.delivery'; conversationId: string; messageId: string; delivery: MessageDelivery }
  | { type: 'customer.merged'; sourceId: string; targetId: string }
  /** The knowledge base changed on node `node` (admin API): the other nodes reload theirs. */
  | { type: 'kb.changed'; node: string }
  /** The recommender model was reloaded on node `node`: the other nodes reload theirs. */
  | { type: 'recommender.reload'; node: string };

export interface EventBus {
  publish(event: ShopEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(handler: (event: ShopEvent) => void): () => void;
}

export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onError: (err: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  publish(event: ShopEvent): void {
    // A failing subscriber must not break the turn that published, nor other subscribers.
    for (const listener of this.emitter.listeners('event')) {
      try {
        (listener as (e: ShopEvent) => void)(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  subscribe(handler: (event: ShopEvent) => void): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }
}
