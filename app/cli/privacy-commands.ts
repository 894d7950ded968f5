import { ShopError, type ChannelId, type Store } from '../../store/index.js';
import { deleteCustomer, exportCustomer, findCustomer } from '../privacy-routes.js';
import { flag, positionals, type Command } from './command.js';
import { auditCli } from './audit-commands.js';

const CHANNELS: readonly ChannelId[] = ['web', 'wechat', 'app', 'botframework', 'console'];

/** The customer named by `<customerId>` or by `--channel <c> --external-id <id>`. */
async function customerIdOf(args: string[], store: Store, usage: string): Promise<string> {
  const [id, extra] = positionals(args, ['--channel', '--external-id']);
  const channel = flag(args, '--channel');
  const externalId = flag(args, '--external-id');
  if (extra !== undefined) throw new ShopError('bad_request', `unexpected argument "${extra}": cli ${usage}`);
  if (id && (channel || externalId)) throw new ShopError('bad_request', `give a customer id or --channel/--external-id, not both: cli ${usage}`);
  if (id) return id;
  if (!channel || !externalId) throw new ShopError('bad_request', `a customer id, or --channel and --external-id, is required: cli ${usage}`);
  if (!CHANNELS.includes(channel as ChannelId)) throw new ShopError('bad_request', `--channel must be one of ${CHANNELS.join(', ')}`);
  return (await findCustomer(store, { channel: channel as ChannelId, externalId })).id;
}

const EXPORT_USAGE = 'privacy:export <customerId> | --channel <channel> --external-id <id>';
const DELETE_USAGE = 'privacy:delete <customerId> | --channel <channel> --external-id <id> --yes';

/** `privacy:export` and `privacy:delete`: a customer's data across every channel and collection. */
export const privacyCommands: Record<string, Command> = {
  'privacy:export': {
    usage: EXPORT_USAGE,
    summary: "print everything stored about a customer (profile, conversations and messages on every channel, orders, returns, interactions) as JSON",
    async run(args, ctx) {
      const store = await ctx.store();
      const id = await customerIdOf(args, store, EXPORT_USAGE);
      const data = await exportCustomer(store, id);
      ctx.logger.info({ customerId: id, action: 'privacy.export', actor: 'cli' }, 'customer data exported');
      await auditCli(ctx, 'customer.export', { target: { type: 'customer', id }, details: { messages: data.messages.length, conversations: data.conversations.length, orders: data.orders.length } });
      return data;
    },
  },
  'privacy:delete': {
    usage: DELETE_USAGE,
    summary: 'erase a customer and everything that belongs to them, in every collection and the bot state (needs --yes)',
    async run(args, ctx) {
      const rest = args.filter((a) => a !== '--yes');
      if (rest.length === args.length) throw new ShopError('bad_request', `this erases the customer for good; add --yes: cli ${DELETE_USAGE}`);
      const store = await ctx.store();
      const id = await customerIdOf(rest, store, DELETE_USAGE);
      const deleted = await deleteCustomer(store, id);
      ctx.logger.info({ customerId: id, action: 'privacy.delete', actor: 'cli', deleted }, 'customer data deleted');
      await auditCli(ctx, 'customer.delete', { target: { type: 'customer', id }, details: { deleted } });
      return { customerId: id, deleted };
    },
  },
};
