/**
 * Load benchmark (`npm run bench load`): a real server process (`server.ts` through tsx,
 * temporary DATA_DIR, SQLite, the local fake WeChat API) driven by N concurrent closed-loop
 * clients for a fixed time each: 60% widget sockets, 20% WeChat posts (signed XML), 20% app
 * calls (HMAC-signed), each sending a mix of order status, return policy, recommendation and
 * small talk, and waiting for the first bot reply before the next message. Reports
 * throughput, p50/p95/p99 latency (send -> first bot reply), errors by kind and the
 * server's RSS (before, peak, after; /proc/<pid>/status, peak reset per run), for the
 * lexical and the transformers embedder, at N = 10, 50, 200. Baseline in the same run:
 * GET /healthz under the same concurrency (the HTTP stack without the bot).
 *
 * BENCH_LOAD_N=10,50,200  BENCH_LOAD_SECONDS=10  BENCH_LOAD_EMBEDDERS=lexical,transformers
 * Rate limits are lifted (all clients share 127.0.0.1); the admission gate keeps its
 * defaults unless MAX_CONCURRENT_TURNS / MAX_QUEUED_TURNS are set in the environment.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { requestSignatureHeaders } from '../channels/app/index.js';
import { wechatSignature } from '../channels/wechat/index.js';
import { startFakeWeChat, type FakeWeChat } from '../test/fakes/wechat-server.js';
import { ROOT, runEntry, waitForLog, type Spawned } from '../test/helpers/processes.js';

const NS = (process.env['BENCH_LOAD_N'] ?? '10,50,200').split(',').map(Number);
const SECONDS = Number(process.env['BENCH_LOAD_SECONDS'] ?? 10);
const EMBEDDERS = (process.env['BENCH_LOAD_EMBEDDERS'] ?? 'lexical,transformers').split(',');
const APP_SECRET = 'load-bench-app-secret-0123456789abcdefghij';
const WECHAT_TOKEN = 'loadBenchToken1';
const REPLY_TIMEOUT_MS = 15_000;
const TEXTS = [
  'where is my order 1001?',
  'what is your return policy?',
  'can you recommend a jacket for hiking?',
  'hello, how are you?',
  '你们的退货政策是什么？',
  'thanks!',
];

interface Cell {
  latencies: number[];
  ok: number;
  errors: Map<string, number>;
}

const newCell = (): Cell => ({ latencies: [], ok: 0, errors: new Map() });
function fail(cell: Cell, kind: string): void {
  cell.errors.set(kind, (cell.errors.get(kind) ?? 0) + 1);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: the peak is then since the start
  }
}

// ------------------------------------------------------------------ clients

async function widgetUser(base: string, until: number, cell: Cell, seed: number): Promise<void> {
  let ws: WebSocket;
  try {
    const res = await fetch(`${base}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"locale":"en"}' });
    const { visitorToken } = (await res.json()) as { visitorToken: string };
    ws = new WebSocket(`${base.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_q, r) => reject(new Error(`http_${r.statusCode}`)));
    });
  } catch (err) {
    fail(cell, `socket_${(err as Error).message.startsWith('http_') ? (err as Error).message : 'connect'}`);
    return;
  }
  // A turn is over when its ack arrives (after all of its replies): the next message waits for
  // it, as a shopper reading the answer would. Latency is to the turn's first bot reply. (Sending
  // on the first reply raced ahead of turns with several replies until the socket's
  // pending-frames cap refused messages: the unexplained `rate_limited` frames of earlier runs.)
  let waiting: { id: string; firstReplyAt?: number; done: (kind: 'ok' | string) => void } | undefined;
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as { type: string; id?: string; code?: string; message?: { sender?: string; direction?: string } };
    if (!waiting) return;
    if (f.type === 'message' && f.message?.sender === 'bot') waiting.firstReplyAt ??= performance.now();
    else if (f.type === 'ack' && f.id === waiting.id) waiting.done(waiting.firstReplyAt === undefined ? 'no_reply' : 'ok');
    else if (f.type === 'error' && f.id === waiting.id) waiting.done(f.code ?? 'error');
  });
  for (let i = seed; Date.now() < until && ws.readyState === ws.OPEN; i++) {
    const id = randomUUID();
    const started = performance.now();
    let firstReplyAt: number | undefined;
    const kind = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), REPLY_TIMEOUT_MS);
      waiting = {
        id,
        done: (k) => {
          clearTimeout(timer);
          firstReplyAt = waiting?.firstReplyAt;
          resolve(k);
        },
      };
      ws.send(JSON.stringify({ type: 'message', id, text: TEXTS[i % TEXTS.length] }));
    });
    waiting = undefined;
    if (kind === 'ok') {
      cell.ok += 1;
      cell.latencies.push(firstReplyAt! - started);
    } else {
      fail(cell, `widget_${kind}`);
      if (kind === 'unavailable') await new Promise((r) => setTimeout(r, 1000));
    }
  }
  ws.close();
}

let msgId = 7_000_000_000_000_000;
async function wechatUser(base: string, until: number, cell: Cell, seed: number): Promise<void> {
  const openId = `o-load-${randomUUID().slice(0, 12)}`;
  for (let i = seed; Date.now() < until; i++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    // Unique per delivery: a timestamp+nonce carries one message (the replay cache refuses another under it).
    const nonce = `${seed}${i}${Math.floor(Math.random() * 1e9)}`;
    const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce) });
    const xml = `<xml><ToUserName><![CDATA[gh_load]]></ToUserName><FromUserName><![CDATA[${openId}]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${TEXTS[i % TEXTS.length]}]]></Content><MsgId>${++msgId}</MsgId></xml>`;
    const started = performance.now();
    try {
      const res = await fetch(`${base}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml, signal: AbortSignal.timeout(REPLY_TIMEOUT_MS) });
      const body = await res.text();
      if (res.status !== 200) fail(cell, `wechat_http_${res.status}`);
      else if (body === 'success') fail(cell, 'wechat_success+cs_api'); // answered through the customer-service API (several messages, cards, or late): not timed here
      else if (body.includes('抱歉，现在咨询的人太多')) fail(cell, 'wechat_busy');
      else {
        cell.ok += 1;
        cell.latencies.push(performance.now() - started);
      }
    } catch {
      fail(cell, 'wechat_timeout');
    }
  }
}

async function appUser(base: string, until: number, cell: Cell, seed: number): Promise<void> {
  const userId = `load-${randomUUID().slice(0, 12)}`;
  for (let i = seed; Date.now() < until; i++) {
    const raw = JSON.stringify({ userId, text: TEXTS[i % TEXTS.length] });
    const started = performance.now();
    try {
      const url = `${base}/api/app/v1/conversations/app:${userId}/messages`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...requestSignatureHeaders(APP_SECRET, { method: 'POST', target: url, idempotencyKey: randomUUID(), body: raw }) },
        body: raw,
        signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
      });
      const body = (await res.json()) as { replies?: unknown[] };
      if (res.status === 200 && (body.replies?.length ?? 0) > 0) {
        cell.ok += 1;
        cell.latencies.push(performance.now() - started);
      } else {
        fail(cell, res.status === 200 ? 'app_no_reply' : `app_http_${res.status}`);
        if (res.status === 503) await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      }
    } catch {
      fail(cell, 'app_timeout');
    }
  }
}

async function healthUser(base: string, until: number, cell: Cell): Promise<void> {
  while (Date.now() < until) {
    const started = performance.now();
    try {
      const res = await fetch(`${base}/healthz`);
      await res.text();
      if (res.status === 200) {
        cell.ok += 1;
        cell.latencies.push(performance.now() - started);
      } else fail(cell, `http_${res.status}`);
    } catch {
      fail(cell, 'error');
    }
  }
}

// ------------------------------------------------------------------ runs

interface Row {
  embedder: string;
  n: number;
  what: string;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: string;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

async function measure(pid: number, embedder: string, n: number, what: string, seconds: number, drive: (until: number, cell: Cell, i: number) => Promise<void>): Promise<Row> {
  await new Promise((r) => setTimeout(r, 500));
  const before = memory(pid).rss;
  resetPeak(pid);
  const cell = newCell();
  const started = performance.now();
  const until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: n }, (_, i) => drive(until, cell, i)));
  const elapsed = (performance.now() - started) / 1000;
  const peak = memory(pid).hwm;
  await new Promise((r) => setTimeout(r, 1000));
  const after = memory(pid).rss;
  const sorted = cell.latencies.sort((a, b) => a - b);
  return {
    embedder,
    n,
    what,
    perSecond: cell.ok / elapsed,
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    errors: [...cell.errors].map(([k, v]) => `${k} ${v}`).join(', ') || '-',
    rssBefore: before,
    rssPeak: peak,
    rssAfter: after,
  };
}

async function startServer(embedder: string, fake: FakeWeChat, dir: string): Promise<{ p: Spawned; url: string }> {
  const p = runEntry('server.ts', [], {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATA_DIR: dir,
    EMBEDDINGS_MODEL: embedder === 'lexical' ? 'lexical' : undefined,
    APP_HMAC_SECRET: APP_SECRET,
    WECHAT_TOKEN,
    WECHAT_APP_ID: fake.appId,
    WECHAT_APP_SECRET: fake.appSecret,
    WECHAT_API_BASE: fake.apiBase,
    RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    HANDOFF_AFTER_FALLBACKS: '20',
  });
  const line = await waitForLog(p, 'listening', 300_000);
  return { p, url: String(line['url']) };
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const skipped: string[] = [];
  const fake = await startFakeWeChat();
  try {
    for (const embedder of EMBEDDERS) {
      if (embedder !== 'lexical' && !existsSync(path.join(ROOT, 'models', 'sentence-transformers', 'all-MiniLM-L6-v2'))) {
        skipped.push(`${embedder}: models/sentence-transformers/all-MiniLM-L6-v2 is not there (npm run models)`);
        continue;
      }
      const dir = mkdtempSync(path.join(tmpdir(), `sa-load-${embedder}-`));
      const t0 = performance.now();
      const server = await startServer(embedder, fake, dir);
      console.log(`${embedder}: server up in ${((performance.now() - t0) / 1000).toFixed(1)} s (pid ${server.p.child.pid})`);
      const pid = server.p.child.pid!;
      try {
        for (const n of NS) {
          rows.push(await measure(pid, embedder, n, 'baseline GET /healthz', Math.max(3, SECONDS / 2), (until, cell) => healthUser(server.url, until, cell)));
          rows.push(
            await measure(pid, embedder, n, 'chat mix (60% widget, 20% WeChat, 20% app)', SECONDS, (until, cell, i) => {
              const r = i % 10;
              return r < 6 ? widgetUser(server.url, until, cell, i) : r < 8 ? wechatUser(server.url, until, cell, i) : appUser(server.url, until, cell, i);
            }),
          );
          const last = rows.at(-1)!;
          console.log(`  N=${n}: ${f1(last.perSecond)} msg/s, p95 ${f0(last.p95)} ms, errors: ${last.errors}`);
        }
      } finally {
        server.p.child.kill('SIGTERM');
        await server.p.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await fake.close();
  }

  console.log(`\nLoad: ${SECONDS} s per chat run (healthz baseline ${Math.max(3, SECONDS / 2)} s), closed loop (each client waits for the first bot reply), SQLite, 2 cores; MAX_CONCURRENT_TURNS=${process.env['MAX_CONCURRENT_TURNS'] ?? 'default'}\n`);
  console.log('| embedder | N | traffic | ok/s | p50 ms | p95 ms | p99 ms | errors by kind | RSS before / peak / after MB |');
  console.log('|---|---:|---|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    console.log(`| ${r.embedder} | ${r.n} | ${r.what} | ${f1(r.perSecond)} | ${f0(r.p50)} | ${f0(r.p95)} | ${f0(r.p99)} | ${r.errors} | ${f0(r.rssBefore)} / ${f0(r.rssPeak)} / ${f0(r.rssAfter)} |`);
  }
  for (const s of skipped) console.log(`skipped ${s}`);
}
