/**
 * How a message's own form is read before any skill takes it (issue 15): problem reports, a
 * wish to complain with no topic yet, an acknowledgement in front of a question, follow-ups.
 */
import { describe, expect, it } from 'vitest';
import { asksAboutSomethingElse, asksWhichSize, pointedBackAt, problemSearchWords, complaintWithoutTopic, isGeneralQuestion, namedOrderAction, onlyAcknowledgement, followUpKind, reportedProblem, speaksOfOwnCase, withoutLeadingAck } from '../../skills/question-kind.js';

describe('problem reports', () => {
  it('an item that came broken, faulty or wrong, in English and Chinese', () => {
    for (const text of [
      'the sole on my sneakers is already peeling off after 2 months',
      'one of my earbuds stopped charging',
      'ordered a black hoodie size M and got a PINK one in XS',
      'the bottle arrived cracked and leaking',
      '收到的面霜瓶子碎了 全漏出来了',
      '耳机降噪一开就有沙沙的杂音',
      '明明是你们发错了颜色',
    ]) expect(reportedProblem(text), text).toBe('item');
  });

  it('a parcel that never came, is stuck or was not shipped', () => {
    for (const text of [
      'tracking says delivered but nothing arrived',
      "tracking hasn't moved in 5 days",
      'my parcel never arrived',
      '快递显示已签收 但我根本没收到',
      '付了钱一直不发货',
      '物流三天了都没更新',
    ]) expect(reportedProblem(text), text).toBe('parcel');
  });

  it('questions about care, sizes or policies are not reports', () => {
    for (const text of ['新买的牛仔裤掉色正常吗，要怎么洗', 'how long does delivery take to Beijing?', 'can I return opened face cream?', 'Recommend noise cancelling headphones', '推荐降噪耳机']) {
      expect(reportedProblem(text), text).toBeUndefined();
    }
  });

  it('the shopper speaking of their own order is told apart', () => {
    expect(speaksOfOwnCase('我下的单怎么还没发货啊')).toBe(true);
    expect(speaksOfOwnCase('tracking says delivered but nothing arrived')).toBe(false);
  });
});

describe('a wish to complain', () => {
  it('with no topic yet', () => {
    for (const text of ['我想投诉一下', "I'd like to file a complaint", 'I want to complain', '你好，我要投诉']) expect(complaintWithoutTopic(text), text).toBe(true);
  });
  it('with a topic', () => {
    for (const text of ['想反馈一下快递员的态度问题', 'I want to complain about the courier who threw my parcel', '投诉你们的客服态度']) expect(complaintWithoutTopic(text), text).toBe(false);
  });
});

describe('an acknowledgement in front', () => {
  it('is dropped when a question of its own follows', () => {
    expect(withoutLeadingAck('ok cool and is it free over some amount?')).toBe('and is it free over some amount?');
    expect(withoutLeadingAck('好的 那关税谁付')).toBe('那关税谁付');
    expect(withoutLeadingAck('thanks!')).toBeUndefined();
    expect(withoutLeadingAck('好的')).toBeUndefined();
    expect(withoutLeadingAck('how much is shipping?')).toBeUndefined();
    expect(withoutLeadingAck('亲 下午五点下单今天还能发吗')).toBe('下午五点下单今天还能发吗');
  });
  it('a message that is nothing but one is thanks or a yes', () => {
    expect(onlyAcknowledgement('great, thanks a lot!')).toBe('thanks');
    expect(onlyAcknowledgement('好的谢谢')).toBe('thanks');
    expect(onlyAcknowledgement('ok cool 👍')).toBe('affirm');
    expect(onlyAcknowledgement('ok cool, and to Japan?')).toBeUndefined();
  });
});

