import type { Scored } from '../types.js';

/**
 * One pair rule A → B mined from baskets (orders): of the `baskets` baskets, `count` hold
 * both A and B.
 * - support = count / baskets (how common the pair is),
 * - confidence = count / baskets holding A (P(B | A)),
 * - lift = confidence / (baskets holding B / baskets) (how much more often B comes with A
 *   than B comes at all; 1 = independent).
 */
export interface AssociationRule {
  antecedent: string;
  consequent: string;
  support: number;
  confidence: number;
  lift: number;
  count: number;
}

export interface MineOptions {
  /** Smallest support of a pair (0 by default). */
  minSupport?: number;
  /** Smallest confidence of a rule (0 by default). */
  minConfidence?: number;
  /**
   * Smallest number of baskets holding the pair (2 by default): a pair seen once has a huge
   * lift and means nothing.
   */
  minCount?: number;
}

/**
 * Pair rules A → B (both directions) from baskets. Only pairs: a shop's orders hold two or
 * three items, so itemsets of three or more are rare enough that their counts are noise,
 * and a pair rule already answers "what goes with this" (for a basket, `BoughtTogether`
 * combines the pair rules of its items). Counting pairs is O(Σ basket²) with one map, no
 * Apriori passes. Duplicates inside a basket count once; empty ids are ignored.
 */
export function mineAssociations(baskets: string[][], opts: MineOptions = {}): AssociationRule[] {
  const minSupport = opts.minSupport ?? 0;
  const minConfidence = opts.minConfidence ?? 0;
  const minCount = Math.max(1, opts.minCount ?? 2);
  const itemCount = new Map<string, number>();
  const pairCount = new Map<string, number>();
  let n = 0;
  for (const basket of baskets) {
    const items = [...new Set(basket.filter((x) => x !== ''))].sort();
    if (items.length === 0) continue;
    n++;
    for (const it of items) itemCount.set(it, (itemCount.get(it) ?? 0) + 1);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const key = `${items[i]!}\u0000${items[j]!}`;
        pairCount.set(key, (pairCount.get(key) ?? 0) + 1);
      }
    }
  }
  const rules: AssociationRule[] = [];
  for (const [key, count] of pairCount) {
    if (count < minCount || count / n < minSupport) continue;
    const [a, b] = key.split('\u0000') as [string, string];
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const confidence = count / itemCount.get(x)!;
      if (confidence < minConfidence) continue;
      rules.push({ antecedent: x, consequent: y, support: count / n, confidence, lift: confidence / (itemCount.get(y)! / n), count });
    }
  }
  return rules.sort(byRank);
}

/** What a rule is ranked by: lift × confidence (see BoughtTogether). */
export function ruleScore(r: AssociationRule): number {
  return r.lift * r.confidence;
}

function byRank(a: AssociationRule, b: AssociationRule): number {
  return (
    ruleScore(b) - ruleScore(a) ||
    b.count - a.count ||
    (a.antecedent < b.antecedent ? -1 : a.antecedent > b.antecedent ? 1 : 0) ||
    (a.consequent < b.consequent ? -1 : a.consequent > b.consequent ? 1 : 0)
  );
}

export interface BoughtTogetherHit extends Scored {
  /** The rule behind the suggestion (for a basket: the best one among the basket's items). */
  rule: AssociationRule;
}

/**
 * "Frequently bought together". Suggestions are ranked by lift × confidence: lift alone
 * favours rare pairs (two niche items bought together twice), confidence alone favours
 * bestsellers (everything "goes with" the most popular item); the product asks for a
 * consequent that is both likely after A and more likely than usual. `minCount` at mining
 * keeps one-off pairs out. Ties: more baskets first, then by id.
 */
export class BoughtTogether {
  private readonly byAntecedent = new Map<string, AssociationRule[]>();

  constructor(rules: AssociationRule[]) {
    for (const r of [...rules].sort(byRank)) {
      let list = this.byAntecedent.get(r.antecedent);
      if (!list) this.byAntecedent.set(r.antecedent, (list = []));
      list.push(r);
    }
  }

  static fromBaskets(baskets: string[][], opts?: MineOptions): BoughtTogether {
    return new BoughtTogether(mineAssociations(baskets, opts));
  }

  /** The top `k` items bought with `itemId` (score = lift × confidence). */
  forItem(itemId: string, k: number, filter?: (item: string) => boolean): BoughtTogetherHit[] {
    const out: BoughtTogetherHit[] = [];
    for (const rule of this.byAntecedent.get(itemId) ?? []) {
      if (out.length >= k) break;
      if (filter && !filter(rule.consequent)) continue;
      out.push({ item: rule.consequent, score: ruleScore(rule), rule });
    }
    return out;
  }

  /**
   * The top `k` items to add to a basket: every consequent of the basket's items that is not
   * in the basket, scored by its best rule (max, not sum: a sum would push bestsellers that
   * co-occur weakly with everything above a strong specific pair).
   */
  forBasket(items: string[], k: number, filter?: (item: string) => boolean): BoughtTogetherHit[] {
    const inBasket = new Set(items);
    const best = new Map<string, BoughtTogetherHit>();
    for (const it of inBasket) {
      for (const rule of this.byAntecedent.get(it) ?? []) {
        if (inBasket.has(rule.consequent) || (filter && !filter(rule.consequent))) continue;
        const prev = best.get(rule.consequent);
        if (!prev || byRank(rule, prev.rule) < 0) best.set(rule.consequent, { item: rule.consequent, score: ruleScore(rule), rule });
      }
    }
    return [...best.values()].sort((a, b) => byRank(a.rule, b.rule)).slice(0, Math.max(0, k));
  }
}
