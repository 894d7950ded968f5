import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { buildWidget } from '../web/widget/build.js';
import { buildPage, type StaffPage } from '../web/build-page.js';

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The pages: the widget script (bundled in memory at start), the agent console at
 * /console/ and the dashboard at /dashboard/ (each an index.html and a bundled app.js;
 * they talk to the HTTP/WS APIs only), and the demo shop at `/`.
 */
export async function mountWebPages(): Promise<Router> {
  const widget = await buildWidget();
  const router = express.Router();
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
