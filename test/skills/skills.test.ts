import { FakeListChatModel } from '@langchain/core/utils/testing';
import { TestAdapter, TurnContext, type Activity } from 'botbuilder-core';
import { describe, expect, it } from 'vitest';
import { asksForWholeArticle, FaqSkill, leadSection, plainExcerpt, type KnowledgeHit } from '../../skills/faq.js';
import { recognizeAnswer, type AnswerSpec } from '../../skills/dialogs/answer-prompt.js';
import { calendarDay, checkReturn } from '../../skills/returns/policy.js';
import { describeOrder, estimatedDelivery } from '../../skills/orders/status.js';
import { SkillRouter } from '../../skills/router.js';
import type { Skill, Turn, Understanding } from '../../skills/types.js';
import type { Customer, Order, Product } from '../../store/index.js';

const DAY = 86_400_000;

function order(patch: Partial<Order> = {}): Order {
  return {
    id: 'ord_1',
    number: 'SA100123',
    customerId: 'cus_1',
    status: 'delivered',
    items: [{ productId: 'P-JKT-001', title: 'Down Jacket', quantity: 1, unitPrice: 1899 }],
    total: 1899,
    currency: 'CNY',
    shippingAddress: { name: 'Li', phone: '+86 139 1234 5678', line1: '1 Road', city: 'Hangzhou', region: 'Zhejiang', country: 'CN' },
    placedAt: new Date('2026-11-01T02:00:00Z'),
    updatedAt: new Date('2026-11-01T02:00:00Z'),
    ...patch,
  };
}

function product(category: string, title = 'Thing', tags: string[] = []): Product {
  return { id: 'P', category, title: { en: title, zh: title }, description: { en: '', zh: '' }, price: 1, currency: 'CNY', stock: 1, attributes: {}, tags, createdAt: new Date(), updatedAt: new Date() };
}

/** A Turn on a real botbuilder TurnContext that records what the bot sends. */
function turnOf(text: string, nlu: Partial<Understanding> = {}, value?: string): { turn: Turn; sent: Array<Partial<Activity>> } {
  const adapter = new TestAdapter();
  const sent: Array<Partial<Activity>> = [];
  const context = new TurnContext(adapter, { type: 'message', text, channelId: 'test', from: { id: 'u', name: 'u' }, conversation: { id: 'c', isGroup: false, conversationType: 'personal', name: '' }, recipient: { id: 'b', name: 'b' } } as Activity);
  context.onSendActivities(async (_ctx, activities) => {
    sent.push(...activities);
    return activities.map(() => ({ id: 'x' }));
  });
  const customer: Customer = { id: 'cus_1', displayName: 'Li', locale: 'en', vip: false, tags: [], identities: [], createdAt: new Date(), updatedAt: new Date() } as unknown as Customer;
  const turn: Turn = {
    context,
    customer,
    conversation: {} as Turn['conversation'],
    text,
    value,
    locale: 'en',
    nlu: { intent: 'out_of_scope', confidence: 0.1, entities: [], ...nlu },
    memory: {},
    session: { fallbacks: 0 },
    now: new Date('2026-11-10T04:00:00Z'),
  };
  return { turn, sent };
}

describe('return policy', () => {
  const now = new Date('2026-11-10T04:00:00Z'); // 12:00 in Shanghai
  it('counts days from the day after delivery in the shop time zone', () => {
    // Delivered 3 Nov 23:30 Shanghai (15:30 UTC): day 7 is 10 Nov, still inside the 7-day window.
    const o = order({ deliveredAt: new Date('2026-11-03T15:30:00Z') });
    expect(calendarDay(o.deliveredAt!, 'Asia/Shanghai') - calendarDay(o.deliveredAt!, 'UTC')).toBe(0);
    expect(checkReturn(o, [product('jackets')], 'wrong_size', now)).toMatchObject({ ok: true, daysLeft: 0, conditionCheck: 'unused' });
    const late = order({ deliveredAt: new Date('2026-11-02T15:30:00Z') });
    expect(checkReturn(late, [product('jackets')], 'changed_mind', now)).toMatchObject({ ok: false, why: 'window_closed', windowDays: 7, daysSince: 8 });
    // A quality problem has 15 days.
    expect(checkReturn(late, [product('jackets')], 'faulty', now)).toMatchObject({ ok: true, windowDays: 15 });
  });

  it('asks for the seal on skincare and the hygiene seal on in-ear earphones, not on faulty ones', () => {
    const o = order({ deliveredAt: new Date('2026-11-08T04:00:00Z') });
    expect(checkReturn(o, [product('skincare')], 'changed_mind', now)).toMatchObject({ ok: true, conditionCheck: 'sealed' });
    expect(checkReturn(o, [product('headphones', 'Pulse Buds True Wireless Earbuds')], 'changed_mind', now)).toMatchObject({ conditionCheck: 'hygiene' });
    expect(checkReturn(o, [product('headphones', 'Hush 700 Over-Ear')], 'changed_mind', now)).toMatchObject({ conditionCheck: 'unused' });
    expect(checkReturn(o, [product('skincare')], 'faulty', now)).not.toHaveProperty('conditionCheck');
  });

  it('refuses an order that is not delivered', () => {
    expect(checkReturn(order({ status: 'shipped' }), [], 'faulty', now)).toEqual({ ok: false, why: 'not_delivered' });
  });
});

