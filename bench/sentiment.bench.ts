/**
 * Sentiment benchmark: does `score <= threshold || anger` pick out the messages that should
 * go to a human, and leave plain requests alone? On the Bitext customer-service utterances
 * (ENGLISH ONLY: the data set has no Chinese; the Chinese lexicon is covered only by
 * test/nlu/sentiment.test.ts).
 *
 * Should go to a human: intent `complaint`, and every utterance flagged W ("offensive
 * language" in the data set's SOURCE_README.txt), whatever its intent.
 * Should not: the other utterances of plainly neutral intents (tracking, delivery options,
 * payment methods, invoices, accounts …). Intents that are neither (payment_issue,
 * registration_problems, review, get_refund, track_refund, cancel_order, delete_account,
 * contact_human_agent) are left out.
 * Baseline, measured in the same run: the message has a "!" or one of ten angry words.
 * Note: the lexicon has "complaint"/"complain" as threats on purpose (the English of 投诉,
 * which the brief names); the per-group recall shows how much of the complaint recall
 * that one word carries.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsvObjects } from '../app/csv.js';
import { scoreSentiment, SENTIMENT_VERSION, type SentimentResult } from '../skills/nlu/sentiment.js';

const BITEXT = path.resolve('../shared/data/bitext-customer-service/bitext-customer-service-8k.csv');
const NEUTRAL_INTENTS = new Set([
  'track_order', 'delivery_options', 'delivery_period', 'check_payment_methods', 'check_invoice', 'get_invoice',
  'place_order', 'change_order', 'create_account', 'edit_account', 'switch_account', 'recover_password',
  'change_shipping_address', 'set_up_shipping_address', 'newsletter_subscription', 'check_refund_policy',
  'check_cancellation_fee', 'contact_customer_service',
]);
const THRESHOLDS = [-0.2, -0.4, -0.6, -0.8];
const BASELINE_WORDS = ['angry', 'terrible', 'worst', 'awful', 'hate', 'unacceptable', 'ridiculous', 'disappointed', 'complaint', 'scam'];
const BASELINE_RE = new RegExp(`!|\\b(?:${BASELINE_WORDS.join('|')})\\b`, 'i');

interface Item {
  text: string;
  intent: string;
  offensive: boolean;
  human: boolean;
}

interface Scores {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

function count(items: Item[], predict: (i: number) => boolean): Scores {
  const s: Scores = { tp: 0, fp: 0, fn: 0, tn: 0 };
  items.forEach((it, i) => {
    const p = predict(i);
    if (p && it.human) s.tp++;
    else if (p) s.fp++;
    else if (it.human) s.fn++;
    else s.tn++;
  });
  return s;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

function row(name: string, s: Scores, extra: Record<string, string>): Record<string, string> {
  const precision = s.tp / (s.tp + s.fp);
  const recall = s.tp / (s.tp + s.fn);
  const f1 = (2 * precision * recall) / (precision + recall);
  return { rule: name, precision: pct(precision), recall: pct(recall), F1: pct(f1), 'false alarms': pct(s.fp / (s.fp + s.tn)), ...extra };
}

/** CPU time per message in µs (on a shared, busy machine wall time says more about the neighbours). */
function timeIt(texts: string[], f: (t: string) => unknown): number {
  for (const t of texts.slice(0, 500)) f(t); // warm up
  const c0 = process.cpuUsage();
  for (let r = 0; r < 3; r++) for (const t of texts) f(t);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (3 * texts.length);
}

