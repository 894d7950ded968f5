/**
 * Crash safety: 26 senders (10 over the signed app API with idempotency keys, 10 over the
 * widget REST API with message ids, 6 WeChat followers posting as the WeChat platform does)
 * load a real server process; it is killed with SIGKILL mid-load and restarted on the same
 * data folder; the senders retry every message they got no answer for, with the same key /
 * id / MsgId (WeChat redelivers a message it got no answer for). Then the store holds every
 * acknowledged and every retried message exactly once: nothing lost, nothing doubled.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requestSignatureHeaders } from '../channels/app/index.js';
import { wechatSignature } from '../channels/wechat/index.js';
import { openStore, type Message } from '../store/index.js';
import { startFakeWeChat, type FakeWeChat } from './fakes/wechat-server.js';
import { runEntry, waitForLog, type Spawned } from './helpers/processes.js';

const APP_SECRET = 'crash-app-secret-0123456789abcdefghijklmn';
const dir = mkdtempSync(path.join(tmpdir(), 'sa-crash-'));
const env = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  DATA_DIR: dir,
  EMBEDDINGS_MODEL: 'lexical',
  APP_HMAC_SECRET: APP_SECRET,
  WEB_TOKEN_SECRET: 'crash-web-token-secret-0123456789abcdefgh',
  RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
};
const WECHAT_TOKEN = 'crashtoken42';
const running: Spawned[] = [];
let wechatApi: FakeWeChat | undefined;

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await wechatApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ p: Spawned; url: string }> {
  wechatApi ??= await startFakeWeChat();
  const p = runEntry('server.ts', [], {
    ...env,
    WECHAT_TOKEN,
    WECHAT_APP_ID: wechatApi.appId,
    WECHAT_APP_SECRET: wechatApi.appSecret,
    WECHAT_API_BASE: wechatApi.apiBase,
  });
  running.push(p);
  const line = await waitForLog(p, 'listening', 90_000);
  return { p, url: String(line['url']) };
}

interface Outgoing {
  kind: 'app' | 'web' | 'wechat';
  tag: string;
  /** Sends (or re-sends, with the same key / id); resolves true when acknowledged. */
  send: (base: string) => Promise<boolean>;
}

const TEXTS = ['where is my order 1001?', 'what is your return policy?', 'recommend a gift for my dad', 'hello!'];

function appMessage(userId: string, i: number): Outgoing {
  const key = randomUUID();
  const tag = `[app-${key.slice(0, 13)}]`;
  const raw = JSON.stringify({ userId, text: `${TEXTS[i % TEXTS.length]} ${tag}` });
  return {
    kind: 'app',
    tag,
    async send(base) {
      const url = `${base}/api/app/v1/conversations/app:${userId}/messages`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target: url, idempotencyKey: key, body: raw }) },
        body: raw,
        signal: AbortSignal.timeout(15_000),
      });
      await res.text();
      return res.status === 200;
    },
  };
}

function webMessage(token: string, i: number): Outgoing {
  const id = randomUUID();
  const tag = `[web-${id.slice(0, 13)}]`;
  const body = JSON.stringify({ id, text: `${TEXTS[i % TEXTS.length]} ${tag}` });
  return {
    kind: 'web',
    tag,
    async send(base) {
      const res = await fetch(`${base}/api/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      await res.text();
      return res.status === 200;
    },
  };
}

let msgId = 6_100_000_000_000_000;
/** A follower's text message, signed as the WeChat platform posts it; a retry re-posts the same MsgId. */
function wechatMessage(openId: string, i: number): Outgoing {
  const id = String(++msgId);
  const tag = `[wechat-${id.slice(-13)}]`;
  const xml = `<xml><ToUserName><![CDATA[gh_crash]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${TEXTS[i % TEXTS.length]} ${tag}]]></Content><MsgId>${id}</MsgId></xml>`;
  return {
    kind: 'wechat',
    tag,
    async send(base) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = String(Math.floor(Math.random() * 1e9));
      const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce) });
      const res = await fetch(`${base}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml, signal: AbortSignal.timeout(15_000) });
      await res.text();
      return res.status === 200;
    },
  };
}

describe('crash safety', () => {
  it('keeps every acknowledged and every retried message exactly once across a SIGKILL under load', async () => {
    let server = await start();
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"locale":"en"}' });
      tokens.push(((await res.json()) as { visitorToken: string }).visitorToken);
    }
    const acked: Outgoing[] = [];
    const unacked: Outgoing[] = [];
    let stop = false;
    const senders = Array.from({ length: 26 }, async (_, s) => {
      for (let i = 0; !stop; i++) {
        const m = s < 10 ? appMessage(`crash-user-${s}`, i) : s < 20 ? webMessage(tokens[s - 10]!, i) : wechatMessage(`oCrash_follower_${s}`, i);
        const ok = await m.send(server.url).catch(() => false);
        (ok ? acked : unacked).push(m);
        if (!ok) return; // the server is gone: this sender waits for the restart
      }
    });
    // Kill it mid-load, once every sender has had some messages through.
    const deadline = Date.now() + 60_000;
    const kindsThrough = () => (['app', 'web', 'wechat'] as const).every((k) => acked.filter((m) => m.kind === k).length >= 3);
    while ((acked.length < 60 || !kindsThrough()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.p.child.kill('SIGKILL');
    stop = true;
    const exit = await server.p.exited;
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(senders);
    expect(acked.length).toBeGreaterThanOrEqual(60);
    expect(kindsThrough()).toBe(true);
    expect(unacked.length).toBeGreaterThan(0); // the kill caught messages in flight

    // Restart on the same data folder; clients retry what was not acknowledged.
    server = await start();
    for (const m of unacked) {
      let ok = false;
      for (let attempt = 0; attempt < 10 && !ok; attempt++) ok = await m.send(server.url).catch(() => false);
      expect(ok, m.tag).toBe(true);
    }
    // Acknowledged ones retried too (a client that lost the ack): still one copy each.
    for (const m of acked.slice(0, 10)) expect(await m.send(server.url)).toBe(true);
    server.p.child.kill('SIGTERM');
    await server.p.exited;

    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'shop.db') });
    try {
      const inbound: Message[] = [];
      let cursor: string | null | undefined;
      do {
        const page = await store.messages.listByTime({ from: new Date(0), to: new Date(Date.now() + 60_000) }, { limit: 500, cursor });
        inbound.push(...page.items.filter((m) => m.direction === 'in'));
        cursor = page.nextCursor;
      } while (cursor);
      const counts = new Map<string, number>();
      for (const m of inbound) {
        const tag = /\[(app|web|wechat)-[0-9a-f-]{13}\]/.exec(m.text)?.[0];
        if (tag) counts.set(tag, (counts.get(tag) ?? 0) + 1);
      }
      const lost = [...acked, ...unacked].filter((m) => (counts.get(m.tag) ?? 0) === 0);
      const doubled = [...acked, ...unacked].filter((m) => (counts.get(m.tag) ?? 0) > 1);
      expect(lost.map((m) => m.tag)).toEqual([]);
      expect(doubled.map((m) => m.tag)).toEqual([]);
      // Nothing stored that no client sent.
      expect(counts.size).toBe(acked.length + unacked.length);
      const byKind = (list: Outgoing[]) => ['app', 'web', 'wechat'].map((k) => `${k} ${list.filter((m) => m.kind === k).length}`).join(', ');
      console.log(`crash test: ${acked.length} acknowledged before the kill (${byKind(acked)}), ${unacked.length} in flight and retried (${byKind(unacked)}); lost 0, doubled 0`);
    } finally {
      await store.close();
    }
  }, 180_000);
});
