import type { CampaignTargeting } from '../../store/index.js';

/** What a request says about the shopper's context. */
export interface TargetingContext {
  intent?: string;
  text?: string;
  categories?: string[];
}

const norm = (s: string): string => s.normalize('NFKC').toLowerCase().trim();

/** Letters and digits of scripts that separate words with spaces (Latin, Cyrillic, Greek, ...). */
const WORD_CHAR = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Nd}]/u;

/**
 * Whether `keyword` occurs in `text` (both normalised: NFKC, lower case). A keyword that
 * starts or ends with a letter of a space-separated script must not continue a longer word
 * there ("tee" does not match "steel"); Chinese keywords match as substrings ("跑鞋" in
 * "推荐一双跑鞋"), since Chinese text has no spaces between words.
 */
export function keywordIn(text: string, keyword: string): boolean {
  const t = norm(text);
  const k = norm(keyword);
  if (k === '') return false;
  const checkBefore = WORD_CHAR.test(k[0]!);
  const checkAfter = WORD_CHAR.test(k[k.length - 1]!);
  for (let at = t.indexOf(k); at !== -1; at = t.indexOf(k, at + 1)) {
    const before = at > 0 ? t[at - 1]! : '';
    const after = t[at + k.length] ?? '';
    if ((!checkBefore || !WORD_CHAR.test(before)) && (!checkAfter || !WORD_CHAR.test(after))) return true;
  }
  return false;
}

/**
 * Targeting semantics: a campaign matches when ANY of its non-empty dimensions matches:
 * - categories: one of them is in `ctx.categories` (case-insensitive);
 * - intents: one of them equals `ctx.intent`;
 * - keywords: one of them is found in `ctx.text` (see `keywordIn`).
 * A campaign whose three dimensions are all empty is run-of-site: it matches every request.
 * A dimension the request does not give (no text, no intent, no categories) cannot match.
 */
export function targetingMatches(t: CampaignTargeting, ctx: TargetingContext): boolean {
  const categories = t.categories ?? [];
  const intents = t.intents ?? [];
  const keywords = t.keywords ?? [];
  if (categories.length === 0 && intents.length === 0 && keywords.length === 0) return true;
  if (categories.length > 0 && ctx.categories && ctx.categories.length > 0) {
    const wanted = new Set(ctx.categories.map(norm));
    if (categories.some((c) => wanted.has(norm(c)))) return true;
  }
  if (intents.length > 0 && ctx.intent !== undefined && intents.includes(ctx.intent)) return true;
  if (keywords.length > 0 && ctx.text !== undefined && ctx.text !== '') {
    const text = ctx.text;
    if (keywords.some((k) => keywordIn(text, k))) return true;
  }
  return false;
}
