import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { Document } from '@langchain/core/documents';
import { HnswVectorStore, LexicalEmbeddings, type LexicalEmbeddingsState } from '../../knowledge/index.js';
import { ShopError } from '../../store/index.js';
import { hashExamples, OUT_OF_SCOPE, type IntentExample } from './examples.js';
import { base64ToF32, f32ToBase64, hashedFeatures, normalizeText, seededRandom, shuffleInPlace, type SparseVector } from './features.js';

/** Bumped when features or the model change shape, so saved models go stale. */
export const CLASSIFIER_VERSION = 1;

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
  /** Share of each intent held out for early stopping, the mix weight, temperature and thresholds. */
  validationFraction?: number;
  /** Neighbours that vote in the kNN half. */
  k?: number;
  /** After tuning, retrain the linear model on every example for the best epoch count. */
  refit?: boolean;
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
};

/** Similarity-vote sharpness: weight = exp(sim / KNN_TAU). */
const KNN_TAU = 0.05;
/** A missed out-of-scope message (a confident wrong answer) costs this many rejected in-scope ones. */
const OOS_WEIGHT = 3;

export interface IntentPrediction {
  intent: string;
  /** Calibrated probability of `intent`. */
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
  /** Cosine similarity of the nearest training example. */
  nearest: number;
  rejected: boolean;
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
  /** On the validation split, before the refit: linear model alone, kNN alone, the calibrated mix with rejection. */
  validation: { linearAccuracy: number; knnAccuracy: number; accuracy: number; eceBefore: number; eceAfter: number };
  mixWeight: number;
  temperature: number;
  thresholds: { probability: number; similarity: number };
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
  thresholds: { probability: number; similarity: number };
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
 * examples, temperature-calibrated, with an out-of-scope rejection rule. Everything that
 * is tuned (mix weight, temperature, thresholds) is chosen on a seeded validation split.
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
    readonly thresholds: { probability: number; similarity: number },
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
    for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
      shuffleInPlace(idx, random);
      const nVal = idx.length >= 3 ? Math.max(1, Math.round(idx.length * o.validationFraction)) : 0;
      valIdx.push(...idx.slice(0, nVal));
      trainIdx.push(...idx.slice(nVal));
    }
    const train = trainIdx.map((i) => all[i]!);
    const val = valIdx.map((i) => all[i]!);
    const { model: tuned, epochs } = Softmax.train(train, val, classes.length, denseDim, o);

    // Tune on validation: kNN over the training split only, so its votes are honest.
    const knnTrain = await buildKnn(embedder, trainIdx.map((i) => all[i]!.x.dense), denseDim, opts.modelId);
    const trainLabels = trainIdx.map((i) => all[i]!.y);
    const valScores: Array<{ lr: Float64Array; kp: Float64Array; nearest: number; y: number }> = [];
    for (const ex of val) {
      const lr = new Float64Array(classes.length);
      tuned.probs(ex.x, lr);
      const { probs: kp, nearest } = await knnVote(knnTrain, trainLabels, ex.x.dense, classes.length, o.k);
      valScores.push({ lr, kp, nearest, y: ex.y });
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
    const mixedVal = valScores.map((s) => ({ p: mix(s.lr, s.kp, mixWeight), y: s.y, nearest: s.nearest }));
    const temperature = fitTemperature(mixedVal);
    const calibratedVal = mixedVal.map((s) => ({ p: temper(s.p, temperature), y: s.y, nearest: s.nearest }));
    const oos = classes.indexOf(OUT_OF_SCOPE);
    const thresholds = oos === -1 ? { probability: 0, similarity: -1 } : chooseThresholds(calibratedVal, oos);

    const accuracyOf = (pick: (i: number) => number) => valScores.filter((s, i) => pick(i) === s.y).length / Math.max(1, valScores.length);
    const validation = {
      linearAccuracy: accuracyOf((i) => argmax(valScores[i]!.lr)),
      knnAccuracy: accuracyOf((i) => argmax(valScores[i]!.kp)),
      accuracy: accuracyOf((i) => decide(calibratedVal[i]!.p, calibratedVal[i]!.nearest, oos, thresholds)),
      eceBefore: expectedCalibrationError(mixedVal.map((s) => ({ confidence: max(s.p), correct: argmax(s.p) === s.y }))),
      eceAfter: expectedCalibrationError(calibratedVal.map((s) => ({ confidence: max(s.p), correct: argmax(s.p) === s.y }))),
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
      thresholds,
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
      thresholds,
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
    let v = 0;
    for (const text of clean) {
      if (text === '') {
        out.push(this.emptyPrediction());
        continue;
      }
      const dense = vectors[v++]!;
      const lr = new Float64Array(this.classes.length);
      this.model.probs(encode(dense, hashedFeatures(text, this.options.hashBuckets)), lr);
      const { probs: kp, nearest } = await knnVote(this.knn, this.knnLabels, dense, this.classes.length, this.options.k);
      const raw = mix(lr, kp, this.mixWeight);
      const p = temper(raw, this.temperature);
      const best = argmax(p);
      const chosen = decide(p, nearest, oos, this.thresholds);
      const rejected = chosen !== best;
      const ranked = [...p].map((confidence, i) => ({ intent: this.classes[i]!, confidence })).sort((a, b) => b.confidence - a.confidence);
      const intent = this.classes[chosen] ?? OUT_OF_SCOPE;
      // A rejected message is out of scope with the probability the model did not give its best guess.
      const confidence = rejected ? Math.max(p[oos] ?? 0, 1 - p[best]!) : p[chosen]!;
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
      thresholds: this.thresholds,
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
      s.thresholds ?? { probability: 0, similarity: -1 },
      s.report as TrainingReport,
    );
  }

  private emptyPrediction(): ScoredPrediction {
    return { intent: OUT_OF_SCOPE, confidence: 1, alternatives: [], argmax: OUT_OF_SCOPE, rawConfidence: 1, calibratedConfidence: 1, nearest: 0, rejected: true };
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

/** Similarity-weighted votes of the k nearest examples, smoothed so no class gets 0. */
async function knnVote(store: HnswVectorStore, labels: number[], dense: Float32Array, classes: number, k: number): Promise<{ probs: Float64Array; nearest: number }> {
  const probs = new Float64Array(classes);
  const query = dense.some((x) => x !== 0) ? Array.from(dense) : Array.from({ length: dense.length }, () => 1e-6);
  const hits = await store.similaritySearchVectorWithScore(query, k);
  const nearest = hits.length > 0 ? hits[0]![1] : 0;
  let total = 0;
  for (const [doc, sim] of hits) {
    const w = Math.exp((sim - nearest) / KNN_TAU);
    probs[labels[doc.metadata['row'] as number]!]! += w;
    total += w;
  }
  const smooth = 1e-3;
  for (let c = 0; c < classes; c++) probs[c] = (probs[c]! + smooth / classes) / (total + smooth);
  return { probs, nearest };
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

/** The class to answer: the best one, unless it is unsure or far from every example. */
function decide(p: Float64Array, nearest: number, oos: number, th: { probability: number; similarity: number }): number {
  const best = argmax(p);
  if (oos === -1 || best === oos) return best;
  return p[best]! < th.probability || nearest < th.similarity ? oos : best;
}

/** Grid search on validation: weighted accuracy where a missed out-of-scope counts OOS_WEIGHT. */
function chooseThresholds(scores: Array<{ p: Float64Array; y: number; nearest: number }>, oos: number): { probability: number; similarity: number } {
  const probs = [0, ...quantiles(scores.map((s) => max(s.p)))];
  const sims = [-1, ...quantiles(scores.map((s) => s.nearest))];
  let best = { probability: 0, similarity: -1 };
  let bestScore = -Infinity;
  for (const probability of probs) {
    for (const similarity of sims) {
      let score = 0;
      for (const s of scores) {
        const ok = decide(s.p, s.nearest, oos, { probability, similarity }) === s.y;
        score += ok ? (s.y === oos ? OOS_WEIGHT : 1) : 0;
      }
      // Ties go to the lower thresholds (the grids are ascending): reject no more than needed.
      if (score > bestScore + 1e-9) {
        bestScore = score;
        best = { probability: round(probability), similarity: round(similarity) };
      }
    }
  }
  return best;
}

function quantiles(xs: number[]): number[] {
  const s = [...xs].sort((a, b) => a - b);
  const out = new Set<number>();
  for (let q = 0.01; q <= 0.3; q += 0.01) out.add(s[Math.floor(q * (s.length - 1))] ?? 0);
  return [...out].sort((a, b) => a - b);
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
