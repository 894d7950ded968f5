import type { AgentLoad, ConsoleMessage, Delivery, PublicAgent, QueueItem } from './api.js';

export type ServerFrame =
  | { type: 'hello'; agent: PublicAgent }
  | { type: 'queue' }
  | { type: 'conversation'; conversation: QueueItem }
  | { type: 'message'; message: ConsoleMessage }
  | { type: 'delivery'; conversationId: string; messageId: string; delivery: Delivery }
  | { type: 'typing'; conversationId: string; from: 'customer' | 'agent'; on: boolean }
  | { type: 'agent'; agent: AgentLoad }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

export type SocketState = 'connecting' | 'online' | 'offline';

/** Reconnect delay: exponential with equal jitter, capped at 30 s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function parse(raw: unknown): ServerFrame | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as { type?: unknown };
    return v && typeof v === 'object' && typeof v.type === 'string' ? (v as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The live console socket (cookie auth). Reconnects with backoff; `onOpen` runs after every
 * (re)connect so the page refetches what it may have missed.
 */
export class ConsoleSocket {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private stopped = true;

  constructor(
    private readonly onFrame: (f: ServerFrame) => void,
    private readonly onState: (s: SocketState) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    this.onState('offline');
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(frame: Record<string, unknown>): boolean {
    if (!this.open) return false;
    this.ws?.send(JSON.stringify(frame));
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    this.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/console`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState('online');
      if (this.ping) clearInterval(this.ping);
      this.ping = setInterval(() => this.send({ type: 'ping' }), 25_000);
    };
    ws.onmessage = (e) => {
      const f = parse(e.data);
      if (f) this.onFrame(f);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.ping) clearInterval(this.ping);
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.onState('offline');
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
  }
}
