import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ShopError, safeParse } from '../../store/index.js';
import { loadKnowledgeDir, parseCsvRecords, parseJsonLines } from '../ingest/index.js';
import type { EvalArticle, EvalQuery } from './evaluate.js';
import { detectLocale } from './hybrid-index.js';

const evalArticleSchema = z.object({
  id: z.string().trim().min(1),
  title: z.string().trim().min(1),
  body: z.string().trim().min(1),
  locale: z.enum(['en', 'zh']).optional(),
  category: z.string().trim().min(1).optional(),
  tags: z.array(z.string()).optional(),
});

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ShopError('bad_request', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Evaluation articles: a JSONL file of `{id, title, body, locale?, category?, tags?}` (a
 * missing locale is detected from the text), or a folder of `<slug>.<en|zh>.md` articles
 * whose ids are `<slug>.<locale>`.
 */
export async function loadEvalArticles(source: string): Promise<EvalArticle[]> {
  const isDir = await stat(source).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) {
    return (await loadKnowledgeDir(source)).map((a) => ({
      id: `${a.slug}.${a.locale}`,
      title: a.title,
      body: a.body,
      locale: a.locale,
      category: a.category,
      tags: a.tags ?? [],
    }));
  }
  const rows = parseJsonLines(await readText(source), source);
  const problems: string[] = [];
  const out: EvalArticle[] = [];
  const ids = new Set<string>();
  for (const { row, value } of rows) {
    const r = safeParse(evalArticleSchema, value);
    if (!r.success) {
      problems.push(...r.error.issues.slice(0, 3).map((i) => `line ${row}: ${i.path.join('.') || '(record)'}: ${i.message}`));
      continue;
    }
    if (ids.has(r.data.id)) problems.push(`line ${row}: id: "${r.data.id}" appears twice`);
    ids.add(r.data.id);
    out.push({ ...r.data, locale: r.data.locale ?? detectLocale(`${r.data.title} ${r.data.body}`) });
  }
  if (problems.length > 0) throw new ShopError('bad_request', `${path.basename(source)}:\n  ${problems.slice(0, 10).join('\n  ')}`);
  return out;
}

/**
 * Evaluation queries: CSV with columns `query,article_id`. An empty article_id marks an
 * off-topic query (it should not be answered); `a|b` lists several acceptable articles.
 * With `articleIds`, an id that names no article is an error (a typo would score as a miss).
 */
export async function loadEvalQueries(file: string, articleIds?: Set<string>): Promise<EvalQuery[]> {
  const rows = parseCsvRecords(await readText(file), { file: path.basename(file) });
  const problems: string[] = [];
  const out: EvalQuery[] = [];
  rows.forEach((r, i) => {
    const query = (r['query'] ?? '').trim();
    if (r['query'] === undefined || r['article_id'] === undefined) {
      problems.push(`row ${i + 2}: expected the columns query,article_id`);
      return;
    }
    const expected = (r['article_id'] ?? '')
      .split('|')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (query === '') problems.push(`row ${i + 2}: query: empty`);
    for (const id of expected) if (articleIds && !articleIds.has(id)) problems.push(`row ${i + 2}: article_id: no article "${id}"`);
    out.push({ query, expected });
  });
  if (problems.length > 0) throw new ShopError('bad_request', `${path.basename(file)}:\n  ${problems.slice(0, 10).join('\n  ')}`);
  return out;
}
