import { OUT_OF_SCOPE, canonicalIntent, type IntentExample } from './examples.js';
import { expectedCalibrationError, type ScoredPrediction } from './intent-classifier.js';

/** Anything that scores texts like `IntentClassifier.classifyBatch`. */
export interface BatchClassifier {
  classifyBatch(texts: string[]): Promise<ScoredPrediction[]>;
}

export interface IntentEvaluation {
  examples: number;
  accuracy: number;
  /** Accuracy on the examples that are not out of scope (a rejected one counts as wrong), as the CLINC150 paper reports it. */
  inScopeAccuracy: number;
  /** Mean F1 over the intents present in the test set. */
  macroF1: number;
  perIntent: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** The most frequent mistakes, actual -> predicted. */
  confusions: Array<{ actual: string; predicted: string; count: number }>;
  /** Rejection quality: precision and recall of the `out_of_scope` answer (`oos` in the file counts as it). */
  outOfScope: { precision: number; recall: number; support: number };
  /**
   * ECE of the best class's probability before and after temperature scaling (argmax, no
   * rejection), and of the answer's reported confidence (the intent's probability, or for
   * out_of_scope the detector's) against whether the answer was right.
   */
  calibration: { eceBefore: number; eceAfter: number; eceAnswer: number };
}

/** Scores a labelled test set. `mapLabel` maps test labels onto the classifier's (default: `oos` -> `out_of_scope`). */
export async function evaluateIntents(
  classifier: BatchClassifier,
  test: IntentExample[],
  opts: { mapLabel?: (label: string) => string; topConfusions?: number } = {},
): Promise<IntentEvaluation> {
  const map = opts.mapLabel ?? canonicalIntent;
  const predictions: ScoredPrediction[] = [];
  const batch = 256;
  for (let i = 0; i < test.length; i += batch) {
    predictions.push(...(await classifier.classifyBatch(test.slice(i, i + batch).map((e) => e.text))));
  }
  return scorePredictions(
    test.map((e) => map(e.intent)),
    predictions,
    opts.topConfusions ?? 15,
  );
}

/** The metrics of `evaluateIntents` from labels and predictions (exported for other classifiers, e.g. a baseline). */
export function scorePredictions(actual: string[], predictions: Array<Pick<ScoredPrediction, 'intent'> & Partial<ScoredPrediction>>, topConfusions = 15): IntentEvaluation {
  const labels = [...new Set(actual)].sort();
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const support = new Map<string, number>();
  const confusions = new Map<string, number>();
  let correct = 0;
  let inScope = 0;
  let inScopeCorrect = 0;
  actual.forEach((a, i) => {
    const p = predictions[i]!.intent;
    support.set(a, (support.get(a) ?? 0) + 1);
    if (a !== OUT_OF_SCOPE) inScope++;
    if (a === p) {
      correct++;
      if (a !== OUT_OF_SCOPE) inScopeCorrect++;
      tp.set(a, (tp.get(a) ?? 0) + 1);
    } else {
      fp.set(p, (fp.get(p) ?? 0) + 1);
      fn.set(a, (fn.get(a) ?? 0) + 1);
      const key = `${a}\u0000${p}`;
      confusions.set(key, (confusions.get(key) ?? 0) + 1);
    }
  });
  const prf = (label: string) => {
    const t = tp.get(label) ?? 0;
    const precision = t + (fp.get(label) ?? 0) === 0 ? 0 : t / (t + (fp.get(label) ?? 0));
    const recall = t + (fn.get(label) ?? 0) === 0 ? 0 : t / (t + (fn.get(label) ?? 0));
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision: r4(precision), recall: r4(recall), f1: r4(f1), support: support.get(label) ?? 0 };
  };
  // Own properties whatever the intent is called (an assignment to `{}` under "__proto__" sets the prototype instead).
  const perLabel = labels.map((l) => [l, prf(l)] as const);
  const perIntent: IntentEvaluation['perIntent'] = Object.fromEntries(perLabel);
  const oos = prf(OUT_OF_SCOPE);
  const withScores = predictions.filter((p) => p.rawConfidence !== undefined && p.calibratedConfidence !== undefined && p.argmax !== undefined);
  const calibrated = withScores.length === predictions.length && predictions.length > 0;
  return {
    examples: actual.length,
    accuracy: r4(actual.length === 0 ? 0 : correct / actual.length),
    inScopeAccuracy: r4(inScope === 0 ? 0 : inScopeCorrect / inScope),
    macroF1: r4(labels.length === 0 ? 0 : perLabel.reduce((s, [, m]) => s + m.f1, 0) / labels.length),
    perIntent,
    confusions: [...confusions]
      .map(([key, count]) => {
        const [a, p] = key.split('\u0000');
        return { actual: a!, predicted: p!, count };
      })
      .sort((x, y) => y.count - x.count || x.actual.localeCompare(y.actual))
      .slice(0, topConfusions),
    outOfScope: { precision: oos.precision, recall: oos.recall, support: oos.support },
    calibration: calibrated
      ? {
          eceBefore: expectedCalibrationError(predictions.map((p, i) => ({ confidence: p.rawConfidence!, correct: p.argmax === actual[i] }))),
          eceAfter: expectedCalibrationError(predictions.map((p, i) => ({ confidence: p.calibratedConfidence!, correct: p.argmax === actual[i] }))),
          eceAnswer: expectedCalibrationError(predictions.map((p, i) => ({ confidence: p.confidence!, correct: p.intent === actual[i] }))),
        }
      : { eceBefore: Number.NaN, eceAfter: Number.NaN, eceAnswer: Number.NaN },
  };
}

function r4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
