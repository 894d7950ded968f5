/**
 * Plays scenarios through the real bot: a server on 127.0.0.1 with a fresh SQLite store seeded
 * with the demo shop and the configured embeddings, driven over HTTP exactly as the widget's
 * REST transport does (`POST /api/web/session`, `POST /api/web/messages`, button clicks as
 * postbacks with the button's value).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { startServer, type RunningServer } from '../runtime.js';
import { signIdentityToken, toWireMessage, type WireMessage } from '../../channels/web/index.js';
import { wechatSignature } from '../../channels/wechat/index.js';
import { startWeChatApiStandIn } from './wechat-api.js';
import type { Locale, Order, Product, Store } from '../../store/index.js';
import { checkTurn, type SeenCard, type SeenReply } from './checks.js';
import type { Scenario, ScenarioTurn } from './scenario.js';

export interface TurnResult {
  sent: string;
  clicked?: string;
  lang: Locale;
  replies: SeenReply[];
  failures: string[];
}

export interface ScenarioResult {
  scenario: Scenario;
  ok: boolean;
  turns: TurnResult[];
}

export interface BenchOptions {
  /** EMBEDDINGS_MODEL for the run (`lexical`, or a model folder under modelsDir). */
  embeddingsModel: string;
  /** EMBEDDINGS_MODEL_ZH for the bench's server (default: none, Chinese follows `embeddingsModel`). */
  embeddingsModelZh?: string;
  modelsDir: string;
  logger: Logger;
  /** Called after each scenario (progress). */
  onResult?: (r: ScenarioResult, done: number, total: number) => void;
}

export interface BenchServer {
  server: RunningServer;
  /** The embeddings the server really uses (the model, or `lexical` when it fell back). */
  modelId: string;
  close(): Promise<void>;
}

