import express, { type Router } from 'express';
import { z } from 'zod';
import { type AuditEntry, type AuditFilter, type Page, type Store } from '../store/index.js';
import type { ConsoleAuth } from './console/auth.js';
import { parseOrThrow } from './http.js';

export interface AuditRoutesOptions {
  store: Pick<Store, 'audit'>;
  auth: ConsoleAuth;
}

/** An ISO date-time with an offset, or a calendar date (midnight UTC). */
const when = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { message: 'expected an ISO date-time (2026-01-01T00:00:00Z) or date (2026-01-01)' })
  .transform((s) => new Date(s));
const id = z.string().trim().min(1).max(200);

/** The audit list's filter and page, as query parameters (HTTP) or flags (CLI). */
export const auditQuerySchema = z
  .strictObject({
    from: when.optional(),
    to: when.optional(),
    actorId: id.optional(),
    action: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/, 'an action is a dotted verb (auth.login) or a prefix ending in "." (conversation.)')
      .max(100)
      .optional(),
    targetId: id.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(512).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from.getTime() < q.to.getTime(), { message: 'from must be before to', path: ['from'] });
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** Validates a query and reads one page of the audit log, newest first. */
export async function listAudit(store: Pick<Store, 'audit'>, input: unknown): Promise<Page<AuditEntry>> {
  const q = parseOrThrow(auditQuerySchema, input, 'query');
  const filter: AuditFilter = {
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
    ...(q.actorId ? { actorId: q.actorId } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.targetId ? { targetId: q.targetId } : {}),
  };
  // A cursor that does not decode is a `bad_request` (400) from the store.
  return store.audit.list(filter, { limit: q.limit, cursor: q.cursor ?? null });
}

/**
 * `GET /api/admin/audit?from&to&actorId&action&targetId&limit&cursor` → `{ items, nextCursor }`,
 * newest first. Admins only (an admin session or the ADMIN_TOKEN): the log watches supervisors
 * too, and names which staff member looked at which customer, so a supervisor gets 403 (and
 * that refusal is itself recorded).
 */
export function auditRoutes(opts: AuditRoutesOptions): Router {
  const router = express.Router();
  router.get('/api/admin/audit', opts.auth.require('admin'), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await listAudit(opts.store, req.query));
  });
  return router;
}
