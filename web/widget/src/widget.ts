import { accentColors } from './color.js';
import type { WidgetConfig } from './config.js';
import { Connection, type ConnectionState, type TokenStore, type Transport } from './connection.js';
import { h, svg } from './dom.js';
import { trapFocus } from './focus-trap.js';
import { dayKey, dayLabel } from './format.js';
import { STRINGS, type Strings } from './i18n.js';
import { ICONS } from './icons.js';
import { uuid } from './ids.js';
import { MessageStore, type ChatItem } from './message-store.js';
import type { CardAction, ClientFrame, Locale, ProductCard, QuickReply, ServerFrame } from './protocol.js';
import { backoffDelay } from './backoff.js';
import { buildRow, sameGroup, updateRow, type RenderContext } from './render.js';
import { CSS } from './styles.js';

export const MAX_LENGTH = 2000;
export const TOKEN_KEY = 'shop-assistant:visitor';
const TYPING_THROTTLE_MS = 3000;
const TYPING_TIMEOUT_MS = 20_000;
const NARROW = '(max-width: 520px)';

/** The visitor token in localStorage (or memory, where storage is blocked). */
function tokenStore(): TokenStore {
  let memory: string | undefined;
  return {
    get() {
      try {
        return localStorage.getItem(TOKEN_KEY) ?? memory;
      } catch {
        return memory;
      }
    },
    set(token) {
      memory = token;
      try {
        localStorage.setItem(TOKEN_KEY, token);
      } catch {
        // storage blocked: this page view keeps it in memory
      }
    },
    clear() {
      memory = undefined;
      try {
        localStorage.removeItem(TOKEN_KEY);
      } catch {
        // storage blocked
      }
    },
  };
}

/** The chat widget: a launcher and a panel in a shadow root, driven by a Connection and a MessageStore. */
export class Widget {
  private locale: Locale;
  private s: Strings;
  private readonly store = new MessageStore();
  /** Our messages the server could not take for now (`unavailable`: busy, or its database is down): client id -> attempts. */
  private readonly retrying = new Map<string, number>();
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** One notice per outage, not one per message. */
  private unavailableNotice = false;
  private readonly tokens = tokenStore();
  private readonly conn: Connection;
  private host: HTMLElement | undefined;
  private root!: ShadowRoot;
  private el!: {
    sa: HTMLElement;
    launcher: HTMLButtonElement;
    launcherLabel: HTMLElement;
    badge: HTMLElement;
    panel: HTMLElement;
    title: HTMLElement;
    status: HTMLElement;
    statusText: HTMLElement;
    close: HTMLButtonElement;
    banner: HTMLElement;
    scroller: HTMLElement;
    earlier: HTMLButtonElement;
    welcome: HTMLElement;
    log: HTMLElement;
    typing: HTMLElement;
    chips: HTMLElement;
    pill: HTMLButtonElement;
    input: HTMLTextAreaElement;
    send: HTMLButtonElement;
    field: HTMLElement;
    counter: HTMLElement;
    powered: HTMLElement;
  };
  private readonly rows = new Map<string, HTMLElement>();
  private readonly days = new Map<string, HTMLElement>();
  private chipsFor: string | undefined;
  private isOpen = false;
  private unread = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while a support agent is typing (their name, or '' when the server gave none). */
  private typingAgent: string | undefined;
  private lastTypingSent = 0;
  private cursor: string | null = null;
  private olderLoaded = false;
  private loadingOlder = false;
  private historyLoaded = false;
  private restoreOverflow: string | undefined;
  private connState: ConnectionState = 'idle';
  /** The shopper is at the bottom of the list: new messages keep it there. */
  private stick = true;

