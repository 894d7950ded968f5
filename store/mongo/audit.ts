import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import { AUDIT_ACTOR_KINDS, AUDIT_OUTCOMES, auditActionClause } from '../audit-rules.js';
import type { AuditEntry, AuditRepository } from '../types.js';
import { guarded } from './mongo-errors.js';
import type { AuditDoc } from './models.js';
import { afterTime, and, clean, fromJson, inRange, opt, toJson, type Ctx, type Filter } from './query.js';

function toEntry(d: AuditDoc): AuditEntry {
  return clean({
    id: d._id,
    at: d.at,
    actor: clean({ kind: d.actorKind, id: opt(d.actorId), name: opt(d.actorName), role: opt(d.actorRole) }),
    action: d.action,
    outcome: d.outcome,
    targetType: opt(d.targetType),
    targetId: opt(d.targetId),
    details: fromJson<Record<string, unknown>>(d.details),
    ip: opt(d.ip),
  });
}

const optString = (name: string, v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ShopError('bad_request', `${name} must be a non-empty string`);
  return v;
};

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The append-only audit log of staff actions. */
export function auditRepository({ m }: Ctx): AuditRepository {
  return guarded<AuditRepository>({
    async record(entry) {
      const actor = entry.actor;
      if (actor === null || typeof actor !== 'object') throw new ShopError('bad_request', 'actor must be an object');
      if (!AUDIT_ACTOR_KINDS.includes(actor.kind)) throw new ShopError('bad_request', `actor.kind must be one of ${AUDIT_ACTOR_KINDS.join(', ')}`);
      if (!AUDIT_OUTCOMES.includes(entry.outcome)) throw new ShopError('bad_request', `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
      const at = entry.at ?? new Date();
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ShopError('bad_request', 'at must be a valid Date');
      if (entry.details !== undefined && (entry.details === null || typeof entry.details !== 'object' || Array.isArray(entry.details))) {
        throw new ShopError('bad_request', 'details must be an object');
      }
      const doc: AuditDoc = clean({
        _id: newId('aud'),
        at,
        actorKind: actor.kind,
        actorId: optString('actor.id', actor.id),
        actorName: optString('actor.name', actor.name),
        actorRole: actor.role,
        action: optString('action', entry.action) ?? '',
        outcome: entry.outcome,
        targetType: optString('targetType', entry.targetType),
        targetId: optString('targetId', entry.targetId),
        details: toJson(entry.details),
        ip: optString('ip', entry.ip),
      });
      if (doc.action === '') throw new ShopError('bad_request', 'action must be a non-empty string');
      await m.audit.create(doc);
      return toEntry(doc);
    },

    async list(filter = {}, page) {
      const limit = pageLimit(page);
      const action = optString('action', filter.action);
      let actionFilter: Filter | undefined;
      if (action !== undefined) {
        const clause = auditActionClause(action);
        actionFilter = { action: clause.prefix ? { $regex: `^${escapeRegex(clause.value)}` } : clause.value };
      }
      const actorId = optString('actorId', filter.actorId);
      const targetId = optString('targetId', filter.targetId);
      const docs = await m.audit
        .find(
          and(
            inRange('at', filter),
            actorId === undefined ? undefined : { actorId },
            targetId === undefined ? undefined : { targetId },
            actionFilter,
            afterTime('at', page?.cursor, -1),
          ) as QueryFilter<AuditDoc>,
        )
        .sort({ at: -1, _id: -1 })
        .limit(limit + 1)
        .lean<AuditDoc[]>()
        .exec();
      return toPage(docs.map(toEntry), limit, (e) => [e.at.getTime(), e.id]);
    },
  });
}
