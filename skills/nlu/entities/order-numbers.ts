/**
 * How this shop's order numbers look (ORDER_NUMBER_PATTERN): a small regular expression,
 * checked once so it can never make a message slow to read (no nested or unbounded
 * repetition, no look-arounds or back-references), with an example for the shopper.
 */

/** Plain data (it travels in dialog state): compile with `isOrderNumber`. */
export interface OrderNumberFormat {
  /** The pattern an order number matches in full, as configured (no ^ or $), letters case-insensitive. */
  source: string;
  /** An order number in this format, for "ours look like SA100123" (ORDER_NUMBER_EXAMPLE, else made from the pattern). */
  example: string;
  /**
   * Letters order numbers start with ("SA"), so "order 100123" reads as SA100123; '' when there are none.
   * With several patterns: the first pattern's letters that has any.
   */
  prefix: string;
  /**
   * The patterns one by one, when ORDER_NUMBER_PATTERN lists several (`source` is then their
   * alternation); absent for a single pattern.
   */
  patterns?: string[];
}

/** The demo shop's order numbers: "SA" and six digits. */
export const DEFAULT_ORDER_NUMBER_SOURCE = 'SA\\d{6}';
/** Longest single pattern. */
export const MAX_ORDER_NUMBER_PATTERN_CHARS = 100;
/** Most patterns ORDER_NUMBER_PATTERN may list (a shop has one or two formats, rarely more). */
export const MAX_ORDER_NUMBER_PATTERNS = 8;
/** Longest order number the format may describe (and the extractor reads). */
export const MAX_ORDER_NUMBER_CHARS = 40;

const compiled = new Map<string, RegExp>();

