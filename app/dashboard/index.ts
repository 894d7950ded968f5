/**
 * app/dashboard: the supervisors' analytics (summary JSON, CSV export) and the Prometheus
 * metrics endpoint.
 *
 * - `GET /api/dashboard/summary?from=YYYY-MM-DD&to=YYYY-MM-DD` (supervisor+): see summary.ts
 *   for what each number means. Inclusive shop days in `timeZone`; default the last 7 days;
 *   400 (reason `bad_range` / `range_too_long`) for a malformed range or more than 366 days.
 *   A summary is computed once per (from, to) per `cacheTtlMs` (30 s), and concurrent requests
 *   for the same range share one computation.
 * - `GET /api/dashboard/export.csv?from&to` (supervisor+): the same summary as a long
 *   `metric,dimension,value` CSV attachment (csv.ts).
 * - `GET /metrics`: Prometheus text 0.0.4; open unless `metricsToken` is set, then it needs
 *   `Authorization: Bearer <metricsToken>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { ShopError, type ConversationStatus, type PageRequest, type Page, type Store } from '../../store/index.js';
import { AdServer, type CampaignReport } from '../../recommender/ads/index.js';
import type { ConsoleAuth } from '../console/auth.js';
import { summaryCsv } from './csv.js';
import { requestedRange } from './days.js';
import type { Metrics } from './metrics.js';
import { computeSummary, type DashboardSummary } from './summary.js';

export { Metrics, SHOP_METRICS, TURN_BUCKETS, type Labels, type MetricDefinition, type MetricKind } from './metrics.js';
export { computeSummary, percentile, CONVERSION_WINDOW_DAYS, type DashboardSummary, type DailyPoint, type Percentiles, type AdsSummary } from './summary.js';
export { clusterUnanswered, DEFAULT_CLUSTER_THRESHOLD, type UnansweredCluster, type UnansweredSummary } from './clusters.js';
export { summaryCsv } from './csv.js';
export { requestedRange, dayRange, dayStart, MAX_RANGE_DAYS, type DayRange } from './days.js';

export interface DashboardOptions {
  store: Store;
  auth: ConsoleAuth;
  /** Clusters unanswered questions. */
  embeddings: EmbeddingsInterface;
  /** The shop's IANA time zone: days in the date range are the shop's days. */
  timeZone: string;
  /** Protects /metrics with `Authorization: Bearer <token>` when set. */
  metricsToken?: string;
  /** The campaign report; default an `AdServer` over the store in `timeZone` (report only reads). */
  ads?: { report(range: { from: Date; to: Date }): Promise<CampaignReport[]> };
  /** Cosine similarity for two unanswered questions to share a cluster; default 0.75 (see clusters.ts). */
  clusterThreshold?: number;
  /** How long a computed summary is served from memory; default 30 s. */
  cacheTtlMs?: number;
  /** How often /metrics recounts the bot and resolved conversations (a full scan); default 5 minutes. */
  statusScanMs?: number;
  clock?: () => Date;
}

const CACHE_MAX = 64;

/** Counts a paged listing without keeping it. */
async function countAll<T>(list: (page: PageRequest) => Promise<Page<T>>, each?: (item: T) => void): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list({ limit: 500, cursor });
    n += page.items.length;
    if (each) page.items.forEach(each);
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

/**
 * The scrape-time gauges: queue length, conversations by status, agents by status, oldest
 * queued wait. Queued and assigned conversations and agents are counted at every scrape (small
 * sets); bot and resolved conversations grow without bound, so they are recounted at most
 * every `statusScanMs` in the background and the last count is exported meanwhile.
 */
export function storeGauges(metrics: Metrics, store: Store, opts: { statusScanMs?: number; clock?: () => Date } = {}): () => Promise<void> {
  const clock = opts.clock ?? (() => new Date());
  const every = opts.statusScanMs ?? 5 * 60_000;
  let scanned: { at: number; counts: Partial<Record<ConversationStatus, number>> } | undefined;
  let scanning: Promise<void> | undefined;
  const scan = () =>
    (scanning ??= (async () => {
      const [bot, resolved] = await Promise.all(
        (['bot', 'resolved'] as const).map((status) => countAll((page) => store.conversations.list({ status }, page))),
      );
      scanned = { at: clock().getTime(), counts: { bot, resolved } };
    })().finally(() => (scanning = undefined)));

  return async () => {
    const now = clock().getTime();
    let oldest = Infinity;
    const [queued, assigned, agents] = await Promise.all([
      countAll(
        (page) => store.conversations.list({ status: 'queued' }, page),
        (c) => (oldest = Math.min(oldest, (c.queuedAt ?? c.updatedAt).getTime())),
      ),
      countAll((page) => store.conversations.list({ status: 'assigned' }, page)),
      Promise.all((['online', 'away', 'offline'] as const).map(async (status) => [status, await countAll((page) => store.agents.list({ status }, page))] as const)),
    ]);
    metrics.set('shop_queue_length', queued);
    metrics.set('shop_oldest_queued_seconds', oldest === Infinity ? 0 : Math.max(0, Math.round((now - oldest) / 1000)));
    metrics.set('shop_conversations', queued, { status: 'queued' });
    metrics.set('shop_conversations', assigned, { status: 'assigned' });
    for (const [status, n] of agents) metrics.set('shop_agents', n, { status });
    if (!scanned) await scan();
    else if (now - scanned.at >= every) void scan().catch(() => undefined);
    for (const status of ['bot', 'resolved'] as const) metrics.set('shop_conversations', scanned?.counts[status] ?? 0, { status });
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function dashboardRoutes(opts: DashboardOptions & { metrics: Metrics }): Router {
  const { store, auth, metrics } = opts;
  const clock = opts.clock ?? (() => new Date());
  const ttl = opts.cacheTtlMs ?? 30_000;
  const ads = opts.ads ?? new AdServer({ store, timeZone: opts.timeZone, clock });
  const cache = new Map<string, { at: number; summary: Promise<DashboardSummary> }>();
  metrics.collect(storeGauges(metrics, store, { statusScanMs: opts.statusScanMs, clock }));
  const tokenDigest = opts.metricsToken ? digest(opts.metricsToken) : undefined;

  function summaryFor(query: Record<string, unknown>): Promise<DashboardSummary> {
    const range = requestedRange(query, opts.timeZone, clock());
    const key = `${range.from}|${range.to}`;
    const now = clock().getTime();
    const hit = cache.get(key);
    if (hit && now - hit.at < ttl) return hit.summary;
    for (const [k, v] of cache) if (now - v.at >= ttl) cache.delete(k);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    const summary = computeSummary({ store, embeddings: opts.embeddings, ads, clusterThreshold: opts.clusterThreshold, clock }, range);
    cache.set(key, { at: now, summary });
    summary.catch(() => cache.delete(key));
    return summary;
  }

  const router = express.Router();
  const supervisor = auth.require('supervisor');

  router.get('/api/dashboard/summary', supervisor, async (req, res) => {
    const summary = await summaryFor(req.query);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(summary);
  });

  router.get('/api/dashboard/export.csv', supervisor, async (req, res) => {
    const summary = await summaryFor(req.query);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Disposition', `attachment; filename="shop-dashboard-${summary.from}-to-${summary.to}.csv"`);
    res.type('text/csv; charset=utf-8').send(summaryCsv(summary));
  });

  router.get('/metrics', async (req, res) => {
    if (tokenDigest) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), tokenDigest)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new ShopError('unauthorized', 'the metrics endpoint needs Authorization: Bearer <METRICS_TOKEN>');
      }
    }
    const text = await metrics.expose();
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  return router;
}
