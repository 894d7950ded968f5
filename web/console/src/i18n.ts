import type { Lang } from './api.js';

const en = {
  title: 'Agent console',
  brand: 'Shop Assistant',
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signInTitle: 'Sign in to the agent console',
  signInHint: 'Use the account your administrator gave you.',
  wrongPassword: 'Wrong email or password.',
  lockedOut: (m: string) => `Too many failed sign-ins for this email. ${m}`,
  network: 'Cannot reach the server. Check your connection and try again.',
  sessionEnded: 'Your session ended. Please sign in again.',
  logout: 'Sign out',
  language: '中文',
  languageLabel: 'Switch the console to Chinese',
  status: 'My status',
  statuses: { online: 'Online', away: 'Away', offline: 'Offline' } as Record<string, string>,
  live: 'Live',
  connecting: 'Connecting…',
  disconnected: 'Reconnecting…',
  queue: 'Queue',
  mine: 'Mine',
  allAssigned: 'All assigned',
  emptyQueue: 'No one is waiting.',
  emptyMine: 'Nothing assigned to you.',
  emptyAssigned: 'No assigned conversations.',
  waiting: 'waiting',
  position: (n: number) => `#${n} in queue`,
  vip: 'VIP',
  priority: (n: number) => `P${n}`,
  assignedTo: (n: string) => `→ ${n}`,
  channels: { web: 'Web', wechat: 'WeChat', app: 'App', botframework: 'Teams', console: 'Console' } as Record<string, string>,
  states: { bot: 'With the bot', queued: 'Waiting', assigned: 'Assigned', resolved: 'Resolved' } as Record<string, string>,
  langs: { en: 'EN', zh: '中文' } as Record<string, string>,
  lists: 'Conversations',
  pickConversation: 'Pick a conversation from the queue.',
  shortcuts: 'Shortcuts: Alt+↑/↓ previous/next conversation · Alt+C claim · Alt+R resolve · / reply box · Enter send · Shift+Enter new line',
  claim: 'Claim',
  transfer: 'Transfer',
  reassign: 'Reassign',
  resolve: 'Resolve',
  confirmResolveTitle: 'Resolve this conversation?',
  confirmResolve: (name: string) => `The conversation with ${name} ends and they are asked to rate the support. You cannot reply to it afterwards.`,
  doResolve: 'Resolve',
  pickAgent: 'Choose an agent',
  noOnlineAgent: 'No other agent is online.',
  doTransfer: 'Transfer',
  doReassign: 'Reassign',
  cancel: 'Cancel',
  customer: 'Customer',
  bot: 'Bot',
  agent: 'Agent',
  system: 'System',
  you: 'You',
  intent: 'intent',
  negative: (n: string) => `negative sentiment ${n}`,
  typing: (who: string) => `${who} is typing…`,
  composer: 'Reply to the shopper',
  composerHint: 'Enter to send, Shift+Enter for a new line',
  composerPlaceholder: 'Write a reply…',
  send: 'Send',
  sending: 'Sending…',
  claimFirst: 'Claim this conversation to reply.',
  notYours: (n?: string) => (n ? `Assigned to ${n}. Only they can reply.` : 'This conversation is not assigned to you.'),
  resolvedState: 'This conversation is resolved.',
  elsewhere: 'Another agent is handling this conversation now. You can read it but not reply.',
  errors: {
    already_claimed: 'Someone else claimed this conversation first.',
    not_assigned_to_you: 'This conversation is no longer assigned to you (it was transferred or reassigned). Your message was not sent.',
    resolved: 'This conversation is already resolved. Your message was not sent.',
    delivery_failed: 'The channel refused the message, so the shopper did not get it. Try again in a moment.',
    csrf: 'Your session token is out of date. Reload the page.',
    forbidden: 'You do not have permission to do that.',
    not_found: 'This conversation no longer exists.',
    rate_limited: 'Too many requests. Wait a moment and try again.',
  } as Record<string, string>,
  wechatClosedError: (since: string) => `Cannot deliver on WeChat: the 48-hour reply window closed ${since}. WeChat only allows replies within 48 hours of the shopper's last message; ask them to write again, or reach them another way.`,
  windowOpen: (left: string) => `WeChat window open · closes in ${left}`,
  windowClosed: (since: string) => `WeChat window closed since ${since}`,
  windowUnknown: 'WeChat window: no message from the shopper yet',
  profile: 'Customer',
  identities: 'Linked accounts',
  noIdentities: 'No linked channel accounts.',
  orders: 'Orders',
  noOrders: 'No orders.',
  returns: 'Returns',
  noReturns: 'No returns.',
  suggestions: 'Suggested replies',
  noSuggestions: 'No knowledge-base match for the last message.',
  insert: 'Insert',
  canned: 'Canned responses',
  cannedSearch: 'Search canned responses',
  noCanned: 'No canned response matches.',
  notes: 'Internal notes',
  notesHint: 'Only agents see notes.',
  noNotes: 'No notes yet.',
  addNote: 'Add note',
  notePlaceholder: 'Write a note for the team…',
  tags: 'Tags',
  addTag: 'Add a tag and press Enter',
  removeTag: (t: string) => `Remove tag ${t}`,
  rating: (n: number) => `Rated ${n}/5`,
  firstResponse: 'First response',
  items: (n: number) => (n === 1 ? '1 item' : `${n} items`),
  unknown: 'Unknown',
  ago: (s: string) => `${s} ago`,
  justNow: 'just now',
  newMessage: 'New message',
  team: 'Team',
  backToConsole: 'Back to the queue',
  adminTitle: 'Team: agents and supervisors',
  adminName: 'Name',
  adminRole: 'Role',
  adminLanguages: 'Languages',
  adminCapacity: 'Capacity',
  adminStatus: 'Status',
  adminLoad: 'Load',
  adminAdd: 'Add agent',
  adminSaved: (n: string) => `Saved ${n}.`,
  adminAdded: (n: string) => `Added ${n}.`,
  roles: { agent: 'Agent', supervisor: 'Supervisor', admin: 'Admin' } as Record<string, string>,
  auditTitle: 'Audit log',
  auditWhen: 'When',
  auditWho: 'Who',
  auditAction: 'Action',
  auditTarget: 'Target',
  auditOutcome: 'Outcome',
  auditDetails: 'Details',
  auditShow: 'Show',
  auditMore: 'Older entries',
  auditEmpty: 'No entries.',
  auditOutcomes: { ok: 'ok', refused: 'refused' } as Record<string, string>,
};

