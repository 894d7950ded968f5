import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, RedisEventBus, type BusLogger, type ShopEvent } from '../bots/index.js';
import type { Conversation, Message } from '../store/index.js';
import { hasRedisServer, RedisProcess } from './helpers/redis.js';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  obj: object;
}

function captureLogger(): BusLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
}

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function message(text: string): Message {
  const at = new Date('2026-03-01T08:30:00.123Z');
  return {
    id: `m-${text}`,
    conversationId: 'c1',
    customerId: 'u1',
    channel: 'web',
    direction: 'in',
    text,
    createdAt: at,
    seq: 1,
  } as unknown as Message;
}

describe('event envelope', () => {
  it('keeps Dates as Dates and date-like strings as strings', () => {
    const conv = {
      id: 'c1',
      status: 'queued',
      createdAt: new Date('2026-01-02T03:04:05.006Z'),
      updatedAt: new Date('2026-01-02T03:04:06Z'),
      tags: ['2026-01-02T03:04:05.006Z'],
      notes: [{ text: 'hi', at: new Date(0) }],
    } as unknown as Conversation;
    const { node, event } = decodeEvent(encodeEvent('n1', { type: 'conversation', conversation: conv }));
    expect(node).toBe('n1');
    if (event.type !== 'conversation') throw new Error(`unexpected ${event.type}`);
    const got = event.conversation as unknown as Record<string, unknown>;
    expect(got['createdAt']).toBeInstanceOf(Date);
    expect((got['createdAt'] as Date).toISOString()).toBe('2026-01-02T03:04:05.006Z');
    expect((got['notes'] as Array<{ at: unknown }>)[0]!.at).toBeInstanceOf(Date);
    expect(got['tags']).toEqual(['2026-01-02T03:04:05.006Z']);
  });

  it('rejects payloads that are not event envelopes', () => {
    expect(() => decodeEvent('{"hello":1}')).toThrow(/envelope/);
    expect(() => decodeEvent('not json')).toThrow();
  });
});

const ci = process.env['CI'] === 'true';
const why = 'redis-server not installed (set REDIS_SERVER_BIN or install redis-server; .ci/run does)';
if (!hasRedisServer && ci) {
  describe('RedisEventBus', () => {
    it('runs in CI', () => expect.fail(`CI must have redis-server: ${why}`));
  });
}

describe.skipIf(!hasRedisServer)(`RedisEventBus on a redis-server of its own${hasRedisServer ? '' : ` (skipped: ${why})`}`, () => {
  let redis: RedisProcess;
  const buses: RedisEventBus[] = [];
  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await redis?.dispose();
  });

  function bus(logger = captureLogger()) {
    const b = new RedisEventBus({ url: redis.url, logger, channel: `test:${redis.port}`, maxReconnectDelayMs: 200 });
    buses.push(b);
    return { bus: b, logger };
  }

  it('delivers across buses with Dates revived, and locally at once without a self-echo', async () => {
    const a = bus();
    const b = bus();
    expect(await a.bus.ready(5000)).toBe(true);
    expect(await b.bus.ready(5000)).toBe(true);
    expect(a.bus.nodeId).not.toBe(b.bus.nodeId);
    const atA: ShopEvent[] = [];
    const atB: ShopEvent[] = [];
    a.bus.subscribe((e) => atA.push(e));
    b.bus.subscribe((e) => atB.push(e));

    a.bus.publish({ type: 'message', message: message('hello from A') });
    // Local delivery is synchronous: the publisher's own sockets never wait for Redis.
    expect(atA).toHaveLength(1);
    await until(() => atB.length === 1, 'the event on B');
    const got = atB[0]!;
    if (got.type !== 'message') throw new Error(`unexpected ${got.type}`);
    expect(got.message.createdAt).toBeInstanceOf(Date);
    expect(got.message.createdAt.toISOString()).toBe('2026-03-01T08:30:00.123Z');
    expect(got.message.text).toBe('hello from A');

    b.bus.publish({ type: 'kb.changed', node: b.bus.nodeId });
    await until(() => atA.length === 2, 'the event on A');
    expect(atA[1]).toEqual({ type: 'kb.changed', node: b.bus.nodeId });
    // Give any echo time to come back: each bus saw each event exactly once.
    await new Promise((r) => setTimeout(r, 200));
    expect(atA.map((e) => e.type)).toEqual(['message', 'kb.changed']);
    expect(atB.map((e) => e.type)).toEqual(['message', 'kb.changed']);
    expect(a.bus.stats()).toMatchObject({ connected: true, published: 1, received: 1, dropped: 0 });
  });

  it('keeps delivering locally while Redis is down, warns once, and recovers after a restart', async () => {
    const a = bus();
    const b = bus();
    await a.bus.ready(5000);
    await b.bus.ready(5000);
    const atA: ShopEvent[] = [];
    const atB: ShopEvent[] = [];
    a.bus.subscribe((e) => atA.push(e));
    b.bus.subscribe((e) => atB.push(e));
    let recovered = 0;
    a.bus.onRecovered(() => recovered++);

    await redis.stop('SIGKILL');
    await until(() => !a.bus.connected, 'A to notice');

    // publish is synchronous and returns at once: delivered here, held for the other nodes.
    for (let i = 0; i < 20; i++) a.bus.publish({ type: 'message', message: message(`offline ${i}`) });
    a.bus.publish({ type: 'typing', customerId: 'u1', conversationId: 'c1', on: true, from: 'customer' });
    expect(atA).toHaveLength(21);
    expect(atB).toHaveLength(0);
    expect(a.bus.stats()).toMatchObject({ connected: false, buffered: 20 });

    // A few reconnection attempts later there is still exactly one warning.
    await new Promise((r) => setTimeout(r, 700));
    const warns = a.logger.lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/unavailable/);

    await redis.restart();
    await until(() => a.bus.connected && b.bus.connected, 'both buses to reconnect');
    expect(a.logger.lines.filter((l) => l.level === 'info' && /reconnected/.test(l.msg))).toHaveLength(1);
    expect(recovered).toBe(1);
    // The buffered messages arrive (in order) once both are back; the typing indicator was not kept.
    await until(() => atB.length === 20, 'the buffered events on B');
    expect(atB.map((e) => (e.type === 'message' ? e.message.text : e.type))).toEqual(Array.from({ length: 20 }, (_, i) => `offline ${i}`));
    expect(a.bus.stats()).toMatchObject({ connected: true, buffered: 0, dropped: 1 });

    b.bus.publish({ type: 'agent', agentId: 'ag1' });
    await until(() => atA.some((e) => e.type === 'agent'), 'a fresh event after recovery');
  }, 20_000);

  it('bounds the offline buffer and starts (and serves locally) when Redis is unreachable from the start', async () => {
    const logger = captureLogger();
    const lonely = new RedisEventBus({ url: 'redis://127.0.0.1:1', logger, bufferLimit: 5, maxReconnectDelayMs: 200 });
    buses.push(lonely);
    expect(await lonely.ready(300)).toBe(false);
    const seen: ShopEvent[] = [];
    lonely.subscribe((e) => seen.push(e));
    for (let i = 0; i < 8; i++) lonely.publish({ type: 'agent', agentId: `a${i}` });
    expect(seen).toHaveLength(8);
    expect(lonely.stats()).toMatchObject({ connected: false, buffered: 5, dropped: 3 });
    await until(() => logger.lines.some((l) => l.level === 'warn'), 'the warning');
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    await lonely.close();
  });
});
