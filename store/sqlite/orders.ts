import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import type {
  Address,
  NewOrder,
  Order,
  OrderItem,
  OrderPatch,
  OrderRepository,
  OrderStatus,
  Page,
  PageRequest,
  TimeRange,
} from '../types.js';
import { Where, type Db, type SqlValue } from './db.js';
import { opt, optDate, optMs, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'returned', 'refunded'];

export interface OrderRow {
  id: string;
  number: string;
  customer_id: string;
  status: OrderStatus;
  items: string;
  total: number;
  currency: string;
  shipping_address: string;
  carrier: string | null;
  tracking_number: string | null;
  placed_at: number;
  paid_at: number | null;
  shipped_at: number | null;
  delivered_at: number | null;
  cancelled_at: number | null;
  updated_at: number;
}

export function toOrder(r: OrderRow): Order {
  return {
    id: r.id,
    number: r.number,
    customerId: r.customer_id,
    status: r.status,
    items: parseJson<OrderItem[]>(r.items),
    total: r.total,
    currency: r.currency,
    shippingAddress: parseJson<Address>(r.shipping_address),
    carrier: opt(r.carrier),
    trackingNumber: opt(r.tracking_number),
    placedAt: toDate(r.placed_at),
    paidAt: optDate(r.paid_at),
    shippedAt: optDate(r.shipped_at),
    deliveredAt: optDate(r.delivered_at),
    cancelledAt: optDate(r.cancelled_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Each item is checked; an empty list is allowed (types.ts does not forbid it). */
function items(v: unknown): OrderItem[] {
  if (!Array.isArray(v)) throw new ShopError('bad_request', 'items must be an array', { details: { field: 'items' } });
  return v.map((raw: unknown, n) => {
    const i = check.object(`items[${n}]`, raw);
    return {
      productId: check.text(`items[${n}].productId`, i.productId),
      title: check.text(`items[${n}].title`, i.title),
      quantity: check.int(`items[${n}].quantity`, i.quantity, 1),
      unitPrice: check.finite(`items[${n}].unitPrice`, i.unitPrice, 0),
    };
  });
}

/** Keeps only the Address fields, dropping absent optional ones. */
function address(v: unknown): Address {
  const a = check.object('shippingAddress', v);
  const out: Address = {
    name: check.text('shippingAddress.name', a.name),
    phone: check.text('shippingAddress.phone', a.phone),
    line1: check.text('shippingAddress.line1', a.line1),
    city: check.text('shippingAddress.city', a.city),
    country: check.text('shippingAddress.country', a.country),
  };
  const region = check.optText('shippingAddress.region', a.region);
  const postalCode = check.optText('shippingAddress.postalCode', a.postalCode);
  if (region !== undefined) out.region = region;
  if (postalCode !== undefined) out.postalCode = postalCode;
  return out;
}

/** Orders. Status changes with `expected` are one conditional UPDATE, so they are race-free. */
export class SqliteOrders implements OrderRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewOrder): Promise<Order> {
    const id = input.id === undefined ? newId('ord') : check.text('id', input.id);
    const values: SqlValue[] = [
      id,
      check.text('number', input.number),
      check.text('customerId', input.customerId),
      check.oneOf('status', input.status, ORDER_STATUSES),
      toJson(items(input.items)),
      check.finite('total', input.total, 0),
      check.text('currency', input.currency),
      toJson(address(input.shippingAddress)),
      check.optText('carrier', input.carrier) ?? null,
      check.optText('trackingNumber', input.trackingNumber) ?? null,
      check.date('placedAt', input.placedAt).getTime(),
      optMs(check.optDate('paidAt', input.paidAt)),
      optMs(check.optDate('shippedAt', input.shippedAt)),
      optMs(check.optDate('deliveredAt', input.deliveredAt)),
      optMs(check.optDate('cancelledAt', input.cancelledAt)),
      Date.now(),
    ];
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO orders (id, number, customer_id, status, items, total, currency, shipping_address, carrier, tracking_number,
                             placed_at, paid_at, shipped_at, delivered_at, cancelled_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        values,
      );
      return this.load(id);
    });
  }

  async get(id: string): Promise<Order | null> {
    return this.db.read(() => this.find('id', id));
  }

  async getByNumber(number: string): Promise<Order | null> {
    return this.db.read(() => this.find('number', number));
  }

  async listByCustomer(customerId: string, page?: PageRequest): Promise<Page<Order>> {
    const where = new Where().add('customer_id = ?', customerId);
    return this.db.timePage({ table: 'orders', timeColumn: 'placed_at', where, descending: true, page, map: toOrder, key: orderKey });
  }

  async listByTime(range: TimeRange, page?: PageRequest): Promise<Page<Order>> {
    const from = check.optDate('from', range.from);
    const to = check.optDate('to', range.to);
    const where = new Where()
      .addIf(from, 'placed_at >= ?', (d) => d.getTime())
      .addIf(to, 'placed_at < ?', (d) => d.getTime());
    return this.db.timePage({ table: 'orders', timeColumn: 'placed_at', where, descending: false, page, map: toOrder, key: orderKey });
  }

  /** Patch fields that are `undefined` are left as they are. */
  async updateStatus(id: string, status: OrderStatus, opts: { expected?: OrderStatus[]; patch?: OrderPatch } = {}): Promise<Order> {
    check.oneOf('status', status, ORDER_STATUSES);
    const expected = opts.expected?.map((s, n) => check.oneOf(`expected[${n}]`, s, ORDER_STATUSES));
    const sets = ['status = ?', 'updated_at = ?'];
    const params: SqlValue[] = [status, Date.now()];
    const set = (column: string, value: SqlValue | undefined) => {
      if (value === undefined) return;
      sets.push(`${column} = ?`);
      params.push(value);
    };
    const patch = opts.patch ?? {};
    set('carrier', check.optText('carrier', patch.carrier));
    set('tracking_number', check.optText('trackingNumber', patch.trackingNumber));
    set('paid_at', check.optDate('paidAt', patch.paidAt)?.getTime());
    set('shipped_at', check.optDate('shippedAt', patch.shippedAt)?.getTime());
    set('delivered_at', check.optDate('deliveredAt', patch.deliveredAt)?.getTime());
    set('cancelled_at', check.optDate('cancelledAt', patch.cancelledAt)?.getTime());
    if (patch.shippingAddress !== undefined) set('shipping_address', toJson(address(patch.shippingAddress)));
    const where = new Where().add('id = ?', id);
    if (expected !== undefined) where.add('status IN (SELECT value FROM json_each(?))', toJson(expected));
    return this.db.write(() => {
      if (this.db.run(`UPDATE orders SET ${sets.join(', ')} ${where}`, [...params, ...where.params]).changes === 0) {
        const current = this.find('id', id);
        if (current === null) throw notFound(id);
        throw new ShopError('conflict', `order ${id} is ${current.status}, expected one of ${expected?.join(', ')}`, {
          details: { id, status: current.status, expected },
        });
      }
      return this.load(id);
    });
  }

  private find(column: 'id' | 'number', value: string): Order | null {
    const row = this.db.get<OrderRow>(`SELECT * FROM orders WHERE ${column} = ?`, [value]);
    return row === undefined ? null : toOrder(row);
  }

  private load(id: string): Order {
    const order = this.find('id', id);
    if (order === null) throw notFound(id);
    return order;
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `order ${id} not found`, { details: { id } });
}

const orderKey = (o: Order): [number, string] => [o.placedAt.getTime(), o.id];
