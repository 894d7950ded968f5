import { Bm25Index, DEFAULT_MIN_CONFIDENCE } from '../../knowledge/index.js';
import type { Locale, Message } from '../../store/index.js';

/**
 * Suggested replies for the agent: what the shopper wrote last in this conversation, the
 * newest message weighted highest, matched against the knowledge base and the canned
 * responses. Only passages that match well enough are offered, each title and each text once.
 */

/** A knowledge-base passage for one message (the `suggest` the console routes are given). */
export interface KbPassage {
  title: string;
  text: string;
  url: string;
  slug: string;
  /** 0..1, the knowledge base's confidence that it answers the message. */
  score: number;
}

export interface CannedReply {
  id: string;
  locale: Locale;
  title: string;
  text: string;
}

export interface ConsoleSuggestion {
  title: string;
  text: string;
  /** 0..1-ish: the recency-weighted relevance it was ranked by (two decimals). */
  score: number;
  source: 'kb' | 'canned';
  /** Knowledge-base passages: the article. */
  url?: string;
  slug?: string;
  /** Canned responses: their id. */
  id?: string;
}

/** How many of the shopper's latest messages are read. */
export const RECENT_ASKS = 4;
/** Each older message counts this much less than the one after it (1, 0.6, 0.36, …). */
export const RECENCY_DECAY = 0.6;
export const MAX_SUGGESTIONS = 5;
/** Below this knowledge-base confidence a passage does not answer the message (the FAQ skill's threshold). */
export const MIN_KB_CONFIDENCE = DEFAULT_MIN_CONFIDENCE;
/** A canned response must cover at least this share of a message's words (BM25, idf-weighted)… */
export const MIN_CANNED_SHARE = 0.3;
/** …and at least this many of its distinct words ("where is my order" alone does not pick "Ask for the order number"). */
export const MIN_CANNED_TERMS = 2;
/** Canned responses are short and generic: a full word match counts like this KB confidence. */
export const CANNED_WEIGHT = 0.8;

