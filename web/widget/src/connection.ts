import { backoffDelay } from './backoff.js';
import {
  parseErrorBody,
  parseRestSend,
  parseServerFrame,
  parseSession,
  parseWireMessages,
  type ClientFrame,
  type Locale,
  type ServerFrame,
  type SessionInfo,
} from './protocol.js';

export type ConnectionState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'offline';
export type Transport = 'ws' | 'rest';

/** Where the visitor token lives between page loads. */
export interface TokenStore {
  get(): string | undefined;
  set(token: string): void;
  clear(): void;
}

export interface ConnectionOptions {
  /** The assistant's base URL, without a trailing slash. */
  server: string;
  locale: Locale;
  identityToken?: string;
  tokens: TokenStore;
  onState(state: ConnectionState, transport: Transport): void;
  onSession(session: SessionInfo): void;
  /** Every server frame; REST results are turned into the same frames. */
  onFrame(frame: ServerFrame, live: boolean): void;
  /** The seq to poll after in REST mode (the newest message we hold in this conversation). */
  afterSeq(conversationId: string): number;
  /** Consecutive WebSocket failures before falling back to REST. */
  wsTriesBeforeFallback?: number;
  pollIntervalMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** How often the REST fallback tries the WebSocket again. */
  wsProbeIntervalMs?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The widget's link to the assistant: a session, then a WebSocket with heartbeat and
 * reconnects (exponential backoff with jitter); after repeated WebSocket failures, the REST
 * fallback (POST to send, poll every 3 s), which keeps trying the WebSocket in the background.
 */
export class Connection {
  private state: ConnectionState = 'idle';
  private transport: Transport = 'ws';
  private ws: WebSocket | undefined;
  private session: SessionInfo | undefined;
  private identityToken: string | undefined;
  private attempt = 0;
  private wsFailures = 0;
  private everOnline = false;
  private stopped = true;
  private connecting = false;
  private firstPoll = true;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners: Array<[EventTarget, string, EventListener]> = [];

  constructor(private readonly opts: ConnectionOptions) {
    this.identityToken = opts.identityToken;
  }

  /** The language sent with the next session request. */
  setLocale(locale: Locale): void {
    this.opts.locale = locale;
  }

  get currentState(): ConnectionState {
    return this.state;
  }

  get currentTransport(): Transport {
    return this.transport;
  }

  get currentSession(): SessionInfo | undefined {
    return this.session;
  }