export async function run(): Promise<void> {
  if (!existsSync(BITEXT)) {
    console.log(`skipped: ${BITEXT} not found`);
    return;
  }
  const all = parseCsvObjects(readFileSync(BITEXT, 'utf8').replace(/^\ufeff/, ''));
  const items: Item[] = [];
  for (const r of all) {
    const intent = r['intent']!;
    const offensive = (r['flags'] ?? '').includes('W');
    const human = intent === 'complaint' || offensive;
    if (human || NEUTRAL_INTENTS.has(intent)) items.push({ text: r['utterance']!, intent, offensive, human });
  }
  const texts = items.map((i) => i.text);
  const ours: SentimentResult[] = texts.map((t) => scoreSentiment(t));
  const base = texts.map((t) => BASELINE_RE.test(t));
  const usOurs = timeIt(texts, (t) => scoreSentiment(t));
  const usBase = timeIt(texts, (t) => BASELINE_RE.test(t));

  const complaint = items.filter((i) => i.intent === 'complaint').length;
  const offensive = items.filter((i) => i.offensive).length;
  const negatives = items.filter((i) => !i.human).length;
  console.log(`English only (Bitext has no Chinese). Sentiment ${SENTIMENT_VERSION}.`);
  console.log(`${items.length} utterances: ${complaint} complaint + ${offensive} flagged W (offensive; ${items.filter((i) => i.offensive && i.intent === 'complaint').length} in both) should go to a human; ${negatives} of ${NEUTRAL_INTENTS.size} neutral intents should not.\n`);

  const recallOf = (pred: (i: number) => boolean, which: (it: Item) => boolean): string => {
    const idx = items.map((it, i) => [it, i] as const).filter(([it]) => which(it));
    return pct(idx.filter(([, i]) => pred(i)).length / idx.length);
  };
  const rules: Array<[string, (i: number) => boolean, string]> = [
    ...THRESHOLDS.map((t): [string, (i: number) => boolean, string] => [`ours: score <= ${t} || anger${t === -0.6 ? '  (default)' : ''}`, (i) => ours[i]!.score <= t || ours[i]!.anger, `${usOurs.toFixed(1)} µs`]),
    ['ours: anger only', (i) => ours[i]!.anger, `${usOurs.toFixed(1)} µs`],
    ['ours: score <= -0.6 only', (i) => ours[i]!.score <= -0.6, `${usOurs.toFixed(1)} µs`],
    [`baseline: "!" or ${BASELINE_WORDS.length} words`, (i) => base[i]!, `${usBase.toFixed(2)} µs`],
  ];
  console.table(
    rules.map(([name, pred, us]) =>
      row(name, count(items, pred), {
        'recall complaint': recallOf(pred, (it) => it.intent === 'complaint'),
        'recall W': recallOf(pred, (it) => it.offensive),
        'CPU per message': us,
      }),
    ),
  );

  // What the word "complaint"/"complain" carries: the complaint utterances without it.
  const plain = items.map((it, i) => [it, i] as const).filter(([it]) => it.intent === 'complaint' && !it.offensive && !/\bcomplain/i.test(it.text));
  const caught = (pred: (i: number) => boolean) => pct(plain.filter(([, i]) => pred(i)).length / plain.length);
  console.log(`\ncomplaint utterances without "complain…" and not flagged W (${plain.length}): ours (default) catches ${caught((i) => ours[i]!.score <= -0.6 || ours[i]!.anger)}, baseline ${caught((i) => base[i]!)}.`);

  const show = (title: string, pick: (it: Item, r: SentimentResult) => boolean) => {
    const xs = items.map((it, i) => [it, ours[i]!] as const).filter(([it, r]) => pick(it, r));
    console.log(`\n${title} (${xs.length}), first 8:`);
    for (const [it, r] of xs.slice(0, 8)) console.log(`  ${r.score.toFixed(2).padStart(5)} ${it.intent.padEnd(24)} ${it.text}  [${r.cues.join(', ')}]`);
  };
  show('missed (should go to a human)', (it, r) => it.human && !(r.score <= -0.6 || r.anger));
  show('false alarms (neutral intent)', (it, r) => !it.human && (r.score <= -0.6 || r.anger));
  const negScores = items.map((it, i) => [it, ours[i]!] as const).filter(([it]) => !it.human);
  console.log(`\nneutral utterances with score > -0.2 and no anger: ${pct(negScores.filter(([, r]) => r.score > -0.2 && !r.anger).length / negScores.length)}`);
}
