/**
 * The ad server: picks at most one sponsored product for a recommendation slot, records
 * what was shown, charges clicks against the campaign's daily budget and attributes sales.
 *
 * Selection (`select`), in order:
 * 1. Eligibility: the campaign is active and `now` is within startsAt..endsAt; its product
 *    exists, is in stock, is not already on screen (`exclude`) and fits the shopper's hard
 *    constraints (`eligible`: category, price bounds, named attributes); its targeting matches the
 *    request (see targeting.ts: any non-empty dimension matches; all empty = run-of-site);
 *    its bid is at least the reserve price; the recommender's relevance of the product is at
 *    least `relevanceFloor` (an ad never shows where it makes no sense); the shopper has seen
 *    fewer than `frequencyCap` impressions of it today; pacing allows it (below); and what is
 *    left of today's budget covers the price the click would cost.
 * 2. Ranking: score = bid × relevance; ties are broken at random.
 * 3. Price (second price): the winner pays what it would have needed to bid to keep its
 *    rank, plus a cent: `min(bid, nextScore / winnerRelevance + 0.01)`, at least the reserve
 *    price, or the reserve price when it has no competitor; rounded to cents.
 *
 * Pacing (even over the shop's day): a campaign is skipped while today's spend is at or
 * above `dailyBudget × fractionOfDayElapsed + allowance`, where the allowance is
 * `max(pacingAllowance × dailyBudget, bid)` (default pacingAllowance 0.05): a campaign can
 * always afford a first click after midnight, and cannot spend its whole budget in the first
 * busy hour. Days are calendar days in `timeZone` (default Asia/Shanghai).
 *
 * Concurrency: the budget is enforced where the money moves, in `campaigns.charge` (atomic in
 * both stores), so concurrent clicks can never overspend; a click at the budget's end is
 * charged only what is left. The frequency cap and the pacing check read counts that a
 * concurrent request may be about to change, so under simultaneous requests of one shopper
 * the cap can be exceeded by the number of requests in flight (they are soft limits).
 */
import { ShopError, type Campaign, type Interaction, type Product, type Store } from '../../store/index.js';
import { checkTimeZone, shopDay } from './shop-day.js';
import { targetingMatches } from './targeting.js';

export interface AdServerOptions {
  store: Store;
  clock?: () => Date;
  /** The shop's time zone: budgets, pacing and frequency caps run on its calendar days. */
  timeZone?: string;
  /** Impressions per customer per campaign per day; default 3. */
  frequencyCap?: number;
  /** Minimum relevance (0..1) for an ad to show; default 0.2. */
  relevanceFloor?: number;
  /** For breaking ties between equal scores; default Math.random. */
  random?: () => number;
  /** What a click costs at least, and what a winner without competitors pays; default 0.1. */
  reservePrice?: number;
  /** Pacing slack as a fraction of the daily budget; default 0.05. `false` turns pacing off. */
  pacingAllowance?: number | false;
  /** Last-click attribution window; default 7 days. */
  attributionDays?: number;
}

export interface AdRequest {
  customerId: string;
  locale: 'en' | 'zh';
  intent?: string;
  text?: string;
  categories?: string[];
  /** The recommender's relevance of a product for this shopper and context, in [0, 1]. */
  relevance: (productId: string) => number;
  /** Products already on screen. */
  exclude?: Set<string>;
  /**
   * The shopper's hard constraints (category, price bounds, attributes they named): a product
   * for which this is false is never sponsored here, however well its campaign is targeted.
   */
  eligible?: (productId: string) => boolean;
}

export interface AdSlot {
  campaign: Campaign;
  product: Product;
  relevance: number;
  score: number;
  /** What a click will cost (second price, in the shop's currency). */
  price: number;
}

