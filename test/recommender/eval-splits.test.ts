import { describe, expect, it } from 'vitest';
import { RatingSet } from '../../recommender/data.js';
import { kFoldSplits, leaveLastOut } from '../../recommender/eval/index.js';
import type { Rating } from '../../recommender/types.js';

describe('kFoldSplits', () => {
  it('the test sets partition the rows, each fold trains on the rest', () => {
    const n = 103;
    const splits = kFoldSplits(n, 5, 7);
    expect(splits).toHaveLength(5);
    const seen = new Int32Array(n);
    for (const { train, test } of splits) {
      expect([20, 21]).toContain(test.length);
      expect(train.length + test.length).toBe(n);
      const inTest = new Set(test);
      for (const row of train) expect(inTest.has(row)).toBe(false);
      expect(new Set([...train, ...test]).size).toBe(n);
      for (const row of test) seen[row]!++;
    }
    expect([...seen].every((c) => c === 1)).toBe(true);
  });

  it('is deterministic by seed and shuffles', () => {
    const a = kFoldSplits(50, 5, 42);
    expect(kFoldSplits(50, 5, 42)).toEqual(a);
    expect(kFoldSplits(50, 5, 43)).not.toEqual(a);
    // Not contiguous blocks: the first fold's test rows are spread over the file.
    const first = [...a[0]!.test];
    expect(first).not.toEqual(first.map((_, k) => first[0]! + k));
  });

  it('refuses fewer than 2 folds or more folds than rows', () => {
    expect(() => kFoldSplits(10, 1, 1)).toThrow(/at least 2/);
    expect(() => kFoldSplits(3, 5, 1)).toThrow(/need at least 5 rows/);
  });
});

describe('leaveLastOut', () => {
  const rows: Rating[] = [
    { user: 'a', item: 'x', rating: 1, ts: 3000 }, // 0: a's latest
    { user: 'a', item: 'y', rating: 2, ts: 1000 }, // 1
    { user: 'b', item: 'x', rating: 3, ts: 5000 }, // 2: b has one row: stays in train
    { user: 'a', item: 'z', rating: 4, ts: 2000 }, // 3
    { user: 'c', item: 'x', rating: 5 }, // 4: no times: last in file order wins
    { user: 'c', item: 'y', rating: 1 }, // 5: c's held-out row
    { user: 'd', item: 'x', rating: 2, ts: 9000 }, // 6
    { user: 'd', item: 'y', rating: 3, ts: 9000 }, // 7: tie on time: the later row
    { user: 'e', item: 'x', rating: 4, ts: 9999 }, // 8
    { user: 'e', item: 'y', rating: 5 }, // 9: e has a row of unknown time: file order, so this one
  ];
  const data = RatingSet.from(rows);

  it('holds out each user\'s latest row and keeps single-row users in train', () => {
    const { train, test } = leaveLastOut(data);
    expect([...test]).toEqual([0, 5, 7, 9]); // users a, c, d, e in user order
    expect([...train].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 6, 8]);
  });

  it('holds out one row per user with at least 2 rows', () => {
    const { test } = leaveLastOut(data);
    const users = [...test].map((r) => data.users[data.u[r]!]);
    expect(new Set(users).size).toBe(users.length);
    expect(users).not.toContain('b');
  });
});
