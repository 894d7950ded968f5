import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoShop } from '../app/demo-shop.js';
import { startShopServer, type ShopServer } from './helpers/shop-server.js';

/**
 * Every demo product's picture is served (issue 15, point 5: each `imageUrl` answered 404
 * and the cards showed a placeholder): an SVG drawn from the product, with an image content
 * type, caching headers and revalidation.
 */

let shop: ShopServer;
beforeAll(async () => {
  shop = await startShopServer('sa-newcomer-img-', 'imgToken1', { EMBEDDINGS_MODEL: 'lexical' });
}, 120_000);
afterAll(async () => {
  await shop?.close();
});

interface ApiProduct {
  id: string;
  title: { en: string; zh: string };
  imageUrl?: string;
}

async function allProducts(base: string): Promise<ApiProduct[]> {
  const out: ApiProduct[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await fetch(`${base}/api/products?limit=100${q}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: ApiProduct[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const escaped = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

describe('demo product pictures', () => {
  it('every demo product has an imageUrl, and every imageUrl answers 200 with an SVG of that product', async () => {
    const demo = await loadDemoShop();
    const products = await allProducts(shop.server.url);
    expect(products.length).toBe(demo.products.length);
    const bodies = new Set<string>();
    for (const p of products) {
      expect(p.imageUrl, p.id).toBe(`/demo/img/${p.id}.svg`);
      const res = await fetch(`${shop.server.url}${p.imageUrl!}`);
      expect(res.status, p.imageUrl).toBe(200);
      expect(res.headers.get('content-type'), p.imageUrl).toMatch(/^image\/svg\+xml/);
      expect(res.headers.get('cache-control'), p.imageUrl).toBe('public, max-age=86400');
      expect(res.headers.get('etag'), p.imageUrl).toBeTruthy();
      const svg = await res.text();
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), p.imageUrl).toBe(true);
      expect(svg.endsWith('</svg>')).toBe(true);
      expect(svg).toContain(`<title>${escaped(p.title.en)}</title>`);
      bodies.add(svg);
    }
    // One picture per product, not one placeholder for all.
    expect(bodies.size).toBe(products.length);
  });

  it('answers a revalidation with 304, a HEAD with the headers, and runs nothing when opened on its own', async () => {
    const url = `${shop.server.url}/demo/img/P-RUN-001.svg`;
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    // (node:http: fetch adds `Cache-Control: no-cache` to a conditional request, which forbids a 304.)
    const again = await new Promise<number>((resolve, reject) => {
      http.get(url, { headers: { 'if-none-match': etag } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(again).toBe(304);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('a name that is no product is a JSON 404, never a crash', async () => {
    for (const name of ['NO-SUCH-PRODUCT.svg', 'P-RUN-001.png', '..%2F..%2Fpackage.json', '%E0%A4%A.svg', `${'x'.repeat(300)}.svg`]) {
      const res = await fetch(`${shop.server.url}/demo/img/${name}`);
      expect([400, 404], name).toContain(res.status);
      const body = (await res.json()) as { error: { code: string } };
      expect(['not_found', 'bad_request'], name).toContain(body.error.code);
    }
    expect((await fetch(`${shop.server.url}/demo/img/P-RUN-001.svg`)).status).toBe(200);
  });
});
