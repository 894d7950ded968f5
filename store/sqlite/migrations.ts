/**
 * The SQLite schema as an ordered list of migrations. Each one runs once, in its own
 * transaction, and is recorded in `schema_version`; opening an existing file applies only
 * the ones it has not seen. Never edit a released migration: append a new one.
 *
 * Dates are INTEGER epoch milliseconds; arrays and objects are JSON text. Foreign keys
 * are used only inside an aggregate (identities belong to their customer): across
 * aggregates the MongoDB adapter cannot enforce them either, and both must behave alike.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ShopError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

const initialSchema = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  locale TEXT NOT NULL,
  vip INTEGER NOT NULL DEFAULT 0,
  tags TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX customers_email ON customers (email);

CREATE TABLE customer_identities (
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  linked_at INTEGER NOT NULL,
  UNIQUE (channel, external_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee_id TEXT,
  priority REAL NOT NULL DEFAULT 0,
  handoff_reason TEXT,
  language TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_message_at INTEGER NOT NULL,
  queued_at INTEGER,
  assigned_at INTEGER,
  resolved_at INTEGER
);
CREATE INDEX conversations_customer ON conversations (customer_id, id);
CREATE INDEX conversations_status ON conversations (status, id);
CREATE INDEX conversations_assignee ON conversations (assignee_id, id);
CREATE INDEX conversations_created ON conversations (created_at);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  direction TEXT NOT NULL,
  sender TEXT NOT NULL,
  agent_id TEXT,
  channel TEXT NOT NULL,
  text TEXT NOT NULL,
  payload TEXT,
  channel_message_id TEXT,
  intent TEXT,
  confidence REAL,
  entities TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_channel_message ON messages (channel, channel_message_id)
  WHERE channel_message_id IS NOT NULL;
CREATE INDEX messages_customer ON messages (customer_id, created_at, id);
CREATE INDEX messages_created ON messages (created_at, id);

CREATE TABLE products (
  id TEXT PRIMARY KEY,
  category TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  price REAL NOT NULL,
  currency TEXT NOT NULL,
  stock INTEGER NOT NULL CHECK (stock >= 0),
  attributes TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  image_url TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX products_category ON products (category, id);
CREATE INDEX products_price ON products (price);

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  status TEXT NOT NULL,
  items TEXT NOT NULL,
  total REAL NOT NULL,
  currency TEXT NOT NULL,
  shipping_address TEXT NOT NULL,
  carrier TEXT,
  tracking_number TEXT,
  placed_at INTEGER NOT NULL,
  paid_at INTEGER,
  shipped_at INTEGER,
  delivered_at INTEGER,
  cancelled_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, placed_at, id);
CREATE INDEX orders_placed ON orders (placed_at, id);
CREATE INDEX orders_status ON orders (status);

CREATE TABLE returns (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  items TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  refund_amount REAL,
  rma_code TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX returns_order ON returns (order_id, created_at, id);
CREATE INDEX returns_customer ON returns (customer_id, id);

CREATE TABLE interactions (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  type TEXT NOT NULL,
  value REAL,
  source TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX interactions_created ON interactions (created_at, id);
CREATE INDEX interactions_customer ON interactions (customer_id, created_at, id);
CREATE INDEX interactions_product ON interactions (product_id, created_at, id);
CREATE INDEX interactions_type ON interactions (type, created_at, id);

CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  product_id TEXT NOT NULL,
  bid REAL NOT NULL,
  daily_budget REAL NOT NULL,
  status TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  targeting TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_status ON campaigns (status, id);

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  languages TEXT NOT NULL,
  skills TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX agents_status ON agents (status, id);
CREATE INDEX agents_role ON agents (role, id);

CREATE TABLE knowledge (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  locale TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  category TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  version INTEGER NOT NULL,
  source TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (slug, locale)
);
CREATE INDEX knowledge_locale ON knowledge (locale, id);
CREATE INDEX knowledge_category ON knowledge (category, id);

CREATE TABLE bot_state (
  key TEXT PRIMARY KEY,
  etag TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

/** Ordered; versions are 1, 2, 3, ... */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up(db) {
      db.exec(initialSchema);
      // A per-database id makes knowledge.dataVersion() unique to this file, so a vector
      // index built from a deleted and re-seeded database is never taken as fresh.
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run(
        'instance_id',
        randomBytes(6).toString('hex'),
        'knowledge_writes',
        '0',
      );
    },
  },
  {
    version: 2,
    name: 'campaign spend per day; interactions by source',
    up(db) {
      // Money in whole cents (INTEGER), so a day's spend adds up exactly to the budget.
      db.exec(`
CREATE TABLE campaign_spend (
  campaign_id TEXT NOT NULL,
  day TEXT NOT NULL,
  spent_cents INTEGER NOT NULL DEFAULT 0 CHECK (spent_cents >= 0),
  clicks INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, day)
);
CREATE INDEX campaign_spend_day ON campaign_spend (day, campaign_id);
CREATE INDEX interactions_source ON interactions (source, customer_id, created_at);
`);
    },
  },
  {
    version: 3,
    name: 'hand-off: topic, first response, tags, notes, rating; message sentiment and skill',
    up(db) {
      db.exec(`
ALTER TABLE conversations ADD COLUMN topic TEXT;
ALTER TABLE conversations ADD COLUMN first_response_at INTEGER;
ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN rating INTEGER;
ALTER TABLE conversations ADD COLUMN rated_at INTEGER;
ALTER TABLE messages ADD COLUMN sentiment REAL;
ALTER TABLE messages ADD COLUMN skill TEXT;
CREATE INDEX conversations_queued ON conversations (queued_at) WHERE queued_at IS NOT NULL;
`);
    },
  },
  {
    version: 4,
    name: 'audit log; outbound message delivery status',
    up(db) {
      db.exec(`
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_name TEXT,
  actor_role TEXT,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  details TEXT,
  ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at, id);
CREATE INDEX audit_log_target ON audit_log (target_id, at, id);
ALTER TABLE messages ADD COLUMN delivery_status TEXT;
ALTER TABLE messages ADD COLUMN delivery_attempts INTEGER;
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
ALTER TABLE messages ADD COLUMN delivery_updated_at INTEGER;
CREATE INDEX messages_delivery ON messages (delivery_status, created_at, id) WHERE delivery_status IS NOT NULL;
`);
    },
  },
  {
    version: 5,
    name: 'outbox: delivery claim (owner, lease), next attempt time, attempts allowed',
    up(db) {
      db.exec(`
ALTER TABLE messages ADD COLUMN delivery_owner TEXT;
ALTER TABLE messages ADD COLUMN delivery_lease_until INTEGER;
ALTER TABLE messages ADD COLUMN delivery_next_at INTEGER;
ALTER TABLE messages ADD COLUMN delivery_max_attempts INTEGER;
`);
    },
  },
];

/**
 * Applies pending migrations. Each runs in an IMMEDIATE transaction that re-checks
 * `schema_version`, so two processes opening the same new file do not both apply it.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = () => (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const found = current();
  if (found > latest) {
    throw new ShopError(
      'config_invalid',
      `the SQLite database is at schema version ${found}, newer than this build knows (${latest}); upgrade Shop Assistant`,
    );
  }
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= found) continue;
    db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_version WHERE version = ?').get(m.version) !== undefined) return;
      m.up(db);
      db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
