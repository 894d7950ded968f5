import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Embeddings } from '@langchain/core/embeddings';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdServer } from '../recommender/ads/index.js';
import { LexicalEmbeddings } from '../knowledge/index.js';
import { openSqliteStore, type Conversation, type Store } from '../store/index.js';
import { clusterUnanswered, computeSummary, percentile, type DashboardSummary } from '../app/dashboard/index.js';
import { dayIndex, dayRange, dayStart, requestedRange } from '../app/dashboard/days.js';

/**
 * The dashboard's numbers on a real SQLite store filled through the store API: six
 * conversations, their messages, hand-offs, ratings and interactions at known shop times
 * (Asia/Shanghai, UTC+8) over 2026-03-02..04; every expected value below is derived by hand
 * from what the fixture inserts.
 */

const TZ = 'Asia/Shanghai';
/** A wall-clock time in the shop. */
const at = (day: string, hhmm: string): Date => new Date(`${day}T${hhmm}:00+08:00`);
const minutes = (a: Date, b: Date): number => (b.getTime() - a.getTime()) / 60_000;

const dir = mkdtempSync(path.join(tmpdir(), 'sa-dash-'));
let store: Store;
let summary: DashboardSummary;

/** Runs `fn` with the store's clock (Date.now) at `when`: conversation timestamps come from it. */
async function atTime<T>(when: Date, fn: () => Promise<T>): Promise<T> {
  vi.setSystemTime(when);
  return fn();
}

