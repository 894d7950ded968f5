import { Api, ApiError, type AgentLoad, type Canned, type ConsoleMessage, type ConversationDetail, type Delivery, type Lang, type PublicAgent, type QueueItem, type QueueResponse } from './api.js';
import { AdminView } from './admin.js';
import { byId, fill, h, isTyping, type Child } from './dom.js';
import { label } from '../../shared/labels.js';
import { STRINGS, dateTime, duration, initialLang, money, saveLang, type Strings } from './i18n.js';
import { ConsoleSocket, type ServerFrame, type SocketState } from './socket.js';

/**
 * The agent console: sign in, work the queue, talk to shoppers on any channel, see who they
 * are. Plain DOM; every string that comes from the server is set as text, never as HTML.
 */

const TYPING_THROTTLE_MS = 2500;
const TYPING_IDLE_MS = 4000;
const CUSTOMER_TYPING_TIMEOUT_MS = 12_000;

const api = new Api();
let lang: Lang = initialLang();
let s: Strings = STRINGS[lang];
let me: PublicAgent | null = null;
let queue: QueueResponse = { queued: [], mine: [], assigned: [], agents: [] };
let queueAt = Date.now();
let currentId: string | null = null;
let detail: ConversationDetail | null = null;
let seen = new Set<string>();
let convIds = new Set<string>();
const unread = new Set<string>();
const drafts = new Map<string, string>();
const cannedCache = new Map<Lang, Canned[]>();
let picker: 'transfer' | 'reassign' | null = null;
/** The open conversation is no longer visible to this agent (someone else has it). */
let gone = false;
/** An action (claim, transfer, reassign, resolve) is under way: its buttons wait. */
let acting = false;
/** The last load of the open conversation's details failed: its actions wait for a good one. */
let detailFailed = false;
/** The conversation the resolve dialog asks about. */
let resolveFor: string | null = null;
let socketState: SocketState = 'offline';

const el = {
  boot: byId('boot'),
  loginView: byId('login-view'),
  loginForm: byId<HTMLFormElement>('login-form'),
  loginEmail: byId<HTMLInputElement>('login-email'),
  loginPassword: byId<HTMLInputElement>('login-password'),
  loginError: byId('login-error'),
  loginSubmit: byId<HTMLButtonElement>('login-submit'),
  appView: byId('app-view'),
  conn: byId('conn'),
  status: byId<HTMLSelectElement>('status-select'),
  meName: byId('me-name'),
  logout: byId<HTMLButtonElement>('logout'),
  team: byId<HTMLButtonElement>('team-toggle'),
  queueList: byId('queue-list'),
  mineList: byId('mine-list'),
  assignedList: byId('assigned-list'),
  assignedSection: byId('assigned-section'),
  queueCount: byId('queue-count'),
  mineCount: byId('mine-count'),
  assignedCount: byId('assigned-count'),
  convEmpty: byId('conv-empty'),
  convPane: byId('conv-pane'),
  convTitle: byId('conv-title'),
  convBadges: byId('conv-badges'),
  claim: byId<HTMLButtonElement>('btn-claim'),
  transfer: byId<HTMLButtonElement>('btn-transfer'),
  reassign: byId<HTMLButtonElement>('btn-reassign'),
  resolve: byId<HTMLButtonElement>('btn-resolve'),
  picker: byId('agent-picker'),
  agentSelect: byId<HTMLSelectElement>('agent-select'),
  agentConfirm: byId<HTMLButtonElement>('agent-confirm'),
  agentCancel: byId<HTMLButtonElement>('agent-cancel'),
  lists: byId('lists'),
  resolveDialog: byId<HTMLDialogElement>('resolve-dialog'),
  resolveText: byId('resolve-text'),
  window: byId('wechat-window'),
  transcript: byId('transcript'),
  typing: byId('typing'),
  error: byId('conv-error'),
  composer: byId<HTMLFormElement>('composer'),
  composerState: byId('composer-state'),
  input: byId<HTMLTextAreaElement>('composer-input'),
  send: byId<HTMLButtonElement>('send'),
  side: byId('side'),
  customer: byId('customer'),
  identities: byId('identities'),
  suggestions: byId('suggestions'),
  cannedSearch: byId<HTMLInputElement>('canned-search'),
  canned: byId('canned'),
  tags: byId('tags'),
  tagInput: byId<HTMLInputElement>('tag-input'),
  notes: byId('notes'),
  noteForm: byId<HTMLFormElement>('note-form'),
  noteInput: byId<HTMLTextAreaElement>('note-input'),
  orders: byId('orders'),
  returns: byId('returns'),
};

// ------------------------------------------------------------------ language

