import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAcked as send, startShopServer, wechatPost, type ShopServer, consoleApi, consoleLogin, type ConsoleSession } from './helpers/shop-server.js';
import type { WsClient, Frame } from './helpers/ws-client.js';

/**
 * The hand-off end to end through the real server and the console API: a shopper asks for
 * a human (widget, WeChat), the conversation waits in the queue, an agent claims and
 * replies on the shopper's channel, the bot stays silent, the agent resolves and the shopper
 * rates. And the races and refusals: two claims, replies after a resolve or a transfer, and
 * WeChat's 48-hour window.
 */

type Session = ConsoleSession;

let shop: ShopServer;
const OA = 'gh_handoff_test';

beforeAll(async () => {
  shop = await startShopServer('sa-handoff-', 'handoffToken1', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false' });
}, 120_000);

afterAll(async () => {
  await shop?.close();
});

/** The ids of a customer's conversations that hold at least one message (a socket may open an empty one). */
async function conversationsWithMessages(customerId: string): Promise<string[]> {
  const all = (await shop.server.store.conversations.listByCustomer(customerId, { limit: 50 })).items;
  const kept: string[] = [];
  for (const c of all) if ((await shop.server.store.messages.listByConversation(c.id, { limit: 1 })).length > 0) kept.push(c.id);
  return kept;
}

const login = (email: string, password: string): Promise<Session> => consoleLogin(shop.server.url, email, password);
const api = (s: Session, method: string, path: string, body?: unknown) => consoleApi(shop.server.url, s, method, path, body);

const messages = (c: WsClient, from: number) =>
  c.frames.slice(from).filter((f: Frame) => f.type === 'message').map((f) => f['message'] as { sender: string; text: string; agentName?: string; suggestedActions?: Array<{ value: string }> });

async function queuedIds(s: Session): Promise<string[]> {
  const q = await api(s, 'GET', '/api/console/queue');
  return (q.json['queued'] as Array<{ id: string }>).map((x) => x.id);
}

describe('hand-off through the widget', () => {
  it('queue → claim → agent reply on the widget → bot silent → resolve → rating', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const w = await shop.widget();
    let from = w.frames.length;
    await send(w, 'I want to talk to a human');
    const notice = await w.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'system', { from });
    expect((notice['message'] as { text: string }).text).toMatch(/number 1 in the queue/);

    const q = await api(lina, 'GET', '/api/console/queue');
    const item = (q.json['queued'] as Array<Record<string, unknown>>)[0]!;
    expect(item).toMatchObject({ channel: 'web', status: 'queued', reason: 'requested', position: 1 });
    const id = String(item['id']);

    // While queued: one notice at most, never a bot answer.
    from = w.frames.length;
    await send(w, 'where is my order SA900032?');
    await new Promise((r) => setTimeout(r, 300));
    expect(messages(w, from).filter((m) => m.sender !== 'customer').every((m) => m.sender === 'system')).toBe(true);

    const claimed = await api(lina, 'POST', `/api/console/conversations/${id}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.json['conversation']).toMatchObject({ status: 'assigned', assigneeId: lina.agentId });
    await w.waitFor((f) => f.type === 'message' && /Li Na/.test((f['message'] as { text: string }).text), { from });

    from = w.frames.length;
    const sent = await api(lina, 'POST', `/api/console/conversations/${id}/messages`, { text: 'Hi, I am looking at your order now.' });
    expect(sent.status).toBe(201);
    const reply = await w.waitFor((f) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'agent', { from });
    expect(reply['message']).toMatchObject({ text: 'Hi, I am looking at your order now.', agentName: '李娜 Li Na' });

    // The shopper writes while the agent owns it: stored, annotated for the agent, no bot answer.
    from = w.frames.length;
    await send(w, 'thanks, it was supposed to arrive yesterday');
    await new Promise((r) => setTimeout(r, 400));
    expect(messages(w, from).map((m) => m.sender)).toEqual(['customer']);
    const detail = await api(lina, 'GET', `/api/console/conversations/${id}`);
    const transcript = detail.json['transcript'] as Array<{ sender: string; text: string; intent?: string; sentiment?: number }>;
    const last = transcript.at(-1)!;
    expect(last).toMatchObject({ sender: 'customer', text: 'thanks, it was supposed to arrive yesterday' });
    expect(typeof last.intent).toBe('string');
    expect(detail.json['canReply']).toBe(true);

    from = w.frames.length;
    const resolved = await api(lina, 'POST', `/api/console/conversations/${id}/resolve`);
    expect(resolved.status).toBe(200);
    const prompt = await w.waitFor((f) => f.type === 'message' && ((f['message'] as { suggestedActions?: unknown[] }).suggestedActions ?? []).length === 5, { from });
    const choices = (prompt['message'] as { suggestedActions: Array<{ title: string; value: string }> }).suggestedActions;
    expect(choices.map((c) => c.value)).toEqual(['csat:1', 'csat:2', 'csat:3', 'csat:4', 'csat:5']);

    from = w.frames.length;
    await send(w, choices[4]!.title, choices[4]!.value);
    await w.waitFor((f) => f.type === 'message' && /Thank you for rating us 5/.test((f['message'] as { text: string }).text), { from });
    const conv = await shop.server.store.conversations.get(id);
    expect(conv).toMatchObject({ status: 'resolved', rating: 5 });
    expect(conv!.firstResponseAt).toBeInstanceOf(Date);

    // The bot said nothing between the hand-off and the resolution; its one line is the thanks for the rating.
    const stored = await shop.server.store.messages.listByConversation(id, { limit: 100 });
    expect(stored.filter((m) => m.sender === 'bot').map((m) => m.text)).toEqual([expect.stringMatching(/Thank you for rating us 5/)]);
    // The rating is filed in the conversation it rates: no new conversation was opened for it.
    expect(stored.some((m) => m.direction === 'in' && m.text === choices[4]!.title)).toBe(true);
    expect(await conversationsWithMessages(conv!.customerId)).toEqual([id]);
    expect(stored.filter((m) => m.sender === 'agent').map((m) => m.text)).toEqual(['Hi, I am looking at your order now.']);
  }, 30_000);

  it('an agent going offline puts their conversations back in the queue, keeping the priority earned by waiting; another agent takes them', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const tom = await login('tom.baker@example.com', 'demo-agent-tom');
    await api(lina, 'PUT', '/api/console/me/status', { status: 'online' });
    const w = await shop.widget();
    await send(w, 'talk to a person please');
    const queued = (await api(lina, 'GET', '/api/console/queue')).json['queued'] as Array<{ id: string; customerId?: string }>;
    const id = queued[queued.length - 1]!.id;
    expect((await api(lina, 'POST', `/api/console/conversations/${id}/claim`)).status).toBe(200);
    const before = (await shop.server.store.conversations.get(id))!;

    expect((await api(lina, 'PUT', '/api/console/me/status', { status: 'offline' })).status).toBe(200);
    const back = (await shop.server.store.conversations.get(id))!;
    expect(back).toMatchObject({ status: 'queued', assigneeId: null, handoffReason: before.handoffReason });
    expect(back.priority).toBeGreaterThanOrEqual(before.priority);
    expect((await api(tom, 'POST', `/api/console/conversations/${id}/claim`)).json['conversation']).toMatchObject({ status: 'assigned', assigneeId: tom.agentId });
    await api(tom, 'POST', `/api/console/conversations/${id}/resolve`);
  }, 30_000);

  it('two agents claiming at once: exactly one wins; a reply after a transfer or a resolve is refused and nothing is sent', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const tom = await login('tom.baker@example.com', 'demo-agent-tom');
    await api(tom, 'PUT', '/api/console/me/status', { status: 'online' });
    const w = await shop.widget();
    await send(w, 'talk to a person please');
    await new Promise((r) => setTimeout(r, 200));
    const ids = await queuedIds(lina);
    const conv = (await shop.server.store.conversations.findOpenByCustomer((await w.waitFor((f) => f.type === 'hello' && typeof f['customerId'] === 'string'))['customerId'] as string, 'web'))!;
    expect(ids).toContain(conv.id);

    const [a, b] = await Promise.all([
      api(lina, 'POST', `/api/console/conversations/${conv.id}/claim`),
      api(tom, 'POST', `/api/console/conversations/${conv.id}/claim`),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect((loser.json['error'] as { reason: string }).reason).toBe('already_claimed');
    const winner = a.status === 200 ? lina : tom;
    const other = winner === lina ? tom : lina;

    // The winner transfers to the other agent; the winner's late reply is refused.
    const t = await api(winner, 'POST', `/api/console/conversations/${conv.id}/transfer`, { toAgentId: other.agentId });
    expect(t.status).toBe(200);
    const before = (await shop.server.store.messages.listByConversation(conv.id, { limit: 100 })).length;
    const late = await api(winner, 'POST', `/api/console/conversations/${conv.id}/messages`, { text: 'are you still there?' });
    expect(late.status).toBe(409);
    expect((late.json['error'] as { reason: string }).reason).toBe('not_assigned_to_you');

    await api(other, 'POST', `/api/console/conversations/${conv.id}/resolve`);
    const afterResolve = await api(other, 'POST', `/api/console/conversations/${conv.id}/messages`, { text: 'one more thing' });
    expect(afterResolve.status).toBe(409);
    expect((afterResolve.json['error'] as { reason: string }).reason).toBe('resolved');
    const after = await shop.server.store.messages.listByConversation(conv.id, { limit: 100 });
    // Only the "joined" notice of the transfer and the rating question were added: no agent text.
    expect(after.filter((m) => m.sender === 'agent')).toEqual([]);
    expect(after.length).toBe(before + 1);
    await api(tom, 'PUT', '/api/console/me/status', { status: 'offline' });
  }, 30_000);

  it('refuses writes without the CSRF header and the console without a login', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const noCsrf = await fetch(`${shop.server.url}/api/console/me/status`, { method: 'PUT', headers: { cookie: lina.cookie, 'content-type': 'application/json' }, body: '{"status":"away"}' });
    expect(noCsrf.status).toBe(403);
    expect((await fetch(`${shop.server.url}/api/console/queue`)).status).toBe(401);
    const wrong = await fetch(`${shop.server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"li.na@example.com","password":"nope"}' });
    expect(wrong.status).toBe(401);
  });
});

