import { newId } from '../ids.js';
import type {
  Interaction,
  InteractionFilter,
  InteractionRepository,
  InteractionType,
  NewInteraction,
  Page,
  PageRequest,
} from '../types.js';
import { Where, type Db, type SqlValue } from './db.js';
import { opt, orNull, toDate } from './rows.js';
import * as check from './validate.js';

const TYPES: readonly InteractionType[] = ['view', 'click', 'cart', 'purchase', 'rating', 'impression'];

export interface InteractionRow {
  id: string;
  customer_id: string;
  product_id: string;
  type: InteractionType;
  value: number | null;
  source: string | null;
  created_at: number;
}

export function toInteraction(r: InteractionRow): Interaction {
  return {
    id: r.id,
    customerId: r.customer_id,
    productId: r.product_id,
    type: r.type,
    value: opt(r.value),
    source: opt(r.source),
    createdAt: toDate(r.created_at),
  };
}

const INSERT = `INSERT INTO interactions (id, customer_id, product_id, type, value, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** Checks one input; a rating must carry its value (0.5..5), other types may carry a weight. */
function toValues(input: NewInteraction, field = 'interaction'): SqlValue[] {
  const type = check.oneOf(`${field}.type`, input.type, TYPES);
  const value =
    type === 'rating' ? check.finite(`${field}.value`, input.value, 0.5, 5) : check.optFinite(`${field}.value`, input.value);
  return [
    input.id === undefined ? newId('int') : check.text(`${field}.id`, input.id),
    check.text(`${field}.customerId`, input.customerId),
    check.text(`${field}.productId`, input.productId),
    type,
    orNull(value),
    orNull(check.optText(`${field}.source`, input.source)),
    input.createdAt === undefined ? Date.now() : check.date(`${field}.createdAt`, input.createdAt).getTime(),
  ];
}

function filterWhere(filter: InteractionFilter): Where {
  const from = check.optDate('from', filter.from);
  const to = check.optDate('to', filter.to);
  return new Where()
    .addIf(filter.customerId, 'customer_id = ?', (v) => v)
    .addIf(filter.productId, 'product_id = ?', (v) => v)
    .addIf(check.optOneOf('type', filter.type, TYPES), 'type = ?', (v) => v)
    .addIf(check.optText('source', filter.source), 'source = ?', (v) => v)
    .addIf(from, 'created_at >= ?', (d) => d.getTime())
    .addIf(to, 'created_at < ?', (d) => d.getTime());
}

/** Shopper-product events: the recommender's training data. */
export class SqliteInteractions implements InteractionRepository {
  constructor(private readonly db: Db) {}

  async record(input: NewInteraction): Promise<Interaction> {
    const values = toValues(input);
    return this.db.write(() => {
      this.db.run(INSERT, values);
      return toInteraction(this.db.get<InteractionRow>('SELECT * FROM interactions WHERE id = ?', [values[0]!])!);
    });
  }

  /** All or nothing: every input is checked first and the batch is one transaction. */
  async recordMany(inputs: NewInteraction[]): Promise<number> {
    const rows = inputs.map((input, n) => toValues(input, `inputs[${n}]`));
    if (rows.length === 0) return 0;
    return this.db.write(() => {
      for (const values of rows) this.db.run(INSERT, values);
      return rows.length;
    });
  }

  async list(filter: InteractionFilter = {}, page?: PageRequest): Promise<Page<Interaction>> {
    return this.db.timePage({
      table: 'interactions',
      timeColumn: 'created_at',
      where: filterWhere(filter),
      descending: false,
      page,
      map: toInteraction,
      key: (i) => [i.createdAt.getTime(), i.id],
    });
  }

  async count(filter: InteractionFilter = {}): Promise<number> {
    const where = filterWhere(filter);
    return this.db.read(() => this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM interactions ${where}`, where.params)!.n);
  }
}
