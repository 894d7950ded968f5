import express, { type Router } from 'express';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { AdServer } from '../recommender/ads/index.js';
import { RecommendationService } from '../recommender/service.js';
import type { RecommenderPort, RecommendLinks } from '../skills/index.js';
import type { Product, Store } from '../store/index.js';
import { adminAuth } from './admin-auth.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { localSecret } from './secrets.js';
import { shopEventRoutes } from './shop-event-routes.js';
import { createTrackingRouter, trackingLink } from './tracking-routes.js';

export interface Recommendations {
  /** The service in use (replaced by a reload). */
  readonly service: RecommendationService;
  /** What the bot calls: always the current service. */
  port: RecommenderPort;
  ads: AdServer | undefined;
  links: RecommendLinks;
  /** `/r/:token` (click tracking) and the demo shop's product and cart pages. */
  router: Router;
  /** Loads the model file again (another node was told to reload); the old service answers until then. */
  reload(): Promise<void>;
}

export interface RecommendationsHooks {
  /** After `POST /api/admin/recommender/reload` succeeded on this node (the server tells the other nodes). */
  onReloaded?: () => void;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The recommender of one node: the trained model (trained from the store at first start),
 * the ad server, the signed click-tracking links the product cards carry, and the routes.
 */
export async function openRecommendations(
  config: Config,
  store: Store,
  logger: Logger,
  embeddings?: EmbeddingsInterface,
  hooks: RecommendationsHooks = {},
): Promise<Recommendations> {
  const rc = config.recommender;
  const ads = rc.ads ? new AdServer({ store, timeZone: rc.timeZone, frequencyCap: rc.frequencyCap, relevanceFloor: rc.relevanceFloor }) : undefined;
  const open = async () => {
    const started = Date.now();
    const opened = await RecommendationService.open({
      store,
      modelFile: rc.modelFile,
      ...(embeddings ? { embeddings } : {}),
      ...(ads ? { ads } : {}),
      log: (msg, extra) => logger.info(extra ?? {}, msg),
    });
    logger.info({ ms: Date.now() - started, trainedAt: opened.trainedAt, ads: !!ads }, 'recommender ready');
    return opened;
  };
  let service = await open();

  const secret = rc.trackingSecret ?? localSecret(config.dataDir, 'TRACKING_SECRET');
  const target = (template: string, p: Product) => {
    const path = template.replaceAll('{id}', encodeURIComponent(p.id));
    return rc.shopUrl && path.startsWith('/') ? `${rc.shopUrl}${path}` : path;
  };
  const link = (template: string) => (customerId: string, p: Product, source: string, price?: number) =>
    trackingLink({ c: customerId, p: p.id, s: source, u: target(template, p), t: Date.now(), ...(price !== undefined ? { pr: price } : {}) }, secret, config.publicBaseUrl ?? '');
  const links: RecommendLinks = { product: link(rc.productUrlTemplate), cart: link(rc.cartUrlTemplate) };

  const router = express.Router();
  // Card links are tracked with or without ads (an ad server only charges sponsored clicks).
  const clicks = ads ?? new AdServer({ store, timeZone: rc.timeZone });
  router.use(createTrackingRouter({ store, ads: clicks, secret, ...(rc.shopUrl ? { shopUrl: rc.shopUrl } : {}), logger }));
  router.use(shopEventRoutes({ store, ...(ads ? { ads } : {}), ...(config.adminToken ? { adminToken: config.adminToken } : {}) }));
  // The demo shop's own pages, where the card links land when no SHOP_URL is configured.
  const page = async (id: string, added: boolean): Promise<string | null> => {
    const p = await store.products.get(id);
    if (!p) return null;
    const title = escapeHtml(p.title.en);
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width,initial-scale=1"></head><body style="font-family:system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem"><p><a href="/">Demo shop</a></p>${
      added ? `<p role="status"><strong>Added to your cart.</strong> (This demo shop has no checkout.)</p>` : ''
    }<h1>${title}</h1><p lang="zh">${escapeHtml(p.title.zh)}</p><p>${escapeHtml(p.currency)} ${p.price.toFixed(2)} · ${p.stock > 0 ? `${p.stock} in stock` : 'sold out'}</p><p>${escapeHtml(p.description.en)}</p></body></html>`;
  };
  // After `rec:train`: load the new model file (or train one when it is missing) without a
  // restart. The old service answers until the new one is ready.
  router.post('/api/admin/recommender/reload', adminAuth(config.adminToken), async (_req, res) => {
    service = await open();
    hooks.onReloaded?.();
    res.json({ trainedAt: service.trainedAt, file: rc.modelFile });
  });
  router.get(['/demo/p/:id', '/demo/cart/add/:id'], async (req, res) => {
    const html = await page(String(req.params['id']), req.path.startsWith('/demo/cart/'));
    if (!html) {
      res.status(404).type('text/plain').send('No such product.');
      return;
    }
    res.type('html').send(html);
  });
  return {
    get service() {
      return service;
    },
    port: { recommend: (q) => service.recommend(q) },
    ads,
    links,
    router,
    async reload() {
      service = await open();
    },
  };
}
