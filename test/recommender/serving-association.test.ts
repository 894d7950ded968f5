import { describe, expect, it } from 'vitest';
import { BoughtTogether, mineAssociations } from '../../recommender/serving/index.js';

/**
 * Six non-empty baskets (the empty one is ignored, the repeated `a` counts once):
 * a in 4, b in 4, c in 3, d in 1; {a,b} in 3, {a,c} in 2, {b,c} in 2.
 * By definition: support = pair / 6, confidence = pair / count(antecedent),
 * lift = confidence / (count(consequent) / 6).
 */
const baskets = [['a', 'b'], ['a', 'b', 'c'], ['a', 'c'], ['b', 'c'], ['a', 'b', 'a'], ['d'], []];

describe('mineAssociations', () => {
  const rules = mineAssociations(baskets);
  const rule = (x: string, y: string) => rules.find((r) => r.antecedent === x && r.consequent === y);

  it('computes support, confidence and lift of pair rules', () => {
    expect(rules).toHaveLength(6);
    expect(rule('a', 'b')).toEqual({ antecedent: 'a', consequent: 'b', count: 3, support: 0.5, confidence: 0.75, lift: 1.125 });
    const ac = rule('a', 'c')!;
    expect([ac.count, ac.support, ac.confidence, ac.lift]).toEqual([2, 2 / 6, 0.5, 1]);
    const ca = rule('c', 'a')!;
    expect(ca.confidence).toBeCloseTo(2 / 3, 12);
    expect(ca.lift).toBeCloseTo(2 / 3 / (4 / 6), 12);
    expect(rule('a', 'd')).toBeUndefined();
  });

  it('applies minCount, minSupport and minConfidence', () => {
    expect(mineAssociations(baskets, { minCount: 3 }).map((r) => `${r.antecedent}>${r.consequent}`).sort()).toEqual(['a>b', 'b>a']);
    expect(mineAssociations(baskets, { minSupport: 0.4 })).toHaveLength(2);
    const confident = mineAssociations(baskets, { minConfidence: 0.6 });
    expect(confident.map((r) => `${r.antecedent}>${r.consequent}`).sort()).toEqual(['a>b', 'b>a', 'c>a', 'c>b']);
    // A pair seen once is dropped by the default minCount of 2.
    expect(mineAssociations([['x', 'y'], ['x'], ['y']])).toEqual([]);
    expect(mineAssociations([['x', 'y'], ['x'], ['y']], { minCount: 1 })).toHaveLength(2);
    expect(mineAssociations([])).toEqual([]);
  });
});

describe('BoughtTogether', () => {
  const together = BoughtTogether.fromBaskets(baskets);

  it('ranks an item’s companions by lift × confidence', () => {
    const forA = together.forItem('a', 5);
    expect(forA.map((h) => h.item)).toEqual(['b', 'c']);
    expect(forA[0]!.score).toBeCloseTo(1.125 * 0.75, 12);
    expect(forA[1]!.score).toBeCloseTo(1 * 0.5, 12);
    expect(together.forItem('a', 1)).toHaveLength(1);
    expect(together.forItem('a', 5, (i) => i !== 'b').map((h) => h.item)).toEqual(['c']);
    expect(together.forItem('d', 5)).toEqual([]);
    expect(together.forItem('unknown', 5)).toEqual([]);
  });

  it('suggests for a basket what is not in it, by the best rule of its items', () => {
    expect(together.forBasket(['a'], 5).map((h) => h.item)).toEqual(['b', 'c']);
    const withAB = together.forBasket(['a', 'b'], 5);
    expect(withAB.map((h) => h.item)).toEqual(['c']);
    expect(withAB[0]!.score).toBeCloseTo(0.5, 12);
    // c -> a and c -> b tie on score and count; the id breaks the tie.
    expect(together.forBasket(['c'], 5).map((h) => h.item)).toEqual(['a', 'b']);
    expect(together.forBasket([], 5)).toEqual([]);
  });
});