// What the fixture does, kept as data so the expectations can be computed from it.
const handoffs = {
  C2: { queued: at('2026-03-02', '11:02'), assigned: at('2026-03-02', '11:05'), first: at('2026-03-02', '11:07'), resolved: at('2026-03-02', '11:30'), rated: at('2026-03-02', '11:31'), rating: 5, reason: 'requested' },
  C3: { queued: at('2026-03-03', '09:01'), assigned: at('2026-03-03', '09:02'), first: at('2026-03-03', '09:12'), resolved: at('2026-03-03', '10:02'), rated: at('2026-03-03', '10:03'), rating: 2, reason: 'sentiment' },
  C6: { queued: at('2026-03-04', '09:00'), assigned: at('2026-03-04', '09:03'), first: at('2026-03-04', '09:04'), resolved: undefined, rated: undefined, rating: undefined, reason: 'requested' },
};

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  store = await openSqliteStore({ file: path.join(dir, 'store.db') });
  const agent = await store.agents.create({ email: 'a@shop.test', name: 'A', role: 'agent', passwordHash: 'x', languages: ['en'], skills: [], capacity: 3 });
  const alice = await store.customers.create({ displayName: 'Alice' });
  const bob = await store.customers.create({ displayName: 'Bob' });

  const conv = (created: Date) => atTime(created, () => store.conversations.create({ customerId: alice.id, channel: 'web' }));
  const say = async (c: Conversation, when: Date, text: string, intent?: string, skill?: string) => {
    const m = await store.messages.append({ conversationId: c.id, customerId: c.customerId, direction: 'in', sender: 'customer', channel: 'web', text, createdAt: when });
    if (intent) await store.messages.annotate(m.id, { intent, confidence: 0.9, ...(skill ? { skill } : {}) });
  };
  const reply = (c: Conversation, when: Date, text: string, sender: 'bot' | 'agent' = 'bot') =>
    store.messages.append({ conversationId: c.id, customerId: c.customerId, direction: 'out', sender, channel: 'web', text, createdAt: when, ...(sender === 'agent' ? { agentId: agent.id } : {}) });
  const handOff = async (c: Conversation, h: (typeof handoffs)[keyof typeof handoffs]) => {
    await atTime(h.queued, () => store.conversations.enqueue(c.id, { priority: 1, reason: h.reason }));
    await atTime(h.assigned, () => store.conversations.claim(c.id, agent.id));
    await reply(c, h.first, 'Hi, I am here', 'agent');
    await store.conversations.markFirstResponse(c.id, h.first);
    if (h.resolved) await atTime(h.resolved, () => store.conversations.resolve(c.id));
    if (h.rated && h.rating) await atTime(h.rated, () => store.conversations.rate(c.id, h.rating));
  };

  // C6 began before the range; its shopper writes again (and is handed off) on 03-04.
  const c6 = await conv(at('2026-03-01', '12:00'));
  await say(c6, at('2026-03-01', '12:00'), 'hello', 'greeting', 'smalltalk');
  // C1: answered by the bot.
  const c1 = await conv(at('2026-03-02', '10:00'));
  await say(c1, at('2026-03-02', '10:00'), 'where is my order', 'order_status', 'orders');
  await reply(c1, at('2026-03-02', '10:00'), 'It shipped yesterday.');
  // C2: two nonsense messages, then a human.
  const c2 = await conv(at('2026-03-02', '11:00'));
  await say(c2, at('2026-03-02', '11:00'), 'asdf qwer', 'none', 'fallback');
  await say(c2, at('2026-03-02', '11:01'), 'zzzz blorp', 'none', 'fallback');
  await say(c2, at('2026-03-02', '11:02'), 'I want a human', 'handoff', 'handoff');
  await handOff(c2, handoffs.C2);
  // C3: returns question, angry, handed off.
  const c3 = await conv(at('2026-03-03', '09:00'));
  await say(c3, at('2026-03-03', '09:00'), '我要退货', 'returns', 'faq');
  await handOff(c3, handoffs.C3);
  // C4: two more questions the bot could not answer, one the same as C2's (other case and punctuation).
  const c4 = await conv(at('2026-03-03', '20:00'));
  await say(c4, at('2026-03-03', '20:00'), 'ASDF qwer!', 'none', 'fallback');
  await say(c4, at('2026-03-03', '20:01'), 'how do i become a reseller', 'none', 'fallback');
  // C5: only the bot's greeting.
  const c5 = await conv(at('2026-03-04', '08:00'));
  await reply(c5, at('2026-03-04', '08:00'), 'Welcome!');
  // C6 again, in the range.
  await say(c6, at('2026-03-04', '09:00'), 'help me please', 'handoff', 'handoff');
  await handOff(c6, handoffs.C6);
  // C7: after the range.
  const c7 = await conv(at('2026-03-05', '01:00'));
  await say(c7, at('2026-03-05', '01:00'), 'asdf qwer', 'none', 'fallback');

  // Recommendations: 4 impressions in the range (and 1 after), 2 clicks; the P1 click is
  // followed by a purchase 4 days later (converts), the P3 click by one 9 days later (does not).
  const rec = (type: 'impression' | 'click' | 'purchase', productId: string, when: Date, source = 'recommendation', customerId = alice.id) =>
    store.interactions.record({ customerId, productId, type, source, createdAt: when });
  await rec('impression', 'P1', at('2026-03-02', '12:00'));
  await rec('impression', 'P2', at('2026-03-02', '12:00'));
  await rec('impression', 'P1', at('2026-03-03', '12:00'));
  await rec('impression', 'P3', at('2026-03-03', '12:00'));
  await rec('impression', 'P3', at('2026-03-05', '12:00'));
  await rec('click', 'P1', at('2026-03-02', '12:01'));
  await rec('click', 'P3', at('2026-03-03', '12:01'));
  await rec('click', 'P2', at('2026-03-03', '12:02'), 'upsell');
  await rec('click', 'P2', at('2026-03-03', '12:03'), 'chat');
  // A card click nobody was shown (a link kept from last week, imported history): not a click-through.
  await rec('click', 'P4', at('2026-03-04', '09:00'));
  await rec('purchase', 'P1', at('2026-03-06', '12:00'), 'shop');
  await rec('purchase', 'P3', at('2026-03-12', '12:00'), 'shop');
  await rec('purchase', 'P1', at('2026-03-03', '12:00'), 'shop', bob.id); // another shopper: no conversion

  // One campaign: 3 impressions and 1 click (charged 0.5) in the range, a 100.00 sale.
  const campaign = await atTime(at('2026-03-01', '00:00'), () =>
    store.campaigns.create({ name: 'Spring, "sale"', productId: 'P9', bid: 1, dailyBudget: 10, status: 'active', startsAt: at('2026-03-01', '00:00'), targeting: { categories: [], intents: [], keywords: [] } }),
  );
  for (const h of ['10:00', '10:01', '10:02']) await rec('impression', 'P9', at('2026-03-02', h), `ad:${campaign.id}`);
  await store.campaigns.charge(campaign.id, '2026-03-02', 0.5);
  await rec('click', 'P9', at('2026-03-02', '10:03'), `ad:${campaign.id}`);
  await store.interactions.record({ customerId: alice.id, productId: 'P9', type: 'purchase', source: `ad:${campaign.id}`, value: 100, createdAt: at('2026-03-02', '18:00') });

  vi.setSystemTime(at('2026-03-20', '12:00'));
  const embeddings = new LexicalEmbeddings();
  summary = await computeSummary({ store, embeddings, ads: new AdServer({ store, timeZone: TZ }) }, dayRange('2026-03-02', '2026-03-04', TZ));
}, 30_000);

