import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreHealth } from '../../bots/index.js';
import { SpoolReplayer, WeChatSpool, type SpooledMessage } from '../../channels/wechat/index.js';
import { ShopError } from '../../store/index.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sa-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const msg = (key: string, at: number): SpooledMessage => ({ key, xml: `<xml><MsgId>${key}</MsgId></xml>`, receivedAt: at });
const until = async (fn: () => boolean) => {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};

describe('WeChat spool', () => {
  it('keeps one file per message, in arrival order, bounded, and survives a reopen', async () => {
    const dir = tempDir();
    const spool = await new WeChatSpool({ dir, maxMessages: 2, logger }).open();
    expect(await spool.put(msg('b', 2000))).toBe(true);
    expect(await spool.put(msg('a', 1000))).toBe(true);
    // A repeat of a spooled key writes nothing more; beyond the bound `put` refuses.
    expect(await spool.put(msg('a', 3000))).toBe(true);
    expect(await spool.put(msg('c', 4000))).toBe(false);
    expect(spool.full).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(2);

    // A half-written file of a crashed write is dropped; a damaged one is kept aside, not replayed.
    writeFileSync(path.join(dir, '000000000005000-x.json.123.tmp'), '{"key":');
    writeFileSync(path.join(dir, '000000000006000-y.json'), 'not json');
    const again = await new WeChatSpool({ dir, maxMessages: 10, logger }).open();
    expect((await again.list()).map((m) => m.key)).toEqual(['a', 'b']);
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/y\.json\.failed$/)]));
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    await again.remove('a');
    expect(again.has('a')).toBe(false);
    expect(again.size).toBe(1);
  });

  it('replays once the store answers: oldest first, files removed only after success, kept while the store is down', async () => {
    const dir = tempDir();
    const spool = await new WeChatSpool({ dir, maxMessages: 100, logger }).open();
    for (let i = 0; i < 5; i++) await spool.put(msg(`m${i}`, 1000 + i));
    let up = false;
    const health = new StoreHealth({ ping: async () => { if (!up) throw new ShopError('unavailable', 'down'); }, logger, minBackoffMs: 10, maxBackoffMs: 20, checkEveryMs: 0 }).start();
    health.failed(new ShopError('unavailable', 'MongoDB is unavailable'));
    const replayed: string[] = [];
    let failOnce = true;
    const replayer = new SpoolReplayer({
      spool,
      health,
      concurrency: 1,
      logger,
      replay: async (m) => {
        // The store goes away again during the first replay: that file stays.
        if (failOnce) {
          failOnce = false;
          throw new ShopError('unavailable', 'MongoDB is unavailable again');
        }
        replayed.push(m.key);
      },
    }).start();
    await new Promise((r) => setTimeout(r, 50));
    expect(replayed).toEqual([]);
    expect(spool.size).toBe(5);
    up = true;
    await until(() => !health.down);
    // The first replay found the store down again (its file stayed); the next recovery replayed everything, in order.
    await until(() => spool.size === 0);
    await replayer.idle();
    expect(replayed).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(0);
    await replayer.stop();
    health.stop();
  });
});
