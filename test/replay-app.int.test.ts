/**
 * Replays against the app API (issue 14, point 4): a call captured on the way (a proxy log,
 * a leaked trace) and sent again — with a new Idempotency-Key, to another path, with another
 * method or body, late or early — is refused with 401 and stores nothing; the very same call
 * (same key) is still answered from the first, as the idempotency contract says; a signed GET
 * works once. Real server on 127.0.0.1, SQLite, raw HTTP (the bytes an attacker would send).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload } from '../channels/app/index.js';
import { APP_SECRET, appHeaders, appMessage, BASE, inboundTexts, nowSeconds, sendApp, signAppCall, useReplayServer, type AppCall } from './replay-support.js';

const replay = useReplayServer('sa-replay-app-');

interface MessageBody {
  ack: { messageId: string; seq: number; conversationId: string };
  duplicate: boolean;
  replies: Array<{ id: string }>;
  error?: { code: string; reason?: string; message: string };
}

/** The inbound messages stored for an app user. */
const inbound = (userId: string) => inboundTexts(replay.shop, 'app', userId);

function expectRefused(res: { status: number; json<T>(): T }, reason: string): void {
  expect(res.status).toBe(401);
  const body = res.json<MessageBody>();
  expect(body.error?.code).toBe('unauthorized');
  expect(body.error?.reason).toBe(reason);
}

/** Sends a first message and returns it, its ack and the user's conversation. */
async function firstMessage(userId: string, text = 'where is my order?'): Promise<{ call: AppCall; ack: MessageBody['ack'] }> {
  const call = appMessage(userId, text);
  const res = await sendApp(replay.url, call);
  expect(res.status).toBe(200);
  const body = res.json<MessageBody>();
  expect(body.duplicate).toBe(false);
  return { call, ack: body.ack };
}

