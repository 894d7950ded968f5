import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ShopError, type KnowledgeInput, type Locale, safeParse } from '../../store/index.js';
import { parseCsvRecords } from './csv.js';
import { parseFrontMatter, type IngestIssue } from './front-matter.js';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const text = z.string().trim().min(1);
const slug = z.string().regex(SLUG, 'expected a lower-case kebab-case slug');

/** The front matter of a Markdown article: `title`, `category` (kebab-case), optional `tags`. */
export const articleFrontMatterSchema = z.strictObject({
  title: text,
  category: slug,
  tags: z.array(text).default([]),
});

/** One knowledge article as the importers accept it (JSON, JSONL, CSV rows). */
export const knowledgeInputSchema = z.strictObject({
  slug,
  locale: z.enum(['en', 'zh']),
  title: text,
  body: text,
  category: slug,
  tags: z.array(text).default([]),
  source: text.optional(),
});

/** An article file name: `<kebab-case-slug>.<en|zh>.md`. */
export const ARTICLE_FILE_NAME = /^(.+)\.(en|zh)\.md$/i;

/** The file kinds the loaders read, by extension. */
export const KNOWLEDGE_EXTENSIONS = ['.md', '.json', '.jsonl', '.csv', '.tsv'] as const;

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of p) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(record)' : out;
}

/**
 * Validates every record before returning any: one bad row rejects the file with a
 * `bad_request` listing each problem as `row N: field: message` (details: `{ file, issues }`).
 */
export function validateKnowledgeRecords(records: Array<{ row: number; value: unknown }>, file: string): KnowledgeInput[] {
  const out: KnowledgeInput[] = [];
  const issues: IngestIssue[] = [];
  for (const { row, value } of records) {
    const r = safeParse(knowledgeInputSchema, value);
    if (r.success) out.push(r.data);
    else for (const issue of r.error.issues.slice(0, 3)) issues.push({ path: `row ${row}: ${formatPath(issue.path)}`, message: issue.message });
  }
  if (issues.length > 0) {
    const shown = issues
      .slice(0, 10)
      .map((i) => `${i.path}: ${i.message}`)
      .join('\n  ');
    const more = issues.length > 10 ? `\n  (and ${issues.length - 10} more)` : '';
    throw new ShopError('bad_request', `${path.basename(file)}: nothing imported, fix these first:\n  ${shown}${more}`, { details: { file, issues } });
  }
  return out;
}

/**
 * One Markdown article named `<slug>.<en|zh>.md` with front matter (title, category, tags).
 * Errors are `bad_request`s naming the file and the field or line.
 */
export function parseMarkdownArticle(source: string, file: string): KnowledgeInput {
  const name = path.basename(file);
  const m = ARTICLE_FILE_NAME.exec(name);
  const docSlug = m?.[1];
  if (!m || !docSlug || !SLUG.test(docSlug)) {
    throw new ShopError('bad_request', `a Markdown article must be named <slug>.<en|zh>.md, got ${name}`, {
      details: { file, issues: [{ path: '(file name)', message: 'expected <kebab-case-slug>.<en|zh>.md' }] },
    });
  }
  const { data, body } = parseFrontMatter(source, file);
  const meta = safeParse(articleFrontMatterSchema, data);
  if (!meta.success) {
    const issues = meta.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new ShopError('bad_request', `${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { details: { file, issues } });
  }
  if (body === '') {
    throw new ShopError('bad_request', `${file}: body: the article is empty`, { details: { file, issues: [{ path: 'body', message: 'the article is empty' }] } });
  }
  return { slug: docSlug, locale: m[2]!.toLowerCase() as Locale, title: meta.data.title, body, category: meta.data.category, tags: meta.data.tags };
}

/**
 * A JSON array of articles, or JSON Lines (one article per line; blank lines skipped).
 * Rows are numbered from 0 in an array and from 1 (the line) in JSONL.
 */
export function parseKnowledgeJson(source: string, file: string): KnowledgeInput[] {
  const trimmed = source.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new ShopError('bad_request', `${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new ShopError('bad_request', `${path.basename(file)}: expected a JSON array of knowledge`);
    return validateKnowledgeRecords(parsed.map((value, row) => ({ row, value })), file);
  }
  if (trimmed !== '' && !trimmed.startsWith('{')) {
    throw new ShopError('bad_request', `${path.basename(file)}: expected a JSON array of knowledge or JSON Lines`);
  }
  return validateKnowledgeRecords(parseJsonLines(source, file), file);
}

/** JSON Lines: each non-blank line one JSON value; a bad line is a `bad_request` naming it. */
export function parseJsonLines(source: string, file: string): Array<{ row: number; value: unknown }> {
  const records: Array<{ row: number; value: unknown }> = [];
  source
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        records.push({ row: i + 1, value: JSON.parse(line) as unknown });
      } catch (err) {
        throw new ShopError('bad_request', `${path.basename(file)} line ${i + 1} is not valid JSON: ${(err as Error).message}`, {
          details: { file, issues: [{ path: `line ${i + 1}`, message: 'not valid JSON' }] },
        });
      }
    });
  return records;
}

const listCell = (v: string | undefined): string[] =>
  (v ?? '')
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const optCell = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v);

/** CSV (or TSV) with columns slug, locale, title, body, category, tags (`a|b`), source (optional). Row numbers as a spreadsheet shows them. */
export function parseKnowledgeCsv(source: string, file: string, opts: { delimiter?: string } = {}): KnowledgeInput[] {
  const rows = parseCsvRecords(source, { delimiter: opts.delimiter, file: path.basename(file) });
  return validateKnowledgeRecords(
    rows.map((r, i) => ({
      row: i + 2,
      value: {
        slug: r['slug'],
        locale: r['locale'],
        title: r['title'],
        body: r['body'],
        category: r['category'],
        tags: listCell(r['tags']),
        ...(optCell(r['source']) !== undefined ? { source: r['source'] } : {}),
      },
    })),
    file,
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ShopError('bad_request', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Reads one file of articles by its extension: `.md` (one article), `.json` (array or
 * JSON Lines), `.jsonl`, `.csv`, `.tsv`. Every record is validated before any is returned;
 * a record without a `source` gets the file's name.
 */
export async function loadKnowledgeFile(file: string): Promise<KnowledgeInput[]> {
  const ext = path.extname(file).toLowerCase();
  if (!(KNOWLEDGE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new ShopError('bad_request', `unsupported file type "${ext}" for knowledge: use ${KNOWLEDGE_EXTENSIONS.join(', ')}`);
  }
  const source = await readText(file);
  let items: KnowledgeInput[];
  if (ext === '.md') items = [parseMarkdownArticle(source, file)];
  else if (ext === '.json') items = parseKnowledgeJson(source, file);
  else if (ext === '.jsonl') items = validateKnowledgeRecords(parseJsonLines(source, file), file);
  else items = parseKnowledgeCsv(source, file, { delimiter: ext === '.tsv' ? '\t' : ',' });
  return items.map((k) => ({ ...k, source: k.source ?? path.basename(file) }));
}

/** Every `<slug>.<en|zh>.md` article in a folder (not recursive), sorted by file name. */
export async function loadKnowledgeDir(dir: string): Promise<Array<KnowledgeInput & { file: string }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.md')).sort();
  } catch (err) {
    throw new ShopError('bad_request', `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const out: Array<KnowledgeInput & { file: string }> = [];
  for (const name of names) {
    const full = path.join(dir, name);
    out.push({ ...parseMarkdownArticle(await readText(full), full), file: full });
  }
  return out;
}
