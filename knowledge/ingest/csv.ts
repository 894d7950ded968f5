import { ShopError } from '../../store/index.js';

/**
 * RFC 4180 CSV rows as objects keyed by the trimmed header names: quoted fields with
 * doubled quotes, delimiters and newlines inside quotes, CRLF or LF, an optional BOM.
 * (knowledge/ cannot import app/, so the importer's reader has this small twin here.)
 */
export function parseCsvRecords(text: string, opts: { delimiter?: string; file?: string } = {}): Array<Record<string, string>> {
  const d = opts.delimiter ?? ',';
  const where = opts.file ? `${opts.file}: ` : '';
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
  if (quoted) throw new ShopError('bad_request', `${where}CSV: the quote opened on line ${quoteLine} is never closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
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