/** A server for the bench: fresh data folder, demo shop, limits that let one client drive it fast. */
export async function startBenchServer(opts: Pick<BenchOptions, 'embeddingsModel' | 'embeddingsModelZh' | 'modelsDir' | 'logger'>): Promise<BenchServer & { secret: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'conv-eval-'));
  const secret = randomBytes(24).toString('hex');
  const wechat = await startWeChatApiStandIn();
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      EMBEDDINGS_MODEL: opts.embeddingsModel,
      ...(opts.embeddingsModelZh ? { EMBEDDINGS_MODEL_ZH: opts.embeddingsModelZh } : {}),
      MODELS_DIR: path.resolve(opts.modelsDir),
      WEB_IDENTITY_SECRET: secret,
      RATE_LIMIT_CUSTOMER_PER_MINUTE: '100000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      WEB_SESSION_IP_PER_MINUTE: '1000000',
      WECHAT_TOKEN: WECHAT_TOKEN,
      WECHAT_APP_ID: wechat.appId,
      WECHAT_APP_SECRET: wechat.appSecret,
      WECHAT_API_BASE: wechat.apiBase,
    },
    dir,
  );
  let server: RunningServer;
  try {
    server = await startServer(config, opts.logger);
  } catch (err) {
    await wechat.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // A server may answer before it is ready (first start with a model): wait for /readyz.
  for (let i = 0; ; i++) {
    const res = await fetch(`${server.url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    if (i > 3000) throw new Error('the bench server did not become ready in 10 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    server,
    secret,
    modelId: server.understanding.embeddings.modelId,
    async close() {
      await server.close();
      await wechat.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postJson(url: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

function seen(m: WireMessage): SeenReply {
  const cards = (m.cards ?? []) as SeenCard[];
  return { text: m.text, ...(m.suggestedActions ? { suggestedActions: m.suggestedActions } : {}), ...(cards.length ? { cards } : {}) };
}

/** The button a click names: `#N` (1-based), else the first whose title or value contains the text (case-insensitive). */
export function findButton(replies: SeenReply[], click: string): { title: string; value: string } | undefined {
  const buttons = replies.flatMap((r) => [
    ...(r.suggestedActions ?? []),
    ...(r.cards ?? []).flatMap((c) => (c.actions ?? []).filter((a): a is { title: string; value: string } => typeof a.value === 'string')),
  ]);
  const n = /^#(\d{1,2})$/.exec(click);
  if (n) return buttons[Number(n[1]) - 1];
  const want = click.toLowerCase();
  return buttons.find((b) => b.title.toLowerCase().includes(want)) ?? buttons.find((b) => b.value.toLowerCase().includes(want));
}

/** Orders whose returns a scenario could open: the signed-in shopper's, and every order number it types. */
async function candidateOrders(store: Store, s: Scenario): Promise<Order[]> {
  const out = new Map<string, Order>();
  if (s.as) for (const o of (await store.orders.listByCustomer(s.as, { limit: 100 })).items) out.set(o.id, o);
  for (const t of s.turns) {
    if (!('say' in t)) continue;
    for (const m of t.say.matchAll(/sa\s?\d{6}/gi)) {
      const o = await store.orders.getByNumber(m[0].replace(/\s/g, '').toUpperCase());
      if (o) out.set(o.id, o);
    }
  }
  return [...out.values()];
}

async function countReturns(store: Store, orders: Order[]): Promise<number> {
  let n = 0;
  for (const o of orders) n += (await store.returns.listByOrder(o.id)).length;
  return n;
}

/** The bench's WeChat Official Account token (signatures of the messages it posts). */
const WECHAT_TOKEN = 'convbench';
let wechatMsgId = 7_000_000_000_000_000 + Math.floor(Math.random() * 1e12);

function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/**
 * A WeChat shopper's turn: the signed XML WeChat posts, then what the shopper sees, read
 * from the transcript (passive reply and customer-service messages are both stored there).
 */
async function wechatTurn(bench: BenchServer, openId: string, text: string, menuId?: number): Promise<{ status: number; body: string; replies: WireMessage[]; conversationId?: string }> {
  const { server } = bench;
  const store = server.store;
  const before = await wechatConversation(store, openId);
  const lastSeq = before ? ((await store.messages.listByConversation(before.id, { afterSeq: 0, limit: 500 })).at(-1)?.seq ?? 0) : 0;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(6).toString('hex');
  const q = new URLSearchParams({ timestamp, nonce, signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce) });
  const xml = `<xml><ToUserName>${cdata('gh_convbench')}</ToUserName><FromUserName>${cdata(openId)}</FromUserName><CreateTime>${timestamp}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(text)}</Content><MsgId>${++wechatMsgId}</MsgId>${menuId !== undefined ? `<bizmsgmenuid>${menuId}</bizmsgmenuid>` : ''}</xml>`;
  const res = await fetch(`${server.url}/wechat?${q}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
  const body = await res.text();
  const after = await wechatConversation(store, openId);
  if (!after) return { status: res.status, body, replies: [] };
  const messages = await store.messages.listByConversation(after.id, { afterSeq: before?.id === after.id ? lastSeq : 0, limit: 100 });
  const replies = messages.filter((m) => m.direction === 'out' && (m.sender === 'bot' || m.sender === 'system')).map(toWireMessage);
  return { status: res.status, body, replies, conversationId: after.id };
}

async function wechatConversation(store: Store, openId: string) {
  const customer = await store.customers.findByIdentity('wechat', openId);
  if (!customer) return null;
  return (await store.conversations.findOpenByCustomer(customer.id, 'wechat')) ?? (await store.conversations.listByCustomer(customer.id, { limit: 5 })).items.find((c) => c.channel === 'wechat') ?? null;
}

/** Ends a scenario: its conversation is resolved, so the next scenario of the same shopper starts a new one; right when every turn passed. */
async function finish(store: Store, s: Scenario, turns: TurnResult[], conversationId: string | undefined): Promise<ScenarioResult> {
  if (conversationId) {
    const c = await store.conversations.get(conversationId);
    if (c && c.status !== 'resolved') await store.conversations.resolve(c.id);
  }
  return { scenario: s, ok: turns.every((t) => t.failures.length === 0) && turns.length === s.turns.length, turns };
}

/** The checks of one turn against what the store holds now. */
async function judge(store: Store, t: ScenarioTurn, replies: SeenReply[], lang: Locale, orders: Order[], returnsBefore: number, conversationId: string | undefined): Promise<string[]> {
  const cardIds = replies.flatMap((r) => (r.cards ?? []).map((c) => c.id));
  const products = new Map<string, Product>((await store.products.getMany(cardIds)).map((p) => [p.id, p]));
  const wanted = t.expect?.order ? await store.orders.getByNumber(t.expect.order.toUpperCase()) : null;
  const conversation = conversationId ? await store.conversations.get(conversationId) : null;
  return checkTurn(t.expect, {
    replies,
    lang,
    product: (id) => products.get(id),
    order: () => wanted ?? undefined,
    returnsOpened: (await countReturns(store, orders)) - returnsBefore,
    handedOff: conversation?.status === 'queued' || conversation?.status === 'assigned',
  });
}

/** Plays one scenario on a running bench server. */
export async function runScenario(bench: BenchServer & { secret: string }, s: Scenario): Promise<ScenarioResult> {
  if (s.channel === 'wechat') return runWeChatScenario(bench, s);
  const { server } = bench;
  const store = server.store;
  const identityToken = s.as ? signIdentityToken(bench.secret, s.as, Math.floor(Date.now() / 1000) + 3600) : undefined;
  const session = await postJson(`${server.url}/api/web/session`, { locale: s.lang, ...(identityToken ? { identityToken } : {}) });
  if (session.status !== 200) throw new Error(`session for ${s.id} answered ${session.status}: ${JSON.stringify(session.json)}`);
  const token = session.json['visitorToken'] as string;
  const orders = await candidateOrders(store, s);
  const turns: TurnResult[] = [];
  let previous: SeenReply[] = [];
  let lang: Locale = s.lang;
  let conversationId: string | undefined;
  for (const t of s.turns as ScenarioTurn[]) {
    if (t.lang) lang = t.lang;
    let body: Record<string, unknown>;
    let sent: string;
    let clicked: string | undefined;
    if ('say' in t) {
      sent = t.say;
      body = { id: randomUUID(), text: t.say, locale: s.lang };
    } else {
      const button = findButton(previous, t.click);
      if (!button) {
        turns.push({ sent: `(click "${t.click}")`, lang, replies: [], failures: [`no button "${t.click}" to click`] });
        break;
      }
      sent = button.title;
      clicked = button.value;
      body = { id: randomUUID(), value: button.value, text: button.title, locale: s.lang };
    }
    const before = await countReturns(store, orders);
    const res = await postJson(`${server.url}/api/web/messages`, body, token);
    if (res.status !== 200) {
      turns.push({ sent, ...(clicked ? { clicked } : {}), lang, replies: [], failures: [`the server answered ${res.status}: ${JSON.stringify(res.json).slice(0, 200)}`] });
      break;
    }
    // Everything the shopper's widget shows after their message: the turn's replies and what was
    // sent right after it (a hand-off notice, a queue position), as stored, in order.
    const ack = res.json['ack'] as { seq: number };
    const after = await fetch(`${server.url}/api/web/messages?after=${ack.seq}`, { headers: { authorization: `Bearer ${token}` } });
    const stored = after.status === 200 ? ((await after.json()) as { messages: WireMessage[] }).messages : [];
    const fromTurn = (res.json['replies'] as WireMessage[]).filter((m) => m.sender === 'bot' || m.sender === 'system');
    const shown = stored.filter((m) => m.direction === 'out' && (m.sender === 'bot' || m.sender === 'system'));
    const wire = after.status === 200 ? shown : fromTurn;
    const replies = wire.map(seen);
    conversationId ??= wire[0]?.conversationId ?? (await store.messages.get((res.json['ack'] as { messageId: string }).messageId))?.conversationId;
    const failures = await judge(store, t, replies, lang, orders, before, conversationId);
    turns.push({ sent, ...(clicked ? { clicked } : {}), lang, replies, failures });
    previous = replies;
  }
  return finish(store, s, turns, conversationId);
}

/** A WeChat scenario: typed text, and a button "click" as WeChat sends a tapped menu link (the button's value, with its menu id). */
async function runWeChatScenario(bench: BenchServer & { secret: string }, s: Scenario): Promise<ScenarioResult> {
  const store = bench.server.store;
  let openId = `o_bench_${randomBytes(10).toString('hex')}`;
  if (s.as) {
    const customer = await store.customers.get(s.as);
    const id = customer?.identities.find((i) => i.channel === 'wechat')?.externalId;
    if (!id) throw new Error(`scenario ${s.id}: customer ${s.as} has no WeChat identity`);
    openId = id;
  }
  const orders = await candidateOrders(store, s);
  const turns: TurnResult[] = [];
  let previous: SeenReply[] = [];
  let lang: Locale = s.lang;
  let conversationId: string | undefined;
  for (const t of s.turns as ScenarioTurn[]) {
    if (t.lang) lang = t.lang;
    let text: string;
    let sent: string;
    let menuId: number | undefined;
    if ('say' in t) {
      text = t.say;
      sent = t.say;
    } else {
      const choices = previous.flatMap((r) => r.suggestedActions ?? []);
      const button = findButton(previous, t.click);
      const index = button ? choices.findIndex((c) => c.value === button.value && c.title === button.title) : -1;
      if (index < 0) {
        turns.push({ sent: `(choose "${t.click}")`, lang, replies: [], failures: [`no numbered choice "${t.click}" to pick`] });
        break;
      }
      text = button!.value;
      menuId = index + 1;
      sent = `${button!.title} (menu ${menuId})`;
    }
    const before = await countReturns(store, orders);
    const r = await wechatTurn(bench, openId, text, menuId);
    if (r.status !== 200) {
      turns.push({ sent, lang, replies: [], failures: [`WeChat post answered ${r.status}: ${r.body.slice(0, 200)}`] });
      break;
    }
    conversationId = r.conversationId ?? conversationId;
    const replies = r.replies.map(seen);
    const failures = await judge(store, t, replies, lang, orders, before, conversationId);
    turns.push({ sent, lang, replies, failures });
    previous = replies;
  }
  return finish(store, s, turns, conversationId);
}

/** Starts a bench server, plays every scenario in order, closes the server. */
export async function runScenarios(
  scenarios: Scenario[],
  opts: BenchOptions,
): Promise<{ modelId: string; results: ScenarioResult[]; startSeconds: number; cpuMsPerConversation: number; wallSeconds: number }> {
  const t0 = performance.now();
  const bench = await startBenchServer(opts);
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    // CPU of the conversations alone (server and client share this process), not of the start.
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const results: ScenarioResult[] = [];
    for (const s of scenarios) {
      const r = await runScenario(bench, s);
      results.push(r);
      opts.onResult?.(r, results.length, scenarios.length);
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      modelId: bench.modelId,
      results,
      startSeconds,
      wallSeconds: (performance.now() - t1) / 1000,
      cpuMsPerConversation: (cpu.user + cpu.system) / 1000 / Math.max(1, results.length),
    };
  } finally {
    await bench.close();
  }
}