export type Strings = typeof en;

const zh: Strings = {
  title: '客服工作台',
  brand: 'Shop Assistant',
  email: '邮箱',
  password: '密码',
  signIn: '登录',
  signingIn: '正在登录…',
  signInTitle: '登录客服工作台',
  signInHint: '请使用管理员为您开通的账号。',
  wrongPassword: '邮箱或密码错误。',
  lockedOut: (m: string) => `该邮箱登录失败次数过多，已被暂时锁定。${m}`,
  network: '无法连接服务器，请检查网络后重试。',
  sessionEnded: '登录已过期，请重新登录。',
  logout: '退出登录',
  language: 'English',
  languageLabel: '将工作台切换为英文',
  status: '我的状态',
  statuses: { online: '在线', away: '离开', offline: '离线' },
  live: '实时',
  connecting: '正在连接…',
  disconnected: '正在重新连接…',
  queue: '排队中',
  mine: '我的会话',
  allAssigned: '全部已分配',
  emptyQueue: '暂无排队的客户。',
  emptyMine: '暂无分配给您的会话。',
  emptyAssigned: '暂无已分配的会话。',
  waiting: '等待',
  position: (n: number) => `排第 ${n} 位`,
  vip: 'VIP',
  priority: (n: number) => `优先级 ${n}`,
  assignedTo: (n: string) => `→ ${n}`,
  channels: { web: '网页', wechat: '微信', app: 'App', botframework: 'Teams', console: '工作台' },
  states: { bot: '机器人接待中', queued: '排队中', assigned: '已分配', resolved: '已结束' },
  langs: { en: 'EN', zh: '中文' },
  lists: '会话列表',
  pickConversation: '请从左侧队列选择一个会话。',
  shortcuts: '快捷键：Alt+↑/↓ 上/下一个会话 · Alt+C 接入 · Alt+R 结束 · / 回复框 · Enter 发送 · Shift+Enter 换行',
  claim: '接入',
  transfer: '转接',
  reassign: '改派',
  resolve: '结束会话',
  confirmResolveTitle: '确定结束此会话吗？',
  confirmResolve: (name: string) => `与 ${name} 的会话将结束，系统会邀请客户为本次服务评分。结束后不能再回复。`,
  doResolve: '结束会话',
  pickAgent: '选择客服',
  noOnlineAgent: '没有其他在线客服。',
  doTransfer: '确认转接',
  doReassign: '确认改派',
  cancel: '取消',
  customer: '客户',
  bot: '机器人',
  agent: '客服',
  system: '系统',
  you: '我',
  intent: '意图',
  negative: (n: string) => `负面情绪 ${n}`,
  typing: (who: string) => `${who}正在输入…`,
  composer: '回复客户',
  composerHint: 'Enter 发送，Shift+Enter 换行',
  composerPlaceholder: '输入回复…',
  send: '发送',
  sending: '正在发送…',
  claimFirst: '接入此会话后即可回复。',
  notYours: (n?: string) => (n ? `此会话已分配给 ${n}，只有 TA 可以回复。` : '此会话未分配给您。'),
  resolvedState: '此会话已结束。',
  elsewhere: '此会话现由其他客服处理，您可以查看但不能回复。',
  errors: {
    already_claimed: '此会话已被其他客服抢先接入。',
    not_assigned_to_you: '此会话已不再分配给您（已被转接或改派），消息未发送。',
    resolved: '此会话已结束，消息未发送。',
    delivery_failed: '渠道拒收了这条消息，客户没有收到。请稍后重试。',
    csrf: '会话令牌已过期，请刷新页面。',
    forbidden: '您没有执行此操作的权限。',
    not_found: '此会话已不存在。',
    rate_limited: '请求过于频繁，请稍后再试。',
  },
  wechatClosedError: (since: string) => `无法通过微信送达：48 小时回复窗口已于 ${since} 关闭。微信只允许在客户最后一条消息后的 48 小时内回复；请等待客户再次发消息，或通过其他方式联系客户。`,
  windowOpen: (left: string) => `微信窗口开放中 · ${left}后关闭`,
  windowClosed: (since: string) => `微信窗口已于 ${since} 关闭`,
  windowUnknown: '微信窗口：客户尚未发送消息',
  profile: '客户',
  identities: '已关联账号',
  noIdentities: '没有关联的渠道账号。',
  orders: '订单',
  noOrders: '暂无订单。',
  returns: '退货',
  noReturns: '暂无退货。',
  suggestions: '推荐回复',
  noSuggestions: '知识库中没有与最后一条消息匹配的内容。',
  insert: '插入',
  canned: '快捷回复',
  cannedSearch: '搜索快捷回复',
  noCanned: '没有匹配的快捷回复。',
  notes: '内部备注',
  notesHint: '备注仅客服可见。',
  noNotes: '暂无备注。',
  addNote: '添加备注',
  notePlaceholder: '写一条给团队的备注…',
  tags: '标签',
  addTag: '输入标签后按 Enter',
  removeTag: (t: string) => `删除标签 ${t}`,
  rating: (n: number) => `评分 ${n}/5`,
  firstResponse: '首次响应',
  items: (n: number) => `${n} 件商品`,
  unknown: '未知',
  ago: (s: string) => `${s}前`,
  justNow: '刚刚',
  newMessage: '新消息',
  team: '团队',
  backToConsole: '返回队列',
  adminTitle: '团队：客服与主管',
  adminName: '姓名',
  adminRole: '角色',
  adminLanguages: '语言',
  adminCapacity: '接待上限',
  adminStatus: '状态',
  adminLoad: '当前会话',
  adminAdd: '添加客服',
  adminSaved: (n: string) => `已保存 ${n}。`,
  adminAdded: (n: string) => `已添加 ${n}。`,
  roles: { agent: '客服', supervisor: '主管', admin: '管理员' },
  auditTitle: '审计日志',
  auditWhen: '时间',
  auditWho: '操作人',
  auditAction: '操作',
  auditTarget: '对象',
  auditOutcome: '结果',
  auditDetails: '详情',
  auditShow: '显示',
  auditMore: '更早的记录',
  auditEmpty: '没有记录。',
  auditOutcomes: { ok: '成功', refused: '被拒绝' },
};

