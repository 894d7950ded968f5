import { newId } from '../ids.js';
import type { AgentRole, AuditActor, AuditEntry, AuditFilter, AuditRepository, NewAuditEntry, Page, PageRequest } from '../types.js';
import { Where, type Db } from './db.js';
import { opt, optJson, optParseJson, orNull, toDate } from './rows.js';
import * as check from './validate.js';
import { AUDIT_ACTOR_KINDS, AUDIT_OUTCOMES, auditActionClause } from '../audit-rules.js';

interface AuditRow {
  id: string;
  at: number;
  actor_kind: AuditActor['kind'];
  actor_id: string | null;
  actor_name: string | null;
  actor_role: AgentRole | null;
  action: string;
  outcome: AuditEntry['outcome'];
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  ip: string | null;
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: toDate(r.at),
    actor: { kind: r.actor_kind, id: opt(r.actor_id), name: opt(r.actor_name), role: opt(r.actor_role) },
    action: r.action,
    outcome: r.outcome,
    targetType: opt(r.target_type),
    targetId: opt(r.target_id),
    details: optParseJson<Record<string, unknown>>(r.details),
    ip: opt(r.ip),
  };
}

/** The append-only audit log of staff actions. */
export class SqliteAudit implements AuditRepository {
  constructor(private readonly db: Db) {}

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    const actor = check.object('actor', entry.actor) as unknown as AuditActor;
    const row: AuditRow = {
      id: newId('aud'),
      at: entry.at === undefined ? Date.now() : check.date('at', entry.at).getTime(),
      actor_kind: check.oneOf('actor.kind', actor.kind, AUDIT_ACTOR_KINDS),
      actor_id: orNull(check.optText('actor.id', actor.id)),
      actor_name: orNull(check.optText('actor.name', actor.name)),
      actor_role: orNull(check.optOneOf('actor.role', actor.role, ['agent', 'supervisor', 'admin'] as const)),
      action: check.text('action', entry.action),
      outcome: check.oneOf('outcome', entry.outcome, AUDIT_OUTCOMES),
      target_type: orNull(check.optText('targetType', entry.targetType)),
      target_id: orNull(check.optText('targetId', entry.targetId)),
      details: optJson(check.optObject('details', entry.details)),
      ip: orNull(check.optText('ip', entry.ip)),
    };
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO audit_log (id, at, actor_kind, actor_id, actor_name, actor_role, action, outcome, target_type, target_id, details, ip)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [row.id, row.at, row.actor_kind, row.actor_id, row.actor_name, row.actor_role, row.action, row.outcome, row.target_type, row.target_id, row.details, row.ip],
      );
      return toEntry(row);
    });
  }

  async list(filter: AuditFilter = {}, page?: PageRequest): Promise<Page<AuditEntry>> {
    const from = check.optDate('from', filter.from);
    const to = check.optDate('to', filter.to);
    const action = check.optText('action', filter.action);
    const where = new Where()
      .addIf(from, 'at >= ?', (d) => d.getTime())
      .addIf(to, 'at < ?', (d) => d.getTime())
      .addIf(check.optText('actorId', filter.actorId), 'actor_id = ?', (v) => v)
      .addIf(check.optText('targetId', filter.targetId), 'target_id = ?', (v) => v);
    if (action !== undefined) {
      const clause = auditActionClause(action);
      if (clause.prefix) where.add("substr(action, 1, ?) = ?", clause.value.length, clause.value);
      else where.add('action = ?', clause.value);
    }
    return this.db.timePage({ table: 'audit_log', timeColumn: 'at', where, descending: true, page, map: toEntry, key: (e) => [e.at.getTime(), e.id] });
  }
}
