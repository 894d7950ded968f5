import type { TurnContext } from 'botbuilder-core';
import type { Conversation, Customer, Locale } from '../store/index.js';

/** Where an entity was found in the message (UTF-16 offsets into the text NLU saw). */
type Span = {
  text: string;
  start: number;
  end: number;
};

/**
 * What the entity extractor finds. Values are normalised: order numbers upper-case,
 * phones digits only (with a leading + for international), money in major units,
 * dates as local calendar days `YYYY-MM-DD`, colours and sizes as the catalogue spells them.
 */
export type Entity = Span &
  (
    | { type: 'order_number'; value: string }
    | { type: 'phone'; value: string }
    | { type: 'email'; value: string }
    | { type: 'money'; value: number; currency?: string }
    /** "under $50" -> max 50; "500元以下" -> max 500; "两三百" -> 200..300; either bound may be absent. */
    | { type: 'price_range'; min?: number; max?: number; currency?: string }
    | { type: 'quantity'; value: number; unit?: string }
    /** A day or a span of days ("last week"): from..to inclusive; for a single day from === to. */
    | { type: 'date'; from: string; to: string }
    | { type: 'color'; value: string }
    | { type: 'size'; value: string }
    | { type: 'product'; value: string; score: number }
    | { type: 'category'; value: string; score: number }
    | { type: 'link_code'; value: string }
  );

export type EntityType = Entity['type'];

/** What NLU understood of a message. */
export interface Understanding {
  intent: string;
  /** Calibrated probability of `intent`, 0..1. */
  confidence: number;
  entities: Entity[];
  /** The next-best intents with their calibrated probabilities, best first (may be empty). */
  alternatives?: Array<{ intent: string; confidence: number }>;
  /** The language NLU detected in the text. */
  language?: Locale;
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