describe('follow-ups', () => {
  it('by their form, past an acknowledgement', () => {
    expect(followUpKind('那顺丰要多少钱')).toBe('form');
    expect(followUpKind('and to Hong Kong?')).toBe('form');
    expect(followUpKind('ok cool and is it free over some amount?')).toBe('form');
    expect(followUpKind('跑步穿的话要不要买大一点')).toBe('form');
  });
  it('by pointing back at the last answer', () => {
    expect(followUpKind('how long does the repair take?')).toBe('points_back');
    expect(followUpKind('do i have to pay to ship it?')).toBe('points_back');
  });
  it('a question of its own is not one', () => {
    expect(followUpKind('how much is shipping to Japan?')).toBeUndefined();
    expect(followUpKind('我想退货')).toBeUndefined();
  });
});

describe('size questions', () => {
  it('between two sizes, or the largest one, is size advice', () => {
    for (const text of ['between a 31 and 32 waist, looking at slim fit jeans. which one do i go for', '女款鞋最大有多少码', '41还是42码好', "what's the largest size?"]) expect(asksWhichSize(text), text).toBe(true);
    expect(asksWhichSize('show me slim fit jeans')).toBe(false);
  });
});

describe('the order action named by its verb', () => {
  it('one action named', () => {
    expect(namedOrderAction('can i exchange the shoes from order SA100228?')).toBe('exchange_item');
    expect(namedOrderAction('这双鞋能换个大一码吗')).toBe('exchange_item');
    expect(namedOrderAction('I want to return the jacket')).toBe('return_item');
    expect(namedOrderAction('我要退货')).toBe('return_item');
    expect(namedOrderAction('please cancel SA100123')).toBe('cancel_order');
  });
  it('none, or more than one: the classifier decides', () => {
    expect(namedOrderAction('where is my order?')).toBeUndefined();
    expect(namedOrderAction('should I return it or exchange it?')).toBeUndefined();
  });
});

describe("a rule asked about, not one's own case to look up", () => {
  const q = (text: string, entities: Array<{ type: string; value: string }> = []) =>
    isGeneralQuestion({ text, nlu: { intent: 'none', confidence: 1, entities, language: 'en' } as never });
  it('a state named in the question ("already shipped", "once you receive my return") makes it a rule', () => {
    expect(q('my order already shipped with JD, can i still get the address changed??')).toBe(true);
    expect(q("once u receive my return how long till the money's back?")).toBe(true);
    expect(q('你们收到退货后多久退款')).toBe(true);
  });
  it('"get my money back" asks whether a refund is possible', () => {
    expect(q("bought a gift card but can i return it and get my money back?")).toBe(true);
  });
  it("where it is, an order number, or one's own case without a question still look it up", () => {
    expect(q('my order has already shipped, where is it?')).toBe(false);
    expect(q('can i still change the address of SA100123, it already shipped?', [{ type: 'order_number', value: 'SA100123' }])).toBe(false);
    expect(q('i want my money back')).toBe(false);
    expect(q('where is my refund?')).toBe(false);
  });
});

describe('another shop, or a task for a general assistant', () => {
  it('is not ours to answer', () => {
    for (const text of ['do u know if amazon or jd delivers faster to beijing? asking for a friend', '你知道京东的客服电话是多少吗', '淘宝的退货运费险怎么买', '帮我把这句翻译成日语：谢谢你送的礼物', 'translate "thank you" into french', 'write me a poem about shoes']) {
      expect(asksAboutSomethingElse(text), text).toBe(true);
    }
  });
  it('a comparison with us, or JD as our carrier, is ours', () => {
    for (const text of ['do you price match amazon?', '你们比淘宝贵吗', 'is it cheaper on taobao?', '京东快递几天到上海', 'can i choose JD instead of ZTO?', '这个在天猫也有卖吗']) {
      expect(asksAboutSomethingElse(text), text).toBe(false);
    }
  });
});

