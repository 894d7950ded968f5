import { describe, expect, it } from 'vitest';
import { scoreSentiment, SENTIMENT_VERSION, type SentimentResult } from '../../skills/nlu/sentiment.js';

/**
 * What a message should come out as.
 * - furious: anger, score <= -0.6 (hand it to a human now)
 * - angry: anger, score below 0 (a threat or a repeated demand said calmly)
 * - negative: no anger, -0.85 < score <= -0.2 (a polite complaint)
 * - sour: score <= -0.2, anger either way (sarcasm, or frustration on the edge of anger: what
 *   matters is that it is not read as neutral or praise)
 * - neutral: no anger, -0.2 < score < 0.3 (a plain question)
 * - calm: no anger, score > -0.2 (a negated threat or anger word)
 * - positive: no anger, score >= 0.3
 */
type Expected = 'furious' | 'angry' | 'negative' | 'sour' | 'neutral' | 'calm' | 'positive';

function check(r: SentimentResult, expected: Expected): void {
  const why = JSON.stringify(r);
  switch (expected) {
    case 'furious':
      expect(r.anger, why).toBe(true);
      expect(r.score, why).toBeLessThanOrEqual(-0.6);
      break;
    case 'angry':
      expect(r.anger, why).toBe(true);
      expect(r.score, why).toBeLessThan(0);
      break;
    case 'negative':
      expect(r.anger, why).toBe(false);
      expect(r.score, why).toBeLessThanOrEqual(-0.2);
      expect(r.score, why).toBeGreaterThan(-0.85);
      break;
    case 'sour':
      expect(r.score, why).toBeLessThanOrEqual(-0.2);
      break;
    case 'neutral':
      expect(r.anger, why).toBe(false);
      expect(r.score, why).toBeGreaterThan(-0.2);
      expect(r.score, why).toBeLessThan(0.3);
      break;
    case 'calm':
      expect(r.anger, why).toBe(false);
      expect(r.score, why).toBeGreaterThan(-0.2);
      break;
    case 'positive':
      expect(r.anger, why).toBe(false);
      expect(r.score, why).toBeGreaterThanOrEqual(0.3);
      break;
  }
}

// Written for this project: what shoppers of an online shop write to its assistant.
const ENGLISH: Array<[string, Expected]> = [
  // furious
  ['This is the worst service ever, I want my money back!!!', 'furious'],
  ["You are a bunch of scammers, I'm calling my lawyer", 'furious'],
  ["I'm so angry, this is completely unacceptable!!", 'furious'],
  ['WHERE IS MY REFUND?? THIS IS RIDICULOUS', 'furious'],
  ["I will file a chargeback if this isn't fixed today", 'furious'],
  ['How many times do I have to ask? Cancel the damn order!', 'furious'],
  ['Your support is fucking useless', 'furious'],
  ['Absolutely furious, the package never arrived and nobody answers', 'furious'],
  ['Fed up with this shop, never ordering from you again', 'furious'],
  ["This is a total rip off, I'm reporting you to the Better Business Bureau", 'furious'],
  ['For the third time, I want my money back NOW', 'furious'],
  ['What the hell is wrong with you people?!', 'furious'],
  ["I'm leaving a 1 star review everywhere", 'furious'],
  // angry without shouting
  // Issue 15: asking to complain, calmly, is a request, not rage (negative, not anger).
  ['I want to file a formal complaint', 'negative'],
  ['refund refund refund', 'angry'],
  ["I've asked you three times where my parcel is", 'angry'],
  // negative, not anger
  ['the item arrived damaged, can I return it?', 'negative'],
  ["I'm not happy with the quality of this jacket", 'negative'],
  ["My order hasn't arrived yet, could you check?", 'negative'],
  ['The zipper broke after two days, disappointed', 'negative'],
  ['Delivery was slow and the box was dented', 'negative'],
  ['The shoes fit but the color is wrong', 'negative'],
  ["This charger doesn't work with my phone", 'negative'],
  ['Unfortunately the size is off, can I exchange it?', 'negative'],
  ["I'm still waiting for my refund", 'negative'],
  ['The sweater is not good', 'negative'],
  ['I have never been so disappointed with a purchase', 'negative'],
  ['The product is nice but the delivery was terrible', 'negative'],
  // neutral questions
  ['where is my order SA900032', 'neutral'],
  ['Can I change the delivery address for order SA900145?', 'neutral'],
  ['What payment methods do you accept?', 'neutral'],
  ['How long does shipping to Canada take?', 'neutral'],
  ['Do you have this dress in size M?', 'neutral'],
  ["I'd like to return an item", 'neutral'],
  ['Quick question: do you ship on weekends?', 'neutral'],
  ['Can you recommend a laptop bag under $50?', 'neutral'],
  ['I forgot my password', 'neutral'],
  ['Is there a cancellation fee?', 'neutral'],
  // positive
  ['Thank you so much, the jacket is perfect!', 'positive'],
  ['Great service, the delivery was super fast', 'positive'],
  ['I love these headphones', 'positive'],
  ['Thanks, that solved my problem', 'positive'],
  ['I was charged twice for the same order', 'negative'],
  ["I've been waiting for two weeks", 'negative'],
  ['This blender is fucking awesome', 'positive'],
  ['Delivery was a bit slow but the quality is excellent', 'positive'],
  // negation traps
  ["not bad at all, I'm quite pleased", 'positive'],
  ['No complaints, everything arrived on time', 'positive'],
  ["I can't complain, the service was fine", 'positive'],
  ["I'm not angry, just asking when it ships", 'calm'],
  ["I don't want to file a complaint, I just need an invoice", 'calm'],
  // sarcasm
  ['Oh great, another delayed order. Just perfect.', 'sour'],
  ['Thanks for nothing, still no reply from you', 'sour'],
  ['I love how you never answer my emails', 'sour'],
];

