import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type {
  Campaign,
  CampaignDaySpend,
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
import { cents, day } from '../spend.js';

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
    return this.db.write(() => {
      this.db.run('DELETE FROM campaign_spend WHERE campaign_id = ?', [id]);
      return this.db.run('DELETE FROM campaigns WHERE id = ?', [id]).changes > 0;
    });
  }

  /**
   * One IMMEDIATE transaction: the write lock is taken before the day's spend is read, so
   * concurrent charges (from this or another process) run one after the other.
   */
  async charge(id: string, dayKey: string, amount: number): Promise<{ charged: number; spent: number }> {
    check.text('id', id);
    day('day', dayKey);
    const wanted = cents(check.finite('amount', amount, 0));
    return this.db.write(() => {
      const c = this.db.get<{ daily_budget: number }>('SELECT daily_budget FROM campaigns WHERE id = ?', [id]);
      if (c === undefined) throw notFound(id);
      const row = this.db.get<{ spent_cents: number }>('SELECT spent_cents FROM campaign_spend WHERE campaign_id = ? AND day = ?', [id, dayKey]);
      const before = row?.spent_cents ?? 0;
      const charged = Math.max(0, Math.min(wanted, cents(c.daily_budget) - before));
      if (charged > 0) {
        this.db.run(
          `INSERT INTO campaign_spend (campaign_id, day, spent_cents, clicks) VALUES (?, ?, ?, 1)
           ON CONFLICT (campaign_id, day) DO UPDATE SET spent_cents = spent_cents + excluded.spent_cents, clicks = clicks + 1`,
          [id, dayKey, charged],
        );
      }
      return { charged: charged / 100, spent: (before + charged) / 100 };
    });
  }

  async spend(id: string, dayKey: string): Promise<number> {
    day('day', dayKey);
    return this.db.read(() => {
      const row = this.db.get<{ spent_cents: number }>('SELECT spent_cents FROM campaign_spend WHERE campaign_id = ? AND day = ?', [id, dayKey]);
      return (row?.spent_cents ?? 0) / 100;
    });
  }

  async spendByDay(range: { from: string; to: string }): Promise<CampaignDaySpend[]> {
    const from = day('from', range?.from);
    const to = day('to', range?.to);
    return this.db.read(() =>
      this.db
        .all<{ campaign_id: string; day: string; spent_cents: number; clicks: number }>(
          'SELECT * FROM campaign_spend WHERE day >= ? AND day <= ? ORDER BY day, campaign_id',
          [from, to],
        )
        .map((r) => ({ campaignId: r.campaign_id, day: r.day, spent: r.spent_cents / 100, clicks: r.clicks })),
    );
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
