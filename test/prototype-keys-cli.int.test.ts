/**
 * Issue 14, point 6, on the command line: a command or model name spelled like an
 * Object.prototype property is an unknown name (exit 2 with the usual message), never
 * `Object` itself run as a command or trained as a model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/processes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-proto-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI names that are prototype keys', () => {
  it('"constructor" is an unknown command, and an unknown recommender model', async () => {
    const ratings = path.join(dir, 'ratings.csv');
    writeFileSync(ratings, `userId,itemId,rating,timestamp\n${Array.from({ length: 20 }, (_, k) => `u${k % 4},i${k % 5},${1 + (k % 5)},${1600000000 + k}`).join('\n')}\n`);
    const env = { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' };
    // Two processes at once: each compiles TypeScript with tsx at start, seconds on a busy machine.
    const [command, model] = await Promise.all([runCli(['constructor'], env), runCli(['rec:eval', '--ratings', ratings, '--models', 'global-mean,constructor'], env)]);
    expect(command.code, command.stderr).toBe(2);
    expect(command.stderr).toMatch(/^Unknown command "constructor"/);
    expect(model.code, model.stderr).toBe(2);
    expect(model.stderr).toMatch(/unknown model "constructor"; known: global-mean/);
  }, 120_000);
});