const CHINESE: Array<[string, Expected]> = [
  // furious
  ['你们这是什么破服务，气死我了！！', 'furious'],
  ['我要投诉你们，打12315', 'furious'],
  ['骗子！收了钱不发货', 'furious'],
  ['太垃圾了，退钱！', 'furious'],
  ['说了多少次了，到底什么时候退款？', 'furious'],
  ['你们客服电话根本打不通！！！周末到底有没有人管啊', 'furious'],
  ['寄香港的包裹一个多星期没动静了 物流一直卡在那 是不是丢了啊', 'negative'],
  ['发来的是40码 你们怎么搞的', 'negative'],
  ['再不处理我就曝光你们', 'angry'],
  ['坑人的黑店，差评', 'furious'],
  ['你们简直就是欺骗消费者', 'furious'],
  ['我非常生气，一直没人回复', 'furious'],
  ['受够了，我要找律师', 'furious'],
  ['什么玩意儿，质量太差了', 'furious'],
  ['我已经催了三次了，还没发货', 'furious'],
  ['妈的，又发错货了', 'furious'],
  ['退钱退钱退钱', 'furious'],
  // negative, not anger
  ['等了半个月还没到，你们怎么回事？？', 'sour'],
  ['快递还没到，怎么回事？', 'negative'],
  ['为什么扣了我两次钱', 'negative'],
  ['收到的杯子破损了，可以退货吗？', 'negative'],
  ['不太满意，颜色和图片不一样', 'negative'],
  ['快递还没到，能帮我查一下吗', 'negative'],
  ['物流太慢了', 'negative'],
  ['衣服质量有点差', 'negative'],
  ['尺码不合适，想换一个', 'negative'],
  ['我对这次购物很失望', 'negative'],
  ['耳机用了两天就坏了', 'negative'],
  ['客服一直没回复我', 'negative'],
  ['发错货了，我买的是黑色', 'negative'],
  ['不是很满意', 'negative'],
  ['衣服很好看，但是尺码太小了', 'negative'],
  ['为什么还没发货？？？', 'negative'],
  // neutral questions
  ['我的订单到哪了', 'neutral'],
  ['订单SA900032什么时候发货？', 'neutral'],
  ['可以开发票吗', 'neutral'],
  ['你们支持哪些付款方式？', 'neutral'],
  ['我想修改收货地址', 'neutral'],
  ['这款有红色的吗', 'neutral'],
  ['不好意思，我想问一下退货政策', 'neutral'],
  ['麻烦帮我查一下物流', 'neutral'],
  ['有没有便宜一点的手机', 'neutral'],
  ['发货后多久能到？', 'neutral'],
  ['这两款有什么区别？', 'neutral'],
  ['特别想知道什么时候到货', 'neutral'],
  // positive
  ['非常满意，谢谢', 'positive'],
  ['质量很好，物流也很快，好评！', 'positive'],
  ['客服很耐心，给力', 'positive'],
  ['太喜欢了，下次还会买', 'positive'],
  ['虽然物流有点慢，但是质量很好', 'positive'],
  // negation traps
  ['不错不错', 'positive'],
  ['别骗人了', 'angry'],
  ['质量不差', 'positive'],
  ['没问题，谢谢', 'positive'],
  ['我不想投诉，只是问一下', 'calm'],
  ['我没有生气，就是想问问什么时候到', 'calm'],
  // sarcasm
  ['呵呵，真是太好了，又延迟了', 'sour'],
  ['你们真行啊，第三次发错货了', 'sour'],
];

