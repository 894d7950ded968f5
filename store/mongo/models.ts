import { Schema, type Connection, type Model } from 'mongoose';
import type {
  AgentRole,
  AuditActor,
  DeliveryStatus,
  AgentStatus,
  CampaignStatus,
  ChannelId,
  ConversationStatus,
  InteractionType,
  Locale,
  MessageDirection,
  MessageSender,
  OrderStatus,
  ReturnStatus,
} from '../types.js';

/*
 * Stored shapes. `_id` is our string id; `rev` counts the writes of documents that are
 * changed in place (see revisions.ts). Free-form JSON (message payloads, entities,
 * product attributes, bot state) is stored as a JSON string: MongoDB 4.4 and FerretDB
 * reject keys that start with '$' or contain '.' (checked on FerretDB), and channel
 * payloads and bot state may have them (an adaptive card carries "$schema").
 */

export interface CustomerDoc {
  _id: string;
  displayName: string;
  email?: string;
  /** Lower-cased email, so lookups are case-insensitive without collation (FerretDB has none). */
  emailKey?: string;
  phone?: string;
  locale: Locale;
  vip: boolean;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

/**
 * One channel account of a customer. A collection of its own, not an array in the
 * customer: FerretDB creates unique indexes on array fields but does not enforce them.
 */
export interface IdentityDoc {
  _id: string;
  channel: ChannelId;
  externalId: string;
  customerId: string;
  linkedAt: Date;
}

export interface ConversationDoc {
  _id: string;
  customerId: string;
  channel: ChannelId;
  status: ConversationStatus;
  assigneeId: string | null;
  priority: number;
  handoffReason?: string;
  language: Locale;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date;
  queuedAt?: Date;
  assignedAt?: Date;
  resolvedAt?: Date;
  topic?: string;
  firstResponseAt?: Date;
  tags?: string[];
  notes?: Array<{ agentId: string; text: string; at: Date }>;
  rating?: number;
  ratedAt?: Date;
  /** The last seq handed to a message of this conversation. */
  messageSeq: number;
  rev: number;
}

export interface MessageDoc {
  _id: string;
  conversationId: string;
  customerId: string;
  seq: number;
  direction: MessageDirection;
  sender: MessageSender;
  agentId?: string;
  channel: ChannelId;
  text: string;
  payload?: string;
  channelMessageId?: string;
  /**
   * `<channel>:<channelMessageId>`, present only with a channelMessageId. A sparse unique
   * single-field index on it stands in for a partial (channel, channelMessageId) index:
   * FerretDB has no partialFilterExpression, and a sparse compound index would still
   * index (and collide on) every message without one on MongoDB.
   */
  dedupeKey?: string;
  intent?: string;
  confidence?: number;
  entities?: string;
  sentiment?: number;
  skill?: string;
  deliveryStatus?: DeliveryStatus;
  deliveryAttempts?: number;
  deliveryError?: string;
  deliveryUpdatedAt?: Date;
  /** The outbox claim (node id, lease end), next attempt time and attempts allowed of a pending delivery. */
  deliveryOwner?: string;
  deliveryLeaseUntil?: Date;
  deliveryNextAt?: Date;
  deliveryMaxAttempts?: number;
  /** Delivery changes are revisioned writes (revisions.ts): the outbox claim is a compare-and-set. */
  rev: number;
  createdAt: Date;
}

export interface AuditDoc {
  _id: string;
  at: Date;
  actorKind: AuditActor['kind'];
  actorId?: string;
  actorName?: string;
  actorRole?: AgentRole;
  action: string;
  outcome: 'ok' | 'refused';
  targetType?: string;
  targetId?: string;
  /** JSON, like payloads: details may carry any keys. */
  details?: string;
  ip?: string;
}

export interface ProductDoc {
  _id: string;
  category: string;
  title: { en: string; zh: string };
  description: { en: string; zh: string };
  price: number;
  currency: string;
  stock: number;
  attributes: string;
  tags: string[];
  imageUrl?: string;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

export interface OrderDoc {
  _id: string;
  number: string;
  customerId: string;
  status: OrderStatus;
  items: Array<{ productId: string; title: string; quantity: number; unitPrice: number }>;
  total: number;
  currency: string;
  shippingAddress: {
    name: string;
    phone: string;
    line1: string;
    city: string;
    region?: string;
    postalCode?: string;
    country: string;
  };
  carrier?: string;
  trackingNumber?: string;
  placedAt: Date;
  paidAt?: Date;
  shippedAt?: Date;
  deliveredAt?: Date;
  cancelledAt?: Date;
  updatedAt: Date;
  rev: number;
}

export interface ReturnDoc {
  _id: string;
  orderId: string;
  customerId: string;
  items: Array<{ productId: string; quantity: number }>;
  reason: string;
  status: ReturnStatus;
  refundAmount?: number;
  rmaCode: string;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

export interface InteractionDoc {
  _id: string;
  customerId: string;
  productId: string;
  type: InteractionType;
  value?: number;
  source?: string;
  createdAt: Date;
}

export interface CampaignDoc {
  _id: string;
  name: string;
  productId: string;
  bid: number;
  dailyBudget: number;
  status: CampaignStatus;
  startsAt: Date;
  endsAt?: Date;
  targeting: { categories: string[]; intents: string[]; keywords: string[] };
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

/**
 * What one campaign spent on one day: `_id` is `<campaignId>:<day>`. Changed only through
 * revisions.ts, so concurrent charges never overspend (FerretDB's `$inc` loses updates).
 */
export interface CampaignSpendDoc {
  _id: string;
  campaignId: string;
  day: string;
  /** Whole cents. */
  spentCents: number;
  clicks: number;
  rev: number;
}

export interface AgentDoc {
  _id: string;
  email: string;
  name: string;
  role: AgentRole;
  passwordHash: string;
  languages: Locale[];
  skills: string[];
  capacity: number;
  status: AgentStatus;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

export interface KnowledgeDoc {
  _id: string;
  slug: string;
  locale: Locale;
  title: string;
  body: string;
  category: string;
  tags: string[];
  version: number;
  source?: string;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
}

export interface BotStateDoc {
  _id: string;
  eTag: string;
  /** The item as JSON, without its eTag. */
  item: string;
  rev: number;
}

/** Small named values; `knowledge` holds the knowledge base's data version token. */
export interface MetaDoc {
  _id: string;
  value: string;
}

/** Write locks of revisions.ts: `_id` is `<collection>:<doc id>:<rev>`. */
export interface LockDoc {
  _id: string;
  at: Date;
}

export interface Models {
  customers: Model<CustomerDoc>;
  identities: Model<IdentityDoc>;
  conversations: Model<ConversationDoc>;
  messages: Model<MessageDoc>;
  products: Model<ProductDoc>;
  orders: Model<OrderDoc>;
  returns: Model<ReturnDoc>;
  interactions: Model<InteractionDoc>;
  campaigns: Model<CampaignDoc>;
  campaignSpend: Model<CampaignSpendDoc>;
  agents: Model<AgentDoc>;
  knowledge: Model<KnowledgeDoc>;
  botState: Model<BotStateDoc>;
  meta: Model<MetaDoc>;
  locks: Model<LockDoc>;
  audit: Model<AuditDoc>;
}

// No __v (revisions are ours), keep empty objects, no implicit index builds or
// collection creation (openMongoStore builds indexes itself, before it returns), and no
// command buffering, so an outage fails a call instead of queueing it.
const OPTIONS = { versionKey: false, minimize: false, autoIndex: false, autoCreate: false, bufferCommands: false } as const;
const NO_ID = { _id: false } as const;

const localized = new Schema({ en: { type: String, default: '' }, zh: { type: String, default: '' } }, NO_ID);

function customerSchema(): Schema<CustomerDoc> {
  const s = new Schema<CustomerDoc>(
    {
      _id: { type: String, required: true },
      displayName: { type: String, default: '' },
      email: String,
      emailKey: String,
      phone: String,
      locale: { type: String, required: true },
      vip: { type: Boolean, required: true },
      tags: { type: [String], default: [] },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ emailKey: 1 });
  return s;
}

function identitySchema(): Schema<IdentityDoc> {
  const s = new Schema<IdentityDoc>(
    {
      _id: { type: String, required: true },
      channel: { type: String, required: true },
      externalId: { type: String, required: true },
      customerId: { type: String, required: true },
      linkedAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  s.index({ channel: 1, externalId: 1 }, { unique: true });
  s.index({ customerId: 1, _id: 1 });
  return s;
}

function conversationSchema(): Schema<ConversationDoc> {
  const s = new Schema<ConversationDoc>(
    {
      _id: { type: String, required: true },
      customerId: { type: String, required: true },
      channel: { type: String, required: true },
      status: { type: String, required: true },
      assigneeId: { type: String, default: null },
      priority: { type: Number, required: true },
      handoffReason: String,
      language: { type: String, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      lastMessageAt: { type: Date, required: true },
      queuedAt: Date,
      assignedAt: Date,
      resolvedAt: Date,
      topic: String,
      firstResponseAt: Date,
      tags: { type: [String], default: undefined },
      notes: { type: [{ _id: false, agentId: String, text: String, at: Date }], default: undefined },
      rating: Number,
      ratedAt: Date,
      messageSeq: { type: Number, default: 0 },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ customerId: 1, _id: -1 });
  s.index({ status: 1, _id: 1 });
  s.index({ assigneeId: 1, status: 1 });
  s.index({ createdAt: 1 });
  s.index({ queuedAt: 1 }, { sparse: true });
  return s;
}

function messageSchema(): Schema<MessageDoc> {
  const s = new Schema<MessageDoc>(
    {
      _id: { type: String, required: true },
      conversationId: { type: String, required: true },
      customerId: { type: String, required: true },
      seq: { type: Number, required: true },
      direction: { type: String, required: true },
      sender: { type: String, required: true },
      agentId: String,
      channel: { type: String, required: true },
      text: { type: String, default: '' },
      payload: String,
      channelMessageId: String,
      dedupeKey: String,
      intent: String,
      confidence: Number,
      entities: String,
      sentiment: Number,
      skill: String,
      deliveryStatus: String,
      deliveryAttempts: Number,
      deliveryError: String,
      deliveryUpdatedAt: Date,
      deliveryOwner: String,
      deliveryLeaseUntil: Date,
      deliveryNextAt: Date,
      deliveryMaxAttempts: Number,
      rev: { type: Number, default: 0 },
      createdAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  s.index({ deliveryStatus: 1, createdAt: 1, _id: 1 }, { sparse: true });
  s.index({ conversationId: 1, seq: 1 }, { unique: true });
  s.index({ dedupeKey: 1 }, { unique: true, sparse: true });
  s.index({ customerId: 1, createdAt: -1, _id: -1 });
  s.index({ createdAt: 1, _id: 1 });
  return s;
}

function productSchema(): Schema<ProductDoc> {
  const s = new Schema<ProductDoc>(
    {
      _id: { type: String, required: true },
      category: { type: String, default: '' },
      title: { type: localized, required: true },
      description: { type: localized, required: true },
      price: { type: Number, required: true },
      currency: { type: String, required: true },
      stock: { type: Number, required: true },
      attributes: { type: String, default: '{}' },
      tags: { type: [String], default: [] },
      imageUrl: String,
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ category: 1, _id: 1 });
  s.index({ price: 1 });
  return s;
}

function orderSchema(): Schema<OrderDoc> {
  const item = new Schema(
    {
      productId: { type: String, required: true },
      title: { type: String, default: '' },
      quantity: { type: Number, required: true },
      unitPrice: { type: Number, required: true },
    },
    NO_ID,
  );
  const address = new Schema(
    {
      name: { type: String, default: '' },
      phone: { type: String, default: '' },
      line1: { type: String, default: '' },
      city: { type: String, default: '' },
      region: String,
      postalCode: String,
      country: { type: String, required: true },
    },
    NO_ID,
  );
  const s = new Schema<OrderDoc>(
    {
      _id: { type: String, required: true },
      number: { type: String, required: true },
      customerId: { type: String, required: true },
      status: { type: String, required: true },
      items: { type: [item], default: [] },
      total: { type: Number, required: true },
      currency: { type: String, required: true },
      shippingAddress: { type: address, required: true },
      carrier: String,
      trackingNumber: String,
      placedAt: { type: Date, required: true },
      paidAt: Date,
      shippedAt: Date,
      deliveredAt: Date,
      cancelledAt: Date,
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ number: 1 }, { unique: true });
  s.index({ customerId: 1, placedAt: -1, _id: -1 });
  s.index({ placedAt: 1, _id: 1 });
  s.index({ status: 1 });
  return s;
}

function returnSchema(): Schema<ReturnDoc> {
  const item = new Schema({ productId: { type: String, required: true }, quantity: { type: Number, required: true } }, NO_ID);
  const s = new Schema<ReturnDoc>(
    {
      _id: { type: String, required: true },
      orderId: { type: String, required: true },
      customerId: { type: String, required: true },
      items: { type: [item], default: [] },
      reason: { type: String, default: '' },
      status: { type: String, required: true },
      refundAmount: Number,
      rmaCode: { type: String, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ rmaCode: 1 }, { unique: true });
  s.index({ orderId: 1, createdAt: 1, _id: 1 });
  s.index({ customerId: 1, _id: -1 });
  s.index({ status: 1 });
  return s;
}

function interactionSchema(): Schema<InteractionDoc> {
  const s = new Schema<InteractionDoc>(
    {
      _id: { type: String, required: true },
      customerId: { type: String, required: true },
      productId: { type: String, required: true },
      type: { type: String, required: true },
      value: Number,
      source: String,
      createdAt: { type: Date, required: true },
    },
    OPTIONS,
  );
  s.index({ createdAt: 1, _id: 1 });
  s.index({ customerId: 1, createdAt: 1, _id: 1 });
  s.index({ productId: 1, createdAt: 1, _id: 1 });
  s.index({ type: 1, createdAt: 1 });
  s.index({ source: 1, customerId: 1, createdAt: 1 });
  return s;
}

function campaignSchema(): Schema<CampaignDoc> {
  const targeting = new Schema(
    { categories: { type: [String], default: [] }, intents: { type: [String], default: [] }, keywords: { type: [String], default: [] } },
    NO_ID,
  );
  const s = new Schema<CampaignDoc>(
    {
      _id: { type: String, required: true },
      name: { type: String, default: '' },
      productId: { type: String, required: true },
      bid: { type: Number, required: true },
      dailyBudget: { type: Number, required: true },
      status: { type: String, required: true },
      startsAt: { type: Date, required: true },
      endsAt: Date,
      targeting: { type: targeting, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ status: 1, _id: 1 });
  s.index({ productId: 1 });
  return s;
}

function campaignSpendSchema(): Schema<CampaignSpendDoc> {
  const s = new Schema<CampaignSpendDoc>(
    {
      _id: { type: String, required: true },
      campaignId: { type: String, required: true },
      day: { type: String, required: true },
      spentCents: { type: Number, required: true },
      clicks: { type: Number, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ day: 1, campaignId: 1 });
  s.index({ campaignId: 1 });
  return s;
}

function agentSchema(): Schema<AgentDoc> {
  const s = new Schema<AgentDoc>(
    {
      _id: { type: String, required: true },
      email: { type: String, required: true },
      name: { type: String, default: '' },
      role: { type: String, required: true },
      passwordHash: { type: String, default: '' },
      languages: { type: [String], default: [] },
      skills: { type: [String], default: [] },
      capacity: { type: Number, required: true },
      status: { type: String, required: true },
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  // Emails are stored lower-cased, so a plain unique index is case-insensitive.
  s.index({ email: 1 }, { unique: true });
  s.index({ status: 1, _id: 1 });
  return s;
}

function knowledgeSchema(): Schema<KnowledgeDoc> {
  const s = new Schema<KnowledgeDoc>(
    {
      _id: { type: String, required: true },
      slug: { type: String, required: true },
      locale: { type: String, required: true },
      title: { type: String, default: '' },
      body: { type: String, default: '' },
      category: { type: String, default: '' },
      tags: { type: [String], default: [] },
      version: { type: Number, required: true },
      source: String,
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
  s.index({ slug: 1, locale: 1 }, { unique: true });
  s.index({ locale: 1, category: 1, _id: 1 });
  return s;
}

function botStateSchema(): Schema<BotStateDoc> {
  return new Schema<BotStateDoc>(
    {
      _id: { type: String, required: true },
      eTag: { type: String, required: true },
      item: { type: String, required: true },
      rev: { type: Number, default: 0 },
    },
    OPTIONS,
  );
}

function auditSchema(): Schema<AuditDoc> {
  const s = new Schema<AuditDoc>(
    {
      _id: { type: String, required: true },
      at: { type: Date, required: true },
      actorKind: { type: String, required: true },
      actorId: String,
      actorName: String,
      actorRole: String,
      action: { type: String, required: true },
      outcome: { type: String, required: true },
      targetType: String,
      targetId: String,
      details: String,
      ip: String,
    },
    OPTIONS,
  );
  s.index({ at: -1, _id: -1 });
  s.index({ actorId: 1, at: -1, _id: -1 });
  s.index({ targetId: 1, at: -1, _id: -1 });
  return s;
}

function metaSchema(): Schema<MetaDoc> {
  return new Schema<MetaDoc>({ _id: { type: String, required: true }, value: { type: String, required: true } }, OPTIONS);
}

function lockSchema(): Schema<LockDoc> {
  const s = new Schema<LockDoc>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, OPTIONS);
  s.index({ at: 1 });
  return s;
}

/** Compiles the models on a private connection (models are per connection, not global). */
export function createModels(conn: Connection): Models {
  return {
    customers: conn.model<CustomerDoc>('Customer', customerSchema(), 'customers'),
    identities: conn.model<IdentityDoc>('CustomerIdentity', identitySchema(), 'customer_identities'),
    conversations: conn.model<ConversationDoc>('Conversation', conversationSchema(), 'conversations'),
    messages: conn.model<MessageDoc>('Message', messageSchema(), 'messages'),
    products: conn.model<ProductDoc>('Product', productSchema(), 'products'),
    orders: conn.model<OrderDoc>('Order', orderSchema(), 'orders'),
    returns: conn.model<ReturnDoc>('Return', returnSchema(), 'returns'),
    interactions: conn.model<InteractionDoc>('Interaction', interactionSchema(), 'interactions'),
    campaigns: conn.model<CampaignDoc>('Campaign', campaignSchema(), 'campaigns'),
    campaignSpend: conn.model<CampaignSpendDoc>('CampaignSpend', campaignSpendSchema(), 'campaign_spend'),
    agents: conn.model<AgentDoc>('Agent', agentSchema(), 'agents'),
    knowledge: conn.model<KnowledgeDoc>('KnowledgeDocument', knowledgeSchema(), 'knowledge'),
    botState: conn.model<BotStateDoc>('BotState', botStateSchema(), 'bot_state'),
    meta: conn.model<MetaDoc>('Meta', metaSchema(), 'meta'),
    locks: conn.model<LockDoc>('Lock', lockSchema(), 'locks'),
    audit: conn.model<AuditDoc>('AuditEntry', auditSchema(), 'audit_log'),
  };
}
