import { userInfo } from 'node:os';
import type { ErrorRequestHandler, Request } from 'express';
import { isShopError, type AuditActor, type AuditEntry, type NewAuditEntry, type Store } from '../store/index.js';
import type { Staff } from './console/auth.js';
import type { Logger } from './logger.js';

/** What an action was done to: `{ type: 'conversation', id }`, `{ type: 'agent', id }`, ... */
export interface AuditTarget {
  type: string;
  id: string;
}

export interface AuditOptions {
  store: Pick<Store, 'audit'>;
  logger: Logger;
  /** Who sent a refused request (the guard threw before it could say): `ConsoleAuth.identify`. */
  identify?: (req: Request) => Promise<Staff | null>;
  /** One `customer.view` per staff member and customer within this window (the console re-reads a conversation on every new message). Default 15 minutes. */
  viewWindowMs?: number;
  now?: () => number;
}

export interface AuditCall {
  target?: AuditTarget;
  details?: Record<string, unknown>;
  outcome?: AuditEntry['outcome'];
}

/**
 * Keys that never go into an entry's details, whatever a caller passes: secrets and the
 * content of messages. Details carry names of fields, counts, roles and reasons only.
 */
const FORBIDDEN_DETAIL = /pass|secret|token|hash|cookie|csrf|^(text|body|content|message|note|email|phone|address)$/i;

/**
 * `details` without any forbidden key (nested objects are cleaned too); undefined when nothing
 * is left. The copy is a null-prototype object: an own `__proto__` key (from a parsed body)
 * copied into `{}` set the copy's prototype and vanished from the entry.
 */
export function safeDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(details)) {
    if (FORBIDDEN_DETAIL.test(k) || v === undefined) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? safeDetails(v as Record<string, unknown>) : v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The actor of a console session or of the ADMIN_TOKEN bearer. Agents are named by their (unique, stable) email. */
export function staffActor(staff: Staff): AuditActor {
  if (staff.agent) return { kind: 'agent', id: staff.agent.id, name: staff.agent.email, role: staff.agent.role };
  return { kind: 'token', name: 'ADMIN_TOKEN', role: staff.role };
}

/** The actor of a CLI command: the operating-system user who ran it. */
export function cliActor(): AuditActor {
  let name = 'unknown';
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry for this uid (some containers): keep "unknown".
  }
  return { kind: 'cli', name };
}