const MIXED: Array<[string, Expected]> = [
  ['where is my order? 我等了好几天了', 'negative'],
  ['太垃圾了, this is a scam', 'furious'],
  ['我的order什么时候到？', 'neutral'],
  ['This is 垃圾, I want a refund', 'angry'],
  ['thanks，质量很好', 'positive'],
];

describe('scoreSentiment: English shop messages', () => {
  it('has at least 40 cases', () => expect(ENGLISH.length).toBeGreaterThanOrEqual(40));
  it.each(ENGLISH)('%s -> %s', (text, expected) => check(scoreSentiment(text), expected));
});

describe('scoreSentiment: Chinese shop messages', () => {
  it('has at least 40 cases', () => expect(CHINESE.length).toBeGreaterThanOrEqual(40));
  it.each(CHINESE)('%s -> %s', (text, expected) => check(scoreSentiment(text), expected));
});

describe('scoreSentiment: mixed English and Chinese', () => {
  it.each(MIXED)('%s -> %s', (text, expected) => check(scoreSentiment(text), expected));
});

describe('scoreSentiment: rules', () => {
  it('negation flips a word and is named in the cue', () => {
    const happy = scoreSentiment("I'm happy with the jacket");
    const notHappy = scoreSentiment("I'm not happy with the jacket");
    expect(happy.score).toBeGreaterThan(0);
    expect(notHappy.score).toBeLessThan(0);
    expect(notHappy.cues).toContain('not happy');
    expect(scoreSentiment('不满意').score).toBeLessThan(0);
    expect(scoreSentiment('满意').score).toBeGreaterThan(0);
  });

  it('a Chinese negator inside another word (特别, 非常, 别人) negates nothing', () => {
    expect(scoreSentiment('特别满意').score).toBeGreaterThan(scoreSentiment('满意').score);
    expect(scoreSentiment('非常满意').score).toBeGreaterThan(0.5);
    expect(scoreSentiment('别人说质量很好').score).toBeGreaterThan(0);
  });

  it('intensifiers, ALL CAPS and exclamation marks strengthen what is said', () => {
    const bad = scoreSentiment('the service is bad').score;
    expect(scoreSentiment('the service is very bad').score).toBeLessThan(bad);
    expect(scoreSentiment('the service is BAD').score).toBeLessThan(bad);
    expect(scoreSentiment('the service is bad!!!').score).toBeLessThan(bad);
    expect(scoreSentiment('the service is bad!!!').cues).toContain('!!!');
    expect(scoreSentiment('太慢').score).toBeLessThan(scoreSentiment('慢').score);
    expect(scoreSentiment('物流太慢了！！').score).toBeLessThan(scoreSentiment('物流太慢了').score);
  });

  it('after "but" / 但是 counts more than before it', () => {
    const r = scoreSentiment('The delivery was terrible but the product is great');
    expect(r.score).toBeGreaterThan(0);
    expect(r.cues).toContain('but');
    expect(scoreSentiment('The product is great but the delivery was terrible').score).toBeLessThan(0);
    expect(scoreSentiment('质量很好，但是物流太慢').score).toBeLessThan(0);
  });

  it('names threats, abuse and repeated demands in the cues', () => {
    expect(scoreSentiment('I will talk to my lawyer').cues).toContain('threat: lawyer');
    expect(scoreSentiment('我要打12315').cues).toContain('threat: 12315');
    expect(scoreSentiment('你们就是骗子').cues).toContain('abuse: 骗子');
    expect(scoreSentiment('how many times do I have to say it').cues).toContain('repeat: how many times');
    expect(scoreSentiment('问了三次了').cues).toContain('repeat: 问了三次');
  });

  it('12315 inside an order or phone number is not the consumer hotline', () => {
    expect(scoreSentiment('订单SA123150到哪了').anger).toBe(false);
    expect(scoreSentiment('my phone is 13812315000').anger).toBe(false);
  });

  it('"this is the third time i\'m asking" and "3rd time asking" are repeated demands; "still isn\'t" is negative', () => {
    expect(scoreSentiment('this is the third time im asking, where is my refund').cues.some((c) => c.startsWith('repeat:'))).toBe(true);
    expect(scoreSentiment('3rd time asking, where is my order').anger).toBe(true);
    expect(scoreSentiment('is this the second time you ship from there?').anger).toBe(false);
    expect(scoreSentiment('the refund still isnt on my card').score).toBeLessThan(-0.2);
  });

  it('the same demand for the third time is a repeated demand, the second time is not', () => {
    const previous = ['where is my order SA900032', 'hello?', 'Where is my order SA900032?'];
    const third = scoreSentiment('where is my order SA900032', { previous });
    expect(third.anger).toBe(true);
    expect(third.cues.some((c) => c.startsWith('repeat: asked 3 times'))).toBe(true);
    expect(scoreSentiment('where is my order SA900032', { previous: previous.slice(0, 2) }).anger).toBe(false);
    expect(scoreSentiment('我的订单到哪了？', { previous: ['我的订单到哪了', '我的订单到哪了啊'] }).anger).toBe(true);
    expect(scoreSentiment('what payment methods do you accept?', { previous }).anger).toBe(false);
  });

  it('laughing and a repeated thank-you are not repeated demands', () => {
    expect(scoreSentiment('哈哈哈哈哈哈').anger).toBe(false);
    expect(scoreSentiment('Thank you! Thank you!').score).toBeGreaterThan(0);
    expect(scoreSentiment('please please please tell me when it ships').anger).toBe(false);
  });

  it('is deterministic and bounded on odd input', () => {
    const text = 'This is the WORST!!! 垃圾 😡 ' + 'bad '.repeat(2000);
    const a = scoreSentiment(text);
    expect(scoreSentiment(text)).toEqual(a);
    expect(a.score).toBeGreaterThanOrEqual(-1);
    expect(a.score).toBeLessThanOrEqual(1);
    expect(a.cues.length).toBeLessThanOrEqual(16);
    expect(scoreSentiment('')).toEqual({ score: 0, anger: false, cues: [] });
    expect(scoreSentiment(' \u200b\n ')).toEqual({ score: 0, anger: false, cues: [] });
    expect(scoreSentiment('SA900032').score).toBe(0);
  });

  it('reads full-width punctuation and emoji', () => {
    expect(scoreSentiment('气死了！！！').cues).toContain('!!!');
    expect(scoreSentiment('where is my parcel 😡').anger).toBe(true);
    expect(scoreSentiment('got it, thanks 👍').score).toBeGreaterThan(0.3);
  });

  it('has a version for the logs', () => {
    expect(SENTIMENT_VERSION).toMatch(/\S/);
  });
});

describe('found in review', () => {
  it('卡在 in 信用卡在 is no stuck parcel; "third time i\'ve asked" and "asking you again" are repeats', () => {
    expect(scoreSentiment('信用卡在哪里绑定').score).toBeGreaterThan(-0.2);
    expect(scoreSentiment("this is the third time i've asked").cues.some((c) => c.startsWith('repeat:'))).toBe(true);
    expect(scoreSentiment('asking you again, where is my order').cues.some((c) => c.startsWith('repeat:'))).toBe(true);
  });
});
