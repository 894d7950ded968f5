/**
 * Out-of-scope messages and leaving a flow, through the real router, skills, intent classifier
 * and help articles (see conversation-harness.ts): an off-topic question gets "I can help
 * with…" instead of a random article, an unsure one only an article it shares a word with, and
 * "bye" ends a pending question politely.
 */
import { ConversationState, MemoryStorage, MessageFactory } from 'botbuilder-core';
import { DialogSet, WaterfallDialog, type DialogState } from 'botbuilder-dialogs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { surelyOutOfScope } from '../../skills/basic.js';
import { AnswerPrompt, type AnswerSpec } from '../../skills/dialogs/answer-prompt.js';
import { sharesContentWord } from '../../skills/faq.js';
import { SkillRouter } from '../../skills/router.js';
import type { Skill, Understanding } from '../../skills/types.js';
import { all, BASIC_SKILLS, conversation, startHarness, type Harness } from './conversation-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h.dispose();
});

describe('out-of-scope messages', () => {
  it('get a polite "I can help with…" with no article, no hand-off and no miss counted', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const c = conversation(h.nlu, router);
    for (const text of ['tell me a joke', "what's the weather like in hangzhou tomorrow?", 'can you write a python function that reverses a string']) {
      const r = await c.say(text);
      expect(r.nlu.intent, text).toBe('out_of_scope');
      expect(r.skill, text).toBe('out_of_scope');
      expect(all(r.sent), text).toMatch(/outside what I can help with.*orders.*returns/);
      expect(all(r.sent), text).not.toMatch(/\/help\/|Source:/);
    }
    expect(c.session.fallbacks).toBe(0);
    expect(c.session.escalation).toBeUndefined();
    const zh = conversation(h.nlu, router, 'zh');
    for (const text of ['1+1等于几', '给我讲个笑话呗', '帮我写个Java冒泡排序']) {
      const r = await zh.say(text);
      expect(r.skill, text).toBe('out_of_scope');
      expect(all(r.sent), text).toMatch(/超出.*订单/);
      expect(all(r.sent), text).not.toMatch(/\/help\/|来源/);
    }
  });

  it('are not refused when they name a product, a category or an order (the classifier may not know the name)', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const r = await conversation(h.nlu, router).say('show me the swiftrun breeze 6', {
      intent: 'out_of_scope',
      confidence: 0.9,
      entities: [{ type: 'product', value: 'P-RUN-004', score: 0.9, text: 'swiftrun breeze 6', start: 12, end: 29 }],
    });
    expect(r.skill).not.toBe('out_of_scope');
  });

  it('judges off-topic messages out of scope and refuses them, while shop questions without an intent of their own are not judged so', async () => {
    const offTopic = ['tell me a joke', "what's 2+2?", 'who should i vote for in the next election', '今天天气怎么样', '帮我写作业', '1+1等于几', 'what is the capital of france'];
    const shop = ['怎样才能成为VIP，有啥好处', '包的拉链坏了，买了4个月了还管吗', '买完东西积分啥时候到账'];
    const scored = await h.nlu.classifier.classifyBatch([...offTopic, ...shop]);
    scored.forEach((p, i) => {
      const text = [...offTopic, ...shop][i]!;
      const u: Understanding = { intent: p.intent, confidence: p.confidence, alternatives: p.alternatives, entities: [] };
      expect(surelyOutOfScope(u, 0.45), text).toBe(i < offTopic.length);
    });
    // Naming something of the shop is never refused as off-topic, whatever the classifier says.
    const named: Understanding = { intent: 'out_of_scope', confidence: 0.99, entities: [{ type: 'category', value: 'shoes', score: 1, text: 'shoes', start: 0, end: 5 }] };
    expect(surelyOutOfScope(named, 0.45)).toBe(false);
  });

  it('a message judged out of scope still gets the help article that plainly answers it, from the articles of a shop intent ranked next', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const r = await conversation(h.nlu, router).say('US mens 9.5 = what size on your site?', {
      intent: 'out_of_scope',
      confidence: 0.84,
      alternatives: [
        { intent: 'product_question', confidence: 0.16 },
        { intent: 'price_check', confidence: 0.12 },
      ],
    });
    expect(r.skill).toBe('faq');
    expect(all(r.sent)).toMatch(/\/help\/shoe-size-guide/);
  });

  it('unsure messages try the knowledge base, which refuses passages that share no content word', async () => {
    expect(sharesContentWord("what's 2+2?", '2. approved: we are waiting for your parcel. 3. received')).toBe(false);
    expect(sharesContentWord('tell me a joke', 'the product page tells you which size')).toBe(false);
    expect(sharesContentWord('1+1等于几', '订单号形如 SA100123')).toBe(false);
    expect(sharesContentWord('how long does a refund take', 'Refunds reach your card in 3-5 days')).toBe(true);
    expect(sharesContentWord('退款多久到账', '退款一般 1-3 个工作日到账')).toBe(true);

    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    // Unsure ("what's 2+2?" at 0.3): the number-heavy refund passage that ranks first is not an answer.
    const maths = await conversation(h.nlu, router).say("what's 2+2?", { intent: 'out_of_scope', confidence: 0.3 });
    expect(maths.skill).toBe('fallback');
    expect(all(maths.sent)).not.toMatch(/\/help\//);
    // The same path still answers a real question it shares words with.
    const refund = await conversation(h.nlu, router).say('refund to my alipay how many days', { intent: 'out_of_scope', confidence: 0.3 });
    expect(refund.skill).toBe('faq');
    expect(all(refund.sent)).toMatch(/\/help\/refund/);
  });
});