/** Route patterns of the staff API and the action each is, for refused requests (403). */
const ROUTE_ACTIONS: Array<[method: string, pattern: RegExp, action: string, targetType?: string]> = [
  ['GET', /^\/api\/admin\/agents\/?$/, 'agent.list'],
  ['POST', /^\/api\/admin\/agents\/?$/, 'agent.create'],
  ['PATCH', /^\/api\/admin\/agents\/([^/]+)$/, 'agent.update', 'agent'],
  ['DELETE', /^\/api\/admin\/agents\/([^/]+)$/, 'agent.delete', 'agent'],
  ['GET', /^\/api\/admin\/campaigns(?:\/([^/]+))?\/?$/, 'campaign.read', 'campaign'],
  ['POST', /^\/api\/admin\/campaigns\/?$/, 'campaign.create'],
  ['PATCH', /^\/api\/admin\/campaigns\/([^/]+)$/, 'campaign.update', 'campaign'],
  ['DELETE', /^\/api\/admin\/campaigns\/([^/]+)$/, 'campaign.delete', 'campaign'],
  ['GET', /^\/api\/admin\/knowledge(?:\/([^/]+))?\/?$/, 'knowledge.read', 'article'],
  ['POST', /^\/api\/admin\/knowledge\/?$/, 'knowledge.add'],
  ['PUT', /^\/api\/admin\/knowledge\/([^/]+)$/, 'knowledge.update', 'article'],
  ['DELETE', /^\/api\/admin\/knowledge\/([^/]+)$/, 'knowledge.delete', 'article'],
  ['GET', /^\/api\/admin\/customers\/?$/, 'customer.find'],
  ['GET', /^\/api\/admin\/customers\/([^/]+)\/export$/, 'customer.export', 'customer'],
  ['DELETE', /^\/api\/admin\/customers\/([^/]+)$/, 'customer.delete', 'customer'],
  ['GET', /^\/api\/admin\/audit\/?$/, 'audit.list'],
  ['GET', /^\/api\/dashboard\//, 'dashboard.view'],
  ['POST', /^\/api\/console\/conversations\/([^/]+)\/(claim|messages|transfer|reassign|resolve|notes|typing)$/, 'conversation.', 'conversation'],
  ['PUT', /^\/api\/console\/conversations\/([^/]+)\/tags$/, 'conversation.tags', 'conversation'],
  ['GET', /^\/api\/console\/conversations\/([^/]+)$/, 'customer.view', 'conversation'],
];

/** The audit action (and target) of a staff API request, from its method and path; `access` for an unlisted route. */
export function routeAction(method: string, path: string): { action: string; target?: AuditTarget } {
  for (const [m, re, action, targetType] of ROUTE_ACTIONS) {
    const hit = m === method ? re.exec(path) : null;
    if (!hit) continue;
    // `conversation.` takes its verb from the path (a reply is `conversation.reply`).
    const verb = action.endsWith('.') ? `${action}${hit[2] === 'messages' ? 'reply' : hit[2]}` : action;
    const id = hit[1] ? safeDecode(hit[1]) : undefined;
    return { action: verb, ...(targetType && id ? { target: { type: targetType, id } } : {}) };
  }
  return { action: 'access' };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s).slice(0, 200);
  } catch {
    return s.slice(0, 200);
  }
}

/** The paths whose 403s are recorded: the staff APIs. */
const STAFF_PATH = /^\/api\/(admin|console|dashboard)\//;

/**
 * The audit log's writer for routes and the CLI: who (from the request's console session or
 * ADMIN_TOKEN, or the CLI's OS user), what, to what, from where, and how it ended.
 *
 * Recording FAILS OPEN: a failed insert is logged at warn, with the whole entry (which holds no
 * secrets by construction, so the line survives in the server log), and swallowed; the action
 * it describes is not undone or refused. Reasons: the entry goes to the same database as the
 * action, so when the insert fails the action has almost always failed too (and is not
 * recorded as done); a support desk that stops answering shoppers because an audit line could
 * not be written hurts customers more than a gap the log still covers. Hosted help desks
 * (Zendesk, Intercom) write their audit logs the same way, beside the action, not as its gate.
 * Each action costs one awaited insert, made after the action succeeded and before the
 * response, so a caller that saw the response finds the entry.
 */
export class Auditor {
  private readonly viewWindowMs: number;
  private readonly now: () => number;
  private readonly lastViews = new Map<string, number>();

