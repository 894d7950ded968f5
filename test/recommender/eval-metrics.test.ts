import { describe, expect, it } from 'vitest';
import { catalogueCoverage, hitAtK, mae, meanStd, ndcgAtK, rankOf, rmse } from '../../recommender/eval/index.js';

describe('rating metrics', () => {
  it('RMSE and MAE on hand-computed cases', () => {
    // errors -1, 0, -2: squared 1, 0, 4; absolute 1, 0, 2
    expect(rmse([1, 2, 3], [2, 2, 5])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(mae([1, 2, 3], [2, 2, 5])).toBeCloseTo(1, 12);
    expect(rmse(Float32Array.from([3.5]), [3.5])).toBe(0);
    expect(rmse([], [])).toBeNaN();
    expect(() => mae([1], [1, 2])).toThrow(RangeError);
  });

  it('mean and sample standard deviation', () => {
    // deviations from 5: -3 -1 -1 -1 0 0 2 4, squares sum to 32, over n-1 = 7
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: Math.sqrt(32 / 7) });
    expect(meanStd([0.9])).toEqual({ mean: 0.9, std: 0 });
  });
});

describe('top-N metrics with one relevant item', () => {
  const list = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

  it('hit rate and NDCG by the rank of the held-out item', () => {
    expect(rankOf(list, 'c', 10)).toBe(3);
    expect(hitAtK(list, 'a', 10)).toBe(1);
    expect(ndcgAtK(list, 'a', 10)).toBe(1);
    expect(ndcgAtK(list, 'c', 10)).toBeCloseTo(0.5, 12); // 1 / log2(4)
    expect(ndcgAtK(list, 'g', 10)).toBeCloseTo(1 / 3, 12); // 1 / log2(8)
  });

  it('an item past k or missing counts zero', () => {
    expect(hitAtK(list, 'g', 5)).toBe(0);
    expect(ndcgAtK(list, 'g', 5)).toBe(0);
    expect(hitAtK(list, 'z', 10)).toBe(0);
    expect(ndcgAtK([], 'a', 10)).toBe(0);
  });

  it('catalogue coverage counts distinct listed items', () => {
    expect(catalogueCoverage([['a', 'b'], ['b', 'c'], []], 4)).toBe(0.75);
    expect(catalogueCoverage([], 4)).toBe(0);
    expect(catalogueCoverage([['a']], 0)).toBe(0);
  });
});
