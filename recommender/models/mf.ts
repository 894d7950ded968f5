import { seededRandom } from '../../knowledge/random.js';
import type { RatingSet } from '../data.js';
import type { FactorModel, FitOptions, FitReport, SavedModel, Scored } from '../types.js';
import { gaussian, rmseOf, shuffle, trainEpochs, validationSplit, weightedMean } from './common.js';
import { FactorTable } from './factors.js';

export interface MfConfig {
  factors: number;
  epochs: number;
  learningRate: number;
  /** L2 on the factor vectors and on the biases. */
  reg: number;
  regBias: number;
  /** Standard deviation of the initial factors. */
  initStd: number;
  /** The learning rate shrinks by this factor after every epoch. */
  decay: number;
  validation: number;
  patience: number;
}

export const MF_DEFAULTS: MfConfig = {
  factors: 64,
  epochs: 60,
  learningRate: 0.01,
  reg: 0.1,
  regBias: 0.05,
  initStd: 0.1,
  decay: 0.97,
  validation: 0.05,
  patience: 3,
};

/**
 * Biased matrix factorisation trained by stochastic gradient descent (Funk/Koren):
 * r̂ = μ + bu + bi + pu·qi, weighted squared error plus L2. Rows are visited in a seeded
 * shuffled order, one row per update (SGD's usual batch of one, which converges far
 * better for factorisation than averaged mini-batches); the learning rate decays per
 * epoch; training stops when the RMSE on a 5% validation slice stops improving, keeping
 * the best epoch's weights. The user–item dot product is what lets it personalise.
 */
export class BiasedMfModel implements FactorModel {
  readonly name: string = 'biased-mf';
  readonly config: MfConfig;
  protected table: FactorTable;

  constructor(config: Partial<MfConfig> = {}) {
    this.config = { ...MF_DEFAULTS, ...config };
    this.table = new FactorTable(this.config.factors);
  }

  async fit(data: RatingSet, opts: FitOptions = {}): Promise<FitReport> {
    const start = performance.now();
    const seed = opts.seed ?? 42;
    const random = seededRandom(seed);
    const c = this.config;
    const f = c.factors;
    const { fit, valid } = validationSplit(data, c.validation, seed);
    const t = this.table;
    const normal = gaussian(random);
    t.reset(data, () => normal() * c.initStd, weightedMean(data, fit));
    const { bu, bi, P, Q } = t;
    const order = Int32Array.from(fit);
    let lr = c.learningRate;
    let saved: FactorTable['P'][] = [];
    const result = await trainEpochs(
      this.name,
      opts,
      { epochs: c.epochs, patience: c.patience, hasValidation: valid.length > 0 },
      () => {
        shuffle(order, random);
        let loss = 0;
        for (let k = 0; k < order.length; k++) {
          const row = order[k]!;
          const u = data.u[row]!;
          const i = data.i[row]!;
          const w = data.w[row]!;
          const po = u * f;
          const qo = i * f;
          let dot = 0;
          for (let x = 0; x < f; x++) dot += P[po + x]! * Q[qo + x]!;
          const e = data.r[row]! - (t.mean + bu[u]! + bi[i]! + dot);
          loss += w * e * e;
          const g = lr * w * e;
          bu[u] = bu[u]! + g - lr * c.regBias * bu[u]!;
          bi[i] = bi[i]! + g - lr * c.regBias * bi[i]!;
          for (let x = 0; x < f; x++) {
            const p = P[po + x]!;
            const q = Q[qo + x]!;
            P[po + x] = p + g * q - lr * c.reg * p;
            Q[qo + x] = q + g * p - lr * c.reg * q;
          }
        }
        lr *= c.decay;
        return { trainLoss: Math.sqrt(loss / Math.max(1, order.length)), ...(valid.length > 0 ? { validRmse: rmseOf(data, valid, (u, i) => t.score(u, i)) } : {}) };
      },
      () => (saved = [bu.slice(), bi.slice(), P.slice(), Q.slice()]),
      () => {
        bu.set(saved[0]!);
        bi.set(saved[1]!);
        P.set(saved[2]!);
        Q.set(saved[3]!);
      },
    );
    t.clearUnseen();
    return { model: this.name, ...result, trainMs: performance.now() - start };
  }

  predict(user: string, item: string): number {
    return this.table.predict(user, item);
  }

  recommend(user: string, k: number, exclude?: (item: string) => boolean): Scored[] {
    return this.table.recommend(user, k, exclude);
  }

  get dimension(): number {
    return this.table.dimension;
  }

  itemVectors(): { ids: string[]; vectors: Float32Array } {
    return this.table.itemVectors();
  }

  userVector(user: string): Float32Array | null {
    return this.table.userVector(user);
  }

  offset(user: string): number {
    return this.table.offset(user);
  }

  save(): SavedModel {
    return this.table.save(this.name, { ...this.config });
  }

  static load(saved: SavedModel): BiasedMfModel {
    const m = new BiasedMfModel(saved.meta['config'] as Partial<MfConfig>);
    m.table = FactorTable.load(saved);
    return m;
  }
}
