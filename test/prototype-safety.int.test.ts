/**
 * Issue 14, point 6, the leftovers, through real parts: a CSV/JSON import with prototype-named
 * product attributes (SQLite store), audit entries whose details carry an own `__proto__` key
 * (SQLite store), a turn whose annotation the store refuses (a real server, the widget's REST
 * door), and the embedding fallback's log line (a real logger).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auditor } from '../app/audit.js';
import { loadConfig } from '../app/config.js';
import { importFile } from '../app/import.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { createEmbeddings } from '../knowledge/index.js';
import { openSqliteStore, ShopError, type MessageRepository, type Store } from '../store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-prototype-safety-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const own = (o: unknown, k: string) => o !== null && typeof o === 'object' && Object.hasOwn(o, k);

describe('product import: prototype-named attributes', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openSqliteStore({ file: path.join(dir, 'import.db') });
  });
  afterAll(async () => {
    await store.close();
  });

  const header = 'id,category,title_en,title_zh,description_en,description_zh,price,currency,stock,attributes,tags,imageUrl';
  function write(name: string, content: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  }

  it('refuses a CSV attribute named __proto__ with its row, and writes nothing (it was dropped without a word)', async () => {
    const file = write(
      'proto.csv',
      `${header}\nP-1,bags,Tote,托特包,A tote.,托特包。,10,CNY,1,color=red,,\n` +
        `P-2,bags,Tote,托特包,A tote.,托特包。,10,CNY,1,__proto__=x; color=red,,\n` +
        `P-3,bags,Tote,托特包,A tote.,托特包。,10,CNY,1,size=S; __proto__=a|b,,\n` +
        `P-4,bags,Tote,托特包,A tote.,托特包。,10,CNY,1,"{""__proto__"":{""polluted"":""yes""}}",,\n`,
    );
    const err: unknown = await importFile(store, 'products', file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShopError);
    expect(err).toMatchObject({ code: 'bad_request' });
    const message = (err as Error).message;
    for (const row of [3, 4, 5]) expect(message).toContain(`row ${row}: attributes.__proto__: "__proto__" cannot be an attribute name`);
    expect(message).not.toContain('row 2:');
    for (const id of ['P-1', 'P-2', 'P-3', 'P-4']) expect(await store.products.get(id)).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses the same in a JSON file', async () => {
    const product = { id: 'J-1', category: 'bags', title: { en: 'Tote', zh: '托特包' }, description: { en: 'A tote.', zh: '托特包。' }, price: 10, currency: 'CNY', stock: 1, tags: [] };
    const file = write('proto.json', `[${JSON.stringify(product).slice(0, -1)},"attributes":{"__proto__":"x","color":"red"}}]`);
    await expect(importFile(store, 'products', file)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('row 0: attributes.__proto__') });
    expect(await store.products.get('J-1')).toBeNull();
  });

  it('keeps constructor, toString and hasOwnProperty as ordinary attributes, stored and read back', async () => {
    const file = write('names.csv', `${header}\nC-1,bags,Tote,托特包,A tote.,托特包。,10,CNY,1,constructor=y; toString=z|w; hasOwnProperty=h; color=red,,\n`);
    expect(await importFile(store, 'products', file)).toMatchObject({ read: 1, created: 1 });
    const p = await store.products.get('C-1');
    expect(Object.entries(p!.attributes).sort()).toEqual([
      ['color', 'red'],
      ['constructor', 'y'],
      ['hasOwnProperty', 'h'],
      ['toString', ['z', 'w']],
    ]);
  });
});

describe('audit entries with an own __proto__ key in their details', () => {
  it('are stored with that detail (cleaned of secrets) and nothing else lost', async () => {
    const store = await openSqliteStore({ file: path.join(dir, 'audit.db') });
    try {
      const { stream } = capture();
      const auditor = new Auditor({ store, logger: createLogger({ level: 'warn' }, stream) });
      const details = JSON.parse('{"__proto__":{"fields":["name"],"token":"t0k3n"},"reason":"ok","password":"pw"}') as Record<string, unknown>;
      await auditor.record({ actor: { kind: 'system' }, action: 'agent.update', outcome: 'ok', details });
      const [entry] = (await store.audit.list({ action: 'agent.update' })).items;
      expect(Object.keys(entry!.details!).sort()).toEqual(['__proto__', 'reason']);
      expect(own(entry!.details, '__proto__')).toBe(true);
      expect(JSON.parse(JSON.stringify(entry!.details))).toEqual(JSON.parse('{"__proto__":{"fields":["name"]},"reason":"ok"}'));
    } finally {
      await store.close();
    }
  });
});

describe('a turn whose annotation fails', () => {
  let server: RunningServer;
  const logs = capture();
  const dataDir = path.join(dir, 'server');

  beforeAll(async () => {
    mkdirSync(dataDir);
    server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, dataDir), createLogger({ level: 'warn' }, logs.stream));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  /** The next annotation goes to the store with a value it refuses (the NaN sentiment of issue 14, point 6). */
  function refuseNextAnnotation(messages: MessageRepository): void {
    const annotate = messages.annotate.bind(messages);
    messages.annotate = async (id, nlu) => {
      messages.annotate = annotate;
      return annotate(id, { ...nlu, sentiment: Number.NaN });
    };
  }

  /** The next annotation fails as if the database had just gone away. */
  function failNextAnnotation(messages: MessageRepository): void {
    const annotate = messages.annotate.bind(messages);
    messages.annotate = async () => {
      messages.annotate = annotate;
      throw new ShopError('unavailable', 'SQLite is unavailable: disk I/O error (injected)');
    };
  }

  async function visitor(): Promise<string> {
    const res = await fetch(`${server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'en' }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { visitorToken: string }).visitorToken;
  }

  async function send(token: string, id: string, text: string) {
    const res = await fetch(`${server.url}/api/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id, text }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  }

  it('is answered (200, not a 400), the failure logged at warn, and the next message is annotated again', async () => {
    const token = await visitor();
    refuseNextAnnotation(server.store.messages);
    const id = randomUUID();
    const first = await send(token, id, 'what is your return policy?');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const replies = first.body['replies'] as Array<{ sender: string; text: string }>;
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((r) => r.sender === 'bot' && r.text.length > 0)).toBe(true);
    const ack = first.body['ack'] as { messageId: string };

    const warned = logs.lines().filter((l) => l['msg'] === 'could not annotate a message; the turn goes on');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, messageId: ack.messageId, err: { type: 'ShopError', message: expect.stringMatching(/sentiment/) } });

    // The turn finished: its state was saved and the next message is understood and annotated as usual.
    const second = await send(token, randomUUID(), 'where is my order SA100123?');
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const stored = await server.store.messages.get((second.body['ack'] as { messageId: string }).messageId);
    expect(stored?.intent).toBeTruthy();
    expect((await server.store.messages.get(ack.messageId))?.text).toBe('what is your return policy?');
  });

  it('a store that does not answer still takes the store-down path: 503 store_unavailable, the retry answered from the store', async () => {
    const token = await visitor();
    failNextAnnotation(server.store.messages);
    const before = logs.lines().length;
    const id = randomUUID();
    const refused = await send(token, id, 'what is your return policy?');
    expect(refused.status).toBe(503);
    expect(refused.body['error']).toMatchObject({ code: 'unavailable', reason: 'store_unavailable' });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(logs.lines().slice(before).some((l) => l['msg'] === 'could not annotate a message; the turn goes on')).toBe(false);

    // The node pings the store, finds it answering, and the client's retry of the same id gets the stored answer.
    const deadline = Date.now() + 20_000;
    let retry = await send(token, id, 'what is your return policy?');
    while (retry.status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      retry = await send(token, id, 'what is your return policy?');
    }
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body['duplicate']).toBe(true);
    expect((retry.body['replies'] as unknown[]).length).toBeGreaterThan(0);
  }, 40_000);
});

describe('the embedding fallback', () => {
  it('logs the load failure as an error (type, message, stack), not its characters one by one', async () => {
    const { stream, lines } = capture();
    const created = await createEmbeddings({ modelId: 'missing/model', modelsDir: path.join(dir, 'no-models'), allowRemote: false, logger: createLogger({ level: 'warn' }, stream) });
    expect(created.kind).toBe('lexical');
    const [line] = lines();
    const err = line!['err'] as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'ShopError', message: expect.stringContaining('cannot load embedding model missing/model') });
    expect(typeof err['stack']).toBe('string');
    expect(own(err, '0')).toBe(false);
  });
});