/** Intents that say nothing about what the shopper needs: such messages are not searched. */
const NO_TOPIC = new Set(['human_agent', 'greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'csat']);

/** Order, phone and tracking numbers: no topic, and an unknown term only dilutes a match. */
const IDS = /\b[A-Za-z]{0,4}[\d-]{5,}[A-Za-z]{0,2}\b/g;
const WORDED = /[\p{L}]{2,}|\p{Script=Han}/u;

/**
 * The shopper's latest messages in this conversation that have something to search for,
 * newest first: typed words (not only digits or an order number), not a request for a person
 * or a greeting, each text once; ids are taken out of the text.
 */
export function recentAsks(messages: readonly Message[], conversationId: string, n = RECENT_ASKS): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const newestFirst = messages.filter((m) => m.conversationId === conversationId && m.direction === 'in' && m.sender === 'customer').sort((a, b) => b.seq - a.seq);
  for (const m of newestFirst) {
    if (out.length >= n) break;
    if (m.intent !== undefined && NO_TOPIC.has(m.intent)) continue;
    const text = m.text.replace(IDS, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
    if (!WORDED.test(text)) continue;
    const key = text.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(text);
  }
  return out;
}

/**
 * A passage's title without repeats: the knowledge base names a passage "Title · Heading", and
 * an article's first section is headed with its own title ("Delayed or lost parcels · Delayed
 * or lost parcels", "Track your order · Track your order › What the statuses mean").
 */
export function tidyTitle(title: string): string {
  // Parts and separators alternate: ["Title", " · ", "Title", " › ", "Section"].
  const tokens = title.split(/(\s+[·›]\s+)/u);
  const seen = new Set<string>();
  const kept: string[] = [];
  let out = '';
  for (let i = 0; i < tokens.length; i += 2) {
    const part = tokens[i]!.trim();
    const k = key(part);
    if (!part || seen.has(k)) continue;
    seen.add(k);
    // After the title comes " · " (the heading); deeper headings keep their own " › ".
    out += kept.length === 0 ? part : kept.length === 1 ? ` · ${part}` : ` ${(tokens[i - 1] ?? '·').trim()} ${part}`;
    kept.push(part);
  }
  return out || title.trim();
}

/** Title and text keys for de-duplication: case, width, punctuation and spacing do not matter. */
function key(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

interface Candidate {
  s: ConsoleSuggestion;
  /** Weighted relevance per message it matched. */
  parts: number[];
}

/** The best match counts in full, each further message that points to it a quarter. */
function combined(parts: number[]): number {
  const sorted = [...parts].sort((a, b) => b - a);
  return sorted.reduce((sum, p, i) => sum + (i === 0 ? p : p / 4), 0);
}

export interface SuggestOptions {
  /** The shopper's latest messages, newest first (`recentAsks`). */
  asks: string[];
  /** The conversation's language: canned responses in it; the KB is asked in it. */
  locale: Locale;
  /** Knowledge-base passages for one message; a failure counts as no passage. */
  kb?: (text: string, locale: Locale) => Promise<KbPassage[]>;
  canned: readonly CannedReply[];
  limit?: number;
}

/** Ranks KB passages and canned responses against the shopper's latest messages; see the module comment. */
export async function suggestReplies(o: SuggestOptions): Promise<ConsoleSuggestion[]> {
  const asks = o.asks.slice(0, RECENT_ASKS);
  if (asks.length === 0) return [];
  const weight = (i: number) => RECENCY_DECAY ** i;
  const candidates = new Map<string, Candidate>();
  const add = (id: string, s: ConsoleSuggestion, part: number) => {
    const c = candidates.get(id);
    if (!c) candidates.set(id, { s, parts: [part] });
    else {
      // The same article from another message: keep the passage that matched best.
      if (part > Math.max(...c.parts)) c.s = s;
      c.parts.push(part);
    }
  };

  const kb = o.kb;
  if (kb) {
    const results = await Promise.all(asks.map((text) => kb(text, o.locale).catch((): KbPassage[] => [])));
    results.forEach((hits, i) => {
      for (const h of hits) {
        if (!(h.score >= MIN_KB_CONFIDENCE) || !h.title.trim() || !h.text.trim()) continue;
        add(`kb\u0000${h.slug || h.title}`, { title: tidyTitle(h.title), text: h.text, score: 0, source: 'kb', url: h.url, slug: h.slug }, weight(i) * Math.min(1, h.score));
      }
    });
  }

  const canned = o.canned.filter((c) => c.locale === o.locale);
  if (canned.length > 0) {
    const index = new Bm25Index<CannedReply>();
    const terms = new Map<string, Set<string>>();
    canned.forEach((c, i) => {
      index.add(String(i), `${c.title}\n${c.text}`, c);
      terms.set(String(i), new Set(index.queryTerms(`${c.title}\n${c.text}`)));
    });
    asks.forEach((text, i) => {
      const reference = index.referenceScore(text);
      const asked = index.queryTerms(text);
      if (reference <= 0 || asked.length < MIN_CANNED_TERMS) return;
      for (const hit of index.search(text, 5)) {
        const share = Math.min(1, hit.score / reference);
        const matched = asked.filter((t) => terms.get(hit.id)?.has(t)).length;
        if (share < MIN_CANNED_SHARE || matched < MIN_CANNED_TERMS) continue;
        const c = hit.meta;
        add(`canned\u0000${hit.id}`, { title: c.title, text: c.text, score: 0, source: 'canned', id: c.id }, weight(i) * share * CANNED_WEIGHT);
      }
    });
  }

  const ranked = [...candidates.values()]
    .map((c) => ({ ...c.s, score: Math.round(combined(c.parts) * 100) / 100 }))
    .sort((a, b) => b.score - a.score || (a.source === b.source ? 0 : a.source === 'kb' ? -1 : 1) || a.title.localeCompare(b.title));
  const titles = new Set<string>();
  const texts = new Set<string>();
  const out: ConsoleSuggestion[] = [];
  for (const s of ranked) {
    const t = key(s.title);
    const x = key(s.text);
    if (titles.has(t) || texts.has(x)) continue;
    titles.add(t);
    texts.add(x);
    out.push(s);
    if (out.length >= (o.limit ?? MAX_SUGGESTIONS)) break;
  }
  return out;
}