describe('order status', () => {
  it('estimates delivery from the carrier and region', () => {
    const shipped = order({ status: 'shipped', shippedAt: new Date('2026-11-05T02:00:00Z'), carrier: 'SF Express', trackingNumber: 'SF1' });
    const eta = estimatedDelivery(shipped)!;
    expect((eta.from.getTime() - shipped.shippedAt!.getTime()) / DAY).toBe(1);
    expect((eta.to.getTime() - shipped.shippedAt!.getTime()) / DAY).toBe(2);
    const remote = order({ ...shipped, carrier: 'ZTO', shippingAddress: { ...shipped.shippingAddress, region: 'Xinjiang', city: 'Urumqi' } });
    expect((estimatedDelivery(remote)!.to.getTime() - shipped.shippedAt!.getTime()) / DAY).toBe(7);
    expect(describeOrder(shipped, 'en', new Date('2026-11-05T10:00:00Z'))).toMatch(/shipped on 5 Nov with SF Express, tracking number SF1, expected between 6 Nov and 7 Nov/);
    expect(describeOrder(shipped, 'zh', new Date('2026-11-05T10:00:00Z'))).toMatch(/预计 11月6日 至 11月7日 送达/);
    // Past the window: say so, and offer a trace.
    expect(describeOrder(shipped, 'en', new Date('2026-11-12T10:00:00Z'))).toMatch(/later than the usual delivery date/);
  });
});

describe('prompt answers', () => {
  const choices: AnswerSpec = { kind: 'choice', choices: [{ value: 'P-1', synonyms: ['Down Jacket'] }, { value: 'P-2', synonyms: ['Crew T-Shirt'] }] };
  it('accepts a button value, the title, a position (1, 2nd, 第二个) or a phrase containing one choice', () => {
    expect(recognizeAnswer(choices, turnOf('whatever', {}, 'P-2').turn)).toBe('P-2');
    expect(recognizeAnswer(choices, turnOf('down jacket').turn)).toBe('P-1');
    expect(recognizeAnswer(choices, turnOf('2').turn)).toBe('P-2');
    expect(recognizeAnswer(choices, turnOf('2nd').turn)).toBe('P-2');
    expect(recognizeAnswer(choices, turnOf('第二个').turn)).toBe('P-2');
    expect(recognizeAnswer(choices, turnOf('the down jacket please').turn)).toBe('P-1');
    expect(recognizeAnswer(choices, turnOf('3').turn)).toBeUndefined();
    expect(recognizeAnswer(choices, turnOf('what is your return policy').turn)).toBeUndefined();
  });
  it('reads yes and no in English and Chinese, and order numbers and digits', () => {
    for (const yes of ['yes', 'Yes please', '好的', '确认', '是的', 'ok']) expect(recognizeAnswer({ kind: 'yesno' }, turnOf(yes).turn), yes).toBe('yes');
    for (const no of ['no', 'nope', '不', '不要']) expect(recognizeAnswer({ kind: 'yesno' }, turnOf(no).turn), no).toBe('no');
    // "算了" stops the flow (null), whatever the question.
    expect(recognizeAnswer({ kind: 'yesno' }, turnOf('算了').turn)).toBeNull();
    expect(recognizeAnswer({ kind: 'yesno' }, turnOf('maybe later').turn)).toBeUndefined();
    expect(recognizeAnswer({ kind: 'order' }, turnOf('it is sa-100123').turn)).toBe('SA100123');
    expect(recognizeAnswer({ kind: 'digits', length: 4 }, turnOf('5 6 7 8').turn)).toBe('5678');
    expect(recognizeAnswer({ kind: 'digits', length: 4 }, turnOf('567').turn)).toBeUndefined();
  });
});