afterAll(async () => {
  vi.useRealTimers();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard summary on SQLite', () => {
  it('covers the shop days of the range', () => {
    expect(summary.start).toBe('2026-03-01T16:00:00.000Z');
    expect(summary.end).toBe('2026-03-04T16:00:00.000Z');
    expect(summary.daily.map((d) => d.day)).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
  });

  it('counts conversations, containment and hand-offs', () => {
    // Active in the range: C1..C6 (C6 began on 03-01; C7 is after). C5 has no shopper message.
    expect(summary.conversations).toEqual({ total: 6, withCustomerMessage: 5 });
    // Never handed off among C1, C2, C3, C4, C6: C1 and C4.
    expect(summary.containment).toEqual({ contained: 2, rate: 2 / 5 });
    // Queued in the range: C2 and C6 (requested), C3 (sentiment).
    expect(summary.handoffs).toEqual({ count: 3, rate: 3 / 5, byReason: [{ reason: 'requested', count: 2 }, { reason: 'sentiment', count: 1 }] });
  });

  it('computes the fallback rate and the top intents over annotated shopper messages in the range', () => {
    // In range: C1 1, C2 3, C3 1, C4 2, C6 1 (its 03-01 message is outside) = 8; fallbacks: C2 2 + C4 2.
    expect(summary.fallbacks).toEqual({ count: 4, annotated: 8, rate: 4 / 8 });
    expect(summary.intents.annotated).toBe(8);
    expect(summary.intents.top).toEqual([
      { intent: 'none', count: 4, share: 0.5 },
      { intent: 'handoff', count: 2, share: 0.25 },
      { intent: 'order_status', count: 1, share: 0.125 },
      { intent: 'returns', count: 1, share: 0.125 },
    ]);
  });

  it('groups the unanswered questions (the same question typed twice is one cluster of 2)', () => {
    expect(summary.unanswered.total).toBe(4);
    expect(summary.unanswered.clusters.reduce((s, c) => s + c.count, 0)).toBe(4);
    expect(summary.unanswered.clusters[0]).toMatchObject({ text: 'asdf qwer', count: 2, languages: ['en'] });
    expect(summary.unanswered.clusters.flatMap((c) => [c.text, ...c.examples])).toEqual(expect.arrayContaining(['zzzz blorp', 'how do i become a reseller']));
  });

  it('computes CSAT and the response and handle times', () => {
    expect(summary.csat).toEqual({ count: 2, average: (5 + 2) / 2, distribution: [0, 1, 0, 0, 1], satisfiedShare: 1 / 2 });
    const frt = [handoffs.C2, handoffs.C3, handoffs.C6].map((h) => minutes(h.queued, h.first) * 60).sort((a, b) => a - b);
    expect(frt).toEqual([240, 300, 660]);
    // p90 of three values: rank 0.9 × 2 = 1.8, between 300 and 660.
    expect(summary.firstResponse).toEqual({ count: 3, medianSeconds: 300, p90Seconds: 300 + 0.8 * (660 - 300) });
    const handle = [handoffs.C2, handoffs.C3].map((h) => minutes(h.assigned, h.resolved!) * 60);
    expect(handle).toEqual([1500, 3600]);
    expect(summary.handleTime).toEqual({ count: 2, medianSeconds: (1500 + 3600) / 2, p90Seconds: 1500 + 0.9 * (3600 - 1500) });
  });

  it('computes recommendation CTR and conversions within 7 days of a click', () => {
    expect(summary.recommendations).toEqual({ impressions: 4, clicks: 2, ctr: 2 / 4, conversions: 1, conversionRate: 1 / 2, otherClicks: { upsell: 1, chat: 1, unmatched: 1 } });
  });

  it('reports the ads through the ad server', () => {
    expect(summary.ads.campaigns).toHaveLength(1);
    expect(summary.ads.campaigns[0]).toMatchObject({ name: 'Spring, "sale"', impressions: 3, clicks: 1, spend: 0.5, conversions: 1, revenue: 100, roas: 100 / 0.5 });
    expect(summary.ads.total).toEqual({ impressions: 3, clicks: 1, ctr: Math.round((1 / 3) * 1e4) / 1e4, spend: 0.5, conversions: 1, revenue: 100, roas: 200 });
  });

  it('has a per-day series', () => {
    expect(summary.daily).toEqual([
      // C1, C2 first wrote on 03-02; C2 handed off; C2 rated 5.
      { day: '2026-03-02', conversations: 2, handoffs: 1, containmentRate: 1 / 2, csatAverage: 5, csatCount: 1 },
      // C3, C4; C3 handed off and rated 2.
      { day: '2026-03-03', conversations: 2, handoffs: 1, containmentRate: 1 / 2, csatAverage: 2, csatCount: 1 },
      // C6 only (C5 never heard from its shopper); handed off.
      { day: '2026-03-04', conversations: 1, handoffs: 1, containmentRate: 0, csatAverage: null, csatCount: 0 },
    ]);
  });
});

