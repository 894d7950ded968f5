import { ShopError } from '../store/errors.js';
import type { Rating } from './types.js';

/**
 * Ratings in index form: users and items numbered in order of first appearance, and one row
 * per observation in parallel typed arrays. Subsets (folds, validation slices) share the
 * parent's numbering, so a model trained on one subset can be scored on another; a user or
 * item with no row in the training subset is cold for the model.
 */
export class RatingSet {
  readonly users: string[];
  readonly items: string[];
  readonly userIndex: Map<string, number>;
  readonly itemIndex: Map<string, number>;
  readonly u: Int32Array;
  readonly i: Int32Array;
  readonly r: Float32Array;
  readonly w: Float32Array;
  /** NaN where the time is unknown. */
  readonly ts: Float64Array;

  private constructor(
    space: { users: string[]; items: string[]; userIndex: Map<string, number>; itemIndex: Map<string, number> },
    rows: { u: Int32Array; i: Int32Array; r: Float32Array; w: Float32Array; ts: Float64Array },
  ) {
    this.users = space.users;
    this.items = space.items;
    this.userIndex = space.userIndex;
    this.itemIndex = space.itemIndex;
    this.u = rows.u;
    this.i = rows.i;
    this.r = rows.r;
    this.w = rows.w;
    this.ts = rows.ts;
  }

  get size(): number {
    return this.r.length;
  }

  /**
   * Builds the set. Rows with a non-finite rating or weight, or an empty user or item, are
   * refused with `bad_request` (the file readers report and skip them before this point, so
   * NaN never reaches a model).
   */
  static from(ratings: Iterable<Rating>): RatingSet {
    const users: string[] = [];
    const items: string[] = [];
    const userIndex = new Map<string, number>();
    const itemIndex = new Map<string, number>();
    const u: number[] = [];
    const i: number[] = [];
    const r: number[] = [];
    const w: number[] = [];
    const ts: number[] = [];
    let n = 0;
    for (const x of ratings) {
      n++;
      const weight = x.weight ?? 1;
      if (!x.user || !x.item || !Number.isFinite(x.rating) || !Number.isFinite(weight) || weight <= 0) {
        throw new ShopError('bad_request', `rating ${n}: needs a user, an item, a finite rating and a positive weight`);
      }
      let ui = userIndex.get(x.user);
      if (ui === undefined) {
        ui = users.push(x.user) - 1;
        userIndex.set(x.user, ui);
      }
      let ii = itemIndex.get(x.item);
      if (ii === undefined) {
        ii = items.push(x.item) - 1;
        itemIndex.set(x.item, ii);
      }
      u.push(ui);
      i.push(ii);
      r.push(x.rating);
      w.push(weight);
      ts.push(x.ts ?? Number.NaN);
    }
    return new RatingSet(
      { users, items, userIndex, itemIndex },
      { u: Int32Array.from(u), i: Int32Array.from(i), r: Float32Array.from(r), w: Float32Array.from(w), ts: Float64Array.from(ts) },
    );
  }

  /** The rows at `rows` (indices into this set), in the same user and item numbering. */
  subset(rows: ArrayLike<number>): RatingSet {
    const n = rows.length;
    const out = { u: new Int32Array(n), i: new Int32Array(n), r: new Float32Array(n), w: new Float32Array(n), ts: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      const row = rows[k]!;
      out.u[k] = this.u[row]!;
      out.i[k] = this.i[row]!;
      out.r[k] = this.r[row]!;
      out.w[k] = this.w[row]!;
      out.ts[k] = this.ts[row]!;
    }
    return new RatingSet(this, out);
  }

  /** The rows back as plain ratings. */
  *ratings(): IterableIterator<Rating> {
    for (let k = 0; k < this.size; k++) {
      const ts = this.ts[k]!;
      yield { user: this.users[this.u[k]!]!, item: this.items[this.i[k]!]!, rating: this.r[k]!, weight: this.w[k]!, ...(Number.isNaN(ts) ? {} : { ts }) };
    }
  }

  /** Rows per user and per item in this set (0 = cold). */
  counts(): { perUser: Int32Array; perItem: Int32Array } {
    const perUser = new Int32Array(this.users.length);
    const perItem = new Int32Array(this.items.length);
    for (let k = 0; k < this.size; k++) {
      perUser[this.u[k]!]!++;
      perItem[this.i[k]!]!++;
    }
    return { perUser, perItem };
  }

  /** Smallest and largest rating (predictions are clipped to it); [0, 0] when empty. */
  scale(): [number, number] {
    if (this.size === 0) return [0, 0];
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of this.r) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return [lo, hi];
  }
}