function applyLang(): void {
  s = STRINGS[lang];
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${s.title} · ${s.brand}`;
  for (const node of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    const key = node.dataset['i18n'] as keyof Strings;
    const v = s[key];
    if (typeof v === 'string') node.textContent = v;
  }
  for (const node of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n-label]'))) {
    const v = s[node.dataset['i18nLabel'] as keyof Strings];
    if (typeof v === 'string') node.setAttribute('aria-label', v);
  }
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-lang-toggle]'))) {
    b.textContent = s.language;
    b.setAttribute('aria-label', s.languageLabel);
    b.lang = lang === 'zh' ? 'en' : 'zh-CN';
  }
  for (const o of Array.from(el.status.options)) o.textContent = s.statuses[o.value] ?? o.value;
  el.input.placeholder = s.composerPlaceholder;
  el.input.setAttribute('aria-label', s.composer);
  el.noteInput.placeholder = s.notePlaceholder;
  el.noteInput.setAttribute('aria-label', s.notes);
  el.cannedSearch.placeholder = s.cannedSearch;
  el.cannedSearch.setAttribute('aria-label', s.cannedSearch);
  el.tagInput.placeholder = s.addTag;
  el.tagInput.setAttribute('aria-label', s.addTag);
  el.status.setAttribute('aria-label', s.status);
  renderConn();
  renderTeamButton();
  admin.setStrings(s);
  if (me) {
    renderQueue();
    renderDetail(true);
  }
}

// ---------------------------------------------------------------- admin tab

const admin = new AdminView(api, s);
el.appView.appendChild(admin.root);

function renderTeamButton(): void {
  const open = !admin.root.hidden;
  el.team.textContent = open ? s.backToConsole : s.team;
  el.team.setAttribute('aria-pressed', String(open));
}

function toggleTeam(force?: boolean): void {
  const open = force ?? admin.root.hidden;
  el.appView.classList.toggle('admin-open', open);
  if (open) void admin.open();
  else admin.close();
  renderTeamButton();
}

function toggleLang(): void {
  lang = lang === 'en' ? 'zh' : 'en';
  saveLang(lang);
  applyLang();
  if (me && detail) void loadCanned(detail.conversation.language);
}

// --------------------------------------------------------------------- login

function showLogin(message?: string): void {
  me = null;
  el.boot.hidden = true;
  el.appView.hidden = true;
  el.loginView.hidden = false;
  setLoginError(message);
  el.loginEmail.focus();
}

function setLoginError(message: string | undefined): void {
  el.loginError.hidden = !message;
  el.loginError.textContent = message ?? '';
}

async function onLogin(e: Event): Promise<void> {
  e.preventDefault();
  const email = el.loginEmail.value.trim();
  const password = el.loginPassword.value;
  if (!email || !password) {
    setLoginError(s.wrongPassword);
    (email ? el.loginPassword : el.loginEmail).focus();
    return;
  }
  el.loginSubmit.disabled = true;
  el.loginSubmit.textContent = s.signingIn;
  try {
    const r = await api.login(email, password);
    el.loginPassword.value = '';
    setLoginError(undefined);
    enterApp(r.agent, r.csrfToken);
    // The form is gone: focus goes to the conversation lists, not to the page body.
    el.lists.focus();
  } catch (err) {
    const ae = err instanceof ApiError ? err : new ApiError(0, 'network', 'network');
    if (ae.status === 429 || ae.reason === 'locked_out') setLoginError(s.lockedOut(ae.message));
    else if (ae.status === 401 || ae.status === 400) setLoginError(s.wrongPassword);
    else if (ae.status === 0) setLoginError(s.network);
    else setLoginError(ae.message);
    el.loginPassword.select();
  } finally {
    el.loginSubmit.disabled = false;
    el.loginSubmit.textContent = s.signIn;
  }
}

const socket = new ConsoleSocket(onFrame, (st) => {
  const was = socketState;
  socketState = st;
  renderConn();
  // Back after a drop: whatever changed meanwhile comes from a refetch.
  if (st === 'online' && was !== 'online' && me) {
    void refreshQueue();
    if (currentId) void loadDetail();
  }
});

function enterApp(agent: PublicAgent, csrf: string): void {
  me = agent;
  api.csrf = csrf;
  el.boot.hidden = true;
  el.loginView.hidden = true;
  el.appView.hidden = false;
  el.meName.textContent = agent.name;
  el.meName.title = `${agent.email} · ${agent.role}`;
  el.status.value = agent.status;
  el.assignedSection.hidden = agent.role === 'agent';
  el.team.hidden = agent.role !== 'admin';
  applyLang();
  socket.start();
  void refreshQueue();
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // gone already
  }
  leave();
  showLogin();
}

function leave(): void {
  socket.stop();
  closeResolveDialog();
  toggleTeam(false);
  me = null;
  currentId = null;
  detail = null;
  queue = { queued: [], mine: [], assigned: [], agents: [] };
  el.convPane.hidden = true;
  el.side.hidden = true;
  el.convEmpty.hidden = false;
}

api.onUnauthorized = () => {
  if (!me) return;
  leave();
  showLogin(s.sessionEnded);
};

function renderConn(): void {
  const text = socketState === 'online' ? s.live : socketState === 'connecting' ? s.connecting : s.disconnected;
  el.conn.textContent = text;
  el.conn.className = `conn ${socketState}`;
}

async function setStatus(): Promise<void> {
  const value = el.status.value as PublicAgent['status'];
  try {
    const r = await api.setStatus(value);
    me = r.agent;
    el.status.value = r.agent.status;
  } catch (err) {
    if (me) el.status.value = me.status;
    showError(err);
  }
}

// --------------------------------------------------------------------- queue

let queueLoading: Promise<void> | null = null;
let queueAgain = false;

async function refreshQueue(): Promise<void> {
  if (queueLoading) {
    queueAgain = true;
    return queueLoading;
  }
  queueLoading = (async () => {
    do {
      queueAgain = false;
      try {
        queue = await api.queue();
        queueAt = Date.now();
        renderQueue();
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 401)) console.error('queue', err);
      }
    } while (queueAgain);
  })();
  try {
    await queueLoading;
  } finally {
    queueLoading = null;
  }
}

function badge(text: string, cls: string, title?: string): HTMLElement {
  return h('span', { class: `badge ${cls}`, title }, [text]);
}

function channelBadge(channel: string): HTMLElement {
  return h('span', { class: `badge chan chan-${channel}` }, [h('i', { class: 'cdot', 'aria-hidden': 'true' }), s.channels[channel] ?? channel]);
}

function itemBadges(q: QueueItem): Child[] {
  return [
    q.vip ? badge(s.vip, 'vip') : null,
    channelBadge(q.channel),
    badge(s.langs[q.language] ?? q.language, 'lang'),
    q.reason ? badge(label('reason', q.reason, lang), 'reason') : null,
    q.priority > 0 ? badge(s.priority(q.priority), `prio${q.priority >= 5 ? ' high' : ''}`) : null,
    q.topic ? badge(label('topic', q.topic, lang), 'topic') : null,
  ];
}

function waitSeconds(q: QueueItem): number {
  return q.waitingSeconds + (Date.now() - queueAt) / 1000;
}

/** The delivery marks' words (kept here, beside the marks). */
const DELIVERY_TEXT = {
  en: {
    pending: (n: number) => (n > 1 ? `sending · retrying (${n})` : 'sending…'),
    sent: 'delivered',
    failed: (e: string) => `failed: ${e}`,
    retry: 'Retry',
    failedCount: (n: number) => `${n} not delivered`,
  },
  zh: {
    pending: (n: number) => (n > 1 ? `发送中 · 重试（${n}）` : '发送中…'),
    sent: '已送达',
    failed: (e: string) => `发送失败：${e}`,
    retry: '重试',
    failedCount: (n: number) => `${n} 条未送达`,
  },
} as const;

function deliveryMark(m: ConsoleMessage): HTMLElement | null {
  const d = m.delivery;
  if (!d || m.direction !== 'out') return null;
  const t = DELIVERY_TEXT[lang];
  const mark = h('div', { class: `delivery dl-${d.status}`, 'data-delivery': d.status, role: 'status' });
  const label = d.status === 'pending' ? t.pending(d.attempts) : d.status === 'sent' ? t.sent : t.failed(d.error ?? '?');
  mark.appendChild(h('span', { class: `badge dl-${d.status}`, title: d.error }, [label]));
  if (d.status === 'failed' && canRetry()) {
    const b = h('button', { type: 'button', class: 'btn small retry-delivery', 'data-retry': m.id }, [t.retry]);
    b.addEventListener('click', () => void retryDelivery(m, b));
    mark.appendChild(b);
  }
  return mark;
}

/** The assigned agent, or a supervisor, may send a failed message again. */
function canRetry(): boolean {
  return !!(me && detail && (me.role !== 'agent' || detail.conversation.assigneeId === me.id));
}

async function retryDelivery(m: ConsoleMessage, button: HTMLButtonElement): Promise<void> {
  const id = currentId;
  if (!id) return;
  button.disabled = true;
  try {
    const r = await api.retryDelivery(id, m.id);
    setError(undefined);
    updateDelivery(r.message.id, r.message.delivery);
  } catch (err) {
    showError(err);
    button.disabled = false;
    if (err instanceof ApiError && err.status === 409) void loadDetail();
  }
}

/** A delivery change (live frame or a retry's answer): the mark of that message is redrawn. */
function updateDelivery(messageId: string, delivery: Delivery | undefined): void {
  if (!delivery || !detail) return;
  const m = detail.transcript.find((x) => x.id === messageId);
  if (!m) return;
  // Frames from several nodes may cross: an older state never replaces a newer one.
  if (m.delivery && m.delivery.updatedAt > delivery.updatedAt) return;
  m.delivery = delivery;
  const row = Array.from(el.transcript.children).find((r) => (r as HTMLElement).dataset['id'] === messageId);
  if (!row) return;
  row.querySelector('.delivery')?.remove();
  const mark = deliveryMark(m);
  if (mark) row.appendChild(mark);
}

function renderItem(q: QueueItem, list: 'queued' | 'mine' | 'assigned'): HTMLElement {
  const btn = h('button', { type: 'button', class: 'conv-item', 'data-id': q.id, 'aria-current': q.id === currentId ? 'true' : undefined }, [
    h('span', { class: 'row1' }, [
      h('span', { class: 'name' }, [q.customerName || s.unknown]),
      unread.has(q.id) ? h('span', { class: 'dot', title: s.newMessage, 'aria-label': s.newMessage }) : null,
      h('span', { class: 'wait', 'data-wait': q.id, title: s.waiting }, [duration(waitSeconds(q), lang)]),
    ]),
    h('span', { class: 'badges' }, [
      ...itemBadges(q),
      list === 'queued' && q.position ? badge(s.position(q.position), 'pos') : null,
      list === 'assigned' && q.assigneeName ? badge(s.assignedTo(q.assigneeName), 'who') : null,
      q.failedDeliveries ? badge(DELIVERY_TEXT[lang].failedCount(q.failedDeliveries), 'dl-failed failed-count') : null,
    ]),
    q.lastMessage ? h('span', { class: `last ${q.lastMessage.sender}` }, [q.lastMessage.text]) : null,
  ]);
  btn.addEventListener('click', () => select(q.id));
  return h('li', {}, [btn]);
}

function renderList(ul: HTMLElement, items: QueueItem[], list: 'queued' | 'mine' | 'assigned', empty: string): void {
  ul.replaceChildren(...(items.length ? items.map((q) => renderItem(q, list)) : [h('li', { class: 'empty' }, [empty])]));
}

function renderQueue(): void {
  renderList(el.queueList, queue.queued, 'queued', s.emptyQueue);
  renderList(el.mineList, queue.mine, 'mine', s.emptyMine);
  el.queueCount.textContent = String(queue.queued.length);
  el.mineCount.textContent = String(queue.mine.length);
  if (me && me.role !== 'agent') {
    renderList(el.assignedList, queue.assigned, 'assigned', s.emptyAssigned);
    el.assignedCount.textContent = String(queue.assigned.length);
  }
  const waiting = queue.queued.length;
  document.title = `${waiting > 0 ? `(${waiting}) ` : ''}${s.title} · ${s.brand}`;
}

function allItems(): QueueItem[] {
  return [...queue.queued, ...queue.mine, ...(me?.role === 'agent' ? [] : queue.assigned)];
}

function tick(): void {
  if (!me) return;
  const byId = new Map(allItems().map((q) => [q.id, q]));
  for (const w of Array.from(document.querySelectorAll<HTMLElement>('[data-wait]'))) {
    const q = byId.get(w.dataset['wait'] ?? '');
    if (q) w.textContent = duration(waitSeconds(q), lang);
  }
  if (wechatWindow()) renderWindow();
}

// -------------------------------------------------------------- conversation

function select(id: string): void {
  if (currentId && currentId !== id) {
    drafts.set(currentId, el.input.value);
    typingOff();
  }
  if (currentId !== id) {
    currentId = id;
    detail = null;
    gone = false;
    seen = new Set();
    convIds = new Set([id]);
    el.transcript.replaceChildren();
    // Nothing of the previous conversation stays on screen while this one loads.
    el.convTitle.textContent = allItems().find((q) => q.id === id)?.customerName || '';
    for (const part of [el.convBadges, el.customer, el.identities, el.suggestions, el.tags, el.notes, el.orders, el.returns]) part.replaceChildren();
    el.window.hidden = true;
    el.composerState.hidden = true;
    el.input.disabled = true;
    el.send.disabled = true;
    el.input.value = drafts.get(id) ?? '';
    detailFailed = false;
    closePicker();
    closeResolveDialog();
    renderActions();
    setError(undefined);
    setCustomerTyping(false);
  }
  unread.delete(id);
  renderQueue();
  el.convEmpty.hidden = true;
  el.convPane.hidden = false;
  el.side.hidden = false;
  void loadDetail();
}

let detailTimer: ReturnType<typeof setTimeout> | undefined;
/** Refetches the open conversation soon (several events in a row cost one request). */
function reloadDetailSoon(): void {
  if (detailTimer) clearTimeout(detailTimer);
  detailTimer = setTimeout(() => void loadDetail(), 120);
}

async function loadDetail(): Promise<void> {
  const id = currentId;
  if (!id) return;
  try {
    const d = await api.detail(id);
    if (currentId !== id) return;
    const langChanged = detail?.conversation.language !== d.conversation.language;
    detail = d;
    gone = false;
    detailFailed = false;
    renderDetail();
    if (langChanged || !cannedCache.has(d.conversation.language)) void loadCanned(d.conversation.language);
  } catch (err) {
    if (currentId !== id) return;
    if (err instanceof ApiError && err.status === 404 && detail) {
      // Out of this agent's sight now (claimed, transferred or reassigned to someone else):
      // keep the transcript readable, close the composer and the actions.
      gone = true;
      renderDetail();
      return;
    }
    // Without fresh details the action buttons would act on a stale picture: they wait.
    detailFailed = true;
    renderActions();
    // An action's own error (e.g. why a reply was refused) stays on screen.
    if (el.error.hidden) showError(err);
  }
}

const mine = (): boolean => !!(detail && me && !gone && detail.conversation.assigneeId === me.id);
const resolved = (): boolean => detail?.conversation.status === 'resolved';

/** Draws the open conversation; `rebuild` redraws every transcript row (a language switch). */
function renderDetail(rebuild = false): void {
  if (!detail || !me) return;
  const c = detail.conversation;
  el.convTitle.textContent = detail.customer.displayName || c.customerName || s.unknown;
  fill(el.convBadges, [
    ...itemBadges(c),
    badge(c.status === 'assigned' && c.assigneeName ? s.assignedTo(c.assigneeName) : (s.states[c.status] ?? c.status), `state st-${c.status}`),
    c.rating ? badge(s.rating(c.rating), 'rating') : null,
  ]);
  const supervisor = me.role !== 'agent';
  el.claim.hidden = gone || !(c.status === 'queued' || (c.status !== 'resolved' && !c.assigneeId));
  el.transfer.hidden = !(mine() && !resolved());
  el.reassign.hidden = gone || !(supervisor && c.status === 'assigned');
  el.resolve.hidden = gone || !(!resolved() && (mine() || (supervisor && !!c.assigneeId)));
  renderActions();
  renderWindow();
  renderTranscript(rebuild);
  renderComposerState();
  renderSide();
}

/** The 48-hour window matters only when the conversation is on WeChat. */
function wechatWindow(): ConversationDetail['wechatWindow'] {
  return detail && detail.conversation.channel === 'wechat' ? detail.wechatWindow : null;
}

function windowLine(): { text: string; open: boolean } | null {
  const w = wechatWindow();
  if (!w) return null;
  if (!w.lastInboundAt || !w.closesAt) return { text: s.windowUnknown, open: false };
  const left = (Date.parse(w.closesAt) - Date.now()) / 1000;
  if (left > 0) return { text: s.windowOpen(duration(left, lang)), open: true };
  return { text: s.windowClosed(dateTime(w.closesAt, lang)), open: false };
}

function renderWindow(): void {
  const line = windowLine();
  el.window.hidden = !line;
  if (!line) return;
  el.window.className = `window ${line.open ? 'open' : 'closed'}`;
  if (el.window.textContent !== line.text) el.window.textContent = line.text;
  // The window can close while the page is open.
  const w = wechatWindow();
  if (!line.open && w?.open) {
    w.open = false;
    renderComposerState();
  }
}

function wechatClosedText(serverMessage?: string): string {
  const closesAt = detail?.wechatWindow?.closesAt;
  return closesAt ? s.wechatClosedError(dateTime(closesAt, lang)) : (serverMessage ?? s.windowUnknown);
}

function renderComposerState(): void {
  if (!detail) return;
  const c = detail.conversation;
  let why: string | undefined;
  if (gone) why = s.elsewhere;
  else if (resolved()) why = s.resolvedState;
  else if (!c.assigneeId) why = s.claimFirst;
  else if (!mine()) why = s.notYours(c.assigneeName);
  else if (wechatWindow()?.open === false) why = wechatClosedText(detail.whyNot);
  else if (!detail.canReply && detail.whyNot) why = detail.whyNot;
  el.composerState.hidden = !why;
  el.composerState.textContent = why ?? '';
  const canType = !resolved() && mine();
  el.input.disabled = !canType;
  el.send.disabled = !canType || !!why;
  el.composer.classList.toggle('blocked', !!why);
}

function senderName(m: ConsoleMessage): string {
  if (m.sender === 'customer') return detail?.customer.displayName || s.customer;
  if (m.sender === 'agent') return m.agentId && m.agentId === me?.id ? `${m.agentName ?? me.name} (${s.you})` : (m.agentName ?? s.agent);
  return m.sender === 'bot' ? s.bot : s.system;
}

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/** The server renders each kind's value (`display`, app/console/entities.ts): a price range has no `value`. */
function entityText(e: { type: string; value?: unknown; text?: string; display?: string }): string {
  const v = typeof e.value === 'string' || typeof e.value === 'number' || typeof e.value === 'boolean' ? String(e.value) : '?';
  return `${label('entity', e.type, lang)}: ${e.display ?? (e.text && e.text !== v ? `${e.text} → ${v}` : v)}`;
}

function buildMessage(m: ConsoleMessage): HTMLElement {
  const row = h('div', { class: `msg ${m.sender} dir-${m.direction}`, 'data-id': m.id, 'data-sender': m.sender });
  row.appendChild(
    h('div', { class: 'msg-head' }, [
      h('span', { class: 'who' }, [senderName(m)]),
      h('span', { class: `chan chan-${m.channel}` }, [h('i', { class: 'cdot', 'aria-hidden': 'true' }), s.channels[m.channel] ?? m.channel]),
      h('time', { datetime: m.createdAt }, [dateTime(m.createdAt, lang)]),
    ]),
  );
  row.appendChild(h('div', { class: 'text' }, [m.text]));
  if (m.cards?.length) {
    row.appendChild(h('ul', { class: 'cards' }, m.cards.map((c) => h('li', {}, [c.title, c.price !== undefined ? ` · ${c.price}` : '']))));
  }
  if (m.suggestedActions?.length) {
    row.appendChild(h('div', { class: 'chips' }, m.suggestedActions.map((a) => h('span', { class: 'chip' }, [a.title]))));
  }
  const mark = deliveryMark(m);
  if (mark) row.appendChild(mark);
  if (m.sender === 'customer') {
    const nlu: Child[] = [];
    if (m.intent) nlu.push(h('span', { class: 'intent', 'data-intent': m.intent }, [`${s.intent}: ${label('intent', m.intent, lang)}${m.confidence !== undefined ? ` (${pct(m.confidence)})` : ''}`]));
    for (const e of m.entities ?? []) nlu.push(h('span', { class: 'entity' }, [entityText(e)]));
    if (m.sentiment !== undefined && m.sentiment < -0.2) nlu.push(h('span', { class: 'sentiment' }, [s.negative(m.sentiment.toFixed(2))]));
    if (nlu.length) row.appendChild(h('div', { class: 'nlu' }, nlu));
  }
  return row;
}

function nearBottom(): boolean {
  const t = el.transcript;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
}

/** Adds the messages not shown yet, in order; a language switch rebuilds every row. */
function renderTranscript(rebuild = false): void {
  if (!detail) return;
  const stick = nearBottom() || seen.size === 0;
  if (rebuild || el.transcript.childElementCount !== seen.size) {
    el.transcript.replaceChildren();
    seen = new Set();
  }
  for (const m of detail.transcript) addMessage(m, false);
  if (stick) el.transcript.scrollTop = el.transcript.scrollHeight;
}

function addMessage(m: ConsoleMessage, scroll = true): void {
  convIds.add(m.conversationId);
  if (seen.has(m.id)) return;
  seen.add(m.id);
  const stick = nearBottom();
  // Keep creation order even if a live frame overtook a fetch.
  const row = buildMessage(m);
  const after = Array.from(el.transcript.children).find((r) => {
    const t = r.querySelector('time')?.getAttribute('datetime');
    return t && t > m.createdAt;
  });
  el.transcript.insertBefore(row, after ?? null);
  if (detail && !detail.transcript.some((x) => x.id === m.id)) detail.transcript.push(m);
  if (scroll && (stick || m.sender === 'agent')) el.transcript.scrollTop = el.transcript.scrollHeight;
}

let customerTypingTimer: ReturnType<typeof setTimeout> | undefined;
function setCustomerTyping(on: boolean): void {
  if (customerTypingTimer) clearTimeout(customerTypingTimer);
  customerTypingTimer = undefined;
  el.typing.hidden = !on;
  if (on) {
    el.typing.replaceChildren(h('span', { class: 'dots', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]), ' ', s.typing(detail?.customer.displayName || s.customer));
    customerTypingTimer = setTimeout(() => setCustomerTyping(false), CUSTOMER_TYPING_TIMEOUT_MS);
  }
}

function setError(message: string | undefined): void {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}

function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return s.network;
  if (err.status === 0) return s.network;
  if (err.reason === 'wechat_window_closed') return wechatClosedText(err.message);
  const key = err.reason ?? err.code;
  return s.errors[key] ?? (err.message || s.errors['forbidden'] || '');
}

function showError(err: unknown): void {
  setError(errorText(err));
}

// ---------------------------------------------------------------- composer

let typingSentAt = 0;
let typingOnFor: string | null = null;
let typingIdle: ReturnType<typeof setTimeout> | undefined;

function sendTyping(id: string, on: boolean): void {
  if (!socket.send({ type: 'typing', conversationId: id, on })) void api.typing(id, on).catch(() => undefined);
}

function onComposerInput(): void {
  if (!currentId || !mine()) return;
  const now = Date.now();
  if (el.input.value.trim() && (typingOnFor !== currentId || now - typingSentAt > TYPING_THROTTLE_MS)) {
    typingSentAt = now;
    typingOnFor = currentId;
    sendTyping(currentId, true);
  }
  if (typingIdle) clearTimeout(typingIdle);
  typingIdle = setTimeout(typingOff, TYPING_IDLE_MS);
  if (!el.input.value.trim()) typingOff();
}

function typingOff(): void {
  if (typingIdle) clearTimeout(typingIdle);
  typingIdle = undefined;
  if (typingOnFor) sendTyping(typingOnFor, false);
  typingOnFor = null;
  typingSentAt = 0;
}

let sending = false;
async function onSend(e?: Event): Promise<void> {
  e?.preventDefault();
  const id = currentId;
  const text = el.input.value.trim();
  if (!id || !text || sending || el.send.disabled) return;
  sending = true;
  el.send.disabled = true;
  el.send.textContent = s.sending;
  typingOff();
  try {
    const r = await api.send(id, text, `c-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    setError(undefined);
    if (currentId === id) {
      el.input.value = '';
      drafts.delete(id);
      addMessage(r.message);
      // The live frame may have shown the message before its delivery was known.
      updateDelivery(r.message.id, r.message.delivery);
    }
  } catch (err) {
    if (currentId === id) {
      showError(err);
      // A 409 means our picture was stale: show the real state (the text stays in the box).
      if (err instanceof ApiError && err.status === 409) void loadDetail();
    }
  } finally {
    sending = false;
    el.send.textContent = s.send;
    renderComposerState();
  }
}

