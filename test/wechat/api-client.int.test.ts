import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WeChatApiClient, type WeChatApiClientOptions } from '../../channels/wechat/api-client.js';
import { isShopError, type ShopError } from '../../store/index.js';
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '../fakes/wechat-server.js';
import { shopErrorOf } from '../helpers/errors.js';

const open: FakeWeChat[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function setup(fakeOpts: FakeWeChatOptions = {}, clientOpts: Partial<WeChatApiClientOptions> = {}) {
  const fake = await startFakeWeChat(fakeOpts);
  open.push(fake);
  const client = new WeChatApiClient({ appId: fake.appId, appSecret: fake.appSecret, apiBase: fake.apiBase, ...clientOpts });
  return { fake, client };
}

const rejection = (p: Promise<unknown>): Promise<ShopError> => shopErrorOf(p, 'the promise');

describe('WeChatApiClient against the fake WeChat server', () => {
  it('fetches one access_token for many sends, concurrent or not', async () => {
    const { fake, client } = await setup();
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.sendText(`o${i}`, `hello ${i}`)));
    await client.sendText('o0', 'again');
    await client.sendNews('o0', [{ title: 'Linen shirt', url: 'https://shop.example/p/1' }]);
    expect(fake.tokenRequests).toBe(1);
    expect(fake.sent).toHaveLength(12);
    expect(new Set(fake.sent.map((s) => s.accessToken))).toEqual(new Set([fake.currentToken]));
    expect(fake.sent.find((s) => s.touser === 'o3')).toMatchObject({ msgtype: 'text', text: { content: 'hello 3' } });
  });

  it('refetches the token 5 minutes before WeChat says it expires', async () => {
    let now = 1_000_000;
    const { fake, client } = await setup({ expiresIn: 7200 }, { now: () => now });
    const first = await client.getAccessToken();
    now += (7200 - 300) * 1000 - 1;
    expect(await client.getAccessToken()).toBe(first);
    expect(fake.tokenRequests).toBe(1);
    now += 1;
    const second = await client.getAccessToken();
    expect(second).not.toBe(first);
    expect(fake.tokenRequests).toBe(2);
  });

  it('keeps half the life of a short-lived token instead of refetching every time', async () => {
    let now = 0;
    const { fake, client } = await setup({ expiresIn: 60 }, { now: () => now });
    await client.getAccessToken();
    now = 29_000;
    await client.getAccessToken();
    expect(fake.tokenRequests).toBe(1);
    now = 30_000;
    await client.getAccessToken();
    expect(fake.tokenRequests).toBe(2);
  });

  for (const [kind, errcode] of [
    ['expired', 42001],
    ['invalid', 40001],
  ] as const) {
    it(`on ${errcode} drops the token, fetches a new one and retries once`, async () => {
      const { fake, client } = await setup();
      await client.sendText('o1', 'first');
      const oldToken = fake.currentToken;
      fake.expireToken(kind);
      await client.sendText('o1', 'second');
      expect(fake.tokenRequests).toBe(2);
      expect(fake.sendRequests).toBe(3); // first, refused second, retried second
      expect(fake.sent.map((s) => s.text?.content)).toEqual(['first', 'second']);
      expect(fake.sent[1]?.accessToken).not.toBe(oldToken);
      // and the new token is cached
      await client.sendText('o1', 'third');
      expect(fake.tokenRequests).toBe(2);
    });
  }

  it('refreshes on 40014 as well', async () => {
    const { fake, client } = await setup();
    await client.getAccessToken();
    fake.failNext(40014);
    await client.sendText('o1', 'x');
    expect(fake.tokenRequests).toBe(2);
    expect(fake.sent).toHaveLength(1);
  });

  it('concurrent sends that all hit an expired token refresh it once', async () => {
    const { fake, client } = await setup();
    await client.getAccessToken();
    fake.expireToken();
    await Promise.all(Array.from({ length: 5 }, (_, i) => client.sendText(`o${i}`, 'x')));
    expect(fake.tokenRequests).toBe(2);
    expect(fake.sent).toHaveLength(5);
  });

  it('retries only once: a token refused twice is reported, not looped on', async () => {
    const { fake, client } = await setup();
    await client.getAccessToken();
    fake.failNext(40001);
    fake.failNext(40001);
    const err = await rejection(client.sendText('o1', 'x'));
    expect(err.code).toBe('unavailable');
    expect(err.details).toMatchObject({ errcode: 40001 });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.sendRequests).toBe(2);
    expect(fake.sent).toHaveLength(0);
  });

  it('45015 (outside the 48-hour window) is forbidden, with errcode and errmsg', async () => {
    const { fake, client } = await setup();
    fake.closeWindow('oGone');
    const err = await rejection(client.sendText('oGone', 'are you there?'));
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/48-hour customer-service window has closed/);
    expect(err.details).toMatchObject({ errcode: 45015, errmsg: expect.stringMatching(/out of time limit/) });
    expect(fake.sent).toHaveLength(0);
    await client.sendText('oHere', 'others still get theirs');
    expect(fake.sent).toHaveLength(1);
  });

  it('-1 (system busy) is unavailable and not retried, so nothing can arrive twice', async () => {
    const { fake, client } = await setup();
    await client.getAccessToken();
    fake.failNext(-1);
    const err = await rejection(client.sendText('o1', 'x'));
    expect(err.code).toBe('unavailable');
    expect(err.details).toMatchObject({ errcode: -1 });
    expect(fake.sendRequests).toBe(1);
    await client.sendText('o1', 'x');
    expect(fake.sent).toHaveLength(1);
  });

  it('other errcodes are bad requests carrying errcode and errmsg', async () => {
    const { fake, client } = await setup();
    fake.failNext(40003);
    const err = await rejection(client.sendText('o1', 'x'));
    expect(err.code).toBe('bad_request');
    expect(err.details).toMatchObject({ errcode: 40003, errmsg: expect.stringMatching(/invalid openid/) });
  });

  it('splits text beyond 2048 bytes into several messages WeChat accepts', async () => {
    const { fake, client } = await setup();
    const answer = '这件衬衫是亚麻的，适合夏天穿。'.repeat(100) + '\nIn English: it is linen, good for summer.';
    const count = await client.sendText('o1', answer);
    expect(count).toBeGreaterThan(2);
    expect(fake.sent).toHaveLength(count);
    for (const s of fake.sent) expect(Buffer.byteLength(s.text?.content ?? '', 'utf8')).toBeLessThanOrEqual(2048);
    expect(fake.sent.map((s) => s.text?.content).join('').replace(/\s/g, '')).toBe(answer.replace(/\s/g, ''));
    expect(fake.sent.at(-1)?.text?.content).toMatch(/In English/);
  });

  it('a failure part-way through a split message says how many parts went out', async () => {
    const { fake, client } = await setup();
    fake.closeWindow('oGone');
    const err = await rejection(client.sendText('oGone', 'x. '.repeat(2000)));
    expect(err.code).toBe('forbidden');
    expect(err.details).toMatchObject({ errcode: 45015, partsSent: 0 });
  });

  it('refuses empty text and a missing OpenID before calling WeChat', async () => {
    const { fake, client } = await setup();
    expect((await rejection(client.sendText('o1', '  \n'))).code).toBe('bad_request');
    expect((await rejection(client.sendText('', 'x'))).code).toBe('bad_request');
    expect((await rejection(client.sendNews('o1', []))).code).toBe('bad_request');
    expect((await rejection(client.sendNews('o1', [{ title: ' ' }]))).code).toBe('bad_request');
    expect(fake.tokenRequests + fake.sendRequests).toBe(0);
  });

  it('sends news articles in the API shape (picurl), several messages when the account takes fewer per message', async () => {
    const articles = [
      { title: 'A', description: 'a', url: 'https://shop.example/a', picUrl: 'https://shop.example/a.jpg' },
      { title: 'B' },
      { title: 'C', url: 'https://shop.example/c' },
    ];
    const { fake, client } = await setup();
    expect(await client.sendNews('o1', articles)).toBe(1);
    expect(fake.sent[0]).toMatchObject({
      msgtype: 'news',
      news: {
        articles: [
          { title: 'A', description: 'a', url: 'https://shop.example/a', picurl: 'https://shop.example/a.jpg' },
          { title: 'B' },
          { title: 'C', url: 'https://shop.example/c' },
        ],
      },
    });

    const strict = await setup({ maxArticlesPerNews: 1 });
    const refused = await rejection(strict.client.sendNews('o1', articles));
    expect(refused.details).toMatchObject({ errcode: 45008 });
    const oneEach = await setup({ maxArticlesPerNews: 1 }, { maxArticlesPerNews: 1 });
    expect(await oneEach.client.sendNews('o1', articles)).toBe(3);
    expect(oneEach.fake.sent.map((s) => s.news?.articles.map((a) => a.title))).toEqual([['A'], ['B'], ['C']]);
  });

  it('a wrong AppSecret is a configuration error, and the secret never appears in the message', async () => {
    const { fake } = await setup();
    const client = new WeChatApiClient({ appId: fake.appId, appSecret: 'wrong-secret-value', apiBase: fake.apiBase });
    const err = await rejection(client.sendText('o1', 'x'));
    expect(err.code).toBe('config_invalid');
    expect(err.details).toMatchObject({ errcode: 40125 });
    expect(err.message).toMatch(/WECHAT_APP_SECRET/);
    expect(err.message).not.toContain('wrong-secret-value');
  });

  it('a token request that fails is shared by its concurrent callers and not cached', async () => {
    const { fake, client } = await setup();
    fake.failNext(-1, 'token');
    const results = await Promise.allSettled([client.getAccessToken(), client.getAccessToken(), client.getAccessToken()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(fake.tokenRequests).toBe(1);
    const err = (results[0] as PromiseRejectedResult).reason as ShopError;
    expect(err.code).toBe('unavailable');
    await client.getAccessToken();
    expect(fake.tokenRequests).toBe(2);
  });

  it('a request slower than timeoutMs is unavailable, promptly', async () => {
    const { fake, client } = await setup({}, { timeoutMs: 150 });
    await client.getAccessToken();
    fake.delayNext(2000);
    const started = Date.now();
    const err = await rejection(client.sendText('o1', 'x'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('an unreachable server is unavailable, and the URL (with its secret) is not in the message', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = new WeChatApiClient({ appId: 'wx1', appSecret: 'top-secret', apiBase: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const err = await rejection(client.getAccessToken());
    expect(err.code).toBe('unavailable');
    expect(err.message).not.toContain('top-secret');
  });

  it('a non-JSON or non-2xx answer is unavailable', async () => {
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>gateway</html>');
      } else {
        res.writeHead(502);
        res.end('bad gateway');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const html = await rejection(new WeChatApiClient({ appId: 'a', appSecret: 's', apiBase: `${base}/html` }).getAccessToken());
      expect(html.code).toBe('unavailable');
      expect(html.message).toMatch(/JSON/);
      const bad = await rejection(new WeChatApiClient({ appId: 'a', appSecret: 's', apiBase: base }).getAccessToken());
      expect(bad.code).toBe('unavailable');
      expect(bad.details).toMatchObject({ status: 502 });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('checks its options when constructed', () => {
    const ok = { appId: 'wx1', appSecret: 's', apiBase: 'https://api.weixin.qq.com' };
    const code = (o: WeChatApiClientOptions): string | undefined => {
      try {
        new WeChatApiClient(o);
        return undefined;
      } catch (err) {
        return isShopError(err) ? `${err.code}: ${err.message}` : String(err);
      }
    };
    expect(code(ok)).toBeUndefined();
    expect(code({ ...ok, appId: '' })).toMatch(/config_invalid: WECHAT_APP_ID/);
    expect(code({ ...ok, appSecret: '' })).toMatch(/config_invalid: WECHAT_APP_SECRET/);
    expect(code({ ...ok, apiBase: 'api.weixin.qq.com' })).toMatch(/config_invalid: WECHAT_API_BASE/);
    expect(code({ ...ok, maxArticlesPerNews: 9 })).toMatch(/config_invalid: maxArticlesPerNews/);
  });
});
