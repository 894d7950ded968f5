import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type {
  ChannelId,
  ChannelIdentity,
  Customer,
  CustomerPatch,
  CustomerRepository,
  Locale,
  NewCustomer,
  Page,
  PageRequest,
} from '../types.js';
import type { Db, SqlValue } from './db.js';
import { jsonList, opt, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

interface CustomerRow {
  id: string;
  display_name: string;
  email: string | null;
  phone: string | null;
  locale: Locale;
  vip: number;
  tags: string;
  created_at: number;
  updated_at: number;
}

interface IdentityRow {
  customer_id: string;
  channel: ChannelId;
  external_id: string;
  linked_at: number;
}

const IDENTITY_COLUMNS = 'customer_id, channel, external_id, linked_at';
const IDENTITY_ORDER = 'ORDER BY linked_at, rowid';

/** Customers and their channel identities (one customer across every channel). */
export class SqliteCustomers implements CustomerRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewCustomer): Promise<Customer> {
    const id = input.id === undefined ? newId('cus') : check.text('id', input.id);
    const displayName = check.text('displayName', input.displayName);
    const email = check.optText('email', input.email);
    const phone = check.optText('phone', input.phone);
    const locale = input.locale === undefined ? 'en' : check.locale('locale', input.locale);
    const vip = input.vip ?? false;
    if (typeof vip !== 'boolean') throw new ShopError('bad_request', 'vip must be a boolean');
    const tags = check.strings('tags', input.tags ?? []);
    const identities = (input.identities ?? []).map((i, n) => ({
      channel: check.channel(`identities[${n}].channel`, i.channel),
      externalId: check.text(`identities[${n}].externalId`, i.externalId),
    }));
    const now = Date.now();
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO customers (id, display_name, email, phone, locale, vip, tags, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, displayName, email ?? null, phone ?? null, locale, vip ? 1 : 0, toJson(tags), now, now],
      );
      for (const i of identities) {
        this.db.run('INSERT INTO customer_identities (channel, external_id, customer_id, linked_at) VALUES (?, ?, ?, ?)', [
          i.channel,
          i.externalId,
          id,
          now,
        ]);
      }
      return this.load(id);
    });
  }

  async get(id: string): Promise<Customer | null> {
    return this.db.read(() => this.find(id));
  }

  async findByIdentity(channel: ChannelId, externalId: string): Promise<Customer | null> {
    return this.db.read(() => {
      const row = this.db.get<{ customer_id: string }>(
        'SELECT customer_id FROM customer_identities WHERE channel = ? AND external_id = ?',
        [channel, externalId],
      );
      return row === undefined ? null : this.find(row.customer_id);
    });
  }

  /** Exact match; the oldest customer wins when several share an email (emails are not unique). */
  async findByEmail(email: string): Promise<Customer | null> {
    return this.db.read(() => {
      const row = this.db.get<CustomerRow>('SELECT * FROM customers WHERE email = ? ORDER BY id LIMIT 1', [email]);
      return row === undefined ? null : this.withIdentities([row])[0]!;
    });
  }

  async linkIdentity(customerId: string, channel: ChannelId, externalId: string): Promise<Customer> {
    check.channel('channel', channel);
    check.text('externalId', externalId);
    return this.db.write(() => {
      this.mustExist(customerId);
      const holder = this.db.get<{ customer_id: string }>(
        'SELECT customer_id FROM customer_identities WHERE channel = ? AND external_id = ?',
        [channel, externalId],
      );
      if (holder !== undefined) {
        if (holder.customer_id === customerId) return this.load(customerId);
        throw new ShopError('conflict', `identity ${channel}:${externalId} belongs to another customer`, {
          details: { channel, externalId },
        });
      }
      const now = Date.now();
      this.db.run('INSERT INTO customer_identities (channel, external_id, customer_id, linked_at) VALUES (?, ?, ?, ?)', [
        channel,
        externalId,
        customerId,
        now,
      ]);
      this.db.run('UPDATE customers SET updated_at = ? WHERE id = ?', [now, customerId]);
      return this.load(customerId);
    });
  }

  async unlinkIdentity(customerId: string, channel: ChannelId, externalId: string): Promise<Customer> {
    return this.db.write(() => {
      this.mustExist(customerId);
      const removed = this.db.run(
        'DELETE FROM customer_identities WHERE customer_id = ? AND channel = ? AND external_id = ?',
        [customerId, channel, externalId],
      ).changes;
      if (removed > 0) this.db.run('UPDATE customers SET updated_at = ? WHERE id = ?', [Date.now(), customerId]);
      return this.load(customerId);
    });
  }

  async update(id: string, patch: CustomerPatch): Promise<Customer> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    const set = (column: string, value: SqlValue) => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (patch.displayName !== undefined) set('display_name', check.text('displayName', patch.displayName));
    if (patch.email !== undefined) set('email', check.text('email', patch.email));
    if (patch.phone !== undefined) set('phone', check.text('phone', patch.phone));
    if (patch.locale !== undefined) set('locale', check.locale('locale', patch.locale));
    if (patch.vip !== undefined) {
      if (typeof patch.vip !== 'boolean') throw new ShopError('bad_request', 'vip must be a boolean');
      set('vip', patch.vip ? 1 : 0);
    }
    if (patch.tags !== undefined) set('tags', toJson(check.strings('tags', patch.tags)));
    set('updated_at', Date.now());
    return this.db.write(() => {
      const changed = this.db.run(`UPDATE customers SET ${sets.join(', ')} WHERE id = ?`, [...params, id]).changes;
      if (changed === 0) throw notFound(id);
      return this.load(id);
    });
  }

  async list(page?: PageRequest): Promise<Page<Customer>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    return this.db.snapshot(() => {
      const rows =
        after === null
          ? this.db.all<CustomerRow>('SELECT * FROM customers ORDER BY id LIMIT ?', [limit + 1])
          : this.db.all<CustomerRow>('SELECT * FROM customers WHERE id > ? ORDER BY id LIMIT ?', [after[0], limit + 1]);
      return toPage(this.withIdentities(rows), limit, (c) => [c.id]);
    });
  }

  /** Used by the privacy export and erase, inside their transaction. */
  find(id: string): Customer | null {
    const row = this.db.get<CustomerRow>('SELECT * FROM customers WHERE id = ?', [id]);
    return row === undefined ? null : this.withIdentities([row])[0]!;
  }

  private load(id: string): Customer {
    const c = this.find(id);
    if (c === null) throw notFound(id);
    return c;
  }

  private mustExist(id: string): void {
    if (!this.db.exists('customers', id)) throw notFound(id);
  }

  /** Maps rows and attaches identities with one query for the whole batch. */
  private withIdentities(rows: CustomerRow[]): Customer[] {
    if (rows.length === 0) return [];
    const idRows =
      rows.length === 1
        ? this.db.all<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM customer_identities WHERE customer_id = ? ${IDENTITY_ORDER}`, [
            rows[0]!.id,
          ])
        : this.db.all<IdentityRow>(
            `SELECT ${IDENTITY_COLUMNS} FROM customer_identities
             WHERE customer_id IN (SELECT value FROM json_each(?)) ${IDENTITY_ORDER}`,
            [jsonList(rows.map((r) => r.id))],
          );
    const byCustomer = new Map<string, ChannelIdentity[]>();
    for (const r of idRows) {
      const list = byCustomer.get(r.customer_id) ?? [];
      list.push({ channel: r.channel, externalId: r.external_id, linkedAt: toDate(r.linked_at) });
      byCustomer.set(r.customer_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      email: opt(r.email),
      phone: opt(r.phone),
      locale: r.locale,
      vip: r.vip === 1,
      tags: parseJson<string[]>(r.tags),
      identities: byCustomer.get(r.id) ?? [],
      createdAt: toDate(r.created_at),
      updatedAt: toDate(r.updated_at),
    }));
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `customer ${id} not found`, { details: { id } });
}