/** Knowledge-base passages are Markdown: the shopper gets plain text. */
function plain(md: string): string {
  return md
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/\*\*|__/g, '')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/[ \t]+\n/g, '\n')
    .trim();
}

/** A canned response for this shopper: {name} becomes their name. */
function fillCanned(text: string): string {
  return text.replace(/\{name\}/g, detail?.customer.displayName ?? '');
}

function insertText(text: string): void {
  const t = el.input;
  if (t.disabled) {
    t.value = text;
  } else {
    const start = t.selectionStart ?? t.value.length;
    const end = t.selectionEnd ?? t.value.length;
    const before = t.value.slice(0, start);
    const sep = before && !/\s$/.test(before) ? ' ' : '';
    t.value = before + sep + text + t.value.slice(end);
    const caret = (before + sep + text).length;
    t.focus();
    t.setSelectionRange(caret, caret);
  }
  onComposerInput();
}

// ------------------------------------------------------------------ actions

/**
 * The action buttons work on a conversation whose details are loaded (what they do depends
 * on its state and who has it), never while those details are on their way, after a failed
 * load, or while another action runs.
 */
function renderActions(): void {
  const ready = !!detail && detail.conversation.id === currentId && !detailFailed && !acting;
  for (const b of [el.claim, el.transfer, el.reassign, el.resolve]) b.disabled = !ready;
  el.convPane.setAttribute('aria-busy', String(!!currentId && !detail));
}

