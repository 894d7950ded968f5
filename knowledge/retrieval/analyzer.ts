/**
 * The BM25 analyzer. Latin script: lower-cased words, a light English stemmer and a small
 * stop list. Chinese (and other unspaced CJK scripts): character unigrams plus bigrams, so
 * no segmenter is needed and a two-character word still scores above its characters apart.
 * Digits are kept ("7-day", "48 hours" and order numbers matter in shop questions).
 */

const CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

const STOP_WORDS = new Set(
  (
    'a an the and or but of to in on at for from by with about as into than then so if ' +
    'is are was were be been being am do does did done have has had having ' +
    'i me my mine we us our you your yours he she it its they them their this that these those there here ' +
    'what which who whom whose when where why how ' +
    'can could will would shall should may might must ' +
    'please hi hello thanks thank just also very too really any some ' +
    // what is left of contractions once the apostrophe splits them ("don't" -> "don", "t")
    'don doesn didn isn aren wasn weren haven hasn couldn wouldn shouldn ll re ve'
  ).split(' '),
);

/** Chinese function characters: dropped as unigrams (their bigrams stay). */
const CJK_STOP_CHARS = new Set([...'的了吗呢吧啊呀嘛么是我你他她它们在和与及就都也还又把被给让这那哪个些怎么什啥']);

/** A light suffix stripper (plural, -ing, -ed, -ly, final e): "shipped", "shipping", "ships" -> "ship". */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith("'s")) w = w.slice(0, -2);
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length >= 6) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length >= 5) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length >= 6) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length >= 4) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return /([^aeioulsz])\1$/.test(w) ? w.slice(0, -1) : w;
}

/** The index terms of a text, in order, duplicates kept (term frequency counts them). */
export function analyze(text: string): string[] {
  const terms: string[] = [];
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const match of normalised.matchAll(CJK_RUN)) {
    const chars = [...match[0]];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!CJK_STOP_CHARS.has(c)) terms.push(c);
      if (i + 1 < chars.length) terms.push(c + chars[i + 1]!);
    }
  }
  for (const match of normalised.replace(CJK_RUN, ' ').matchAll(WORD)) {
    const word = match[0];
    // Single letters are apostrophe debris ("what's" -> "s") or initials: no evidence either way.
    if (STOP_WORDS.has(word) || (word.length === 1 && !/\d/.test(word))) continue;
    terms.push(stem(word));
  }
  return terms;
}
