import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactUri } from '../app/config.js';

const dirs: string[] = [];
function emptyDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('defaults to SQLite under ./data/runtime on 127.0.0.1:3000', () => {
    const cwd = emptyDir();
    const c = loadConfig({}, cwd);
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe(path.join(cwd, 'data/runtime'));
    expect(c.store).toEqual({ kind: 'sqlite', file: path.join(cwd, 'data/runtime/shop.db') });
    expect(c.seedDemo).toBe(true);
    expect(c.logLevel).toBe('info');
  });

  it('switches to MongoDB when MONGODB_URI is set', () => {
    const c = loadConfig({ MONGODB_URI: 'mongodb://u:p@db.example:27017/shop', MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1500' }, emptyDir());
    expect(c.store).toEqual({ kind: 'mongo', uri: 'mongodb://u:p@db.example:27017/shop', serverSelectionTimeoutMS: 1500, socketTimeoutMS: 30_000 });
    const d = loadConfig({ MONGODB_URI: 'mongodb://db.example/shop', MONGODB_SOCKET_TIMEOUT_MS: '10000' }, emptyDir());
    expect(d.store).toMatchObject({ kind: 'mongo', socketTimeoutMS: 10_000 });
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://db.example/shop', MONGODB_SOCKET_TIMEOUT_MS: '5' }, emptyDir())).toThrow(/MONGODB_SOCKET_TIMEOUT_MS/);
  });

  it('names every bad variable, with the value it got', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', SEED_DEMO: 'maybe', MONGODB_URI: 'postgres://x' }, emptyDir());
    } catch (err) {
      expect(err).toMatchObject({ code: 'config_invalid' });
      message = (err as Error).message;
    }
    expect(message).toMatch(/PORT: .*integer.*\(got "abc"\)/);
    expect(message).toMatch(/LOG_LEVEL: .*\(got "loud"\)/);
    expect(message).toMatch(/SEED_DEMO: .*true or false/);
    expect(message).toMatch(/MONGODB_URI: must start with mongodb:\/\//);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' }, emptyDir())).toThrow(/PORT: must be at most 65535/);
  });

  it('reads .env, but a real environment variable wins', () => {
    const cwd = emptyDir();
    writeFileSync(path.join(cwd, '.env'), 'PORT=4100\nLOG_LEVEL=debug\n# comment\nDATA_DIR=./elsewhere\n');
    const c = loadConfig({ LOG_LEVEL: 'warn' }, cwd);
    expect(c.port).toBe(4100);
    expect(c.logLevel).toBe('warn');
    expect(c.dataDir).toBe(path.join(cwd, 'elsewhere'));
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '' }, emptyDir()).store.kind).toBe('sqlite');
  });

  it('redacts credentials from a URI for logs', () => {
    expect(redactUri('mongodb://admin:s3cret@h:1/db')).toBe('mongodb://***@h:1/db');
    expect(redactUri('mongodb://h:1/db')).toBe('mongodb://h:1/db');
  });
});
