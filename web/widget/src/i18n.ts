import type { Locale } from './protocol.js';

/** Every string the widget shows; one table per interface language. */
export interface Strings {
  defaultTitle: string;
  openChat: string;
  closeChat: string;
  unread: (n: number) => string;
  online: string;
  connecting: string;
  offline: string;
  reconnecting: string;
  offlineBanner: string;
  retryNow: string;
  close: string;
  placeholder: string;
  messageLabel: string;
  send: string;
  counter: (n: number, max: number) => string;
  tooLong: (max: number) => string;
  you: string;
  bot: string;
  agent: string;
  system: string;
  via: (channel: string) => string;
  channels: Record<string, string>;
  typing: string;
  queued: string;
  sending: string;
  sent: string;
  failed: string;
  retry: string;
  loadEarlier: string;
  loading: string;
  today: string;
  yesterday: string;
  welcomeTitle: string;
  welcomeBody: string;
  starters: string[];
  sponsored: string;
  upsell: string;
  quickReplies: string;
  products: string;
  previous: string;
  next: string;
  newMessages: string;
  conversation: string;
  poweredBy: string;
  viewProduct: string;
  errors: Record<string, string>;
}

const en: Strings = {
  defaultTitle: 'Shop Assistant',
  openChat: 'Open chat',
  closeChat: 'Close chat',
  unread: (n) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  online: 'Online · replies in seconds',
  connecting: 'Connecting…',
  offline: 'Offline · we will send when back',
  reconnecting: 'Reconnecting…',
  offlineBanner: 'You are offline. Messages will be sent when you are back.',
  retryNow: 'Retry now',
  close: 'Close',
  placeholder: 'Type a message…',
  messageLabel: 'Message',
  send: 'Send',
  counter: (n, max) => `${n} / ${max}`,
  tooLong: (max) => `Messages can be up to ${max} characters.`,
  you: 'You',
  bot: 'Assistant',
  agent: 'Support',
  system: 'Notice',
  via: (channel) => `via ${channel}`,
  channels: { web: 'Web', wechat: 'WeChat', app: 'App', botframework: 'Teams' },
  typing: 'Typing…',
  queued: 'Waiting for connection',
  sending: 'Sending…',
  sent: 'Sent',
  failed: 'Not sent',
  retry: 'Retry',
  loadEarlier: 'Load earlier messages',
  loading: 'Loading…',
  today: 'Today',
  yesterday: 'Yesterday',
  welcomeTitle: 'Hi there!',
  welcomeBody: 'Ask about an order, returns, shipping or any product. We usually reply right away.',
  starters: ['Where is my order?', 'I want to return an item', 'Shipping fees and times', 'Help'],
  sponsored: 'Sponsored',
  upsell: 'Pairs well',
  quickReplies: 'Suggested replies',
  products: 'Products',
  previous: 'Previous products',
  next: 'Next products',
  newMessages: 'New messages',
  conversation: 'Conversation',
  poweredBy: 'Powered by Shop Assistant',
  viewProduct: 'View product',
  errors: {
    rate_limited: 'You are sending messages too fast. Please wait a moment.',
    bad_request: 'This message could not be sent.',
    internal: 'Something went wrong on our side. Your message was kept.',
    unavailable: 'The assistant is busy or briefly unavailable. Your message is kept and will be sent again automatically.',
    unauthorized: 'Your chat session expired. Reconnecting…',
    network: 'Could not reach the server.',
  },
};

const zh: Strings = {
  defaultTitle: '购物助手',
  openChat: '打开在线客服',
  closeChat: '关闭在线客服',
  unread: (n) => `${n} 条未读消息`,
  online: '在线 · 秒级回复',
  connecting: '正在连接…',
  offline: '离线 · 恢复后自动发送',
  reconnecting: '正在重新连接…',
  offlineBanner: '网络已断开，恢复后将自动发送您的消息。',
  retryNow: '立即重试',
  close: '关闭',
  placeholder: '输入消息…',
  messageLabel: '消息',
  send: '发送',
  counter: (n, max) => `${n} / ${max}`,
  tooLong: (max) => `每条消息最多 ${max} 个字。`,
  you: '我',
  bot: '智能助手',
  agent: '人工客服',
  system: '通知',
  via: (channel) => `来自${channel}`,
  channels: { web: '网页', wechat: '微信', app: 'App', botframework: 'Teams' },
  typing: '正在输入…',
  queued: '等待网络连接',
  sending: '发送中…',
  sent: '已发送',
  failed: '发送失败',
  retry: '重试',
  loadEarlier: '查看更早的消息',
  loading: '加载中…',
  today: '今天',
  yesterday: '昨天',
  welcomeTitle: '您好！',
  welcomeBody: '订单、退换货、配送、商品问题都可以问我，通常即时回复。',
  starters: ['查订单', '我要退货', '运费和配送时间', '帮助'],
  sponsored: '广告',
  upsell: '搭配推荐',
  quickReplies: '快捷回复',
  products: '商品推荐',
  previous: '上一组商品',
  next: '下一组商品',
  newMessages: '有新消息',
  conversation: '对话记录',
  poweredBy: '由 Shop Assistant 提供支持',
  viewProduct: '查看商品',
  errors: {
    rate_limited: '发送太频繁了，请稍候再试。',
    bad_request: '这条消息无法发送。',
    internal: '系统出了点问题，您的消息已保存。',
    unavailable: '服务繁忙或暂时不可用。您的消息已保留，恢复后会自动重新发送。',
    unauthorized: '会话已过期，正在重新连接…',
    network: '无法连接服务器。',
  },
};

export const STRINGS: Record<Locale, Strings> = { en, zh };

/** `data-locale` when valid, else the browser's language. */
export function resolveLocale(attr: string | null | undefined, navigatorLanguage: string | undefined): Locale {
  const a = (attr ?? '').trim().toLowerCase();
  if (a === 'zh' || a.startsWith('zh-')) return 'zh';
  if (a === 'en' || a.startsWith('en-')) return 'en';
  return (navigatorLanguage ?? '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}
