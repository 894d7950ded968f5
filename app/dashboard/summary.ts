/**
 * The supervisors' summary of a range of shop days, computed from the store in a few
 * sequential scans (never a query per conversation):
 *
 * 1. the range's messages, oldest first, page by page (`messages.listByTime`): which
 *    conversations were active, when each first heard from its shopper, intents, fallbacks and
 *    the unanswered texts; pages are folded as they arrive, so memory grows with
 *    conversations, not messages;
 * 2. the conversations created in the range (`conversations.list`), plus a `get` for each
 *    active conversation that began before it (few: a bot conversation stays open across days);
 * 3. the interactions for recommendations and the ad server's report (`AdServer.report`).
 *
 * Definitions (all over the range [from 00:00, to+1 00:00) in the shop's time zone):
 * - conversations.total: conversations with at least one message in the range;
 *   withCustomerMessage: those with a shopper's message in the range;
 * - containment: of those with a shopper's message, the share never handed to a human
 *   (`queuedAt` unset); per day by the day of the shopper's first message in the range;
 * - handoffs: conversations whose `queuedAt` is in the range, by reason; rate = that count /
 *   withCustomerMessage (so containment + hand-off rate ≈ 1 when both happen in the range);
 * - fallbacks: inbound shopper messages answered by skill 'fallback' / inbound messages the
 *   NLU annotated (intent set);
 * - CSAT: ratings with `ratedAt` in the range; first response: `firstResponseAt − queuedAt` for
 *   first responses in the range; handle time: `resolvedAt − assignedAt` for resolutions in
 *   the range; medians and 90th percentiles interpolate linearly between ranks;
 * - recommendations: impressions and clicks with source 'recommendation' in the range, a
 *   click counting only when that shopper was shown that product within the day before;
 *   conversions = those clicks followed by a purchase of the same product by the same
 *   shopper within 7 days (the purchase may fall after the range);
 * - ads: `AdServer.report` for the range's instants (spend covers the whole shop days).
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Conversation, Interaction, InteractionFilter, Locale, Message, Page, PageRequest, Store, TimeRange } from '../../store/index.js';
import type { CampaignReport } from '../../recommender/ads/index.js';
import { clusterUnanswered, type UnansweredSummary } from './clusters.js';
import { dayIndex, type DayRange } from './days.js';

const PAGE = 500;
const DAY_MS = 86_400_000;
/** A click within this long after an impression of the same product to the same shopper is a click-through. */
const SHOWN_WINDOW_MS = 24 * 3600_000;

/** A purchase this long after a recommendation click counts as its conversion. */
export const CONVERSION_WINDOW_DAYS = 7;
const TOP_INTENTS = 15;

export interface Percentiles {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface DailyPoint {
  day: string;
  /** Conversations whose shopper first wrote (within the range) on this day. */
  conversations: number;
  handoffs: number;
  /** Of `conversations`, the share never handed off; null without conversations. */
  containmentRate: number | null;
  csatAverage: number | null;
  csatCount: number;
}

export interface AdsSummary {
  campaigns: CampaignReport[];
  total: { impressions: number; clicks: number; ctr: number | null; spend: number; conversions: number; revenue: number; roas: number | null };
}

export interface DashboardSummary {
  from: string;
  to: string;
  timeZone: string;
  /** The instants the range covers (start inclusive, end exclusive), ISO. */
  start: string;
  end: string;
  generatedAt: string;
  conversations: { total: number; withCustomerMessage: number };
  containment: { contained: number; rate: number | null };
  handoffs: { count: number; rate: number | null; byReason: Array<{ reason: string; count: number }> };
  fallbacks: { count: number; annotated: number; rate: number | null };
  intents: { annotated: number; top: Array<{ intent: string; count: number; share: number }> };
  unanswered: UnansweredSummary;
  csat: { count: number; average: number | null; distribution: [number, number, number, number, number]; satisfiedShare: number | null };
  firstResponse: Percentiles;
  handleTime: Percentiles;
  recommendations: {
    impressions: number;
    clicks: number;
    ctr: number | null;
    conversions: number;
    conversionRate: number | null;
    /** Card clicks from other placements ('upsell', 'chat'), for context. */
    otherClicks: Record<string, number>;
  };
  ads: AdsSummary;
  daily: DailyPoint[];
}

export interface SummaryDeps {
  store: Store;
  embeddings: EmbeddingsInterface;
  ads: { report(range: { from: Date; to: Date }): Promise<CampaignReport[]> };
  clusterThreshold?: number;
  clock?: () => Date;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const rate = (a: number, b: number): number | null => {
  const r = ratio(a, b);
  return r === null ? null : round(r);
};

/** Linear interpolation between closest ranks (the spreadsheet PERCENTILE.INC). */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number | null) => (x === null ? null : round(x, 1));
  return { count: s.length, medianSeconds: r(percentile(s, 0.5)), p90Seconds: r(percentile(s, 0.9)) };
}

