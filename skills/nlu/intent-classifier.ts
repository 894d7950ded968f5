import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { Document } from '@langchain/core/documents';
import { HnswVectorStore, LexicalEmbeddings, type LexicalEmbeddingsState } from '../../knowledge/index.js';
import { ShopError } from '../../store/index.js';
import { hashExamples, OUT_OF_SCOPE, type IntentExample } from './examples.js';
import { base64ToF32, f32ToBase64, hashedFeatures, normalizeText, seededRandom, shuffleInPlace, type SparseVector } from './features.js';

/** Bumped when features or the model change shape, so saved models go stale. */
export const CLASSIFIER_VERSION = 2;

export interface IntentClassifierOptions {
  seed?: number;
  /** Buckets of the hashed lexical features. */
  hashBuckets?: number;
  maxEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  l2?: number;
  /** Epochs without a better validation loss before training stops. */
  patience?: number;
  /** Share of each intent held out for early stopping, the mix weight, temperature and the out-of-scope detector. */
  validationFraction?: number;
  /** Neighbours that vote in the kNN half. */
  k?: number;
  /** After tuning, retrain the linear model on every example for the best epoch count. */
  refit?: boolean;
  /**
   * The share of the validation split's correctly answered shop messages the out-of-scope
   * rejection may turn away: the threshold is the lowest detector score that rejects no more
   * of them (so it rests on the many in-scope examples, not on the few off-topic ones).
   */
  maxFalseRejection?: number;
  /** Share of the out_of_scope examples held out for validation: the detector is fitted on them. */
  oosValidationFraction?: number;
}

const DEFAULTS: Required<IntentClassifierOptions> = {
  seed: 42,
  hashBuckets: 1 << 13,
  maxEpochs: 60,
  batchSize: 64,
  learningRate: 0.1,
  l2: 1e-4,
  patience: 3,
  validationFraction: 0.15,
  k: 10,
  refit: true,
  maxFalseRejection: 0.01,
  oosValidationFraction: 0.15,
};

/** Similarity-vote sharpness: weight = exp(sim / KNN_TAU). */
const KNN_TAU = 0.05;

export interface IntentPrediction {
  intent: string;
  /**
   * Calibrated probability of `intent`. For `out_of_scope` it is the out-of-scope detector's
   * probability that the message is not a question for the shop (in-scope and out-of-scope
   * weighted alike): below 0.5 the message looks more like the shop's examples than like the
   * off-topic ones. `alternatives` then hold the best shop intents with their own probabilities.
   */
  confidence: number;
  /** The next-best intents (at most 3), best first. */
  alternatives: Array<{ intent: string; confidence: number }>;
}

/** A prediction with the numbers evaluation needs. */
export interface ScoredPrediction extends IntentPrediction {
  /** The best intent before the out-of-scope rejection rule. */
  argmax: string;
  /** Max of the uncalibrated (mixed) distribution, and of the calibrated one. */
  rawConfidence: number;
  calibratedConfidence: number;
  /** Cosine similarity of the nearest training example of a shop intent (not out_of_scope). */
  nearest: number;
  /** The out-of-scope detector's probability (in-scope and out-of-scope weighted alike); 0 without out_of_scope examples. */
  oosProbability: number;
  /** Answered out_of_scope although the best class was a shop intent. */
  rejected: boolean;
}

/**
 * The out-of-scope detector: a logistic regression on four scores of a message (log of the
 * best shop intent's probability, log of out_of_scope's, cosine to the nearest shop example,
 * cosine to the nearest out_of_scope example), standardised; fitted with the two classes
 * weighted alike, and its threshold chosen, on the validation split.
 */
export interface OosDetector {
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  /** Reject when the detector's probability is at least this. */
  threshold: number;
}

export interface ModelFingerprint {
  version: number;
  modelId: string;
  dimension: number;
  dataHash: string;
}

export interface TrainingReport {
  examples: number;
  intents: number;
  trainSize: number;
  validationSize: number;
  epochs: number;
  /**
   * On the validation split, before the refit: linear model alone, kNN alone, the calibrated mix
   * with rejection; in-scope accuracy and out-of-scope recall of the rejection rule; ECE of the
   * best class's probability before and after temperature scaling (kept only when it helped).
   */
  validation: {
    linearAccuracy: number;
    knnAccuracy: number;
    accuracy: number;
    inScopeAccuracy: number;
    oosRecall: number;
    oosSupport: number;
    eceBefore: number;
    eceAfter: number;
    temperatureKept: boolean;
    /** What other detector thresholds would give on the validation split (for choosing `maxFalseRejection`). */
    oosCurve: Array<{ threshold: number; inScopeAccuracy: number; oosRecall: number }>;
  };
  mixWeight: number;
  temperature: number;
  oos: OosDetector | null;
  trainMs: number;
}

