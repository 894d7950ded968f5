import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { safeParse } from '../store/index.js';
import { startShopServer, type ShopServer } from './helpers/shop-server.js';

// Values JSON.parse can produce that zod 4's length checks choke on: `.min`/`.max` run on a
// wrong-typed value that has a `length`, and comparing an array of unprintable objects with a
// number throws a TypeError inside safeParse — which every door turned into a 500.
const HOSTILE: unknown[] = [
  JSON.parse('{"length":[{"toString":null}]}'),
  JSON.parse('{"length":{"toString":null,"valueOf":null}}'),
  JSON.parse('[{"toString":null}]'),
  JSON.parse('{"toString":null,"valueOf":null}'),
];

const schemas = {
  'string with length checks': z.string().trim().min(1).max(64),
  'array with length checks': z.array(z.string()).min(1).max(5),
  'object of both': z.object({ id: z.string().min(1).max(64), tags: z.array(z.string()).max(3) }),
  'discriminated union': z.discriminatedUnion('type', [z.object({ type: z.literal('message'), text: z.string().max(10) }), z.object({ type: z.literal('ping') })]),
};

describe('safeParse: hostile input is a validation failure, never a throw', () => {
  it('the raw zod call really throws on these values (the bug this wrapper exists for)', () => {
    expect(() => z.string().max(10).safeParse(HOSTILE[0])).toThrow(TypeError);
  });

  for (const [name, schema] of Object.entries(schemas)) {
    it(name, () => {
      for (const value of HOSTILE) {
        for (const input of [value, { id: value, tags: value, text: value, type: 'message' }]) {
          const r = safeParse(schema, input);
          expect(r.success).toBe(false);
          expect(r.error!.issues.length).toBeGreaterThan(0);
          expect(typeof r.error!.issues[0]!.message).toBe('string');
        }
      }
    });
  }

  it('valid input still parses to the schema output', () => {
    expect(safeParse(schemas['object of both'], { id: 'a', tags: ['x'] })).toEqual({ success: true, data: { id: 'a', tags: ['x'] } });
    expect(safeParse(schemas['string with length checks'], '  hi  ')).toEqual({ success: true, data: 'hi' });
  });
});

describe('the real server answers such bodies with 400, not 500', () => {
  let shop: ShopServer;
  beforeAll(async () => {
    shop = await startShopServer('sa-validate-', 'validatetoken');
  }, 120_000);
  afterAll(async () => {
    await shop?.close();
  });

  it('widget session and messages, console login', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${shop.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const session = (await (await post('/api/web/session', '{}')).json()) as { visitorToken: string };
    const auth = { authorization: `Bearer ${session.visitorToken}` };
    const hostile = '{"length":[{"toString":null}]}';
    const cases: Array<[string, string, Record<string, string>]> = [
      ['/api/web/session', `{"locale":${hostile}}`, {}],
      ['/api/web/session', `{"visitorToken":${hostile}}`, {}],
      ['/api/web/messages', `{"id":"m-1","text":${hostile}}`, auth],
      ['/api/web/messages', `{"id":${hostile},"text":"hello"}`, auth],
      ['/api/console/login', `{"email":${hostile},"password":"x"}`, {}],
    ];
    for (const [path, body, headers] of cases) {
      const res = await post(path, body, headers);
      expect(res.status, `${path} ${body}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${body}`).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/bad_request|unauthorized|rate_limited/);
    }
    expect((await fetch(`${shop.server.url}/healthz`)).status).toBe(200);
  });
});
