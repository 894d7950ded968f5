import type { Locale } from '../../store/index.js';

/** What the shopper is told about the hand-off, in their language. */
export const HANDOFF_TEXT = {
  queued: (l: Locale, position: number, agentsOnline: boolean): string =>
    l === 'zh'
      ? `已为您转接人工客服，您目前排在第 ${position} 位。${agentsOnline ? '客服接入后会在这里直接回复您。' : '现在暂无客服在线（每天 09:00–22:00），您的问题已在排队，客服上线后会在这里回复您。'}`
      : `I've passed your conversation to our support team. You are number ${position} in the queue. ${agentsOnline ? 'An agent will answer you right here.' : 'No agent is online right now (we are here 09:00–22:00 Beijing time); your question is in the queue and an agent will reply here as soon as one is back.'}`,
  stillQueued: (l: Locale, position: number): string =>
    l === 'zh'
      ? `您的消息已转给人工客服，您目前排在第 ${position} 位，请稍候。`
      : `Your message is with our support team. You are number ${position} in the queue; thank you for waiting.`,
  joined: (l: Locale, name: string): string =>
    l === 'zh' ? `客服 ${name} 已接入，正在为您处理。` : `${name} from our support team has joined and will help you now.`,
  resolved: (l: Locale, name: string): string =>
    l === 'zh'
      ? `客服 ${name} 已结束本次服务。请为本次服务打分（1–5 分，5 分最满意）：`
      : `${name} has closed this conversation. How did we do? Please rate our support from 1 (poor) to 5 (excellent):`,
  thanksForRating: (l: Locale, score: number): string =>
    l === 'zh'
      ? `感谢您的评分（${score} 分）！还有其他问题随时问我。`
      : `Thank you for rating us ${score} out of 5! Ask me anything else any time.`,
};

/** Quick replies 1..5; the value is read by the rating step, the title is what the shopper sees. */
export function ratingChoices(l: Locale): Array<{ title: string; value: string }> {
  const label = l === 'zh' ? ['1 很差', '2 较差', '3 一般', '4 满意', '5 非常满意'] : ['1 Poor', '2 Fair', '3 OK', '4 Good', '5 Excellent'];
  return label.map((title, i) => ({ title, value: `csat:${i + 1}` }));
}