async function act(fn: () => Promise<unknown>): Promise<void> {
  acting = true;
  el.agentConfirm.disabled = true;
  renderActions();
  try {
    await fn();
    setError(undefined);
  } catch (err) {
    showError(err);
  } finally {
    // The buttons wait for the state the action left behind.
    await Promise.all([refreshQueue(), loadDetail()]);
    acting = false;
    el.agentConfirm.disabled = false;
    renderActions();
  }
}

function claim(): void {
  const id = currentId;
  if (!id || el.claim.hidden || el.claim.disabled) return;
  void act(async () => {
    try {
      await api.claim(id);
    } catch (err) {
      // It was in our queue a moment ago: gone from sight means another agent took it.
      if (err instanceof ApiError && err.status === 404) throw new ApiError(409, 'conflict', err.message, 'already_claimed');
      throw err;
    }
  }).then(() => {
    if (mine()) el.input.focus();
  });
}

/** Resolve asks first, in an in-page dialog (Esc or Cancel keeps the conversation open). */
function resolve(): void {
  const id = currentId;
  if (!id || !detail || el.resolve.hidden || el.resolve.disabled || el.resolveDialog.open) return;
  resolveFor = id;
  el.resolveText.textContent = s.confirmResolve(detail.customer.displayName || detail.conversation.customerName || s.unknown);
  el.resolveDialog.returnValue = '';
  el.resolveDialog.showModal();
}

