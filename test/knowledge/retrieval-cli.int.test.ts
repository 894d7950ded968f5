import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kbCommands } from '../../app/cli/kb-commands.js';
import type { CommandContext } from '../../app/cli/command.js';
import { loadConfig } from '../../app/config.js';
import { createLogger } from '../../app/logger.js';
import { Progress } from '../../app/progress.js';
import { openSqliteStore, type Store } from '../../store/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sa-kb-cli-'));
let store: Store;
let ctx: CommandContext;

beforeAll(async () => {
  // An empty models folder: the commands fall back to the lexical embedder, as on a fresh clone.
  mkdirSync(path.join(dir, 'models'));
  const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), MODELS_DIR: path.join(dir, 'models'), LOG_LEVEL: 'silent' }, dir);
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
  ctx = { store: async () => store, config, logger: createLogger({ level: 'silent' }), progress: new Progress(process.stderr, () => 0) };
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (name: string, args: string[]) => kbCommands[name]!.run(args, ctx) as Promise<Record<string, unknown>>;

describe('kb CLI commands', () => {
  it('kb:add indexes a file at once, kb:search finds it, kb:delete removes it', async () => {
    const file = path.join(dir, 'articles.jsonl');
    writeFileSync(
      file,
      [
        { slug: 'gift-wrapping', locale: 'en', title: 'Gift wrapping', body: 'We wrap presents in bamboo paper for 5 CNY.', category: 'orders' },
        { slug: 'gift-wrapping', locale: 'zh', title: '礼品包装', body: '我们用竹纸包装礼物，每单 5 元。', category: 'orders' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    expect(await run('kb:add', [file])).toMatchObject({ read: 2, created: 2, index: { articles: 2 } });
    expect(await run('kb:add', [file])).toMatchObject({ created: 0, unchanged: 2 });
    const found = await run('kb:search', ['竹纸包装多少钱', '--locale', 'zh', '--k', '1']);
    expect((found['hits'] as Array<{ slug: string; locale: string }>)[0]).toMatchObject({ slug: 'gift-wrapping', locale: 'zh' });
    expect(await run('kb:delete', ['gift-wrapping', '--locale', 'en'])).toMatchObject({ deleted: [{ slug: 'gift-wrapping', locale: 'en' }], index: { articles: 1 } });
    await expect(run('kb:delete', ['gift-wrapping', '--locale', 'en'])).rejects.toMatchObject({ code: 'not_found' });
    await expect(run('kb:search', ['x', '--k', '0'])).rejects.toMatchObject({ code: 'bad_request' });
    await expect(run('kb:add', [path.join(dir, 'nope.xml')])).rejects.toThrow(/unsupported file type/);
  });

  it('kb:eval scores the committed evaluation set without a store', async () => {
    const report = await run('kb:eval', ['--articles', path.join(ROOT, 'data/kb-eval/articles.jsonl'), '--queries', path.join(ROOT, 'data/kb-eval/queries.csv')]);
    expect(report['embeddings']).toMatchObject({ kind: 'lexical' });
    const byRetriever = report['byRetriever'] as Record<string, { 'hit@1': number; 'hit@5': number; mrr: number; queries: number }>;
    expect(Object.keys(byRetriever).sort()).toEqual(['bm25', 'hybrid', 'rrf', 'vector']);
    expect(byRetriever['hybrid']!.queries).toBeGreaterThan(50);
    for (const s of Object.values(byRetriever)) expect(s.mrr).toBeGreaterThanOrEqual(s['hit@1']);
    expect((report['offTopic'] as { count: number }).count).toBeGreaterThan(5);
    await expect(run('kb:eval', ['--articles', path.join(ROOT, 'data/kb-eval/articles.jsonl')])).rejects.toThrow(/--queries is required/);
    const badQueries = path.join(dir, 'q.csv');
    writeFileSync(badQueries, 'query,article_id\nwhere is my parcel,no-such-article.en\n');
    await expect(run('kb:eval', ['--articles', path.join(ROOT, 'data/kb-eval/articles.jsonl'), '--queries', badQueries])).rejects.toThrow(/no article "no-such-article.en"/);
  });
});
