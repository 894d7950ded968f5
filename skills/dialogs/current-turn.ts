import type { TurnContext } from 'botbuilder-core';
import type { Turn } from '../types.js';

const TURN = Symbol('shop.skillTurn');

/** Dialog steps only get the TurnContext: the router parks the Turn on it. */
export function setCurrentTurn(turn: Turn): void {
  turn.context.turnState.set(TURN, turn);
}

export function currentTurn(context: TurnContext): Turn {
  const turn = context.turnState.get(TURN) as Turn | undefined;
  if (!turn) throw new Error('no skill turn on this context: dialogs run through the SkillRouter');
  return turn;
}