function closeResolveDialog(): void {
  if (el.resolveDialog.open) el.resolveDialog.close('');
}

function onResolveDialogClose(): void {
  const id = resolveFor;
  resolveFor = null;
  const confirmed = el.resolveDialog.returnValue === 'resolve';
  if (me && !el.resolve.hidden) el.resolve.focus();
  if (confirmed && id && id === currentId) void act(() => api.resolve(id));
}

async function openPicker(mode: 'transfer' | 'reassign'): Promise<void> {
  if (!detail || !me) return;
  picker = mode;
  let agents: AgentLoad[] = queue.agents;
  try {
    agents = (await api.agents()).agents;
  } catch {
    // the queue's copy will do
  }
  const exclude = mode === 'transfer' ? me.id : detail.conversation.assigneeId;
  const options = agents.filter((a) => a.status === 'online' && a.id !== exclude);
  el.agentSelect.replaceChildren(...options.map((a) => h('option', { value: a.id }, [`${a.name} · ${a.load}/${a.capacity} · ${a.languages.map((l) => s.langs[l] ?? l).join('/')}`])));
  el.agentConfirm.textContent = mode === 'transfer' ? s.doTransfer : s.doReassign;
  el.agentConfirm.disabled = options.length === 0;
  if (options.length === 0) el.agentSelect.replaceChildren(h('option', { value: '' }, [s.noOnlineAgent]));
  el.picker.hidden = false;
  el.agentSelect.focus();
}

