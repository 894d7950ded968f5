import type { TurnContext } from 'botbuilder-core';
import type { Conversation, Customer, Locale } from '../store/index.js';

/** What NLU understood of a message. */
export interface Understanding {
  intent: string;
  confidence: number;
  entities: Array<Record<string, unknown>>;
}

/** One shopper message, as a skill sees it. */
export interface Turn {
  context: TurnContext;
  customer: Customer;
  conversation: Conversation;
  text: string;
  /** A quick-reply or card button value, when the shopper clicked one. */
  value?: unknown;
  locale: Locale;
  nlu: Understanding;
  /** Cross-channel memory of this customer (botbuilder state, saved after the turn). */
  memory: CustomerMemory;
}

/** What the bot remembers about a customer across channels and conversations. */
export interface CustomerMemory {
  lastOrderNumber?: string;
  lastIntent?: string;
  lastTopicAt?: string;
  [key: string]: unknown;
}

export interface Skill {
  name: string;
  intents: string[];
  canHandle(turn: Turn): boolean | Promise<boolean>;
  handle(turn: Turn): Promise<void>;
}

export interface Router {
  understand(text: string, locale: Locale): Promise<Understanding>;
  route(turn: Turn): Promise<Skill>;
}
