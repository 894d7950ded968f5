/**
 * Splits an article into retrieval chunks: by headings, then paragraphs; lists, tables
 * and code blocks stay whole where they fit; small neighbouring sections are merged; a
 * section too long for one chunk is cut at sentence ends (。！？ for Chinese, which has
 * no spaces) with an overlap, so a fact on the cut still appears whole in one chunk.
 */

export interface ChunkOptions {
  /** Upper bound on a chunk's text (without the heading line); default 800. */
  maxChars?: number;
  /** Text repeated from the previous chunk of the same section; default 120. */
  overlapChars?: number;
  /** Sections shorter than this merge with a neighbour when both fit; default 200. */
  minChars?: number;
}

export interface ArticleChunk {
  /** 0-based position in the article. */
  index: number;
  /** Title first, then the headings above this chunk: ["Return policy", "Quality problems"]. */
  headingPath: string[];
  /** `headingPath` joined with " › ". */
  heading: string;
  /** The chunk's Markdown (headings of merged sections included as heading lines). */
  text: string;
  /** What gets embedded and indexed: the heading path (so the title) on its own line, then the text. */
  indexText: string;
}

/** Bump when the chunking changes, so saved vector indexes built with the old one are rebuilt. */
export const CHUNKER_VERSION = 'chunk-v1';

export const DEFAULT_CHUNK_OPTIONS: Required<ChunkOptions> = { maxChars: 800, overlapChars: 120, minChars: 200 };

interface Block {
  kind: 'paragraph' | 'list' | 'table' | 'code';
  text: string;
}

interface Section {
  /** Headings below the title, outermost first. */
  path: string[];
  level: number;
  blocks: Block[];
}

