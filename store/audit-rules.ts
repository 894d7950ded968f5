/** Audit-log rules both stores share. */
import type { AuditActor, AuditEntry } from './types.js';

export const AUDIT_ACTOR_KINDS: readonly AuditActor['kind'][] = ['agent', 'token', 'cli', 'system'];
export const AUDIT_OUTCOMES: readonly AuditEntry['outcome'][] = ['ok', 'refused'];

/** An action filter ending in '.' matches every action under it (`conversation.` → `conversation.claim`, ...). */
export function auditActionClause(action: string): { prefix: boolean; value: string } {
  return { prefix: action.endsWith('.'), value: action };
}
