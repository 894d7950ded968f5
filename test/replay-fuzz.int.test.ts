/**
 * Fuzzing the signatures the way an attacker would (fast-check, issue 14 point 4): start from a
 * call the shop's backend really signed (and WeChat really sent), captured on the way, and
 * tamper with it — bit flips in the signature, swapped headers and parameters, duplicated
 * headers and query parameters, case games (header names, values, the path), Unicode lookalikes,
 * huge, negative and malformed timestamps (also correctly signed by us: the window must hold
 * even then), another method, path, key or body. Every case must be refused with 401 and our
 * JSON error — never a 5xx, never another status — and nothing may be stored. Raw HTTP, so the
 * bytes are exactly the attacker's. FUZZ_SEED reproduces a run, FUZZ_RUNS scales it.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../channels/app/index.js';
import { wechatSignature } from '../channels/wechat/index.js';
import type { ShopServer } from './helpers/shop-server.js';
import {
  APP_SECRET,
  appHeaders,
  appMessage,
  BASE,
  inboundTexts,
  nowSeconds,
  postWeChat,
  rawRequest,
  signAppCall,
  startReplayServer,
  WECHAT_TOKEN,
  wechatQuery,
  wechatText,
  type AppCall,
  type RawResponse,
} from './replay-support.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

let shop: ShopServer;
let url = '';
const statuses = new Map<number, number>();
const processErrors: unknown[] = [];
const onProcessError = (e: unknown) => processErrors.push(e);

/** What the attacker captured: a message POST (already answered) and a poll GET (already used). */
let post: AppCall;
let poll: AppCall;
/** WeChat's signed query string and the message it carried (already answered). */
let wxQuery: URLSearchParams;
let wxBody = '';
const USER = 'u-fuzz-victim';
const OPENID = 'oWx_fuzz_victim';

