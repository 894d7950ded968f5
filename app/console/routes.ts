import { readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { HandoffService } from '../../bots/index.js';
import { hasRole, publicAgent, staffOf, type ConsoleAuth, type Staff } from './auth.js';
import { agentNameMap, consoleMessage, customerView, queueItem, windowView, type QueueItem } from './views.js';
import { ordersPanel, provenOrderNumbers } from './orders.js';
import { recentAsks, suggestReplies, type CannedReply, type KbPassage } from './suggestions.js';
import { listAll, ShopError, type Agent, type Conversation, type Locale, type Message, type Order, type Store, safeParse } from '../../store/index.js';
import { parseOrThrow } from '../http.js';
import type { AuditCall, Auditor } from '../audit.js';

/** A knowledge-base passage an agent may send or adapt. */
export type Suggestion = KbPassage;

export type CannedResponse = CannedReply;

/** A conversation's messages read for its proofs and latest questions: at most this many pages of 500. */
const CONVERSATION_PAGES = 4;

export interface ConsoleRoutesOptions {
  store: Store;
  auth: ConsoleAuth;
  handoff: HandoffService;
  /** Knowledge-base passages for a shopper's message, in the conversation's language. */
  suggest?: (text: string, locale: Locale) => Promise<Suggestion[]>;
  canned: CannedResponse[];
  clock?: () => Date;
  /** Records the agents' actions and customer views in the audit log. */
  audit?: Auditor;
}

const cannedFile = z.object({
  canned: z.array(z.object({ id: z.string().min(1).max(64), locale: z.enum(['en', 'zh']), title: z.string().min(1).max(100), text: z.string().min(1).max(2000) })).max(500),
});

/** Reads the canned responses (data/canned-responses.json by default); a bad file is a clear start-up error. */
export function loadCannedResponses(file: string): CannedResponse[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ShopError('config_invalid', `cannot read the canned responses in ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = safeParse(cannedFile, json);
  if (!parsed.success) throw new ShopError('config_invalid', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data.canned;
}

const statusBody = z.strictObject({ status: z.enum(['online', 'away', 'offline']) });
const replyBody = z.strictObject({ text: z.string().trim().min(1).max(2000), clientId: z.string().max(64).optional() });
const toAgentBody = z.strictObject({ toAgentId: z.string().min(1).max(100) });
const noteBody = z.strictObject({ text: z.string().trim().min(1).max(4000) });
const tagsBody = z.strictObject({ tags: z.array(z.string().max(40)).max(20) });
const typingBody = z.strictObject({ on: z.boolean() });
const cannedQuery = z.object({ locale: z.enum(['en', 'zh']).optional() });

/**
 * May this staff member see this conversation? Supervisors and admins see all; an agent sees
 * the queue, what is assigned to them, and what they handled.
 */
export function canSee(staff: Staff, c: Conversation): boolean {
  if (hasRole(staff.role, 'supervisor')) return true;
  return c.status === 'queued' || (staff.agent !== null && c.assigneeId === staff.agent.id);
}

/**
 * The agent console's HTTP API (see the README's "Agent console" section): the queue, a
 * conversation with the customer's whole cross-channel history, and the agent's actions.
 * Every route needs a console session (agent role or higher); writes need the CSRF header.
 */
export function consoleRoutes(o: ConsoleRoutesOptions): Router {
  const { store, auth, handoff } = o;
  const clock = o.clock ?? (() => new Date());
  const router = express.Router();
  const asAgent = auth.require('agent');
  const audit = async (req: express.Request, res: express.Response, action: string, call: AuditCall): Promise<void> => o.audit?.staff(req, res, action, call);
  const onConv = (id: string) => ({ type: 'conversation', id });

  function me(res: { locals: Record<string, unknown> }): Agent {
    const staff = staffOf(res);
    if (!staff.agent) throw new ShopError('forbidden', 'the console needs an agent login, not the admin token');
    return staff.agent;
  }

  async function agentsWithNames(): Promise<{ agents: Agent[]; names: Map<string, string> }> {
    const agents = await listAll((page) => store.agents.list({}, page));
    return { agents, names: agentNameMap(agents) };
  }

  /** Failed deliveries per conversation (the list badge); bounded: the oldest 2000 failed messages at most. */
  async function failedByConversation(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let cursor: string | null | undefined;
    for (let pages = 0; pages < 4; pages++) {
      const page = await store.messages.listByDelivery('failed', { limit: 500, cursor });
      for (const m of page.items) counts.set(m.conversationId, (counts.get(m.conversationId) ?? 0) + 1);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return counts;
  }

  async function items(convs: Conversation[], names: Map<string, string>, positions?: Map<string, number>): Promise<QueueItem[]> {
    const now = clock();
    const failed = convs.length > 0 ? await failedByConversation() : new Map<string, number>();
    return Promise.all(
      convs.map(async (c) => {
        const [customer, last, window] = await Promise.all([
          store.customers.get(c.customerId),
          store.messages.listByCustomer(c.customerId, { limit: 1 }).then((p) => p.items[0]),
          c.channel === 'wechat' ? handoff.wechatWindowOf(c.customerId) : Promise.resolve(undefined),
        ]);
        return queueItem(c, { customer, agentNames: names, now, position: positions?.get(c.id), last, window, failedDeliveries: failed.get(c.id) });
      }),
    );
  }

  /** The conversation's messages, oldest first (bounded: CONVERSATION_PAGES pages). */
  async function conversationMessages(id: string): Promise<Message[]> {
    const out: Message[] = [];
    for (let pages = 0; pages < CONVERSATION_PAGES; pages++) {
      const page = await store.messages.listByConversation(id, { afterSeq: out.at(-1)?.seq ?? 0, limit: 500 });
      out.push(...page);
      if (page.length < 500) break;
    }
    return out;
  }

  async function loadVisible(id: string, staff: Staff): Promise<Conversation> {
    const c = await store.conversations.get(id);
    if (!c || !canSee(staff, c)) throw new ShopError('not_found', `conversation ${id} not found`);
    return c;
  }

  async function oneItem(c: Conversation): Promise<QueueItem> {
    const { names } = await agentsWithNames();
    const position = c.status === 'queued' ? await handoff.position(c.id) : undefined;
    return (await items([c], names, position ? new Map([[c.id, position]]) : undefined))[0]!;
  }

  router.put('/api/console/me/status', asAgent, async (req, res) => {
    const body = parseOrThrow(statusBody, req.body ?? {}, 'status');
    const agent = await handoff.setStatus(me(res), body.status);
    await audit(req, res, 'agent.status', { target: { type: 'agent', id: agent.id }, details: { status: body.status } });
    res.json({ agent: publicAgent(agent) });
  });

  router.get('/api/console/queue', asAgent, async (_req, res) => {
    const staff = staffOf(res);
    const { agents, names } = await agentsWithNames();
    const queued = await handoff.queue();
    const positions = new Map(queued.map((c, i) => [c.id, i + 1]));
    const assigned = await listAll((page) => store.conversations.list({ status: 'assigned' }, page));
    const mine = staff.agent ? assigned.filter((c) => c.assigneeId === staff.agent!.id) : [];
    const others = hasRole(staff.role, 'supervisor') ? assigned : [];
    const loads = await store.conversations.assignedCounts();
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      queued: await items(queued, names, positions),
      mine: await items(mine, names),
      assigned: await items(others, names),
      agents: agents.map((a) => ({ ...publicAgent(a), load: loads[a.id] ?? 0 })),
      autoAssign: handoff.autoAssigns,
    });
  });

  router.get('/api/console/agents', asAgent, async (_req, res) => {
    const { agents } = await agentsWithNames();
    const loads = await store.conversations.assignedCounts();
    res.json({ agents: agents.map((a) => ({ ...publicAgent(a), load: loads[a.id] ?? 0 })) });
  });

  router.get('/api/console/canned', asAgent, (req, res) => {
    const q = parseOrThrow(cannedQuery, req.query, 'query');
    res.json({ canned: q.locale ? o.canned.filter((c) => c.locale === q.locale) : o.canned });
  });

  router.get('/api/console/conversations/:id', asAgent, async (req, res) => {
    const staff = staffOf(res);
    const conv = await loadVisible(String(req.params['id']), staff);
    const { names } = await agentsWithNames();
    const customer = await store.customers.get(conv.customerId);
    if (!customer) throw new ShopError('not_found', `the customer of conversation ${conv.id} was deleted`);
    await o.audit?.customerView(req, res, customer.id, { conversationId: conv.id, channel: conv.channel });
    const [history, orders, returns, messages] = await Promise.all([
      store.messages.listByCustomer(customer.id, { limit: 200 }),
      store.orders.listByCustomer(customer.id, { limit: 10 }),
      store.returns.listByCustomer(customer.id, { limit: 10 }),
      conversationMessages(conv.id),
    ]);
    const transcript = history.items.reverse().map((m) => consoleMessage(m, names));
    // Orders the shopper proved in this conversation (an anonymous visitor: number + phone digits).
    const proven = (await Promise.all(provenOrderNumbers(messages, conv.id).map((n) => store.orders.getByNumber(n)))).filter((x): x is Order => x !== null);
    for (const order of proven) {
      if (order.customerId !== customer.id) await o.audit?.customerView(req, res, order.customerId, { conversationId: conv.id, channel: conv.channel, provenOrder: order.number });
    }
    const suggestions = await suggestReplies({ asks: recentAsks(messages, conv.id), locale: conv.language, kb: o.suggest, canned: o.canned });
    const window = conv.channel === 'wechat' ? windowView(await handoff.wechatWindowOf(customer.id)) : null;
    const mine = staff.agent !== null && conv.status === 'assigned' && conv.assigneeId === staff.agent.id;
    const whyNot =
      conv.status === 'resolved'
        ? 'resolved'
        : conv.status === 'queued'
          ? 'claim it first'
          : !mine
            ? `assigned to ${conv.assigneeId ? (names.get(conv.assigneeId) ?? conv.assigneeId) : 'nobody'}`
            : conv.channel === 'wechat' && window && !window.open
              ? 'wechat_window_closed'
              : undefined;
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      conversation: {
        ...(await oneItem(conv)),
        notes: conv.notes.map((n) => ({ agentId: n.agentId, agentName: names.get(n.agentId), text: n.text, at: n.at.toISOString() })),
        firstResponseAt: conv.firstResponseAt?.toISOString(),
        resolvedAt: conv.resolvedAt?.toISOString(),
        rating: conv.rating,
      },
      customer: customerView(customer),
      orders: ordersPanel(orders.items, proven, customer.id),
      returns: returns.items,
      transcript,
      wechatWindow: window,
      suggestions,
      canReply: whyNot === undefined,
      ...(whyNot ? { whyNot } : {}),
    });
  });

  router.post('/api/console/conversations/:id/claim', asAgent, async (req, res) => {
    const id = String(req.params['id']);
    const conv = await store.conversations.get(id);
    if (!conv) throw new ShopError('not_found', `conversation ${id} not found`);
    // Taking a conversation from the bot unasked is a supervisor's call; agents take the queue.
    if (conv.status === 'bot' && !hasRole(staffOf(res).role, 'supervisor')) {
      throw new ShopError('conflict', 'this conversation is with the bot, not in the queue', { details: { reason: 'not_queued' } });
    }
    const claimed = await handoff.claim(conv.id, me(res));
    await audit(req, res, 'conversation.claim', { target: onConv(conv.id), details: { channel: conv.channel, from: conv.status } });
    res.json({ conversation: await oneItem(claimed) });
  });

  router.post('/api/console/conversations/:id/messages', asAgent, async (req, res) => {
    const body = parseOrThrow(replyBody, req.body ?? {}, 'reply');
    const agent = me(res);
    const conv = await store.conversations.get(String(req.params['id']));
    if (!conv) throw new ShopError('not_found', `conversation ${String(req.params['id'])} not found`);
    const message = await handoff.reply(conv.id, agent, body.text).catch(async (err: unknown) => {
      const reason = err instanceof ShopError ? (typeof err.details?.['reason'] === 'string' ? err.details['reason'] : err.code) : 'error';
      await audit(req, res, 'conversation.reply', { target: onConv(conv.id), outcome: 'refused', details: { channel: conv.channel, reason } });
      throw err;
    });
    await audit(req, res, 'conversation.reply', { target: onConv(conv.id), details: { channel: conv.channel, delivery: message.delivery?.status ?? 'sent' } });
    handoff.typing(conv, false, agent.name);
    res.status(201).json({ message: consoleMessage(message, new Map([[agent.id, agent.name]])) });
  });

  // Sends a message whose delivery failed again: the same stored message, never a copy.
  router.post('/api/console/conversations/:id/messages/:messageId/retry', asAgent, async (req, res) => {
    const staff = staffOf(res);
    const conv = await loadVisible(String(req.params['id']), staff);
    if (!hasRole(staff.role, 'supervisor') && !(staff.agent && conv.assigneeId === staff.agent.id)) {
      throw new ShopError('forbidden', 'only the agent this conversation is assigned to, or a supervisor, can send its messages again');
    }
    const messageId = String(req.params['messageId']);
    const stored = await store.messages.get(messageId);
    if (!stored || stored.conversationId !== conv.id) throw new ShopError('not_found', `message ${messageId} not found in conversation ${conv.id}`);
    const message = await handoff.retryDelivery(stored.id).catch(async (err: unknown) => {
      const reason = err instanceof ShopError ? (typeof err.details?.['reason'] === 'string' ? err.details['reason'] : err.code) : 'error';
      await audit(req, res, 'conversation.retry_delivery', { target: onConv(conv.id), outcome: 'refused', details: { messageId, channel: conv.channel, reason } });
      throw err;
    });
    await audit(req, res, 'conversation.retry_delivery', { target: onConv(conv.id), details: { messageId, channel: conv.channel, delivery: message.delivery?.status } });
    const { names } = await agentsWithNames();
    res.json({ message: consoleMessage(message, names) });
  });

  router.post('/api/console/conversations/:id/transfer', asAgent, async (req, res) => {
    const body = parseOrThrow(toAgentBody, req.body ?? {}, 'transfer');
    const conv = await handoff.transfer(String(req.params['id']), me(res), body.toAgentId);
    await audit(req, res, 'conversation.transfer', { target: onConv(conv.id), details: { toAgentId: body.toAgentId } });
    res.json({ conversation: await oneItem(conv) });
  });

  router.post('/api/console/conversations/:id/reassign', auth.require('supervisor'), async (req, res) => {
    const body = parseOrThrow(toAgentBody, req.body ?? {}, 'reassign');
    const conv = await handoff.reassign(String(req.params['id']), body.toAgentId);
    await audit(req, res, 'conversation.reassign', { target: onConv(conv.id), details: { toAgentId: body.toAgentId } });
    res.json({ conversation: await oneItem(conv) });
  });

  router.post('/api/console/conversations/:id/resolve', asAgent, async (req, res) => {
    const staff = staffOf(res);
    const conv = await loadVisible(String(req.params['id']), staff);
    const resolved = await handoff.resolve(conv.id, me(res), { supervisor: hasRole(staff.role, 'supervisor') });
    await audit(req, res, 'conversation.resolve', { target: onConv(conv.id), details: { channel: conv.channel } });
    res.json({ conversation: await oneItem(resolved) });
  });

  router.post('/api/console/conversations/:id/notes', asAgent, async (req, res) => {
    const body = parseOrThrow(noteBody, req.body ?? {}, 'note');
    const conv = await loadVisible(String(req.params['id']), staffOf(res));
    const updated = await store.conversations.addNote(conv.id, { agentId: me(res).id, text: body.text });
    await audit(req, res, 'conversation.note', { target: onConv(conv.id), details: { count: updated.notes.length } });
    const { names } = await agentsWithNames();
    res.status(201).json({
      conversation: { ...(await oneItem(updated)), notes: updated.notes.map((n) => ({ agentId: n.agentId, agentName: names.get(n.agentId), text: n.text, at: n.at.toISOString() })) },
    });
  });

  router.put('/api/console/conversations/:id/tags', asAgent, async (req, res) => {
    const body = parseOrThrow(tagsBody, req.body ?? {}, 'tags');
    const conv = await loadVisible(String(req.params['id']), staffOf(res));
    const updated = await store.conversations.setTags(conv.id, body.tags);
    await audit(req, res, 'conversation.tags', { target: onConv(conv.id), details: { count: updated.tags.length } });
    res.json({ conversation: await oneItem(updated) });
  });

  router.post('/api/console/conversations/:id/typing', asAgent, async (req, res) => {
    const body = parseOrThrow(typingBody, req.body ?? {}, 'typing');
    const conv = await loadVisible(String(req.params['id']), staffOf(res));
    const agent = me(res);
    if (conv.status === 'assigned' && conv.assigneeId === agent.id) handoff.typing(conv, body.on, agent.name);
    res.status(204).end();
  });

  return router;
}
