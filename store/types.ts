/**
 * The store's ports: one repository per aggregate, with purpose-named methods.
 * Implemented once on SQLite (store/sqlite) and once on mongoose (store/mongo), and
 * checked by one contract suite (test/contract) that knows neither.
 *
 * Conventions every implementation keeps:
 * - Ids are strings. When a create input has no id, the store makes one with `newId`
 *   (time-ordered), so "order by id" is "order by creation".
 * - Dates go in and come out as `Date`. Absent optional fields come out as `undefined`
 *   (never `null`), except where a type says `| null`.
 * - Lists are cursor-paginated: `{ limit, cursor }` in, `{ items, nextCursor }` out;
 *   `nextCursor` is null on the last page. Each method documents its order.
 * - Failures are `ShopError`s: `not_found` for a missing id named in a write, `conflict` for a
 *   unique constraint or a lost race, `precondition_failed` for a stale eTag,
 *   `bad_request` for invalid input, `unavailable` when the database cannot be reached.
 */
import type { Storage } from 'botbuilder-core';

export type Locale = 'en' | 'zh';
export type ChannelId = 'web' | 'wechat' | 'app' | 'botframework' | 'console';

/** Localised text: both languages are expected for catalog and knowledge content. */
export interface LocalizedText {
  en: string;
  zh: string;
}