beforeAll(async () => {
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  shop = await startReplayServer('sa-replay-fuzz-', { RATE_LIMIT_IP_PER_MINUTE: '1000000', RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000' });
  url = shop.server.url;
  console.log(`replay fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces it)`);
}, 120_000);

afterAll(async () => {
  console.log(`replay fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  await shop?.close();
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
});

/** The inbound texts stored for a channel account. */
const stored = (channel: 'app' | 'wechat', externalId: string) => inboundTexts(shop, channel, externalId);

function expectRefused(res: RawResponse, what: string): void {
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const where = `${what} -> ${res.status} ${res.body.slice(0, 300)}`;
  expect(res.status, where).toBe(401);
  expect(res.json().error?.code, where).toBe('unauthorized');
}

// ------------------------------------------------------------------------------ tampering

/** Lookalikes an attacker may slip in: fullwidth and Arabic-Indic digits, Cyrillic and Greek letters, fullwidth punctuation. */
const LOOKALIKES: Record<string, string[]> = {
  '0': ['０', '٠', 'О'],
  '1': ['１', '١', 'l', 'І'],
  '2': ['２', '٢'],
  '5': ['５', '٥'],
  '7': ['７', '٧'],
  '9': ['９', '٩'],
  a: ['а', 'ɑ'],
  c: ['с', 'ϲ'],
  e: ['е', 'ё'],
  p: ['р'],
  o: ['о', 'ο'],
  v: ['ν', 'ѵ'],
  '=': ['＝', '⁼'],
  ':': ['：', '꞉'],
  '/': ['／', '∕'],
  '-': ['‐', '−'],
};

/** Replaces the `at`-th character that has a lookalike (if any) by its `pick`-th lookalike. */
function lookalike(s: string, at: number, pick: number): string {
  const spots = [...s].map((ch, i) => [ch, i] as const).filter(([ch]) => LOOKALIKES[ch.toLowerCase()] || LOOKALIKES[ch]);
  if (spots.length === 0) return `${s}\u0430`;
  const [ch, i] = spots[at % spots.length]!;
  const choices = LOOKALIKES[ch] ?? LOOKALIKES[ch.toLowerCase()]!;
  const chars = [...s];
  chars[i] = choices[pick % choices.length]!;
  return chars.join('');
}

/** Header names in random case: the same header to HTTP, so it must change nothing. */
function caseGame(name: string, seed: number): string {
  return [...name].map((ch, i) => ((seed >> i % 30) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join('');
}

const percentEncode = (s: string) => [...s].map((ch) => (/^[\x21-\x7e]$/.test(ch) ? ch : encodeURIComponent(ch))).join('');

function flipBit(hex: string, bit: number): string {
  const bytes = Buffer.from(hex, 'hex');
  const b = bit % (bytes.length * 8);
  bytes[b >> 3]! ^= 1 << (b & 7);
  return bytes.toString('hex');
}

const HUGE_OR_NEGATIVE = fc.oneof(
  fc.integer({ min: 13, max: 400 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 400, max: 100_000_000 }).map((d) => String(nowSeconds() + d)), // ahead of the window, up to years
  fc.integer({ min: 400, max: 1_700_000_000 }).map((d) => String(nowSeconds() - d)), // behind it, back to 1970
  fc.constantFrom('0', '1', '999999999999', String(Number.MAX_SAFE_INTEGER), '1e10', '0x69a0e800', 'Infinity', 'NaN', ''),
  fc.integer({ min: 1, max: 2 ** 31 }).map((n) => `-${n}`),
  fc.constant(null).map(() => `-${nowSeconds()}`),
  fc.constant(null).map(() => `${nowSeconds()}000`), // milliseconds
  fc.constant(null).map(() => `+${nowSeconds()}`),
  fc.constant(null).map(() => `${nowSeconds()}.0`),
);

type AppTamper =
  | { kind: 'bitFlip'; base: 'post' | 'poll'; bit: number }
  | { kind: 'swapHeaders'; base: 'post' | 'poll'; pair: 0 | 1 | 2 }
  | { kind: 'dupHeader'; base: 'post' | 'poll'; which: 0 | 1 | 2; second: string }
  | { kind: 'dupQuery'; base: 'post' | 'poll'; extra: string }
  | { kind: 'valueCase'; base: 'post' | 'poll'; where: 0 | 1 | 2; at: number }
  | { kind: 'lookalike'; base: 'post' | 'poll'; where: 0 | 1 | 2 | 3; at: number; pick: number }
  | { kind: 'timestamp'; base: 'post' | 'poll'; timestamp: string; resign: boolean }
  | { kind: 'method'; base: 'post' | 'poll' }
  | { kind: 'newKey'; key: string }
  | { kind: 'body'; at: number; insert: string }
  | { kind: 'path'; base: 'post' | 'poll'; suffix: string }
  | { kind: 'hexCaseReplay'; seed: number };

const base = fc.constantFrom<'post' | 'poll'>('post', 'poll');
const appTamper: fc.Arbitrary<AppTamper> = fc.oneof(
  fc.record({ kind: fc.constant('bitFlip' as const), base, bit: fc.nat(255) }),
  fc.record({ kind: fc.constant('swapHeaders' as const), base, pair: fc.constantFrom<0 | 1 | 2>(0, 1, 2) }),
  fc.record({ kind: fc.constant('dupHeader' as const), base, which: fc.constantFrom<0 | 1 | 2>(0, 1, 2), second: fc.oneof(fc.constant('same'), fc.string({ maxLength: 70 }).map((s) => s.replace(/[^\x21-\x7e]/g, '') || 'x')) }),
  fc.record({ kind: fc.constant('dupQuery' as const), base, extra: fc.constantFrom('after=0', 'after=5', 'wait=0', 'after=0&after=0', 'userId=u-other', 'x=1') }),
  fc.record({ kind: fc.constant('valueCase' as const), base, where: fc.constantFrom<0 | 1 | 2>(0, 1, 2), at: fc.nat() }),
  fc.record({ kind: fc.constant('lookalike' as const), base, where: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), at: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('timestamp' as const), base, timestamp: HUGE_OR_NEGATIVE, resign: fc.boolean() }),
  fc.record({ kind: fc.constant('method' as const), base }),
  fc.record({ kind: fc.constant('newKey' as const), key: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.replace(/[^\x21-\x7e]/g, '') || 'k')) }),
  fc.record({ kind: fc.constant('body' as const), at: fc.nat(), insert: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom(' ', '\n', '{}', '"', '\u0000', 'é')) }),
  // Paths that still reach the signed handlers (a path that routes nowhere is a 404 before any signature check).
  fc.record({ kind: fc.constant('path' as const), base, suffix: fc.constantFrom('/', '?', '?x=1', 'app:u-other', `app%3A${USER}`) }),
  fc.record({ kind: fc.constant('hexCaseReplay' as const), seed: fc.nat() }),
);

/** The request an attacker sends for a tampering of a captured call. */
function tamperApp(t: AppTamper, headerSeed: number): { method: string; target: string; headers: Array<[string, string]>; body?: string } {
  const orig = t.kind === 'newKey' || t.kind === 'body' || t.kind === 'hexCaseReplay' ? (t.kind === 'hexCaseReplay' ? poll : post) : t.base === 'post' ? post : poll;
  let call: AppCall = { ...orig };
  let headers = appHeaders(call);
  const set = (name: string, value: string) => {
    headers = headers.map(([k, v]) => [k, k === name ? value : v]);
  };
  switch (t.kind) {
    case 'bitFlip':
      set('X-Shop-Signature', `v1=${flipBit(call.signature.slice(3), t.bit)}`);
      break;
    case 'swapHeaders': {
      const names = [
        ['X-Shop-Timestamp', 'X-Shop-Signature'],
        ['X-Shop-Timestamp', 'Idempotency-Key'],
        ['X-Shop-Signature', 'Idempotency-Key'],
      ][t.pair]!;
      const value = (n: string) => headers.find(([k]) => k === n)?.[1];
      const [a, b] = [value(names[0]!), value(names[1]!)];
      if (b === undefined) headers = headers.filter(([k]) => k !== names[0]).concat([[names[1]!, a!]]); // a GET has no key: move the value over
      else {
        set(names[0]!, b);
        set(names[1]!, a!);
      }
      break;
    }
    case 'dupHeader': {
      const name = ['X-Shop-Signature', 'X-Shop-Timestamp', 'Idempotency-Key'][t.which]!;
      const current = headers.find(([k]) => k === name)?.[1] ?? call.signature;
      headers.push([name, t.second === 'same' ? current : t.second]);
      if (name === 'Idempotency-Key' && !call.key) headers.push([name, 'second-key']); // a GET: two keys where none was signed
      break;
    }
    case 'dupQuery':
      call = { ...call, target: `${call.target}${call.target.includes('?') ? '&' : '?'}${t.extra}` };
      break;
    case 'valueCase': {
      if (t.where === 0) set('X-Shop-Signature', `V1=${call.signature.slice(3)}`);
      else if (t.where === 1 && call.key) set('Idempotency-Key', call.key.toUpperCase() === call.key ? call.key.toLowerCase() : call.key.toUpperCase());
      else {
        // The path in another case: express routes it to the same handler; the signature covers it as sent.
        const letters = [...call.target].map((ch, i) => [ch, i] as const).filter(([ch]) => /[a-z]/.test(ch));
        const [, i] = letters[t.at % letters.length]!;
        call = { ...call, target: call.target.slice(0, i) + call.target[i]!.toUpperCase() + call.target.slice(i + 1) };
      }
      break;
    }
    case 'lookalike':
      if (t.where === 0) set('X-Shop-Signature', lookalike(call.signature, t.at, t.pick));
      else if (t.where === 1) set('X-Shop-Timestamp', lookalike(call.timestamp, t.at, t.pick));
      else if (t.where === 2 && call.key) set('Idempotency-Key', lookalike(call.key, t.at, t.pick));
      else {
        // In the conversation handle (a lookalike elsewhere in the path routes nowhere: 404 before any signature check).
        const handle = `app:${USER}`;
        call = { ...call, target: call.target.replace(handle, percentEncode(lookalike(handle, t.at, t.pick))) };
      }
      break;
    case 'timestamp':
      if (t.resign) {
        // Correctly signed by someone with the secret: the window alone must refuse it.
        const signature = signRequest(APP_SECRET, { method: call.method, target: call.target, timestamp: t.timestamp, idempotencyKey: call.key ?? '', body: call.body });
        set('X-Shop-Signature', signature);
      }
      set('X-Shop-Timestamp', t.timestamp);
      if (t.timestamp === '') headers = headers.filter(([k]) => k !== 'X-Shop-Timestamp');
      break;
    case 'method':
      call = { ...call, method: call.method === 'POST' ? 'GET' : 'POST', body: call.method === 'POST' ? undefined : '' };
      break;
    case 'newKey':
      set('Idempotency-Key', t.key === call.key ? `${t.key}x` : t.key);
      break;
    case 'body': {
      const b = call.body!;
      const at = t.at % (b.length + 1);
      call = { ...call, body: b.slice(0, at) + t.insert + b.slice(at) };
      break;
    }
    case 'path':
      if (t.suffix.startsWith('app')) call = { ...call, target: call.target.replace(`app:${USER}`, t.suffix) }; else if (call.target.includes('?')) call = { ...call, target: t.suffix === '/' ? call.target.replace('?', '/?') : `${call.target}${t.suffix === '?' ? '&' : t.suffix}` };
      else call = { ...call, target: `${call.target}${t.suffix}` };
      break;
    case 'hexCaseReplay':
      // The used GET again, its signature's hex in another case: the same MAC, so a replay.
      set('X-Shop-Signature', `v1=${[...call.signature.slice(3)].map((ch, i) => ((t.seed >> i % 30) & 1 ? ch.toUpperCase() : ch)).join('')}`);
      break;
  }
  return {
    method: call.method,
    target: call.target,
    headers: headers.map(([k, v]) => [caseGame(k, headerSeed), v]),
    body: call.method === 'POST' ? (call.body ?? '') : undefined,
  };
}

// ------------------------------------------------------------------------------------ WeChat

type WxTamper =
  | { kind: 'bitFlip'; at: number }
  | { kind: 'swap' }
  | { kind: 'dupParam'; name: 'timestamp' | 'nonce' | 'signature'; value: string }
  | { kind: 'nameCase'; name: 'timestamp' | 'nonce' | 'signature' }
  | { kind: 'lookalike'; name: 'timestamp' | 'nonce' | 'signature'; at: number; pick: number }
  | { kind: 'timestamp'; timestamp: string; resign: boolean }
  | { kind: 'forgedBody'; text: string; otherSender: boolean; upperSignature: boolean };

const wxName = fc.constantFrom<'timestamp' | 'nonce' | 'signature'>('timestamp', 'nonce', 'signature');
const wxTamper: fc.Arbitrary<WxTamper> = fc.oneof(
  fc.record({ kind: fc.constant('bitFlip' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const) }),
  fc.record({ kind: fc.constant('dupParam' as const), name: wxName, value: fc.oneof(fc.constant('same'), fc.string({ maxLength: 20 })) }),
  fc.record({ kind: fc.constant('nameCase' as const), name: wxName }),
  fc.record({ kind: fc.constant('lookalike' as const), name: wxName, at: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('timestamp' as const), timestamp: HUGE_OR_NEGATIVE, resign: fc.boolean() }),
  fc.record({
    kind: fc.constant('forgedBody' as const),
    text: fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.constantFrom('我要退款', '查订单 SA100123', '绑定 123456', 'help')),
    otherSender: fc.boolean(),
    upperSignature: fc.boolean(),
  }),
);

function tamperWeChat(t: WxTamper): { target: string; body: string } {
  const q = new URLSearchParams(wxQuery);
  let body = wxBody;
  switch (t.kind) {
    case 'bitFlip': {
      const sig = q.get('signature')!;
      const i = t.at % sig.length;
      q.set('signature', sig.slice(0, i) + ((parseInt(sig[i]!, 16) ^ (1 + (t.at % 15))) & 15).toString(16) + sig.slice(i + 1));
      break;
    }
    case 'swap': {
      // WeChat's signature sorts its parts: swapping timestamp and nonce keeps it valid. The window refuses it.
      const [ts, nonce] = [q.get('timestamp')!, q.get('nonce')!];
      q.set('timestamp', nonce);
      q.set('nonce', ts);
      break;
    }
    case 'dupParam':
      q.append(t.name, t.value === 'same' ? q.get(t.name)! : t.value);
      break;
    case 'nameCase': {
      const v = q.get(t.name)!;
      q.delete(t.name);
      q.set(t.name[0]!.toUpperCase() + t.name.slice(1), v);
      break;
    }
    case 'lookalike':
      q.set(t.name, lookalike(q.get(t.name)!, t.at, t.pick));
      break;
    case 'timestamp': {
      const nonce = q.get('nonce')!;
      q.set('timestamp', t.timestamp);
      if (t.resign) q.set('signature', wechatSignature(WECHAT_TOKEN, t.timestamp, nonce));
      break;
    }
    case 'forgedBody':
      body = wechatText(t.otherSender ? `oWx_${randomUUID().slice(0, 8)}` : OPENID, t.text.replace(/]]>/g, ''));
      if (t.upperSignature) q.set('signature', q.get('signature')!.toUpperCase());
      break;
  }
  return { target: `/wechat?${q.toString()}`, body };
}

// ------------------------------------------------------------------------------------- tests

describe('signature fuzz: tampered captures are refused with 401, never 5xx, and store nothing', () => {
  it('app API', async () => {
    post = appMessage(USER, 'track order SA100123');
    const first = await rawRequest(url, { method: 'POST', target: post.target, headers: appHeaders(post), body: post.body });
    expect(first.status).toBe(200);
    poll = signAppCall({ method: 'GET', target: `${BASE}/conversations/app:${USER}/messages?after=0&wait=0` });
    expect((await rawRequest(url, { method: 'GET', target: poll.target, headers: appHeaders(poll) })).status).toBe(200);
    const customersBefore = (await shop.server.store.counts()).customers;

    await fc.assert(
      fc.asyncProperty(appTamper, fc.nat(), async (t, headerSeed) => {
        const req = tamperApp(t, headerSeed);
        expectRefused(await rawRequest(url, req), `${JSON.stringify(t)} ${req.method} ${req.target}`);
      }),
      { numRuns: runs(400), seed: SEED },
    );
    expect(await stored('app', USER)).toEqual(['track order SA100123']);
    expect((await shop.server.store.counts()).customers).toBe(customersBefore);
    // Header-name case alone is the same call, and the idempotency contract answers it from the first.
    const same = await rawRequest(url, { method: 'POST', target: post.target, headers: appHeaders(post).map(([k, v]) => [k.toUpperCase(), v]), body: post.body });
    expect(same.status).toBe(200);
    expect(same.json<{ duplicate: boolean }>().duplicate).toBe(true);
    expect(await stored('app', USER)).toEqual(['track order SA100123']);
    expect(processErrors).toEqual([]);
  }, 120_000);

  it('WeChat plaintext webhook', async () => {
    wxQuery = new URLSearchParams(wechatQuery());
    wxBody = wechatText(OPENID, '你好');
    const first = await postWeChat(url, wxQuery.toString(), wxBody);
    expect(first.status).toBe(200);
    const customersBefore = (await shop.server.store.counts()).customers;

    await fc.assert(
      fc.asyncProperty(wxTamper, async (t) => {
        const req = tamperWeChat(t);
        expectRefused(
          await rawRequest(url, { method: 'POST', target: req.target, headers: [['Content-Type', 'text/xml']], body: req.body }),
          `${JSON.stringify(t)} ${req.target}`,
        );
      }),
      { numRuns: runs(300), seed: SEED },
    );
    expect(await stored('wechat', OPENID)).toEqual(['你好']);
    expect((await shop.server.store.counts()).customers).toBe(customersBefore);
    // WeChat's own retry (the same query string and message) is still taken, as a repeat.
    const retry = await postWeChat(url, wxQuery.toString(), wxBody);
    expect(retry.status).toBe(200);
    expect(await stored('wechat', OPENID)).toEqual(['你好']);
    expect(processErrors).toEqual([]);
  }, 120_000);
});