describe('app API replays', () => {
  it('refuses a captured call replayed with a new Idempotency-Key; the same call (same key) is deduplicated, never stored twice', async () => {
    const { call, ack } = await firstMessage('u-rep-key');

    // The attacker's replay: the captured headers and body, a key of their own.
    for (const key of [randomUUID(), `${call.key}-2`, call.key!.toUpperCase()]) {
      expectRefused(await sendApp(replay.url, { ...call, key }), 'signature_mismatch');
    }
    // Without the key header at all.
    expectRefused(await sendApp(replay.url, call, appHeaders(call).filter(([k]) => k !== 'Idempotency-Key')), 'signature_mismatch');

    // The backend retrying: byte for byte, then signed again (a later timestamp), with the same key.
    for (const again of [call, signAppCall({ method: 'POST', target: call.target, key: call.key, body: call.body, timestamp: nowSeconds() - 5 })]) {
      const res = await sendApp(replay.url, again);
      expect(res.status).toBe(200);
      const body = res.json<MessageBody>();
      expect(body.duplicate).toBe(true);
      expect(body.ack).toEqual(ack);
    }
    expect(await inbound('u-rep-key')).toEqual(['where is my order?']);
  });

  it('refuses a captured call sent to another path: another handle of the same user, another user, another case, an added query', async () => {
    const { call, ack } = await firstMessage('u-rep-path');
    const targets = [
      `${BASE}/conversations/${ack.conversationId}/messages`, // the same conversation by id: a path the backend could have signed
      `${BASE}/conversations/app:u-rep-path-victim/messages`,
      `${BASE}/conversations/app%3Au-rep-path/messages`,
      call.target.replace('/api/app/', '/API/app/'), // express routes paths case-insensitively: the signature does not
      `${call.target}?after=0`,
      `${call.target}/`,
    ];
    for (const target of targets) {
      expectRefused(await sendApp(replay.url, { ...call, target }), 'signature_mismatch');
    }
    expect(await inbound('u-rep-path')).toEqual(['where is my order?']);
    expect(await inbound('u-rep-path-victim')).toEqual([]);
  });

  it('refuses a method change: a captured POST sent as GET, a captured GET sent as POST', async () => {
    const { call, ack } = await firstMessage('u-rep-method');
    expectRefused(await sendApp(replay.url, { ...call, method: 'GET' }), 'signature_mismatch');

    const poll = signAppCall({ method: 'GET', target: `${BASE}/conversations/${ack.conversationId}/messages?after=0` });
    expectRefused(await sendApp(replay.url, { ...poll, method: 'POST', body: '' }), 'signature_mismatch');
    expectRefused(await sendApp(replay.url, { ...poll, method: 'POST', body: call.body }), 'signature_mismatch');
    expect(await inbound('u-rep-method')).toEqual(['where is my order?']);
  });

  it('refuses a body change under the captured headers and key', async () => {
    const { call } = await firstMessage('u-rep-body');
    const bodies = [
      call.body!.replace('where is my order?', 'cancel my order'),
      call.body!.replace('"locale":"en"', '"locale":"zh"'),
      `${call.body!} `,
      JSON.stringify({ ...JSON.parse(call.body!), customerId: 'cus_demo_001' }),
    ];
    for (const body of bodies) expectRefused(await sendApp(replay.url, { ...call, body }), 'signature_mismatch');
    expect(await inbound('u-rep-body')).toEqual(['where is my order?']);
  });

  it('refuses stale and future timestamps even when correctly signed, and accepts skew inside the window', async () => {
    const now = nowSeconds();
    for (const timestamp of [now - 301, now + 301, now - 86_400, 978_307_200 /* 2001 */]) {
      const call = signAppCall({ method: 'POST', target: `${BASE}/conversations/app:u-rep-time/messages`, key: randomUUID(), body: JSON.stringify({ userId: 'u-rep-time', text: `at ${timestamp}` }), timestamp });
      expectRefused(await sendApp(replay.url, call), 'timestamp_out_of_window');
    }
    expect(await inbound('u-rep-time')).toEqual([]);
    for (const timestamp of [now - 200, now + 200]) {
      const call = signAppCall({ method: 'POST', target: `${BASE}/conversations/app:u-rep-time/messages`, key: randomUUID(), body: JSON.stringify({ userId: 'u-rep-time', text: `skewed ${timestamp > now ? 'ahead' : 'behind'}` }), timestamp });
      expect((await sendApp(replay.url, call)).status).toBe(200);
    }
    expect((await inbound('u-rep-time')).sort()).toEqual(['skewed ahead', 'skewed behind']);
  });

  it('makes a signed GET single-use: the same signature again is refused (whatever the case of its hex), a distinguishing query passes', async () => {
    const { ack } = await firstMessage('u-rep-get');
    const poll = signAppCall({ method: 'GET', target: `${BASE}/conversations/app:u-rep-get/messages?after=0` });
    const first = await sendApp(replay.url, poll);
    expect(first.status).toBe(200);
    expect(first.json<{ conversationId: string }>().conversationId).toBe(ack.conversationId);
    expectRefused(await sendApp(replay.url, poll), 'signature_replayed');
    expectRefused(await sendApp(replay.url, { ...poll, signature: poll.signature.replace(/[a-f]/g, (c) => c.toUpperCase()) }), 'signature_replayed');
    // A client polling twice within a second tells its calls apart with a query parameter of its own.
    const again = signAppCall({ method: 'GET', target: `${BASE}/conversations/app:u-rep-get/messages?after=0&n=${randomUUID()}` });
    expect((await sendApp(replay.url, again)).status).toBe(200);

    const letters = signAppCall({ method: 'GET', target: `${BASE}/push/dead-letters` });
    expect((await sendApp(replay.url, letters)).status).toBe(200);
    expectRefused(await sendApp(replay.url, letters), 'signature_replayed');
  });

  it('tells a backend that still signs the old way (timestamp and body only) why it is refused, and stores nothing', async () => {
    const body = JSON.stringify({ userId: 'u-rep-legacy', text: 'hello' });
    const ts = String(nowSeconds());
    const res = await sendApp(replay.url, { method: 'POST', target: `${BASE}/conversations/app:u-rep-legacy/messages`, timestamp: ts, key: randomUUID(), body, signature: signPayload(APP_SECRET, ts, body) });
    expectRefused(res, 'signature_scheme_retired');
    expect(res.json<MessageBody>().error?.message).toMatch(/v1=.*METHOD/);
    expect(await inbound('u-rep-legacy')).toEqual([]);
  });
});
