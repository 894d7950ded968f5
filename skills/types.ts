import type { TurnContext } from 'botbuilder-core';
import type { DialogContext } from 'botbuilder-dialogs';
import type { Conversation, Customer, Locale } from '../store/index.js';
import type { RecommendSession } from './recommend.js';

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
    /** "invoice INV-2024-00123", "发票号 12345678": upper-case, dashes kept. Never also an order number or a phone. */
    | { type: 'invoice_number'; value: string }
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
    /** A country or region by name (EN or ZH: "Japan", "日本", "Hong Kong"): its ISO 3166-1 alpha-2 code ("JP", "HK"). */
    | { type: 'country'; value: string }
    /** A mainland-China city by name (pinyin or Chinese: "Chengdu", "成都"): its English name ("Chengdu"). */
    | { type: 'city'; value: string }
    | { type: 'product'; value: string; score: number }
    | { type: 'category'; value: string; score: number }
    | { type: 'link_code'; value: string }
    /** Not extracted: recorded on the message whose phone digits proved this order (skills/orders/access.ts). */
    | { type: 'order_proof'; value: string }
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
  /** What the bot keeps about this conversation (botbuilder conversation state, saved after the turn). */
  session: ConversationSession;
  /** The dialog stack of this conversation; skills with several steps begin their dialog on it. */
  dc?: DialogContext;
  /** The clock of this turn (injected, so policies such as the return window are testable). */
  now: Date;
  /**
   * The shopper is upset (anger, or sentiment at or below the hand-off threshold): they have
   * already heard an apology, and get an answer or a person — never "could you rephrase?".
   */
  upset?: boolean;
  /** What the help articles are searched with when it is more than `text` (a follow-up carries the question it follows). */
  searchText?: string;
}

/** Conversation-scoped bot memory. */
export interface ConversationSession {
  /** The language of the conversation: the last message that had words decides it. */
  language?: Locale;
  /** Consecutive turns the bot could not answer; reset by any understood turn. */
  fallbacks: number;
  /** Set when the bot asked "did you mean A or B?": the question it is about. */
  clarifying?: { text: string; entities: Entity[]; options: Array<{ intent: string; value: string }> };
  /** Why the bot proposed a human, for the handoff skill (issue 6). */
  escalation?: { reason: string; at: string };
  /** The recommendations of this conversation (filters, what was shown and picked). */
  recommend?: RecommendSession;
  /** The last question the help articles answered, for follow-ups ("and to Hong Kong?", "那顺丰呢？"). */
  lastAnswered?: { intent?: string; category?: string; text: string; at: string };
  /**
   * The order this conversation is about: the last one shown to the shopper (their own, or
   * proven with the phone digits), and when, so "when will it arrive?" answers for it.
   */
  order?: { number: string; at: string };
}

/** What the bot remembers about a customer across channels and conversations. */
export interface CustomerMemory {
  lastOrderNumber?: string;
  /** Orders an unverified shopper proved they own (phone digits on the order). */
  verifiedOrders?: string[];
  lastIntent?: string;
  lastTopicAt?: string;
  [key: string]: unknown;
}

export interface Skill {
  name: string;
  intents: string[];
  /** The dialog a multi-turn skill begins (so asking for the same flow again restarts it). */
  dialogId?: string;
  canHandle(turn: Turn): boolean | Promise<boolean>;
  /**
   * Claims a turn that continues this skill's last answer whatever NLU made of it (a quick
   * reply such as "cheaper ones" after a list of products). Asked before intent routing
   * when no dialog is active.
   */
  followUp?(turn: Turn): boolean | Promise<boolean>;
  handle(turn: Turn): Promise<void>;
}

export interface Router {
  understand(text: string, locale: Locale, now?: Date): Promise<Understanding>;
  /** Answers the turn (active dialog first, then the skill for the intent); returns the skill's name. */
  handle(turn: Turn): Promise<string>;
}

/** What the NLU module offers the router. */
export interface NluPort {
  parse(text: string, opts?: { locale?: Locale; now?: Date }): Promise<Understanding>;
}