function closePicker(): void {
  picker = null;
  el.picker.hidden = true;
}

function confirmPicker(): void {
  const id = currentId;
  const to = el.agentSelect.value;
  const mode = picker;
  if (!id || !to || !mode) return;
  closePicker();
  void act(() => (mode === 'transfer' ? api.transfer(id, to) : api.reassign(id, to)));
}

// --------------------------------------------------------------------- side

function renderSide(): void {
  if (!detail) return;
  const cu = detail.customer;
  fill(el.customer, [
    h('p', { class: 'cust-name' }, [cu.displayName || s.unknown, cu.vip ? badge(s.vip, 'vip') : null]),
    cu.email ? h('p', { class: 'muted small' }, [cu.email]) : null,
    cu.phone ? h('p', { class: 'muted small' }, [cu.phone]) : null,
    cu.tags.length ? h('p', { class: 'badges' }, cu.tags.map((t) => badge(t, 'ctag'))) : null,
  ]);
  el.identities.replaceChildren(
    ...(cu.identities.length
      ? cu.identities.map((i) =>
          h('li', { class: 'identity', 'data-channel': i.channel }, [channelBadge(i.channel), h('code', {}, [i.externalId]), h('span', { class: 'muted small' }, [dateTime(i.linkedAt, lang)])]),
        )
      : [h('li', { class: 'empty' }, [s.noIdentities])]),
  );
  el.orders.replaceChildren(
    ...(detail.orders.length
      ? detail.orders.map((o: ConversationDetail['orders'][number] & { provenInChat?: boolean }) =>
          // An order the shopper proved in this chat (phone digits on it) is not on their account: marked so.
          h('li', { class: `order${o.provenInChat ? ' proven' : ''}`, 'data-number': o.number, ...(o.provenInChat ? { 'data-proven': 'true' } : {}) }, [
            h('div', { class: 'row1' }, [
              h('strong', {}, [o.number]),
              badge(o.status, `ostatus os-${o.status}`),
              o.provenInChat ? badge(lang === 'zh' ? '聊天中已验证' : 'proven in chat', 'proven') : null,
              h('span', { class: 'total' }, [money(o.total, o.currency, lang)]),
            ]),
            h('div', { class: 'muted small' }, [dateTime(o.placedAt, lang), o.items ? ` · ${s.items(o.items.reduce((n, i) => n + i.quantity, 0))}` : '']),
            o.items?.length ? h('div', { class: 'small items' }, [o.items.map((i) => `${i.name} ×${i.quantity}`).join(', ')]) : null,
          ]),
        )
      : [h('li', { class: 'empty' }, [s.noOrders])]),
  );
  el.returns.replaceChildren(
    ...(detail.returns.length
      ? detail.returns.map((r) =>
          h('li', { class: 'return' }, [
            h('strong', {}, [r.number ?? r.id ?? '']),
            ' ',
            badge(r.status, 'ostatus'),
            r.orderNumber ? h('span', { class: 'muted small' }, [` ${r.orderNumber}`]) : null,
            r.reason ? h('div', { class: 'small' }, [r.reason]) : null,
          ]),
        )
      : [h('li', { class: 'empty' }, [s.noReturns])]),
  );
  el.suggestions.replaceChildren(
    ...(detail.suggestions.length
      ? detail.suggestions.map((g: ConversationDetail['suggestions'][number] & { source?: string }) => {
          // Knowledge-base passages and canned responses ranked against the shopper's latest messages.
          const text = fillCanned(plain(g.text));
          const b = h('button', { type: 'button', class: 'pick suggestion', title: s.insert, 'data-source': g.source ?? 'kb' }, [h('strong', {}, [g.title]), h('span', { class: 'snippet' }, [text])]);
          b.addEventListener('click', () => insertText(text));
          return h('li', {}, [b]);
        })
      : [h('li', { class: 'empty' }, [s.noSuggestions])]),
  );
  renderTags();
  renderNotes();
  renderCanned();
}