describe('"bye" while a question waits', () => {
  /** A flow that asks one question (yes/no or free text) and reports the answer. */
  function routerWithFlow(state: ConversationState, spec: AnswerSpec) {
    const dialogs = new DialogSet(state.createProperty<DialogState>('dialogs'));
    dialogs.add(new AnswerPrompt('ask'));
    dialogs.add(
      new WaterfallDialog('flow', [
        (step) => step.prompt('ask', { prompt: MessageFactory.text('Shall I open the return?'), retryPrompt: MessageFactory.text('Shall I open the return? yes or no'), validations: spec }),
        async (step) => {
          await step.context.sendActivity(`answer: ${String(step.result)}`);
          return step.endDialog();
        },
      ]),
    );
    const start: Skill = {
      name: 'returns',
      intents: ['return_item'],
      dialogId: 'flow',
      canHandle: (t) => t.nlu.intent === 'return_item',
      handle: async (t) => {
        await t.dc!.beginDialog('flow');
      },
    };
    return new SkillRouter({ skills: [...BASIC_SKILLS, start], dialogs, faq: h.faq });
  }

  it('ends the flow with a goodbye, without asking the question again (EN and ZH)', async () => {
    for (const [bye, locale] of [['bye', 'en'], ['拜拜', 'zh']] as const) {
      const state = new ConversationState(new MemoryStorage());
      const router = routerWithFlow(state, { kind: 'yesno' });
      const c = conversation(h.nlu, router, locale, state);
      const first = await c.say('I want to return an item', { intent: 'return_item', confidence: 0.95 });
      expect(all(first.sent)).toMatch(/Shall I open the return\?/);
      const second = await c.say(bye);
      expect(second.skill).toBe('dialog_cancelled');
      expect(all(second.sent)).toMatch(locale === 'zh' ? /再见/ : /Goodbye/);
      expect(all(second.sent)).not.toMatch(/Shall I open the return/);
      expect(second.sent).toHaveLength(1);
      // The flow is gone: the next message is not taken as its answer, nor re-asked.
      const third = await c.say('hello');
      expect(all(third.sent)).not.toMatch(/answer:|Shall I open/);
    }
  });

  it('leaves a real answer to the question alone', async () => {
    const state = new ConversationState(new MemoryStorage());
    const router = routerWithFlow(state, { kind: 'yesno' });
    const c = conversation(h.nlu, router, 'en', state);
    await c.say('I want to return an item', { intent: 'return_item', confidence: 0.95 });
    const r = await c.say('no');
    expect(all(r.sent)).toMatch(/answer: no/);
  });
});
