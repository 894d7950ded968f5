import { ShopError } from '../store/index.js';

/**
 * RFC 4180 CSV (and TSV with `delimiter: '\t'`): quoted fields with doubled quotes,
 * delimiters and newlines inside quotes, CRLF or LF, an optional UTF-8 BOM.
 * Returns rows of strings; a quote left open is a `bad_request` naming the line.
 */
export function parseCsv(text: string, opts: { delimiter?: string } = {}): string[][] {
  const d = opts.delimiter ?? ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (ch === d) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      row.push(field);
      field = '';
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new ShopError('bad_request', `CSV: the quote opened on line ${quoteLine} is never closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Rows with a header line as objects keyed by the trimmed header names. */
export function parseCsvObjects(text: string, opts: { delimiter?: string } = {}): Array<Record<string, string>> {
  const rows = parseCsv(text, opts);
  const header = rows.shift();
  if (!header) return [];
  const names = header.map((h) => h.trim());
  return rows.map((r, idx) => {
    if (r.length !== names.length) {
      throw new ShopError('bad_request', `CSV row ${idx + 2}: expected ${names.length} fields, found ${r.length}`);
    }
    return Object.fromEntries(names.map((n, i) => [n, r[i]!]));
  });
}
