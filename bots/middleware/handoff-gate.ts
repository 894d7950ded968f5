import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder-core';
import { turnConversation } from '../turn-state.js';

const HELD = Symbol('shop.heldForAgent');

/** True when the turn's message went to a human agent and the bot stayed silent. */
export function isHeldForAgent(context: TurnContext): boolean {
  return context.turnState.get(HELD) === true;
}

/**
 * While a human owns the conversation (queued or assigned) the bot does not answer the
 * shopper's messages; they are already stored and published to the agent console.
 * `onHeld` may annotate the message for the agent and send a queue-position notice.
 * Proactive turns (an agent's reply) pass.
 */
export function handoffGateMiddleware(onHeld?: (context: TurnContext) => Promise<void>): Middleware {
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      const status = turnConversation(context).status;
      if (context.activity.type === ActivityTypes.Message && (status === 'queued' || status === 'assigned')) {
        context.turnState.set(HELD, true);
        await onHeld?.(context);
        return;
      }
      await next();
    },
  };
}