describe('FAQ answers', () => {
  const hits: KnowledgeHit[] = [
    { documentId: 'd1', slug: 'refund-timing', locale: 'en', title: 'Refund timing', heading: 'Refund timing › By method', text: 'Alipay and WeChat Pay: within **24 hours**. Cards: 1-3 business days.', confidence: 0.8 },
    { documentId: 'd2', slug: 'refund-methods', locale: 'en', title: 'How refunds are paid', text: 'Refunds go back to the original payment method.', confidence: 0.5 },
  ];
  const kb = { search: async () => hits };
  const link = (slug: string, locale: string) => `https://shop.example/help/${slug}?lang=${locale}`;

  it('answers from the best passage, cites its title and link, and offers related articles', async () => {
    const faq = new FaqSkill({ kb, link, minConfidence: 0.3 });
    const { turn, sent } = turnOf('how long do refunds take', { intent: 'refund_policy', confidence: 0.9 });
    await faq.handle(turn);
    expect(sent[0]!.text).toContain('within 24 hours');
    expect(sent[0]!.text).toContain('Source: Refund timing https://shop.example/help/refund-timing?lang=en');
    expect(sent[0]!.suggestedActions!.actions.map((a) => a.title)).toEqual(['How refunds are paid', 'Talk to a person']);
  });

  it('asks to rephrase below the confidence floor', async () => {
    const faq = new FaqSkill({ kb, link, minConfidence: 0.9 });
    const { turn, sent } = turnOf('what is the meaning of life', { intent: 'refund_policy', confidence: 0.9 });
    await faq.handle(turn);
    expect(sent[0]!.text).toMatch(/could not find that/);
  });

  it('with a chat model, answers grounded on the passages and lists only the sources it cited', async () => {
    const chatModel = new FakeListChatModel({ responses: ['Alipay refunds arrive within 24 hours [1]. See also [7].'] });
    const faq = new FaqSkill({ kb, link, minConfidence: 0.3, chatModel });
    const { turn, sent } = turnOf('how long do refunds take', { intent: 'refund_policy', confidence: 0.9 });
    await faq.handle(turn);
    expect(sent[0]!.text).toContain('Alipay refunds arrive within 24 hours [1].');
    expect(sent[0]!.text).not.toContain('[7]');
    expect(sent[0]!.text).toContain('[1] Refund timing https://shop.example/help/refund-timing?lang=en');
    expect(sent[0]!.text).not.toContain('How refunds are paid https://');
  });

  it('falls back to the passage when the model has no grounded answer or fails', async () => {
    for (const chatModel of [new FakeListChatModel({ responses: ['NO_ANSWER'] }), new FakeListChatModel({ responses: ['Sure, refunds are instant.'] })]) {
      const faq = new FaqSkill({ kb, link, minConfidence: 0.3, chatModel });
      const { turn, sent } = turnOf('how long do refunds take', { intent: 'refund_policy', confidence: 0.9 });
      await faq.handle(turn);
      expect(sent[0]!.text).toContain('Source: Refund timing');
    }
  });

  it('recognises whole-article questions and takes the opening section', () => {
    expect(asksForWholeArticle("What's your return policy?", 'Return policy')).toBe(true);
    expect(asksForWholeArticle('你们的退货政策是怎样的？', '退货政策')).toBe(true);
    expect(asksForWholeArticle('can I return an opened serum', 'Return policy')).toBe(false);
    // Naming the title while asking one thing of it is not a question about the whole article.
    expect(asksForWholeArticle('can i use two coupons on one order', 'Coupons')).toBe(false);
    // Asked for around the title ("actually never mind, just tell me…", "算了 你直接告诉我…吧"): still the whole article.
    expect(asksForWholeArticle('actually never mind, just tell me the return policy', 'Return policy')).toBe(true);
    expect(asksForWholeArticle('算了 你直接告诉我退货政策吧', '退货政策')).toBe(true);
    expect(asksForWholeArticle('just tell me if i can return opened skincare under the return policy', 'Return policy')).toBe(false);
    expect(asksForWholeArticle('tell me about coupons', 'Coupons')).toBe(true);
    const body = '---\ntitle: X\n---\n# Return policy\n\n## 7-day returns\n\nWithin **7 days**.\n\n## Quality\n\n15 days.';
    expect(leadSection(body)).toBe('## 7-day returns\n\nWithin **7 days**.');
    expect(plainExcerpt(leadSection(body))).toBe('7-day returns\n\nWithin 7 days.');
  });

  it('keeps excerpts short, cutting at a sentence', () => {
    const long = `${'A sentence that goes on. '.repeat(60)}`;
    const out = plainExcerpt(long, 100);
    expect(out.length).toBeLessThanOrEqual(101);
    expect(out.endsWith('.…')).toBe(true);
  });
});

