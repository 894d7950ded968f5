import { ShopError } from '../../store/index.js';

/** One problem found in a file: where (a field, a line) and what. */
export interface IngestIssue {
  path: string;
  message: string;
}

function bad(file: string, issue: IngestIssue): ShopError {
  return new ShopError('bad_request', `${file}: ${issue.path}: ${issue.message}`, { details: { file, issues: [issue] } });
}

/**
 * Reads the small front matter block the knowledge articles use: `key: value` lines and
 * `[a, b]` lists between `---` fences. Deliberately tiny (no YAML dependency); anything
 * else is a `bad_request` naming the file and line (details: `{ file, issues }`).
 */
export function parseFrontMatter(source: string, file: string): { data: Record<string, string | string[]>; body: string } {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') throw bad(file, { path: 'front matter', message: 'the file must start with a --- line' });
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) throw bad(file, { path: 'front matter', message: 'no closing --- line' });
  // No prototype: a key such as `constructor` or `toString` is the article's own field, nothing inherited.
  const data = Object.create(null) as Record<string, string | string[]>;
  for (let i = 1; i < end; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^([A-Za-z][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (!m) throw bad(file, { path: `front matter line ${i + 1}`, message: `expected "key: value", got "${line}"` });
    const key = m[1] ?? '';
    const value = (m[2] ?? '').trim();
    // Own keys only: `key in {}` is true for `constructor` or `toString` (issue 14).
    if (Object.hasOwn(data, key)) throw bad(file, { path: key, message: 'appears twice in the front matter' });
    data[key] =
      value.startsWith('[') && value.endsWith(']')
        ? value
            .slice(1, -1)
            .split(',')
            .map((v) => unquote(v.trim()))
            .filter((v) => v !== '')
        : unquote(value);
  }
  return { data, body: lines.slice(end + 1).join('\n').trim() };
}

function unquote(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] ? v.slice(1, -1) : v;
}