describe('shop days', () => {
  it('parses requested ranges and rejects bad ones', () => {
    const now = at('2026-03-04', '00:30'); // still 03-03 in UTC
    expect(requestedRange({}, TZ, now)).toMatchObject({ from: '2026-02-26', to: '2026-03-04' });
    expect(requestedRange({ from: '2026-01-01', to: '2026-12-31' }, TZ, now).days).toHaveLength(365);
    expect(requestedRange({ from: '2024-01-01', to: '2024-12-31' }, TZ, now).days).toHaveLength(366);
    for (const q of [{ from: '2026-03-05', to: '2026-03-04' }, { from: '2025-01-01', to: '2026-01-02' }, { from: '2026-02-30' }, { to: 'yesterday' }, { from: ['2026-01-01'] }]) {
      expect(() => requestedRange(q, TZ, now), JSON.stringify(q)).toThrow(expect.objectContaining({ code: 'bad_request' }));
    }
  });

  it('finds midnights across a daylight-saving change', () => {
    // Europe/Berlin switched to summer time on 2026-03-29: that day has 23 hours.
    const r = dayRange('2026-03-28', '2026-03-30', 'Europe/Berlin');
    expect(r.starts.map((t) => new Date(t).toISOString())).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', '2026-03-30T22:00:00.000Z']);
    expect(dayStart('2026-03-02', TZ).toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(dayIndex(r, Date.parse('2026-03-29T21:59:59Z'))).toBe(1);
    expect(dayIndex(r, Date.parse('2026-03-29T22:00:00Z'))).toBe(2);
    expect(dayIndex(r, Date.parse('2026-03-30T22:00:00Z'))).toBe(-1);
  });

  it('interpolates percentiles between ranks', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentile([0, 100], 0.9)).toBe(90);
  });
});

/** Fixed vectors per text, so the threshold decides exactly. */
class TableEmbeddings extends Embeddings {
  constructor(private readonly table: Record<string, number[]>) {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.table[t] ?? [0, 0, 1]);
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.table[text] ?? [0, 0, 1];
  }
}