export interface CampaignReport {
  campaignId: string;
  name: string;
  productId: string;
  impressions: number;
  /** Every recorded ad click, charged or not. */
  clicks: number;
  /** Clicks that were charged something (0 after the day's budget ran out). */
  chargedClicks: number;
  /** clicks / impressions; 0 without impressions. */
  ctr: number;
  /** Spend of the whole shop days that the range touches. */
  spend: number;
  conversions: number;
  revenue: number;
  /** Return on ad spend: revenue / spend; null when nothing was spent. */
  roas: number | null;
}

const PAGE = 500;
const DAY_MS = 86_400_000;

export const adSource = (campaignId: string): string => `ad:${campaignId}`;

/** The campaign id of an "ad:<id>" source, else null. */
export function campaignOfSource(source: string | undefined): string | null {
  return source !== undefined && source.startsWith('ad:') && source.length > 3 ? source.slice(3) : null;
}

const cents = (x: number): number => Math.round(x * 100) / 100;

function text(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ShopError('bad_request', `${field} must be a non-empty string`, { details: { field } });
  return v;
}

function money(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ShopError('bad_request', `${field} must be a number >= 0, got ${String(v)}`, { details: { field } });
  }
  return v;
}

function option(name: string, v: number | undefined, fallback: number, min: number, max = Infinity): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v < min || v > max) throw new ShopError('config_invalid', `ad server option ${name} must be a number from ${min} to ${max}`);
  return v;
}

interface Candidate {
  campaign: Campaign;
  product: Product;
  relevance: number;
  score: number;
  tie: number;
  remaining: number;
}

export class AdServer {
  private readonly store: Store;
  private readonly clock: () => Date;
  private readonly random: () => number;
  readonly timeZone: string;
  readonly frequencyCap: number;
  readonly relevanceFloor: number;
  readonly reservePrice: number;
  readonly pacingAllowance: number | false;
  readonly attributionDays: number;

  constructor(opts: AdServerOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.timeZone = checkTimeZone(opts.timeZone ?? 'Asia/Shanghai');
    this.frequencyCap = option('frequencyCap', opts.frequencyCap, 3, 0);
    this.relevanceFloor = option('relevanceFloor', opts.relevanceFloor, 0.2, 0, 1);
    this.reservePrice = option('reservePrice', opts.reservePrice, 0.1, 0);
    this.pacingAllowance = opts.pacingAllowance === false ? false : option('pacingAllowance', opts.pacingAllowance, 0.05, 0, 1);
    this.attributionDays = option('attributionDays', opts.attributionDays, 7, 0);
  }

  /** The best eligible sponsored product for this request, or null (see the file comment). */
  async select(req: AdRequest): Promise<AdSlot | null> {
    const customerId = text('customerId', req?.customerId);
    if (typeof req.relevance !== 'function') throw new ShopError('bad_request', 'relevance must be a function');
    const now = this.clock();
    const today = shopDay(now, this.timeZone);

    const matching = (await this.activeCampaigns(now)).filter(
      (c) =>
        Number.isFinite(c.bid) &&
        c.bid > 0 &&
        c.bid >= this.reservePrice &&
        c.dailyBudget > 0 &&
        !req.exclude?.has(c.productId) &&
        targetingMatches(c.targeting, { intent: req.intent, text: req.text, categories: req.categories }),
    );
    if (matching.length === 0) return null;

    const products = new Map(
      (await this.store.products.getMany([...new Set(matching.map((c) => c.productId))])).map((p) => [p.id, p] as const),
    );
    const relevant: Array<Omit<Candidate, 'remaining'>> = [];
    for (const campaign of matching) {
      const product = products.get(campaign.productId);
      if (!product || product.stock <= 0 || !this.eligibleFor(req, product.id)) continue;
      const relevance = this.relevanceOf(req, product.id);
      if (relevance <= 0 || relevance < this.relevanceFloor) continue;
      relevant.push({ campaign, product, relevance, score: campaign.bid * relevance, tie: this.random() });
    }

    // The store-backed checks, for the few campaigns that are still in the running.
    const checked = await Promise.all(
      relevant.map(async (c): Promise<Candidate | null> => {
        const [seen, spent] = await Promise.all([
          this.frequencyCap === Infinity
            ? Promise.resolve(0)
            : this.store.interactions.count({ customerId, source: adSource(c.campaign.id), type: 'impression', from: today.start }),
          this.store.campaigns.spend(c.campaign.id, today.day),
        ]);
        if (seen >= this.frequencyCap) return null;
        if (this.pacingAllowance !== false) {
          const allowance = Math.max(this.pacingAllowance * c.campaign.dailyBudget, c.campaign.bid);
          if (spent >= c.campaign.dailyBudget * today.elapsed + allowance) return null;
        }
        return { ...c, remaining: cents(c.campaign.dailyBudget - spent) };
      }),
    );
    const ranked = checked
      .filter((c): c is Candidate => c !== null)
      .sort((a, b) => b.score - a.score || a.tie - b.tie || (a.campaign.id < b.campaign.id ? -1 : 1));

    // The winner must afford its price; if it cannot, the next one in line competes without it.
    while (ranked.length > 0) {
      const winner = ranked[0]!;
      const price = this.priceOf(winner, ranked[1]);
      if (winner.remaining >= price) {
        return { campaign: winner.campaign, product: winner.product, relevance: winner.relevance, score: winner.score, price };
      }
      ranked.shift();
    }
    return null;
  }