/**
 * Every page of a listing over a time range, folded as it arrives. Pages after the first
 * drop `from`: the cursor already starts past it, and with both bounds SQLite's planner
 * (store/sqlite timePage, conversations.list) seeks to `from` and filters up to the cursor on
 * every page, which makes a long scan quadratic (100k conversations: 50 s instead of 3 s).
 */
async function forEachInRange<T>(list: (range: TimeRange, page: PageRequest) => Promise<Page<T>>, range: { from: Date; to: Date }, fold: (items: T[]) => void): Promise<void> {
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list(cursor === null ? range : { to: range.to }, { limit: PAGE, cursor });
    fold(page.items);
    cursor = page.nextCursor;
  } while (cursor);
}

const HAN = /\p{Script=Han}/u;
const languageOf = (text: string): Locale => (HAN.test(text) ? 'zh' : 'en');

interface Activity {
  /** The shopper's first message in the range (ms), or NaN. */
  firstCustomerAt: number;
}

export async function computeSummary(deps: SummaryDeps, range: DayRange): Promise<DashboardSummary> {
  const { store } = deps;
  const start = range.start.getTime();
  const end = range.end.getTime();
  const timeRange = { from: range.start, to: range.end };

  // 1. Messages.
  const active = new Map<string, Activity>();
  const intents = new Map<string, number>();
  const unanswered: Array<{ text: string; language: Locale }> = [];
  let annotated = 0;
  let fallbacks = 0;
  await forEachInRange(
    (r, page) => store.messages.listByTime(r, page),
    timeRange,
    (items: Message[]) => {
      for (const m of items) {
        let a = active.get(m.conversationId);
        if (!a) active.set(m.conversationId, (a = { firstCustomerAt: NaN }));
        if (m.direction !== 'in' || m.sender !== 'customer') continue;
        if (Number.isNaN(a.firstCustomerAt)) a.firstCustomerAt = m.createdAt.getTime();
        if (m.intent !== undefined) {
          annotated += 1;
          intents.set(m.intent, (intents.get(m.intent) ?? 0) + 1);
        }
        if (m.skill === 'fallback') {
          fallbacks += 1;
          unanswered.push({ text: m.text, language: languageOf(m.text) });
        }
      }
    },
  );

  // 2. The active conversations: those created in the range in one scan, older ones by id.
  const conversations: Conversation[] = [];
  const seen = new Set<string>();
  await forEachInRange(
    (r, page) => store.conversations.list(r, page),
    timeRange,
    (items: Conversation[]) => {
      for (const c of items) {
        if (active.has(c.id)) {
          conversations.push(c);
          seen.add(c.id);
        }
      }
    },
  );
  const older = [...active.keys()].filter((id) => !seen.has(id));
  for (let i = 0; i < older.length; i += 50) {
    const got = await Promise.all(older.slice(i, i + 50).map((id) => store.conversations.get(id)));
    for (const c of got) if (c) conversations.push(c);
  }

  // 3. Recommendations and ads (in parallel with the clustering below).
  const recommendationsP = recommendationSummary(store, timeRange);
  const adsP = deps.ads.report(timeRange).then(adsTotal);
  const unansweredP = clusterUnanswered(unanswered, deps.embeddings, { threshold: deps.clusterThreshold });

  const inRange = (d: Date | undefined): d is Date => d !== undefined && d.getTime() >= start && d.getTime() < end;
  const daily = range.days.map((day) => ({ day, conversations: 0, contained: 0, handoffs: 0, csatSum: 0, csatCount: 0 }));
  let withCustomer = 0;
  let contained = 0;
  let handoffs = 0;
  const reasons = new Map<string, number>();
  const distribution: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  let csatSum = 0;
  const frt: number[] = [];
  const handle: number[] = [];
  for (const c of conversations) {
    const a = active.get(c.id)!;
    if (!Number.isNaN(a.firstCustomerAt)) {
      withCustomer += 1;
      const d = daily[dayIndex(range, a.firstCustomerAt)]!;
      d.conversations += 1;
      if (c.queuedAt === undefined) {
        contained += 1;
        d.contained += 1;
      }
    }
    if (inRange(c.queuedAt)) {
      handoffs += 1;
      const reason = c.handoffReason ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      daily[dayIndex(range, c.queuedAt.getTime())]!.handoffs += 1;
    }
    if (c.rating !== undefined && c.rating >= 1 && c.rating <= 5 && inRange(c.ratedAt)) {
      distribution[c.rating - 1]! += 1;
      csatSum += c.rating;
      const d = daily[dayIndex(range, c.ratedAt.getTime())]!;
      d.csatSum += c.rating;
      d.csatCount += 1;
    }
    if (inRange(c.firstResponseAt) && c.queuedAt) frt.push(Math.max(0, (c.firstResponseAt.getTime() - c.queuedAt.getTime()) / 1000));
    if (inRange(c.resolvedAt) && c.assignedAt) handle.push(Math.max(0, (c.resolvedAt.getTime() - c.assignedAt.getTime()) / 1000));
  }
  const csatCount = distribution.reduce((s, x) => s + x, 0);

  const [recommendations, ads, unansweredSummary] = await Promise.all([recommendationsP, adsP, unansweredP]);
  return {
    from: range.from,
    to: range.to,
    timeZone: range.timeZone,
    start: range.start.toISOString(),
    end: range.end.toISOString(),
    generatedAt: (deps.clock?.() ?? new Date()).toISOString(),
    conversations: { total: conversations.length, withCustomerMessage: withCustomer },
    containment: { contained, rate: rate(contained, withCustomer) },
    handoffs: {
      count: handoffs,
      rate: rate(handoffs, withCustomer),
      byReason: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    },
    fallbacks: { count: fallbacks, annotated, rate: rate(fallbacks, annotated) },
    intents: {
      annotated,
      top: [...intents]
        .map(([intent, count]) => ({ intent, count, share: round(count / annotated) }))
        .sort((a, b) => b.count - a.count || (a.intent < b.intent ? -1 : 1))
        .slice(0, TOP_INTENTS),
    },
    unanswered: unansweredSummary,
    csat: {
      count: csatCount,
      average: csatCount > 0 ? round(csatSum / csatCount, 2) : null,
      distribution,
      satisfiedShare: rate(distribution[3] + distribution[4], csatCount),
    },
    firstResponse: percentiles(frt),
    handleTime: percentiles(handle),
    recommendations,
    ads,
    daily: daily.map((d) => ({
      day: d.day,
      conversations: d.conversations,
      handoffs: d.handoffs,
      containmentRate: rate(d.contained, d.conversations),
      csatAverage: d.csatCount > 0 ? round(d.csatSum / d.csatCount, 2) : null,
      csatCount: d.csatCount,
    })),
  };
}

