import { humanOption, reply, type Bilingual } from './respond.js';
import { DEFAULT_SERVICE_HOURS, describeServiceHours, isAroundTheClock, type ServiceHours } from './service-hours.js';
import type { Skill, Turn } from './types.js';

/** What the assistant does, in one sentence (the help answer, the answer to "are you a bot?"). */
export const WHAT_I_DO: Bilingual = {
  en: 'I can track your orders, help with returns and refunds, answer shipping and payment questions and suggest products, and I can pass you to a person from our team whenever you like.',
  zh: '我可以帮您查订单、办理退换货和退款、解答配送与支付问题、推荐商品，需要时也可以随时为您转人工客服。',
};

/**
 * A question about the assistant itself: is it a bot, a real person, an AI; what is it called,
 * who is it. Asked, not a request: "I want a real person, not a bot" asks for a person.
 */
const ABOUT_BOT = new RegExp(
  [
    // "are you a bot?", "r u human", "are you really a real person", "are you an AI?"
    String.raw`\b(are|r) (you|u)( guys)?( (really|actually|even|just|still))?( (a|an))?( (real|actual|live))? (bot|robot|chat ?bot|human( being)?|person|machine|computer|program|ai|chatgpt|automated|live agent|real(?=[\s?？!.。]*$| or\b))\b`,
    // "am I talking to a real person?", "are we chatting with a bot"
    String.raw`\b(am i|are we) (talking|chatting|speaking|writing|texting) (to|with) (a |an )?(real |actual |live )?(bot|robot|human|person|machine|computer|ai|agent|someone real)\b`,
    // "is this a bot?", "is this automated", "is it a real person"
    String.raw`\bis (this|it|that) (chat )?(a |an )?(real |actual |live )?(bot|robot|chat ?bot|human|person|machine|ai|automated)\b`,
    // "is a human reading this?", "is anyone real answering this", "is there a person on the other end"
    String.raw`\bis (there )?(a |an )?(any ?one |some ?one |any ?body )?(real |actual |live )?(person|human|real)( being)? (typing|answering|replying|reading|writing|behind|on the other end)`,
    // "so you're a robot, right?"
    String.raw`\b(you're|youre|you are|u r) (just |really |actually )?(a |an )?(bot|robot|chat ?bot|machine|ai|program|real person|human)\b`,
    String.raw`\b(bot|robot|human|person|machine|agent) or (a |an )?(real )?(bot|robot|human|person|machine|ai)\b`,
    // "you a bot?"
    String.raw`^\W*(you|u) (a |an )?(real )?(bot|robot|human|person|ai)\b`,
    // 你是机器人吗 / 你是不是真人 / 对面是人工智能吗 / 这是自动回复吗 / 你是人吗
    String.raw`(你|您|对面|这边?|那边)(到底|究竟)?(是|是不是)(个|一个)?(真的?人|机器人|人工智能|AI|人工|自动回复|程序|人(吗|么|嘛|呀|啊|[?？]|$))`,
    String.raw`(你|您)(是|是不是)(个|一个)?(真人|人工|智能)?客服(吗|么|嘛|呀|[?？]|$)`,
    // 现在回复我的是机器人吧
    String.raw`((回复|回答)我?|(和|跟)我(聊天?|说话))的(是|是不是)(个)?(机器人|真人|人工智能|AI|人)`,
    // 我是在跟机器人聊天吗 / 有真人在回复吗 / 机器人还是真人
    String.raw`(是|在)(跟|和|与)(机器人|真人|人工智能|AI|人)(聊天?|说话|对话)`,
    String.raw`(是|有)真人(在)?(回复|回答|聊天|打字)`,
    String.raw`(机器人|机器|真人|人)(还是|或者|或是)(机器人|机器|真人|人)`,
    String.raw`自动回复(吗|么|嘛)`,
  ].join('|'),
  'i',
);
const ASKS_NAME = new RegExp(
  [
    String.raw`\bwho (are|r) (you|u)( guys)?[\s?？!.。]*$`,
    String.raw`\bwho am i (talking|chatting|speaking) (to|with)\b`,
    String.raw`\bwhat('s| is) (your|ur) name\b`,
    String.raw`\b(do you have|have you got|got) a name\b`,
    String.raw`\bwhat (should|do|can) i call (you|u)\b`,
    String.raw`^\W*what (are|r) (you|u)( exactly| really| then)?[\s?？!.。]*$`,
    String.raw`(你|您)是谁|(你|您)叫(啥|什么)|怎么称呼(你|您)|(你|您)是哪位|(你|您)(的)?名字(是|叫)|(你|您)有名字|(你|您)是哪(里|家|个)的?客服|在(和|跟)谁(聊天?|说话)`,
  ].join('|'),
  'i',
);
const HOW_ARE_YOU = /\b(how are (you|u)|how's it going|how are things|how('s| is) your day)\b|你好吗|最近(还)?(怎么样|好吗)|过得(怎么样|好吗)/i;
/** Asking for a person: the request wins over the question ("are you a bot? get me a human"). */
const WANTS_PERSON =
  /\b(i (want|need|would like|'d like)|let me|can i|could i|may i|please|transfer|connect|put me|get me|give me)\b.{0,30}\b(person|human|agent|someone|representative|staff|operator)\b|转人工|找(个)?(真人|人工)|要(个)?(真人|人工)|真人客服|人工客服吧|换(个)?人/i;

/** Whether the message asks what the assistant is (a bot? a person? its name?) rather than for a person. */
export function asksAboutAssistant(text: string): boolean {
  return (ABOUT_BOT.test(text) || ASKS_NAME.test(text)) && !WANTS_PERSON.test(text);
}

/** Chit-chat the bot can answer briefly, then steer back to shopping. */
const TOPICS: Array<{ re: RegExp; answer: Bilingual; person?: boolean }> = [
  {
    re: ABOUT_BOT,
    person: true,
    answer: {
      en: `I am the shop's automated assistant, not a person. ${WHAT_I_DO.en}`,
      zh: `我是店铺的智能助手（自动回复），不是真人。${WHAT_I_DO.zh}`,
    },
  },
  {
    re: ASKS_NAME,
    person: true,
    answer: { en: `I am the Bamboo Lane shopping assistant, the shop's automated helper. ${WHAT_I_DO.en}`, zh: `我是竹径优选的购物助手，店铺的智能客服。${WHAT_I_DO.zh}` },
  },
  {
    re: HOW_ARE_YOU,
    answer: { en: 'I am doing well, thanks for asking! How can I help with your shopping today?', zh: '我很好，谢谢关心！今天有什么可以帮您？' },
  },
  {
    re: /\b(nice|pleased|glad|good) to meet (you|u)\b|(很)?高兴认识(你|您)|认识(你|您)很高兴/i,
    answer: { en: 'Nice to meet you too! How can I help with your shopping today?', zh: '我也很高兴认识您！今天有什么可以帮您？' },
  },
];

const ACK: Bilingual = { en: 'Great! Anything else I can help with?', zh: '好的！还有什么可以帮您？' };

function topicOf(text: string) {
  return TOPICS.find((t) => t.re.test(text));
}

export function smalltalkTopic(text: string): Bilingual | undefined {
  return topicOf(text)?.answer;
}

/**
 * smalltalk (and a bare yes/no outside any dialog). It answers the chit-chat it knows (a topic
 * above); a message the classifier only thinks is chit-chat ("are you open today?") is left to
 * the knowledge base and the fallback, rather than getting an empty "happy to chat".
 */
export const smalltalkSkill: Skill = {
  name: 'smalltalk',
  intents: ['smalltalk', 'affirm', 'deny'],
  canHandle: (turn) => ['affirm', 'deny'].includes(turn.nlu.intent) || topicOf(turn.text) !== undefined,
  handle: async (turn: Turn) => {
    if (turn.nlu.intent === 'affirm' || turn.nlu.intent === 'deny') {
      await reply(turn, ACK);
      return;
    }
    const topic = topicOf(turn.text);
    // Asked what it is, the assistant says so and offers a person (a button: asking is not a request).
    if (!topic) return;
    await reply(turn, topic.answer, topic.person ? { quickReplies: [humanOption(turn.locale)] } : {});
  },
};

/**
 * How to reach a person when no hand-off to the agent console is set up (bot-only tests,
 * embedders), with the configured service hours (SERVICE_HOURS).
 */
export function humanContactText(locale: Turn['locale'], hours: ServiceHours = DEFAULT_SERVICE_HOURS): string {
  const when = describeServiceHours(hours, locale);
  if (isAroundTheClock(hours)) {
    return locale === 'zh'
      ? `我们的人工客服${when}在线，通常 2 分钟内接入。电话 400-880-0199（周一至周五 09:00–18:00），邮箱 service@example.com。`
      : `A person from our support team can help: agents are available ${when} (typical wait under 2 minutes). Phone 400-880-0199 (Mon–Fri 09:00–18:00), email service@example.com.`;
  }
  return locale === 'zh'
    ? `我们的人工客服在线时间为${when}，通常 2 分钟内接入；其他时间可以在这里留言，客服上线后会回复您。电话 400-880-0199（周一至周五 09:00–18:00），邮箱 service@example.com。`
    : `A person from our support team can help: agents are available ${when} (typical wait under 2 minutes); outside those hours leave a message here and an agent replies as soon as we are back. Phone 400-880-0199 (Mon–Fri 09:00–18:00), email service@example.com.`;
}

/**
 * human_agent: marks the conversation for escalation; the bot hands it to the support queue
 * after the turn and tells the shopper their place in it.
 */
/** A question about when or how to reach people, not a request to be put through now. */
const WHEN_PEOPLE_ANSWER = /\b(?:hours|opening times?|open(?:ing)? hours|when (?:are|is) (?:you|your|the|customer service|support)[^?]{0,30}(?:open|available|online|working)|what time (?:do|does|are)|phone number|contact (?:details|info))\b|几点(?:上班|下班|开始|到几点)?|营业时间|服务时间|工作时间|客服时间|在线时间|上班时间|客服电话|联系方式/i;
/** Asking for a way to write or call ("whats ur customer service email", "客服邮箱是多少"), not for a person now. */
const CONTACT_DETAILS = /\b(?:e-?mail(?: address)?|mail address|hotline|telephone|wechat id)\b|邮箱|邮件地址|热线|电话(?:是)?多少/i;

export function asksWhenPeopleAnswer(text: string): boolean {
  if (/\b(?:now|right now|immediately|asap)\b|马上|现在就|立刻|赶紧/i.test(text)) return false;
  // "I don't want to send an email, let me talk to a real person" asks for the person.
  return WHEN_PEOPLE_ANSWER.test(text) || (CONTACT_DETAILS.test(text) && !/\b(?:human|person|agent|someone|somebody)\b|转人工|找人工|要人工|真人/i.test(text));
}

export const humanAgentSkill: Skill = {
  name: 'human_agent',
  intents: ['human_agent'],
  // "Am I talking to a real person?" is a question about the assistant (answered by smalltalk), not a request for one.
  // When people are there ("what are your customer service hours?", "客服几点上班") is a question for the help articles, not a request for one.
  canHandle: (turn) => turn.nlu.intent === 'human_agent' && !asksAboutAssistant(turn.text) && !asksWhenPeopleAnswer(turn.text),
  handle: async (turn: Turn) => {
    turn.session.escalation = { reason: 'requested', at: turn.now.toISOString() };
  },
};

export { humanOption };
