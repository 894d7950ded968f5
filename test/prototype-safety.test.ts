/**
 * Copies of other people's keys keep every key an ordinary field (issue 14, point 6, the
 * leftovers): log lines (redactDeep, the logger's fields and its merge with the request id),
 * audit details, the `err` field of a log line, and the quick replies read off an activity.
 * An own `__proto__` key — what `JSON.parse` makes of a body that names it — copied into `{}`
 * set the copy's prototype: the field vanished from the line, and its unredacted values rode
 * along on the prototype.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeDetails } from '../app/audit.js';
import { createLogger } from '../app/logger.js';
import { REDACTED, redactDeep } from '../app/redact.js';
import { activityPayload, readCards, readQuickReplies } from '../skills/index.js';

const EMAIL = 'ada@example.com';
const PHONE = '13812345678';

function capture(level: 'info' | 'debug' = 'info') {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level }, stream);
  const raw = () => chunks.join('').trim().split('\n');
  return { logger, raw, lines: () => raw().map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const own = (o: unknown, k: string) => o !== null && typeof o === 'object' && Object.hasOwn(o, k);
const get = (o: unknown, k: string) => (own(o, k) ? (o as Record<string, unknown>)[k] : undefined);

describe('redactDeep', () => {
  it('keeps an own __proto__ key as a field, redacted, and sets no prototype', () => {
    const input = JSON.parse(`{"__proto__":{"x":1,"email":"${EMAIL}"},"email":"${EMAIL}"}`) as object;
    const out = redactDeep(input) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'email']);
    expect(get(out, 'email')).toBe(REDACTED.email);
    expect(get(out, '__proto__')).toEqual({ x: 1, email: REDACTED.email });
    // Nothing is inherited from the logged key: no `x`, no unredacted e-mail behind the copy.
    const proto = Object.getPrototypeOf(out) as object | null;
    expect(proto === null || proto === Object.prototype).toBe(true);
    expect('x' in out).toBe(false);
    expect(JSON.stringify(out)).not.toContain(EMAIL);
  });

  it('keeps prototype keys at every depth and inside arrays', () => {
    const input = JSON.parse(`{"a":[{"__proto__":"${PHONE}"}],"b":{"constructor":"${EMAIL}","__proto__":[1,"${PHONE}"]}}`) as object;
    const out = redactDeep(input);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse(`{"a":[{"__proto__":"${REDACTED.phone}"}],"b":{"constructor":"${REDACTED.email}","__proto__":[1,"${REDACTED.phone}"]}}`));
    expect(get(get(out, 'b'), '__proto__')).toEqual([1, REDACTED.phone]);
  });
});

describe('the logger', () => {
  it('writes a logged own __proto__ key as a field, redacted, top-level and nested', () => {
    const { logger, raw, lines } = capture();
    logger.info(JSON.parse(`{"__proto__":{"x":1,"email":"${EMAIL}"},"email":"${EMAIL}","constructor":"${PHONE}"}`) as object, 'top');
    logger.info({ body: JSON.parse(`{"__proto__":{"phone":"${PHONE}"},"email":"${EMAIL}"}`) as object }, 'nested');
    logger.info(JSON.parse(`{"__proto__":"${PHONE}"}`) as object, 'a string under __proto__');
    const [top, nested, str] = lines();
    expect(get(top, '__proto__')).toEqual({ x: 1, email: REDACTED.email });
    expect(get(top, 'email')).toBe(REDACTED.email);
    expect(get(top, 'constructor')).toBe(REDACTED.phone);
    expect(top).toMatchObject({ msg: 'top', level: 30 });
    expect(get(get(nested, 'body'), '__proto__')).toEqual({ phone: REDACTED.phone });
    expect(get(get(nested, 'body'), 'email')).toBe(REDACTED.email);
    expect(get(str, '__proto__')).toBe(REDACTED.phone);
    for (const line of raw()) {
      expect(line).not.toContain(EMAIL);
      expect(line).not.toContain(PHONE);
    }
  });

  it('still keeps the request fields, strips query strings and censors credentials next to a __proto__ key', () => {
    const { logger, lines } = capture();
    const fields = JSON.parse(`{"__proto__":{"url":"/x?token=abc"},"url":"/api/web/messages?token=secret-token","headers":{"authorization":"Bearer s3cret","cookie":"sa=1","__proto__":{"a":"${EMAIL}"}}}`) as object;
    logger.warn(fields, 'request');
    const [line] = lines();
    expect(line).toMatchObject({ url: '/api/web/messages', headers: { authorization: '[redacted]', cookie: '[redacted]' }, msg: 'request', level: 40 });
    expect(get(get(line, 'headers'), '__proto__')).toEqual({ a: REDACTED.email });
    // Nested values are redacted for PII; the url rule is for top-level fields (as before).
    expect(get(line, '__proto__')).toEqual({ url: '/x?token=abc' });
    expect(JSON.stringify(line)).not.toContain('secret-token');
    expect(JSON.stringify(line)).not.toContain('s3cret');
  });

  it('logs a non-Error `err` as what it is: a string or number as { message }, an object as its redacted copy', () => {
    const { logger, lines } = capture();
    logger.warn({ err: `cannot reach ${PHONE}` }, 'a string');
    logger.warn({ err: 42 }, 'a number');
    logger.warn({ err: { code: 'E_X', detail: EMAIL, toString: null } }, 'an object without a message');
    logger.warn({ err: null }, 'null');
    logger.warn({ err: new TypeError(`bad ${EMAIL}`) }, 'an Error');
    const [str, num, obj, nul, error] = lines();
    expect(str!['err']).toEqual({ message: `cannot reach ${REDACTED.phone}` });
    expect(num!['err']).toEqual({ message: '42' });
    expect(obj!['err']).toEqual({ code: 'E_X', detail: REDACTED.email, toString: null });
    expect(nul!['err']).toBeNull();
    expect(error!['err']).toMatchObject({ type: 'TypeError', message: `bad ${REDACTED.email}` });
    expect((error!['err'] as { stack: string }).stack).toContain('TypeError');
  });
});

describe('audit details', () => {
  it('keep an own __proto__ key as a detail, cleaned of forbidden keys, and set no prototype', () => {
    const details = JSON.parse('{"__proto__":{"reason":"x","token":"t0k3n","password":"pw"},"email":"a@b.co","reason":"ok","fields":["name"]}') as Record<string, unknown>;
    const out = safeDetails(details)!;
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'fields', 'reason']);
    expect(get(out, '__proto__')).toEqual({ reason: 'x' });
    const proto = Object.getPrototypeOf(out) as object | null;
    expect(proto === null || proto === Object.prototype).toBe(true);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__":{"reason":"x"},"reason":"ok","fields":["name"]}'));
    expect(JSON.stringify(out)).not.toMatch(/t0k3n|pw|a@b\.co/);
  });

  it('keep the other prototype names as ordinary details', () => {
    const out = safeDetails(JSON.parse('{"constructor":"c","toString":"s","hasOwnProperty":"h","valueOf":{"__proto__":"v"}}') as Record<string, unknown>)!;
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"constructor":"c","toString":"s","hasOwnProperty":"h","valueOf":{"__proto__":"v"}}'));
  });
});

describe('quick replies and cards read off an activity', () => {
  it('never throw on an inbound activity: a value whose toString is null, null entries, a non-array', () => {
    const hostile = { toString: null, valueOf: null };
    const activity = {
      suggestedActions: {
        to: [],
        actions: [{ type: 'imBack', value: hostile }, null, 'x', { title: 'Yes', value: 'yes' }, { value: 7 }, { title: 5, value: Object.create(null) as object }, { title: hostile, value: 'ok' }, {}],
      },
    } as never;
    expect(readQuickReplies(activity)).toEqual([
      { title: 'Yes', value: 'yes' },
      { title: '7', value: '' },
      { title: '5', value: '5' },
      { title: 'ok', value: 'ok' },
    ]);
    expect(activityPayload(activity)).toEqual({ suggestedActions: readQuickReplies(activity) });
    for (const suggestedActions of [null, 'x', 3, { actions: 'x' }, { actions: { length: 2 } }, { actions: null }, [], JSON.parse('{"__proto__":{"actions":[{"title":"p"}]}}')]) {
      expect(readQuickReplies({ suggestedActions } as never)).toEqual([]);
    }
    for (const attachments of [null, 'x', { length: 1 }, [null, 'x', { contentType: hostile }]]) {
      expect(readCards({ attachments } as never)).toEqual([]);
    }
  });

  it('are total over any JSON-like value (fast-check), every reply a pair of strings', () => {
    const anything = fc.anything({ withNullPrototype: true, withBoxedValues: true, withObjectString: true, maxDepth: 3 });
    fc.assert(
      fc.property(anything, fc.array(fc.oneof(anything, fc.record({ title: anything, value: anything }, { requiredKeys: [] }))), (suggested, actions) => {
        for (const activity of [{ suggestedActions: suggested }, { suggestedActions: { actions } }, { attachments: actions }]) {
          const replies = readQuickReplies(activity as never);
          for (const r of replies) {
            expect(typeof r.title).toBe('string');
            expect(typeof r.value).toBe('string');
          }
          expect(Array.isArray(readCards(activity as never))).toBe(true);
          activityPayload(activity as never);
        }
      }),
      { numRuns: 300 },
    );
  });
});
