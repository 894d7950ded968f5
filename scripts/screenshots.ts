/**
 * Screenshots of the staff pages for the README: starts the real server on a temporary data
 * folder with the demo shop, creates realistic hand-offs through the widget's own API (a
 * session and its WebSocket), lets an agent claim and answer one, and photographs the agent
 * console (queue, conversation) and the dashboard in headless Chromium.
 *
 *   npx tsx scripts/screenshots.ts [outDir=docs/screenshots]
 *
 * Needs Debian's chromium at /usr/bin/chromium (CHROMIUM=... to use another).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { loadConfig } from '../app/config.js';
import { createLogger } from '../app/logger.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { signIdentityToken } from '../channels/web/index.js';

const OUT = path.resolve(process.argv[2] ?? 'docs/screenshots');
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const IDENTITY_SECRET = randomUUID() + randomUUID();
const LINA = { email: 'li.na@example.com', password: 'demo-agent-lina' };
const CHEN = { email: 'chen.jing@example.com', password: 'demo-supervisor-chen' };

type Frame = Record<string, unknown> & { type: string };

/** A shopper on the widget's socket: sends messages and waits for the server's acks. */
class Shopper {
  private frames: Frame[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
  }

  static async open(server: RunningServer, opts: { customerId?: string; locale: 'en' | 'zh' }): Promise<Shopper> {
    const body: Record<string, unknown> = { locale: opts.locale };
    if (opts.customerId) body['identityToken'] = signIdentityToken(IDENTITY_SECRET, opts.customerId, Math.floor(Date.now() / 1000) + 600);
    const res = await fetch(`${server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`widget session: HTTP ${res.status} ${await res.text()}`);
    const { visitorToken } = (await res.json()) as { visitorToken: string };
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/web?token=${encodeURIComponent(visitorToken)}`);
    const s = new Shopper(ws); // listening before the socket opens: the first frames come right away
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await s.until((f) => f.type === 'history');
    return s;
  }

  async say(text: string): Promise<void> {
    const id = randomUUID();
    const from = this.frames.length;
    this.ws.send(JSON.stringify({ type: 'message', id, text }));
    await this.until((f) => f.type === 'ack' && f['id'] === id);
    // Let the bot's turn finish (its answer or the queue notice) before the next message.
    await this.until((f) => f.type === 'typing' && f['on'] === false, from).catch(() => undefined);
  }

