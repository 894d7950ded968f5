import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../app/import.js';
import { openSqliteStore, type Store } from '../store/index.js';
import { runCli } from './helpers/processes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-import-'));
let store: Store;
beforeAll(async () => {
  store = await openSqliteStore({ file: path.join(dir, 'shop.db') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const header = 'id,category,title_en,title_zh,description_en,description_zh,price,currency,stock,attributes,tags,imageUrl';

describe('import', () => {
  it('imports products from CSV (quotes, list cells, attributes), then updates on a second import', async () => {
    const file = write(
      'products.csv',
      `${header}\nX-1,bags,"Tote, canvas",帆布包,"A ""big"" tote.",大容量托特包。,129,CNY,4,color=natural|black; material=canvas,tote|canvas,\n` +
        `X-2,bags,Mini bag,迷你包,Small.,小巧。,59.5,,0,,,/img/x2.svg\n`,
    );
    expect(await importFile(store, 'products', file)).toMatchObject({ read: 2, created: 2, updated: 0 });
    const p = await store.products.get('X-1');
    expect(p).toMatchObject({
      title: { en: 'Tote, canvas', zh: '帆布包' },
      description: { en: 'A "big" tote.' },
      price: 129,
      attributes: { color: ['natural', 'black'], material: 'canvas' },
      tags: ['tote', 'canvas'],
    });
    expect((await store.products.get('X-2'))?.currency).toBe('CNY');
    expect(await importFile(store, 'products', file)).toMatchObject({ created: 0, updated: 2 });
  });

  it('rejects a file with a bad row, naming the row and field, and writes nothing', async () => {
    const file = write('bad.csv', `${header}\nY-1,bags,Ok,好,Fine.,好。,10,CNY,1,,,\nY-2,bags,Bad,坏,Bad.,坏。,-3,CNY,1,,,\n`);
    await expect(importFile(store, 'products', file)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/row 3: price/) });
    expect(await store.products.get('Y-1')).toBeNull();
  });

  it('imports a Markdown article named <slug>.<locale>.md and bumps its version on change', async () => {
    const md = (body: string) => `---\ntitle: Gift wrapping\ncategory: orders\ntags: [gift, wrap]\n---\n\n# Gift wrapping\n\n${body}\n`;
    const file = write('gift-wrap.en.md', md('We wrap any order for 5 CNY.'));
    expect(await importFile(store, 'knowledge', file)).toMatchObject({ created: 1 });
    write('gift-wrap.en.md', md('We wrap any order for 8 CNY.'));
    expect(await importFile(store, 'knowledge', file)).toMatchObject({ updated: 1 });
    expect(await store.knowledge.getBySlug('gift-wrap', 'en')).toMatchObject({ version: 2, tags: ['gift', 'wrap'], source: 'gift-wrap.en.md' });
  });

  it('says clearly what is wrong with bad JSON, a wrong shape and an unsupported file', async () => {
    await expect(importFile(store, 'customers', write('c.json', '[{"id":'))).rejects.toThrow(/not valid JSON/);
    await expect(importFile(store, 'customers', write('c2.json', '{"id":"x"}'))).rejects.toThrow(/expected a JSON array/);
    await expect(importFile(store, 'orders', write('o.csv', 'number\nSA1\n'))).rejects.toThrow(/JSON only/);
    await expect(importFile(store, 'products', write('p.xml', '<x/>'))).rejects.toThrow(/unsupported file type/);
    await expect(importFile(store, 'products', path.join(dir, 'missing.json'))).rejects.toThrow(/cannot read .*ENOENT/);
  });

  it('runs through the CLI: import prints a JSON report, bad usage exits 2', async () => {
    const env = { DATA_DIR: path.join(dir, 'cli'), LOG_LEVEL: 'warn' };
    const file = write('customers.json', JSON.stringify([{ id: 'cus_x', displayName: 'Ada', locale: 'en', vip: false, tags: [], identities: [] }]));
    const ok = await runCli(['import', 'customers', file], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: 'customers', created: 1 });
    const again = await runCli(['import', 'customers', file], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 1 });
    const bad = await runCli(['import', 'widgets', file], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: cli import/);
    const unknown = await runCli(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    // Four CLI processes, each compiling TypeScript with tsx at start: seconds each on a busy 2-core machine.
  }, 120_000);
});