describe('the kind of problem reported', () => {
  it('missing, wrong or broken on arrival is told from a defect with use, and a defect by the kind of product', () => {
    expect(reportedProblem('ordered 3 things and theres only 2 in the box. where is the third one??')).toBe('item');
    expect(reportedProblem('我下单的是42码 结果发来的是40码')).toBe('item');
    expect(reportedProblem('背包的拉链用了三个月就拉不动了')).toBe('item');
    expect(problemSearchWords('item', 'ordered 3 things and theres only 2 in the box', 'en')).toMatch(/missing/);
    expect(problemSearchWords('item', 'ordered a black hoodie size M and got a PINK one in XS', 'en')).toMatch(/wrong/);
    expect(problemSearchWords('item', '我下单的是42码 结果发来的是40码', 'zh')).toMatch(/发错/);
    expect(problemSearchWords('item', 'one of my earbuds stopped charging', 'en')).toMatch(/headphones/);
    expect(problemSearchWords('item', 'the sole on my sneakers is peeling off after 2 months', 'en')).toMatch(/shoes/);
    expect(problemSearchWords('item', '背包的拉链用了三个月就拉不动了', 'zh')).toMatch(/箱包/);
  });
  it('a parcel delivered on the tracking but not received is told from one that is stuck', () => {
    expect(problemSearchWords('parcel', 'tracking says delivered but nothing arrived', 'en')).toMatch(/delivered but not received/);
    expect(problemSearchWords('parcel', '物流一直卡在那 好几天没动静', 'zh')).toMatch(/不更新/);
  });
});

describe('what a follow-up points back at by name', () => {
  it('is "the repair", "the refund"; a pronoun names nothing', () => {
    expect(pointedBackAt('how long does the repair take? and do i have to pay to ship it')).toBe('repair');
    expect(pointedBackAt('when will I get the refund')).toBe('refund');
    expect(pointedBackAt('how long does it take')).toBeUndefined();
  });
});

describe('found in review: own cases, shop questions and defects stay what they are', () => {
  const q = (text: string) => isGeneralQuestion({ text, nlu: { intent: 'none', confidence: 1, entities: [], language: 'en' } as never });
  it('"when will I get my money back?", "has my order already shipped?", "when you get a chance, check my order" are their own case', () => {
    for (const text of ['When will I get my money back?', 'I returned the shoes, when do I get my money back?', 'Has my order already shipped?', 'has my order already been delivered?', 'When you get a chance, can you check my order?']) {
      expect(q(text), text).toBe(false);
    }
  });
  it('another shop named beside our business, a price comparison or a parcel stays ours', () => {
    for (const text of ['Can I pay with Amazon Pay?', 'is this jacket cheaper than on amazon?', '淘宝上同款便宜50，能保价吗', '京东客服电话多少，我的快递一直没到', 'jd support says the parcel is back at the sender, what now?']) {
      expect(asksAboutSomethingElse(text), text).toBe(false);
    }
  });
  it('a defect that showed with use is a warranty case even when it says "wrong" or "only one"', () => {
    expect(problemSearchWords('item', 'the watch stopped charging after 2 months, what is wrong with it?', 'en')).toMatch(/warranty/);
    expect(problemSearchWords('item', 'after 3 months only one side of my headphones has sound, the other is not working', 'en')).toMatch(/warranty/);
    expect(problemSearchWords('item', '鞋子穿了一个月就开胶了，到手的时候是好的', 'zh')).toMatch(/质量保障/);
  });
  it('"the repairs" points back at the repair', () => {
    expect(pointedBackAt('how long do the repairs take?')).toBe('repair');
  });
});

describe('Chinese questions asked mid-sentence', () => {
  it('"能…吗" and "多少天" make a question about the rule', () => {
    const q = (text: string) => isGeneralQuestion({ text, nlu: { intent: 'exchange_item', confidence: 1, entities: [], language: 'zh' } as never });
    expect(q('买的鞋不合适 能exchange换个size吗 多少天内可以换')).toBe(true);
    expect(q('我要换货')).toBe(false);
  });
});