  constructor(private readonly opts: AuditOptions) {
    this.viewWindowMs = opts.viewWindowMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Writes one entry; never throws (see the class comment). */
  async record(entry: NewAuditEntry): Promise<void> {
    const details = safeDetails(entry.details);
    const clean: NewAuditEntry = { ...entry, ...(details ? { details } : {}) };
    if (!details) delete clean.details;
    try {
      await this.opts.store.audit.record(clean);
    } catch (err) {
      this.opts.logger.warn({ err, audit: clean, action: clean.action }, 'audit entry not recorded');
    }
  }

  /** An action by the staff member of this request (`res.locals.staff`, set by `ConsoleAuth.require`). */
  async staff(req: Request, res: { locals: Record<string, unknown> }, action: string, call: AuditCall = {}): Promise<void> {
    const staff = res.locals['staff'] as Staff | undefined;
    await this.record({
      actor: staff ? staffActor(staff) : { kind: 'system' },
      action,
      outcome: call.outcome ?? 'ok',
      ...(call.target ? { targetType: call.target.type, targetId: call.target.id } : {}),
      ...(call.details ? { details: call.details } : {}),
      ...ipOf(req),
    });
  }

  /**
   * A staff member read a customer's profile and transcript. Recorded once per staff member and
   * customer within the view window: the console re-reads an open conversation on every new
   * message, and one line per open is what an access review needs.
   */
  async customerView(req: Request, res: { locals: Record<string, unknown> }, customerId: string, details?: Record<string, unknown>): Promise<void> {
    const staff = res.locals['staff'] as Staff | undefined;
    const key = `${staff?.agent?.id ?? 'token'}\u0000${customerId}`;
    const now = this.now();
    const last = this.lastViews.get(key);
    if (last !== undefined && now - last < this.viewWindowMs) return;
    this.lastViews.delete(key);
    this.lastViews.set(key, now);
    if (this.lastViews.size > 10_000) this.lastViews.delete(this.lastViews.keys().next().value!);
    await this.staff(req, res, 'customer.view', { target: { type: 'customer', id: customerId }, ...(details ? { details } : {}) });
  }

  /**
   * A refused console login: the actor is the email tried (lower-cased), with the agent's id
   * when the email belongs to one. Reasons: `bad_password`, `unknown_email`, `locked_out`.
   * The failure that triggers a lockout adds an `auth.lockout` entry.
   */
  async loginRefused(req: Request, emailTried: string, err: unknown): Promise<void> {
    if (!isShopError(err)) return;
    const name = emailTried.trim().toLowerCase().slice(0, 254);
    const info = (err.details?.['audit'] ?? {}) as { reason?: string; agentId?: string; lockedOut?: boolean };
    const reason = err.code === 'rate_limited' ? 'locked_out' : (info.reason ?? err.code);
    const actor: AuditActor = { kind: 'agent', name, ...(info.agentId ? { id: info.agentId } : {}) };
    const target = info.agentId ? { targetType: 'agent', targetId: info.agentId } : {};
    await this.record({ actor, action: 'auth.login', outcome: 'refused', ...target, details: { reason }, ...ipOf(req) });
    if (info.lockedOut) await this.record({ actor, action: 'auth.lockout', outcome: 'ok', ...target, details: { reason: 'too_many_failures' }, ...ipOf(req) });
  }

  /** An action from the CLI. */
  async cli(action: string, call: AuditCall = {}): Promise<void> {
    await this.record({
      actor: cliActor(),
      action,
      outcome: call.outcome ?? 'ok',
      ...(call.target ? { targetType: call.target.type, targetId: call.target.id } : {}),
      ...(call.details ? { details: call.details } : {}),
    });
  }

  /**
   * Error middleware, mounted after the staff routers: a 403 on a staff API (wrong role,
   * missing CSRF token, the admin token on an agent-only route) becomes a `refused` entry,
   * then the error goes on to the app's error handler. 401s (nobody signed in) are not
   * recorded: they name no one and would fill the log with scanners.
   */
  refusals(): ErrorRequestHandler {
    return (err: unknown, req, _res, next) => {
      if (!isShopError(err, 'forbidden') || !STAFF_PATH.test(req.path) || !this.opts.identify) {
        next(err);
        return;
      }
      const identify = this.opts.identify;
      void (async () => {
        const staff = await identify(req).catch(() => null);
        if (staff) {
          const { action, target } = routeAction(req.method, req.path);
          const reason = typeof err.details?.['reason'] === 'string' ? err.details['reason'] : 'role';
          await this.record({
            actor: staffActor(staff),
            action,
            outcome: 'refused',
            ...(target ? { targetType: target.type, targetId: target.id } : {}),
            details: { reason, method: req.method, path: req.path.slice(0, 200) },
            ...ipOf(req),
          });
        }
      })().finally(() => next(err));
    };
  }
}

function ipOf(req: Request): { ip?: string } {
  return req.ip ? { ip: req.ip } : {};
}

/** Names of the fields a change touched (values never: a password, a note). */
export function changedFields(body: unknown): string[] {
  return body !== null && typeof body === 'object' ? Object.keys(body).filter((k) => (body as Record<string, unknown>)[k] !== undefined).sort() : [];
}
