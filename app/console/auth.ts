import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Storage } from 'botbuilder-core';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { ShopError, type Agent, type AgentRepository, type AgentRole } from '../../store/index.js';
import { parseOrThrow } from '../http.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import type { Auditor } from '../audit.js';
import type { Logger } from '../logger.js';
import { LoginThrottle } from './login-throttle.js';
import { SessionExpiryIndex } from './session-expiry.js';

/** The cookie that carries a console session. HTTP-only: page scripts never see it. */
export const SESSION_COOKIE = 'sa_console';
/** Header every state-changing console or admin request carries (double-submit of the session's CSRF token). */
export const CSRF_HEADER = 'x-csrf-token';

/** Who may do what: each role includes the ones before it. */
const RANK: Record<AgentRole, number> = { agent: 1, supervisor: 2, admin: 3 };

export function hasRole(role: AgentRole, needed: AgentRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** An agent as a browser may see it (never the password hash). */
export interface PublicAgent {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  languages: Agent['languages'];
  skills: string[];
  capacity: number;
  status: Agent['status'];
}

export function publicAgent(a: Agent): PublicAgent {
  return { id: a.id, email: a.email, name: a.name, role: a.role, languages: a.languages, skills: a.skills, capacity: a.capacity, status: a.status };
}

interface SessionRecord {
  agentId: string;
  csrf: string;
  expiresAt: number;
  eTag?: string;
}

/** The authenticated caller of a console/admin request. `viaToken`: the ADMIN_TOKEN bearer (scripts, CLI). */
export interface Staff {
  agent: Agent | null;
  role: AgentRole;
  viaToken: boolean;
  csrf?: string;
}

export interface ConsoleAuthOptions {
  agents: AgentRepository;
  /** Sessions live here (the store's botbuilder Storage), so every node sees every session. */
  sessions: Storage;
  /** The admin API's bearer token; callers presenting it act as admin. */
  adminToken?: string;
  /** Session lifetime; default 12 hours (a shift). */
  sessionTtlMs?: number;
  /** Failed logins per (email, client address) before a lockout (default 5), and how long it lasts after the last one (default 15 min). */
  maxFailures?: number;
  lockoutMs?: number;
  /** Failed logins per client address (IPv6: per /64) per window, whatever the emails (default 20 per 15 min). */
  ipMaxFailures?: number;
  ipWindowMs?: number;
  /** Failed logins for one email from all addresses per ipWindowMs before only addresses that logged into it before may try it (default 50; 0: off). */
  emailMaxFailures?: number;
  /** Addresses, (email, address) pairs and emails the login throttle tracks at once, each (default 50,000). */
  throttleMaxKeys?: number;
  /** Warnings (the login throttle is full, a session purge failed). */
  logger?: Logger;
  /** Mark the cookie Secure (behind HTTPS). */
  secureCookie?: boolean;
  now?: () => number;
  /** Records logins (ok and refused), lockouts and logouts in the audit log. */
  audit?: Auditor;
}

const loginBody = z.strictObject({ email: z.string().trim().min(3).max(254), password: z.string().min(1).max(1024) });

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();
const sessionKey = (token: string): string => `console-session/${sha(token).toString('hex')}`;

/** Reads one cookie from a Cookie header (no dependency for one value). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/**
 * Console and admin authentication: agents log in with email and password (scrypt hashes),
 * get an HTTP-only SameSite=Strict session cookie and a CSRF token that state-changing
 * requests echo in `X-CSRF-Token`. Failed logins are throttled per client address and lock
 * an email out from that address for a while (LoginThrottle); expired sessions are purged.
 * The ADMIN_TOKEN bearer still works for scripts and acts as an admin without CSRF (a
 * browser never sends it on its own).
 */
export class ConsoleAuth {
  private readonly ttl: number;
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly now: () => number;
  private readonly adminDigest: Buffer | undefined;
  private readonly throttle: LoginThrottle;
  private readonly expiry: SessionExpiryIndex;
  private lastFullWarning = 0;
  /** A constant hash verified on unknown emails, so response time does not reveal which emails exist. */
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly opts: ConsoleAuthOptions) {
    if (!opts.agents) throw new ShopError('config_invalid', 'ConsoleAuthOptions.agents is required');
    if (!opts.sessions) throw new ShopError('config_invalid', 'ConsoleAuthOptions.sessions is required');
    this.ttl = opts.sessionTtlMs ?? 12 * 3600_000;
    this.maxFailures = opts.maxFailures ?? 5;
    this.lockoutMs = opts.lockoutMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
    this.adminDigest = opts.adminToken ? sha(opts.adminToken) : undefined;
    this.throttle = new LoginThrottle(
      {
        maxFailures: this.maxFailures,
        lockoutMs: this.lockoutMs,
        ipMaxFailures: opts.ipMaxFailures ?? 20,
        ipWindowMs: opts.ipWindowMs ?? 15 * 60_000,
        emailMaxFailures: opts.emailMaxFailures ?? 50,
        ...(opts.throttleMaxKeys ? { maxKeys: opts.throttleMaxKeys } : {}),
      },
      this.now,
      (which) => {
        // Once a minute at most: a flood must not turn into a flood of log lines.
        if (this.now() - this.lastFullWarning < 60_000) return;
        this.lastFullWarning = this.now();
        this.opts.logger?.warn({ which }, `login throttle table full (${which}): evicting the entries with the fewest failures`);
      },
    );
    this.expiry = new SessionExpiryIndex(opts.sessions);
  }

  /**
   * Checks the password; returns a new session token and CSRF token. `ip` is the client's
   * address (`req.ip`): failures are throttled per address and locked out per (email, address),
   * both before any password is checked (see LoginThrottle).
   */
  async login(emailRaw: string, password: string, ip?: string): Promise<{ token: string; csrf: string; agent: Agent }> {
    const email = emailRaw.trim().toLowerCase();
    const verdict = this.throttle.begin(email, ip);
    if (!verdict.ok) {
      const minutes = Math.max(1, Math.ceil(verdict.retryAfterSeconds / 60));
      const message =
        verdict.reason === 'locked_out'
          ? `too many failed logins for this email: try again in ${minutes} minutes`
          : verdict.reason === 'ip_throttled'
            ? `too many failed logins from your address: try again in ${minutes} minutes`
            : `too many failed logins for this email from new addresses: try again in ${minutes} minutes, or from where you usually log in`;
      throw new ShopError('rate_limited', message, { details: { reason: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds } });
    }
    const { attempt } = verdict;
    let agent: Agent | null;
    let ok: boolean;
    try {
      agent = await this.opts.agents.getByEmail(email);
      this.dummyHash ??= hashPassword('not-a-password');
      // An unknown email costs the same scrypt as a known one, so timing does not tell which emails exist.
      ok = agent ? await verifyPassword(password, agent.passwordHash) : (await verifyPassword(password, await this.dummyHash), false);
    } catch (err) {
      attempt.abandoned();
      throw err;
    }
    if (!agent || !ok) {
      const lockedOut = attempt.failed();
      // `audit` is for the audit log only: the error handler sends `reason` alone, so the client never learns which emails exist.
      throw new ShopError('unauthorized', 'wrong email or password', {
        details: { audit: { reason: agent ? 'bad_password' : 'unknown_email', agentId: agent?.id, lockedOut } },
      });
    }
    attempt.succeeded();
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const key = sessionKey(token);
    const expiresAt = this.now() + this.ttl;
    // Listed for the purge first: a session written but not listed would never be purged.
    await this.expiry.add(key, expiresAt);
    await this.opts.sessions.write({ [key]: { agentId: agent.id, csrf, expiresAt, eTag: '*' } });
    return { token, csrf, agent };
  }

  /** Deletes the sessions that have expired (their expiry hour is over); returns how many. */
  purgeExpiredSessions(): Promise<number> {
    return this.expiry.purge(this.now());
  }

  /** Purges expired sessions every `intervalMs` until the returned stop is called. */
  startPurging(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.purgeExpiredSessions().catch((err: unknown) => this.opts.logger?.warn({ err }, 'console session purge failed'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async logout(token: string): Promise<void> {
    await this.opts.sessions.delete([sessionKey(token)]);
  }

  /** The agent behind a session token, or null (unknown, expired, or the agent was deleted). */
  async session(token: string | undefined): Promise<{ agent: Agent; csrf: string } | null> {
    if (!token) return null;
    const key = sessionKey(token);
    const rec = (await this.opts.sessions.read([key]))[key] as SessionRecord | undefined;
    if (!rec) return null;
    if (rec.expiresAt <= this.now()) {
      // Gone at once when presented (sessions from before the expiry index are purged this way too).
      await this.opts.sessions.delete([key]);
      return null;
    }
    const agent = await this.opts.agents.get(rec.agentId);
    return agent ? { agent, csrf: rec.csrf } : null;
  }

  /** The caller of an HTTP request or WebSocket upgrade: session cookie, or the admin bearer token. */
  async identify(req: Pick<IncomingMessage, 'headers'>): Promise<Staff | null> {
    const auth = req.headers.authorization;
    const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
    if (bearer && this.adminDigest && timingSafeEqual(sha(bearer), this.adminDigest)) return { agent: null, role: 'admin', viaToken: true };
    const s = await this.session(readCookie(req.headers.cookie, SESSION_COOKIE));
    return s ? { agent: s.agent, role: s.agent.role, viaToken: false, csrf: s.csrf } : null;
  }

  /**
   * Express guard: the caller must be logged in with at least `role`; a state-changing
   * request from a session must carry its CSRF token. Sets `res.locals.staff`.
   */
  require(role: AgentRole): RequestHandler {
    return async (req, res, next) => {
      const staff = await this.identify(req);
      if (!staff) throw new ShopError('unauthorized', 'log in to the console first');
      if (!hasRole(staff.role, role)) throw new ShopError('forbidden', `this needs the ${role} role; you are ${staff.role === 'agent' ? 'an' : 'a'} ${staff.role}`);
      if (!staff.viaToken && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
        const sent = req.get(CSRF_HEADER) ?? '';
        if (!staff.csrf || sent.length !== staff.csrf.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(staff.csrf))) {
          throw new ShopError('forbidden', 'missing or wrong CSRF token (send the X-CSRF-Token header the login gave you)', { details: { reason: 'csrf' } });
        }
      }
      res.locals['staff'] = staff;
      next();
    };
  }

  private cookie(req: Request, token: string, maxAgeS: number): string {
    const secure = this.opts.secureCookie || req.secure ? '; Secure' : '';
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
  }

  /** POST /api/console/login, POST /api/console/logout, GET /api/console/me. */
  routes(): Router {
    const router = express.Router();
    router.post('/api/console/login', async (req, res) => {
      const body = parseOrThrow(loginBody, req.body ?? {}, 'login');
      const { token, csrf, agent } = await this.login(body.email, body.password, req.ip ?? req.socket.remoteAddress).catch(async (err: unknown) => {
        await this.opts.audit?.loginRefused(req, body.email, err);
        throw err;
      });
      await this.opts.audit?.record({ actor: { kind: 'agent', id: agent.id, name: agent.email, role: agent.role }, action: 'auth.login', outcome: 'ok', ...(req.ip ? { ip: req.ip } : {}) });
      res.setHeader('Set-Cookie', this.cookie(req, token, Math.floor(this.ttl / 1000)));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ agent: publicAgent(agent), csrfToken: csrf });
    });
    router.post('/api/console/logout', async (req, res) => {
      const token = readCookie(req.headers.cookie, SESSION_COOKIE);
      const who = token && this.opts.audit ? await this.session(token) : null;
      if (token) await this.logout(token);
      if (who) await this.opts.audit?.record({ actor: { kind: 'agent', id: who.agent.id, name: who.agent.email, role: who.agent.role }, action: 'auth.logout', outcome: 'ok', ...(req.ip ? { ip: req.ip } : {}) });
      res.setHeader('Set-Cookie', this.cookie(req, '', 0));
      res.status(204).end();
    });
    router.get('/api/console/me', async (req, res) => {
      const staff = await this.identify(req);
      if (!staff?.agent) throw new ShopError('unauthorized', 'not logged in');
      res.setHeader('Cache-Control', 'no-store');
      res.json({ agent: publicAgent(staff.agent), csrfToken: staff.csrf });
    });
    return router;
  }
}

/** The caller set by `ConsoleAuth.require`. */
export function staffOf(res: { locals: Record<string, unknown> }): Staff {
  const s = res.locals['staff'] as Staff | undefined;
  if (!s) throw new ShopError('internal', 'route is missing its ConsoleAuth.require guard');
  return s;
}