describe('hand-off through WeChat', () => {
  it('the agent reply goes out as a customer-service message; outside the 48-hour window nothing is sent and the console says why', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const openId = `o_handoff_${Date.now()}`;
    const r = await wechatPost(shop, OA, openId, '我要转人工');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/排在第 \d+ 位/);
    const customer = (await shop.server.store.customers.findByIdentity('wechat', openId))!;
    const conv = (await shop.server.store.conversations.findOpenByCustomer(customer.id, 'wechat'))!;
    expect(conv).toMatchObject({ status: 'queued', handoffReason: 'requested', language: 'zh' });

    expect((await api(lina, 'POST', `/api/console/conversations/${conv.id}/claim`)).status).toBe(200);
    const sentBefore = shop.fake.sent.length;
    const reply = await api(lina, 'POST', `/api/console/conversations/${conv.id}/messages`, { text: '您好，我来帮您处理。' });
    expect(reply.status).toBe(201);
    const out = shop.fake.sent.slice(sentBefore).filter((s) => s.touser === openId);
    expect(out.some((s) => JSON.stringify(s).includes('您好，我来帮您处理。'))).toBe(true);

    // The shopper's next message reaches the agent; WeChat gets only `success`, no bot reply.
    const held = await wechatPost(shop, OA, openId, '好的谢谢');
    expect(held.body).toBe('success');

    const detail = await api(lina, 'GET', `/api/console/conversations/${conv.id}`);
    expect((detail.json['wechatWindow'] as { open: boolean }).open).toBe(true);

    await api(lina, 'POST', `/api/console/conversations/${conv.id}/resolve`);
    const ask = shop.fake.sent.filter((s) => s.touser === openId && JSON.stringify(s).includes('打分'));
    expect(ask.length).toBe(1);
    const rated = await wechatPost(shop, OA, openId, '5');
    expect(rated.body).toMatch(/感谢您的评分/);
    expect((await shop.server.store.conversations.get(conv.id))!.rating).toBe(5);
    // A bare "5" typed back is filed in the conversation it rates, too.
    const last = (await shop.server.store.messages.listByConversation(conv.id, { limit: 100 })).filter((m) => m.direction === 'in').pop();
    expect(last?.text).toBe('5');
    expect(await conversationsWithMessages(conv.customerId)).toEqual([conv.id]);
  }, 30_000);

  it('a WeChat shopper who last wrote three days ago cannot be messaged: 409 wechat_window_closed and nothing reaches WeChat', async () => {
    const lina = await login('li.na@example.com', 'demo-agent-lina');
    const s = shop.server.store;
    const openId = `o_old_${Date.now()}`;
    const customer = await s.customers.create({ displayName: '老顾客', locale: 'zh', identities: [{ channel: 'wechat', externalId: openId }] });
    const conv = await s.conversations.create({ customerId: customer.id, channel: 'wechat', language: 'zh' });
    await s.messages.append({ conversationId: conv.id, customerId: customer.id, direction: 'in', sender: 'customer', channel: 'wechat', text: '在吗', createdAt: new Date(Date.now() - 72 * 3600_000) });
    await s.conversations.enqueue(conv.id, { priority: 20, reason: 'requested' });
    expect((await api(lina, 'POST', `/api/console/conversations/${conv.id}/claim`)).status).toBe(200);
    const before = shop.fake.sent.length;
    const stored = (await s.messages.listByConversation(conv.id, { limit: 100 })).length;
    const res = await api(lina, 'POST', `/api/console/conversations/${conv.id}/messages`, { text: '您好' });
    expect(res.status).toBe(409);
    const err = res.json['error'] as { reason: string; message: string };
    expect(err.reason).toBe('wechat_window_closed');
    expect(err.message).toMatch(/48 hours/);
    expect(shop.fake.sent.length).toBe(before);
    expect((await s.messages.listByConversation(conv.id, { limit: 100 })).length).toBe(stored);
    const detail = await api(lina, 'GET', `/api/console/conversations/${conv.id}`);
    expect(detail.json).toMatchObject({ canReply: false, whyNot: 'wechat_window_closed', wechatWindow: { open: false } });
  });
});

