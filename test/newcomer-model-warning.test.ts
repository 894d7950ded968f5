import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../app/logger.js';
import { createEmbeddings } from '../knowledge/index.js';

/**
 * The "no model" warning a newcomer sees on `npm start` without an installed sentence model
 * (issue 15, point 5): the error is one readable message string, whatever the logger, and the
 * line names the command that installs the model.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'sa-newcomer-model-'));
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

const DEFAULT_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

describe('the lexical fallback warning', () => {
  it('logs the error as a message string and names `npm run cli -- models:pull <model>` (the app logger)', async () => {
    const { stream, lines } = capture();
    const modelsDir = path.join(dir, 'models');
    const created = await createEmbeddings({ modelId: DEFAULT_MODEL, modelsDir, allowRemote: false, logger: createLogger({ level: 'warn' }, stream) });
    expect(created.kind).toBe('lexical');
    const logged = lines();
    expect(logged).toHaveLength(1);
    const line = logged[0]!;
    expect(line['level']).toBe(40);
    expect(typeof line['error']).toBe('string');
    expect(line['error']).toContain(`cannot load embedding model ${DEFAULT_MODEL}`);
    expect(line['fix']).toBe(`npm run cli -- models:pull ${DEFAULT_MODEL}`);
    expect(line['modelsDir']).toBe(modelsDir);
    const msg = String(line['msg']);
    expect(msg).toContain(`falling back to lexical embeddings`);
    expect(msg).toContain(`Install it with \`npm run cli -- models:pull ${DEFAULT_MODEL}\` (MODELS_DIR ${modelsDir}) and restart`);
    expect(msg).toContain('EMBEDDINGS_MODEL=lexical');
    // No key of the line is a character index of a spread string or error.
    expect(Object.keys(line).filter((k) => /^\d+$/.test(k))).toEqual([]);
    expect(msg).not.toMatch(/\.\. /);
  });

  it('is just as readable through a logger that copies the fields it is given (no error serialiser)', async () => {
    const lines: string[] = [];
    await createEmbeddings({
      modelId: DEFAULT_MODEL,
      modelsDir: path.join(dir, 'other'),
      allowRemote: false,
      logger: { warn: (obj, msg) => lines.push(JSON.stringify({ ...obj, msg })) },
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line['error']).toEqual(expect.stringContaining(`cannot load embedding model ${DEFAULT_MODEL}`));
    expect(line['msg']).toEqual(expect.stringContaining(`npm run cli -- models:pull ${DEFAULT_MODEL}`));
  });

  it('for a model models:pull does not know, points at models:list instead of a pull that would fail', async () => {
    const { stream, lines } = capture();
    await createEmbeddings({ modelId: 'acme/own-model', modelsDir: path.join(dir, 'models'), allowRemote: false, logger: createLogger({ level: 'warn' }, stream) });
    const line = lines()[0]!;
    expect(line['fix']).toBe('npm run cli -- models:list');
    expect(String(line['msg'])).toContain('`npm run cli -- models:pull` installs only the models `npm run cli -- models:list` shows');
    expect(String(line['msg'])).not.toContain('models:pull acme/own-model');
  });
});