  constructor(private readonly config: WidgetConfig) {
    this.locale = config.locale;
    this.s = STRINGS[this.locale];
    this.conn = new Connection({
      server: config.server,
      locale: this.locale,
      identityToken: config.identityToken,
      tokens: this.tokens,
      onState: (state, transport) => this.onState(state, transport),
      onSession: () => undefined,
      onFrame: (frame, live) => this.onFrame(frame, live),
      afterSeq: (conversationId) => this.store.latestSeq(conversationId),
    });
  }

  get mounted(): boolean {
    return this.host !== undefined;
  }

  mount(parent: HTMLElement = document.body): void {
    if (this.host) return;
    const host = document.createElement('div');
    host.id = 'shop-assistant-widget';
    host.setAttribute('data-shop-assistant', '');
    // The shop's CSS may style `body > div`: the host opts out (a transform would break position:fixed).
    host.setAttribute('style', 'all:initial!important;display:block!important;transform:none!important;filter:none!important;contain:none!important');
    this.host = host;
    this.root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS;
    this.root.appendChild(style);
    this.build();
    this.applyAccent();
    this.applyStrings();
    this.root.appendChild(this.el.sa);
    parent.appendChild(host);
    // A returning shopper (or a logged-in one) connects right away, so replies that
    // arrive while the panel is closed show on the launcher's badge.
    if (this.tokens.get() || this.config.identityToken) this.conn.start();
  }

  // -------------------------------------------------------------- public API

  open(): void {
    if (this.isOpen || !this.mounted) return;
    this.isOpen = true;
    this.conn.start();
    this.el.sa.classList.add('open');
    this.el.panel.hidden = false;
    this.el.launcher.setAttribute('aria-expanded', 'true');
    this.setUnread(0);
    this.applyStrings();
    if (window.matchMedia(NARROW).matches) {
      this.restoreOverflow = document.documentElement.style.overflow;
      document.documentElement.style.overflow = 'hidden';
    }
    this.renderList();
    this.scrollToBottom(true);
    requestAnimationFrame(() => this.el.input.focus());
  }

