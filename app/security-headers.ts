import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';

const DEMO_PAGE = fileURLToPath(new URL('../web/demo/index.html', import.meta.url));

/** The CSP of our own pages (console, dashboard): nothing inline, nothing from elsewhere. */
const BASE_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data: https:",
  // 'self' covers ws:/wss: on the same host and port (CSP level 3).
  'connect-src': "'self'",
  'frame-ancestors': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'object-src': "'none'",
};

export function formatCsp(directives: Readonly<Record<string, string>>): string {
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

/** `'sha256-…'` sources for every inline `<script>` (without a src) of an HTML page. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? '')) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[2] ?? '', 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The CSP of our staff pages and of every other response (JSON included: harmless, and strict). */
export const PAGE_CSP = formatCsp(BASE_DIRECTIVES);

/**
 * The demo shop's CSP: its one inline script is allowed by hash (computed from the file,
 * so editing the page cannot silently break it), and inline styles are allowed because
 * the page has a `<style>` block and the widget — a script injected into any shop's
 * page — styles its host element and its shadow root inline.
 */
export function demoPageCsp(html: string | undefined): string {
  const hashes = html ? inlineScriptHashes(html) : [];
  return formatCsp({
    ...BASE_DIRECTIVES,
    'script-src': ["'self'", ...hashes].join(' '),
    'style-src': "'self' 'unsafe-inline'",
  });
}

function isDemoPage(path: string): boolean {
  return path === '/' || path === '/index.html';
}

/**
 * Security headers on every response. Nothing of ours needs framing (the widget is a
 * script on the shop's page, not an iframe), so framing is denied everywhere; routes that
 * set their own CSP afterwards (the /help pages) replace this one.
 */
export function securityHeaders(opts: { demoPageFile?: string } = {}): RequestHandler {
  const file = opts.demoPageFile ?? DEMO_PAGE;
  const demoCsp = demoPageCsp(existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', isDemoPage(req.path) ? demoCsp : PAGE_CSP);
    next();
  };
}
