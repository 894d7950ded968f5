/**
 * The SQLite store: the default, zero-setup store (one WAL-mode file under ./data/).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ShopError } from '../errors.js';
import type { CollectionName, Customer, CustomerExport, Store } from '../types.js';
import { SqliteAgents } from './agents.js';
import { SqliteAudit } from './audit.js';
import { SqliteBotState } from './bot-state.js';
import { SqliteCampaigns } from './campaigns.js';
import { SqliteConversations } from './conversations.js';
import { SqliteCustomers } from './customers.js';
import { Db, toShopError } from './db.js';
import { SqliteInteractions } from './interactions.js';
import { SqliteKnowledge } from './knowledge.js';
import { mergeCustomers } from './merge.js';
import { SqliteMessages } from './messages.js';
import { migrate } from './migrations.js';
import { SqliteOrders } from './orders.js';
import { countAll, eraseCustomer, exportCustomer } from './privacy.js';
import { SqliteProducts } from './products.js';
import { SqliteReturns } from './returns.js';

const BUSY_TIMEOUT_MS = 5000;

function isMemory(file: string): boolean {
  return file === ':memory:' || file === '';
}

/** Opens the file, sets the pragmas and migrates; a failure closes the connection again. */
function connect(file: string): Database.Database {
  if (typeof file !== 'string') throw new ShopError('config_invalid', 'the SQLite store needs a file path or ":memory:"');
  let raw: Database.Database | undefined;
  try {
    if (!isMemory(file)) mkdirSync(dirname(resolve(file)), { recursive: true });
    raw = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    migrate(raw);
    return raw;
  } catch (err) {
    raw?.close();
    if (err instanceof ShopError) throw err;
    const mapped = toShopError(err);
    // Failing to create the folder or open the file means the store cannot be reached.
    throw new ShopError(mapped.code === 'internal' ? 'unavailable' : mapped.code, `cannot open the SQLite store at ${file}`, {
      cause: err,
    });
  }
}

/** The `Store` over one SQLite connection (better-sqlite3 is synchronous; the ports are async). */
class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly customers: SqliteCustomers;
  readonly conversations: SqliteConversations;
  readonly messages: SqliteMessages;
  readonly products: SqliteProducts;
  readonly orders: SqliteOrders;
  readonly returns: SqliteReturns;
  readonly interactions: SqliteInteractions;
  readonly campaigns: SqliteCampaigns;
  readonly agents: SqliteAgents;
  readonly knowledge: SqliteKnowledge;
  readonly audit: SqliteAudit;
  readonly botState: SqliteBotState;

  constructor(private readonly db: Db) {
    this.customers = new SqliteCustomers(db);
    this.conversations = new SqliteConversations(db);
    this.messages = new SqliteMessages(db);
    this.products = new SqliteProducts(db);
    this.orders = new SqliteOrders(db);
    this.returns = new SqliteReturns(db);
    this.interactions = new SqliteInteractions(db);
    this.campaigns = new SqliteCampaigns(db);
    this.agents = new SqliteAgents(db);
    this.knowledge = new SqliteKnowledge(db);
    this.audit = new SqliteAudit(db);
    this.botState = new SqliteBotState(db);
  }

  async ping(): Promise<void> {
    this.db.read(() => this.db.get('SELECT 1'));
  }

  async counts(): Promise<Record<CollectionName, number>> {
    return countAll(this.db);
  }

  async exportCustomerData(customerId: string): Promise<CustomerExport> {
    return exportCustomer(this.db, this.customers, customerId);
  }

  async deleteCustomerData(customerId: string): Promise<Record<CollectionName, number>> {
    return eraseCustomer(this.db, customerId);
  }

  async mergeCustomers(sourceId: string, targetId: string): Promise<{ customer: Customer; moved: Record<CollectionName, number> }> {
    return mergeCustomers(this.db, this.customers, sourceId, targetId);
  }

  /** Idempotent; later calls on the store fail with `unavailable`. */
  async close(): Promise<void> {
    this.db.close();
  }
}

/** Opens (creating if needed) and migrates the SQLite store at `file`, or an in-memory one for ':memory:'. */
export async function openSqliteStore(opts: { file: string }): Promise<Store> {
  return new SqliteStore(new Db(connect(opts.file)));
}
