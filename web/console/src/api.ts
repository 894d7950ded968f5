/** The console's view of the staff HTTP API (see the README's "Agent console" section). */

export type Role = 'agent' | 'supervisor' | 'admin';
export type AgentStatus = 'online' | 'away' | 'offline';
export type Channel = 'web' | 'wechat' | 'app' | 'botframework' | string;
export type Lang = 'en' | 'zh';

export interface PublicAgent {
  id: string;
  email: string;
  name: string;
  role: Role;
  languages: Lang[];
  skills: string[];
  capacity: number;
  status: AgentStatus;
}
export type AgentLoad = PublicAgent & { load: number };

export interface WeChatWindow {
  open: boolean;
  lastInboundAt: string | null;
  closesAt: string | null;
}

export interface QueueItem {
  id: string;
  customerId: string;
  customerName: string;
  vip: boolean;
  channel: Channel;
  language: Lang;
  status: string;
  priority: number;
  reason: string;
  topic?: string;
  assigneeId: string | null;
  assigneeName?: string;
  queuedAt?: string;
  assignedAt?: string;
  waitingSeconds: number;
  position?: number;
  lastMessage?: { text: string; sender: string; at: string };
  tags: string[];
  wechatWindow?: WeChatWindow;
  /** Messages of this conversation whose delivery failed. */
  failedDeliveries?: number;
}

export interface Note {
  agentId: string;
  agentName?: string;
  text: string;
  at: string;
}

export interface ConsoleMessage {
  id: string;
  seq: number;
  conversationId: string;
  channel: Channel;
  direction: 'in' | 'out';
  sender: 'customer' | 'bot' | 'agent' | 'system';
  agentId?: string;
  agentName?: string;
  text: string;
  createdAt: string;
  intent?: string;
  confidence?: number;
  /** `display`: the value as the console shows it, after the kind's label (the server builds it). */
  entities?: Array<{ type: string; value?: unknown; text?: string; display?: string }>;
  sentiment?: number;
  cards?: Array<{ title: string; subtitle?: string; price?: number; image?: string }>;
  suggestedActions?: Array<{ title: string; value: string }>;
  /** Messages sent outside the shopper's turn: pending (retrying), sent, or failed with the channel's error. */
  delivery?: Delivery;
}

export interface Delivery {
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  error?: string;
  updatedAt: string;
}

export interface OrderView {
  number: string;
  status: string;
  total: number;
  currency: string;
  placedAt: string;
  items?: Array<{ productId: string; name: string; quantity: number; price: number }>;
}

export interface ReturnView {
  id?: string;
  number?: string;
  orderNumber?: string;
  status: string;
  reason?: string;
  createdAt?: string;
  requestedAt?: string;
}

export interface Suggestion {
  title: string;
  text: string;
  url: string;
  slug: string;
  score: number;
}

export interface ConversationDetail {
  conversation: QueueItem & { notes: Note[]; firstResponseAt?: string; resolvedAt?: string; rating?: number };
  customer: {
    id: string;
    displayName: string;
    email?: string;
    phone?: string;
    locale: Lang;
    vip: boolean;
    tags: string[];
    identities: Array<{ channel: Channel; externalId: string; linkedAt: string }>;
  };
  orders: OrderView[];
  returns: ReturnView[];
  transcript: ConsoleMessage[];
  wechatWindow: WeChatWindow | null;
  suggestions: Suggestion[];
  canReply: boolean;
  whyNot?: string;
}

export interface QueueResponse {
  queued: QueueItem[];
  mine: QueueItem[];
  assigned: QueueItem[];
  agents: AgentLoad[];
}

export interface Canned {
  id: string;
  title: string;
  text: string;
  locale: Lang;
}

/** A failed API call: HTTP status plus the server's error code, reason and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export class Api {
  csrf = '';
  /** Called when a request finds the session gone (401 on anything but login). */
  onUnauthorized: () => void = () => undefined;

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'network', 'network');
    }
    if (res.status === 204) return undefined as T;
    let data: unknown = undefined;
    try {
      data = await res.json();
    } catch {
      // not JSON (a proxy's error page)
    }
    if (!res.ok) {
      const err = (data as { error?: Json } | undefined)?.error ?? {};
      const reason = typeof err['reason'] === 'string' ? err['reason'] : undefined;
      const e = new ApiError(res.status, typeof err['code'] === 'string' ? err['code'] : 'http_' + res.status, typeof err['message'] === 'string' ? err['message'] : res.statusText, reason);
      if (res.status === 401 && !path.endsWith('/login')) this.onUnauthorized();
      throw e;
    }
    return data as T;
  }

  me() {
    return this.request<{ agent: PublicAgent; csrfToken: string }>('GET', '/api/console/me');
  }
  login(email: string, password: string) {
    return this.request<{ agent: PublicAgent; csrfToken: string }>('POST', '/api/console/login', { email, password });
  }
  logout() {
    return this.request<void>('POST', '/api/console/logout');
  }
  setStatus(status: AgentStatus) {
    return this.request<{ agent: PublicAgent }>('PUT', '/api/console/me/status', { status });
  }
  queue() {
    return this.request<QueueResponse>('GET', '/api/console/queue');
  }
  detail(id: string) {
    return this.request<ConversationDetail>('GET', `/api/console/conversations/${encodeURIComponent(id)}`);
  }
  private act<T>(id: string, action: string, body?: unknown) {
    return this.request<T>('POST', `/api/console/conversations/${encodeURIComponent(id)}/${action}`, body);
  }
  claim(id: string) {
    return this.act<{ conversation: QueueItem }>(id, 'claim');
  }
  send(id: string, text: string, clientId: string) {
    return this.act<{ message: ConsoleMessage }>(id, 'messages', { text, clientId });
  }
  /** Sends a message whose delivery failed again (the same stored message). */
  retryDelivery(id: string, messageId: string) {
    return this.act<{ message: ConsoleMessage }>(id, `messages/${encodeURIComponent(messageId)}/retry`);
  }
  transfer(id: string, toAgentId: string) {
    return this.act<{ conversation: QueueItem }>(id, 'transfer', { toAgentId });
  }
  reassign(id: string, toAgentId: string) {
    return this.act<{ conversation: QueueItem }>(id, 'reassign', { toAgentId });
  }
  resolve(id: string) {
    return this.act<{ conversation: QueueItem }>(id, 'resolve');
  }
  addNote(id: string, text: string) {
    return this.act<{ conversation: ConversationDetail['conversation'] }>(id, 'notes', { text });
  }
  setTags(id: string, tags: string[]) {
    return this.request<{ conversation: ConversationDetail['conversation'] }>('PUT', `/api/console/conversations/${encodeURIComponent(id)}/tags`, { tags });
  }
  typing(id: string, on: boolean) {
    return this.act<void>(id, 'typing', { on });
  }
  canned(locale: Lang) {
    return this.request<{ canned: Canned[] }>('GET', `/api/console/canned?locale=${locale}`);
  }
  agents() {
    return this.request<{ agents: AgentLoad[] }>('GET', '/api/console/agents');
  }
}
