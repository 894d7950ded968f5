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

  it('TRUST_PROXY: false (default), true, or the number of proxies in front (0-10), given as express takes it', () => {
    const trust = (v?: string) => loadConfig(v === undefined ? {} : { TRUST_PROXY: v }, emptyDir()).trustProxy;
    expect(trust()).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust(' TRUE ')).toBe(true);
    // A number is a hop count, never "true": TRUST_PROXY=1 trusts the one proxy in front, not every X-Forwarded-For entry.
    expect(trust('1')).toBe(1);
    expect(trust('0')).toBe(0);
    expect(trust('2')).toBe(2);
    expect(trust('10')).toBe(10);
    for (const bad of ['11', '-1', '1.5', 'yes', 'loopback', '10.0.0.1', '1e1', '0x1']) {
      let message = '';
      try {
        trust(bad);
      } catch (err) {
        expect(err).toMatchObject({ code: 'config_invalid', details: { variables: ['TRUST_PROXY'] } });
        message = (err as Error).message;
      }
      expect(message).toMatch(/TRUST_PROXY: must be false, true, or the number of proxies in front of the server \(an integer from 0 to 10\)/);
    }
  });

  it('SERVICE_HOURS: every day 09:00-22:00 in SHOP_TIME_ZONE (Asia/Shanghai) by default; weekdays, several windows, a zone, past midnight, 24/7', () => {
    const hours = (env: Record<string, string>) => loadConfig(env, emptyDir()).serviceHours;
    const everyDay = [0, 1, 2, 3, 4, 5, 6];
    expect(hours({})).toEqual({ windows: [{ days: everyDay, opens: 9 * 60, closes: 22 * 60 }], timeZone: 'Asia/Shanghai' });
    // The shop's time zone unless the setting names one.
    expect(hours({ SHOP_TIME_ZONE: 'Europe/Berlin' }).timeZone).toBe('Europe/Berlin');
    expect(hours({ SERVICE_HOURS: '08:00-20:00 America/New_York', SHOP_TIME_ZONE: 'Europe/Berlin' })).toEqual({
      windows: [{ days: everyDay, opens: 8 * 60, closes: 20 * 60 }],
      timeZone: 'America/New_York',
    });
    expect(hours({ SERVICE_HOURS: 'Mon-Fri 09:00-18:00; Sat 10:00-16:00', SHOP_TIME_ZONE: 'Europe/Berlin' })).toEqual({
      windows: [
        { days: [1, 2, 3, 4, 5], opens: 9 * 60, closes: 18 * 60 },
        { days: [6], opens: 10 * 60, closes: 16 * 60 },
      ],
      timeZone: 'Europe/Berlin',
    });
    // Spaces and an en dash read the same; a day list and a range that wraps over the weekend.
    expect(hours({ SERVICE_HOURS: 'mon - fri 08:30 – 17:30' }).windows).toEqual([{ days: [1, 2, 3, 4, 5], opens: 510, closes: 1050 }]);
    expect(hours({ SERVICE_HOURS: 'Sat, Sun 10:00-14:00' }).windows).toEqual([{ days: [6, 0], opens: 600, closes: 840 }]);
    expect(hours({ SERVICE_HOURS: 'Fri-Mon 12:00-24:00' }).windows).toEqual([{ days: [5, 6, 0, 1], opens: 720, closes: 1440 }]);
    // Closing at or before opening: past midnight.
    expect(hours({ SERVICE_HOURS: '20:00-02:00' }).windows).toEqual([{ days: everyDay, opens: 1200, closes: 120 }]);
    expect(hours({ SERVICE_HOURS: '24/7' })).toEqual({ windows: [{ days: everyDay, opens: 0, closes: 1440 }], timeZone: 'Asia/Shanghai' });
  });

  it('SERVICE_HOURS: a malformed value is config_invalid naming the variable, what is wrong and the value', () => {
    const cases: Array<[string, RegExp]> = [
      ['9-5', /"9-5": times are HH:MM on a 24-hour clock/],
      ['25:00-26:00', /times are HH:MM on a 24-hour clock, 00:00 to 23:59 \(24:00 as a closing time\)/],
      ['24:00-08:00', /times are HH:MM/],
      ['09:00-09:00', /opens and closes at the same time \(around the clock is "24\/7"\)/],
      ['Someday 09:00-17:00', /"Someday" is not a weekday or a range of them \(Mon, Tue, Wed, Thu, Fri, Sat, Sun; e\.g\. Mon-Fri\)/],
      ['Mon-Fri', /"Mon-Fri" is not a time window: expected "HH:MM-HH:MM" every day/],
      ['always', /"always" is not a time window/],
      ['09:00-22:00 Mars/Olympus', /"Mars\/Olympus" is not an IANA time zone such as Asia\/Shanghai/],
      ['Mon-Fri 09:00-18:00;', /"" is not a time window/],
    ];
    for (const [value, expected] of cases) {
      let message = '';
      try {
        loadConfig({ SERVICE_HOURS: value }, emptyDir());
      } catch (err) {
        expect(err).toMatchObject({ code: 'config_invalid', details: { variables: ['SERVICE_HOURS'] } });
        message = (err as Error).message;
      }
      expect(message, value).toMatch(/SERVICE_HOURS: /);
      expect(message, value).toMatch(expected);
      expect(message, value).toContain(`(got ${JSON.stringify(value)})`);
    }
  });

  it('ORDER_NUMBER_PATTERN: several formats, separated by a comma or a top-level "|"; the first gives the example', () => {
    const orders = (env: Record<string, string>) => loadConfig(env, emptyDir()).orderNumbers;
    expect(orders({ ORDER_NUMBER_PATTERN: 'SA\\d{6},\\d{8,20}' })).toEqual({
      source: '(?:SA\\d{6})|(?:\\d{8,20})',
      example: 'SA100123',
      prefix: 'SA',
      patterns: ['SA\\d{6}', '\\d{8,20}'],
    });
    // "|" at the top level is the same list; inside a group it stays part of one pattern.
    expect(orders({ ORDER_NUMBER_PATTERN: '^\\d{8,20}$ | SA\\d{6}' })).toMatchObject({ example: '10012345', prefix: 'SA', patterns: ['\\d{8,20}', 'SA\\d{6}'] });
    expect(orders({ ORDER_NUMBER_PATTERN: '(?:SA|SB)\\d{6}' })).toEqual({ source: '(?:SA|SB)\\d{6}', example: 'SA100123', prefix: '' });
    // The example may be any one of the shop's numbers.
    expect(orders({ ORDER_NUMBER_PATTERN: 'SA\\d{6},\\d{8,20}', ORDER_NUMBER_EXAMPLE: '00004587345' }).example).toBe('00004587345');
  });

  it('ORDER_NUMBER_PATTERN: a bad pattern in a list is config_invalid naming which one and why', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ORDER_NUMBER_PATTERN: 'SA\\d{6},(\\d+)+' }, /pattern 2 \("\(\\\\d\+\)\+"\) repeats a group that itself branches or repeats/],
      [{ ORDER_NUMBER_PATTERN: 'SA\\d{6},,\\d{10}' }, /has an empty pattern \(number 2\)/],
      [{ ORDER_NUMBER_PATTERN: 'SA\\d{6},\\d{2}' }, /pattern 2 .* fewer than 3 digits/],
      [{ ORDER_NUMBER_PATTERN: Array.from({ length: 9 }, (_, i) => `A${i}\\d{6}`).join(',') }, /lists 9 patterns; at most 8/],
      [{ ORDER_NUMBER_PATTERN: 'SA\\d{6},\\d{10}', ORDER_NUMBER_EXAMPLE: 'XY1' }, /does not match ORDER_NUMBER_EXAMPLE "XY1"/],
    ];
    for (const [env, expected] of cases) {
      let message = '';
      try {
        loadConfig(env, emptyDir());
      } catch (err) {
        expect(err).toMatchObject({ code: 'config_invalid' });
        message = (err as Error).message;
      }
      expect(message, env['ORDER_NUMBER_PATTERN']).toMatch(/ORDER_NUMBER_PATTERN: /);
      expect(message, env['ORDER_NUMBER_PATTERN']).toMatch(expected);
    }
  });

  it('EMBEDDINGS_MODEL_ZH: none by default, auto or a model id, never lexical', () => {
    expect(loadConfig({}, emptyDir()).models.embeddingsModelZh).toBe('none');
    expect(loadConfig({ EMBEDDINGS_MODEL_ZH: 'auto' }, emptyDir()).models.embeddingsModelZh).toBe('auto');
    expect(loadConfig({ EMBEDDINGS_MODEL_ZH: 'none' }, emptyDir()).models.embeddingsModelZh).toBe('none');
    expect(loadConfig({ EMBEDDINGS_MODEL_ZH: ' intfloat/multilingual-e5-small ' }, emptyDir()).models.embeddingsModelZh).toBe('intfloat/multilingual-e5-small');
    expect(() => loadConfig({ EMBEDDINGS_MODEL_ZH: 'lexical' }, emptyDir())).toThrow(/EMBEDDINGS_MODEL_ZH.*use none/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '' }, emptyDir()).store.kind).toBe('sqlite');
  });

  it('redacts credentials from a URI for logs', () => {
    expect(redactUri('mongodb://admin:s3cret@h:1/db')).toBe('mongodb://***@h:1/db');
    expect(redactUri('mongodb://h:1/db')).toBe('mongodb://h:1/db');
  });
});
