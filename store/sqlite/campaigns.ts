import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type {
  Campaign,
  CampaignPatch,
  CampaignRepository,
  CampaignStatus,
  CampaignTargeting,
  NewCampaign,
  Page,
  PageRequest,
} from '../types.js';
import { Where, type Db, type SqlValue } from './db.js';
import { optDate, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

const STATUSES: readonly CampaignStatus[] = ['active', 'paused', 'ended'];

interface CampaignRow {
  id: string;
  name: string;
  product_id: string;
  bid: number;
  daily_budget: number;
  status: CampaignStatus;
  starts_at: number;
  ends_at: number | null;
  targeting: string;
  created_at: number;
  updated_at: number;
}

function toCampaign(r: CampaignRow): Campaign {
  return {
    id: r.id,
    name: r.name,
    productId: r.product_id,
    bid: r.bid,
    dailyBudget: r.daily_budget,
    status: r.status,
    startsAt: toDate(r.starts_at),
    endsAt: optDate(r.ends_at),
    targeting: parseJson<CampaignTargeting>(r.targeting),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

function targeting(v: unknown): CampaignTargeting {
  const t = check.object('targeting', v);
  return {
    categories: check.strings('targeting.categories', t.categories ?? []),
    intents: check.strings('targeting.intents', t.intents ?? []),
    keywords: check.strings('targeting.keywords', t.keywords ?? []),
  };
}

/** Column values for the fields present in `c` (create passes every field, update a patch). */
function columns(c: CampaignPatch): Array<[string, SqlValue]> {
  const out: Array<[string, SqlValue]> = [];
  if (c.name !== undefined) out.push(['name', check.text('name', c.name)]);
  if (c.productId !== undefined) out.push(['product_id', check.text('productId', c.productId)]);
  if (c.bid !== undefined) out.push(['bid', check.finite('bid', c.bid, 0)]);
  if (c.dailyBudget !== undefined) out.push(['daily_budget', check.finite('dailyBudget', c.dailyBudget, 0)]);
  if (c.status !== undefined) out.push(['status', check.oneOf('status', c.status, STATUSES)]);
  if (c.startsAt !== undefined) out.push(['starts_at', check.date('startsAt', c.startsAt).getTime()]);
  if (c.endsAt !== undefined) out.push(['ends_at', check.date('endsAt', c.endsAt).getTime()]);
  if (c.targeting !== undefined) out.push(['targeting', toJson(targeting(c.targeting))]);
  return out;
}

/** Sponsored-product campaigns. */
export class SqliteCampaigns implements CampaignRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewCampaign): Promise<Campaign> {
    const id = input.id === undefined ? newId('cmp') : check.text('id', input.id);
    check.text('name', input.name);
    check.text('productId', input.productId);
    check.finite('bid', input.bid, 0);
    check.finite('dailyBudget', input.dailyBudget, 0);
    check.oneOf('status', input.status, STATUSES);
    check.date('startsAt', input.startsAt);
    if (input.endsAt !== undefined && check.date('endsAt', input.endsAt).getTime() < input.startsAt.getTime()) {
      throw new ShopError('bad_request', 'endsAt must not be before startsAt', { details: { field: 'endsAt' } });
    }
    const cols = columns({ ...input, targeting: targeting(input.targeting) });
    const now = Date.now();
    const names = ['id', ...cols.map(([c]) => c), 'created_at', 'updated_at'];
    return this.db.write(() => {
      this.db.run(`INSERT INTO campaigns (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`, [
        id,
        ...cols.map(([, v]) => v),
        now,
        now,
      ]);
      return this.load(id);
    });
  }

  async get(id: string): Promise<Campaign | null> {
    return this.db.read(() => this.find(id));
  }

  /** `activeAt` keeps status 'active' with startsAt <= t < endsAt (no endsAt: open-ended). */
  async list(filter: { status?: CampaignStatus; activeAt?: Date } = {}, page?: PageRequest): Promise<Page<Campaign>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    const status = check.optOneOf('status', filter.status, STATUSES);
    const activeAt = check.optDate('activeAt', filter.activeAt);
    return this.db.read(() => {
      const where = new Where().addIf(status, 'status = ?', (s) => s).addIf(after?.[0], 'id > ?', (id) => id);
      if (activeAt !== undefined) {
        const t = activeAt.getTime();
        where.add("status = 'active' AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)", t, t);
      }
      const rows = this.db.all<CampaignRow>(`SELECT * FROM campaigns ${where} ORDER BY id LIMIT ?`, [...where.params, limit + 1]);
      return toPage(rows.map(toCampaign), limit, (c) => [c.id]);
    });
  }

  /** Patch fields that are `undefined` are left as they are. */
  async update(id: string, patch: CampaignPatch): Promise<Campaign> {
    const cols = columns(patch);
    cols.push(['updated_at', Date.now()]);
    return this.db.write(() => {
      const sql = `UPDATE campaigns SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`;
      if (this.db.run(sql, [...cols.map(([, v]) => v), id]).changes === 0) throw notFound(id);
      return this.load(id);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.write(() => this.db.run('DELETE FROM campaigns WHERE id = ?', [id]).changes > 0);
  }

  private find(id: string): Campaign | null {
    const row = this.db.get<CampaignRow>('SELECT * FROM campaigns WHERE id = ?', [id]);
    return row === undefined ? null : toCampaign(row);
  }

  private load(id: string): Campaign {
    const c = this.find(id);
    if (c === null) throw notFound(id);
    return c;
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `campaign ${id} not found`, { details: { id } });
}