interface Piece {
  path: string[];
  level: number;
  text: string;
  /** A later piece of one long section: not merged across, it overlaps its predecessor. */
  continued: boolean;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+/;
const TABLE_ROW = /^\s*\|/;
const FENCE = /^\s*(```|~~~)/;

function normTitle(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

function blockKind(lines: string[]): Block['kind'] {
  if (FENCE.test(lines[0] ?? '')) return 'code';
  if (lines.every((l) => TABLE_ROW.test(l))) return 'table';
  if (LIST_ITEM.test(lines[0] ?? '')) return 'list';
  return 'paragraph';
}

/** Headings, blank-line separated blocks, fenced code kept whole; a loose list is one block. */
function parseSections(body: string, title: string): Section[] {
  const sections: Section[] = [{ path: [], level: 0, blocks: [] }];
  const stack: Array<{ level: number; text: string }> = [];
  let current = sections[0]!;
  let lines: string[] = [];
  let inFence = false;
  const flush = (): void => {
    if (lines.length === 0) return;
    const kind = blockKind(lines);
    const text = lines.join('\n').trim();
    lines = [];
    if (text === '') return;
    const prev = current.blocks[current.blocks.length - 1];
    // A list whose items are separated by blank lines is still one list.
    if (kind === 'list' && prev?.kind === 'list') prev.text += `\n${text}`;
    else current.blocks.push({ kind, text });
  };
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      if (!inFence) flush();
      lines.push(line);
      inFence = !inFence;
      if (!inFence) flush();
      continue;
    }
    if (inFence) {
      lines.push(line);
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      flush();
      const level = h[1]!.length;
      const text = h[2]!.trim();
      while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
      // The article's own H1 repeating its title is not a separate level.
      if (!(level === 1 && stack.length === 0 && normTitle(text) === normTitle(title))) stack.push({ level, text });
      current = { path: stack.map((s) => s.text), level, blocks: [] };
      sections.push(current);
      continue;
    }
    if (line.trim() === '') flush();
    else lines.push(line);
  }
  flush();
  return sections.filter((s) => s.blocks.length > 0);
}

const SENTENCE_END = /(?<=[.!?;])\s+|(?<=[。！？；])/u;

/** Sentences (or, for a run-on sentence, hard slices) of at most `max` characters. */
function sentences(text: string, max: number): string[] {
  const out: string[] = [];
  for (const s of text.split(SENTENCE_END)) {
    if (s === '') continue;
    if (s.length <= max) out.push(s);
    else for (let i = 0; i < s.length; i += max) out.push(s.slice(i, i + max));
  }
  return out;
}

/** Splits one too-long block: lists and tables by line (a table repeats its header), paragraphs by sentence. */
function splitBlock(block: Block, max: number): string[] {
  if (block.kind === 'list' || block.kind === 'table' || block.kind === 'code') {
    const rows = block.text.split('\n');
    const header = block.kind === 'table' && rows.length > 2 && /^[\s|:-]+$/.test(rows[1] ?? '') ? rows.slice(0, 2) : [];
    const body = rows.slice(header.length);
    const units: string[] = [];
    // Continuation lines of a list item stay with the item.
    for (const row of body) {
      if (block.kind === 'list' && units.length > 0 && !LIST_ITEM.test(row)) units[units.length - 1] += `\n${row}`;
      else units.push(row);
    }
    const prefix = header.length > 0 ? `${header.join('\n')}\n` : '';
    return greedy(
      units.flatMap((u) => (u.length > max - prefix.length ? sentences(u, Math.max(50, max - prefix.length)) : [u])),
      max - prefix.length,
      '\n',
    ).map((t) => prefix + t);
  }
  return greedy(sentences(block.text, max), max, isCjk(block.text) ? '' : ' ');
}

function isCjk(text: string): boolean {
  return /[\u3400-\u9fff]/u.test(text);
}

/** Packs units into strings of at most `max` characters, in order. */
function greedy(units: string[], max: number, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const u of units) {
    const next = cur === '' ? u : `${cur}${sep}${u}`;
    if (cur !== '' && next.length > max) {
      out.push(cur);
      cur = u;
    } else cur = next;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** The end of `text`, at most `n` characters, starting at a sentence or word boundary when one is near. */
function tail(text: string, n: number): string {
  if (n <= 0) return '';
  // Lists and tables overlap by whole lines only: a table chunk repeats its header
  // instead, a list chunk repeats the previous item when it is short enough.
  const lastLine = text.slice(text.lastIndexOf('\n') + 1);
  if (TABLE_ROW.test(lastLine)) return '';
  if (LIST_ITEM.test(lastLine)) return lastLine.length <= n ? lastLine : '';
  if (text.length <= n) return text;
  const cut = text.slice(text.length - n);
  const sentence = /[.!?。！？；;]\s*/u.exec(cut);
  if (sentence && sentence.index + sentence[0].length < cut.length - 10) return cut.slice(sentence.index + sentence[0].length).trim();
  const space = cut.search(/\s/);
  if (space >= 0 && space < cut.length - 10) return cut.slice(space + 1).trim();
  return cut.trim();
}

function sectionPieces(section: Section, opts: Required<ChunkOptions>): Piece[] {
  const max = opts.maxChars;
  const units = section.blocks.flatMap((b) => (b.text.length > max ? splitBlock(b, max) : [b.text]));
  const packed = greedy(units, max, '\n\n');
  return packed.map((text, i) => {
    if (i === 0) return { path: section.path, level: section.level, text, continued: false };
    const overlap = TABLE_ROW.test(text) ? '' : tail(packed[i - 1]!, Math.min(opts.overlapChars, Math.floor(max / 4)));
    return { path: section.path, level: section.level, text: overlap === '' ? text : `${overlap}\n\n${text}`, continued: true };
  });
}

function commonPrefix(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) out.push(a[i]!);
  return out;
}

interface Group {
  path: string[];
  parts: Piece[];
}

function renderGroup(g: Group): string {
  return g.parts
    .map((p) => {
      // A merged section keeps its own heading as a line, so its text still reads in context.
      if (p.path.length > g.path.length && !p.continued) return `${'#'.repeat(Math.max(2, p.level))} ${p.path[p.path.length - 1]}\n\n${p.text}`;
      return p.text;
    })
    .join('\n\n');
}

/** Splits `doc` into chunks; see the module comment. An empty body gives no chunks. */
export function chunkArticle(doc: { title: string; body: string }, options: ChunkOptions = {}): ArticleChunk[] {
  const opts = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  if (!(opts.maxChars >= 100)) throw new RangeError(`chunkArticle: maxChars must be at least 100, got ${opts.maxChars}`);
  const title = doc.title.trim();
  const pieces = parseSections(doc.body, title).flatMap((s) => sectionPieces(s, opts));
  const groups: Group[] = [];
  for (const piece of pieces) {
    const last = groups[groups.length - 1];
    if (last && !piece.continued) {
      const prefix = commonPrefix(last.path, piece.path);
      const merged: Group = { path: prefix, parts: [...last.parts, piece] };
      const lastText = renderGroup(last);
      const small = lastText.length < opts.minChars || piece.text.length < opts.minChars;
      if (small && renderGroup(merged).length <= opts.maxChars) {
        groups[groups.length - 1] = merged;
        continue;
      }
    }
    groups.push({ path: piece.path, parts: [piece] });
  }
  return groups.map((g, index) => {
    const headingPath = [title, ...g.path];
    const heading = headingPath.join(' › ');
    const text = renderGroup(g);
    return { index, headingPath, heading, text, indexText: `${heading}\n${text}` };
  });
}