interface SavedModel {
  format: 'shop-intent-classifier';
  fingerprint: ModelFingerprint;
  options: Required<IntentClassifierOptions>;
  classes: string[];
  denseDim: number;
  weights: string;
  bias: string;
  mixWeight: number;
  temperature: number;
  oos: OosDetector | null;
  /** Example vectors for the kNN index; a lexical model stores the texts instead (re-embedding them is cheaper than the bytes). */
  knn: { labels: number[]; vectors?: string; texts?: string[] };
  lexical?: LexicalEmbeddingsState;
  report: TrainingReport;
}

/**
 * One input row for the linear model: the embedding's non-zero entries (indices 0..denseDim)
 * followed by the hashed lexical features (offset by denseDim). Sparse, so a lexical
 * embedding (mostly zeros) costs only its non-zeros.
 */
interface Encoded {
  dense: Float32Array;
  idx: Int32Array;
  val: Float32Array;
}

function encode(dense: Float32Array, sparse: SparseVector): Encoded {
  let nz = 0;
  for (const v of dense) if (v !== 0) nz++;
  const idx = new Int32Array(nz + sparse.idx.length);
  const val = new Float32Array(idx.length);
  let k = 0;
  for (let j = 0; j < dense.length; j++) {
    if (dense[j] !== 0) {
      idx[k] = j;
      val[k++] = dense[j]!;
    }
  }
  for (let s = 0; s < sparse.idx.length; s++) {
    idx[k] = dense.length + sparse.idx[s]!;
    val[k++] = sparse.val[s]!;
  }
  return { dense, idx, val };
}

/** Multinomial logistic regression; weights laid out feature-major (w[feature * classes + c]). */
class Softmax {
  readonly dim: number;
  readonly w: Float32Array;
  readonly b: Float32Array;

  constructor(
    readonly classes: number,
    readonly denseDim: number,
    readonly buckets: number,
    w?: Float32Array,
    b?: Float32Array,
  ) {
    this.dim = denseDim + buckets;
    this.w = w ?? new Float32Array(classes * this.dim);
    this.b = b ?? new Float32Array(classes);
  }

  probs(x: Encoded, out: Float64Array): void {
    const C = this.classes;
    const w = this.w;
    for (let c = 0; c < C; c++) out[c] = this.b[c]!;
    for (let s = 0; s < x.idx.length; s++) {
      const base = x.idx[s]! * C;
      const v = x.val[s]!;
      for (let c = 0; c < C; c++) out[c]! += w[base + c]! * v;
    }
    softmaxInPlace(out);
  }

