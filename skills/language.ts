import type { Locale } from '../store/index.js';

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
/** An English word: two letters or more, not part of a code with digits (SA100001, 45mm, SPF50). */
const WORD = /(?<![\p{L}\p{N}])[A-Za-z]{2,}(?![\p{L}\p{N}])/gu;

/**
 * zh or en from the text itself: a Chinese character counts as much as an English word (a
 * Chinese sentence often carries a brand, a product name or a code: "律动 Halo Round 有45mm的吗"
 * is Chinese; "can i pay with 花呗?" is English). Codes with digits and single letters ("T恤")
 * count for neither. Falls back to the given locale for text with neither (numbers, emoji).
 */
export function detectLanguage(text: string, fallback: Locale): Locale {
  const han = text.match(HAN)?.length ?? 0;
  const words = text.match(WORD)?.length ?? 0;
  if (han === 0 && words === 0) return fallback;
  return han >= words ? 'zh' : 'en';
}
