import type { Locale } from '../../store/index.js';
import { DEFAULT_SERVICE_HOURS, describeServiceHours, isWithinServiceHours, type ServiceHours } from '../../skills/index.js';

/** What the shopper is told about the hand-off, in their language. */
export const HANDOFF_TEXT = {
  /** No agent online: outside the service hours the shopper hears that the team is closed, inside them that it is busy. */
  queued: (l: Locale, position: number, agentsOnline: boolean, hours: ServiceHours = DEFAULT_SERVICE_HOURS, now: Date = new Date()): string => {
    const when = describeServiceHours(hours, l);
    const open = isWithinServiceHours(hours, now);
    if (l === 'zh') {
      const next = agentsOnline
        ? '客服接入后会在这里直接回复您。'
        : open
          ? `现在暂无客服在线，人工服务时间为${when}。您的问题已在排队，客服上线后会在这里回复您。`
          : `现在不在人工服务时间内，人工服务时间为${when}。您的问题已在排队，客服上班后会在这里回复您。`;
      return `已为您转接人工客服，您目前排在第 ${position} 位。${next}`;
    }
    const next = agentsOnline
      ? 'An agent will answer you right here.'
      : open
        ? `No agent is online right now (we are here ${when}); your question is in the queue and an agent will reply here as soon as one is back.`
        : `We are outside our service hours right now (we are here ${when}); your question is in the queue and an agent will reply here when we are back.`;
    return `I've passed your conversation to our support team. You are number ${position} in the queue. ${next}`;
  },
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