  /**
   * Mini-batch Adam with L2 (lazy: only the features present in a batch are updated, as
   * TensorFlow's LazyAdam, which keeps an epoch proportional to the non-zeros, not to the
   * weight count). Early stopping on validation NLL keeps the best weights.
   */
  static train(
    train: Array<{ x: Encoded; y: number }>,
    validation: Array<{ x: Encoded; y: number }>,
    classes: number,
    denseDim: number,
    o: Required<IntentClassifierOptions>,
    fixedEpochs?: number,
  ): { model: Softmax; epochs: number } {
    const model = new Softmax(classes, denseDim, o.hashBuckets);
    const C = classes;
    const features = model.dim;
    const w = model.w;
    const gw = new Float32Array(w.length);
    const mw = new Float32Array(w.length);
    const vw = new Float32Array(w.length);
    const gb = new Float64Array(C);
    const mb = new Float64Array(C);
    const vb = new Float64Array(C);
    const mark = new Uint8Array(features);
    const touched = new Int32Array(features);
    const random = seededRandom(o.seed);
    const order = train.map((_, i) => i);
    const p = new Float64Array(C);
    let step = 0;
    let best = { loss: Infinity, epoch: 0, w: w.slice(), b: model.b.slice() };
    const epochs = fixedEpochs ?? o.maxEpochs;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffleInPlace(order, random);
      for (let start = 0; start < order.length; start += o.batchSize) {
        const end = Math.min(order.length, start + o.batchSize);
        let nTouched = 0;
        gb.fill(0);
        for (let t = start; t < end; t++) {
          const ex = train[order[t]!]!;
          model.probs(ex.x, p);
          p[ex.y]! -= 1;
          for (let c = 0; c < C; c++) gb[c]! += p[c]!;
          for (let s = 0; s < ex.x.idx.length; s++) {
            const f = ex.x.idx[s]!;
            const base = f * C;
            if (mark[f] === 0) {
              mark[f] = 1;
              touched[nTouched++] = f;
              for (let c = 0; c < C; c++) gw[base + c] = 0;
            }
            const v = ex.x.val[s]!;
            for (let c = 0; c < C; c++) gw[base + c]! += p[c]! * v;
          }
        }
        step++;
        const scale = 1 / (end - start);
        const lr = (o.learningRate * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
        for (let t = 0; t < nTouched; t++) {
          const f = touched[t]!;
          mark[f] = 0;
          adamRange(w, gw, mw, vw, f * C, f * C + C, scale, o.l2, lr);
        }
        for (let c = 0; c < C; c++) {
          const g = gb[c]! * scale;
          mb[c] = BETA1 * mb[c]! + (1 - BETA1) * g;
          vb[c] = BETA2 * vb[c]! + (1 - BETA2) * g * g;
          model.b[c] = model.b[c]! - (lr * mb[c]!) / (Math.sqrt(vb[c]!) + ADAM_EPS);
        }
      }
      if (fixedEpochs !== undefined || validation.length === 0) continue;
      let loss = 0;
      for (const ex of validation) {
        model.probs(ex.x, p);
        loss -= Math.log(Math.max(p[ex.y]!, 1e-12));
      }
      loss /= validation.length;
      if (loss < best.loss - 1e-5) best = { loss, epoch, w: w.slice(), b: model.b.slice() };
      else if (epoch - best.epoch >= o.patience) break;
    }
    if (fixedEpochs !== undefined || validation.length === 0) return { model, epochs };
    return { model: new Softmax(classes, denseDim, o.hashBuckets, best.w, best.b), epochs: Math.max(1, best.epoch) };
  }
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;

function adamRange(w: Float32Array, gw: Float32Array, mw: Float32Array, vw: Float32Array, from: number, to: number, scale: number, l2: number, lr: number): void {
  for (let i = from; i < to; i++) {
    const g = gw[i]! * scale + l2 * w[i]!;
    const m = (mw[i] = BETA1 * mw[i]! + (1 - BETA1) * g);
    const v = (vw[i] = BETA2 * vw[i]! + (1 - BETA2) * g * g);
    w[i] = w[i]! - (lr * m) / (Math.sqrt(v) + ADAM_EPS);
  }
}

/**
 * The intent classifier: a softmax regression over sentence embedding + hashed lexical
 * features, mixed with a similarity-weighted kNN vote over an HNSW index of the training
 * examples, temperature-calibrated, with an out-of-scope detector. Everything that is tuned
 * (mix weight, temperature, the detector and its threshold) is chosen on a seeded validation
 * split of the training examples, never on a test set.
 */
export class IntentClassifier {
  private constructor(
    private readonly embedder: EmbeddingsInterface,
    readonly fingerprint: ModelFingerprint,
    private readonly options: Required<IntentClassifierOptions>,
    readonly classes: string[],
    private readonly model: Softmax,
    private readonly knn: HnswVectorStore,
    private readonly knnLabels: number[],
    private readonly knnVectors: Float32Array,
    private readonly knnTexts: string[],
    readonly mixWeight: number,
    readonly temperature: number,
    readonly oos: OosDetector | null,
    readonly report: TrainingReport,
  ) {}

  /** The fingerprint a model trained on `examples` with this embedder would have. */
  static expectedFingerprint(examples: IntentExample[], modelId: string, dimension: number): ModelFingerprint {
    return { version: CLASSIFIER_VERSION, modelId, dimension, dataHash: hashExamples(examples) };
  }

