import { ShopError } from '../../store/index.js';

/** One CSV record and the line it starts on (1-based, as an editor shows it). */
export interface CsvRow {
  line: number;
  cells: string[];
}

export interface CsvOptions {
  /** `,` by default; `\t` for TSV. */
  delimiter?: string;
  /** Named in error messages. */
  file?: string;
}

/**
 * The project's one CSV reader (imports, knowledge files, intent examples): RFC 4180 quoted
 * fields with doubled quotes, delimiters and newlines inside quotes, CRLF or LF, an optional
 * UTF-8 BOM. Blank lines are skipped. A quote left open is a `bad_request` naming its line.
 */
export function parseCsvRows(text: string, opts: CsvOptions = {}): CsvRow[] {
  const d = opts.delimiter ?? ',';
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 0;
  const endRow = () => {
    cells.push(field);
    field = '';
    if (!(cells.length === 1 && cells[0]!.trim() === '')) rows.push({ line: rowLine, cells });
    cells = [];
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (ch === d) {
      cells.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      endRow();
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
      rowLine = line;
    } else field += ch;
    i++;
  }
  if (quoted) {
    const where = opts.file ? `${opts.file}:${quoteLine}: ` : '';
    throw new ShopError('bad_request', `${where}CSV: the quote opened on line ${quoteLine} is never closed`);
  }
  if (field !== '' || cells.length > 0) endRow();
  return rows;
}

/** The rows' cells only. */
export function parseCsv(text: string, opts: CsvOptions = {}): string[][] {
  return parseCsvRows(text, opts).map((r) => r.cells);
}

/** Rows as objects keyed by the trimmed header names; a ragged row is an error with its row number. */
export function parseCsvRecords(text: string, opts: CsvOptions = {}): Array<Record<string, string>> {
  const where = opts.file ? `${opts.file}: ` : '';
  const rows = parseCsv(text, opts);
  const header = rows.shift();
  if (!header) return [];
  const names = header.map((h) => h.trim());
  return rows.map((r, idx) => {
    if (r.length !== names.length) {
      throw new ShopError('bad_request', `${where}CSV row ${idx + 2}: expected ${names.length} fields, found ${r.length}`);
    }
    return Object.fromEntries(names.map((n, j) => [n, r[j]!]));
  });
}
