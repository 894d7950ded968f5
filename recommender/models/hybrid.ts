import type { RatingSet } from '../data.js';
import type { FitOptions, FitReport, RatingModel, SavedModel, Scored } from '../types.js';
import { clip, rmseOf, topK, validationSplit } from './common.js';
import { ContentModel, type ContentOptions } from './content.js';
import { ImplicitAlsModel, type ImplicitAlsConfig } from './implicit-als.js';
import { BiasedMfModel, type MfConfig } from './mf.js';
import { PopularityModel } from './popularity.js';

const SHRINK_GRID = [0, 1, 2, 5, 10, 20, 50, 100];

/**
 * The hybrid: biased MF where the data is rich, content-based where it is thin.
 * prediction = a·mf + (1 − a)·content with a = nu/(nu + s) · ni/(ni + s), nu and ni the
 * rows the user and item have. The shrinkage `s` is chosen on a validation slice held out
 * from both components; then both are refitted on every row. A user nobody has seen gets
 * the popular items; an item nobody has rated is scored by its text alone.
 */
export class HybridModel implements RatingModel {
  readonly name = 'hybrid';
  mf: BiasedMfModel;
  content: ContentModel;
  popularity = new PopularityModel();
  ranker: ImplicitAlsModel;
  /** False for a model saved before the ranker existed (the service retrains it). */
  hasRanker = true;
  private shrink = 10;
  private userCount = new Map<string, number>();
  private itemCount = new Map<string, number>();
  private items: string[] = [];
  private scale: [number, number] = [0, 0];

  constructor(options: { mf?: Partial<MfConfig>; content?: ContentOptions; ranker?: Partial<ImplicitAlsConfig> } = {}) {
    this.mf = new BiasedMfModel(options.mf);
    this.content = new ContentModel(options.content);
    this.ranker = new ImplicitAlsModel(options.ranker);
  }

  async fit(data: RatingSet, opts: FitOptions = {}): Promise<FitReport> {
    const start = performance.now();
    const seed = opts.seed ?? 42;
    const { fit, valid } = validationSplit(data, 0.05, seed ^ 0x4b1d);
    if (valid.length > 0) {
      const part = data.subset(fit);
      await this.mf.fit(part, opts);
      await this.content.fit(part, opts);
      this.counts(part);
      let best = { shrink: 10, rmse: Infinity };
      for (const shrink of SHRINK_GRID) {
        this.shrink = shrink;
        const rmse = rmseOf(data, valid, (u, i) => this.predict(data.users[u]!, data.items[i]!));
        if (rmse < best.rmse) best = { shrink, rmse };
      }
      this.shrink = best.shrink;
    }
    const report = await this.mf.fit(data, opts);
    await this.content.fit(data, opts);
    await this.popularity.fit(data);
    await this.ranker.fit(data, opts);
    this.counts(data);
    this.items = data.items;
    this.scale = data.scale();
    return { model: this.name, epochs: report.epochs, bestEpoch: report.bestEpoch, trainMs: performance.now() - start, ...(report.validRmse !== undefined ? { validRmse: report.validRmse } : {}) };
  }

  private counts(data: RatingSet): void {
    const { perUser, perItem } = data.counts();
    this.userCount = new Map(data.users.map((u, k) => [u, perUser[k]!]));
    this.itemCount = new Map(data.items.map((i, k) => [i, perItem[k]!]));
    this.scale = data.scale();
  }

  /** The weight of the factor model for this user and item (0..1). */
  mix(user: string, item: string): number {
    const nu = this.userCount.get(user) ?? 0;
    const ni = this.itemCount.get(item) ?? 0;
    if (this.shrink === 0) return nu > 0 && ni > 0 ? 1 : 0;
    return (nu / (nu + this.shrink)) * (ni / (ni + this.shrink));
  }

  predict(user: string, item: string): number {
    const a = this.mix(user, item);
    const s = a * this.mf.predict(user, item) + (1 - a) * this.content.predict(user, item);
    return clip(s, this.scale);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    if ((this.userCount.get(user) ?? 0) === 0) return this.popularity.recommend(user, k, exclude);
    if (this.hasRanker) return this.ranker.recommend(user, k, exclude);
    return topK(this.items, (i) => this.predict(user, this.items[i]!), k, exclude, (i) => (this.itemCount.get(this.items[i]!) ?? 0) > 0);
  }

  save(): SavedModel {
    const parts = { mf: this.mf.save(), content: this.content.save(), popularity: this.popularity.save(), ...(this.hasRanker ? { ranker: this.ranker.save() } : {}) };
    const arrays: Record<string, Float32Array> = {};
    for (const [name, saved] of Object.entries(parts)) for (const [key, a] of Object.entries(saved.arrays)) arrays[`${name}.${key}`] = a;
    return {
      kind: this.name,
      meta: {
        shrink: this.shrink,
        parts: Object.fromEntries(Object.entries(parts).map(([name, saved]) => [name, { kind: saved.kind, meta: saved.meta }])),
        counts: { users: [...this.userCount], items: [...this.itemCount] },
        items: this.items,
        scale: this.scale,
      },
      arrays,
    };
  }

  static load(saved: SavedModel): HybridModel {
    const parts = saved.meta['parts'] as Record<string, { kind: string; meta: Record<string, unknown> } | undefined>;
    const part = (name: string): SavedModel => {
      const p = parts[name]!;
      const arrays: Record<string, Float32Array> = {};
      for (const [key, a] of Object.entries(saved.arrays)) if (key.startsWith(`${name}.`)) arrays[key.slice(name.length + 1)] = a;
      return { kind: p.kind, meta: p.meta, arrays };
    };
    const m = new HybridModel();
    m.mf = BiasedMfModel.load(part('mf'));
    m.content = ContentModel.load(part('content'));
    m.popularity = PopularityModel.load(part('popularity'));
    m.hasRanker = parts['ranker'] !== undefined;
    if (m.hasRanker) m.ranker = ImplicitAlsModel.load(part('ranker'));
    m.shrink = Number(saved.meta['shrink']);
    const counts = saved.meta['counts'] as { users: Array<[string, number]>; items: Array<[string, number]> };
    m.userCount = new Map(counts.users);
    m.itemCount = new Map(counts.items);
    m.items = saved.meta['items'] as string[];
    m.scale = saved.meta['scale'] as [number, number];
    return m;
  }
}
