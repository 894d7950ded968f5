import type { Locale } from '../store/index.js';

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
const LATIN = /[A-Za-z]/g;

/**
 * zh or en from the text itself: Han characters outweigh Latin letters two to one (a
 * Chinese sentence often carries an English brand or order number). Falls back to the
 * given locale for text with neither (numbers, emoji).
 */
export function detectLanguage(text: string, fallback: Locale): Locale {
  const han = text.match(HAN)?.length ?? 0;
  const latin = text.match(LATIN)?.length ?? 0;
  if (han === 0 && latin === 0) return fallback;
  return han * 2 >= latin ? 'zh' : 'en';
}
