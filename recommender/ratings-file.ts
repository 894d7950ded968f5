import { readFile } from 'node:fs/promises';
import { parseCsvRows } from '../knowledge/index.js';
import { ShopError } from '../store/index.js';
import type { Rating } from './types.js';

export interface ReadRatingsOptions {
  /** `skip` (default) reports a bad row and goes on; `stop` fails on the first one. */
  onBadRow?: 'skip' | 'stop';
}

export interface SkippedRow {
  /** 1-based line of the file, as an editor shows it. */
  line: number;
  reason: string;
}

export interface RatingsFile {
  ratings: Rating[];
  skipped: SkippedRow[];
  /** Whether the first row was a header (its rating column is not a number). */
  header: boolean;
  delimiter: ',' | '\t';
}

/** A plain decimal number: no hex, no `Infinity`, no empty string (which `Number` reads as 0). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/**
 * Numeric timestamps below this are seconds, at or above it milliseconds: 1e11 seconds is the
 * year 5138, 1e11 milliseconds is March 1973, so real data of either kind falls on its side.
 */
const MS_THRESHOLD = 1e11;

/** Tab-separated when the first non-blank line has more tabs than commas. */
function detectDelimiter(text: string): ',' | '\t' {
  const first = text.split(/\r?\n/, 50).find((l) => l.trim() !== '') ?? '';
  let tabs = 0;
  let commas = 0;
  for (const ch of first) {
    if (ch === '\t') tabs++;
    else if (ch === ',') commas++;
  }
  return tabs > commas ? '\t' : ',';
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch from seconds, milliseconds or an ISO 8601 date; undefined for an
 * empty cell; a string (the reason) when the value is not a time. An ISO time without a zone
 * is read as UTC, so a file means the same on every machine.
 */
export function parseTimestamp(raw: string): number | undefined | string {
  const s = raw.trim();
  if (s === '') return undefined;
  if (DECIMAL.test(s)) {
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) return `timestamp "${raw}" is not a time`;
    return n < MS_THRESHOLD ? n * 1000 : n;
  }
  const m = ISO_DATE.exec(s);
  if (!m) return `timestamp "${raw}" is neither seconds, milliseconds nor an ISO date`;
  const [, y, mo, d, hh, mm, ss, zone] = m;
  const month = Number(mo);
  if (month < 1 || month > 12 || Number(d) < 1 || Number(d) > daysInMonth(Number(y), month)) return `timestamp "${raw}" is not a calendar date`;
  if (hh !== undefined && (Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? 0) > 59)) return `timestamp "${raw}" is not a time of day`;
  const iso = s.replace(' ', 'T') + (hh !== undefined && zone === undefined ? 'Z' : '');
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : `timestamp "${raw}" is not a time`;
}

/** One data row to a rating, or the reason it is bad. */
function toRating(cells: string[]): Rating | string {
  if (cells.length < 3) return `expected user, item, rating[, timestamp]: found ${cells.length} column${cells.length === 1 ? '' : 's'}`;
  if (cells.length > 4) return `expected at most 4 columns (user, item, rating, timestamp): found ${cells.length}`;
  const user = cells[0]!.trim();
  const item = cells[1]!.trim();
  const rawRating = cells[2]!.trim();
  if (user === '') return 'empty user id';
  if (item === '') return 'empty item id';
  if (!DECIMAL.test(rawRating)) return `rating "${cells[2]}" is not a number`;
  const rating = Number(rawRating);
  if (!Number.isFinite(rating)) return `rating "${cells[2]}" is not finite`;
  const ts = cells.length === 4 ? parseTimestamp(cells[3]!) : undefined;
  if (typeof ts === 'string') return ts;
  return ts === undefined ? { user, item, rating } : { user, item, rating, ts };
}

/**
 * Reads a ratings file: CSV or TSV (detected from the first line), with or without a header
 * (detected: the first row's rating column is not a number nor its timestamp a time), columns user, item, rating and an
 * optional timestamp (seconds or milliseconds since the epoch, or an ISO date). Bad rows are
 * reported with their line and skipped, or with `onBadRow: 'stop'` fail the read; a file with
 * no good row is an error. NaN and Infinity never come out of it.
 */
export async function readRatingsFile(file: string, opts: ReadRatingsOptions = {}): Promise<RatingsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShopError(code === 'ENOENT' ? 'not_found' : 'bad_request', `${file}: cannot read the ratings file (${code ?? String(err)})`, { cause: err });
  }
  return parseRatings(text, { ...opts, file });
}

/** `readRatingsFile` on text already in memory; `file` names it in errors. */
export function parseRatings(text: string, opts: ReadRatingsOptions & { file?: string } = {}): RatingsFile {
  const name = opts.file ?? 'ratings';
  const stop = opts.onBadRow === 'stop';
  const delimiter = detectDelimiter(text);
  const rows = parseCsvRows(text, { delimiter, ...(opts.file ? { file: opts.file } : {}) });
  if (rows.length === 0) throw new ShopError('bad_request', `${name}: the file is empty: expected rows of user, item, rating[, timestamp]`);
  const first = rows[0]!.cells;
  // A header names its columns: the rating is not a number, nor (when present) the timestamp a
  // time. "1,7,NaN,964982703" is a bad data row on line 1, not a header.
  const header = first.length >= 3 && !DECIMAL.test(first[2]!.trim()) && (first.length < 4 || typeof parseTimestamp(first[3]!) === 'string');
  const ratings: Rating[] = [];
  const skipped: SkippedRow[] = [];
  for (let k = header ? 1 : 0; k < rows.length; k++) {
    const row = rows[k]!;
    const r = toRating(row.cells);
    if (typeof r === 'string') {
      if (stop) throw new ShopError('bad_request', `line ${row.line}: ${r}`, { details: { file: name, line: row.line } });
      skipped.push({ line: row.line, reason: r });
    } else ratings.push(r);
  }
  if (ratings.length === 0) {
    if (skipped.length === 0) throw new ShopError('bad_request', `${name}: no ratings: the file has only a header`);
    const firstBad = skipped[0]!;
    throw new ShopError('bad_request', `${name}: no valid ratings: all ${skipped.length} rows are bad (line ${firstBad.line}: ${firstBad.reason})`, {
      details: { skipped: skipped.slice(0, 20) },
    });
  }
  return { ratings, skipped, header, delimiter };
}

/**
 * Item texts for the content-based models: a CSV or TSV whose first column is the item id and
 * whose other columns (title, genres, description...) are joined into the text, such as
 * MovieLens's movies.csv. The first row is a header when its id is not one of `knownItems`
 * (the items of the ratings). Rows without an id or text are skipped.
 */
export async function readItemTexts(file: string, knownItems: ReadonlySet<string>): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShopError(code === 'ENOENT' ? 'not_found' : 'bad_request', `${file}: cannot read the item texts (${code ?? String(err)})`, { cause: err });
  }
  const rows = parseCsvRows(text, { delimiter: detectDelimiter(text), file });
  const header = !knownItems.has(rows[0]?.cells[0]?.trim() ?? '');
  const out = new Map<string, string>();
  for (const { cells } of rows.slice(header ? 1 : 0)) {
    const id = cells[0]!.trim();
    const body = cells
      .slice(1)
      .map((c) => c.trim())
      .filter(Boolean)
      .join(' ');
    if (id && body) out.set(id, body);
  }
  if (out.size === 0) throw new ShopError('bad_request', `${file}: no item texts: expected rows of item id, text...`);
  return out;
}
