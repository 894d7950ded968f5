/** Longest text the extractor reads; a pasted essay gets its first 2,000 characters looked at. */
export const MAX_ENTITY_CHARS = 2000;

/**
 * Folds full-width ASCII (Ｕ+FF01..FF5E) to ASCII and the ideographic space to a space,
 * one UTF-16 unit for one, so offsets found in the folded text are offsets in the original.
 */
export function foldWidth(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c === 0x3000) out += ' ';
    else out += text[i];
  }
  return out;
}

/** Caps a string without cutting a surrogate pair in half. */
export function capLength(text: string, max = MAX_ENTITY_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Escapes a literal for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A match of a global regex with its start; the helper keeps `exec` loops in one place. */
export function* matchAll(re: RegExp, text: string): Generator<RegExpExecArray> {
  const g = re.global ? re : new RegExp(re.source, re.flags + 'g');
  g.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = g.exec(text)) !== null) {
    if (m[0] === '') {
      g.lastIndex++;
      continue;
    }
    yield m;
  }
}

/** Latin letters and digits: a token edge is where one of these stops. */
export const WORD_BEFORE = '(?<![\\p{L}\\p{N}_])';
export const WORD_AFTER = '(?![\\p{L}\\p{N}_])';
/** Like the word edges, but CJK characters count as edges (so "L码" and "买M的" still work). */
export const LATIN_BEFORE = "(?<![A-Za-z0-9_'’])";
export const LATIN_AFTER = "(?![A-Za-z0-9_'’])";

// Where a sentence ends: the context of a number is its own sentence ("no. 5" and "U.S." do not end one).
const SENTENCE_END = /[!?;。！？；\n]/;
const isEnd = (text: string, i: number): boolean =>
  SENTENCE_END.test(text[i]!) || (text[i] === '.' && /\s/.test(text[i + 1] ?? ' ') && !/(?:no|nr|ord)$/i.test(text.slice(Math.max(0, i - 3), i)));

/** The sentence around text[start, end) (at most 200 characters either side), without text[start, end) itself. */
export function sentenceAround(text: string, start: number, end: number): string {
  let from = start;
  while (from > 0 && start - from < 200 && !isEnd(text, from - 1)) from--;
  let to = end;
  while (to < text.length && to - end < 200 && !isEnd(text, to)) to++;
  return `${text.slice(from, start)} ${text.slice(end, to)}`;
}
