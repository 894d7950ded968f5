/**
 * Smalltalk through the real router, skills and intent classifier (see conversation-harness.ts):
 * "are you a bot?" is answered honestly with a person offered and nothing handed off, "what can
 * you do?" gets a sentence, and a message without letters ("0032", "6688") is never a goodbye.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INTENTS_DIR, loadIntentExamples } from '../../skills/nlu/index.js';
import { SkillRouter } from '../../skills/router.js';
import { asksAboutAssistant, smalltalkTopic } from '../../skills/smalltalk.js';
import { all, BASIC_SKILLS, conversation, startHarness, type Harness } from './conversation-harness.js';

const SOCIAL = ['greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'smalltalk', 'help', 'feedback'];

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h.dispose();
});

describe('"are you a bot?" and "what can you do?"', () => {
  it('tells a question about the assistant from a request for a person', () => {
    for (const t of ['are you a bot?', 'am i talking to a real person?', 'r u human', 'is this automated?', 'who are you', "what's your name", '你是机器人吗', '你是真人还是机器人啊', '你叫什么名字呀', '对面是人工智能吗']) {
      expect(asksAboutAssistant(t), t).toBe(true);
    }
    for (const t of ['talk to a human', 'I want a real agent not a bot', 'are you a bot? get me a human', '找真人', '机器人听不懂，转人工', '你是机器人吗 我要转人工', 'are you open on sunday', 'is this real leather', 'what are your shipping fees', '你是什么意思']) {
      expect(asksAboutAssistant(t), t).toBe(false);
    }
  });

  it('has an answer for every smalltalk example the classifier is trained on (else "smalltalk" would fall through)', async () => {
    const examples = (await loadIntentExamples(DEFAULT_INTENTS_DIR)).filter((e) => e.intent === 'smalltalk');
    expect(examples.length).toBeGreaterThanOrEqual(60);
    for (const e of examples) expect(smalltalkTopic(e.text), `${e.source}: ${e.text}`).toBeDefined();
  });

  it('answers honestly that it is the automated assistant, offers a person and hands nothing off (EN and ZH)', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const en = conversation(h.nlu, router);
    for (const text of ['are you a bot?', 'am i talking to a real person?', 'who are you?']) {
      const r = await en.say(text);
      expect(r.skill, text).toBe('smalltalk');
      expect(all(r.sent), text).toMatch(/automated/);
      expect(all(r.sent), text).toMatch(/orders.*returns and refunds.*shipping and payment.*products/);
      expect(r.sent.flatMap((s) => s.buttons), text).toContain('Talk to a person');
      expect(all(r.sent)).not.toMatch(/\/help\//);
    }
    expect(en.session.escalation).toBeUndefined();

    const zh = conversation(h.nlu, router, 'zh');
    for (const text of ['你是机器人吗', '你叫什么名字呀', '你是真人吗']) {
      const r = await zh.say(text);
      expect(r.skill, text).toBe('smalltalk');
      expect(all(r.sent), text).toMatch(/助手/);
      expect(all(r.sent), text).toMatch(/订单.*退换货.*配送.*推荐商品/);
      expect(r.sent.flatMap((s) => s.buttons), text).toContain('转人工');
    }
    expect(zh.session.escalation).toBeUndefined();
  });

  it('still hands off a shopper who asks for a person', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const c = conversation(h.nlu, router);
    const r = await c.say('I want a real agent not a bot');
    expect(r.skill).toBe('human_agent');
    expect(c.session.escalation).toMatchObject({ reason: 'requested' });
  });

  it('says in a sentence what it can do, with the menu, for "what can you do?" / "你都能干啥"', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    const en = await conversation(h.nlu, router).say('hi there! what can you do?');
    expect(en.skill).toBe('help');
    expect(en.sent[0]!.text).toMatch(/track your orders/);
    expect(en.sent[0]!.text).toMatch(/returns and refunds/);
    expect(en.sent[0]!.text).toMatch(/suggest products/);
    expect(en.sent[0]!.buttons).toEqual(['Track my order', 'Returns', 'Shipping', 'Talk to a person']);
    const zh = await conversation(h.nlu, router, 'zh').say('你好呀 你都能干啥');
    expect(zh.skill).toBe('help');
    expect(zh.sent[0]!.text).toMatch(/查订单.*退换货.*推荐商品/);
  });
});

describe('a message without letters', () => {
  it('is never understood as a greeting, thanks, goodbye, yes/no or chit-chat', async () => {
    for (const text of ['0032', '6688', '2', '0', '1', '1234', '5678', '100', '99', '0178', '+65 8555 0178', '１２３４']) {
      const u = await h.nlu.parse(text);
      expect(SOCIAL, `${text} -> ${u.intent}`).not.toContain(u.intent);
      for (const a of u.alternatives ?? []) expect(SOCIAL, `${text} alternative`).not.toContain(a.intent);
    }
    // Words still say what they say.
    expect((await h.nlu.parse('bye')).intent).toBe('goodbye');
    expect((await h.nlu.parse('拜拜')).intent).toBe('goodbye');
  });

  it('is told it does not look like an order number, with what would help, never goodbye', async () => {
    const router = new SkillRouter({ skills: BASIC_SKILLS, faq: h.faq });
    for (const [text, locale] of [['0032', 'en'], ['6688', 'zh']] as const) {
      const c = conversation(h.nlu, router, locale);
      const r = await c.say(text);
      const said = all(r.sent);
      expect(said, text).not.toMatch(/bye|再见|拜拜/i);
      expect(said, text).toMatch(locale === 'zh' ? /不像.*订单号.*SA100123/ : /does not look like .*order number.*SA100123/);
      expect(said).not.toMatch(/\/help\//);
      expect(c.session.escalation).toBeUndefined();
    }
  });
});