  /** Records that `slot` was shown to the customer (what the frequency cap counts). */
  async recordImpression(slot: AdSlot, customerId: string): Promise<Interaction> {
    const campaignId = text('slot.campaign.id', slot?.campaign?.id);
    return this.store.interactions.record({
      customerId: text('customerId', customerId),
      productId: text('slot.product.id', slot.product?.id),
      type: 'impression',
      source: adSource(campaignId),
      createdAt: this.clock(),
    });
  }

  /**
   * A click on an ad: charges the campaign `min(price, bid)`, or what is left of today's
   * budget if that is less (never more), and records a `click` with source `ad:<id>`.
   * `not_found` for an unknown campaign; `bad_request` for a bad price or a product that is
   * not the campaign's.
   */
  async click(campaignId: string, customerId: string, productId: string, price: number): Promise<{ charged: number }> {
    text('campaignId', campaignId);
    text('customerId', customerId);
    text('productId', productId);
    money('price', price);
    const campaign = await this.store.campaigns.get(campaignId);
    if (!campaign) throw new ShopError('not_found', `campaign ${campaignId} not found`, { details: { id: campaignId } });
    if (campaign.productId !== productId) {
      throw new ShopError('bad_request', `campaign ${campaignId} advertises ${campaign.productId}, not ${productId}`);
    }
    const now = this.clock();
    const { charged } = await this.store.campaigns.charge(campaignId, shopDay(now, this.timeZone).day, Math.min(cents(price), campaign.bid));
    await this.store.interactions.record({ customerId, productId, type: 'click', source: adSource(campaignId), createdAt: now });
    return { charged };
  }

