/**
 * Knowledge written outside a running server — the CLI's `kb:add` in another process, or
 * another node without Redis — is picked up within KB_REFRESH_SECONDS, and nothing is
 * reloaded while nothing changed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../app/cli/command.js';
import { kbCommands } from '../../app/cli/kb-commands.js';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { Progress } from '../../app/progress.js';
import { startServer, type RunningServer } from '../../app/runtime.js';
import { openSqliteStore, type Store } from '../../store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-kb-refresh-'));
const env = { PORT: '0', DATA_DIR: path.join(dir, 'data'), MODELS_DIR: path.join(dir, 'models'), LOG_LEVEL: 'silent', SEED_DEMO: 'false', KB_REFRESH_SECONDS: '1' };
let server: RunningServer;
let cliStore: Store;

beforeAll(async () => {
  mkdirSync(path.join(dir, 'models'));
  const config = loadConfig(env, dir);
  server = await startServer(config, createLogger({ level: 'silent' }));
  // The CLI's own connection to the same database file, as `npm run cli -- kb:add` opens it.
  cliStore = await openSqliteStore({ file: path.join(dir, 'data', 'shop.db') });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await cliStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function search(q: string): Promise<Array<{ slug: string }>> {
  const res = await fetch(`${server.url}/api/knowledge/search?q=${encodeURIComponent(q)}&locale=en`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { hits: Array<{ slug: string }> }).hits;
}

describe('knowledge refresh', () => {
  it('an article added by the CLI in another connection is found by the running server within a few seconds', async () => {
    expect((await search('bamboo gift wrapping paper')).map((h) => h.slug)).not.toContain('gift-wrapping');
    const file = path.join(dir, 'gift.jsonl');
    writeFileSync(file, JSON.stringify({ slug: 'gift-wrapping', locale: 'en', title: 'Gift wrapping', body: 'We wrap presents in bamboo paper for 5 CNY.', category: 'orders' }));
    const ctx: CommandContext = {
      store: async () => cliStore,
      config: loadConfig(env, dir),
      logger: createLogger({ level: 'silent' }),
      progress: new Progress(process.stderr, () => 0),
    };
    expect(await kbCommands['kb:add']!.run([file], ctx)).toMatchObject({ created: 1 });
    const deadline = Date.now() + 15_000;
    let slugs: string[] = [];
    while (Date.now() < deadline) {
      slugs = (await search('bamboo gift wrapping paper')).map((h) => h.slug);
      if (slugs.includes('gift-wrapping')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(slugs).toContain('gift-wrapping');
    // In step again: the next check finds nothing to do.
    expect(await server.understanding.kb.refreshIfChanged()).toBe(false);
  });
});