describe('automatic triggers and assignment', () => {
  it('an angry shopper goes to the queue with reason sentiment; an online agent who speaks the language gets it automatically', async () => {
    const auto = await startShopServer('sa-handoff-auto-', 'autoToken1', { EMBEDDINGS_MODEL: 'lexical' });
    try {
      const res = await fetch(`${auto.server.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'tom.baker@example.com', password: 'demo-agent-tom' }) });
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      const { csrfToken, agent } = (await res.json()) as { csrfToken: string; agent: { id: string } };
      await fetch(`${auto.server.url}/api/console/me/status`, { method: 'PUT', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: '{"status":"online"}' });
      const w = await auto.widget();
      const from = w.frames.length;
      await send(w, 'This is the worst service ever, I am furious!!! Nobody answers me');
      const joined = await w.waitFor((f) => f.type === 'message' && /Tom Baker/.test((f['message'] as { text: string }).text), { from });
      expect((joined['message'] as { sender: string }).sender).toBe('system');
      const conv = (await auto.server.store.conversations.findOpenByCustomer((await w.waitFor((f) => f.type === 'hello' && typeof f['customerId'] === 'string'))['customerId'] as string, 'web'))!;
      expect(conv).toMatchObject({ status: 'assigned', assigneeId: agent.id, handoffReason: 'sentiment' });
      const inbound = (await auto.server.store.messages.listByConversation(conv.id, { limit: 10 })).find((m) => m.direction === 'in')!;
      expect(inbound.sentiment).toBeLessThanOrEqual(-0.6);
    } finally {
      await auto.close();
    }
  }, 60_000);
});