describe('FAQ steering by intent', () => {
  const link = (slug: string, locale: string) => `https://shop.example/help/${slug}?lang=${locale}`;
  const hit = (slug: string, category: string, confidence: number, title = slug, text = `${slug} text`): KnowledgeHit => ({ documentId: slug, slug, locale: 'en', title, category, text, confidence });

  it('a weak intent steers only while no clearly surer article elsewhere answers; a confident one keeps its own articles', async () => {
    const hits = [hit('international-shipping', 'shipping', 0.64, 'International shipping, duties and currency'), hit('refund-methods', 'refunds', 0.39)];
    const faq = new FaqSkill({ kb: { search: async () => hits }, link, minConfidence: 0.3 });
    const { turn } = turnOf('i asked who pays the customs duties', { intent: 'refund_policy', confidence: 0.32 });
    expect((await faq.lookup(turn, 'refund_policy', { weakIntent: true }))[0]!.slug).toBe('international-shipping');
    // The same hits, the intent taken as meant: its own article answers.
    expect((await faq.lookup(turn, 'refund_policy'))[0]!.slug).toBe('refund-methods');
    // Close evidence: the weak intent still steers.
    const close = [hit('international-shipping', 'shipping', 0.45), hit('refund-methods', 'refunds', 0.39)];
    const faq2 = new FaqSkill({ kb: { search: async () => close }, link, minConfidence: 0.3 });
    expect((await faq2.lookup(turn, 'refund_policy', { weakIntent: true }))[0]!.slug).toBe('refund-methods');
  });

  it('no intent means no steering', async () => {
    const hits = [hit('international-shipping', 'shipping', 0.5), hit('refund-methods', 'refunds', 0.45)];
    const faq = new FaqSkill({ kb: { search: async () => hits }, link, minConfidence: 0.3 });
    const { turn } = turnOf('customs', { intent: 'refund_policy', confidence: 0.9 });
    expect((await faq.lookup(turn, undefined))[0]!.slug).toBe('international-shipping');
  });

  it("among an intent's articles, the one whose title names what is asked comes first; the kind of fact is read from the message, not the question it follows", async () => {
    const hits = [
      hit('international-shipping', 'shipping', 0.47, 'International shipping', 'Hong Kong: SF Express, delivery fee 30 CNY.'),
      hit('shipping-options-and-fees', 'shipping', 0.46, 'Shipping options and fees', 'Standard 10 CNY, SF Express 20 CNY.'),
      hit('delivery-times', 'delivery', 0.5, 'Delivery times', 'SF Express arrives in 1-3 days.'),
    ];
    const faq = new FaqSkill({ kb: { search: async () => hits }, link, minConfidence: 0.3 });
    const { turn } = turnOf('how are fees worked out', { intent: 'shipping_options', confidence: 0.9 });
    expect((await faq.lookup(turn, 'shipping_options'))[0]!.slug).toBe('shipping-options-and-fees');
    // A follow-up searched with the question it continues ("how many days to Beijing?") asks a fee itself.
    const { turn: follow } = turnOf('and SF, how much?', { intent: 'delivery_time', confidence: 0.5 });
    follow.searchText = 'how many days to Beijing? and SF, how much?';
    expect((await faq.lookup(follow, 'delivery_time'))[0]!.slug).not.toBe('delivery-times');
  });
});

describe('router', () => {
  const echo = (name: string, intents: string[]): Skill => ({
    name,
    intents,
    canHandle: (t) => intents.includes(t.nlu.intent),
    handle: async (t) => {
      await t.context.sendActivity(`${name}:${t.text}`);
    },
  });

  it('asks which of two close intents is meant, then routes the original question with the choice', async () => {
    const router = new SkillRouter({ skills: [echo('orders', ['track_order']), echo('returns', ['return_item'])] });
    const first = turnOf('my order SA100123 is wrong', { intent: 'track_order', confidence: 0.46, alternatives: [{ intent: 'return_item', confidence: 0.41 }] });
    expect(await router.handle(first.turn)).toBe('clarify');
    expect(first.sent[0]!.text).toMatch(/do you mean:\n1\. Track an order\n2\. Return an item/);
    const second = turnOf('Return an item', { intent: 'return_item', confidence: 0.9 });
    second.turn.session = first.turn.session;
    expect(await router.handle(second.turn)).toBe('returns');
    expect(second.sent[0]!.text).toBe('returns:my order SA100123 is wrong');
  });

  it('counts consecutive fallbacks, offers a person, and marks the conversation for escalation', async () => {
    const router = new SkillRouter({ skills: [echo('orders', ['track_order'])] });
    const session = { fallbacks: 0 };
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Not understood (an unsure guess): a miss. A confident out_of_scope is answered, not counted (smalltalk-oos.test.ts).
      const t = turnOf('blorp', { intent: 'out_of_scope', confidence: 0.3 });
      t.turn.session = session;
      expect(await router.handle(t.turn)).toMatch(/fallback/);
      texts.push(String(t.sent[0]!.text));
    }
    expect(session.fallbacks).toBe(3);
    expect(texts[1]).toMatch(/A person from our team/);
    expect(session).toHaveProperty('escalation.reason', 'fallbacks');
    const ok = turnOf('where is my order', { intent: 'track_order', confidence: 0.95 });
    ok.turn.session = session;
    await router.handle(ok.turn);
    expect(session.fallbacks).toBe(0);
  });
});
