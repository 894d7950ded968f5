import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';

const cwd = mkdtempSync(path.join(tmpdir(), 'sa-doors-config-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('settings of the doors (issue 14)', () => {
  it('has defaults for every bound', () => {
    const c = loadConfig({}, cwd);
    expect(c.http).toEqual({ maxConnections: 20_000, headersTimeoutMs: 15_000, requestTimeoutMs: 30_000 });
    expect(c.knowledgeSearch).toEqual({ perMinute: 120, maxQueryChars: 500 });
    expect(c.console).toMatchObject({ maxFailures: 5, lockoutMs: 15 * 60_000, ipMaxFailures: 20, ipWindowMs: 15 * 60_000, sessionPurgeMs: 10 * 60_000 });
  });

  it('MAX_CONNECTIONS follows MAX_SOCKETS unless set, and must leave room above it', () => {
    expect(loadConfig({ MAX_SOCKETS: '50000' }, cwd).http.maxConnections).toBe(60_000);
    expect(loadConfig({ MAX_SOCKETS: '100', MAX_CONNECTIONS: '500' }, cwd).http.maxConnections).toBe(500);
    expect(() => loadConfig({ MAX_SOCKETS: '100', MAX_CONNECTIONS: '100' }, cwd)).toThrow(/MAX_CONNECTIONS: must be more than MAX_SOCKETS \(100\)/);
  });

  it('refuses a headers timeout longer than the request timeout, and bad values, naming the variable', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' }, cwd)).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS \(30000\)/);
    expect(() => loadConfig({ KNOWLEDGE_SEARCH_MAX_CHARS: '0' }, cwd)).toThrow(/KNOWLEDGE_SEARCH_MAX_CHARS: must be at least 1/);
    expect(() => loadConfig({ CONSOLE_LOGIN_IP_MAX_FAILURES: 'many' }, cwd)).toThrow(/CONSOLE_LOGIN_IP_MAX_FAILURES: expected an integer/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '10' }, cwd)).toThrow(/HTTP_REQUEST_TIMEOUT_MS: must be at least 100/);
  });
});
