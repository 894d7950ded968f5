import { ShopError, type AuditEntry } from '../../store/index.js';
import { Auditor, type AuditCall } from '../audit.js';
import { listAudit } from '../audit-routes.js';
import { flag, type Command, type CommandContext } from './command.js';

/** Records a CLI action in the audit log (actor: the OS user); never throws, like every audit write. */
export async function auditCli(ctx: CommandContext, action: string, call: AuditCall = {}): Promise<void> {
  await new Auditor({ store: await ctx.store(), logger: ctx.logger }).cli(action, call);
}

const LIST_USAGE = 'audit:list [--from <date>] [--to <date>] [--actor <agentId|email>] [--action <verb|prefix.>] [--target <id>] [--limit N] [--cursor c] [--json]';
const LIST_FLAGS = ['--from', '--to', '--actor', '--action', '--target', '--limit', '--cursor'];

/** One line per entry: when, who, what, to what, how it ended, and the details. */
export function formatAuditEntry(e: AuditEntry): string {
  const who = `${e.actor.kind}:${e.actor.name ?? e.actor.id ?? '-'}${e.actor.role ? ` (${e.actor.role})` : ''}`;
  const target = e.targetId ? ` ${e.targetType ?? ''}:${e.targetId}` : '';
  const details = e.details ? ` ${JSON.stringify(e.details)}` : '';
  return `${e.at.toISOString()} ${who} ${e.action}${target} ${e.outcome}${e.ip ? ` from ${e.ip}` : ''}${details}`;
}

/** `audit:list`: the audit log, newest first. */
export const auditCommands: Record<string, Command> = {
  'audit:list': {
    usage: LIST_USAGE,
    summary: 'Show the audit log of staff actions, newest first (one line per entry; --json for the entries as stored).',
    run: async (args, ctx) => {
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (LIST_FLAGS.includes(a)) i++;
        else if (a !== '--json') throw new ShopError('bad_request', `unexpected argument "${a}": cli ${LIST_USAGE}`);
      }
      const store = await ctx.store();
      let actorId = flag(args, '--actor');
      if (actorId?.includes('@')) {
        const agent = await store.agents.getByEmail(actorId.trim().toLowerCase());
        if (!agent) throw new ShopError('not_found', `no agent with email ${actorId}`);
        actorId = agent.id;
      }
      const query: Record<string, string> = {};
      for (const [name, key] of [
        ['--from', 'from'],
        ['--to', 'to'],
        ['--action', 'action'],
        ['--target', 'targetId'],
        ['--limit', 'limit'],
        ['--cursor', 'cursor'],
      ] as const) {
        const v = flag(args, name);
        if (v !== undefined) query[key] = v;
      }
      if (actorId !== undefined) query['actorId'] = actorId;
      const page = await listAudit(store, query);
      if (args.includes('--json')) return page;
      return { entries: page.items.map(formatAuditEntry), nextCursor: page.nextCursor };
    },
  },
};
