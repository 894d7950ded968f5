import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTENTS_DIR, loadIntentExamples, OUT_OF_SCOPE } from '../../skills/nlu/index.js';

const HARD_ZH = fileURLToPath(new URL('../../data/nlu-eval/hard-zh.csv', import.meta.url));

describe('data/nlu-eval/hard-zh.csv (the hard-Chinese intent eval set)', () => {
  it('labels every row with an intent the shop is trained on, about a tenth out of scope, in Chinese', async () => {
    const test = await loadIntentExamples(HARD_ZH);
    const intents = new Set((await loadIntentExamples(DEFAULT_INTENTS_DIR)).map((e) => e.intent));
    expect(test.length).toBeGreaterThanOrEqual(150);
    expect(test.length).toBeLessThanOrEqual(200);
    expect(test.filter((e) => !intents.has(e.intent)).map((e) => `${e.intent}: ${e.text}`)).toEqual([]);
    const oos = test.filter((e) => e.intent === OUT_OF_SCOPE).length / test.length;
    expect(oos).toBeGreaterThan(0.08);
    expect(oos).toBeLessThan(0.12);
    // Spread over the intents: every one of them has rows.
    expect(new Set(test.map((e) => e.intent)).size).toBe(intents.size);
    expect(test.filter((e) => !/[\u3400-\u9fff]/u.test(e.text)).map((e) => e.text)).toEqual([]);
  });

  it('shares no row with the training data and repeats none', async () => {
    const key = (t: string) => t.trim().toLowerCase();
    const training = new Set((await loadIntentExamples(DEFAULT_INTENTS_DIR)).map((e) => key(e.text)));
    const test = await loadIntentExamples(HARD_ZH);
    expect(test.filter((e) => training.has(key(e.text))).map((e) => e.text)).toEqual([]);
    expect(new Set(test.map((e) => key(e.text))).size).toBe(test.length);
  });
});
