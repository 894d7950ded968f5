/**
 * Dashboard benchmark: the time to compute the supervisors' summary of the last 30 days on
 * SQLite, for 10k and 100k conversations (4 messages each: two shopper messages, annotated,
 * two bot replies; 5% of shopper messages are fallbacks; a tenth handed off, rated and
 * resolved), against a naive baseline measured in the same run: list the range's
 * conversations, then one `listByConversation` query per conversation (the N+1 shape a
 * report usually starts with). The baseline computes only the conversation and message
 * figures (no recommendations, ads or clustering), so it is a lower bound of a naive
 * report. Also: one /metrics scrape with and without the conversation-status scan.
 *
 * `BENCH_DASHBOARD_SIZES=10000,100000` (default) chooses the sizes. The store is filled
 * through its API (conversation timestamps are "now"; message times spread over 30 days).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LexicalEmbeddings } from '../knowledge/index.js';
import { AdServer } from '../recommender/ads/index.js';
import { openSqliteStore, type Conversation, type Message, type Store } from '../store/index.js';
import { computeSummary, Metrics } from '../app/dashboard/index.js';
import { storeGauges } from '../app/dashboard/index.js';
import { addDays, dayOf, dayRange, type DayRange } from '../app/dashboard/days.js';

const TZ = 'Asia/Shanghai';
const SIZES = (process.env['BENCH_DASHBOARD_SIZES'] ?? '10000,100000').split(',').map(Number);
const DAY_MS = 86_400_000;
const QUESTIONS = ['where is my order', 'do you ship to Canada', 'can I pay with PayPal', 'is this waterproof', 'what size should I get', 'return policy', '有没有优惠券', '什么时候发货'];
const NONSENSE = ['blorp wibble', 'asdf qwer', 'do you sell unicorns', 'can you sing', 'zzzz', 'who won the game', '你是谁', 'frobnicate the widget'];

async function fill(store: Store, n: number, now: number): Promise<void> {
  const agent = await store.agents.create({ email: `bench-${n}@shop.test`, name: 'Bench', role: 'agent', passwordHash: 'x', languages: ['en'], skills: [], capacity: 1_000_000 });
  let seed = 42;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const customers = [];
  for (let i = 0; i < Math.ceil(n / 5); i++) customers.push(await store.customers.create({ displayName: `Shopper ${i}` }));
  for (let i = 0; i < n; i++) {
    const customer = customers[i % customers.length]!;
    const c = await store.conversations.create({ customerId: customer.id, channel: 'web' });
    const start = now - rnd() * 30 * DAY_MS;
    for (let k = 0; k < 2; k++) {
      const fallback = rnd() < 0.05;
      const text = fallback ? NONSENSE[Math.floor(rnd() * NONSENSE.length)]! : QUESTIONS[Math.floor(rnd() * QUESTIONS.length)]!;
      const m = await store.messages.append({ conversationId: c.id, customerId: customer.id, direction: 'in', sender: 'customer', channel: 'web', text, createdAt: new Date(start + k * 60_000) });
      await store.messages.annotate(m.id, { intent: fallback ? 'none' : `intent_${Math.floor(rnd() * 12)}`, confidence: 0.8, skill: fallback ? 'fallback' : 'faq' });
      await store.messages.append({ conversationId: c.id, customerId: customer.id, direction: 'out', sender: 'bot', channel: 'web', text: 'An answer.', createdAt: new Date(start + k * 60_000 + 500) });
    }
    if (i % 10 === 0) {
      await store.conversations.enqueue(c.id, { priority: 1, reason: i % 20 === 0 ? 'requested' : 'fallbacks' });
      await store.conversations.claim(c.id, agent.id);
      await store.conversations.markFirstResponse(c.id, new Date());
      await store.conversations.resolve(c.id);
      await store.conversations.rate(c.id, 1 + (i % 5));
    }
  }
}

/** The N+1 report: conversations of the range, then each one's messages. */
async function naive(store: Store, range: DayRange): Promise<{ conversations: number; contained: number; fallbacks: number; annotated: number }> {
  const convs: Conversation[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await store.conversations.list({ from: range.start, to: range.end }, { limit: 500, cursor });
    convs.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  let contained = 0;
  let fallbacks = 0;
  let annotated = 0;
  const intents = new Map<string, number>();
  for (const c of convs) {
    const messages: Message[] = await store.messages.listByConversation(c.id, { limit: 500 });
    const inbound = messages.filter((m) => m.direction === 'in' && m.sender === 'customer' && m.createdAt >= range.start && m.createdAt < range.end);
    if (inbound.length > 0 && c.queuedAt === undefined) contained += 1;
    for (const m of inbound) {
      if (m.intent !== undefined) {
        annotated += 1;
        intents.set(m.intent, (intents.get(m.intent) ?? 0) + 1);
      }
      if (m.skill === 'fallback') fallbacks += 1;
    }
  }
  return { conversations: convs.length, contained, fallbacks, annotated };
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const n of SIZES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sa-bench-dash-'));
    const store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    try {
      const now = Date.now();
      const filled = await time(() => fill(store, n, now));
      const today = dayOf(new Date(now), TZ);
      const range = dayRange(addDays(today, -30), today, TZ);
      const deps = { store, embeddings: new LexicalEmbeddings(), ads: new AdServer({ store, timeZone: TZ }) };
      await computeSummary(deps, range); // warm-up (statement caches, page cache)
      const ours = await time(() => computeSummary(deps, range));
      const base = await time(() => naive(store, range));
      // Both must agree on what they both compute.
      const s = ours.value;
      if (s.containment.contained !== base.value.contained || s.fallbacks.count !== base.value.fallbacks || s.fallbacks.annotated !== base.value.annotated) {
        throw new Error(`summary and baseline disagree: ${JSON.stringify({ ours: [s.containment.contained, s.fallbacks], base: base.value })}`);
      }
      const metrics = new Metrics();
      const collect = storeGauges(metrics, store, { statusScanMs: 60_000 });
      const firstScrape = await time(collect);
      const nextScrape = await time(collect);
      rows.push([
        String(n),
        String(s.conversations.total),
        (filled.ms / 1000).toFixed(1),
        ours.ms.toFixed(0),
        base.ms.toFixed(0),
        `${(base.ms / ours.ms).toFixed(1)}×`,
        firstScrape.ms.toFixed(0),
        nextScrape.ms.toFixed(1),
      ]);
      console.log(`  ${n}: summary ${ours.ms.toFixed(0)} ms, naive ${base.ms.toFixed(0)} ms (${s.unanswered.clusters.length} unanswered clusters, containment ${s.containment.rate})`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const head = ['conversations', 'in range', 'fill s', 'summary ms', 'naive N+1 ms', 'speed-up', '/metrics 1st ms', '/metrics next ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(['', line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
  console.log('\nsummary = computeSummary (every figure incl. recommendations, ads, clustering); naive = conversation/message figures only, one query per conversation.');
  console.log('/metrics 1st = the scrape that scans bot/resolved conversations; next = later scrapes (queued/assigned/agents only).');
}
