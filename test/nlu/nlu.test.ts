import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LexicalEmbeddings } from '../../knowledge/index.js';
import { DEFAULT_INTENTS_DIR, Nlu, OUT_OF_SCOPE, type EntityExtractorLike, type NluLogger } from '../../skills/nlu/index.js';
import type { Entity } from '../../skills/types.js';

class RecordingLogger implements NluLogger {
  lines: Array<{ level: string; msg: string; o: object }> = [];
  info(o: object, msg: string) {
    this.lines.push({ level: 'info', msg, o });
  }
  warn(o: object, msg: string) {
    this.lines.push({ level: 'warn', msg, o });
  }
}

/** Finds order numbers, the way the real extractor reports them. */
const orderNumbers: EntityExtractorLike = {
  extract: (text) =>
    [...text.matchAll(/SA\d{6}/gi)].map((m): Entity => ({ type: 'order_number', value: m[0].toUpperCase(), text: m[0], start: m.index, end: m.index + m[0].length })),
};

let dir: string;
let nlu: Nlu;
let logger: RecordingLogger;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shop-nlu-'));
  logger = new RecordingLogger();
  nlu = await Nlu.create({ embeddings: new LexicalEmbeddings(), modelId: 'lexical', modelFile: path.join(dir, 'nlu.json'), logger, entities: orderNumbers });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Nlu.parse', () => {
  it('understands the everyday EN and ZH requests', async () => {
    const track = await nlu.parse('where is my order SA100123');
    expect(track.intent).toBe('track_order');
    expect(track.language).toBe('en');
    expect(track.entities).toEqual([{ type: 'order_number', value: 'SA100123', text: 'SA100123', start: 18, end: 26 }]);
    expect((await nlu.parse('我要退货')).intent).toBe('return_item');
    expect((await nlu.parse('怎么退款')).intent).toMatch(/^refund_/);
    const human = await nlu.parse('转人工', { locale: 'en' });
    expect(human.intent).toBe('human_agent');
    expect(human.language).toBe('zh');
    expect(human.alternatives?.length).toBe(3);
    expect(human.confidence).toBeGreaterThan(human.alternatives![0]!.confidence);
  });

  it('keeps the keyword fast path for account-link codes', async () => {
    const u = await nlu.parse('link 123456');
    expect(u.intent).toBe('link_account');
    expect(u.entities).toEqual([{ type: 'link_code', value: '123456', text: '123456', start: 5, end: 11 }]);
  });

  it('never throws, whatever the string', async () => {
    const nasty = [
      '',
      '   \n\t  ',
      '😀😀😀',
      '👋',
      '🙏',
      'a'.repeat(10_000),
      '我'.repeat(10_000),
      'where\u0000is\u0007my\u001border\u200b SA100123',
      '<script>alert("x")</script><b>where is my order</b>',
      'mi pedido 我的订单 где мой заказ SA100123 🙂',
      '\ud800 lone surrogate',
      '\u202eredro ym si erehw',
      'SELECT * FROM orders; DROP TABLE users;--',
    ];
    for (const text of nasty) {
      const u = await nlu.parse(text);
      expect(typeof u.intent, JSON.stringify(text.slice(0, 30))).toBe('string');
      expect(u.confidence).toBeGreaterThanOrEqual(0);
      expect(u.confidence).toBeLessThanOrEqual(1);
      expect(['en', 'zh']).toContain(u.language);
    }
    expect((await nlu.parse('')).intent).toBe(OUT_OF_SCOPE);
    expect((await nlu.parse('   ')).intent).toBe(OUT_OF_SCOPE);
    expect((await nlu.parse('😀😀😀')).intent).toBe(OUT_OF_SCOPE);
    expect((await nlu.parse('👋')).intent).toBe('greeting');
    expect((await nlu.parse('🙏')).intent).toBe('thanks');
    expect((await nlu.parse('where\u0000is\u0007my\u001border\u200b SA100123')).intent).toBe('track_order');
    expect((await nlu.parse(12 as unknown as string)).intent).toBe(OUT_OF_SCOPE);
  });

  it('answers without entities when the extractor fails, and logs it', async () => {
    const failing: EntityExtractorLike = {
      extract: () => {
        throw new Error('boom');
      },
    };
    const warn = new RecordingLogger();
    const other = Nlu.fromClassifier(nlu.classifier, { entities: failing, logger: warn });
    const u = await other.parse('cancel order SA100555');
    expect(u.intent).toBe('cancel_order');
    expect(u.entities).toEqual([]);
    expect(warn.lines.map((l) => l.level)).toEqual(['warn']);
  });
});

describe('Nlu.create', () => {
  it('trains once, then loads the saved model; changed examples make it stale and retrain', async () => {
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(['intent model trained']);
    const file = path.join(dir, 'nlu.json');
    const again = new RecordingLogger();
    const loaded = await Nlu.create({ embeddings: new LexicalEmbeddings(), modelId: 'lexical', modelFile: file, logger: again });
    expect(again.lines.map((l) => l.msg)).toEqual(['intent model loaded']);
    const probe = ['I was charged twice', '发票怎么开', 'do you ship to Hong Kong'];
    for (const t of probe) expect((await loaded.parse(t)).intent).toBe((await nlu.parse(t)).intent);

    // A small, different example set: the fingerprint's data hash changes.
    const intents = path.join(dir, 'intents');
    await mkdir(intents);
    const en = (await readFile(path.join(DEFAULT_INTENTS_DIR, 'en.csv'), 'utf8')).split('\n').filter((l) => /,(greeting|track_order|return_item|out_of_scope)$/.test(l));
    await writeFile(path.join(intents, 'en.csv'), ['text,intent', ...en].join('\n'));
    const third = new RecordingLogger();
    const retrained = await Nlu.create({ embeddings: new LexicalEmbeddings(), modelId: 'lexical', modelFile: file, intentsDir: intents, logger: third });
    expect(third.lines.map((l) => l.msg)).toEqual(['intent model trained']);
    expect(third.lines[0]!.o).toMatchObject({ reason: 'stale: dataHash changed', intents: 4 });
    expect(retrained.classifier.classes).toEqual(['greeting', 'out_of_scope', 'return_item', 'track_order']);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { fingerprint: { dataHash: string } };
    expect(saved.fingerprint.dataHash).toBe(retrained.classifier.fingerprint.dataHash);
  });
});