export const STRINGS: Record<Lang, Strings> = { en, zh };

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('sa-console:lang');
    if (saved === 'en' || saved === 'zh') return saved;
  } catch {
    // storage blocked
  }
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function saveLang(l: Lang): void {
  try {
    localStorage.setItem('sa-console:lang', l);
  } catch {
    // storage blocked
  }
}

const tag = (l: Lang): string => (l === 'zh' ? 'zh-CN' : 'en-US');

/** 75 s → "1m 15s"; 2 h → "2h 0m"; days → "3d 4h". */
export function duration(seconds: number, l: Lang): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (l === 'zh') {
    if (d > 0) return `${d}天${hh}小时`;
    if (hh > 0) return `${hh}小时${m}分`;
    if (m > 0) return `${m}分${sec}秒`;
    return `${sec}秒`;
  }
  if (d > 0) return `${d}d ${hh}h`;
  if (hh > 0) return `${hh}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export function dateTime(iso: string | undefined | null, l: Lang): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString(tag(l), { hour: '2-digit', minute: '2-digit', hour12: false })
    : d.toLocaleString(tag(l), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
}

export function money(amount: number, currency: string, l: Lang): string {
  try {
    return new Intl.NumberFormat(tag(l), { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).format(amount);
  } catch {
    return `${currency} ${amount.toFixed(2)}`;
  }
}
