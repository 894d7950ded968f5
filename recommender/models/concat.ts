import { seededRandom } from '../../knowledge/random.js';
import type { RatingSet } from '../data.js';
import type { FitOptions, FitReport, RatingModel, SavedModel, Scored } from '../types.js';
import { Adam } from './adam.js';
import { clip, rmseOf, shuffle, topK, trainEpochs, validationSplit, weightedMean } from './common.js';

export interface ConcatConfig {
  /** Size of the user and of the item embedding (the brief: 64 each). */
  embedding: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 on the embedding rows a batch touches and on the linear layer. */
  l2: number;
  validation: number;
  patience: number;
}

export const CONCAT_DEFAULTS: ConcatConfig = { embedding: 64, epochs: 40, batchSize: 256, learningRate: 0.005, l2: 1e-4, validation: 0.05, patience: 3 };

/**
 * The rating model of the product brief, built as described: a user embedding and an item
 * embedding (64 each), concatenated, into one linear layer that outputs the rating; mean
 * squared error, Adam, mini-batches. Embeddings start uniform in ±0.05 and the layer with
 * Glorot-uniform weights (the usual Keras defaults); the layer's bias starts at the mean
 * rating, which only shortens training.
 *
 * What it can learn: w·[eu; ei] + b = (wu·eu) + (wi·ei) + b — a number per user plus a number
 * per item. That is the biases-only baseline; no user–item interaction, so every user gets
 * the same item ranking. `recommend_items` in the brief scores every item; so does
 * `recommend` here (it is the model's honest serving cost). It is kept to be measured.
 */
export class ConcatEmbeddingModel implements RatingModel {
  readonly name = 'brief-concat';
  readonly config: ConcatConfig;
  private users: string[] = [];
  private items: string[] = [];
  private userIndex = new Map<string, number>();
  private itemIndex = new Map<string, number>();
  private U: Float32Array = new Float32Array(0);
  private I: Float32Array = new Float32Array(0);
  /** [wu (d), wi (d), b] */
  private W: Float32Array = new Float32Array(0);
  private seenItem: Uint8Array = new Uint8Array(0);
  private seenUser: Uint8Array = new Uint8Array(0);
  private scale: [number, number] = [0, 0];

  constructor(config: Partial<ConcatConfig> = {}) {
    this.config = { ...CONCAT_DEFAULTS, ...config };
  }

  async fit(data: RatingSet, opts: FitOptions = {}): Promise<FitReport> {
    const start = performance.now();
    const seed = opts.seed ?? 42;
    const random = seededRandom(seed);
    const c = this.config;
    const d = c.embedding;
    const { fit, valid } = validationSplit(data, c.validation, seed);
    this.users = data.users;
    this.items = data.items;
    this.userIndex = data.userIndex;
    this.itemIndex = data.itemIndex;
    this.scale = data.scale();
    const uniform = (limit: number) => () => (random() * 2 - 1) * limit;
    this.U = Float32Array.from({ length: data.users.length * d }, uniform(0.05));
    this.I = Float32Array.from({ length: data.items.length * d }, uniform(0.05));
    this.W = Float32Array.from({ length: 2 * d + 1 }, uniform(Math.sqrt(6 / (2 * d + 1))));
    this.W[2 * d] = weightedMean(data, fit);
    const { perUser, perItem } = data.counts();
    this.seenUser = Uint8Array.from(perUser, (n) => (n > 0 ? 1 : 0));
    this.seenItem = Uint8Array.from(perItem, (n) => (n > 0 ? 1 : 0));
    const { U, I, W } = this;
    const optU = new Adam(U, d, c.learningRate, c.l2);
    const optI = new Adam(I, d, c.learningRate, c.l2);
    const optW = new Adam(W, W.length, c.learningRate, c.l2);
    const order = Int32Array.from(fit);
    let saved: Float32Array[] = [];
    const result = await trainEpochs(
      this.name,
      opts,
      { epochs: c.epochs, patience: c.patience, hasValidation: valid.length > 0 },
      () => {
        shuffle(order, random);
        let loss = 0;
        for (let b = 0; b < order.length; b += c.batchSize) {
          const end = Math.min(order.length, b + c.batchSize);
          const scaleGrad = 2 / (end - b);
          for (let k = b; k < end; k++) {
            const row = order[k]!;
            const u = data.u[row]!;
            const i = data.i[row]!;
            const e = this.raw(u, i) - data.r[row]!;
            const w = data.w[row]!;
            loss += w * e * e;
            const g = scaleGrad * w * e;
            const uo = u * d;
            const io = i * d;
            optU.touch(u);
            optI.touch(i);
            for (let x = 0; x < d; x++) {
              optW.grad[x] = optW.grad[x]! + g * U[uo + x]!;
              optW.grad[d + x] = optW.grad[d + x]! + g * I[io + x]!;
              optU.grad[uo + x] = optU.grad[uo + x]! + g * W[x]!;
              optI.grad[io + x] = optI.grad[io + x]! + g * W[d + x]!;
            }
            optW.grad[2 * d] = optW.grad[2 * d]! + g;
          }
          optW.touch(0);
          optU.apply();
          optI.apply();
          optW.apply();
        }
        return { trainLoss: Math.sqrt(loss / Math.max(1, order.length)), ...(valid.length > 0 ? { validRmse: rmseOf(data, valid, (u, i) => this.raw(u, i)) } : {}) };
      },
      () => (saved = [U.slice(), I.slice(), W.slice()]),
      () => {
        U.set(saved[0]!);
        I.set(saved[1]!);
        W.set(saved[2]!);
      },
    );
    return { model: this.name, ...result, trainMs: performance.now() - start };
  }

  /** w·[eu; ei] + b; an unseen side contributes nothing. */
  private raw(u: number | undefined, i: number | undefined): number {
    const d = this.config.embedding;
    const W = this.W;
    let s = W[2 * d]!;
    if (u !== undefined && this.seenUser[u]) for (let x = 0; x < d; x++) s += W[x]! * this.U[u * d + x]!;
    if (i !== undefined && this.seenItem[i]) for (let x = 0; x < d; x++) s += W[d + x]! * this.I[i * d + x]!;
    return s;
  }

  predict(user: string, item: string): number {
    return clip(this.raw(this.userIndex.get(user), this.itemIndex.get(item)), this.scale);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    const u = this.userIndex.get(user);
    return topK(this.items, (i) => this.raw(u, i), k, exclude, (i) => this.seenItem[i] === 1);
  }

  save(): SavedModel {
    return {
      kind: this.name,
      meta: { config: { ...this.config }, users: this.users, items: this.items, scale: this.scale },
      arrays: { U: this.U, I: this.I, W: this.W, seenUser: Float32Array.from(this.seenUser), seenItem: Float32Array.from(this.seenItem) },
    };
  }

  static load(saved: SavedModel): ConcatEmbeddingModel {
    const m = new ConcatEmbeddingModel(saved.meta['config'] as Partial<ConcatConfig>);
    m.users = saved.meta['users'] as string[];
    m.items = saved.meta['items'] as string[];
    m.userIndex = new Map(m.users.map((x, k) => [x, k]));
    m.itemIndex = new Map(m.items.map((x, k) => [x, k]));
    m.scale = saved.meta['scale'] as [number, number];
    m.U = saved.arrays['U']!;
    m.I = saved.arrays['I']!;
    m.W = saved.arrays['W']!;
    m.seenUser = Uint8Array.from(saved.arrays['seenUser']!);
    m.seenItem = Uint8Array.from(saved.arrays['seenItem']!);
    return m;
  }
}
