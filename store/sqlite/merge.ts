import { ShopError } from '../errors.js';
import type { CollectionName, Customer } from '../types.js';
import type { SqliteCustomers } from './customers.js';
import type { Db } from './db.js';
import { zeroCounts } from './privacy.js';
import { parseJson, toJson } from './rows.js';
import * as check from './validate.js';

interface ProfileRow {
  display_name: string;
  email: string | null;
  phone: string | null;
  vip: number;
  tags: string;
}

/** Tables whose rows name their owner in `customer_id`, by the collection they count under. */
const OWNED: ReadonlyArray<[CollectionName, string]> = [
  ['conversations', 'conversations'],
  ['messages', 'messages'],
  ['orders', 'orders'],
  ['returns', 'returns'],
  ['interactions', 'interactions'],
];

const blank = (v: string | null | undefined): boolean => v === null || v === undefined || v.trim() === '';

/**
 * Merges customer `sourceId` into `targetId` in one transaction: every row that names the
 * source (identities included) is re-pointed at the target, the profiles are combined by
 * the port's rules and the source row is deleted. Rows change only in `customer_id`.
 */
export function mergeCustomers(
  db: Db,
  customers: SqliteCustomers,
  sourceId: string,
  targetId: string,
): { customer: Customer; moved: Record<CollectionName, number> } {
  check.text('sourceId', sourceId);
  check.text('targetId', targetId);
  if (sourceId === targetId) {
    throw new ShopError('bad_request', `cannot merge customer ${sourceId} into itself`, { details: { sourceId, targetId } });
  }
  return db.write(() => {
    const profile = (id: string): ProfileRow => {
      const row = db.get<ProfileRow>('SELECT display_name, email, phone, vip, tags FROM customers WHERE id = ?', [id]);
      if (row === undefined) throw new ShopError('not_found', `customer ${id} not found`, { details: { id } });
      return row;
    };
    const source = profile(sourceId);
    const target = profile(targetId);

    const moved = zeroCounts();
    db.run('UPDATE customer_identities SET customer_id = ? WHERE customer_id = ?', [targetId, sourceId]);
    for (const [collection, table] of OWNED) {
      moved[collection] = db.run(`UPDATE ${table} SET customer_id = ? WHERE customer_id = ?`, [targetId, sourceId]).changes;
    }

    const targetTags = parseJson<string[]>(target.tags);
    const tags = [...new Set([...targetTags, ...parseJson<string[]>(source.tags)])];
    db.run('UPDATE customers SET display_name = ?, email = ?, phone = ?, vip = ?, tags = ?, updated_at = ? WHERE id = ?', [
      blank(target.display_name) ? source.display_name : target.display_name,
      blank(target.email) ? source.email : target.email,
      blank(target.phone) ? source.phone : target.phone,
      target.vip === 1 || source.vip === 1 ? 1 : 0,
      toJson(tags),
      Date.now(),
      targetId,
    ]);
    moved.customers = db.run('DELETE FROM customers WHERE id = ?', [sourceId]).changes;

    const customer = customers.find(targetId);
    if (customer === null) throw new ShopError('internal', `customer ${targetId} vanished during a merge`);
    return { customer, moved };
  });
}