  private async until(pred: (f: Frame) => boolean, from = 0, timeoutMs = 15_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.slice(from).find(pred);
      if (f) return f;
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The customer this socket speaks for (from the server's hello; an anonymous visitor is one from their first message on). */
  get customerId(): string {
    return String(this.frames.find((f) => f.type === 'hello' && typeof f['customerId'] === 'string')?.['customerId'] ?? '');
  }

  close(): void {
    this.ws.close();
  }
}

/** The console API as an agent's browser uses it (cookie + CSRF header). */
async function agentApi(server: RunningServer, who: { email: string; password: string }) {
  const res = await fetch(`${server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (!res.ok) throw new Error(`login ${who.email}: HTTP ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(`${server.url}${p}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${p}: HTTP ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
}

async function signIn(page: Page, url: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(url);
  await page.locator('#login-view, #app-view').first().waitFor({ state: 'attached' });
  if (await page.locator('#login-view').isVisible()) {
    await page.locator('#login-email').fill(who.email);
    await page.locator('#login-password').fill(who.password);
    await page.locator('#login-submit').click();
  }
  await page.locator('#app-view').waitFor({ state: 'visible', timeout: 15_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(OUT, name);
  await page.screenshot({ path: file });
  const kb = Math.round(statSync(file).size / 1024);
  console.log(`${file}  ${kb} KB`);
  if (kb >= 300) console.warn(`  ${name} is ${kb} KB (keep screenshots under 300 KB)`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-shots-'));
  const config = loadConfig(
    { PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'warn', EMBEDDINGS_MODEL: 'lexical', WEB_IDENTITY_SECRET: IDENTITY_SECRET, HANDOFF_AUTO_ASSIGN: 'false' },
    dir,
  );
  const server = await startServer(config, createLogger({ level: 'warn' }));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const shoppers: Shopper[] = [];
  try {
    // 1. A VIP on the website, signed in, whose order is late: claimed and answered by Li Na.
    const vipId = 'cus_demo_001';
    const orders = (await server.store.orders.listByCustomer(vipId, { limit: 5 })).items;
    const order = orders.find((o) => o.status === 'shipped') ?? orders[0];
    const vip = await Shopper.open(server, { customerId: vipId, locale: 'zh' });
    shoppers.push(vip);
    await vip.say(`我的订单${order?.number ?? ''}怎么还没到？`);
    await vip.say('已经等了一个星期了，太慢了，我要找人工客服');

    // 2. An upset shopper on the website, anonymous, waiting in the queue.
    const upset = await Shopper.open(server, { locale: 'en' });
    shoppers.push(upset);
    await upset.say('The zipper on my new jacket broke after two days. This is really disappointing.');
    await upset.say('I want to talk to a human');

    // 3. Another shopper asking for an invoice, also waiting.
    const invoice = await Shopper.open(server, { customerId: 'cus_demo_003', locale: 'en' });
    shoppers.push(invoice);
    await invoice.say('I need a VAT invoice for my last order, can a person help me?');
    await invoice.say('talk to a human please');

    const lina = await agentApi(server, LINA);
    await lina('PUT', '/api/console/me/status', { status: 'online' });
    const queue = (await lina('GET', '/api/console/queue')) as { queued: Array<{ id: string; customerId: string }> };
    const vipConv = queue.queued.find((q) => q.customerId === vipId);
    const upsetConv = queue.queued.find((q) => q.customerId !== vipId && q.customerId !== 'cus_demo_003');
    if (!vipConv || !upsetConv) throw new Error(`expected the hand-offs in the queue, got ${JSON.stringify(queue.queued)}`);
    await lina('POST', `/api/console/conversations/${vipConv.id}/claim`);
    await lina('POST', `/api/console/conversations/${vipConv.id}/messages`, { text: `王女士您好，我是客服李娜。我查到订单${order?.number ?? ''}已经发货，正在派送中，预计明天送达。给您带来不便非常抱歉！` });
    await lina('POST', `/api/console/conversations/${vipConv.id}/notes`, { text: 'VIP，物流延误，已安排明天优先派送；如再延误可补偿运费。' });
    await lina('PUT', `/api/console/conversations/${vipConv.id}/tags`, { tags: ['shipping', 'delay'] });
    await vip.say('好的，谢谢，麻烦帮我催一下');

    // The console, as Li Na sees it.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await signIn(page, `${server.url}/console/`, LINA);
    await page.locator('#conn.online').waitFor();
    await page.locator(`#queue-list .conv-item[data-id="${upsetConv.id}"]`).click();
    await page.locator('#transcript .msg').first().waitFor();
    await page.locator('#suggestions li').first().waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'console-queue.png');

    await page.locator(`#mine-list .conv-item[data-id="${vipConv.id}"]`).click();
    await page.locator('#transcript .msg.agent').first().waitFor();
    await page.locator('#composer-input').fill('我已经联系了快递，');
    await page.waitForTimeout(300);
    await shot(page, 'console-conversation.png');

    // The same in Chinese.
    await page.locator('#lang-toggle').click();
    await page.waitForTimeout(200);
    await shot(page, 'console-conversation-zh.png');
    await context.close();

    // A day's traffic for the dashboard: questions the bot answers alone, some it cannot,
    // and hand-offs that are resolved and rated by their shoppers.
    const traffic: Array<['en' | 'zh', string]> = [
      ['en', 'What is your return policy?'],
      ['zh', '退货政策是什么？'],
      ['en', 'How long does delivery to Shanghai take?'],
      ['en', 'recommend running shoes under 800'],
      ['zh', '推荐一款降噪耳机'],
      ['en', 'Can I pay with Alipay?'],
      ['zh', '发票怎么开？'],
      ['en', 'How do I reset my password?'],
      ['en', 'do you sell tractors for my farm'],
      ['en', 'do you have farm tractors'],
      ['zh', '你们卖拖拉机吗'],
      ['en', 'what is the meaning of life'],
    ];
    for (const [locale, text] of traffic) {
      const s = await Shopper.open(server, { locale });
      shoppers.push(s);
      await s.say(text);
    }
    for (const [text, reply, score] of [
      ['My parcel was left outside and got wet. I want to talk to a human', 'Sorry about that! I have sent a replacement today.', '5'],
      ['转人工', '您好，已经为您办理了退款。', '4'],
      ['talk to a person', 'I have checked: the coupon expired yesterday, sorry.', '2'],
    ] as const) {
      const s = await Shopper.open(server, { locale: /[a-z]/i.test(text) ? 'en' : 'zh' });
      shoppers.push(s);
      await s.say(text);
      const q = (await lina('GET', '/api/console/queue')) as { queued: Array<{ id: string; customerId: string }> };
      const conv = q.queued.find((c) => c.customerId === s.customerId);
      if (!conv) throw new Error('expected the hand-off in the queue');
      await lina('POST', `/api/console/conversations/${conv.id}/claim`);
      await lina('POST', `/api/console/conversations/${conv.id}/messages`, { text: reply });
      await lina('POST', `/api/console/conversations/${conv.id}/resolve`);
      await s.say(score);
    }

    // The dashboard, as the supervisor sees it (when the page exists).
    const dash = await fetch(`${server.url}/dashboard/`, { redirect: 'manual' });
    if (dash.ok) {
      const c2 = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
      const p2 = await c2.newPage();
      await signIn(p2, `${server.url}/dashboard/`, CHEN);
      await p2.waitForTimeout(1500);
      await shot(p2, 'dashboard.png');
      await c2.close();
    } else {
      console.log(`/dashboard/ answered HTTP ${dash.status}: no dashboard screenshot`);
    }
  } finally {
    for (const s of shoppers) s.close();
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
