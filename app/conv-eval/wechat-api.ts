/**
 * A local stand-in for api.weixin.qq.com for the conversation bench (the real one is not
 * reachable here, and the bench must not message real followers): a real HTTP server on
 * 127.0.0.1 answering the calls the WeChat channel makes (access token, customer-service
 * message, follower info) the way WeChat does. The bench reads the answers from the store's
 * transcript, not from here.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WeChatApiStandIn {
  apiBase: string;
  appId: string;
  appSecret: string;
  close(): Promise<void>;
}

export async function startWeChatApiStandIn(): Promise<WeChatApiStandIn> {
  const appId = 'wxconvbench';
  const appSecret = randomBytes(16).toString('hex');
  const token = randomBytes(16).toString('hex');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = (body: Record<string, unknown>) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/cgi-bin/token') {
        if (url.searchParams.get('appid') !== appId || url.searchParams.get('secret') !== appSecret) return answer({ errcode: 40013, errmsg: 'invalid appid' });
        return answer({ access_token: token, expires_in: 7200 });
      }
      if (url.searchParams.get('access_token') !== token) return answer({ errcode: 40001, errmsg: 'invalid credential' });
      if (url.pathname === '/cgi-bin/message/custom/send') return answer({ errcode: 0, errmsg: 'ok' });
      if (url.pathname === '/cgi-bin/user/info') return answer({ subscribe: 1, openid: url.searchParams.get('openid') });
      res.statusCode = 404;
      return answer({ errcode: 404, errmsg: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiBase: `http://127.0.0.1:${port}`,
    appId,
    appSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