  /**
   * Trains on `examples`. A `LexicalEmbeddings` is not fitted in place (it may serve
   * other indexes): the classifier fits and keeps its own copy of the same dimension.
   */
  static async train(
    examples: IntentExample[],
    embeddings: EmbeddingsInterface,
    opts: { modelId: string } & IntentClassifierOptions,
  ): Promise<IntentClassifier> {
    const started = performance.now();
    const { modelId: _modelId, ...tuning } = opts;
    const o: Required<IntentClassifierOptions> = { ...DEFAULTS, ...stripUndefined(tuning) };
    const data = examples.map((e) => ({ text: normalizeText(e.text), intent: e.intent })).filter((e) => e.text !== '');
    const classes = [...new Set(data.map((e) => e.intent))].sort();
    if (classes.length < 2) throw new ShopError('bad_request', `intent classifier: need at least 2 intents, got ${classes.length}`);
    const embedder = embeddings instanceof LexicalEmbeddings ? new LexicalEmbeddings({ dimension: embeddings.dimension }).fit(data.map((e) => e.text)) : embeddings;
    const vectors = await embedAll(embedder, data.map((e) => e.text));
    const denseDim = vectors[0]!.length;
    const all = data.map((e, i) => ({
      x: encode(vectors[i]!, hashedFeatures(e.text, o.hashBuckets)),
      y: classes.indexOf(e.intent),
    }));

    // Stratified, seeded split: every intent with 3+ examples gives some to validation.
    const random = seededRandom(o.seed ^ 0x5eed);
    const byClass = new Map<number, number[]>();
    all.forEach((ex, i) => byClass.set(ex.y, [...(byClass.get(ex.y) ?? []), i]));
    const trainIdx: number[] = [];
    const valIdx: number[] = [];
    const oosClass = classes.indexOf(OUT_OF_SCOPE);
    for (const [y, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
      shuffleInPlace(idx, random);
      const share = y === oosClass ? o.oosValidationFraction : o.validationFraction;
      const nVal = idx.length >= 3 ? Math.max(1, Math.round(idx.length * share)) : 0;
      valIdx.push(...idx.slice(0, nVal));
      trainIdx.push(...idx.slice(nVal));
    }
    const train = trainIdx.map((i) => all[i]!);
    const val = valIdx.map((i) => all[i]!);
    const { model: tuned, epochs } = Softmax.train(train, val, classes.length, denseDim, o);

    // Tune on validation: kNN over the training split only, so its votes are honest.
    const oos = classes.indexOf(OUT_OF_SCOPE);
    const knnTrain = await buildKnn(embedder, trainIdx.map((i) => all[i]!.x.dense), denseDim, opts.modelId);
    const trainLabels = trainIdx.map((i) => all[i]!.y);
    const trainOos = trainIdx.filter((i) => all[i]!.y === oos).map((i) => all[i]!.x.dense);
    const valScores: Array<{ lr: Float64Array; kp: Float64Array; nearest: number; nearestOos: number; y: number }> = [];
    for (const ex of val) {
      const lr = new Float64Array(classes.length);
      tuned.probs(ex.x, lr);
      const { probs: kp, nearest } = await knnVote(knnTrain, trainLabels, ex.x.dense, classes.length, o.k, oos);
      valScores.push({ lr, kp, nearest, nearestOos: nearestOf(trainOos, ex.x.dense), y: ex.y });
    }
    let mixWeight = 1;
    let bestMix = { acc: -1, nll: Infinity };
    for (let step = 0; step <= 10; step++) {
      const lambda = step / 10;
      let correct = 0;
      let nll = 0;
      for (const s of valScores) {
        const mixed = mix(s.lr, s.kp, lambda);
        if (argmax(mixed) === s.y) correct++;
        nll -= Math.log(Math.max(mixed[s.y]!, 1e-12));
      }
      const acc = correct / Math.max(1, valScores.length);
      if (acc > bestMix.acc + 1e-9 || (Math.abs(acc - bestMix.acc) <= 1e-9 && nll < bestMix.nll)) {
        bestMix = { acc, nll };
        mixWeight = lambda;
      }
    }
    const mixedVal = valScores.map((s) => ({ p: mix(s.lr, s.kp, mixWeight), y: s.y }));
    const fitted = fitTemperature(mixedVal);
    const eceOf = (t: number) => expectedCalibrationError(mixedVal.map((s) => temper(s.p, t)).map((p, i) => ({ confidence: max(p), correct: argmax(p) === mixedVal[i]!.y })));
    const eceBefore = eceOf(1);
    const eceFitted = eceOf(fitted);
    // Calibration is kept only where it helps: a temperature that does not lower the validation ECE is dropped.
    const temperatureKept = eceFitted < eceBefore;
    const temperature = temperatureKept ? fitted : 1;
    const features = valScores.map((s, i) => oosFeatures(temper(mixedVal[i]!.p, temperature), oos, s.nearest, s.nearestOos));
    const labels = valScores.map((s) => s.y === oos);
    const detector = oos === -1 || !labels.some((l) => l) || labels.every((l) => l) ? null : fitOosDetector(features, labels);
    const calibratedVal = mixedVal.map((s, i) => ({ p: temper(s.p, temperature), y: s.y, pOos: detector ? oosProbability(detector, features[i]!) : 0 }));
    if (detector) detector.threshold = chooseOosThreshold(calibratedVal, oos, o.maxFalseRejection);

    const accuracyOf = (pick: (i: number) => number) => valScores.filter((s, i) => pick(i) === s.y).length / Math.max(1, valScores.length);
    const decided = calibratedVal.map((s) => decide(s.p, s.pOos, oos, detector));
    const inScope = calibratedVal.map((s, i) => i).filter((i) => calibratedVal[i]!.y !== oos);
    const outOfScope = calibratedVal.map((s, i) => i).filter((i) => calibratedVal[i]!.y === oos);
    const validation = {
      linearAccuracy: accuracyOf((i) => argmax(valScores[i]!.lr)),
      knnAccuracy: accuracyOf((i) => argmax(valScores[i]!.kp)),
      accuracy: accuracyOf((i) => decided[i]!),
      inScopeAccuracy: round(inScope.filter((i) => decided[i] === calibratedVal[i]!.y).length / Math.max(1, inScope.length)),
      oosRecall: round(outOfScope.filter((i) => decided[i] === oos).length / Math.max(1, outOfScope.length)),
      oosSupport: outOfScope.length,
      eceBefore,
      eceAfter: temperatureKept ? eceFitted : eceBefore,
      temperatureKept,
      oosCurve: detector
        ? [0.5, 0.8, 0.9, 0.95, 0.98, 0.99].map((threshold) => {
            const at = calibratedVal.map((s) => decide(s.p, s.pOos, oos, { ...detector, threshold }));
            return {
              threshold,
              inScopeAccuracy: round(inScope.filter((i) => at[i] === calibratedVal[i]!.y).length / Math.max(1, inScope.length)),
              oosRecall: round(outOfScope.filter((i) => at[i] === oos).length / Math.max(1, outOfScope.length)),
            };
          })
        : [],
    };

    let final = tuned;
    const knn = knnTrain;
    let knnIdx = trainIdx;
    if (o.refit && val.length > 0) {
      final = Softmax.train(all, [], classes.length, denseDim, o, epochs).model;
      // The validation examples join the tuning index (labels continue after the training rows).
      await addToKnn(knn, valIdx.map((i) => all[i]!.x.dense), trainIdx.length);
      knnIdx = [...trainIdx, ...valIdx];
    }
    const knnVectors = new Float32Array(knnIdx.length * denseDim);
    knnIdx.forEach((i, row) => knnVectors.set(all[i]!.x.dense, row * denseDim));
    const report: TrainingReport = {
      examples: all.length,
      intents: classes.length,
      trainSize: train.length,
      validationSize: val.length,
      epochs,
      validation,
      mixWeight,
      temperature,
      oos: detector,
      trainMs: Math.round(performance.now() - started),
    };
    return new IntentClassifier(
      embedder,
      IntentClassifier.expectedFingerprint(examples, opts.modelId, denseDim),
      o,
      classes,
      final,
      knn,
      knnIdx.map((i) => all[i]!.y),
      knnVectors,
      knnIdx.map((i) => data[i]!.text),
      mixWeight,
      temperature,
      detector,
      report,
    );
  }

  async classify(text: string): Promise<IntentPrediction> {
    const [p] = await this.classifyBatch([text]);
    return { intent: p!.intent, confidence: p!.confidence, alternatives: p!.alternatives };
  }

  /** Scores many texts with one embedding call. */
  async classifyBatch(texts: string[]): Promise<ScoredPrediction[]> {
    const clean = texts.map((t) => normalizeText(t));
    const nonEmpty = clean.filter((t) => t !== '');
    const vectors = nonEmpty.length > 0 ? await embedAll(this.embedder, nonEmpty) : [];
    const out: ScoredPrediction[] = [];
    const oos = this.classes.indexOf(OUT_OF_SCOPE);
    const oosRows = this.oosRows();
    let v = 0;
    for (const text of clean) {
      if (text === '') {
        out.push(this.emptyPrediction());
        continue;
      }
      const dense = vectors[v++]!;
      const lr = new Float64Array(this.classes.length);
      this.model.probs(encode(dense, hashedFeatures(text, this.options.hashBuckets)), lr);
      const { probs: kp, nearest } = await knnVote(this.knn, this.knnLabels, dense, this.classes.length, this.options.k, oos);
      const raw = mix(lr, kp, this.mixWeight);
      const p = temper(raw, this.temperature);
      const best = argmax(p);
      const pOos = this.oos ? oosProbability(this.oos, oosFeatures(p, oos, nearest, nearestOf(oosRows, dense))) : 0;
      const chosen = decide(p, pOos, oos, this.oos);
      const rejected = chosen === oos && best !== oos;
      const ranked = [...p].map((confidence, i) => ({ intent: this.classes[i]!, confidence })).sort((a, b) => b.confidence - a.confidence);
      const intent = this.classes[chosen] ?? OUT_OF_SCOPE;
      // Out of scope is reported with the detector's probability that the message is not a shop question.
      const confidence = chosen === oos && this.oos ? pOos : p[chosen]!;
      out.push({
        intent,
        confidence: round(confidence),
        alternatives: ranked
          .filter((r) => r.intent !== intent)
          .slice(0, 3)
          .map((r) => ({ intent: r.intent, confidence: round(r.confidence) })),
        argmax: this.classes[best]!,
        rawConfidence: max(raw),
        calibratedConfidence: p[best]!,
        nearest,
        oosProbability: round(pOos),
        rejected,
      });
    }
    return out;
  }

  toJSON(): SavedModel {
    const lexical = this.embedder instanceof LexicalEmbeddings ? this.embedder.toJSON() : undefined;
    return {
      format: 'shop-intent-classifier',
      fingerprint: this.fingerprint,
      options: this.options,
      classes: this.classes,
      denseDim: this.model.denseDim,
      weights: f32ToBase64(this.model.w),
      bias: f32ToBase64(this.model.b),
      mixWeight: this.mixWeight,
      temperature: this.temperature,
      oos: this.oos,
      knn: lexical ? { labels: this.knnLabels, texts: this.knnTexts } : { labels: this.knnLabels, vectors: f32ToBase64(this.knnVectors) },
      ...(lexical ? { lexical } : {}),
      report: this.report,
    };
  }

  /**
   * Restores a saved model. `embeddings` must be the model the fingerprint names (a saved
   * lexical model brings its own fitted embedder). The kNN index is rebuilt from the saved
   * example vectors, so no text is embedded again.
   */
  static async fromJSON(json: unknown, embeddings: EmbeddingsInterface): Promise<IntentClassifier> {
    const s = json as Partial<SavedModel>;
    if (!s || s.format !== 'shop-intent-classifier' || !s.fingerprint || !s.classes || !s.options || !s.knn || typeof s.denseDim !== 'number') {
      throw new ShopError('bad_request', 'not a saved intent classifier');
    }
    const embedder = s.lexical ? LexicalEmbeddings.fromJSON(s.lexical) : embeddings;
    const w = base64ToF32(s.weights ?? '');
    const b = base64ToF32(s.bias ?? '');
    const options = { ...DEFAULTS, ...s.options };
    const model = new Softmax(s.classes.length, s.denseDim, options.hashBuckets, w, b);
    if (w.length !== model.w.length || b.length !== s.classes.length) throw new ShopError('bad_request', 'saved intent classifier: weight sizes do not match');
    let rows: Float32Array[] = [];
    if (s.knn.texts) {
      rows = await embedAll(embedder, s.knn.texts);
    } else {
      const flat = base64ToF32(s.knn.vectors ?? '');
      for (let r = 0; r * s.denseDim < flat.length; r++) rows.push(flat.subarray(r * s.denseDim, (r + 1) * s.denseDim));
    }
    const denseDim = s.denseDim;
    const vectors = new Float32Array(rows.length * denseDim);
    rows.forEach((row, r) => vectors.set(row, r * denseDim));
    if (rows.length !== s.knn.labels.length) throw new ShopError('bad_request', 'saved intent classifier: kNN labels and vectors differ in count');
    const knn = await buildKnn(embedder, rows, s.denseDim, s.fingerprint.modelId);
    return new IntentClassifier(
      embedder,
      s.fingerprint,
      options,
      s.classes,
      model,
      knn,
      s.knn.labels,
      vectors,
      s.knn.texts ?? [],
      s.mixWeight ?? 1,
      s.temperature ?? 1,
      s.oos ? checkDetector(s.oos) : null,
      s.report as TrainingReport,
    );
  }

  private emptyPrediction(): ScoredPrediction {
    return { intent: OUT_OF_SCOPE, confidence: 1, alternatives: [], argmax: OUT_OF_SCOPE, rawConfidence: 1, calibratedConfidence: 1, nearest: 0, oosProbability: 1, rejected: true };
  }

  /** The out_of_scope examples' vectors (the detector's nearest-off-topic feature). */
  private oosRows(): Float32Array[] {
    const oos = this.classes.indexOf(OUT_OF_SCOPE);
    const dim = this.model.denseDim;
    const rows: Float32Array[] = [];
    this.knnLabels.forEach((label, r) => {
      if (label === oos) rows.push(this.knnVectors.subarray(r * dim, (r + 1) * dim));
    });
    return rows;
  }
}

async function embedAll(embedder: EmbeddingsInterface, texts: string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const batch = 64;
  for (let i = 0; i < texts.length; i += batch) {
    const vs = await embedder.embedDocuments(texts.slice(i, i + batch));
    for (const v of vs) out.push(l2normalize(Float32Array.from(v)));
  }
  return out;
}

function l2normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

async function buildKnn(embedder: EmbeddingsInterface, vectors: Float32Array[], dimension: number, modelId: string): Promise<HnswVectorStore> {
  const store = new HnswVectorStore(embedder, {
    space: 'cosine',
    dimension,
    modelId,
    initialCapacity: Math.max(16, vectors.length),
    efConstruction: 32,
    M: 8,
    efSearch: 64,
  });
  await addToKnn(store, vectors, 0);
  return store;
}

/** Adds example vectors as rows `offset..`; the row number is the example's index into the label list. */
async function addToKnn(store: HnswVectorStore, vectors: Float32Array[], offset: number): Promise<void> {
  const docs = vectors.map((_, i) => new Document({ pageContent: '', metadata: { row: offset + i } }));
  // A zero vector (text with no features) has no cosine; give it a tiny constant instead.
  const arrays = vectors.map((v) => (v.some((x) => x !== 0) ? Array.from(v) : Array.from({ length: v.length }, () => 1e-6)));
  await store.addVectors(arrays, docs, { ids: docs.map((_, i) => String(offset + i)) });
}

/**
 * Similarity-weighted votes of the k nearest examples, smoothed so no class gets 0, and the
 * cosine of the nearest example of a shop intent (when all k are out_of_scope, the k-th one's:
 * the nearest shop example is no closer than that).
 */
async function knnVote(store: HnswVectorStore, labels: number[], dense: Float32Array, classes: number, k: number, oos: number): Promise<{ probs: Float64Array; nearest: number }> {
  const probs = new Float64Array(classes);
  const query = dense.some((x) => x !== 0) ? Array.from(dense) : Array.from({ length: dense.length }, () => 1e-6);
  const hits = await store.similaritySearchVectorWithScore(query, k);
  const top = hits.length > 0 ? hits[0]![1] : 0;
  let nearest: number | undefined;
  let total = 0;
  for (const [doc, sim] of hits) {
    const label = labels[doc.metadata['row'] as number]!;
    if (nearest === undefined && label !== oos) nearest = sim;
    const w = Math.exp((sim - top) / KNN_TAU);
    probs[label]! += w;
    total += w;
  }
  const smooth = 1e-3;
  for (let c = 0; c < classes; c++) probs[c] = (probs[c]! + smooth / classes) / (total + smooth);
  return { probs, nearest: nearest ?? (hits.length > 0 ? hits[hits.length - 1]![1] : 0) };
}

/** Cosine of the closest of `rows` (unit vectors) to `v`; 0 when there are none. */
function nearestOf(rows: Float32Array[], v: Float32Array): number {
  let best = rows.length === 0 ? 0 : -1;
  for (const r of rows) {
    let d = 0;
    for (let j = 0; j < v.length; j++) d += r[j]! * v[j]!;
    if (d > best) best = d;
  }
  return best;
}

function mix(a: Float64Array, b: Float64Array, lambda: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = lambda * a[i]! + (1 - lambda) * b[i]!;
  return out;
}

/** p^(1/T), renormalised: temperature scaling applied to the log of a mixed distribution. */
function temper(p: Float64Array, t: number): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = Math.log(Math.max(p[i]!, 1e-12)) / t;
  return softmaxInPlace(out);
}

/** The temperature minimising validation NLL (log-spaced grid, then a finer grid around the best). */
function fitTemperature(scores: Array<{ p: Float64Array; y: number }>): number {
  if (scores.length === 0) return 1;
  const nll = (t: number) => {
    let s = 0;
    for (const x of scores) s -= Math.log(Math.max(temper(x.p, t)[x.y]!, 1e-12));
    return s;
  };
  let best = 1;
  let bestLoss = nll(1);
  for (let e = -3; e <= 3; e += 0.1) {
    const t = Math.exp(e);
    const l = nll(t);
    if (l < bestLoss) [best, bestLoss] = [t, l];
  }
  for (let f = 0.9; f <= 1.1; f += 0.01) {
    const t = best * f;
    const l = nll(t);
    if (l < bestLoss) [best, bestLoss] = [t, l];
  }
  return round(best);
}

/** The best shop intent of a distribution (out_of_scope excluded). */
function bestInScope(p: ArrayLike<number>, oos: number): number {
  let best = oos === 0 ? 1 : 0;
  for (let i = 0; i < p.length; i++) if (i !== oos && p[i]! > p[best]!) best = i;
  return best;
}

/** The detector's inputs: log P(best shop intent), log P(out_of_scope), nearest shop example, nearest off-topic example. */
export function oosFeatures(p: ArrayLike<number>, oos: number, nearest: number, nearestOos: number): number[] {
  const inScope = p[bestInScope(p, oos)] ?? 0;
  const out = oos === -1 ? 0 : p[oos]!;
  return [Math.log(Math.max(inScope, 1e-6)), Math.log(Math.max(out, 1e-6)), nearest, nearestOos];
}

export function oosProbability(d: OosDetector, f: number[]): number {
  let z = d.bias;
  for (let j = 0; j < f.length; j++) z += d.weights[j]! * ((f[j]! - d.mean[j]!) / d.std[j]!);
  return 1 / (1 + Math.exp(-z));
}

/**
 * Weighted logistic regression by Newton's method (a handful of standardised features, so an
 * exact solve is cheap), the two classes weighted alike, a small L2 on the weights.
 * Deterministic: no random start, no sampling.
 */
export function fitOosDetector(features: number[][], labels: boolean[], l2 = 1e-2): OosDetector {
  const d = features[0]?.length ?? 0;
  const n = features.length;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const f of features) for (let j = 0; j < d; j++) mean[j]! += f[j]! / n;
  for (const f of features) for (let j = 0; j < d; j++) std[j]! += (f[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const x = features.map((f) => [1, ...f.map((v, j) => (v - mean[j]!) / std[j]!)]);
  const pos = labels.filter((l) => l).length;
  const weightOf = (l: boolean) => (l ? n / (2 * pos) : n / (2 * (n - pos)));
  const beta = new Array<number>(d + 1).fill(0);
  for (let iter = 0; iter < 50; iter++) {
    const g = new Array<number>(d + 1).fill(0);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      let z = 0;
      for (let j = 0; j <= d; j++) z += beta[j]! * xi[j]!;
      const q = 1 / (1 + Math.exp(-z));
      const w = weightOf(labels[i]!);
      const r = w * (q - (labels[i] ? 1 : 0));
      const c = w * q * (1 - q);
      for (let j = 0; j <= d; j++) {
        g[j]! += r * xi[j]!;
        for (let k = 0; k <= d; k++) h[j]![k]! += c * xi[j]! * xi[k]!;
      }
    }
    for (let j = 1; j <= d; j++) {
      g[j]! += l2 * n * beta[j]!;
      h[j]![j]! += l2 * n;
    }
    const step = solve(h, g);
    let moved = 0;
    for (let j = 0; j <= d; j++) {
      beta[j]! -= step[j]!;
      moved = Math.max(moved, Math.abs(step[j]!));
    }
    if (moved < 1e-8) break;
  }
  return { mean: mean.map(round), std: std.map(round), weights: beta.slice(1).map(round), bias: round(beta[0]!), threshold: 0.5 };
}

/** Gaussian elimination with partial pivoting; a singular system gives a zero step. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    if (Math.abs(m[pivot]![c]!) < 1e-12) return new Array<number>(n).fill(0);
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * The class to answer: out_of_scope when the detector is at or above its threshold, else the
 * best shop intent (also when out_of_scope had the most probability but the detector disagrees).
 */
function decide(p: Float64Array, pOos: number, oos: number, detector: OosDetector | null): number {
  if (oos === -1) return argmax(p);
  if (!detector) return argmax(p);
  return pOos >= detector.threshold ? oos : bestInScope(p, oos);
}

/**
 * The rejection threshold on validation: the lowest detector score that turns away at most
 * `maxFalseRejection` of the shop messages the classifier answers right (more off-topic
 * messages caught for a fixed, chosen cost in refused shop questions). Exported for tests.
 */
export function chooseOosThreshold(scores: Array<{ p: ArrayLike<number>; y: number; pOos: number }>, oos: number, maxFalseRejection: number): number {
  const right = scores
    .filter((s) => s.y !== oos && bestInScope(s.p, oos) === s.y)
    .map((s) => s.pOos)
    .sort((a, b) => b - a);
  if (right.length === 0) return 0.5;
  const allowed = Math.floor(Math.max(0, maxFalseRejection) * right.length);
  if (allowed >= right.length) return 0;
  // Above the (allowed+1)-th highest score of a right answer, halfway to the next one up.
  if (allowed === 0) return round(Math.min(NEVER, right[0]! + 1e-6));
  return round((right[allowed - 1]! + right[allowed]!) / 2);
}

/** A detector threshold no probability reaches. */
const NEVER = 1.01;

function checkDetector(d: unknown): OosDetector {
  const o = d as Partial<OosDetector>;
  const ok = (xs: unknown) => Array.isArray(xs) && xs.length === 4 && xs.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!ok(o.mean) || !ok(o.std) || !ok(o.weights) || typeof o.bias !== 'number' || typeof o.threshold !== 'number') {
    throw new ShopError('bad_request', 'saved intent classifier: the out-of-scope detector is malformed');
  }
  return { mean: o.mean!, std: o.std!, weights: o.weights!, bias: o.bias, threshold: o.threshold };
}

/** Expected calibration error over 15 equal-width confidence bins. */
export function expectedCalibrationError(items: Array<{ confidence: number; correct: boolean }>, bins = 15): number {
  if (items.length === 0) return 0;
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const acc = new Array<number>(bins).fill(0);
  for (const it of items) {
    const b = Math.min(bins - 1, Math.floor(it.confidence * bins));
    count[b]!++;
    conf[b]! += it.confidence;
    acc[b]! += it.correct ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(acc[b]! - conf[b]!) / items.length;
  return round(ece);
}

function softmaxInPlace(z: Float64Array): Float64Array {
  let m = -Infinity;
  for (const v of z) if (v > m) m = v;
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp(z[i]! - m);
    s += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= s;
  return z;
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

function max(p: ArrayLike<number>): number {
  return p[argmax(p)] ?? 0;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
