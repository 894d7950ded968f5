import type { TurnContext } from 'botbuilder-core';
import { ShopError, type Conversation, type Customer, type Message } from '../store/index.js';

/**
 * What the middleware learns about a turn, kept in `context.turnState` under private
 * symbols and read through these typed accessors.
 */
const CUSTOMER = Symbol('shop.customer');
const CONVERSATION = Symbol('shop.conversation');
const INBOUND = Symbol('shop.inbound');
const CLIENT_IP = Symbol('shop.clientIp');
const OUTBOX = Symbol('shop.outbox');

export function setTurnCustomer(context: TurnContext, customer: Customer, conversation: Conversation): void {
  context.turnState.set(CUSTOMER, customer);
  context.turnState.set(CONVERSATION, conversation);
}

/** The customer of this turn; set by the identity middleware. */
export function turnCustomer(context: TurnContext): Customer {
  const c = context.turnState.get(CUSTOMER) as Customer | undefined;
  if (!c) throw new ShopError('internal', 'turn has no customer: is the identity middleware installed?');
  return c;
}

export function turnConversation(context: TurnContext): Conversation {
  const c = context.turnState.get(CONVERSATION) as Conversation | undefined;
  if (!c) throw new ShopError('internal', 'turn has no conversation: is the identity middleware installed?');
  return c;
}

export function maybeTurnConversation(context: TurnContext): Conversation | undefined {
  return context.turnState.get(CONVERSATION) as Conversation | undefined;
}

/** Replaces the conversation record after a state change (enqueue, resolve) within a turn. */
export function updateTurnConversation(context: TurnContext, conversation: Conversation): void {
  context.turnState.set(CONVERSATION, conversation);
}

export function setInboundMessage(context: TurnContext, message: Message): void {
  context.turnState.set(INBOUND, message);
}

/** The stored inbound message of this turn (set by the transcript middleware). */
export function inboundMessage(context: TurnContext): Message | undefined {
  return context.turnState.get(INBOUND) as Message | undefined;
}

export function setClientIp(context: TurnContext, ip: string | undefined): void {
  if (ip) context.turnState.set(CLIENT_IP, ip);
}

export function clientIp(context: TurnContext): string | undefined {
  return context.turnState.get(CLIENT_IP) as string | undefined;
}

/**
 * Synchronous-reply channels (WeChat passive XML, REST responses) collect the turn's
 * outgoing activities here instead of sending them (botkit's httpBody pattern).
 */
export function useOutbox(context: TurnContext): void {
  context.turnState.set(OUTBOX, []);
}

export function outbox(context: TurnContext): Array<Record<string, unknown>> | undefined {
  return context.turnState.get(OUTBOX) as Array<Record<string, unknown>> | undefined;
}