  close(): void {
    if (!this.isOpen) return;
    const hadFocus = this.root.activeElement !== null;
    this.isOpen = false;
    this.el.sa.classList.remove('open');
    this.el.panel.hidden = true;
    this.el.launcher.setAttribute('aria-expanded', 'false');
    this.applyStrings();
    if (this.restoreOverflow !== undefined) {
      document.documentElement.style.overflow = this.restoreOverflow;
      this.restoreOverflow = undefined;
    }
    if (hadFocus) this.el.launcher.focus();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  /** Sends a message as the shopper (from the input, a starter or the page's script). */
  send(text: string, postback?: string): boolean {
    const clean = text.trim();
    if (!clean || !this.mounted) return false;
    if (clean.length > MAX_LENGTH) return false;
    this.conn.start();
    const item = this.store.addLocal({ clientId: uuid(), text: clean, postback });
    this.deliver(item);
    this.renderList();
    this.scrollToBottom(true);
    return true;
  }

  setLocale(locale: Locale): void {
    if (locale === this.locale) return;
    this.locale = locale;
    this.s = STRINGS[locale];
    this.conn.setLocale(locale);
    this.applyStrings();
    // Rows carry their labels; rebuild them quietly (not read out again).
    this.el.log.setAttribute('aria-live', 'off');
    this.rows.clear();
    this.days.clear();
    this.chipsFor = undefined;
    this.el.log.replaceChildren();
    this.renderList();
    setTimeout(() => this.el.log.setAttribute('aria-live', 'polite'), 50);
  }

  // ------------------------------------------------------------------ build

  private build(): void {
    const sa = h('div', { class: 'sa', lang: this.locale === 'zh' ? 'zh-CN' : 'en' });
    const launcherLabel = h('span', { class: 'sr-only' });
    const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    const launcher = h('button', { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'sa-panel' }, [
      h('span', { class: 'ic ic-chat' }, [svg(ICONS.chat)]),
      h('span', { class: 'ic ic-close' }, [svg(ICONS.chevronDown)]),
      launcherLabel,
      badge,
    ]);
    launcher.addEventListener('click', () => this.toggle());

    const title = h('h2', { class: 'title', id: 'sa-title' });
    const statusText = h('span', {});
    const status = h('div', { class: 'status' }, [h('span', { class: 'dot', 'aria-hidden': 'true' }), statusText]);
    const close = h('button', { type: 'button', class: 'icon-btn on-accent' }, [svg(ICONS.close)]);
    close.addEventListener('click', () => this.close());
    const head = h('div', { class: 'head' }, [h('div', { class: 'avatar', 'aria-hidden': 'true' }, [svg(ICONS.bot)]), h('div', { class: 'head-text' }, [title, status]), close]);

    const banner = h('div', { class: 'banner', role: 'status', hidden: true });

    const earlier = h('button', { type: 'button', class: 'earlier', hidden: true });
    earlier.addEventListener('click', () => this.loadEarlier());
    const welcome = h('div', { class: 'welcome', hidden: true });
    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-atomic': 'false' });
    const typing = h('div', { class: 'typing', role: 'status', hidden: true });
    const chips = h('div', { class: 'chips', role: 'group', hidden: true });
    const scroller = h('div', { class: 'scroller', tabindex: '-1' }, [earlier, welcome, log, typing, chips]);
    scroller.addEventListener(
      'scroll',
      () => {
        this.stick = this.nearBottom();
        if (this.stick) this.el.pill.hidden = true;
      },
      { passive: true },
    );
    const pill = h('button', { type: 'button', class: 'pill', hidden: true });
    pill.addEventListener('click', () => {
      pill.hidden = true;
      this.scrollToBottom(true);
    });

    const input = h('textarea', { rows: 1, id: 'sa-input', maxlength: String(MAX_LENGTH), autocomplete: 'off', enterkeyhint: 'send' });
    const send = h('button', { type: 'submit', class: 'send', disabled: true }, [svg(ICONS.send)]);
    const field = h('div', { class: 'field' }, [input, send]);
    const counter = h('span', { class: 'counter', 'aria-live': 'polite', id: 'sa-counter' });
    const powered = h('span', { class: 'powered' });
    const form = h('form', { class: 'composer', novalidate: true }, [field, h('div', { class: 'under' }, [powered, counter])]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME (pinyin) choice does neither.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.submit();
      }
    });
    input.addEventListener('input', () => this.onInput());

