/**
 * Unanswered questions, grouped: the shoppers' messages the bot could not answer, embedded and
 * clustered so a supervisor reads "where is my parcel (37×)" once instead of 37 rows.
 *
 * Greedy leader clustering over unit vectors, most frequent text first: a text joins the
 * cluster whose centroid is most similar if that cosine is at least `threshold`, else it
 * starts a new cluster; a centroid is the normalised sum of its members' vectors (weighted by
 * how often each text was sent). Deterministic, O(texts × clusters) dot products, and the
 * representative of a cluster is its most frequent text.
 *
 * Threshold 0.75 (DEFAULT_CLUSTER_THRESHOLD): with the default sentence model
 * (all-MiniLM-L6-v2) paraphrases of one short question ("where is my order" / "where's my
 * parcel") score about 0.75–0.9 and different questions on the same subject ("where is my
 * order" / "cancel my order") about 0.5–0.7, so 0.75 keeps a cluster to one question. It is an
 * option (`DashboardOptions.clusterThreshold`) because the lexical fallback embedder
 * (character n-grams) scores paraphrases lower.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Locale } from '../../store/index.js';

export const DEFAULT_CLUSTER_THRESHOLD = 0.75;
/** Distinct texts embedded per summary (the most frequent); the rest are counted in `skipped`. */
export const MAX_CLUSTER_TEXTS = 500;

export interface UnansweredText {
  text: string;
  language: Locale;
}

export interface UnansweredCluster {
  /** The cluster's most frequent message. */
  text: string;
  /** Messages in the cluster (duplicates included). */
  count: number;
  /** Up to 3 other distinct texts of the cluster, most frequent first. */
  examples: string[];
  languages: Locale[];
}

export interface UnansweredSummary {
  /** Fallback messages in the range. */
  total: number;
  threshold: number;
  clusters: UnansweredCluster[];
  /** Messages whose distinct text was beyond MAX_CLUSTER_TEXTS and was not clustered. */
  skipped: number;
}

/** The key two messages share when they are the same question typed the same way. */
export function normaliseQuestion(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}]+/gu, ' ').trim();
}

function unit(v: number[]): number[] {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n > 0 ? v.map((x) => x / n) : v.map(() => 0);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Groups the messages; clusters ordered by count (then first appearance), at most `limit`. */
export async function clusterUnanswered(
  messages: UnansweredText[],
  embeddings: EmbeddingsInterface,
  opts: { threshold?: number; limit?: number; maxTexts?: number } = {},
): Promise<UnansweredSummary> {
  const threshold = opts.threshold ?? DEFAULT_CLUSTER_THRESHOLD;
  const limit = opts.limit ?? 20;
  const maxTexts = opts.maxTexts ?? MAX_CLUSTER_TEXTS;
  const distinct = new Map<string, { text: string; count: number; languages: Set<Locale>; order: number }>();
  for (const m of messages) {
    const text = m.text.trim();
    const key = normaliseQuestion(text);
    if (key === '') continue;
    const d = distinct.get(key);
    if (d) {
      d.count += 1;
      d.languages.add(m.language);
    } else distinct.set(key, { text, count: 1, languages: new Set([m.language]), order: distinct.size });
  }
  const ranked = [...distinct.values()].sort((a, b) => b.count - a.count || a.order - b.order);
  const kept = ranked.slice(0, maxTexts);
  const skipped = ranked.slice(maxTexts).reduce((s, d) => s + d.count, 0);
  if (kept.length === 0) return { total: messages.length, threshold, clusters: [], skipped };

  const vectors = (await embeddings.embedDocuments(kept.map((d) => d.text))).map(unit);
  const clusters: Array<{ members: typeof kept; sum: number[]; centroid: number[] }> = [];
  kept.forEach((d, i) => {
    const v = vectors[i]!;
    let best = -1;
    let bestSim = -Infinity;
    clusters.forEach((c, j) => {
      const sim = dot(c.centroid, v);
      if (sim > bestSim) [best, bestSim] = [j, sim];
    });
    if (best >= 0 && bestSim >= threshold) {
      const c = clusters[best]!;
      c.members.push(d);
      c.sum = c.sum.map((x, k) => x + v[k]! * d.count);
      c.centroid = unit(c.sum);
    } else {
      clusters.push({ members: [d], sum: v.map((x) => x * d.count), centroid: v });
    }
  });

  const out = clusters.map((c, order) => ({
    order,
    text: c.members[0]!.text,
    count: c.members.reduce((s, d) => s + d.count, 0),
    examples: c.members.slice(1, 4).map((d) => d.text),
    languages: [...new Set(c.members.flatMap((d) => [...d.languages]))].sort(),
  }));
  out.sort((a, b) => b.count - a.count || a.order - b.order);
  return { total: messages.length, threshold, clusters: out.slice(0, limit).map(({ order: _order, ...c }) => c), skipped };
}
