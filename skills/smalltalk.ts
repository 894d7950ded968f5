import { humanOption, reply, type Bilingual } from './respond.js';
import { DEFAULT_SERVICE_HOURS, describeServiceHours, isAroundTheClock, type ServiceHours } from './service-hours.js';
import type { Skill, Turn } from './types.js';

/** Chit-chat the bot can answer briefly, then steer back to shopping. */
const TOPICS: Array<{ re: RegExp; answer: Bilingual }> = [
  {
    re: /\b(are you (a )?(bot|robot|human|real|ai|person))\b|机器人|真人|人工智能/i,
    answer: {
      en: 'I am the shop\'s virtual assistant, not a person. I can handle orders, returns and questions, and pass you to a person whenever you like.',
      zh: '我是店铺的智能助手，不是真人。我可以帮您处理订单、退换货和各种问题，需要时也可以随时为您转人工。',
    },
  },
  {
    re: /\b(how are you|how's it going|how are things)\b|你好吗|最近怎么样/i,
    answer: { en: 'I am doing well, thanks for asking! How can I help with your shopping today?', zh: '我很好，谢谢关心！今天有什么可以帮您？' },
  },
  {
    re: /\b(who are you|what('s| is) your name|your name)\b|你是谁|你叫什么/i,
    answer: { en: 'I am the Bamboo Lane shopping assistant.', zh: '我是竹径优选的购物助手。' },
  },
];

const DEFAULT: Bilingual = { en: 'Happy to chat! Is there anything I can help you with in the shop?', zh: '很高兴和您聊天！有什么购物上的问题我可以帮忙吗？' };
const ACK: Bilingual = { en: 'Great! Anything else I can help with?', zh: '好的！还有什么可以帮您？' };

export function smalltalkTopic(text: string): Bilingual | undefined {
  return TOPICS.find((t) => t.re.test(text))?.answer;
}

/** smalltalk (and a bare yes/no outside any dialog). */
export const smalltalkSkill: Skill = {
  name: 'smalltalk',
  intents: ['smalltalk', 'affirm', 'deny'],
  canHandle: (turn) => ['smalltalk', 'affirm', 'deny'].includes(turn.nlu.intent) || smalltalkTopic(turn.text) !== undefined,
  handle: async (turn: Turn) => {
    if (turn.nlu.intent === 'affirm' || turn.nlu.intent === 'deny') {
      await reply(turn, ACK);
      return;
    }
    await reply(turn, smalltalkTopic(turn.text) ?? DEFAULT);
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
export const humanAgentSkill: Skill = {
  name: 'human_agent',
  intents: ['human_agent'],
  canHandle: (turn) => turn.nlu.intent === 'human_agent',
  handle: async (turn: Turn) => {
    turn.session.escalation = { reason: 'requested', at: turn.now.toISOString() };
  },
};

export { humanOption };
