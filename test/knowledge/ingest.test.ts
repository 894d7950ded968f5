import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chunkArticle,
  loadKnowledgeDir,
  loadKnowledgeFile,
  parseKnowledgeCsv,
  parseKnowledgeJson,
  parseMarkdownArticle,
} from '../../knowledge/ingest/index.js';
import { isShopError } from '../../store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const md = (front: string, body: string) => `---\n${front}\n---\n\n${body}\n`;

async function failure(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('article loaders', () => {
  it('reads a Markdown article: slug and locale from the file name, metadata from the front matter', () => {
    const a = parseMarkdownArticle(md('title: Gift wrapping\ncategory: orders\ntags: [gift, "wrap"]', '# Gift wrapping\n\nWe wrap.'), 'k/gift-wrap.zh.md');
    expect(a).toEqual({ slug: 'gift-wrap', locale: 'zh', title: 'Gift wrapping', body: '# Gift wrapping\n\nWe wrap.', category: 'orders', tags: ['gift', 'wrap'] });
  });

  it('names the file and the field of a bad Markdown article', async () => {
    const noTitle = await failure(() => parseMarkdownArticle(md('category: orders', 'x'), 'k/a.en.md'));
    expect(isShopError(noTitle, 'bad_request')).toBe(true);
    expect(noTitle.message).toMatch(/k\/a\.en\.md: title/);
    expect((await failure(() => parseMarkdownArticle(md('title: A\ncategory: Bad Category', 'x'), 'a.en.md'))).message).toMatch(/category: expected a lower-case kebab-case slug/);
    expect((await failure(() => parseMarkdownArticle(md('title: A\ncategory: a', ''), 'a.en.md'))).message).toMatch(/body: the article is empty/);
    expect((await failure(() => parseMarkdownArticle(md('title: A\ncategory: a', 'x'), 'a.md'))).message).toMatch(/<slug>\.<en\|zh>\.md, got a\.md/);
  });

  it('reads a JSON array and JSON Lines, and names every bad row', async () => {
    const rec = (slug: string, extra: object = {}) => ({ slug, locale: 'en', title: 'T', body: 'B', category: 'c', ...extra });
    expect(parseKnowledgeJson(JSON.stringify([rec('a'), rec('b', { tags: ['x'] })]), 'k.json').map((k) => k.slug)).toEqual(['a', 'b']);
    expect(parseKnowledgeJson(`${JSON.stringify(rec('a'))}\n\n${JSON.stringify(rec('b'))}\n`, 'k.jsonl')).toHaveLength(2);
    const err = await failure(() => parseKnowledgeJson(`${JSON.stringify(rec('a'))}\n${JSON.stringify(rec('b', { locale: 'fr' }))}\n${JSON.stringify({ ...rec('c'), title: '' })}`, 'k.jsonl'));
    expect(err.message).toMatch(/nothing imported/);
    expect(err.message).toMatch(/row 2: locale/);
    expect(err.message).toMatch(/row 3: title/);
    expect((await failure(() => parseKnowledgeJson(`${JSON.stringify(rec('a'))}\n{oops`, 'k.jsonl'))).message).toMatch(/line 2 is not valid JSON/);
  });

  it('reads CSV with quoted multi-line bodies and |-separated tags, numbering rows as a spreadsheet does', async () => {
    const csv = 'slug,locale,title,body,category,tags\ngift-wrap,en,Gift wrapping,"We wrap, with ""care"".\n\nSecond paragraph.",orders,gift|wrap\n';
    expect(parseKnowledgeCsv(csv, 'k.csv')).toEqual([
      { slug: 'gift-wrap', locale: 'en', title: 'Gift wrapping', body: 'We wrap, with "care".\n\nSecond paragraph.', category: 'orders', tags: ['gift', 'wrap'] },
    ]);
    const bad = await failure(() => parseKnowledgeCsv(`${csv}x,de,T,B,c,\n`, 'k.csv'));
    expect(bad.message).toMatch(/row 3: locale/);
  });

  it('loads files by extension, fills in the source, and rejects other types', async () => {
    const jsonl = write('more.jsonl', `${JSON.stringify({ slug: 'a', locale: 'zh', title: '标题', body: '正文', category: 'c' })}\n`);
    expect(await loadKnowledgeFile(jsonl)).toEqual([{ slug: 'a', locale: 'zh', title: '标题', body: '正文', category: 'c', tags: [], source: 'more.jsonl' }]);
    expect((await failure(loadKnowledgeFile(write('x.xml', '<x/>')))).message).toMatch(/unsupported file type/);
    expect((await failure(loadKnowledgeFile(path.join(dir, 'missing.md')))).message).toMatch(/cannot read .*ENOENT/);
    const sub = path.join(dir, 'articles');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    writeFileSync(path.join(sub, 'b-thing.en.md'), md('title: B\ncategory: c', 'Body B'));
    writeFileSync(path.join(sub, 'a-thing.zh.md'), md('title: A\ncategory: c', 'Body A'));
    expect((await loadKnowledgeDir(sub)).map((a) => `${a.slug}.${a.locale}`)).toEqual(['a-thing.zh', 'b-thing.en']);
  });
});

const sentence = (i: number) => `Sentence number ${i} explains one more rule about returning items.`;

describe('chunkArticle', () => {
  it('splits by headings and carries the heading path; the title leads the indexed text', () => {
    const body = [
      '# Return policy',
      '',
      '## 7-day returns',
      '',
      Array.from({ length: 6 }, (_, i) => sentence(i)).join(' '),
      '',
      '## Quality problems',
      '',
      Array.from({ length: 6 }, (_, i) => sentence(i + 10)).join(' '),
    ].join('\n');
    const chunks = chunkArticle({ title: 'Return policy', body }, { maxChars: 500 });
    expect(chunks.map((c) => c.heading)).toEqual(['Return policy › 7-day returns', 'Return policy › Quality problems']);
    expect(chunks[1]!.headingPath).toEqual(['Return policy', 'Quality problems']);
    expect(chunks[1]!.indexText.startsWith('Return policy › Quality problems\n')).toBe(true);
    expect(chunks[1]!.text).toContain(sentence(10));
  });

  it('keeps a list whole and merges small neighbouring sections, keeping their headings as lines', () => {
    const list = ['- unused and unworn;', '- complete, with tags;', '- in the original box.'].join('\n');
    const body = `Intro line.\n\n## Conditions\n\n${list}\n\n## Shipping\n\nWe pay for faulty items.`;
    const chunks = chunkArticle({ title: 'Returns', body });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text).toContain(list);
    expect(chunks[0]!.text).toContain('## Shipping\n\nWe pay for faulty items.');
    expect(chunks[0]!.heading).toBe('Returns');
  });

  it('cuts a long section at sentence ends, within the limit, with an overlap so no sentence is lost', () => {
    const sentences = Array.from({ length: 40 }, (_, i) => sentence(i));
    const chunks = chunkArticle({ title: 'Long', body: `## Rules\n\n${sentences.join(' ')}` }, { maxChars: 400, overlapChars: 100 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(400 + 100 + 2);
    for (const s of sentences) expect(chunks.some((c) => c.text.includes(s))).toBe(true);
    for (let i = 1; i < chunks.length; i++) {
      const start = chunks[i]!.text.slice(0, 30);
      expect(chunks[i - 1]!.text).toContain(start);
      expect(chunks[i]!.heading).toBe('Long › Rules');
    }
  });

  it('splits Chinese, which has no spaces, on 。！？', () => {
    const zh = Array.from({ length: 30 }, (_, i) => `第${i}条：签收后七天内可以申请无理由退货，商品需要保持完好。`).join('');
    const chunks = chunkArticle({ title: '退货政策', body: zh }, { maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300 + 60 + 2);
      // Every chunk ends on a full sentence.
      expect(c.text.endsWith('。')).toBe(true);
    }
    expect(chunks.every((c) => c.indexText.startsWith('退货政策\n'))).toBe(true);
  });

  it('splits a table too long for one chunk by rows, repeating its header row', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `| ${i} | ${150 + i}/76A | ${148 + i}–${153 + i} cm |`);
    const table = ['| Size | Code | Height |', '|---|---|---|', ...rows].join('\n');
    const chunks = chunkArticle({ title: 'Sizes', body: table }, { maxChars: 400 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.text.startsWith('| Size | Code | Height |\n|---|---|---|\n')).toBe(true);
    for (const r of rows) expect(chunks.filter((c) => c.text.includes(r))).toHaveLength(1);
  });

  it('gives no chunks for an empty body', () => {
    expect(chunkArticle({ title: 'Empty', body: '   \n\n' })).toEqual([]);
  });
});