function renderTags(): void {
  if (!detail) return;
  el.tags.replaceChildren(
    ...detail.conversation.tags.map((t) => {
      const x = h('button', { type: 'button', class: 'x', 'aria-label': s.removeTag(t), title: s.removeTag(t) }, ['×']);
      x.addEventListener('click', () => void saveTags(detail ? detail.conversation.tags.filter((v) => v !== t) : []));
      return h('span', { class: 'tag', 'data-tag': t }, [t, x]);
    }),
  );
}

async function saveTags(tags: string[]): Promise<void> {
  const id = currentId;
  if (!id) return;
  try {
    const r = await api.setTags(id, tags);
    if (detail && currentId === id) {
      detail.conversation.tags = r.conversation.tags;
      renderTags();
    }
  } catch (err) {
    showError(err);
  }
}

/** An agent's display name from what the page knows (the notes response may carry ids only). */
function agentNameOf(id: string): string {
  if (me && me.id === id) return me.name;
  return queue.agents.find((a) => a.id === id)?.name ?? id;
}

function renderNotes(): void {
  if (!detail) return;
  const notes = detail.conversation.notes ?? [];
  el.notes.replaceChildren(
    ...(notes.length
      ? notes.map((n) =>
          h('li', { class: 'note' }, [h('div', { class: 'note-head' }, [h('strong', {}, [n.agentName ?? agentNameOf(n.agentId)]), ' ', h('time', { datetime: n.at }, [dateTime(n.at, lang)])]), h('div', { class: 'text' }, [n.text])]),
        )
      : [h('li', { class: 'empty' }, [s.noNotes])]),
  );
}

async function addNote(e: Event): Promise<void> {
  e.preventDefault();
  const id = currentId;
  const text = el.noteInput.value.trim();
  if (!id || !text) return;
  try {
    const r = await api.addNote(id, text);
    el.noteInput.value = '';
    if (detail && currentId === id) {
      detail.conversation.notes = r.conversation.notes;
      renderNotes();
    }
  } catch (err) {
    showError(err);
  }
}

async function loadCanned(l: Lang): Promise<void> {
  if (!cannedCache.has(l)) {
    try {
      cannedCache.set(l, (await api.canned(l)).canned);
    } catch {
      return;
    }
  }
  renderCanned();
}

