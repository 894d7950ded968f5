/** "When are you open?" is a question for the help articles, not a request for a person (issue 15). */
import { describe, expect, it } from 'vitest';
import { asksWhenPeopleAnswer, humanAgentSkill } from '../../skills/smalltalk.js';
import type { Turn } from '../../skills/types.js';

const turn = (text: string) => ({ text, nlu: { intent: 'human_agent', confidence: 0.9, entities: [] } }) as unknown as Turn;

describe('questions about when people answer', () => {
  it('are told apart from asking for a person now, in English and Chinese', () => {
    for (const q of ['what are your customer service hours?', 'when is customer service online', 'whats your phone number', '客服几点上班', '人工客服的服务时间是几点到几点', '你们的客服电话是多少', 'whats ur customer service email', 'customer service e-mail address?', '客服邮箱是多少']) {
      expect(asksWhenPeopleAnswer(q), q).toBe(true);
    }
    for (const q of ['talk to a human', 'I want a real person', '转人工', 'get me a human right now, what are your hours anyway', '现在就转人工']) {
      expect(asksWhenPeopleAnswer(q), q).toBe(false);
    }
  });

  it('the hand-off skill leaves them to the help articles and takes real requests', () => {
    expect(humanAgentSkill.canHandle(turn('what are your customer service hours?'))).toBe(false);
    expect(humanAgentSkill.canHandle(turn('客服几点上班'))).toBe(false);
    expect(humanAgentSkill.canHandle(turn('talk to a human'))).toBe(true);
    expect(humanAgentSkill.canHandle(turn('转人工'))).toBe(true);
  });
});

describe('questions asking which size to take', () => {
  it('are size advice in English and Chinese, not product requests', async () => {
    const { asksWhichSize } = await import('../../skills/question-kind.js');
    for (const q of ['what size should i get? 175cm chest 94', 'which size do I take in your jeans', '身高165 胸围86 女生T恤穿什么码', '脚长245mm穿多大码', '牛仔裤尺码怎么选', 'do u have a size chart for jeans', '鞋子尺码表']) expect(asksWhichSize(q), q).toBe(true);
    for (const q of ['recommend t-shirts in size M', '有L码的T恤吗', '推荐女生T恤', 'jeans in size 30']) expect(asksWhichSize(q), q).toBe(false);
  });
});

describe('"where is my parcel" in the shopper\'s own words', () => {
  it('is their own parcel, not a restock or a product list', async () => {
    const { asksWhereMyParcelIs } = await import('../../skills/question-kind.js');
    for (const q of ['我那双鞋到底啥时候到？？？', 'when will my shoes arrive', "where's my stuff", '我买的外套到哪了']) expect(asksWhereMyParcelIs(q), q).toBe(true);
    for (const q of ['这双鞋什么时候到货', 'when will the black bag be back in stock', 'where is the size chart', '鞋子什么时候到']) expect(asksWhereMyParcelIs(q), q).toBe(false);
  });
});

describe('saying one wants to complain', () => {
  it('is a complaint in English and Chinese; a shipping or fee question is not', async () => {
    const { saysComplaint } = await import('../../skills/question-kind.js');
    for (const q of ["Hi, I'd like to file a complaint.", '我想投诉一下', 'I want to complain about the delivery driver', '想反馈一下快递员的态度问题']) expect(saysComplaint(q), q).toBe(true);
    for (const q of ['how much is shipping', 'complaints policy?', '退货运费谁出']) expect(saysComplaint(q), q).toBe(false);
  });
});

describe('asking for a person while mentioning email', () => {
  it('is still a request for a person', () => {
    for (const q of ["I don't want to send an email, let me talk to a real person", 'stop telling me to email, get me a human']) expect(asksWhenPeopleAnswer(q), q).toBe(false);
  });
});
