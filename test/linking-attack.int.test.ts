/**
 * Issue 14, point 3, reproduced against the real server over HTTP: fresh anonymous visitors
 * (one POST /api/web/session each) guessing link codes on POST /api/web/messages. Before the
 * fix each visitor had 5 guesses of its own, so N visitors made 5N guesses, and a hit merged
 * the guesser into the code's owner. Now: a client IP has 10 wrong codes per code lifetime
 * whatever the number of visitors it makes, the whole deployment 30 per minute (here 8), the
 * legitimate shopper still links from another channel, and the owner is told, in their
 * language, on the channel they asked for the code.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopServer, wechatPost, type ShopServer } from './helpers/shop-server.js';
import type { Frame } from './helpers/ws-client.js';

const OA = 'gh_linktest';

interface WireReply {
  text: string;
  sender: string;
}

/** A fresh anonymous visitor, as an attacker makes them: one POST /api/web/session. */
async function freshVisitor(shop: ShopServer, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${shop.server.url}/api/web/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { visitorToken: string }).visitorToken;
}

/** One message over the widget's REST door; the bot's replies of that turn. */
async function post(shop: ShopServer, token: string, text: string, headers: Record<string, string> = {}): Promise<string[]> {
  const res = await fetch(`${shop.server.url}/api/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ id: randomUUID(), text }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { replies: WireReply[] };
  return body.replies.filter((r) => r.sender === 'bot').map((r) => r.text);
}

/** A WeChat text message from `openId`; the passive reply's text. */
async function wechatSay(shop: ShopServer, openId: string, text: string): Promise<string> {
  const r = await wechatPost(shop, OA, openId, text);
  expect(r.status).toBe(200);
  return /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(r.body)?.[1] ?? '';
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A well-formed code that is not `code`: its first half differs, so it is not even a near miss. */
function wrongCode(code: string): string {
  for (;;) {
    let guess = '';
    for (let i = 0; i < 8; i++) guess += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
    if (/\d/.test(guess) && guess.slice(0, 4) !== code.replace('-', '').slice(0, 4)) return `${guess.slice(0, 4)}-${guess.slice(4)}`;
  }
}

const systemMessage = (pattern: RegExp) => (f: Frame) =>
  f.type === 'message' && (f['message'] as WireReply).sender === 'system' && pattern.test((f['message'] as WireReply).text);

describe('link codes under attack from one IP (default limits)', () => {
  let shop: ShopServer;

  beforeAll(async () => {
    shop = await startShopServer('sa-link-attack-', 'linktoken1');
  }, 60_000);

  afterAll(async () => {
    await shop?.close();
  });

  it('fresh visitors from one IP share its 10 wrong codes; the shopper still links on WeChat and the owner is told', async () => {
    // The owner asks for a code on the website.
    const owner = await shop.widget({ locale: 'en' });
    owner.send({ type: 'message', id: randomUUID(), text: 'link' });
    const issued = await owner.waitFor((f) => f.type === 'message' && /link code is/.test((f['message'] as WireReply).text));
    const code = /link code is ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec((issued['message'] as WireReply).text)![1]!;
    const ownerCustomer = owner.frames.find((f) => f.type === 'hello' && f['customerId'])?.['customerId'] as string | undefined;

    // Six fresh anonymous visitors from this one address, five guesses each (30 guesses; before: 30 answered "not valid").
    const answers: string[] = [];
    for (let v = 0; v < 6; v++) {
      const token = await freshVisitor(shop);
      for (let g = 0; g < 5; g++) answers.push(...(await post(shop, token, `link ${wrongCode(code)}`)));
    }
    expect(answers).toHaveLength(30);
    expect(answers.filter((a) => /not valid/.test(a))).toHaveLength(10);
    expect(answers.filter((a) => /Too many tries/.test(a))).toHaveLength(20);
    // Even the right code, from a new visitor at that address, is not looked at now: a guesser cannot use a hit.
    const late = await freshVisitor(shop);
    expect(await post(shop, late, `link ${code}`)).toEqual([expect.stringMatching(/Too many tries/)]);

    // The shopper, on WeChat, types the code as they read it (lower case, a space for the dash).
    const openId = `oLink_${randomUUID().slice(0, 8)}`;
    expect(await wechatSay(shop, openId, `link ${code.toLowerCase().replace('-', ' ')}`)).toMatch(/accounts are linked/);
    const linked = await shop.server.store.customers.findByIdentity('wechat', openId);
    expect(linked!.identities.map((i) => i.channel).sort()).toEqual(['web', 'wechat']);
    expect(linked!.id).toBe(ownerCustomer);

    // The owner's widget shows the notice, stored in their conversation as a system message.
    const notice = await owner.waitFor(systemMessage(/Your account was just linked with a WeChat account/));
    expect((notice['message'] as WireReply).text).toMatch(/If this was not you, reply "Talk to a human"/);
    const stored = await shop.server.store.messages.listByCustomer(linked!.id, { limit: 50 });
    expect(stored.items.filter((m) => m.sender === 'system' && m.channel === 'web' && /just linked/.test(m.text))).toHaveLength(1);

    // Used: another WeChat account gets nothing with it.
    expect(await wechatSay(shop, `oLink_${randomUUID().slice(0, 8)}`, `绑定 ${code}`)).toMatch(/绑定码无效/);
  });
});

describe('link codes behind a proxy: many client addresses (the global limit)', () => {
  let shop: ShopServer;

  beforeAll(async () => {
    // Behind a proxy each request names its client; a botnet has many. 8 wrong codes a minute for everyone.
    shop = await startShopServer('sa-link-global-', 'linktoken2', { TRUST_PROXY: 'true', LINK_MAX_FAILURES_PER_MINUTE: '8' });
  }, 60_000);

  afterAll(async () => {
    await shop?.close();
  });

  it('in Chinese: a WeChat owner gets a zh code and, when a website visitor uses it, a zh notice on WeChat', async () => {
    const openId = `oOwner_${randomUUID().slice(0, 8)}`;
    const issued = await wechatSay(shop, openId, '绑定');
    expect(issued).toMatch(/^您的绑定码是 [0-9A-Z]{4}-[0-9A-Z]{4}。/);
    expect(issued).toMatch(/请勿把绑定码告诉他人/);
    const code = /绑定码是 ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(issued)![1]!;

    // The shopper on the website, typing on a Chinese keyboard: full-width characters.
    const fullWidth = [...code].map((ch) => (ch === '-' ? '－' : String.fromCharCode(ch.charCodeAt(0) + 0xfee0))).join('');
    const address = { 'x-forwarded-for': '203.0.113.77' };
    expect(await post(shop, await freshVisitor(shop, address), `绑定 ${fullWidth}`, address)).toEqual(['绑定成功！现在我能看到您在各个渠道的记录了。']);

    // The owner's notice went out through WeChat's customer-service API, in Chinese.
    const deadline = Date.now() + 10_000;
    while (!shop.fake.sent.some((s) => s.touser === openId && /刚刚与/.test(s.text?.content ?? '')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const notices = shop.fake.sent.filter((s) => s.touser === openId && /刚刚与/.test(s.text?.content ?? ''));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text!.content).toMatch(/^您的账号刚刚与网站客服账号绑定。如果不是您本人操作，请立即回复"转人工"联系客服。/);
  });

  it('after 8 wrong codes in a minute from 8 addresses, redeeming pauses for everyone, the right code too (zh text)', async () => {
    const openId = `oOwner_${randomUUID().slice(0, 8)}`;
    const code = /绑定码是 ([0-9A-Z]{4}-[0-9A-Z]{4})/.exec(await wechatSay(shop, openId, '绑定'))![1]!;

    // One guess from each of 20 addresses (the per-IP limit never applies), then the owner's own
    // shopper with the right code from yet another address. If this straddled a minute boundary
    // the budget was renewed in the middle: run it again (the second run starts a fresh minute).
    let answers: string[] = [];
    let rightCode: string[] = [];
    for (let round = 0; round < 2; round++) {
      const minute = Math.floor(Date.now() / 60_000);
      answers = [];
      for (let i = 0; i < 20; i++) {
        const headers = { 'x-forwarded-for': `198.51.${round}.${i + 1}` };
        const token = await freshVisitor(shop, headers);
        answers.push(...(await post(shop, token, `link ${wrongCode(code)}`, headers)));
      }
      const mine = { 'x-forwarded-for': `203.0.113.${200 + round}` };
      rightCode = await post(shop, await freshVisitor(shop, mine), `绑定 ${code}`, mine);
      if (Math.floor(Date.now() / 60_000) === minute) break;
    }
    expect(answers.slice(0, 8).every((a) => /not valid/.test(a))).toBe(true);
    expect(answers.slice(8).every((a) => /paused for a moment/.test(a))).toBe(true);
    // The right code waits too (a guesser's hit would be refused the same way), with the reason, in Chinese.
    expect(rightCode).toEqual(['由于近期错误的绑定码过多，账号绑定暂时暂停，请一分钟后再试。']);
    expect(shop.fake.sent.filter((s) => s.touser === openId && /刚刚与/.test(s.text?.content ?? ''))).toHaveLength(0);
  });
});
