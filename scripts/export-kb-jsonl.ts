/**
 * Writes data/kb-eval/articles.jsonl from the demo shop's knowledge articles, so
 * `cli kb:eval` runs on a fresh clone without a store:
 *   npx tsx scripts/export-kb-jsonl.ts [knowledgeDir] [out.jsonl]
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEvalArticles } from '../knowledge/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ?? path.join(root, 'data/demo-shop/knowledge');
const out = process.argv[3] ?? path.join(root, 'data/kb-eval/articles.jsonl');

const articles = await loadEvalArticles(dir);
const lines = articles.map((a) => JSON.stringify({ id: a.id, title: a.title, body: a.body, locale: a.locale, category: a.category, tags: a.tags }));
await writeFile(out, `${lines.join('\n')}\n`);
console.log(`wrote ${articles.length} articles to ${path.relative(process.cwd(), out)}`);