  get started(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.listen(window, 'online', () => this.retryNow());
    this.listen(window, 'offline', () => {
      if (this.state !== 'online' || this.transport === 'rest') this.setState('offline');
    });
    this.listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.state !== 'online') this.retryNow();
    });
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const [target, type, fn] of this.listeners.splice(0)) target.removeEventListener(type, fn);
    this.dropSocket();
    this.setState('idle');
  }

  /** Reconnect at once (the shopper pressed "retry", or the browser is back online). */
  retryNow(): void {
    if (this.stopped || this.connecting) return;
    if (this.state === 'online' && this.transport === 'ws') return;
    this.attempt = 0;
    this.clearTimer('reconnect');
    if (this.transport === 'rest') {
      this.clearTimer('poll');
      void this.poll();
    } else {
      void this.connect();
    }
  }

  /**
   * Hands a frame to the transport. False when there is none right now: the caller keeps
   * the message queued and sends it when the state turns online again.
   */
  send(frame: ClientFrame): boolean {
    if (this.state !== 'online') return false;
    if (this.transport === 'ws') {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    if (frame.type === 'message' || frame.type === 'postback') {
      void this.restSend(frame);
      return true;
    }
    // Typing and history pages need the socket; in REST mode they are skipped.
    return false;
  }

  // ------------------------------------------------------------------ session

  private async fetchSession(): Promise<SessionInfo> {
    let visitorToken = this.opts.tokens.get();
    for (;;) {
      const res = await fetch(`${this.opts.server}/api/web/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorToken, identityToken: this.identityToken, locale: this.opts.locale }),
        credentials: 'omit',
      });
      if (res.status === 401) {
        // A stale or foreign token: start over as a new visitor (once); then without the
        // shop's identity token, which the server refused.
        if (visitorToken) {
          this.opts.tokens.clear();
          visitorToken = undefined;
          continue;
        }
        if (this.identityToken) {
          const body = parseErrorBody(await res.json().catch(() => undefined));
          console.error(`[shop-assistant] identity token refused: ${body?.message ?? 'unauthorized'}; continuing as a guest`);
          this.identityToken = undefined;
          continue;
        }
      }
      if (!res.ok) {
        const body = parseErrorBody(await res.json().catch(() => undefined));
        throw new HttpError(res.status, body?.code ?? 'http', body?.message ?? `session: HTTP ${res.status}`);
      }
      const session = parseSession(await res.json());
      if (!session) throw new HttpError(res.status, 'bad_response', 'session: unexpected response');
      this.opts.tokens.set(session.visitorToken);
      return session;
    }
  }

  // -------------------------------------------------------------- WebSocket

  private async connect(probe = false): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    if (!probe) this.setState(this.everOnline ? 'reconnecting' : 'connecting');
    try {
      this.session = await this.fetchSession();
      this.opts.onSession(this.session);
    } catch {
      this.connecting = false;
      if (!probe) this.scheduleReconnect();
      else this.scheduleProbe();
      return;
    }
    if (this.stopped) {
      this.connecting = false;
      return;
    }
    if (this.transport === 'rest' && !probe) {
      this.connecting = false;
      void this.poll();
      return;
    }
    this.openSocket(this.session.visitorToken, probe);
  }

  private openSocket(token: string, probe: boolean): void {
    // The locale is the language a new visitor's customer gets when their first message creates it.
    const url = `${this.opts.server.replace(/^http/i, 'ws')}/ws/web?token=${encodeURIComponent(token)}&locale=${this.opts.locale}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.connecting = false;
      this.onSocketFailed(probe);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.connecting = false;
      if (probe) {
        // The socket works again: leave the REST fallback.
        this.clearTimer('poll');
        this.transport = 'ws';
      }
      this.wsFailures = 0;
      this.attempt = 0;
      this.everOnline = true;
      this.setState('online', 'ws');
      this.heartbeat();
    };
    ws.onmessage = (e: MessageEvent) => {
      this.heartbeat();
      if (typeof e.data !== 'string') return;
      const frame = parseServerFrame(e.data);
      if (frame && frame.type !== 'pong') this.opts.onFrame(frame, true);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.connecting = false;
      this.clearTimer('ping');
      this.clearTimer('pong');
      if (this.stopped) return;
      if (opened) this.scheduleReconnect();
      else this.onSocketFailed(probe);
    };
  }

  private onSocketFailed(probe: boolean): void {
    if (probe) {
      this.scheduleProbe();
      return;
    }
    this.wsFailures++;
    if (this.wsFailures >= (this.opts.wsTriesBeforeFallback ?? 3)) {
      this.transport = 'rest';
      this.firstPoll = !this.everOnline;
      this.attempt = 0;
      void this.poll();
      this.scheduleProbe();
      return;
    }
    this.scheduleReconnect();
  }

  /** Pings while quiet; a socket that does not answer in time is dropped and reconnected. */
  private heartbeat(): void {
    this.clearTimer('pong');
    this.setTimer('ping', this.opts.pingIntervalMs ?? 25_000, () => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
      this.setTimer('pong', this.opts.pongTimeoutMs ?? 20_000, () => {
        this.dropSocket();
        this.scheduleReconnect();
      });
    });
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.clearTimer('ping');
    this.clearTimer('pong');
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) this.setState('offline');
    else this.setState(this.everOnline ? 'reconnecting' : 'connecting');
    const delay = backoffDelay(this.attempt++);
    this.setTimer('reconnect', delay, () => void this.connect());
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.setTimer('probe', this.opts.wsProbeIntervalMs ?? 60_000, () => {
      if (this.transport === 'rest' && !this.ws) void this.connect(true);
    });
  }

  // ------------------------------------------------------------------- REST

  private authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.session?.visitorToken ?? ''}` };
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.transport !== 'rest') return;
    this.clearTimer('poll');
    try {
      if (!this.session) {
        this.session = await this.fetchSession();
        this.opts.onSession(this.session);
      }
      const session = this.session;
      const initial = this.firstPoll;
      for (let page = 0; page < 10; page++) {
        // Null until the first message; a new one once the last was resolved (seqs count per conversation).
        const asked = session.conversationId;
        const after = asked ? this.opts.afterSeq(asked) : 0;
        const res = await fetch(`${this.opts.server}/api/web/messages?after=${after}`, { headers: this.authHeaders(), credentials: 'omit' });
        if (res.status === 401) this.session = undefined;
        if (!res.ok) throw new HttpError(res.status, 'http', `poll: HTTP ${res.status}`);
        const body: unknown = await res.json();
        const current = (body as { conversationId?: unknown }).conversationId;
        if (typeof current === 'string' && current !== asked) {
          session.conversationId = current;
          // Asked after a seq of another conversation: ask again from this one's newest.
          if (after > 0) continue;
        }
        const messages = parseWireMessages((body as { messages?: unknown }).messages);
        if (this.state !== 'online') {
          this.everOnline = true;
          this.attempt = 0;
          this.setState('online', 'rest');
        }
        // The first poll loads what is there (history); later polls bring new messages.
        if (initial) this.opts.onFrame({ type: 'history', messages, nextCursor: null }, false);
        else for (const message of messages) this.opts.onFrame({ type: 'message', message }, true);
        if (messages.length < 100) break;
      }
      this.firstPoll = false;
      this.setTimer('poll', this.opts.pollIntervalMs ?? 3000, () => void this.poll());
    } catch {
      if (this.stopped || this.transport !== 'rest') return;
      this.setState(typeof navigator !== 'undefined' && navigator.onLine === false ? 'offline' : 'reconnecting', 'rest');
      this.setTimer('poll', Math.max(this.opts.pollIntervalMs ?? 3000, backoffDelay(this.attempt++)), () => void this.poll());
    }
  }

  private async restSend(frame: Extract<ClientFrame, { type: 'message' | 'postback' }>): Promise<void> {
    const body = frame.type === 'message' ? { id: frame.id, text: frame.text, locale: this.opts.locale } : { id: frame.id, value: frame.value, text: frame.text, locale: this.opts.locale };
    let res: Response;
    try {
      res = await fetch(`${this.opts.server}/api/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.authHeaders() },
        body: JSON.stringify(body),
        credentials: 'omit',
      });
    } catch {
      // Not delivered: the message stays queued and goes out when the poll works again.
      this.opts.onFrame({ type: 'error', code: 'network', message: '', id: frame.id }, true);
      this.setState('reconnecting', 'rest');
      return;
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (res.status === 401) {
      // The visitor token expired (or the secret changed): the poll starts a session (a new visitor once the
      // stored token is refused), and the message, still queued, goes out again once that is online.
      this.session = undefined;
      this.opts.onFrame({ type: 'error', code: 'network', message: '', id: frame.id }, true);
      this.setState('reconnecting', 'rest');
      this.clearTimer('poll');
      void this.poll();
      return;
    }
    if (!res.ok) {
      const err = parseErrorBody(json);
      const retryAfter = Number(res.headers.get('retry-after'));
      this.opts.onFrame(
        { type: 'error', code: err?.code ?? `http_${res.status}`, message: err?.message ?? '', id: frame.id, ...(retryAfter >= 0 && res.headers.has('retry-after') ? { retryAfterSeconds: retryAfter } : {}) },
        true,
      );
      return;
    }
    const result = parseRestSend(json);
    if (!result) return;
    this.opts.onFrame({ type: 'ack', ...result.ack }, true);
    for (const message of result.replies) this.opts.onFrame({ type: 'message', message }, true);
  }

  // ---------------------------------------------------------------- helpers

  private setState(state: ConnectionState, transport: Transport = this.transport): void {
    const changed = state !== this.state || transport !== this.transport;
    this.state = state;
    this.transport = transport;
    if (changed) this.opts.onState(state, transport);
  }

  private setTimer(name: string, ms: number, fn: () => void): void {
    this.clearTimer(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, ms),
    );
  }

  private clearTimer(name: string): void {
    const t = this.timers.get(name);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(name);
  }

  private listen(target: EventTarget, type: string, fn: EventListener): void {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }
}