async function listInteractions(store: Store, filter: InteractionFilter & { from: Date; to: Date }): Promise<Interaction[]> {
  const out: Interaction[] = [];
  const { from, to, ...rest } = filter;
  await forEachInRange((r, page) => store.interactions.list({ ...rest, ...r }, page), { from: from!, to: to! }, (items) => {
    out.push(...items);
  });
  return out;
}

async function recommendationSummary(store: Store, range: { from: Date; to: Date }): Promise<DashboardSummary['recommendations']> {
  const windowMs = CONVERSION_WINDOW_DAYS * DAY_MS;
  const [impressions, allClicks, shown, upsell, chat] = await Promise.all([
    store.interactions.count({ type: 'impression', source: 'recommendation', ...range }),
    listInteractions(store, { type: 'click', source: 'recommendation', ...range }),
    // Impressions from a day before the range: a click early in the range may follow one.
    listInteractions(store, { type: 'impression', source: 'recommendation', from: new Date(range.from.getTime() - SHOWN_WINDOW_MS), to: range.to }),
    store.interactions.count({ type: 'click', source: 'upsell', ...range }),
    store.interactions.count({ type: 'click', source: 'chat', ...range }),
  ]);
  // A click-through is a click on a card the shopper was shown (an impression of that product
  // to that shopper within the day before): clicks on links shared or kept elsewhere, and
  // imported history without impressions, would otherwise push the CTR past 100%.
  const shownAt = new Map<string, number[]>();
  for (const i of shown) {
    const key = `${i.customerId}\u0000${i.productId}`;
    const list = shownAt.get(key);
    if (list) list.push(i.createdAt.getTime());
    else shownAt.set(key, [i.createdAt.getTime()]);
  }
  const clicks = allClicks.filter((c) => {
    const t = c.createdAt.getTime();
    return shownAt.get(`${c.customerId}\u0000${c.productId}`)?.some((s) => s <= t && t - s <= SHOWN_WINDOW_MS) ?? false;
  });
  let conversions = 0;
  if (clicks.length > 0) {
    // Purchases of the clicked products, from the first click to a week after the range.
    const byKey = new Map<string, number[]>();
    await forEachInRange(
      (r, page) => store.interactions.list({ type: 'purchase', ...r }, page),
      { from: clicks[0]!.createdAt, to: new Date(range.to.getTime() + windowMs) },
      (items) => {
        for (const p of items) {
          const key = `${p.customerId}\u0000${p.productId}`;
          const list = byKey.get(key);
          if (list) list.push(p.createdAt.getTime());
          else byKey.set(key, [p.createdAt.getTime()]);
        }
      },
    );
    for (const c of clicks) {
      const t = c.createdAt.getTime();
      const times = byKey.get(`${c.customerId}\u0000${c.productId}`);
      if (times?.some((p) => p > t && p <= t + windowMs)) conversions += 1;
    }
  }
  return {
    impressions,
    clicks: clicks.length,
    ctr: rate(clicks.length, impressions),
    conversions,
    conversionRate: rate(conversions, clicks.length),
    otherClicks: { upsell, chat, unmatched: allClicks.length - clicks.length },
  };
}

function adsTotal(campaigns: CampaignReport[]): AdsSummary {
  const sum = (f: (c: CampaignReport) => number) => campaigns.reduce((s, c) => s + f(c), 0);
  const spend = Math.round(sum((c) => c.spend) * 100) / 100;
  const revenue = Math.round(sum((c) => c.revenue) * 100) / 100;
  const impressions = sum((c) => c.impressions);
  const clicks = sum((c) => c.clicks);
  return {
    campaigns,
    total: { impressions, clicks, ctr: rate(clicks, impressions), spend, conversions: sum((c) => c.conversions), revenue, roas: spend > 0 ? round(revenue / spend) : null },
  };
}
