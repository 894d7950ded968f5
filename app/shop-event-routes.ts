import express, { type Router } from 'express';
import { z } from 'zod';
import type { AdServer } from '../recommender/ads/index.js';
import type { NewInteraction, Store } from '../store/index.js';
import { adminAuth } from './admin-auth.js';
import { parseOrThrow } from './http.js';

const id = z.string().trim().min(1).max(128);
const event = z
  .object({
    customerId: id,
    productId: id,
    type: z.enum(['view', 'click', 'cart', 'purchase', 'rating']),
    /** The rating (0.5..5) for `rating`. */
    value: z.number().finite().optional(),
    /** Where it happened ("web", "app", "checkout", ...). */
    source: z.string().trim().min(1).max(64).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    /** For a purchase: what the line earned (defaults to the product's price). */
    revenue: z.number().finite().min(0).optional(),
  })
  .refine((e) => e.type !== 'rating' || (e.value !== undefined && e.value >= 0.5 && e.value <= 5), { message: 'a rating needs a value from 0.5 to 5', path: ['value'] });
const body = z.object({ events: z.array(event).min(1).max(500) });
const reportQuery = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

/**
 * The ad report's range from `?from=YYYY-MM-DD&to=YYYY-MM-DD` (also the CLI's `ads:report`
 * flags): `from` 00:00 UTC to `to` 23:59:59.999 UTC; without `to`, up to now; without
 * `from`, the 7 days before `to`.
 */
export function adsReportRange(query: unknown, now: Date = new Date()): { from: Date; to: Date } {
  const q = parseOrThrow(reportQuery, query, 'query');
  const to = q.to ? new Date(`${q.to}T23:59:59.999Z`) : now;
  const from = q.from ? new Date(`${q.from}T00:00:00.000Z`) : new Date(to.getTime() - 7 * 86_400_000);
  return { from, to };
}

/**
 * The shop's backend reports what shoppers do outside the chat (views, carts, purchases,
 * ratings): the recommender learns from them at its next `rec:train`, and a purchase after a
 * sponsored click is attributed to its campaign (last click, 7 days). Plus the campaign
 * report. Both under `Authorization: Bearer $ADMIN_TOKEN`.
 */
export function shopEventRoutes(opts: { store: Store; ads?: AdServer; adminToken?: string }): Router {
  const router = express.Router();
  router.use('/api/admin/interactions', adminAuth(opts.adminToken));
  router.use('/api/admin/ads', adminAuth(opts.adminToken));

  router.post('/api/admin/interactions', async (req, res) => {
    // Every event is checked before any is stored: one bad row names itself and nothing is written.
    const { events } = parseOrThrow(body, req.body, 'body');
    const plain: NewInteraction[] = [];
    const attributed: Array<{ productId: string; campaignId: string }> = [];
    const prices = new Map((await opts.store.products.getMany([...new Set(events.map((e) => e.productId))])).map((p) => [p.id, p.price]));
    for (const e of events) {
      const at = e.at ? new Date(e.at) : new Date();
      if (e.type === 'purchase' && opts.ads) {
        const revenue = e.revenue ?? prices.get(e.productId) ?? 0;
        const campaignId = await opts.ads.conversion(e.customerId, e.productId, revenue, at);
        if (campaignId) {
          // The ad's conversion is the purchase record (source ad:<campaign>, value = revenue).
          attributed.push({ productId: e.productId, campaignId });
          continue;
        }
      }
      plain.push({
        customerId: e.customerId,
        productId: e.productId,
        type: e.type,
        source: e.source ?? 'shop',
        createdAt: at,
        ...(e.type === 'rating' ? { value: e.value! } : e.type === 'purchase' && e.revenue !== undefined ? { value: e.revenue } : {}),
      });
    }
    const recorded = plain.length > 0 ? await opts.store.interactions.recordMany(plain) : 0;
    res.status(201).json({ recorded: recorded + attributed.length, attributed });
  });

  router.get('/api/admin/ads/report', async (req, res) => {
    if (!opts.ads) {
      res.json({ campaigns: [], note: 'ads are off (ADS_ENABLED=false)' });
      return;
    }
    const { from, to } = adsReportRange(req.query);
    res.json({ from: from.toISOString(), to: to.toISOString(), campaigns: await opts.ads.report({ from, to }) });
  });
  return router;
}