    const panel = h('section', { class: 'panel', id: 'sa-panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'sa-title', hidden: true }, [head, banner, scroller, pill, form]);
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close();
      } else if (e.key === 'Tab') {
        trapFocus(e, panel, this.root);
      }
    });

    sa.append(panel, launcher);
    this.el = { sa, launcher, launcherLabel, badge, panel, title, status, statusText, close, banner, scroller, earlier, welcome, log, typing, chips, pill, input, send, field, counter, powered };
  }

  private applyAccent(): void {
    if (!this.config.accent) return;
    const c = accentColors(this.config.accent);
    const st = this.el.sa.style;
    st.setProperty('--sa-accent', c.accent);
    st.setProperty('--sa-on-accent', c.onAccent);
    st.setProperty('--sa-accent-text', c.accentText);
    st.setProperty('--sa-accent-soft', c.accentSoft);
  }

  /** Every interface string, in the current language. */
  private applyStrings(): void {
    const { s, el } = this;
    el.sa.setAttribute('lang', this.locale === 'zh' ? 'zh-CN' : 'en');
    const title = this.config.title ?? s.defaultTitle;
    el.title.textContent = title;
    el.launcherLabel.textContent = (this.isOpen ? s.closeChat : s.openChat) + (this.unread > 0 ? ` (${s.unread(this.unread)})` : '');
    el.close.setAttribute('aria-label', s.close);
    el.close.title = s.close;
    el.earlier.textContent = this.loadingOlder ? s.loading : s.loadEarlier;
    el.log.setAttribute('aria-label', s.conversation);
    el.chips.setAttribute('aria-label', s.quickReplies);
    el.input.placeholder = s.placeholder;
    el.input.setAttribute('aria-label', s.messageLabel);
    el.input.setAttribute('aria-describedby', 'sa-counter');
    el.send.setAttribute('aria-label', s.send);
    el.send.title = s.send;
    el.powered.textContent = s.poweredBy;
    el.pill.replaceChildren(s.newMessages, svg(ICONS.chevronDown));
    this.renderTyping();
    this.renderWelcome();
    this.renderStatus();
    this.renderCounter();
    this.chipsFor = undefined;
    this.renderChips();
  }

  private renderWelcome(): void {
    const { s, el } = this;
    const chips = h('div', { class: 'chips', role: 'group', 'aria-label': s.quickReplies });
    for (const text of s.starters) {
      const b = h('button', { type: 'button', class: 'chip' }, [text]);
      b.addEventListener('click', () => {
        this.send(text);
        el.input.focus();
      });
      chips.appendChild(b);
    }
    el.welcome.replaceChildren(h('h3', {}, [s.welcomeTitle]), h('p', {}, [s.welcomeBody]), chips);
    el.welcome.hidden = this.store.size > 0;
  }

  // ---------------------------------------------------------------- composer

  private submit(): void {
    const text = this.el.input.value;
    if (!text.trim() || text.trim().length > MAX_LENGTH) return;
    if (this.send(text)) {
      this.el.input.value = '';
      this.onInput();
    }
    this.el.input.focus();
  }

  private onInput(): void {
    const input = this.el.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    // A taller composer shrinks the list: keep its end in view.
    this.scrollToBottom(false);
    this.renderCounter();
    const now = Date.now();
    if (input.value.trim() && now - this.lastTypingSent > TYPING_THROTTLE_MS) {
      this.lastTypingSent = now;
      this.conn.send({ type: 'typing' });
    }
  }

  private renderCounter(): void {
    const { el, s } = this;
    const n = el.input.value.length;
    const trimmed = el.input.value.trim().length;
    el.send.disabled = trimmed === 0 || trimmed > MAX_LENGTH;
    // Shown once the message gets long, so it never clutters a short chat.
    const show = n >= MAX_LENGTH * 0.75;
    el.counter.textContent = show ? (n > MAX_LENGTH ? s.tooLong(MAX_LENGTH) : s.counter(n, MAX_LENGTH)) : '';
    el.counter.className = `counter${n >= MAX_LENGTH ? ' over' : n >= MAX_LENGTH * 0.9 ? ' warn' : ''}`;
    el.field.classList.toggle('over', n > MAX_LENGTH);
  }

  // -------------------------------------------------------------- messaging

  private frameFor(item: ChatItem): ClientFrame {
    const id = item.clientId ?? item.key;
    return item.postback !== undefined ? { type: 'postback', id, value: item.postback, text: item.text } : { type: 'message', id, text: item.text };
  }

  /**
   * The server could not take message `clientId` for now: it goes again, with the same id,
   * after the server's Retry-After (at least) and a growing backoff. The server stores it
   * once and answers it once, even when the first try was stored before the failure.
   */
  private retryLater(clientId: string, retryAfterSeconds: number | undefined, text: string): void {
    const attempt = this.retrying.get(clientId) ?? 0;
    this.retrying.set(clientId, attempt + 1);
    this.store.setStatus(clientId, 'queued');
    if (!this.unavailableNotice) {
      this.unavailableNotice = true;
      this.store.addNotice(text);
    }
    const delay = Math.max((retryAfterSeconds ?? 0) * 1000, backoffDelay(attempt, Math.random, 1000, 30_000));
    clearTimeout(this.retryTimers.get(clientId));
    this.retryTimers.set(
      clientId,
      setTimeout(() => {
        this.retryTimers.delete(clientId);
        const item = this.store.byClientId(clientId);
        if (!item || !this.retrying.has(clientId)) return;
        // Not connected now: it stays queued and goes out with the others when the connection is back
        // (one the server stored already, before it failed, is not queued: it keeps its own retry).
        if (this.conn.send(this.frameFor(item))) this.store.setStatus(clientId, 'sending');
        else if (item.id !== undefined) this.retryLater(clientId, undefined, text);
        this.renderList();
      }, delay),
    );
  }

  /** The server took message `clientId` (acked): no more retries for it. */
  private retried(clientId: string): void {
    if (!this.retrying.delete(clientId)) return;
    clearTimeout(this.retryTimers.get(clientId));
    this.retryTimers.delete(clientId);
    if (this.retrying.size === 0) this.unavailableNotice = false;
  }

  private deliver(item: ChatItem): void {
    const id = item.clientId ?? item.key;
    this.store.setStatus(id, this.conn.send(this.frameFor(item)) ? 'sending' : 'queued');
  }

  /** Sends what waited for a connection (or was sent on a socket that died before its ack). */
  private flush(): void {
    for (const item of this.store.unsent()) this.deliver(item);
    this.renderList();
  }

  private onCardAction(card: ProductCard, action: Extract<CardAction, { value: string }>): void {
    this.send(`${action.title} · ${card.title}`, action.value);
    this.el.input.focus();
  }

  private onQuickReply(reply: QuickReply): void {
    this.send(reply.title, reply.value);
    this.el.input.focus();
  }

  private onRetry(item: ChatItem): void {
    const id = item.clientId ?? item.key;
    this.store.setStatus(id, 'queued');
    this.deliver(item);
    this.renderList();
  }

  private loadEarlier(): void {
    if (!this.cursor || this.loadingOlder) return;
    if (!this.conn.send({ type: 'history', before: this.cursor })) return;
    this.loadingOlder = true;
    this.el.earlier.disabled = true;
    this.el.earlier.textContent = this.s.loading;
  }

  // ---------------------------------------------------------------- server

  private onState(state: ConnectionState, _transport: Transport): void {
    this.connState = state;
    this.renderStatus();
    if (state === 'online') this.flush();
    else {
      this.setTyping(false);
      if (this.loadingOlder) {
        this.loadingOlder = false;
        this.el.earlier.disabled = false;
        this.el.earlier.textContent = this.s.loadEarlier;
      }
    }
  }

  private onFrame(frame: ServerFrame, live: boolean): void {
    switch (frame.type) {
      case 'hello':
        if (frame.merged) {
          // Linked to another channel's customer: that history follows as one list.
          this.cursor = null;
          this.olderLoaded = false;
          this.historyLoaded = false;
        }
        return;
      case 'history': {
        if (this.loadingOlder) {
          const before = this.el.scroller.scrollHeight - this.el.scroller.scrollTop;
          for (const m of frame.messages) this.store.apply(m, false);
          this.cursor = frame.nextCursor;
          this.olderLoaded = true;
          this.loadingOlder = false;
          this.el.earlier.disabled = false;
          this.el.earlier.textContent = this.s.loadEarlier;
          this.renderList();
          this.el.scroller.scrollTop = this.el.scroller.scrollHeight - before;
          return;
        }
        const replay = this.historyLoaded;
        let fresh = 0;
        for (const m of frame.messages) {
          const r = this.store.apply(m, false);
          // A replay after a reconnect: what we did not have arrived while we were away.
          if (replay && r.result === 'added' && m.sender !== 'customer') fresh++;
        }
        if (!this.olderLoaded) this.cursor = frame.nextCursor;
        this.historyLoaded = true;
        if (fresh > 0 && !this.isOpen) this.setUnread(this.unread + fresh);
        this.renderList();
        this.scrollToBottom(!replay);
        return;
      }
      case 'message': {
        const stick = this.stick;
        const r = this.store.apply(frame.message, live);
        if (r.result === 'added' && frame.message.sender !== 'customer') {
          this.setTyping(false);
          if (!this.isOpen) this.setUnread(this.unread + 1);
          else if (!stick) this.el.pill.hidden = false;
        }
        this.renderList();
        if (stick || frame.message.sender === 'customer') this.scrollToBottom(false);
        return;
      }
      case 'ack': {
        this.retried(frame.id);
        const { removedKey } = this.store.ack(frame.id, frame.messageId, frame.seq);
        if (removedKey) {
          this.rows.get(removedKey)?.remove();
          this.rows.delete(removedKey);
        }
        this.renderList();
        return;
      }
      case 'typing':
        // The bot's "done" (after each of the shopper's messages) must not hide an agent who is still typing.
        if (!frame.on && frame.from !== 'agent' && this.typingAgent !== undefined) return;
        this.setTyping(frame.on, frame.from === 'agent' ? (frame.agentName ?? '') : undefined);
        return;
      case 'error': {
        const text = this.s.errors[frame.code] ?? (frame.message || this.s.errors['internal'] || '');
        if (frame.code === 'unavailable' && frame.id && this.store.byClientId(frame.id)) {
          this.retryLater(frame.id, frame.retryAfterSeconds, text);
        } else if (frame.id && this.store.byClientId(frame.id)) {
          if (frame.code === 'network') this.store.setStatus(frame.id, 'queued');
          else if (frame.code === 'rate_limited') this.store.setError(frame.id, text);
          else this.store.setStatus(frame.id, 'failed', text);
        } else if (frame.code !== 'network') {
          this.store.addNotice(text);
        }
        this.setTyping(false);
        this.renderList();
        this.scrollToBottom(false);
        return;
      }
      case 'pong':
        return;
    }
  }

  // ------------------------------------------------------------------ render

  private setUnread(n: number): void {
    this.unread = n;
    this.el.badge.hidden = n === 0;
    this.el.badge.textContent = n > 99 ? '99+' : String(n);
    this.applyLauncherLabel();
  }

  private applyLauncherLabel(): void {
    const { s } = this;
    this.el.launcherLabel.textContent = (this.isOpen ? s.closeChat : s.openChat) + (this.unread > 0 ? ` (${s.unread(this.unread)})` : '');
  }

  /** Who is typing: the bot, or a support agent (shown by name with the "Support" label). */
  private renderTyping(): void {
    const { s } = this;
    const agent = this.typingAgent;
    const who = agent === undefined ? s.bot : agent ? `${agent} · ${s.agent}` : s.agent;
    const parts: Node[] = [h('div', { class: 'bubble', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')])];
    if (agent !== undefined) parts.push(h('span', { class: 'who', 'aria-hidden': 'true' }, [who]));
    parts.push(h('span', { class: 'sr-only' }, [`${who}: ${s.typing}`]));
    this.el.typing.replaceChildren(...parts);
  }

  private setTyping(on: boolean, agent?: string): void {
    if (this.typingTimer !== undefined) clearTimeout(this.typingTimer);
    this.typingTimer = undefined;
    const stick = this.stick;
    const agentNow = on ? agent : undefined;
    if (agentNow !== this.typingAgent) {
      this.typingAgent = agentNow;
      this.renderTyping();
    }
    this.el.typing.hidden = !on;
    if (on) {
      this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_TIMEOUT_MS);
      if (stick) this.scrollToBottom(false);
    }
  }

  private renderStatus(): void {
    const { s, el } = this;
    const state = this.connState;
    const cls = state === 'online' || state === 'idle' ? 'online' : state === 'offline' ? 'offline' : 'connecting';
    el.status.className = `status ${cls}`;
    el.statusText.textContent = cls === 'online' ? s.online : cls === 'offline' ? s.offline : s.connecting;
    const showBanner = state === 'reconnecting' || state === 'offline';
    el.banner.hidden = !showBanner;
    if (showBanner) {
      el.banner.className = `banner${state === 'offline' ? ' offline' : ''}`;
      const retry = h('button', { type: 'button', class: 'link-btn' }, [s.retryNow]);
      retry.addEventListener('click', () => this.conn.retryNow());
      el.banner.replaceChildren(
        state === 'offline' ? svg(ICONS.wifiOff) : h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        h('span', { class: 'msg' }, [state === 'offline' ? s.offlineBanner : s.reconnecting]),
        retry,
      );
    }
  }

  private renderCtx(): RenderContext {
    return {
      s: this.s,
      locale: this.locale,
      server: this.config.server,
      onCardAction: (card, action) => this.onCardAction(card, action),
      onRetry: (item) => this.onRetry(item),
    };
  }

  /** Brings the DOM in line with the store, reusing each message's row. */
  private renderList(): void {
    const items = this.store.items();
    const ctx = this.renderCtx();
    const desired: HTMLElement[] = [];
    items.forEach((item, i) => {
      const prev = items[i - 1];
      const next = items[i + 1];
      if (!prev || dayKey(prev.time) !== dayKey(item.time)) desired.push(this.dayRow(item.time));
      let row = this.rows.get(item.key);
      if (!row) {
        row = buildRow(item, ctx);
        this.rows.set(item.key, row);
      } else {
        updateRow(row, item, ctx);
      }
      row.classList.toggle('first', !prev || !sameGroup(prev, item) || dayKey(prev.time) !== dayKey(item.time));
      row.classList.toggle('last', !next || !sameGroup(item, next) || dayKey(next.time) !== dayKey(item.time));
      desired.push(row);
    });
    const log = this.el.log;
    let at: ChildNode | null = log.firstChild;
    for (const node of desired) {
      if (node === at) {
        at = at.nextSibling;
        continue;
      }
      log.insertBefore(node, at);
    }
    while (at) {
      const next: ChildNode | null = at.nextSibling;
      at.remove();
      at = next;
    }
    this.el.welcome.hidden = items.length > 0;
    this.el.earlier.hidden = !this.cursor;
    this.renderChips(items);
  }

  private dayRow(time: number): HTMLElement {
    const key = dayKey(time);
    let el = this.days.get(key);
    if (!el) {
      el = h('div', { class: 'day' }, [dayLabel(time, this.locale, this.s)]);
      this.days.set(key, el);
    }
    return el;
  }

  /** Quick replies of the last message, while the shopper has not answered it. */
  private renderChips(items: ChatItem[] = this.store.items()): void {
    const last = items[items.length - 1];
    const actions = last && last.sender !== 'customer' && !last.notice ? last.suggestedActions : undefined;
    const key = actions ? last?.key : undefined;
    if (key === this.chipsFor) return;
    this.chipsFor = key;
    const chips = this.el.chips;
    const hadFocus = chips.contains(this.root.activeElement);
    chips.replaceChildren();
    chips.hidden = !actions;
    for (const a of actions ?? []) {
      const b = h('button', { type: 'button', class: 'chip' }, [a.title]);
      b.addEventListener('click', () => this.onQuickReply(a));
      chips.appendChild(b);
    }
    if (hadFocus) this.el.input.focus();
  }

  private nearBottom(): boolean {
    const sc = this.el.scroller;
    return sc.scrollHeight - sc.scrollTop - sc.clientHeight < 80;
  }

  private scrollToBottom(force: boolean): void {
    if (!this.isOpen || (!force && !this.stick)) return;
    const sc = this.el.scroller;
    this.stick = true;
    sc.scrollTop = sc.scrollHeight;
    // Again after layout settles (cards, fonts).
    requestAnimationFrame(() => {
      if (this.stick) sc.scrollTop = sc.scrollHeight;
    });
    this.el.pill.hidden = true;
  }
}
