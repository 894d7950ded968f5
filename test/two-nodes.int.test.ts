import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import WebSocket from 'ws';
import { hashPassword } from '../app/passwords.js';
import { openMongoStore } from '../store/mongo/index.js';
import { mongoUriWithDb, runEntry, waitForLog, type Spawned } from './helpers/processes.js';
import { WsClient, type Frame } from './helpers/ws-client.js';

/**
 * Two server processes on loopback sharing one MongoDB-protocol database (FerretDB in CI)
 * and one Redis: a hand-off conversation carried across them (the shopper's widget on node
 * A, the agent's console on node B), and a knowledge-base change on A searchable on B.
 */

const mongoBase = process.env['MONGODB_URI'];
const redisUrl = process.env['REDIS_URL'];
const missing = [!mongoBase && 'MONGODB_URI', !redisUrl && 'REDIS_URL'].filter(Boolean).join(' and ');
const title = `two nodes on one database and one Redis${missing ? ` (skipped: set ${missing} to run; .ci/run sets both)` : ''}`;

const ADMIN_TOKEN = `admin-${randomBytes(24).toString('hex')}`;

describe.skipIf(!!missing)(title, () => {
  const dirs: string[] = [];
  const running: Spawned[] = [];
  const sockets: Array<{ close(): unknown }> = [];
  let dbUri = '';
  let urlA = '';
  let urlB = '';

  function start(name: string): Spawned {
    const dir = mkdtempSync(path.join(tmpdir(), `sa-node-${name}-`));
    dirs.push(dir);
    const p = runEntry('server.ts', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dir,
      MONGODB_URI: dbUri,
      REDIS_URL: redisUrl,
      // Several nodes must share these (a visitor token or a tracking link from one node works on the other).
      WEB_TOKEN_SECRET: 'two-node-web-token-secret-0123456789abcdef',
      TRACKING_SECRET: 'two-node-tracking-secret-0123456789abcdef',
      ADMIN_TOKEN,
      EMBEDDINGS_MODEL: 'lexical',
      // Seeding the whole demo shop takes a minute on FerretDB: the test writes the one agent it needs.
      SEED_DEMO: 'false',
      HANDOFF_AUTO_ASSIGN: 'false',
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '600',
    });
    running.push(p);
    return p;
  }

  beforeAll(async () => {
    dbUri = mongoUriWithDb(mongoBase!, `sa_two_nodes_${randomBytes(4).toString('hex')}`);
    const store = await openMongoStore({ uri: dbUri, serverSelectionTimeoutMS: 5000 });
    try {
      await store.agents.create({
        email: 'li.na@example.com',
        name: '李娜 Li Na',
        role: 'agent',
        languages: ['zh', 'en'],
        skills: ['orders'],
        capacity: 6,
        status: 'online',
        passwordHash: await hashPassword('two-node-agent-password'),
      });
    } finally {
      await store.close();
    }
    const a = start('a');
    const b = start('b');
    urlA = String((await waitForLog(a, 'listening', 170_000))['url']);
    urlB = String((await waitForLog(b, 'listening', 170_000))['url']);
    for (const p of [a, b]) expect(p.logs().some((l) => l['msg'] === 'redis event bus connected')).toBe(true);
  }, 240_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const p of running) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (dbUri) {
      const conn = await mongoose.createConnection(dbUri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      await conn.dropDatabase();
      await conn.close();
    }
  }, 60_000);

  async function widget(base: string): Promise<WsClient> {
    const res = await fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'en' }) });
    const { visitorToken } = (await res.json()) as { visitorToken: string };
    const c = await WsClient.connect(`${base.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`);
    sockets.push(c);
    await c.waitFor((f) => f.type === 'history');
    return c;
  }

  async function say(c: WsClient, text: string, value?: string): Promise<void> {
    const id = randomUUID();
    c.send(value ? { type: 'postback', id, value, text } : { type: 'message', id, text });
    await c.waitFor((f) => f.type === 'ack' && f['id'] === id);
  }

  const messageFrom = (sender: string, text?: RegExp) => (f: Frame) => {
    if (f.type !== 'message') return false;
    const m = f['message'] as { sender: string; text: string };
    return m.sender === sender && (!text || text.test(m.text));
  };

  it('carries a hand-off across nodes: widget on A, agent console on B', async () => {
    const shopper = await widget(urlA);

    // The agent logs in on B and opens the live console socket there.
    const login = await fetch(`${urlB}/api/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'li.na@example.com', password: 'two-node-agent-password' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${urlB}${p}`, {
        method,
        headers: { cookie, 'x-csrf-token': csrfToken, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };
    const consoleFrames: Frame[] = [];
    const consoleWs = new WebSocket(`${urlB.replace('http', 'ws')}/ws/console`, { headers: { cookie } });
    sockets.push(consoleWs);
    consoleWs.on('message', (d) => consoleFrames.push(JSON.parse(d.toString()) as Frame));
    await new Promise<void>((resolve, reject) => consoleWs.once('open', () => resolve()).once('error', reject));
    const consoleSees = async (pred: (f: Frame) => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const f = consoleFrames.find(pred);
        if (f) return f;
        if (Date.now() > deadline) throw new Error(`console on B never saw ${what}; frames: ${JSON.stringify(consoleFrames).slice(0, 3000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    // The shopper asks for a human on A: B's console hears of the queued conversation.
    await say(shopper, 'I want to talk to a human');
    await shopper.waitFor(messageFrom('system', /queue/));
    // The visitor became a customer with that first message (the socket's hello names them then).
    const customerId = String(shopper.frames.find((f) => f.type === 'hello' && typeof f['customerId'] === 'string')?.['customerId']);
    const queuedFrame = await consoleSees(
      (f) => f.type === 'conversation' && (f['conversation'] as { status: string }).status === 'queued',
      'the queued conversation',
    );
    const conversationId = String((queuedFrame['conversation'] as { id: string }).id);
    const queue = await api('GET', '/api/console/queue');
    expect((queue.json['queued'] as Array<{ id: string }>).map((q) => q.id)).toContain(conversationId);

    // Claimed on B: the shopper on A is told who joined.
    let from = shopper.frames.length;
    const claimed = await api('POST', `/api/console/conversations/${conversationId}/claim`);
    expect(claimed.status).toBe(200);
    await shopper.waitFor(messageFrom('system', /Li Na/), { from });

    // The agent replies on B: the widget on A receives it live.
    from = shopper.frames.length;
    const sent = await api('POST', `/api/console/conversations/${conversationId}/messages`, { text: 'Hello from node B, I am on it.' });
    expect(sent.status).toBe(201);
    const reply = await shopper.waitFor(messageFrom('agent'), { from });
    expect(reply['message']).toMatchObject({ text: 'Hello from node B, I am on it.', agentName: '李娜 Li Na' });

    // The shopper writes on A (and types): the console on B gets both live.
    shopper.send({ type: 'typing', on: true });
    await consoleSees((f) => f.type === 'typing' && f['conversationId'] === conversationId && f['on'] === true, "the shopper's typing");
    await say(shopper, 'Thanks! Order SA900032 is late.');
    const live = await consoleSees(
      (f) => f.type === 'message' && (f['message'] as { text: string }).text === 'Thanks! Order SA900032 is late.',
      "the shopper's message",
    );
    expect(live['message']).toMatchObject({ sender: 'customer', conversationId });

    // Resolved on B: the rating prompt reaches A, and the rating given on A is stored.
    from = shopper.frames.length;
    const resolved = await api('POST', `/api/console/conversations/${conversationId}/resolve`);
    expect(resolved.status).toBe(200);
    const prompt = await shopper.waitFor((f) => f.type === 'message' && ((f['message'] as { suggestedActions?: unknown[] }).suggestedActions ?? []).length === 5, { from });
    await consoleSees((f) => f.type === 'conversation' && (f['conversation'] as { id: string; status: string }).status === 'resolved', 'the resolution');
    const five = (prompt['message'] as { suggestedActions: Array<{ title: string; value: string }> }).suggestedActions[4]!;
    from = shopper.frames.length;
    await say(shopper, five.title, five.value);
    await shopper.waitFor(messageFrom('bot', /rating us 5/), { from });
    await consoleSees(
      (f) => f.type === 'conversation' && (f['conversation'] as { id: string; rating?: number }).id === conversationId && (f['conversation'] as { rating?: number }).rating === 5,
      'the rating',
    );
    const detail = await api('GET', `/api/console/conversations/${conversationId}`);
    expect(detail.json['conversation']).toMatchObject({ status: 'resolved', rating: 5, customerId });
  }, 40_000);

  it('an article added through the admin API on A is found by search on B', async () => {
    const slug = `two-node-${randomBytes(3).toString('hex')}`;
    const word = `zorblax${randomBytes(3).toString('hex')}`;
    const search = async (base: string) => {
      const res = await fetch(`${base}/api/knowledge/search?q=${encodeURIComponent(`${word} warranty`)}&locale=en`);
      return ((await res.json()) as { hits: Array<{ slug: string }> }).hits.map((h) => h.slug);
    };
    expect(await search(urlB)).not.toContain(slug);
    const created = await fetch(`${urlA}/api/admin/knowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        slug,
        locale: 'en',
        title: `The ${word} warranty`,
        body: `Every ${word} comes with a five-year ${word} warranty covering parts and labour.`,
        category: 'warranty',
      }),
    });
    expect(created.status).toBe(201);
    expect(await search(urlA)).toContain(slug);
    // B reloads on the kb.changed event from A.
    const deadline = Date.now() + 15_000;
    let onB = await search(urlB);
    while (!onB.includes(slug) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      onB = await search(urlB);
    }
    expect(onB).toContain(slug);
    const b = running[1]!;
    expect(b.logs().some((l) => l['msg'] === 'changed on another node: reloading' && l['type'] === 'kb.changed')).toBe(true);
    // A acted on its own change once (at write time), not again on its echo.
    expect(running[0]!.logs().some((l) => l['msg'] === 'changed on another node: reloading')).toBe(false);
  }, 30_000);
});
