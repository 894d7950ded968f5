import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { KbHit, KnowledgeBase } from '../knowledge/index.js';
import { ShopError, type KnowledgeDocument, type Locale, safeParse } from '../store/index.js';
import { adminAuth } from './admin-auth.js';
import { parseOrThrow } from './http.js';
import { changedFields, type Auditor } from './audit.js';
import { throttleKey } from './console/login-throttle.js';

export interface KnowledgeRoutesOptions {
  /** Bearer token of the admin API; without it the admin routes answer 404. */
  adminToken?: string;
  /** Absolute base of the citation links (`PUBLIC_BASE_URL`); relative links without it. */
  publicBaseUrl?: string;
  /**
   * Guards /api/admin/knowledge instead of the bearer-only `adminAuth(adminToken)`; the server
   * passes `auth.require('admin')` so an admin's console session works too (the token still does).
   */
  guard?: RequestHandler;
  /** Called after each successful admin write (the server tells the other nodes to reload). */
  onChange?: () => void;
  /** Records article adds, changes and deletions in the audit log. */
  audit?: Auditor;
  /** Bounds on the anonymous search (GET /api/knowledge/search). */
  search?: SearchLimits;
}

/**
 * The public search is anonymous, so it is bounded like a shopper turn: its query length, the
 * requests per client IP, and the work running at once (the node's turn admission gate, whose
 * queue sheds with 503 + Retry-After). Without them a flood of long queries starves the node.
 */
export interface SearchLimits {
  /** Longest `q` accepted (KNOWLEDGE_SEARCH_MAX_CHARS, default 500); longer is a 400. */
  maxQueryChars?: number;
  /** Requests per client address (`req.ip`, so behind TRUST_PROXY the forwarded one; IPv6 per /64); over it a 429 with Retry-After. */
  perIp?: { take(key: string): boolean; retryAfter(key: string): number };
  /** Runs each search in a slot of the node's admission gate (`TurnAdmission`). */
  admission?: { run<T>(work: () => Promise<T>): Promise<T> };
}

/** The default longest search query, in characters. */
export const DEFAULT_MAX_QUERY_CHARS = 500;

/** The citation target of an article: its /help page. */
export function articleUrl(slug: string, locale: Locale, publicBaseUrl?: string): string {
  const base = (publicBaseUrl ?? '').replace(/\/+$/, '');
  return `${base}/help/${encodeURIComponent(slug)}?lang=${locale}`;
}

// ------------------------------------------------------------------ Markdown

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Inline Markdown on already-escaped text: code, bold, italic, and links to http(s) only. */
function inline(raw: string): string {
  const codes: string[] = [];
  let s = escapeHtml(raw).replace(/`([^`]+)`/g, (_m, code: string) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) =>
    // The URL was escaped with the rest, so it cannot leave the attribute; any scheme but http(s) stays text.
    /^https?:\/\//i.test(url) ? `<a href="${url}" rel="nofollow noopener noreferrer">${label}</a>` : label,
  );
  s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/__([^_]+)__/g, '<strong>$1</strong>');
  s = s.replace(/\*([^*\s][^*]*)\*/g, '<em>$1</em>').replace(/(^|[^\w])_([^_\s][^_]*)_(?=[^\w]|$)/g, '$1<em>$2</em>');
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)] ?? '');
}

const LIST_ITEM = /^\s*([-*+]|\d+[.)])\s+(.*)$/;

/**
 * A small, safe Markdown renderer for the articles: headings, paragraphs, lists, tables,
 * code blocks, bold, italic and http(s) links. Every character of the source is escaped
 * first, so HTML in an article is shown as text, never run.
 */
export function renderMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line)) {
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) {
        rows.push(
          lines[i++]!.trim()
            .replace(/^\||\|$/g, '')
            .split('|')
            .map((c) => c.trim()),
        );
      }
      const hasHeader = rows.length > 1 && rows[1]!.every((c) => /^:?-+:?$/.test(c));
      const head = hasHeader ? `<thead><tr>${rows[0]!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead>` : '';
      const body = (hasHeader ? rows.slice(2) : rows).map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('');
      out.push(`<table>${head}<tbody>${body}</tbody></table>`);
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1]!);
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = LIST_ITEM.exec(l);
        if (m && /\d/.test(m[1]!) === ordered) items.push(m[2]!);
        else if (l.trim() !== '' && /^\s+/.test(l) && items.length > 0) items[items.length - 1] += ` ${l.trim()}`;
        else if (l.trim() === '' && LIST_ITEM.test(lines[i + 1] ?? '')) {
          /* a loose list continues */
        } else break;
        i++;
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.map((t) => `<li>${inline(t)}</li>`).join('')}</${tag}>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,6}\s|\s*\||\s*```|\s*~~~)/.test(lines[i]!) && !LIST_ITEM.test(lines[i]!)) {
      para.push(lines[i++]!.trim());
    }
    out.push(`<p>${inline(para.join(' '))}</p>`);
  }
  return out.join('\n');
}

