import { beforeAll, describe, expect, it } from 'vitest';
import { LexicalEmbeddings } from '../../knowledge/index.js';
import { chooseOosThreshold, fitOosDetector, oosProbability } from '../../skills/nlu/intent-classifier.js';
import { DEFAULT_INTENTS_DIR, expectedCalibrationError, IntentClassifier, loadIntentExamples, OUT_OF_SCOPE, type IntentExample } from '../../skills/nlu/index.js';

let examples: IntentExample[];
let classifier: IntentClassifier;

beforeAll(async () => {
  examples = await loadIntentExamples(DEFAULT_INTENTS_DIR);
  classifier = await IntentClassifier.train(examples, new LexicalEmbeddings(), { modelId: 'lexical' });
}, 120_000);

describe('out-of-scope rejection on the shop data (lexical embedder)', () => {
  it('answers clearly off-topic messages out_of_scope, with a confidence above one half', async () => {
    const answers = await classifier.classifyBatch(['what will the weather be like in Paris tomorrow', 'write me a python script that sorts a list', '讲个笑话', '帮我写个冒泡排序']);
    for (const a of answers) {
      expect(a.intent).toBe(OUT_OF_SCOPE);
      expect(a.confidence).toBeGreaterThan(0.5);
      expect(a.confidence).toBe(a.oosProbability);
    }
  });

  it('does not call points and VIP questions out of scope: they are promotions questions (the coupon intent)', async () => {
    const answers = await classifier.classifyBatch(['怎样才能成为VIP，有啥好处', '买完东西积分啥时候到账']);
    for (const a of answers) {
      expect(a.intent).not.toBe(OUT_OF_SCOPE);
      expect(a.intent).toBe('coupon');
      expect(a.oosProbability).toBeLessThan(classifier.oos!.threshold);
    }
  });

  it('answers shop questions with their intent', async () => {
    const [a, b] = await classifier.classifyBatch(['where is my order SA100123', '包的拉链坏了，买了4个月了还管吗']);
    expect(a!.intent).toBe('track_order');
    expect(b!.intent).toBe('warranty');
  });
});

describe('threshold selection', () => {
  it('fits the detector and its threshold on the seeded validation split of the training examples, deterministically', async () => {
    const some = examples.filter((e) => ['track_order', 'return_item', 'greeting', 'warranty', OUT_OF_SCOPE].includes(e.intent));
    const a = await IntentClassifier.train(some, new LexicalEmbeddings(), { modelId: 'lexical', seed: 5 });
    const b = await IntentClassifier.train(some, new LexicalEmbeddings(), { modelId: 'lexical', seed: 5 });
    const c = await IntentClassifier.train(some, new LexicalEmbeddings(), { modelId: 'lexical', seed: 6 });
    expect(a.oos).toEqual(b.oos);
    expect(c.oos).not.toEqual(a.oos);
    // 15% of every intent, out_of_scope included, is held out for the detector, the temperature and the mix.
    const oosCount = some.filter((e) => e.intent === OUT_OF_SCOPE).length;
    expect(a.report.validation.oosSupport).toBe(Math.round(oosCount * 0.15));
    expect(a.report.validationSize).toBeLessThan(some.length / 3);
    expect(a.report.trainSize + a.report.validationSize).toBe(some.length);
  }, 60_000);

  it('chooses the lowest threshold that refuses no more than the allowed share of right answers', () => {
    const p = (best: number) => Float64Array.from([0, best === 1 ? 0.9 : 0.05, best === 2 ? 0.9 : 0.05]);
    // Class 0 is out_of_scope; 10 in-scope validation messages answered right, scores 0.0..0.9; one wrong; two off-topic.
    const scores = [
      ...Array.from({ length: 10 }, (_, i) => ({ p: p(1), y: 1, pOos: i / 10 })),
      { p: p(2), y: 1, pOos: 0.99 },
      { p: p(1), y: 0, pOos: 0.95 },
      { p: p(1), y: 0, pOos: 0.3 },
    ];
    // 10% of 10 right answers: one may be refused (0.9), so the threshold sits between 0.8 and 0.9.
    expect(chooseOosThreshold(scores, 0, 0.1)).toBeCloseTo(0.85, 6);
    // No budget: above the highest right answer.
    expect(chooseOosThreshold(scores, 0, 0)).toBeGreaterThan(0.9);
    // 30%: three refused (0.9, 0.8, 0.7).
    expect(chooseOosThreshold(scores, 0, 0.3)).toBeCloseTo(0.65, 6);
  });

  it('the detector ranks off-topic scores above in-scope ones on separable data', () => {
    const features = [
      ...Array.from({ length: 40 }, (_, i) => [-0.1, -8 + (i % 5) * 0.1, 0.8, 0.1]),
      ...Array.from({ length: 8 }, (_, i) => [-1.5, -0.5 - (i % 3) * 0.1, 0.3, 0.6]),
    ];
    const labels = features.map((_, i) => i >= 40);
    const d = fitOosDetector(features, labels);
    const inScope = oosProbability(d, [-0.1, -8, 0.8, 0.1]);
    const off = oosProbability(d, [-1.5, -0.5, 0.3, 0.6]);
    expect(inScope).toBeLessThan(0.1);
    expect(off).toBeGreaterThan(0.9);
  });
});

describe('expected calibration error', () => {
  it('is the bin-weighted gap between confidence and accuracy', () => {
    // Five at 0.9 with four right (gap 0.1) and five at 0.3 with none right (gap 0.3): 0.5 * 0.1 + 0.5 * 0.3.
    const items = [
      ...Array.from({ length: 5 }, (_, i) => ({ confidence: 0.9, correct: i < 4 })),
      ...Array.from({ length: 5 }, () => ({ confidence: 0.3, correct: false })),
    ];
    expect(expectedCalibrationError(items)).toBeCloseTo(0.2, 6);
    expect(expectedCalibrationError([{ confidence: 1, correct: true }])).toBe(0);
    expect(expectedCalibrationError([])).toBe(0);
  });
});
