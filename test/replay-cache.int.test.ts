/**
 * The replay cache behind the app API's single-use GETs and WeChat's one-message-per-nonce
 * rule: one node's bounded memory, and the Redis-backed cache several nodes share (a real
 * redis-server of the test's own, as test/redis-bus.int.test.ts does) — across two caches,
 * through a Redis outage and back, and end to end across two real servers sharing one Redis.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache, RedisReplayCache, type BusLogger } from '../bots/index.js';
import type { ShopServer } from './helpers/shop-server.js';
import { hasRedisServer, RedisProcess } from './helpers/redis.js';
import { inboundTexts, postWeChat, sendApp, signAppCall, startReplayServer, BASE, wechatQuery, wechatText } from './replay-support.js';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
}

function captureLogger(): BusLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (_obj, msg) => lines.push({ level: 'info', msg }),
    warn: (_obj, msg) => lines.push({ level: 'warn', msg }),
    error: (_obj, msg) => lines.push({ level: 'error', msg }),
  };
}

async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MemoryReplayCache (one node)', () => {
  it('remembers the first value of a key until it expires, then takes a new one', async () => {
    let now = 1_000_000;
    const cache = new MemoryReplayCache({ now: () => now });
    expect(await cache.remember('k', 'first', 10)).toBeUndefined();
    expect(await cache.remember('k', 'second', 10)).toBe('first');
    now += 9_999;
    expect(await cache.remember('k', 'third', 10)).toBe('first');
    now += 1;
    expect(await cache.remember('k', 'fourth', 10)).toBeUndefined();
    expect(await cache.remember('k', 'fifth', 10)).toBe('fourth');
  });

  it('is bounded: expired entries go first; when full of live ones the oldest is dropped, counted and warned about once', async () => {
    let now = 0;
    const logger = captureLogger();
    const cache = new MemoryReplayCache({ maxEntries: 3, now: () => now, logger });
    await cache.remember('a', '1', 1);
    await cache.remember('b', '1', 100);
    now = 5_000; // a expired
    await cache.remember('c', '1', 100);
    await cache.remember('d', '1', 100);
    expect(cache.size).toBe(3);
    expect(cache.evicted).toBe(0);
    await cache.remember('e', '1', 100); // full of live entries: b, the oldest, goes
    await cache.remember('f', '1', 100);
    expect(cache.size).toBe(3);
    expect(cache.evicted).toBe(2);
    expect(await cache.remember('e', '2', 100)).toBe('1');
    expect(await cache.remember('b', '2', 100)).toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('treats keys as plain strings (prototype names included)', async () => {
    const cache = new MemoryReplayCache();
    for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await cache.remember(k, 'x', 10)).toBeUndefined();
      expect(await cache.remember(k, 'y', 10)).toBe('x');
    }
  });
});

const ci = process.env['CI'] === 'true';
const why = 'redis-server not installed (set REDIS_SERVER_BIN or install redis-server; .ci/run does)';
if (!hasRedisServer && ci) {
  describe('RedisReplayCache', () => {
    it('runs in CI', () => expect.fail(`CI must have redis-server: ${why}`));
  });
}

describe.skipIf(!hasRedisServer)(`RedisReplayCache on a redis-server of its own${hasRedisServer ? '' : ` (skipped: ${why})`}`, () => {
  let redis: RedisProcess;
  const caches: RedisReplayCache[] = [];
  beforeAll(async () => {
    redis = await RedisProcess.start();
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await redis?.dispose();
  });

  function cache(logger = captureLogger()) {
    const c = new RedisReplayCache({ url: redis.url, logger, prefix: `test:${randomUUID()}:` });
    caches.push(c);
    return { cache: c, logger };
  }

  it('shares what it remembers between nodes (SET NX EX): the first value wins, and expires with the signature', async () => {
    const prefix = `shared:${randomUUID()}:`;
    const a = new RedisReplayCache({ url: redis.url, logger: captureLogger(), prefix });
    const b = new RedisReplayCache({ url: redis.url, logger: captureLogger(), prefix });
    caches.push(a, b);
    expect(await a.remember('wechat:1:2', 'digest-1', 300)).toBeUndefined();
    expect(await b.remember('wechat:1:2', 'digest-2', 300)).toBe('digest-1');
    expect(await a.remember('wechat:1:2', 'digest-3', 300)).toBe('digest-1');
    // Concurrent first uses on two nodes: exactly one of them records.
    const key = `app:${randomUUID()}`;
    const results = await Promise.all([a.remember(key, 'a', 300), b.remember(key, 'b', 300), a.remember(key, 'c', 300), b.remember(key, 'd', 300)]);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    const raw = new Redis(redis.url);
    try {
      const ttl = await raw.ttl(`${prefix}wechat:1:2`);
      expect(ttl).toBeGreaterThan(290);
      expect(ttl).toBeLessThanOrEqual(300);
      await a.remember('short', 'x', 2);
      expect(await raw.ttl(`${prefix}short`)).toBeLessThanOrEqual(2);
    } finally {
      raw.disconnect();
    }
  });

  it('falls back to its own memory while Redis is down (warns once), and shares again once it is back', async () => {
    const prefix = `outage:${randomUUID()}:`;
    const la = captureLogger();
    const lb = captureLogger();
    const a = new RedisReplayCache({ url: redis.url, logger: la, prefix });
    const b = new RedisReplayCache({ url: redis.url, logger: lb, prefix });
    caches.push(a, b);
    expect(await a.remember('before', '1', 300)).toBeUndefined();
    expect(await b.remember('before', '2', 300)).toBe('1');

    await redis.stop('SIGKILL');
    // Never blocks, never throws: each node still refuses its own repeats.
    expect(await a.remember('during', '1', 300)).toBeUndefined();
    expect(await a.remember('during', '2', 300)).toBe('1');
    expect(await a.remember('before', '3', 300)).toBe('1');
    expect(la.lines.filter((l) => l.level === 'warn')).toHaveLength(1);

    await redis.restart();
    await until(() => la.lines.some((l) => l.level === 'info'), 'A to log its recovery');
    await until(() => lb.lines.some((l) => l.level === 'info'), 'B to log its recovery');
    const key = `after-${randomUUID()}`;
    expect(await a.remember(key, 'a', 300)).toBeUndefined();
    expect(await b.remember(key, 'b', 300)).toBe('a');
    expect(la.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('is a fresh cache per prefix (keys of one shop never meet another)', async () => {
    const one = cache();
    const two = cache();
    expect(await one.cache.remember('k', '1', 60)).toBeUndefined();
    expect(await two.cache.remember('k', '2', 60)).toBeUndefined();
  });
});

describe.skipIf(!hasRedisServer)('two servers sharing one Redis: a replay sent to the other node is caught', () => {
  let redis: RedisProcess;
  let a: ShopServer;
  let b: ShopServer;
  beforeAll(async () => {
    redis = await RedisProcess.start();
    a = await startReplayServer('sa-replay-node-a-', { REDIS_URL: redis.url });
    b = await startReplayServer('sa-replay-node-b-', { REDIS_URL: redis.url });
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.dispose();
  });

  it('refuses on node B a signed GET already used on node A', async () => {
    const letters = signAppCall({ method: 'GET', target: `${BASE}/push/dead-letters` });
    expect((await sendApp(a.server.url, letters)).status).toBe(200);
    const replay = await sendApp(b.server.url, letters);
    expect(replay.status).toBe(401);
    expect(replay.json().error?.reason).toBe('signature_replayed');
  });

  it('refuses on node B a forged WeChat body under a query string node A took, and lets WeChat\'s retry of the real message through', async () => {
    const shopper = `oWx_${randomUUID().slice(0, 10)}`;
    const q = wechatQuery();
    const real = wechatText(shopper, 'hello');
    expect((await postWeChat(a.server.url, q, real)).status).toBe(200);
    const forged = await postWeChat(b.server.url, q, wechatText(shopper, '我要退款'));
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.text).error.reason).toBe('nonce_reused');
    expect((await postWeChat(b.server.url, q, real)).status).toBe(200);
    expect(await inboundTexts(b, 'wechat', shopper)).not.toContain('我要退款');
  });
});