  /**
   * Last-click attribution: when the customer clicked an ad for this product within the
   * attribution window before `at`, records a `purchase` with source `ad:<id>` and value =
   * revenue and returns the campaign id; otherwise records nothing and returns null.
   */
  async conversion(customerId: string, productId: string, revenue: number, at?: Date): Promise<string | null> {
    text('customerId', customerId);
    text('productId', productId);
    money('revenue', revenue);
    const when = at ?? this.clock();
    if (!(when instanceof Date) || Number.isNaN(when.getTime())) throw new ShopError('bad_request', 'at must be a valid Date');
    let last: Interaction | undefined;
    const filter = { customerId, productId, type: 'click' as const, from: new Date(when.getTime() - this.attributionDays * DAY_MS), to: new Date(when.getTime() + 1) };
    for (let cursor: string | null = null; ; ) {
      const page = await this.store.interactions.list(filter, { limit: PAGE, cursor });
      for (const i of page.items) if (campaignOfSource(i.source) !== null) last = i;
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    const campaignId = campaignOfSource(last?.source);
    if (campaignId === null) return null;
    await this.store.interactions.record({ customerId, productId, type: 'purchase', source: adSource(campaignId), value: revenue, createdAt: when });
    return campaignId;
  }

  /**
   * Per campaign: impressions, clicks, CTR, spend, conversions, revenue and ROAS for
   * `from <= t < to`. Interactions are counted to the millisecond; spend is kept per shop day,
   * so it covers every day the range touches. Campaigns in id order.
   */
  async report(range: { from: Date; to: Date }): Promise<CampaignReport[]> {
    const { from, to } = range ?? {};
    if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
      throw new ShopError('bad_request', 'report needs Dates with from < to');
    }
    const spendRows = await this.store.campaigns.spendByDay({
      from: shopDay(from, this.timeZone).day,
      to: shopDay(new Date(to.getTime() - 1), this.timeZone).day,
    });
    const spend = new Map<string, { spent: number; clicks: number }>();
    for (const r of spendRows) {
      const s = spend.get(r.campaignId) ?? { spent: 0, clicks: 0 };
      spend.set(r.campaignId, { spent: cents(s.spent + r.spent), clicks: s.clicks + r.clicks });
    }
    const out: CampaignReport[] = [];
    for (const c of await this.allCampaigns()) {
      const source = adSource(c.id);
      const [impressions, clicks, sales] = await Promise.all([
        this.store.interactions.count({ source, type: 'impression', from, to }),
        this.store.interactions.count({ source, type: 'click', from, to }),
        this.sales(source, from, to),
      ]);
      const s = spend.get(c.id) ?? { spent: 0, clicks: 0 };
      out.push({
        campaignId: c.id,
        name: c.name,
        productId: c.productId,
        impressions,
        clicks,
        chargedClicks: s.clicks,
        ctr: impressions === 0 ? 0 : clicks / impressions,
        spend: s.spent,
        conversions: sales.count,
        revenue: cents(sales.revenue),
        roas: s.spent > 0 ? sales.revenue / s.spent : null,
      });
    }
    return out;
  }

  private eligibleFor(req: AdRequest, productId: string): boolean {
    if (typeof req.eligible !== 'function') return true;
    try {
      return req.eligible(productId) === true;
    } catch {
      return false; // a failing check sponsors nothing rather than something that may not fit
    }
  }

  private relevanceOf(req: AdRequest, productId: string): number {
    let r: number;
    try {
      r = Number(req.relevance(productId));
    } catch {
      return 0; // a failing scorer makes no ad relevant rather than failing the turn
    }
    return Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
  }

  private priceOf(winner: Candidate, next: Candidate | undefined): number {
    const bid = winner.campaign.bid;
    const second = next === undefined ? this.reservePrice : Math.max(this.reservePrice, next.score / winner.relevance + 0.01);
    return Math.min(bid, cents(second));
  }

  private async activeCampaigns(now: Date): Promise<Campaign[]> {
    const out: Campaign[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await this.store.campaigns.list({ activeAt: now }, { limit: PAGE, cursor });
      out.push(...page.items);
      if (page.nextCursor === null) return out;
      cursor = page.nextCursor;
    }
  }

  private async allCampaigns(): Promise<Campaign[]> {
    const out: Campaign[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await this.store.campaigns.list({}, { limit: PAGE, cursor });
      out.push(...page.items);
      if (page.nextCursor === null) return out;
      cursor = page.nextCursor;
    }
  }

  private async sales(source: string, from: Date, to: Date): Promise<{ count: number; revenue: number }> {
    let count = 0;
    let revenue = 0;
    for (let cursor: string | null = null; ; ) {
      const page = await this.store.interactions.list({ source, type: 'purchase', from, to }, { limit: PAGE, cursor });
      for (const i of page.items) {
        count += 1;
        revenue += i.value ?? 0;
      }
      if (page.nextCursor === null) return { count, revenue };
      cursor = page.nextCursor;
    }
  }
}