/** The whole-value matcher of a format (cached by source). */
function matcher(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`, 'i');
    if (compiled.size > 50) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

/** `value` is an order number of this format (letters in any case). */
export function isOrderNumber(format: Pick<OrderNumberFormat, 'source'>, value: string): boolean {
  return value.length > 0 && value.length <= MAX_ORDER_NUMBER_CHARS && matcher(format.source).test(value);
}

/**
 * A format from a RegExp written in code (tests, embedders); not checked like the setting.
 * Its flags are ignored: letters always match in any case.
 */
export function formatFromRegExp(pattern: RegExp): OrderNumberFormat {
  const source = stripAnchors(pattern.source);
  return { source, example: exampleOf(source) ?? '', prefix: prefixOf(source) };
}

/**
 * ORDER_NUMBER_PATTERN (and ORDER_NUMBER_EXAMPLE) as a format; a string says what is wrong.
 * The setting may list several patterns, separated by a comma or a "|" outside any group,
 * class or {m,n} ("SA\d{6},\d{8,20}"); each is checked on its own, and a number is an order
 * number when it matches any of them in full. A leading ^ and a trailing $ are allowed on each
 * and dropped. The example shown to shoppers is ORDER_NUMBER_EXAMPLE (which must match one of
 * the patterns), else one made from the first pattern.
 */
export function parseOrderNumberFormat(pattern: string, example?: string): OrderNumberFormat | string {
  const raw = String(pattern ?? '').trim();
  if (raw === '') return 'is empty: give a regular expression such as SA\\d{6}';
  const parts = splitPatterns(raw);
  if (parts.length > MAX_ORDER_NUMBER_PATTERNS) return `lists ${parts.length} patterns; at most ${MAX_ORDER_NUMBER_PATTERNS}`;
  if (parts.length === 1) return parseOne(raw, example);
  const given = example?.trim();
  const formats: OrderNumberFormat[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '') return `has an empty pattern (number ${i + 1}): separate patterns with one comma or "|", e.g. SA\\d{6},\\d{8,20}`;
    // The shopper-facing example may belong to any one pattern; the others make their own.
    const own = given !== undefined && given !== '' && matchesSingle(part, given) ? given : undefined;
    const f = parseOne(part, own);
    if (typeof f === 'string') return `pattern ${i + 1} (${JSON.stringify(part)}) ${f}`;
    formats.push(f);
  }
  const sources = formats.map((f) => f.source);
  const source = sources.map((s) => `(?:${s})`).join('|');
  if (given && !isOrderNumber({ source }, given)) {
    return `does not match ORDER_NUMBER_EXAMPLE ${JSON.stringify(given)}: the example must be one of your order numbers`;
  }
  return {
    source,
    example: given ? given.toUpperCase() : formats[0]!.example,
    prefix: formats.find((f) => f.prefix !== '')?.prefix ?? '',
    patterns: sources,
  };
}

/** `value` matches `pattern` in full, or false when the pattern is not (yet) a valid one. */
function matchesSingle(pattern: string, value: string): boolean {
  try {
    return isOrderNumber({ source: stripAnchors(pattern) }, value);
  } catch {
    return false;
  }
}

/**
 * The patterns of the setting: split at a comma or "|" that is not escaped and not inside
 * (…), […] or a {m,n} repetition. A "|" at the top level is an alternation anyway, so reading
 * it as a separator changes no pattern's meaning.
 */
export function splitPatterns(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (raw[j] === '^') j++;
      if (raw[j] === ']') j++;
      while (j < raw.length && raw[j] !== ']') j += raw[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (c === '{') {
      const q = /^\{\d+(?:,\d*)?\}/.exec(raw.slice(i));
      if (q) i += q[0].length - 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ',' || c === '|')) {
      out.push(raw.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(raw.slice(from).trim());
  return out;
}

/** One pattern of the setting, checked as ORDER_NUMBER_PATTERN always was. */
function parseOne(raw: string, example?: string): OrderNumberFormat | string {
  if (raw.length > MAX_ORDER_NUMBER_PATTERN_CHARS) return `is ${raw.length} characters long; at most ${MAX_ORDER_NUMBER_PATTERN_CHARS} (an order number pattern is short, e.g. SA\\d{6} or \\d{10,12})`;
  const source = stripAnchors(raw);
  const unsafe = unsafeConstruct(source);
  if (unsafe) return unsafe;
  try {
    matcher(source);
  } catch (err) {
    return `is not a valid regular expression (${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)})`;
  }
  if (isOrderNumber({ source }, '') || matcher(source).test('')) return 'matches an empty text; an order number needs at least a few characters';
  const given = example?.trim();
  const sample = given || exampleOf(source);
  if (!sample) return 'is too unusual to make an example order number from: set ORDER_NUMBER_EXAMPLE to one of your order numbers';
  if (!isOrderNumber({ source }, sample)) {
    return given
      ? `does not match ORDER_NUMBER_EXAMPLE ${JSON.stringify(given)}: the example must be one of your order numbers`
      : 'is too unusual to make an example order number from: set ORDER_NUMBER_EXAMPLE to one of your order numbers';
  }
  if ((sample.match(/\d/g) ?? []).length < 3) return `describes order numbers with fewer than 3 digits (e.g. ${JSON.stringify(sample)}); they could not be told apart from other words`;
  if (sample.length > MAX_ORDER_NUMBER_CHARS) return `describes order numbers longer than ${MAX_ORDER_NUMBER_CHARS} characters`;
  return { source, example: sample.toUpperCase(), prefix: prefixOf(source) };
}

/** The letter prefixes of a format's patterns ("SA" of SA\d{6}), first pattern first, none empty. */
export function prefixesOf(format: OrderNumberFormat): string[] {
  const all = format.patterns ? format.patterns.map(prefixOf) : [format.prefix];
  return [...new Set([format.prefix, ...all].filter((p) => p !== ''))];
}

export const DEFAULT_ORDER_NUMBER_FORMAT: OrderNumberFormat = parseOrderNumberFormat(DEFAULT_ORDER_NUMBER_SOURCE) as OrderNumberFormat;

function stripAnchors(source: string): string {
  let s = source;
  if (s.startsWith('^')) s = s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1);
  return s;
}

/** The literal letters the pattern starts with ("SA" of SA\d{6}); '' when it starts otherwise. */
function prefixOf(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (!/[A-Za-z]/.test(c)) break;
    if (/[?*+{]/.test(source[i + 1] ?? '')) break;
    out += c;
  }
  return out.toUpperCase();
}

const MAX_VARYING = 4;

interface Frame {
  /** Holds a repetition whose count varies (?, *, +, {m,n}). */
  variable: boolean;
  alternation: boolean;
}

/**
 * What makes a pattern unsafe or unsupported, or undefined: look-arounds, back-references,
 * anchors inside, and a group repeated more than once that branches or repeats a varying
 * number of times inside ((\d+)+, (a|ab)*, (\d{1,4})*: catastrophic backtracking). A group
 * with fixed counts inside may repeat ((\d{4}-){2}); an optional group is fine ((-\d{2})?).
 */
function unsafeConstruct(source: string): string | undefined {
  const stack: Frame[] = [{ variable: false, alternation: false }];
  let varying = 0;
  // What the next quantifier applies to: a group's frame, an atom, or nothing yet.
  let last: Frame | 'atom' | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return 'uses a back-reference (\\1, \\k<name>), which order numbers do not need';
      if (n === 'b' || n === 'B') return 'uses a word boundary (\\b); the whole order number is matched anyway, leave it out';
      i += 1;
      last = 'atom';
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
      last = 'atom';
      continue;
    }
    if (c === '(') {
      if (/^\(\?(?:=|!|<=|<!)/.test(source.slice(i))) return 'uses a look-ahead or look-behind ((?=, (?!, (?<=, (?<!), which order numbers do not need';
      stack.push({ variable: false, alternation: false });
      if (source[i + 1] === '?') {
        // (?:…) or (?<name>…): skip to the group's content.
        const named = /^\(\?<[A-Za-z_][A-Za-z0-9_]*>/.exec(source.slice(i));
        i += named ? named[0].length - 1 : 2;
      }
      last = undefined;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'has a ")" without its "("';
      const closed = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      parent.variable ||= closed.variable;
      parent.alternation ||= closed.alternation;
      last = closed;
      continue;
    }
    if (c === '|') {
      top.alternation = true;
      last = undefined;
      continue;
    }
    if (c === '^' || c === '$') return `uses "${c}" inside the pattern; only a leading ^ and a trailing $ are allowed`;
    const q = /^(?:([*+?])|\{(\d+)(,(\d*))?\})\??/.exec(source.slice(i));
    if (q) {
      if (last === undefined) return `has a repetition "${q[0]}" with nothing to repeat`;
      const min = q[1] === '+' ? 1 : q[1] !== undefined ? 0 : Number(q[2]);
      const max = q[1] === '*' || q[1] === '+' ? Infinity : q[1] === '?' ? 1 : q[3] === undefined ? min : q[4] === '' ? Infinity : Number(q[4]);
      if (max < min) return `has a repetition "${q[0]}" whose maximum is below its minimum`;
      if (last !== 'atom' && max > 1 && (last.variable || last.alternation)) {
        return 'repeats a group that itself branches or repeats a varying number of times (like (\\d+)+ or (a|ab)*), which can make matching extremely slow; write the repetition once, e.g. SA\\d{6} or [A-Z]{2}-\\d{8}';
      }
      if (min !== max) {
        top.variable = true;
        // Several varying repetitions in a row (\d*\d*\d*…) backtrack polynomially: keep them few.
        if (++varying > MAX_VARYING) return `has more than ${MAX_VARYING} repetitions of varying length (?, *, +, {m,n}); order numbers need one or two`;
      }
      i += q[0].length - 1;
      last = undefined;
      continue;
    }
    last = 'atom';
  }
  if (stack.length > 1) return 'has a "(" without its ")"';
  return undefined;
}

/**
 * A plausible order number in the format: digits count up from 100123…, a class gives its
 * first character, a group its first branch, repetition its usual count (6 when open). Undefined
 * when the pattern uses something this does not follow (the caller then asks for an example).
 */
export function exampleOf(source: string): string | undefined {
  const digits = '1001234567890123456789012345678901234567890';
  let d = 0;
  let i = 0;
  type Gen = () => string;
  const digit: Gen = () => digits[d++ % digits.length]!;

  function alternatives(): Gen | undefined {
    const first = sequence();
    if (!first) return undefined;
    while (source[i] === '|') {
      i++;
      if (!sequence()) return undefined;
    }
    return first;
  }
  function sequence(): Gen | undefined {
    const parts: Gen[] = [];
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const a = atom();
      if (!a) return undefined;
      const times = count();
      if (times === undefined) return undefined;
      for (let k = 0; k < times; k++) parts.push(a);
    }
    return () => parts.map((p) => p()).join('');
  }
  function count(): number | undefined {
    const q = /^(?:([*+?])|\{(\d+)(,(\d*))?\})\??/.exec(source.slice(i));
    if (!q) return 1;
    i += q[0].length;
    if (q[1] === '?') return 1;
    if (q[1] === '*' || q[1] === '+') return 6;
    const min = Number(q[2]);
    if (q[3] === undefined) return min;
    const max = q[4] === '' ? Infinity : Number(q[4]);
    return Math.min(Math.max(min, 6), max);
  }
  function atom(): Gen | undefined {
    const c = source[i]!;
    if (c === '(') {
      i++;
      if (source[i] === '?') {
        const named = /^\?<[A-Za-z_][A-Za-z0-9_]*>/.exec(source.slice(i));
        if (named) i += named[0].length;
        else if (source[i + 1] === ':') i += 2;
        else return undefined;
      }
      const inner = alternatives();
      if (!inner || source[i] !== ')') return undefined;
      i++;
      return inner;
    }
    if (c === '[') {
      let end = i + 1;
      while (end < source.length && source[end] !== ']') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) return undefined;
      const body = source.slice(i + 1, end);
      i = end + 1;
      if (body === '' || body.startsWith('^')) return undefined;
      if (body.startsWith('\\d') || body.startsWith('0-9')) return digit;
      if (body.startsWith('\\')) {
        const n = body[1] ?? '';
        if (n === 'w') return () => 'A';
        return /[^A-Za-z0-9]/.test(n) ? () => n : undefined;
      }
      const first = body[0]!;
      return () => first.toUpperCase();
    }
    if (c === '\\') {
      const n = source[i + 1];
      i += 2;
      if (n === 'd') return digit;
      if (n === 'w') return () => 'A';
      if (n !== undefined && /[^A-Za-z0-9]/.test(n)) return () => n;
      return undefined;
    }
    if (c === '.') {
      i++;
      return () => 'X';
    }
    if (/[*+?{}]/.test(c)) return undefined;
    i++;
    return () => c.toUpperCase();
  }

  try {
    const gen = alternatives();
    if (!gen || i !== source.length) return undefined;
    return gen();
  } catch {
    return undefined;
  }
}
