import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type { NewReturn, Page, PageRequest, ReturnRepository, ReturnRequest, ReturnStatus } from '../types.js';
import { Where, type Db, type SqlValue } from './db.js';
import { opt, orNull, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

export const RETURN_STATUSES: readonly ReturnStatus[] = ['requested', 'approved', 'rejected', 'received', 'refunded', 'cancelled'];

export interface ReturnRow {
  id: string;
  order_id: string;
  customer_id: string;
  items: string;
  reason: string;
  status: ReturnStatus;
  refund_amount: number | null;
  rma_code: string;
  created_at: number;
  updated_at: number;
}

export function toReturn(r: ReturnRow): ReturnRequest {
  return {
    id: r.id,
    orderId: r.order_id,
    customerId: r.customer_id,
    items: parseJson<ReturnRequest['items']>(r.items),
    reason: r.reason,
    status: r.status,
    refundAmount: opt(r.refund_amount),
    rmaCode: r.rma_code,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Each item is checked; an empty list is allowed (types.ts does not forbid it). */
function returnItems(v: unknown): ReturnRequest['items'] {
  if (!Array.isArray(v)) throw new ShopError('bad_request', 'items must be an array', { details: { field: 'items' } });
  return v.map((raw: unknown, n) => {
    const i = check.object(`items[${n}]`, raw);
    return { productId: check.text(`items[${n}].productId`, i.productId), quantity: check.int(`items[${n}].quantity`, i.quantity, 1) };
  });
}

/** Return requests (RMAs). */
export class SqliteReturns implements ReturnRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewReturn): Promise<ReturnRequest> {
    const id = input.id === undefined ? newId('ret') : check.text('id', input.id);
    const now = Date.now();
    const values: SqlValue[] = [
      id,
      check.text('orderId', input.orderId),
      check.text('customerId', input.customerId),
      toJson(returnItems(input.items)),
      check.text('reason', input.reason),
      orNull(check.optFinite('refundAmount', input.refundAmount, 0)),
      check.text('rmaCode', input.rmaCode),
      now,
      now,
    ];
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO returns (id, order_id, customer_id, items, reason, status, refund_amount, rma_code, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?)`,
        values,
      );
      return this.load(id);
    });
  }

  async get(id: string): Promise<ReturnRequest | null> {
    return this.db.read(() => this.find(id));
  }

  async listByOrder(orderId: string): Promise<ReturnRequest[]> {
    return this.db.read(() =>
      this.db.all<ReturnRow>('SELECT * FROM returns WHERE order_id = ? ORDER BY created_at, id', [orderId]).map(toReturn),
    );
  }

  async listByCustomer(customerId: string, page?: PageRequest): Promise<Page<ReturnRequest>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    return this.db.read(() => {
      const where = new Where().add('customer_id = ?', customerId).addIf(after?.[0], 'id < ?', (id) => id);
      const rows = this.db.all<ReturnRow>(`SELECT * FROM returns ${where} ORDER BY id DESC LIMIT ?`, [...where.params, limit + 1]);
      return toPage(rows.map(toReturn), limit, (r) => [r.id]);
    });
  }

  /** Without `refundAmount`, the stored amount is kept. */
  async updateStatus(
    id: string,
    status: ReturnStatus,
    opts: { expected?: ReturnStatus[]; refundAmount?: number } = {},
  ): Promise<ReturnRequest> {
    check.oneOf('status', status, RETURN_STATUSES);
    const expected = opts.expected?.map((s, n) => check.oneOf(`expected[${n}]`, s, RETURN_STATUSES));
    const refund = check.optFinite('refundAmount', opts.refundAmount, 0);
    const where = new Where().add('id = ?', id);
    if (expected !== undefined) where.add('status IN (SELECT value FROM json_each(?))', toJson(expected));
    return this.db.write(() => {
      const changed = this.db.run(
        `UPDATE returns SET status = ?, refund_amount = COALESCE(?, refund_amount), updated_at = ? ${where}`,
        [status, orNull(refund), Date.now(), ...where.params],
      ).changes;
      if (changed === 0) {
        const current = this.find(id);
        if (current === null) throw notFound(id);
        throw new ShopError('conflict', `return ${id} is ${current.status}, expected one of ${expected?.join(', ')}`, {
          details: { id, status: current.status, expected },
        });
      }
      return this.load(id);
    });
  }

  private find(id: string): ReturnRequest | null {
    const row = this.db.get<ReturnRow>('SELECT * FROM returns WHERE id = ?', [id]);
    return row === undefined ? null : toReturn(row);
  }

  private load(id: string): ReturnRequest {
    const r = this.find(id);
    if (r === null) throw notFound(id);
    return r;
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `return ${id} not found`, { details: { id } });
}