describe('clusterUnanswered', () => {
  const angle = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0];
  const embeddings = new TableEmbeddings({ 'where is my parcel': angle(0), 'where is my package': angle(30), 'parcel location?': angle(20), 'cancel it': angle(90), '取消订单': angle(85) });
  const msgs = (texts: string[]) => texts.map((text) => ({ text, language: /\p{Script=Han}/u.test(text) ? ('zh' as const) : ('en' as const) }));

  it('joins texts whose cosine to the cluster centroid reaches the threshold', async () => {
    const input = msgs(['where is my parcel', 'where is my parcel', 'Where is my parcel?', 'where is my package', 'parcel location?', 'cancel it', '取消订单']);
    // cos 30° = 0.866 and cos 20° = 0.94 ≥ 0.8; cos 90° = 0 < 0.8; cos 5° = 0.996 between the two last.
    const out = await clusterUnanswered(input, embeddings, { threshold: 0.8 });
    expect(out.total).toBe(7);
    expect(out.clusters).toEqual([
      { text: 'where is my parcel', count: 5, examples: ['where is my package', 'parcel location?'], languages: ['en'] },
      { text: 'cancel it', count: 2, examples: ['取消订单'], languages: ['en', 'zh'] },
    ]);
    // At 0.9 the 30° paraphrase starts its own cluster (cos 30° = 0.866 to the 0° one), and the
    // 20° text joins the MOST similar cluster: 30° (cos 10° = 0.985) rather than 0° (0.940).
    const strict = await clusterUnanswered(input, embeddings, { threshold: 0.9 });
    expect(strict.clusters.map((c) => [c.text, c.count, c.examples])).toEqual([
      ['where is my parcel', 3, []],
      ['where is my package', 2, ['parcel location?']],
      ['cancel it', 2, ['取消订单']],
    ]);
  });

  it('embeds at most maxTexts distinct texts and counts the rest as skipped', async () => {
    const out = await clusterUnanswered(msgs(['where is my parcel', 'where is my parcel', 'cancel it']), embeddings, { maxTexts: 1 });
    expect(out).toMatchObject({ total: 3, skipped: 1, clusters: [{ text: 'where is my parcel', count: 2 }] });
  });
});

describe('summary over many pages', () => {
  it('scans past the 500-row pages of messages and conversations without losing or repeating rows', async () => {
    const file = path.join(dir, 'pages.db');
    const big = await openSqliteStore({ file });
    try {
      vi.setSystemTime(at('2026-04-02', '08:00'));
      const cust = await big.customers.create({ displayName: 'Many' });
      const append = async (conversationId: string, when: Date, skill: string) => {
        const m = await big.messages.append({ conversationId, customerId: cust.id, direction: 'in', sender: 'customer', channel: 'web', text: `q ${skill}`, createdAt: when });
        await big.messages.annotate(m.id, { intent: 'x', confidence: 1, skill });
      };
      // One long conversation: 300 messages before the range, 1100 in it (every 10th a fallback), 200 after.
      const long = await big.conversations.create({ customerId: cust.id, channel: 'web' });
      for (let i = 0; i < 300; i++) await append(long.id, new Date(at('2026-04-01', '00:00').getTime() + i * 1000), 'faq');
      for (let i = 0; i < 1100; i++) await append(long.id, new Date(at('2026-04-02', '09:00').getTime() + i * 1000), i % 10 === 0 ? 'fallback' : 'faq');
      for (let i = 0; i < 200; i++) await append(long.id, new Date(at('2026-04-03', '00:00').getTime() + i * 1000), 'faq');
      // 620 short ones, each with one message in the range.
      for (let i = 0; i < 620; i++) {
        vi.setSystemTime(new Date(at('2026-04-02', '10:00').getTime() + i * 1000));
        const c = await big.conversations.create({ customerId: cust.id, channel: 'web' });
        await append(c.id, new Date(at('2026-04-02', '12:00').getTime() + i * 1000), 'faq');
      }
      const s = await computeSummary({ store: big, embeddings: new LexicalEmbeddings(), ads: new AdServer({ store: big, timeZone: TZ }) }, dayRange('2026-04-02', '2026-04-02', TZ));
      expect(s.conversations).toEqual({ total: 1 + 620, withCustomerMessage: 1 + 620 });
      expect(s.fallbacks).toEqual({ count: 1100 / 10, annotated: 1100 + 620, rate: Math.round((110 / 1720) * 1e4) / 1e4 });
      expect(s.daily[0]!.conversations).toBe(621);
    } finally {
      await big.close();
    }
  }, 20_000);
});
