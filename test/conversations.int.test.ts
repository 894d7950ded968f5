/**
 * The conversation bench's fast subset (issue 15): dev-split conversations, one or more per
 * failure class fixed, played through the real bot (web channel, demo shop on SQLite, the
 * lexical embedder) by the same runner as `conv:eval`. Each must be answered right; the whole
 * set, with the sentence model too, is `npm run bench conversations`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { loadScenarios, runScenario, startBenchServer, type BenchServer, type Scenario } from '../app/conv-eval/index.js';

/** Failure class -> dev scenarios that prove it fixed. */
const FAST_SET: Record<string, string[]> = {
  'the intent steers which article answers (shipping vs return shipping; policy questions about orders)': ['ship-en-002', 'ship-en-011', 'ship-zh-004', 'ship-zh-010', 'ship-zh-011'],
  'a general question that mentions orders is answered, not met with "which order?"': ['faq-en-002', 'faq-en-021', 'faq-zh-002', 'faq-zh-023', 'ord-zh-006', 'ret-en-003', 'ret-zh-008', 'fresh-en-017', 'fresh-en-036', 'fresh-en-038', 'more-zh-023'],
  'how-to questions are answered from the articles': ['ship-en-008', 'ship-zh-006'],
  'the answer holds the fact asked (a fee, a time) even outside the retrieved section': ['ship-en-004', 'ship-en-015', 'faq-en-009', 'fresh-en-015'],
  'two questions in one message ("寄新疆运费贵吗 要几天"): the second part answered from its own article, with its own source': ['more-zh-013'],
  'the answer holds the line that decides: a cut-off time, a time limit, the details needed, whether coupons combine': ['more-en-004', 'more-en-006', 'more-en-013', 'more-zh-003', 'ship-zh-012'],
  'the answer says what there is after a "no" (PayPal), the condition for "can I…?", the fields asked for, the list a line introduces, the facts after the opening': ['faq-en-004', 'faq-en-006', 'faq-en-007', 'ship-zh-013', 'lang-zh-001', 'fresh-en-001', 'size-en-008'],
  'a greeting or "亲" in front of a question, and "the largest size?" or "between 31 and 32?" answered from the size guide': ['more-zh-011', 'size-zh-010', 'more-en-027'],
  'upset shoppers hear an apology first, then an answer or a person': ['cmp-en-005', 'cmp-en-006', 'cmp-en-008', 'cmp-zh-001', 'fresh-en-018', 'fresh-zh-018'],
  'a calm complaint is acknowledged, not treated as rage': ['cmp-en-002', 'cmp-en-004'],
  'orders: signed-in and anonymous status': ['ord-en-001', 'ord-en-002', 'ord-zh-002', 'ord-zh-003'],
  'out of scope (another shop, a translation) is declined politely; "are you a bot?" and "your email?" answered; a bare number is not a goodbye': ['oos-en-001', 'oos-zh-001', 'oos-zh-007', 'oos-en-002', 'talk-en-004', 'talk-en-005', 'fresh-en-027', 'fresh-zh-024', 'fresh-zh-026', 'fresh-en-031'],
  'the "did you mean…" choice steers which article answers': ['faq-en-008', 'faq-zh-010'],
  'a button click never flips the reply language; an answer found in the other language comes in the shopper\'s': ['ret-zh-002', 'lang-zh-003', 'lang-en-002'],
  'named attributes are hard filters, the sponsored card included; "cheaper" is honest at the cheapest': ['rec-en-001', 'rec-zh-001', 'rec-en-007', 'rec-zh-006'],
  'questions about a product: sizes it does not come in, fit notes, the product on screen': ['prod-en-006', 'prod-zh-001', 'prod-zh-007'],
  'other shops\' order numbers, the whole phone as proof, the order remembered for "when will it arrive?"': ['ord-en-005', 'ret-zh-016', 'ord-en-008', 'ord-zh-008'],
  'return-flow answers as shoppers type them (没拆封, T恤那件)': ['ret-zh-001', 'ret-zh-003'],
  '"can i exchange the shoes from order N?" runs the exchange flow to the end (the verb names the action)': ['ret-en-010'],
  'a problem report (broken, faulty, the wrong item, a parcel that never came) gets a sorry and the article that puts it right, not products or "which order?"': ['cmp-zh-004', 'more-zh-008', 'more-zh-021', 'ship-en-010', 'cmp-zh-007', 'more-en-018', 'more-en-020', 'fresh-en-021', 'fresh-zh-021', 'more-zh-019'],
  'an unhappy shopper whose question was answered stays with the bot; "I want to complain" alone is asked about': ['more-en-016', 'cmp-zh-008'],
  'a follow-up continues the topic of the article it follows, past an "ok"/"好的" in front, about the new thing it names ("and my down jacket?")': ['ship-zh-015', 'more-zh-026', 'more-en-009', 'more-en-008'],
  'WeChat: a tapped menu link is a click (an order picked, a "did you mean" answered), the reply language kept': ['wx-zh-001', 'wx-en-001', 'wx-zh-002'],
};

describe('conversation bench: fast subset through the real bot', () => {
  let bench: BenchServer & { secret: string };
  const all = loadScenarios(path.resolve('data/conversations/dev'));
  const byId = new Map<string, Scenario>(all.map((s) => [s.id, s]));

  beforeAll(async () => {
    bench = await startBenchServer({ embeddingsModel: 'lexical', modelsDir: 'models', logger: createLogger({ level: 'silent' }, process.stderr) });
  }, 120_000);
  afterAll(async () => {
    await bench?.close();
  });

  it('every scenario of the fast set is in the dev split', () => {
    for (const id of Object.values(FAST_SET).flat()) expect(byId.get(id)?.split, id).toBe('dev');
  });

  for (const [label, ids] of Object.entries(FAST_SET)) {
    it(label, async () => {
      for (const id of ids) {
        const r = await runScenario(bench, byId.get(id)!);
        const failures = r.turns.flatMap((t) => t.failures.map((f) => `${id} > ${t.sent}: ${f} (replied: ${t.replies.map((m) => m.text).join(' | ').slice(0, 300)})`));
        expect(failures).toEqual([]);
        expect(r.ok).toBe(true);
      }
    });
  }
});
