/**
 * For the outbox crash tests: real server processes on a SQLite data folder with quick outbox
 * settings, killed at will (SIGKILL while a channel holds an attempt) and restarted on the
 * same data; the store read from the test between and after runs; and local HTTP endpoints
 * that hold chosen requests without an answer (a channel gone slow).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openStore, type ChannelId, type Message, type Store } from '../../store/index.js';
import { until } from './poll.js';
import { runEntry, waitForLog, type Spawned } from './processes.js';

/** The outbox lease of the nodes: a dead node's claims lapse this long after its last renewal. */
const OUTBOX_LEASE_MS = 1500;

export interface OutboxNode {
  p: Spawned;
  url: string;
}

/**
 * Starts server processes (server.ts through tsx) on a data folder: 5 delivery attempts 200 to
 * 400 ms apart, a 1.5 s outbox lease, a 250 ms poll, agents claim by hand; `env` adds or
 * overrides settings. `killAll` (for afterAll) kills with SIGKILL whatever still runs.
 */
export function outboxNodes(): { start(dataDir: string, env?: Record<string, string>): Promise<OutboxNode>; killAll(): Promise<void> } {
  const running: Spawned[] = [];
  return {
    async start(dataDir, env = {}) {
      const p = runEntry('server.ts', [], {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATA_DIR: dataDir,
        EMBEDDINGS_MODEL: 'lexical',
        WEB_TOKEN_SECRET: 'outbox-test-web-token-secret-0123456789abcd',
        HANDOFF_AUTO_ASSIGN: 'false',
        OUTBOUND_RETRY_ATTEMPTS: '5',
        OUTBOUND_RETRY_BASE_MS: '200',
        OUTBOUND_RETRY_MAX_DELAY_MS: '400',
        OUTBOX_LEASE_MS: String(OUTBOX_LEASE_MS),
        OUTBOX_POLL_MS: '250',
        ...env,
      });
      running.push(p);
      const line = await waitForLog(p, 'listening', 90_000);
      return { p, url: String(line['url']) };
    },
    async killAll() {
      for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(running.map((p) => p.exited));
    },
  };
}

/** Sends `signal` to the node and waits for it to exit; the signal it died of. */
export async function stopNode(node: OutboxNode, signal: NodeJS.Signals): Promise<NodeJS.Signals | null> {
  node.p.child.kill(signal);
  return (await node.p.exited).signal;
}

/** Runs `fn` on the data folder's SQLite store, opened for it and closed after. */
export async function withStore<T>(dataDir: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore({ kind: 'sqlite', file: path.join(dataDir, 'shop.db') });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** The message once its delivery is no longer pending (a resumed delivery settled), within 60 s. */
export function settledDelivery(dataDir: string, messageId: string, what = 'the resumed delivery to settle'): Promise<Message> {
  return until(
    what,
    () =>
      withStore(dataDir, async (s) => {
        const m = await s.messages.get(messageId);
        return m?.delivery && m.delivery.status !== 'pending' ? m : undefined;
      }),
    60_000,
  );
}

/** The id of the customer's open conversation on `channel`, once their first message is stored. */
export function openConversationId(dataDir: string, channel: ChannelId, externalId: string): Promise<string> {
  return until(`the open ${channel} conversation of ${externalId}`, () =>
    withStore(dataDir, async (s) => {
      const customer = await s.customers.findByIdentity(channel, externalId);
      return customer ? (await s.conversations.findOpenByCustomer(customer.id, channel))?.id : undefined;
    }),
  );
}

/** Whether the node logged that it resumed this message's delivery (one a dead node left). */
export const resumedIn = (p: Spawned, messageId: string): boolean =>
  p.logs().some((l) => l['msg'] === 'outbox: resuming an interrupted delivery' && l['messageId'] === messageId);

export interface HoldingServer {
  /** Requests being held now. */
  readonly held: number;
  /** Listens on 127.0.0.1; the base URL. */
  listen(): Promise<string>;
  /** Drops the held requests (never answered) and closes. */
  close(): Promise<void>;
}

/** A local HTTP server that holds the requests `hold` picks without an answer (a channel gone slow); `pass` answers the others. */
export function holdingServer(hold: (req: IncomingMessage, body: Buffer) => boolean, pass: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): HoldingServer {
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (hold(req, body)) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      pass(req, body, res);
    });
  });
  return {
    get held() {
      return held.size;
    },
    async listen() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The WeChat API as the server sees it: requests pass through to `upstream` (the fake WeChat
 * API), except that customer-service sends from number `holdFrom` on are held without an
 * answer. A held request whose caller died is dropped, never forwarded.
 */
export interface SlowWeChat {
  apiBase: string;
  /** Customer-service send requests seen so far (forwarded or held). */
  readonly sends: number;
  /** Requests being held now. */
  readonly held: number;
  /** The first send to hold (1-based); none while it is +Infinity (the default). */
  holdFrom: number;
  close(): Promise<void>;
}

/** Starts a `SlowWeChat` in front of `upstream`, holding nothing yet. */
export async function startSlowWeChat(upstream: string): Promise<SlowWeChat> {
  let sends = 0;
  let holdFrom = Number.POSITIVE_INFINITY;
  const server = holdingServer(
    (req) => (req.url ?? '').startsWith('/cgi-bin/message/custom/send') && ++sends >= holdFrom,
    (req, body, res) => {
      fetch(`${upstream}${req.url ?? '/'}`, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body: body.toString('utf8') } : {}) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    },
  );
  const apiBase = await server.listen();
  return {
    apiBase,
    get sends() {
      return sends;
    },
    get held() {
      return server.held;
    },
    get holdFrom() {
      return holdFrom;
    },
    set holdFrom(n: number) {
      holdFrom = n;
    },
    close: () => server.close(),
  };
}