function page(lang: Locale, title: string, content: string): string {
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.6 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
code{background:#f6f8fa;padding:0 .2rem}pre{background:#f6f8fa;padding:.8rem;overflow:auto}
nav{font-size:.9rem;margin-bottom:1rem}
</style>
</head>
<body>
${content}
</body>
</html>
`;
}

/** No scripts, no external anything: the page is text and its own inline styles. */
const HELP_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

// -------------------------------------------------------------------- routes

const searchQuery = (maxChars: number) =>
  z.object({
    q: z.string({ message: 'q is required' }).max(maxChars, { message: `must be at most ${maxChars} characters` }),
    locale: z.enum(['en', 'zh']).optional(),
    k: z.coerce.number().int().min(1).max(20).optional(),
  });

const helpQuery = z.object({ lang: z.enum(['en', 'zh']).optional() });

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const text = z.string().trim().min(1);
const tags = z.array(z.string().trim().min(1).max(64)).max(50);
const category = z.string().regex(SLUG, 'expected a lower-case kebab-case slug').max(64);

const createBody = z.strictObject({
  slug: z.string().regex(SLUG, 'expected a lower-case kebab-case slug').max(128),
  locale: z.enum(['en', 'zh']),
  title: text.max(200),
  body: text.max(100_000),
  category,
  tags: tags.optional(),
});

const updateBody = z
  .strictObject({ title: text.max(200).optional(), body: text.max(100_000).optional(), category: category.optional(), tags: tags.optional() })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change: send title, body, category or tags' });

const listQuery = z.object({
  locale: z.enum(['en', 'zh']).optional(),
  category: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(512).optional(),
});

function publicHit(hit: KbHit, base: string | undefined): Record<string, unknown> {
  return {
    slug: hit.slug,
    locale: hit.locale,
    title: hit.title,
    category: hit.category,
    heading: hit.heading,
    text: hit.text,
    score: hit.score,
    confidence: hit.confidence,
    url: articleUrl(hit.slug, hit.locale, base),
  };
}

function withUrl(doc: KnowledgeDocument, base: string | undefined): KnowledgeDocument & { url: string } {
  return { ...doc, url: articleUrl(doc.slug, doc.locale, base) };
}

/**
 * The knowledge HTTP surface: public search and /help article pages (the bot's citation
 * links), and the admin API (/api/admin/knowledge: bearer token, or `opts.guard`) whose writes are
 * searchable as soon as they return. Errors are `ShopError`s for the app's error handler.
 */
export function knowledgeRoutes(kb: KnowledgeBase, opts: KnowledgeRoutesOptions = {}): Router {
  const base = opts.publicBaseUrl;
  const router = express.Router();
  const limits = opts.search ?? {};
  const searchSchema = searchQuery(limits.maxQueryChars ?? DEFAULT_MAX_QUERY_CHARS);
  const run = <T>(work: () => Promise<T>): Promise<T> => (limits.admission ? limits.admission.run(work) : work());

  router.get('/api/knowledge/search', async (req, res) => {
    const ip = throttleKey(req.ip ?? req.socket.remoteAddress);
    if (limits.perIp && !limits.perIp.take(ip)) {
      const after = Math.max(1, limits.perIp.retryAfter(ip));
      throw new ShopError('rate_limited', `too many searches from your address: try again in ${after} s`, { details: { reason: 'rate_limited', retryAfterSeconds: after } });
    }
    const q = parseOrThrow(searchSchema, req.query, 'query');
    const hits = await run(() => kb.search(q.q, { ...(q.locale ? { locale: q.locale } : {}), k: q.k ?? 5 }));
    res.json({ query: q.q, hits: hits.map((h) => publicHit(h, base)) });
  });

  router.get('/help/:slug', async (req, res) => {
    const lang = safeParse(helpQuery, req.query).data?.lang ?? 'en';
    const slug = req.params.slug;
    const doc = SLUG.test(slug)
      ? ((await kb.getArticleBySlug(slug, lang)) ?? (await kb.getArticleBySlug(slug, lang === 'en' ? 'zh' : 'en')))
      : null;
    res.setHeader('Content-Security-Policy', HELP_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!doc) {
      const msg = lang === 'zh' ? '找不到这篇帮助文章。' : 'We could not find that help article.';
      res.status(404).type('html').send(page(lang, lang === 'zh' ? '未找到' : 'Not found', `<h1>404</h1>\n<p>${escapeHtml(msg)}</p>`));
      return;
    }
    const other = doc.locale === 'en' ? 'zh' : 'en';
    const nav = `<nav><a href="${escapeHtml(articleUrl(doc.slug, other))}">${other === 'zh' ? '中文' : 'English'}</a></nav>`;
    const startsWithTitle = /^#\s/.test(doc.body.trimStart());
    const content = `${nav}\n<article>\n${startsWithTitle ? '' : `<h1>${escapeHtml(doc.title)}</h1>\n`}${renderMarkdown(doc.body)}\n</article>`;
    res.type('html').set('Cache-Control', 'public, max-age=60').send(page(doc.locale, doc.title, content));
  });

  const admin = express.Router();
  admin.use(opts.guard ?? adminAuth(opts.adminToken));

  admin.get('/', async (req, res) => {
    const q = parseOrThrow(listQuery, req.query, 'query');
    const pageOut = await kb.listArticles(
      { ...(q.locale ? { locale: q.locale } : {}), ...(q.category ? { category: q.category } : {}) },
      { limit: q.limit ?? 50, cursor: q.cursor ?? null },
    );
    res.json({ items: pageOut.items.map((d) => withUrl(d, base)), nextCursor: pageOut.nextCursor });
  });

  admin.post('/', async (req, res) => {
    const body = parseOrThrow(createBody, req.body, 'body');
    const existed = await kb.getArticleBySlug(body.slug, body.locale);
    const doc = await kb.upsertArticle({ ...body, tags: body.tags ?? [], source: 'admin' });
    await opts.audit?.staff(req, res, existed ? 'knowledge.update' : 'knowledge.add', { target: { type: 'article', id: doc.id }, details: { slug: doc.slug, locale: doc.locale } });
    opts.onChange?.();
    res.status(existed ? 200 : 201).json(withUrl(doc, base));
  });

  admin.get('/:id', async (req, res) => {
    const doc = await kb.getArticle(req.params.id);
    if (!doc) throw new ShopError('not_found', `no knowledge article ${req.params.id}`);
    res.json(withUrl(doc, base));
  });

  admin.put('/:id', async (req, res) => {
    const patch = parseOrThrow(updateBody, req.body, 'body');
    const doc = await kb.getArticle(req.params.id);
    if (!doc) throw new ShopError('not_found', `no knowledge article ${req.params.id}`);
    const updated = await kb.upsertArticle({
      slug: doc.slug,
      locale: doc.locale,
      title: patch.title ?? doc.title,
      body: patch.body ?? doc.body,
      category: patch.category ?? doc.category,
      tags: patch.tags ?? doc.tags,
      source: 'admin',
    });
    await opts.audit?.staff(req, res, 'knowledge.update', { target: { type: 'article', id: updated.id }, details: { slug: updated.slug, locale: updated.locale, fields: changedFields(patch) } });
    opts.onChange?.();
    res.json(withUrl(updated, base));
  });

  admin.delete('/:id', async (req, res) => {
    if (!(await kb.deleteArticle(req.params.id))) throw new ShopError('not_found', `no knowledge article ${req.params.id}`);
    await opts.audit?.staff(req, res, 'knowledge.delete', { target: { type: 'article', id: req.params.id } });
    opts.onChange?.();
    res.status(204).end();
  });

  router.use('/api/admin/knowledge', admin);
  return router;
}
