/** bots/handoff: from the bot to a human agent and back. */
export { HandoffService, type HandoffServiceOptions } from './service.js';
export { pickAgent, priorityOf, queueOrder, effectivePriority, topicOf, wechatWindow, canTake, WECHAT_WINDOW_MS, RATING_WINDOW_MS, parseRating, awaitsRating, type WeChatWindow, type HandoffReason, type RoutingNeed } from './routing.js';
export { HANDOFF_TEXT, ratingChoices } from './texts.js';
