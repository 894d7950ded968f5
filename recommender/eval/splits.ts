import { seededRandom } from '../../knowledge/index.js';
import { ShopError } from '../../store/index.js';
import type { RatingSet } from '../data.js';

/** Row indices into a `RatingSet`, for `RatingSet.subset`. */
export interface Split {
  train: Int32Array;
  test: Int32Array;
}

/** 0..n-1 in a seeded random order (Fisher–Yates over `seededRandom`). */
export function shuffledRows(n: number, seed: number): Int32Array {
  const rows = new Int32Array(n);
  for (let k = 0; k < n; k++) rows[k] = k;
  const next = seededRandom(seed);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(next() * (k + 1));
    const t = rows[k]!;
    rows[k] = rows[j]!;
    rows[j] = t;
  }
  return rows;
}

/**
 * K-fold split of `n` rows: the rows are shuffled with the seed and dealt round-robin into
 * `folds` test sets of equal size (±1), so the test sets partition the rows; fold f trains on
 * every row outside its test set. Rows of a test set stay in file order.
 */
export function kFoldSplits(n: number, folds: number, seed: number): Split[] {
  if (!Number.isInteger(folds) || folds < 2) throw new ShopError('bad_request', `folds must be an integer of at least 2, got ${folds}`);
  if (folds > n) throw new ShopError('bad_request', `${folds} folds need at least ${folds} rows, the data has ${n}`);
  const order = shuffledRows(n, seed);
  const foldOf = new Int32Array(n);
  for (let p = 0; p < n; p++) foldOf[order[p]!] = p % folds;
  const sizes = new Int32Array(folds);
  for (let row = 0; row < n; row++) sizes[foldOf[row]!]!++;
  const splits: Split[] = [];
  for (let f = 0; f < folds; f++) {
    const test = new Int32Array(sizes[f]!);
    const train = new Int32Array(n - sizes[f]!);
    let t = 0;
    let r = 0;
    for (let row = 0; row < n; row++) {
      if (foldOf[row] === f) test[t++] = row;
      else train[r++] = row;
    }
    splits.push({ train, test });
  }
  return splits;
}

/**
 * Leave-last-out: each user's latest row is held out for testing, the rest trains. "Latest" is
 * the largest timestamp (ties: the later row in the file); a user with any row of unknown
 * time falls back to the last row in file order. Users with fewer than 2 rows stay wholly in
 * train. The test set has one row per user who has one, in user order.
 */
export function leaveLastOut(data: RatingSet): Split {
  const nUsers = data.users.length;
  const last = new Int32Array(nUsers).fill(-1);
  const count = new Int32Array(nUsers);
  const untimed = new Uint8Array(nUsers);
  const lastInFile = new Int32Array(nUsers);
  for (let row = 0; row < data.size; row++) {
    const u = data.u[row]!;
    count[u]!++;
    lastInFile[u] = row;
    const ts = data.ts[row]!;
    if (Number.isNaN(ts)) untimed[u] = 1;
    else if (last[u] === -1 || ts >= data.ts[last[u]!]!) last[u] = row;
  }
  const isTest = new Uint8Array(data.size);
  let nTest = 0;
  for (let u = 0; u < nUsers; u++) {
    if (count[u]! < 2) continue;
    isTest[untimed[u] ? lastInFile[u]! : last[u]!] = 1;
    nTest++;
  }
  const test = new Int32Array(nTest);
  const train = new Int32Array(data.size - nTest);
  let t = 0;
  let r = 0;
  for (let row = 0; row < data.size; row++) {
    if (isTest[row]) test[t++] = row;
    else train[r++] = row;
  }
  // One row per user, ordered by user index so reports are stable whatever the file order.
  test.sort((a, b) => data.u[a]! - data.u[b]!);
  return { train, test };
}
