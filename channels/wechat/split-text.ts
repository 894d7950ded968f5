/** WeChat's limit on a customer-service text message: 2048 bytes of UTF-8 (errcode 45002 beyond). */
export const TEXT_MAX_BYTES = 2048;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Sentence ends that need no space after them (CJK) and those that do (Latin). */
const CJK_STOPS = '。！？；…';
const LATIN_STOPS = '.!?;';

/**
 * Splits text into parts of at most `maxBytes` UTF-8 bytes, preferring to break at a
 * newline, then after a sentence, then at a space, so each message reads on its own; a
 * part is cut mid-word only when there is no such boundary, and never inside a character
 * (a whole grapheme: emoji with modifiers stay together). Whitespace around the cuts and
 * at both ends is dropped: a chat message does not need it.
 */
export function splitText(text: string, maxBytes: number = TEXT_MAX_BYTES): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) throw new RangeError('maxBytes must be an integer of at least 4');
  const parts: string[] = [];
  let rest = text.trim();
  while (utf8(rest) > maxBytes) {
    const prefix = longestPrefix(rest, maxBytes);
    const cut = breakPoint(rest, prefix.length) ?? prefix.length;
    const head = rest.slice(0, cut).trimEnd();
    if (head) parts.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The longest run of whole graphemes that fits; at least one code point, so splitting always advances. */
function longestPrefix(s: string, maxBytes: number): string {
  let end = 0;
  let bytes = 0;
  for (const { segment } of graphemes.segment(s)) {
    const b = utf8(segment);
    if (bytes + b > maxBytes) break;
    bytes += b;
    end += segment.length;
  }
  if (end === 0) {
    // A single grapheme larger than the limit (absurd, but possible): fall back to code points.
    for (const cp of s) {
      if (bytes + utf8(cp) > maxBytes) break;
      bytes += utf8(cp);
      end += cp.length;
    }
  }
  return s.slice(0, end);
}

/**
 * Where to break within the first `limit` code units of `s`: the best boundary in the
 * second half of the part, else the best anywhere, else none (cut hard).
 */
function breakPoint(s: string, limit: number): number | undefined {
  const candidates = [lastNewline(s, limit), lastSentenceEnd(s, limit), lastSpace(s, limit)];
  for (const min of [limit / 2, 1]) {
    for (const c of candidates) if (c !== undefined && c >= min) return c;
  }
  return undefined;
}

function lastNewline(s: string, limit: number): number | undefined {
  const i = s.lastIndexOf('\n', limit - 1);
  return i >= 0 ? i + 1 : undefined;
}

function lastSentenceEnd(s: string, limit: number): number | undefined {
  for (let i = limit - 1; i >= 0; i--) {
    const ch = s[i] ?? '';
    if (CJK_STOPS.includes(ch)) return i + 1;
    // "3.14" and "e.g.x" are not sentence ends: a Latin stop needs whitespace (or the end) after it.
    if (LATIN_STOPS.includes(ch) && (i + 1 >= s.length || /\s/.test(s[i + 1] ?? ''))) return i + 1;
  }
  return undefined;
}

function lastSpace(s: string, limit: number): number | undefined {
  for (let i = limit - 1; i >= 0; i--) if (/\s/.test(s[i] ?? '')) return i + 1;
  return undefined;
}