function renderCanned(): void {
  const list = cannedCache.get(detail?.conversation.language ?? lang) ?? [];
  const q = el.cannedSearch.value.trim().toLowerCase();
  const hits = q ? list.filter((c) => c.title.toLowerCase().includes(q) || c.text.toLowerCase().includes(q)) : list;
  el.canned.replaceChildren(
    ...(hits.length
      ? hits.map((c) => {
          const text = fillCanned(c.text);
          const b = h('button', { type: 'button', class: 'pick canned-item', 'data-id': c.id, title: s.insert }, [h('strong', {}, [c.title]), h('span', { class: 'snippet' }, [text])]);
          b.addEventListener('click', () => insertText(text));
          return h('li', {}, [b]);
        })
      : [h('li', { class: 'empty' }, [s.noCanned])]),
  );
}

// ------------------------------------------------------------------- socket

function patchItem(c: QueueItem): void {
  for (const list of [queue.queued, queue.mine, queue.assigned]) {
    const i = list.findIndex((q) => q.id === c.id);
    if (i >= 0) list[i] = { ...list[i], ...c };
  }
}

function onFrame(f: ServerFrame): void {
  switch (f.type) {
    case 'hello':
      if (f.agent && me) {
        me = { ...me, ...f.agent };
        el.status.value = me.status;
      }
      return;
    case 'queue':
      void refreshQueue();
      return;
    case 'conversation':
      patchItem(f.conversation);
      renderQueue();
      if (f.conversation.id === currentId) reloadDetailSoon();
      return;
    case 'message': {
      const m = f.message;
      if (m.conversationId === currentId || convIds.has(m.conversationId)) {
        addMessage(m);
        if (m.sender === 'customer') {
          setCustomerTyping(false);
          reloadDetailSoon(); // new suggestions, the WeChat window
        }
      } else if (m.sender === 'customer') {
        unread.add(m.conversationId);
      }
      const item = allItems().find((q) => q.id === m.conversationId);
      if (item) item.lastMessage = { text: m.text, sender: m.sender, at: m.createdAt };
      renderQueue();
      return;
    }
    case 'delivery':
      if (f.conversationId === currentId || convIds.has(f.conversationId)) updateDelivery(f.messageId, f.delivery);
      return;
    case 'typing':
      if (f.from === 'customer' && f.conversationId === currentId) setCustomerTyping(f.on);
      return;
    case 'agent': {
      const i = queue.agents.findIndex((a) => a.id === f.agent.id);
      if (i >= 0) queue.agents[i] = f.agent;
      else queue.agents.push(f.agent);
      if (me && f.agent.id === me.id) {
        me = { ...me, ...f.agent };
        el.status.value = me.status;
      }
      return;
    }
    case 'error':
      setError(f.message || f.code);
      return;
    default:
      return;
  }
}

// ----------------------------------------------------------------- keyboard

function move(delta: number): void {
  const ids = Array.from(document.querySelectorAll<HTMLElement>('.conv-item')).map((b) => b.dataset['id'] ?? '');
  if (ids.length === 0) return;
  const i = currentId ? ids.indexOf(currentId) : -1;
  const next = ids[Math.min(ids.length - 1, Math.max(0, i + delta))];
  if (next) {
    select(next);
    document.querySelector<HTMLElement>(`.conv-item[data-id="${CSS.escape(next)}"]`)?.focus();
  }
}

function onKey(e: KeyboardEvent): void {
  // The resolve dialog is modal: the shortcuts wait until it is answered.
  if (!me || el.resolveDialog.open) return;
  if (e.altKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    e.preventDefault();
    move(e.key === 'ArrowDown' ? 1 : -1);
  } else if (e.altKey && (e.code === 'KeyC' || e.key === 'c')) {
    e.preventDefault();
    claim();
  } else if (e.altKey && (e.code === 'KeyR' || e.key === 'r')) {
    e.preventDefault();
    resolve();
  } else if (e.key === 'Escape' && picker) {
    closePicker();
  } else if (e.key === '/' && !isTyping(e) && currentId && !el.input.disabled) {
    e.preventDefault();
    el.input.focus();
  }
}

// --------------------------------------------------------------------- wire

el.loginForm.addEventListener('submit', (e) => void onLogin(e));
for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('[data-lang-toggle]'))) b.addEventListener('click', toggleLang);
el.logout.addEventListener('click', () => void logout());
el.team.addEventListener('click', () => toggleTeam());
el.status.addEventListener('change', () => void setStatus());
el.claim.addEventListener('click', claim);
el.resolve.addEventListener('click', resolve);
el.transfer.addEventListener('click', () => void openPicker('transfer'));
el.reassign.addEventListener('click', () => void openPicker('reassign'));
el.agentCancel.addEventListener('click', closePicker);
el.agentConfirm.addEventListener('click', confirmPicker);
el.resolveDialog.addEventListener('close', onResolveDialogClose);
el.composer.addEventListener('submit', (e) => void onSend(e));
el.input.addEventListener('input', onComposerInput);
el.input.addEventListener('blur', () => typingOff());
el.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey) {
    e.preventDefault();
    void onSend();
  }
});
el.cannedSearch.addEventListener('input', renderCanned);
el.tagInput.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  e.preventDefault();
  const t = el.tagInput.value.trim().toLowerCase();
  if (!t || !detail) return;
  el.tagInput.value = '';
  if (!detail.conversation.tags.includes(t)) void saveTags([...detail.conversation.tags, t]);
});
el.noteForm.addEventListener('submit', (e) => void addNote(e));
el.noteInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void addNote(e);
});
document.addEventListener('keydown', onKey);
setInterval(tick, 1000);

applyLang();
api
  .me()
  .then((r) => enterApp(r.agent, r.csrfToken))
  .catch(() => showLogin());
