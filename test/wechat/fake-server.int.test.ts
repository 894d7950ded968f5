import { afterEach, describe, expect, it } from 'vitest';
import { startFakeWeChat, type FakeWeChat } from '../fakes/wechat-server.js';

// The fake stands in for WeChat in every channel test, so it must hold WeChat's rules too.
let fake: FakeWeChat | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

async function token(f: FakeWeChat, params: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const q = new URLSearchParams({ grant_type: 'client_credential', appid: f.appId, secret: f.appSecret, ...params });
  return json(await fetch(`${f.apiBase}/cgi-bin/token?${q.toString()}`));
}

async function send(f: FakeWeChat, accessToken: string | undefined, body: unknown): Promise<Record<string, unknown>> {
  const q = accessToken === undefined ? '' : `?access_token=${encodeURIComponent(accessToken)}`;
  return json(
    await fetch(`${f.apiBase}/cgi-bin/message/custom/send${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

describe('fake WeChat server', () => {
  it('issues tokens for the right appid and secret only', async () => {
    fake = await startFakeWeChat({ expiresIn: 3600 });
    const ok = await token(fake);
    expect(ok).toEqual({ access_token: expect.any(String), expires_in: 3600 });
    expect((await token(fake, { appid: 'wx_other' }))['errcode']).toBe(40013);
    expect((await token(fake, { secret: 'nope' }))['errcode']).toBe(40125);
    expect((await token(fake, { grant_type: 'password' }))['errcode']).toBe(40002);
    expect((await token(fake, { appid: '' }))['errcode']).toBe(41002);
    expect((await token(fake, { secret: '' }))['errcode']).toBe(41004);
    const post = await json(await fetch(`${fake.apiBase}/cgi-bin/token`, { method: 'POST' }));
    expect(post['errcode']).toBe(43001);
    expect(fake.tokenRequests).toBe(7);
  });

  it('checks the access_token of every send', async () => {
    fake = await startFakeWeChat();
    const body = { touser: 'o1', msgtype: 'text', text: { content: 'hi' } };
    expect((await send(fake, undefined, body))['errcode']).toBe(41001);
    expect((await send(fake, 'made-up', body))['errcode']).toBe(40001);
    const t = String((await token(fake))['access_token']);
    expect(await send(fake, t, body)).toEqual({ errcode: 0, errmsg: 'ok' });
    fake.expireToken();
    expect((await send(fake, t, body))['errcode']).toBe(42001);
    const t2 = String((await token(fake))['access_token']);
    fake.expireToken('invalid');
    expect((await send(fake, t2, body))['errcode']).toBe(40001);
    expect(fake.sent).toEqual([{ ...body, accessToken: t }]);
  });

  it('expires tokens after expires_in by its own clock', async () => {
    fake = await startFakeWeChat({ expiresIn: 1 });
    const t = String((await token(fake))['access_token']);
    const body = { touser: 'o1', msgtype: 'text', text: { content: 'hi' } };
    expect((await send(fake, t, body))['errcode']).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await send(fake, t, body))['errcode']).toBe(42001);
  });

  it('validates the message shape like WeChat', async () => {
    fake = await startFakeWeChat({ maxArticlesPerNews: 8 });
    const t = String((await token(fake))['access_token']);
    const code = async (body: unknown) => (await send(fake as FakeWeChat, t, body))['errcode'];
    expect(await code('{not json')).toBe(47001);
    expect(await code('')).toBe(44002);
    expect(await code({ msgtype: 'text', text: { content: 'x' } })).toBe(40003);
    expect(await code({ touser: 'o', msgtype: 'fax', fax: {} })).toBe(40008);
    expect(await code({ touser: 'o', msgtype: 'text', text: {} })).toBe(47001);
    expect(await code({ touser: 'o', msgtype: 'text', text: { content: '' } })).toBe(44004);
    expect(await code({ touser: 'o', msgtype: 'text', text: { content: '好'.repeat(683) } })).toBe(45002);
    expect(await code({ touser: 'o', msgtype: 'text', text: { content: '好'.repeat(682) } })).toBe(0);
    expect(await code({ touser: 'o', msgtype: 'news', news: { articles: [] } })).toBe(45008);
    expect(await code({ touser: 'o', msgtype: 'news', news: { articles: Array(9).fill({ title: 't' }) } })).toBe(45008);
    expect(await code({ touser: 'o', msgtype: 'news', news: { articles: [{ title: 't', PicUrl: 'x' }] } })).toBe(47001);
    expect(await code({ touser: 'o', msgtype: 'news', news: { articles: [{ title: 't', picurl: 'x', url: 'u', description: 'd' }] } })).toBe(0);
    expect(fake.sent).toHaveLength(2);
  });

  it('simulates a closed 48-hour window, one-off failures and slowness', async () => {
    fake = await startFakeWeChat();
    const t = String((await token(fake))['access_token']);
    const body = (touser: string) => ({ touser, msgtype: 'text', text: { content: 'x' } });
    fake.closeWindow('oGone');
    expect((await send(fake, t, body('oGone')))['errcode']).toBe(45015);
    fake.failNext(-1);
    expect((await send(fake, t, body('o1')))['errcode']).toBe(-1);
    expect((await send(fake, t, body('o1')))['errcode']).toBe(0);
    fake.delayNext(300);
    const started = Date.now();
    expect((await send(fake, t, body('o1')))['errcode']).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fake.sendRequests).toBe(4);
  });

  it('answers 404 for APIs it does not have, and closes with a request still waiting', async () => {
    fake = await startFakeWeChat();
    expect((await fetch(`${fake.apiBase}/cgi-bin/menu/create`)).status).toBe(404);
    fake.delayNext(60_000);
    const pending = fetch(`${fake.apiBase}/cgi-bin/token`).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 50));
    await fake.close();
    fake = undefined;
    expect(await pending).toBeInstanceOf(Error);
  });
});