export interface PageRequest {
  /** 1..500; default 50. */
  limit?: number;
  /** Opaque: pass back the `nextCursor` of the previous page. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Inclusive `from`, exclusive `to`. */
export interface TimeRange {
  from?: Date;
  to?: Date;
}

// ---------------------------------------------------------------- customers

export interface ChannelIdentity {
  channel: ChannelId;
  /** The channel's own user id (WeChat OpenID, widget visitor id, app user id, ...). */
  externalId: string;
  linkedAt: Date;
}

export interface Customer {
  id: string;
  displayName: string;
  email?: string;
  phone?: string;
  locale: Locale;
  vip: boolean;
  tags: string[];
  identities: ChannelIdentity[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCustomer {
  id?: string;
  displayName: string;
  email?: string;
  phone?: string;
  locale?: Locale;
  vip?: boolean;
  tags?: string[];
  identities?: Array<{ channel: ChannelId; externalId: string }>;
}

export type CustomerPatch = Partial<Pick<Customer, 'displayName' | 'email' | 'phone' | 'locale' | 'vip' | 'tags'>>;

export interface CustomerRepository {
  /** `conflict` when the id, or one of the identities, already exists. */
  create(input: NewCustomer): Promise<Customer>;
  get(id: string): Promise<Customer | null>;
  findByIdentity(channel: ChannelId, externalId: string): Promise<Customer | null>;
  /** Exact match; the oldest customer when several share an email. */
  findByEmail(email: string): Promise<Customer | null>;
  /**
   * Attaches a channel identity. Idempotent when it is already this customer's;
   * `conflict` when another customer holds it; `not_found` for an unknown customer.
   */
  linkIdentity(customerId: string, channel: ChannelId, externalId: string): Promise<Customer>;
  /** Removes the identity; returns the customer (unchanged if it did not have it). */
  unlinkIdentity(customerId: string, channel: ChannelId, externalId: string): Promise<Customer>;
  update(id: string, patch: CustomerPatch): Promise<Customer>;
  /** Ordered by id ascending. */
  list(page?: PageRequest): Promise<Page<Customer>>;
}

// ------------------------------------------------------------ conversations

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'resolved';

export interface Conversation {
  id: string;
  customerId: string;
  channel: ChannelId;
  status: ConversationStatus;
  assigneeId: string | null;
  /** Higher is more urgent; set when queued. */
  priority: number;
  /** Why it went to a human (e.g. "asked_for_human", "fallbacks", "sentiment"). */
  handoffReason?: string;
  language: Locale;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date;
  queuedAt?: Date;
  assignedAt?: Date;
  resolvedAt?: Date;
  /** What the conversation is about, for skills-based routing (e.g. "orders", "returns"). */
  topic?: string;
  /** The first agent message after the hand-off (first-response time). */
  firstResponseAt?: Date;
  /** Agents' tags; free text, lower-case. */
  tags: string[];
  /** Agents' internal notes, oldest first; never shown to the shopper. */
  notes: ConversationNote[];
  /** The shopper's 1-5 rating of the human support (CSAT). */
  rating?: number;
  ratedAt?: Date;
}

export interface ConversationNote {
  agentId: string;
  text: string;
  at: Date;
}

export interface NewConversation {
  id?: string;
  customerId: string;
  channel: ChannelId;
  language?: Locale;
}

export interface ConversationFilter extends TimeRange {
  status?: ConversationStatus;
  assigneeId?: string;
  channel?: ChannelId;
}

export interface ConversationRepository {
  create(input: NewConversation): Promise<Conversation>;
  get(id: string): Promise<Conversation | null>;
  /** The customer's newest (by creation) conversation that is not resolved, optionally on one channel. */
  findOpenByCustomer(customerId: string, channel?: ChannelId): Promise<Conversation | null>;
  /** Newest first (id descending). */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Conversation>>;
  /** Filter by status/assignee/channel and createdAt range; oldest first (id ascending). */
  list(filter?: ConversationFilter, page?: PageRequest): Promise<Page<Conversation>>;
  /**
   * bot|assigned -> queued (assignee cleared). `conflict` if resolved. `language`, when given,
   * is the language the shopper writes in now (routing needs an agent who reads it).
   */
  enqueue(id: string, input: { priority: number; reason: string; topic?: string; language?: Locale }): Promise<Conversation>;
  /**
   * Atomically assigns a queued (or bot) conversation to an agent. Exactly one of several
   * concurrent claims wins; the others get `conflict`. `not_found` for an unknown id.
   */
  claim(id: string, agentId: string): Promise<Conversation>;
  /** assigned to `fromAgentId` -> assigned to `toAgentId`; `conflict` if not assigned to `fromAgentId`. */
  transfer(id: string, fromAgentId: string, toAgentId: string): Promise<Conversation>;
  /** queued|assigned (to anyone) -> assigned to `toAgentId` (a supervisor's move); `conflict` otherwise. */
  reassign(id: string, toAgentId: string): Promise<Conversation>;
  /** Any non-resolved status -> resolved; `conflict` if already resolved. */
  resolve(id: string): Promise<Conversation>;
  /** Appends an internal note (1..4000 characters). */
  addNote(id: string, note: { agentId: string; text: string }): Promise<Conversation>;
  /** Replaces the tags (trimmed, lower-cased, de-duplicated; at most 20 of 1..40 characters). */
  setTags(id: string, tags: string[]): Promise<Conversation>;
  /** Sets firstResponseAt unless it is set already (the first one wins). */
  markFirstResponse(id: string, at: Date): Promise<void>;
  /** The shopper's 1-5 rating of a resolved conversation; `conflict` if not resolved or already rated. */
  rate(id: string, score: number): Promise<Conversation>;
  /** How many conversations each agent has assigned right now (agents with none are absent). */
  assignedCounts(): Promise<Record<string, number>>;
  /** Sets lastMessageAt (never moves it backwards). */
  touch(id: string, at: Date): Promise<void>;
}

// ----------------------------------------------------------------- messages

export type MessageDirection = 'in' | 'out';
export type MessageSender = 'customer' | 'bot' | 'agent' | 'system';

export interface Message {
  id: string;
  conversationId: string;
  customerId: string;
  /** 1, 2, 3, ... per conversation, in the order appended; never reused. */
  seq: number;
  direction: MessageDirection;
  sender: MessageSender;
  agentId?: string;
  channel: ChannelId;
  text: string;
  /** Cards, quick replies and channel extras, as plain JSON. */
  payload?: Record<string, unknown>;
  /**
   * The channel's message id (WeChat MsgId, widget id, app Idempotency-Key, Bot Framework
   * activity id) scoped to its sender (`<conversation>/<channel>:<account>/<id>`, see the transcript's
   * inboundMessageKey): unique per channel.
   */
  channelMessageId?: string;
  intent?: string;
  confidence?: number;
  entities?: Array<Record<string, unknown>>;
  /** -1 (angry) .. 1 (happy), for inbound messages the bot read. */
  sentiment?: number;
  /** What answered it ("faq", "orders", "fallback", "handoff", ...), for inbound messages the bot read. */
  skill?: string;
  /**
   * For outbound messages sent outside a turn (an agent's reply, a proactive notice): how
   * delivery to the channel went. Absent for replies given inside the shopper's own turn.
   */
  delivery?: MessageDelivery;
  createdAt: Date;
}

/** `pending` while the channel has not confirmed (retries included); `failed` once retries ran out. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface MessageDelivery {
  status: DeliveryStatus;
  /** Send attempts so far. */
  attempts: number;
  /** The channel's last error ("errcode 45015: ...", "HTTP 502"), never the message text. */
  error?: string;
  updatedAt: Date;
  /**
   * The outbox (a `pending` delivery only): the node sending it and until when. Another node
   * may take it over (`claimDelivery`) once `claim.until` has passed, e.g. after a crash.
   */
  claim?: DeliveryClaim;
  /** When the next attempt of a `pending` delivery is due (a retry waiting for its backoff). */
  nextAttemptAt?: Date;
  /** The attempt count at which this round of retries gives up (a console Retry starts a new round). */
  maxAttempts?: number;
}

export interface DeliveryClaim {
  /** The node id of the OutboundDelivery sending it. */
  owner: string;
  until: Date;
}

/** What `setDelivery` writes; the outbox fields are kept only with `pending` (cleared otherwise). */
export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempts: number;
  error?: string;
  claim?: DeliveryClaim;
  nextAttemptAt?: Date;
  maxAttempts?: number;
}

export interface NewMessage {
  conversationId: string;
  customerId: string;
  direction: MessageDirection;
  sender: MessageSender;
  agentId?: string;
  channel: ChannelId;
  text: string;
  payload?: Record<string, unknown>;
  channelMessageId?: string;
  intent?: string;
  confidence?: number;
  entities?: Array<Record<string, unknown>>;
  /** Defaults to now. */
  createdAt?: Date;
}

export interface MessageRepository {
  /**
   * Appends with the next seq of its conversation (safe under concurrent appends) and
   * moves the conversation's lastMessageAt. `conflict` when (channel, channelMessageId)
   * was already stored; `not_found` for an unknown conversation.
   */
  append(input: NewMessage): Promise<Message>;
  get(id: string): Promise<Message | null>;
  findByChannelMessageId(channel: ChannelId, channelMessageId: string): Promise<Message | null>;
  /** Records what NLU understood of a stored message, its sentiment (-1..1) and the skill that answered it. */
  annotate(
    id: string,
    nlu: { intent: string; confidence: number; entities?: Array<Record<string, unknown>>; sentiment?: number; skill?: string },
  ): Promise<Message>;
  /** Ordered by seq ascending, starting after `afterSeq` (default 0); `limit` follows the page rules (default 50, max 500). */
  listByConversation(conversationId: string, opts?: { afterSeq?: number; limit?: number }): Promise<Message[]>;
  /** One customer's history across every channel and conversation; newest first (createdAt, then id, descending). */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Message>>;
  /** Messages with createdAt in the range, oldest first (createdAt, then id). */
  listByTime(range: TimeRange, page?: PageRequest): Promise<Page<Message>>;
  /** Records how delivery of an outbound message went; `not_found` for an unknown message. */
  setDelivery(id: string, delivery: DeliveryUpdate): Promise<Message>;
  /**
   * The outbox's compare-and-set: makes `owner` the one node delivering message `id` until
   * `until`, and its status `pending` (attempts and error kept). It succeeds only when the
   * status is `expect` (default `pending`; `failed` for a console Retry; null for a message
   * never tracked) and, for `pending`, when no other node holds an unexpired claim at `now`
   * (default: the current time); the owner itself may renew. Of concurrent callers (nodes,
   * processes) exactly one wins. Returns the claimed message, or null when the condition did
   * not hold; `not_found` for an unknown message.
   */
  claimDelivery(id: string, claim: { owner: string; until: Date; now?: Date; expect?: DeliveryStatus | null }): Promise<Message | null>;
  /** Messages whose delivery is in `status` (pending or failed, for retries and the console), oldest first (createdAt, then id). */
  listByDelivery(status: DeliveryStatus, page?: PageRequest): Promise<Page<Message>>;
}

// ----------------------------------------------------------------- products

export interface Product {
  id: string;
  category: string;
  title: LocalizedText;
  description: LocalizedText;
  /** In the shop's currency, major units (e.g. 299.00). */
  price: number;
  currency: string;
  stock: number;
  /** e.g. { color: ['black', 'white'], size: ['S', 'M'], material: 'cotton' } */
  attributes: Record<string, string | string[]>;
  tags: string[];
  imageUrl?: string;
  createdAt: Date;
  updatedAt: Date;
}

export type ProductInput = Omit<Product, 'createdAt' | 'updatedAt'>;

export interface ProductFilter {
  category?: string;
  inStock?: boolean;
  minPrice?: number;
  maxPrice?: number;
}

export interface ProductRepository {
  /** Insert or replace by id (createdAt kept on replace). */
  upsert(product: ProductInput): Promise<Product>;
  get(id: string): Promise<Product | null>;
  /** In the order of `ids`; unknown ids are left out. */
  getMany(ids: string[]): Promise<Product[]>;
  /** Ordered by id ascending. */
  list(filter?: ProductFilter, page?: PageRequest): Promise<Page<Product>>;
  /** Distinct categories, sorted. */
  categories(): Promise<string[]>;
  /**
   * Atomically adds `delta` to stock. `conflict` if the result would be negative
   * (nothing changes); `not_found` for an unknown id.
   */
  adjustStock(id: string, delta: number): Promise<Product>;
  /** Returns whether it existed. */
  delete(id: string): Promise<boolean>;
}

// ------------------------------------------------------------------- orders

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled' | 'returned' | 'refunded';

export interface OrderItem {
  productId: string;
  title: string;
  quantity: number;
  unitPrice: number;
}

export interface Address {
  name: string;
  phone: string;
  line1: string;
  city: string;
  region?: string;
  postalCode?: string;
  country: string;
}

export interface Order {
  id: string;
  /** The number shoppers see (e.g. "SA100123"); unique. */
  number: string;
  customerId: string;
  status: OrderStatus;
  items: OrderItem[];
  total: number;
  currency: string;
  shippingAddress: Address;
  carrier?: string;
  trackingNumber?: string;
  placedAt: Date;
  paidAt?: Date;
  shippedAt?: Date;
  deliveredAt?: Date;
  cancelledAt?: Date;
  updatedAt: Date;
}

export type NewOrder = Omit<Order, 'id' | 'updatedAt'> & { id?: string };

export type OrderPatch = Partial<
  Pick<Order, 'carrier' | 'trackingNumber' | 'paidAt' | 'shippedAt' | 'deliveredAt' | 'cancelledAt' | 'shippingAddress'>
>;

export interface OrderRepository {
  /** `conflict` for a duplicate id or number. */
  create(input: NewOrder): Promise<Order>;
  get(id: string): Promise<Order | null>;
  getByNumber(number: string): Promise<Order | null>;
  /** Newest first (placedAt descending, then id descending). */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Order>>;
  /** placedAt in range, oldest first (placedAt, then id). */
  listByTime(range: TimeRange, page?: PageRequest): Promise<Page<Order>>;
  /**
   * Sets status (and fields in `patch`). With `expected`, only when the current status is one
   * of them, else `conflict` (so "cancel unless shipped" is race-free).
   */
  updateStatus(id: string, status: OrderStatus, opts?: { expected?: OrderStatus[]; patch?: OrderPatch }): Promise<Order>;
}

// ------------------------------------------------------------------ returns

export type ReturnStatus = 'requested' | 'approved' | 'rejected' | 'received' | 'refunded' | 'cancelled';

export interface ReturnRequest {
  id: string;
  orderId: string;
  customerId: string;
  items: Array<{ productId: string; quantity: number }>;
  reason: string;
  status: ReturnStatus;
  refundAmount?: number;
  /** Return shipping label / RMA code shown to the shopper. */
  rmaCode: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewReturn {
  id?: string;
  orderId: string;
  customerId: string;
  items: Array<{ productId: string; quantity: number }>;
  reason: string;
  refundAmount?: number;
  rmaCode: string;
}

export interface ReturnRepository {
  /** Status starts at `requested`. `conflict` for a duplicate rmaCode. */
  create(input: NewReturn): Promise<ReturnRequest>;
  get(id: string): Promise<ReturnRequest | null>;
  /** Oldest first. */
  listByOrder(orderId: string): Promise<ReturnRequest[]>;
  /** Newest first (id descending). */
  listByCustomer(customerId: string, page?: PageRequest): Promise<Page<ReturnRequest>>;
  /** With `expected`, only from one of those statuses, else `conflict`. */
  updateStatus(
    id: string,
    status: ReturnStatus,
    opts?: { expected?: ReturnStatus[]; refundAmount?: number },
  ): Promise<ReturnRequest>;
}

// ------------------------------------------------------------- interactions

/** `impression`: a product was shown to the shopper in a recommendation or ad slot. */
export type InteractionType = 'view' | 'click' | 'cart' | 'purchase' | 'rating' | 'impression';

export interface Interaction {
  id: string;
  customerId: string;
  productId: string;
  type: InteractionType;
  /** The rating (0.5..5) for `rating`; optional weight otherwise. */
  value?: number;
  /** Where it happened: "chat", "widget", "recommendation", "ad:<campaignId>", ... */
  source?: string;
  createdAt: Date;
}

export type NewInteraction = Omit<Interaction, 'id' | 'createdAt'> & { id?: string; createdAt?: Date };

export interface InteractionFilter extends TimeRange {
  customerId?: string;
  productId?: string;
  type?: InteractionType;
  /** Exact match ("ad:<campaignId>", "recommendation", ...). */
  source?: string;
}

export interface InteractionRepository {
  record(input: NewInteraction): Promise<Interaction>;
  /** Many at once (imports, training data); returns how many were stored. */
  recordMany(inputs: NewInteraction[]): Promise<number>;
  /** Oldest first (createdAt, then id). */
  list(filter?: InteractionFilter, page?: PageRequest): Promise<Page<Interaction>>;
  count(filter?: InteractionFilter): Promise<number>;
}

// ---------------------------------------------------------------- campaigns

export type CampaignStatus = 'active' | 'paused' | 'ended';

export interface CampaignTargeting {
  categories: string[];
  intents: string[];
  keywords: string[];
}

export interface Campaign {
  id: string;
  name: string;
  productId: string;
  /** Maximum price per click, in the shop's currency. */
  bid: number;
  dailyBudget: number;
  status: CampaignStatus;
  startsAt: Date;
  endsAt?: Date;
  targeting: CampaignTargeting;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCampaign = Omit<Campaign, 'id' | 'createdAt' | 'updatedAt'> & { id?: string };

/** What one campaign spent on one day (the shop's calendar day, 'YYYY-MM-DD'). */
export interface CampaignDaySpend {
  campaignId: string;
  day: string;
  /** Charged that day, in the shop's currency (whole cents). */
  spent: number;
  /** Clicks that were charged something that day. */
  clicks: number;
}
export type CampaignPatch = Partial<Omit<Campaign, 'id' | 'createdAt' | 'updatedAt'>>;

export interface CampaignRepository {
  create(input: NewCampaign): Promise<Campaign>;
  get(id: string): Promise<Campaign | null>;
  /** Ordered by id ascending; `activeAt` keeps active campaigns whose dates include it. */
  list(filter?: { status?: CampaignStatus; activeAt?: Date }, page?: PageRequest): Promise<Page<Campaign>>;
  update(id: string, patch: CampaignPatch): Promise<Campaign>;
  /** Deletes the campaign and its spend rows. */
  delete(id: string): Promise<boolean>;
  /**
   * Atomically charges the campaign for `day` ('YYYY-MM-DD' in the shop's time zone, computed
   * by the caller): adds `min(amount, dailyBudget - spent that day)` (never negative) to the
   * day's spend and returns what was charged and the day's total. A budget is never overspent,
   * also under concurrent calls from several processes. Amounts are rounded to whole cents; a
   * charge above 0 counts as a charged click. `not_found` for an unknown campaign,
   * `bad_request` for a negative or non-finite amount or a malformed day.
   */
  charge(id: string, day: string, amount: number): Promise<{ charged: number; spent: number }>;
  /** What the campaign spent on `day` (0 when nothing, also for an unknown campaign). */
  spend(id: string, day: string): Promise<number>;
  /** Spend rows with `from <= day <= to` (both inclusive, 'YYYY-MM-DD'), by day then campaign id. */
  spendByDay(range: { from: string; to: string }): Promise<CampaignDaySpend[]>;
}

// ------------------------------------------------------------------- agents

export type AgentRole = 'agent' | 'supervisor' | 'admin';
export type AgentStatus = 'online' | 'away' | 'offline';

export interface Agent {
  id: string;
  /** Unique, stored lower-case. */
  email: string;
  name: string;
  role: AgentRole;
  /** scrypt hash; never sent to a browser. */
  passwordHash: string;
  languages: Locale[];
  skills: string[];
  /** How many conversations at once. */
  capacity: number;
  status: AgentStatus;
  createdAt: Date;
  updatedAt: Date;
}

export type NewAgent = Omit<Agent, 'id' | 'createdAt' | 'updatedAt' | 'status'> & { id?: string; status?: AgentStatus };
export type AgentPatch = Partial<Pick<Agent, 'name' | 'role' | 'passwordHash' | 'languages' | 'skills' | 'capacity' | 'status'>>;

export interface AgentRepository {
  /** `conflict` for a duplicate email (case-insensitive). */
  create(input: NewAgent): Promise<Agent>;
  get(id: string): Promise<Agent | null>;
  getByEmail(email: string): Promise<Agent | null>;
  /** Ordered by id ascending. */
  list(filter?: { status?: AgentStatus; role?: AgentRole }, page?: PageRequest): Promise<Page<Agent>>;
  update(id: string, patch: AgentPatch): Promise<Agent>;
  delete(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------- knowledge

export interface KnowledgeDocument {
  id: string;
  /** Same slug in both languages: the EN and ZH versions of one article. */
  slug: string;
  locale: Locale;
  title: string;
  /** Markdown. */
  body: string;
  category: string;
  tags: string[];
  /** 1 on create, +1 on each change. */
  version: number;
  /** Where it came from: a file path, URL or "admin". */
  source?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface KnowledgeInput {
  slug: string;
  locale: Locale;
  title: string;
  body: string;
  category: string;
  tags?: string[];
  source?: string;
}

export interface KnowledgeRepository {
  /**
   * Insert or update by (slug, locale). The version goes up only when title, body,
   * category or tags changed, so re-seeding the same content is a no-op.
   */
  upsert(input: KnowledgeInput): Promise<KnowledgeDocument>;
  get(id: string): Promise<KnowledgeDocument | null>;
  getBySlug(slug: string, locale: Locale): Promise<KnowledgeDocument | null>;
  /** Ordered by id ascending. */
  list(filter?: { locale?: Locale; category?: string }, page?: PageRequest): Promise<Page<KnowledgeDocument>>;
  delete(id: string): Promise<boolean>;
  /**
   * Changes whenever any document is added, changed or deleted (a vector index stores it
   * to know it is stale).
   */
  dataVersion(): Promise<string>;
}

// -------------------------------------------------------------------- store

export const COLLECTIONS = [
  'customers',
  'conversations',
  'messages',
  'products',
  'orders',
  'returns',
  'interactions',
  'campaigns',
  'agents',
  'knowledge',
  'botState',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

// -------------------------------------------------------------------- audit

/** Who did it: a signed-in console user, the ADMIN_TOKEN, the CLI, or the system itself. */
export interface AuditActor {
  kind: 'agent' | 'token' | 'cli' | 'system';
  /** The agent's id (kind `agent`); for a failed login, the id of the agent the email belongs to, if any. */
  id?: string;
  /** A display name or the email tried at login. */
  name?: string;
  role?: AgentRole;
}

export interface AuditEntry {
  id: string;
  at: Date;
  actor: AuditActor;
  /** A dotted verb: `auth.login`, `conversation.claim`, `agent.create`, `customer.delete`, ... */
  action: string;
  /** `ok`, or `refused` when the action was tried and refused (bad password, lockout, wrong role, ...). */
  outcome: 'ok' | 'refused';
  targetType?: string;
  targetId?: string;
  /** Small facts about the change (fields changed, counts, reason); never passwords, tokens or message text. */
  details?: Record<string, unknown>;
  /** The client's address as the server saw it. */
  ip?: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: Date };

export interface AuditFilter extends TimeRange {
  actorId?: string;
  /** An exact action, or a prefix ending in '.' (`conversation.`). */
  action?: string;
  targetId?: string;
}

/** Append-only: entries are never changed; a customer's erasure does not remove them (they name staff actions, not the shopper's data). */
export interface AuditRepository {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first (at, then id, descending). */
  list(filter?: AuditFilter, page?: PageRequest): Promise<Page<AuditEntry>>;
}

export interface CustomerExport {
  customer: Customer;
  conversations: Conversation[];
  messages: Message[];
  orders: Order[];
  returns: ReturnRequest[];
  interactions: Interaction[];
}

export interface Store {
  readonly kind: 'sqlite' | 'mongo';
  readonly customers: CustomerRepository;
  readonly conversations: ConversationRepository;
  readonly messages: MessageRepository;
  readonly products: ProductRepository;
  readonly orders: OrderRepository;
  readonly returns: ReturnRepository;
  readonly interactions: InteractionRepository;
  readonly campaigns: CampaignRepository;
  readonly agents: AgentRepository;
  readonly knowledge: KnowledgeRepository;
  readonly audit: AuditRepository;
  /** botbuilder state (conversation and user state) with eTag optimistic concurrency. */
  readonly botState: Storage;
  /** Throws `unavailable` when the database does not answer. */
  ping(): Promise<void>;
  /** Record count of every collection. */
  counts(): Promise<Record<CollectionName, number>>;
  /** Everything the store holds about one customer (privacy export). `not_found` if unknown. */
  exportCustomerData(customerId: string): Promise<CustomerExport>;
  /**
   * Deletes the customer and every record that belongs to them, in every collection
   * (conversations, messages, orders, returns, interactions, and the bot state keys that
   * contain the customer's id, one of their conversation ids or one of their channel
   * external ids). Returns how many were deleted per collection; all zeros for an unknown
   * customer, so an interrupted erase can simply be run again.
   */
  deleteCustomerData(customerId: string): Promise<Record<CollectionName, number>>;
  /**
   * Merges customer `sourceId` into `targetId` after a VERIFIED link (signed identity token,
   * WeChat unionid, one-time link code): the source's channel identities, conversations,
   * messages, orders, returns and interactions now belong to the target; the target's tags
   * gain the source's, vip becomes true if either was, email/phone are filled from the source
   * only where the target has none, displayName kept unless the target's is empty; then the
   * source customer is deleted. Returns the merged target and how many records moved per
   * collection. `not_found` if either is unknown; `bad_request` if they are the same id.
   * Safe to run again after a crash midway (each step is idempotent; the source is deleted last).
   *
   * Moved records keep everything but their customer id (messages keep their seq, records
   * their updatedAt). In `moved`, `customers` is the merged-away source (1), identities are
   * part of it, and `botState` is 0: the bot layer merges its own state.
   */
  mergeCustomers(sourceId: string, targetId: string): Promise<{ customer: Customer; moved: Record<CollectionName, number> }>;
  close(): Promise<void>;
}
