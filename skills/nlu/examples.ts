import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCsvRows } from '../../knowledge/index.js';
import { ShopError } from '../../store/index.js';

/** The label of everything the shop cannot answer; eval sets that say `oos` mean the same. */
export const OUT_OF_SCOPE = 'out_of_scope';

/** One labelled training or test sentence, with where it came from (for error messages). */
export interface IntentExample {
  text: string;
  intent: string;
  /** `file:line` of the row. */
  source?: string;
}

const INTENT_NAME = /^[a-z][a-z0-9_]*$/;

/** `oos` (CLINC-style eval files) and `out_of_scope` are one label. */
export function canonicalIntent(label: string): string {
  const l = label.trim().toLowerCase();
  return l === 'oos' ? OUT_OF_SCOPE : l;
}

/**
 * Parses `text,intent` CSV (RFC 4180 quoting, header line required). Errors name the file
 * and the line, so a typo in a hand-written data file is found at once.
 */
export function parseIntentCsv(content: string, file: string): IntentExample[] {
  const rows = parseCsvRows(content, { file });
  const header = rows.shift();
  if (!header) throw new ShopError('bad_request', `${file}: empty file, expected a header line "text,intent"`);
  const cols = header.cells.map((c) => c.trim().toLowerCase());
  const textCol = cols.indexOf('text');
  const intentCol = cols.indexOf('intent');
  if (textCol === -1 || intentCol === -1) {
    throw new ShopError('bad_request', `${file}:${header.line}: header must name the columns "text" and "intent", got "${header.cells.join(',')}"`);
  }
  const out: IntentExample[] = [];
  for (const row of rows) {
    if (row.cells.length !== cols.length) {
      throw new ShopError('bad_request', `${file}:${row.line}: expected ${cols.length} columns, got ${row.cells.length} (quote a text that contains a comma)`);
    }
    const text = (row.cells[textCol] ?? '').trim();
    const intent = canonicalIntent(row.cells[intentCol] ?? '');
    if (text === '') throw new ShopError('bad_request', `${file}:${row.line}: empty text`);
    if (!INTENT_NAME.test(intent)) {
      throw new ShopError('bad_request', `${file}:${row.line}: intent "${row.cells[intentCol] ?? ''}" is not a snake_case name`);
    }
    out.push({ text, intent, source: `${file}:${row.line}` });
  }
  return out;
}

/** Loads one CSV file, or every `*.csv` in a folder (sorted by name, so order is stable). */
export async function loadIntentExamples(fileOrDir: string): Promise<IntentExample[]> {
  let info;
  try {
    info = await stat(fileOrDir);
  } catch (cause) {
    throw new ShopError('bad_request', `intent examples: cannot read ${fileOrDir}`, { cause });
  }
  const files = info.isDirectory()
    ? (await readdir(fileOrDir))
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => path.join(fileOrDir, f))
    : [fileOrDir];
  if (files.length === 0) throw new ShopError('bad_request', `intent examples: no .csv file in ${fileOrDir}`);
  const out: IntentExample[] = [];
  for (const file of files) out.push(...parseIntentCsv(await readFile(file, 'utf8'), file));
  if (out.length === 0) throw new ShopError('bad_request', `intent examples: ${fileOrDir} holds no examples`);
  return out;
}

/** A stable hash of the examples (order-independent), for the model fingerprint. */
export function hashExamples(examples: IntentExample[]): string {
  const lines = examples.map((e) => `${e.intent}\t${e.text}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

