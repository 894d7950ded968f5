import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from 'pino';
import { deliveryView, type EventBus, type HandoffService, type ShopEvent } from '../../bots/index.js';
import type { Conversation, Store } from '../../store/index.js';
import { publicAgent, type ConsoleAuth, type Staff } from './auth.js';
import { canSee } from './routes.js';
import { agentNameMap, consoleMessage } from './views.js';
import { safeParse } from '../../store/index.js';

export interface ConsoleSocketOptions {
  store: Store;
  auth: ConsoleAuth;
  handoff: HandoffService;
  events: EventBus;
  logger: Logger;
}

const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('typing'), conversationId: z.string().min(1).max(100), on: z.boolean() }),
  z.object({ type: z.literal('ping') }),
]);

/** Same-origin only: a page on another site cannot open an agent's socket with their cookie. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The console socket's path (the server answers upgrades to any other path it does not serve with 404). */
export const CONSOLE_SOCKET_PATH = '/ws/console';

/**
 * `/ws/console`: live updates for logged-in agents. Frames are small notifications (the
 * queue changed, a new message in a conversation the agent may see, typing, an agent's
 * status); the page fetches details over HTTP. Events come from the bus, so on several nodes
 * a console on node B sees a shopper who writes on node A.
 */
export function attachConsoleSocket(server: Server, o: ConsoleSocketOptions): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const sockets = new Set<WebSocket>();
  // Conversations change rarely compared with messages: a short cache spares a read per message per console.
  const cache = new Map<string, { at: number; conv: Conversation | null }>();
  async function conversation(id: string): Promise<Conversation | null> {
    const hit = cache.get(id);
    if (hit && Date.now() - hit.at < 2000) return hit.conv;
    const conv = await o.store.conversations.get(id);
    cache.set(id, { at: Date.now(), conv });
    if (cache.size > 5000) cache.delete(cache.keys().next().value!);
    return conv;
  }
  const unsubscribe = o.events.subscribe((e) => {
    if (e.type !== 'conversation') return;
    // Events from other nodes can arrive after a newer local one: never replace a newer state with an older one.
    const held = cache.get(e.conversation.id)?.conv;
    if (held && held.updatedAt.getTime() > e.conversation.updatedAt.getTime()) return;
    cache.set(e.conversation.id, { at: Date.now(), conv: e.conversation });
  });

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, staff: Staff) => {
    sockets.add(ws);
    const send = (frame: Record<string, unknown>) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const visible = (c: Conversation | null): c is Conversation => c !== null && c.status !== 'bot' && canSee(staff, c);
    let queueTimer: NodeJS.Timeout | undefined;
    const queueChanged = () => {
      // Coalesce bursts (an auto-assign sweep) into one refetch.
      queueTimer ??= setTimeout(() => {
        queueTimer = undefined;
        send({ type: 'queue' });
      }, 150);
    };

    const onEvent = async (e: ShopEvent): Promise<void> => {
      if (e.type === 'conversation') {
        queueChanged();
        if (canSee(staff, e.conversation) || e.conversation.status === 'resolved') {
          send({ type: 'conversation', conversation: { id: e.conversation.id, status: e.conversation.status, assigneeId: e.conversation.assigneeId, rating: e.conversation.rating } });
        }
      } else if (e.type === 'message') {
        const c = await conversation(e.message.conversationId);
        if (!visible(c)) return;
        const names = e.message.agentId ? agentNameMap((await o.store.agents.list({}, { limit: 500 })).items) : new Map<string, string>();
        send({ type: 'message', message: consoleMessage(e.message, names) });
        if (c.status === 'queued') queueChanged();
      } else if (e.type === 'message.delivery') {
        const c = await conversation(e.conversationId);
        if (visible(c)) send({ type: 'delivery', conversationId: e.conversationId, messageId: e.messageId, delivery: deliveryView(e.delivery) });
        // The failed-deliveries badge of the conversation lists.
        if (e.delivery.status !== 'pending') queueChanged();
      } else if (e.type === 'typing' && e.from === 'customer') {
        const c = await conversation(e.conversationId);
        if (visible(c)) send({ type: 'typing', conversationId: e.conversationId, from: 'customer', on: e.on });
      } else if (e.type === 'agent') {
        const agent = await o.store.agents.get(e.agentId);
        if (!agent) return;
        const loads = await o.store.conversations.assignedCounts();
        send({ type: 'agent', agent: { ...publicAgent(agent), load: loads[agent.id] ?? 0 } });
      }
    };
    const off = o.events.subscribe((e) => {
      onEvent(e).catch((err: unknown) => o.logger.warn({ err }, 'console socket event failed'));
    });

    send({ type: 'hello', agent: publicAgent(staff.agent!) });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      let json: unknown;
      try {
        json = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        json = undefined;
      }
      const f = safeParse(clientFrame, json);
      if (!f.success) {
        send({ type: 'error', code: 'bad_request', message: 'not a valid console frame' });
        return;
      }
      if (f.data.type === 'ping') {
        send({ type: 'pong' });
        return;
      }
      const { conversationId, on } = f.data;
      void conversation(conversationId)
        .then((c) => {
          if (c && c.status === 'assigned' && c.assigneeId === staff.agent!.id) o.handoff.typing(c, on, staff.agent!.name);
        })
        .catch((err: unknown) => o.logger.warn({ err }, 'console typing failed'));
    });
    ws.on('close', () => {
      off();
      clearTimeout(queueTimer);
      sockets.delete(ws);
    });
    // A client's protocol error (oversized or malformed frame): ws closes the socket; worth a debug line, not a stack.
    ws.on('error', (err) => o.logger.debug({ code: (err as { code?: unknown }).code, error: err.message }, 'console socket closed on a client error'));
  });

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return; // not a URL: not ours (the server's upgrade dispatcher answers it)
    }
    if (pathname !== CONSOLE_SOCKET_PATH) return;
    const reject = (status: string, message: string) =>
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: { message } })}`);
    if (!sameOrigin(req)) {
      reject('403 Forbidden', 'cross-origin console socket refused');
      return;
    }
    o.auth
      .identify(req)
      .then((staff) => {
        if (!staff?.agent) {
          reject('401 Unauthorized', 'log in to the console first');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, staff));
      })
      .catch((err: unknown) => {
        o.logger.warn({ err }, 'console socket auth failed');
        reject('503 Service Unavailable', 'cannot check the session right now');
      });
  }
  server.on('upgrade', onUpgrade);

  return {
    async close() {
      unsubscribe();
      server.off('upgrade', onUpgrade);
      for (const ws of sockets) ws.close(1001, 'server shutting down');
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
