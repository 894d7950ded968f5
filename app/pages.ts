import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { ShopError, type Store } from '../store/index.js';
import { DEMO_IMAGE_PATH, demoImageProductId, demoProductSvg } from './demo-shop.js';
import { buildWidget } from '../web/widget/build.js';
import { buildPage, type StaffPage } from '../web/build-page.js';

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The pages: the widget script (bundled in memory at start), the agent console at
 * /console/ and the dashboard at /dashboard/ (each an index.html and a bundled app.js;
 * they talk to the HTTP/WS APIs only), the demo shop at `/`, and with `products` the demo
 * products' pictures at /demo/img/<id>.svg (drawn from the product in the store).
 */
export async function mountWebPages(opts: { products?: Pick<Store['products'], 'get'> } = {}): Promise<Router> {
  const widget = await buildWidget();
  const router = express.Router();
  const products = opts.products;
  if (products) {
    router.get(`${DEMO_IMAGE_PATH}:file`, async (req, res) => {
      const id = demoImageProductId(String(req.params['file']));
      const product = id ? await products.get(id) : null;
      if (!product) throw new ShopError('not_found', `no demo picture ${loggedName(String(req.params['file']))}`);
      // Drawn from the product: a day in caches, and the ETag (express's, of the body) answers revalidations with 304.
      res
        .type('image/svg+xml')
        .set('Cache-Control', 'public, max-age=86400')
        // An SVG opened on its own is a document: nothing in it may run or load.
        .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'")
        .send(demoProductSvg(product));
    });
  }
  router.get('/widget.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=300').send(widget);
  });
  for (const name of ['console', 'dashboard'] as const satisfies readonly StaffPage[]) {
    const dir = path.join(WEB_DIR, name);
    if (!existsSync(path.join(dir, 'index.html'))) continue;
    const script = await buildPage(name);
    // (Routing is not strict: `/${name}` also matches `/${name}/`, which must not redirect to itself.)
    router.get(`/${name}`, (req, res, next) => (req.originalUrl.split('?')[0]!.endsWith('/') ? next() : res.redirect(301, `/${name}/`)));
    router.get(`/${name}/app.js`, (_req, res) => {
      res.type('application/javascript').set('Cache-Control', 'no-cache').send(script);
    });
    // Only the page and its stylesheet: the sources beside them are not served.
    router.get(`/${name}/`, (_req, res) => res.set('Cache-Control', 'no-cache').sendFile(path.join(dir, 'index.html')));
    router.get(`/${name}/styles.css`, (_req, res) => res.set('Cache-Control', 'no-cache').sendFile(path.join(dir, 'styles.css')));
  }
  router.use('/', express.static(path.join(WEB_DIR, 'demo'), { index: 'index.html', maxAge: '5m' }));
  return router;
}

/** A requested file name as an error message shows it (at most 80 characters). */
function loggedName(file: string): string {
  return JSON.stringify(file.length > 80 ? `${file.slice(0, 80)}…` : file);
}
