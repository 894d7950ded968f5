import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { buildWidget } from '../web/widget/build.js';

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The pages: the widget script (bundled in memory at start) and the demo shop at `/`.
 */
export async function mountWebPages(): Promise<Router> {
  const widget = await buildWidget();
  const router = express.Router();
  router.get('/widget.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'public, max-age=300').send(widget);
  });
  router.use('/', express.static(path.join(WEB_DIR, 'demo'), { index: 'index.html', maxAge: '5m' }));
  return router;
}
