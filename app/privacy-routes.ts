import express, { type Router } from 'express';
import { z } from 'zod';
import { forgetLinkCodes } from '../bots/index.js';
import { ShopError, type ChannelId, type CollectionName, type Customer, type CustomerExport, type Store } from '../store/index.js';
import { staffOf, type ConsoleAuth } from './console/auth.js';
import { parseOrThrow } from './http.js';
import type { Auditor } from './audit.js';

/** What a privacy action was, for the audit log. */
export interface PrivacyAction {
  action: 'privacy.export' | 'privacy.delete';
  customerId: string;
  /** The agent id of the admin, or `token` for the ADMIN_TOKEN bearer, or `cli`. */
  actor: string;
  counts?: Record<CollectionName, number>;
}

export interface PrivacyRoutesOptions {
  store: Store;
  auth: ConsoleAuth;
  /** Called after every export and delete (e.g. to write the audit log). */
  onAction?: (action: PrivacyAction) => void | Promise<void>;
  /** Records lookups, exports and deletions in the audit log (`customer.find`, `customer.export`, `customer.delete`). */
  audit?: Auditor;
}

const CHANNELS = ['web', 'wechat', 'app', 'botframework', 'console'] as const satisfies readonly ChannelId[];
const customerId = z.string().trim().min(1).max(128);
const identityQuery = z.strictObject({ channel: z.enum(CHANNELS), externalId: z.string().trim().min(1).max(256) });

/** The customer with this id, or the one holding this channel identity; `not_found` otherwise. */
export async function findCustomer(store: Store, ref: { id: string } | { channel: ChannelId; externalId: string }): Promise<Customer> {
  const customer = 'id' in ref ? await store.customers.get(ref.id) : await store.customers.findByIdentity(ref.channel, ref.externalId);
  if (!customer) throw new ShopError('not_found', 'id' in ref ? `no customer ${ref.id}` : `no customer with ${ref.channel} identity ${ref.externalId}`);
  return customer;
}

/** Everything stored about a customer, with when and why it was exported. */
export async function exportCustomer(store: Store, id: string): Promise<CustomerExport & { exportedAt: string }> {
  const data = await store.exportCustomerData(id);
  return { exportedAt: new Date().toISOString(), ...data };
}

/** Erases a customer everywhere; `not_found` for an unknown id (so a typo is not a silent success). */
export async function deleteCustomer(store: Store, id: string): Promise<Record<CollectionName, number>> {
  await findCustomer(store, { id });
  // Before the store's erasure removes the owner's pointer to it: a live link code names the customer inside, not in its key.
  const codes = await forgetLinkCodes(store.botState, id);
  const deleted = await store.deleteCustomerData(id);
  return { ...deleted, botState: deleted.botState + codes };
}

/**
 * The privacy API (admin role, or the ADMIN_TOKEN bearer; never cached):
 *
 * - `GET /api/admin/customers?channel=wechat&externalId=o…` → `{ customer }` (find by channel identity)
 * - `GET /api/admin/customers/:id/export` → the customer's data as a JSON attachment
 *   (customer, conversations, messages, orders, returns, interactions)
 * - `DELETE /api/admin/customers/:id` → `{ customerId, deleted: { <collection>: count } }`
 */
export function privacyRoutes(opts: PrivacyRoutesOptions): Router {
  const { store, auth } = opts;
  const router = express.Router();
  const actorOf = (res: express.Response): string => {
    const staff = staffOf(res);
    return staff.agent?.id ?? (staff.viaToken ? 'token' : 'unknown');
  };

  router.use('/api/admin/customers', auth.require('admin'), (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/api/admin/customers', async (req, res) => {
    const q = parseOrThrow(identityQuery, req.query, 'query');
    const customer = await findCustomer(store, q);
    await opts.audit?.staff(req, res, 'customer.find', { target: { type: 'customer', id: customer.id }, details: { channel: q.channel } });
    res.json({ customer });
  });

  router.get('/api/admin/customers/:id/export', async (req, res) => {
    const id = parseOrThrow(customerId, req.params.id, 'customer id');
    const data = await exportCustomer(store, id);
    await opts.onAction?.({ action: 'privacy.export', customerId: id, actor: actorOf(res) });
    await opts.audit?.staff(req, res, 'customer.export', { target: { type: 'customer', id }, details: { messages: data.messages.length, conversations: data.conversations.length, orders: data.orders.length } });
    const file = `customer-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;
    res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
    res.type('application/json').send(JSON.stringify(data, null, 2));
  });

  router.delete('/api/admin/customers/:id', async (req, res) => {
    const id = parseOrThrow(customerId, req.params.id, 'customer id');
    const deleted = await deleteCustomer(store, id);
    await opts.onAction?.({ action: 'privacy.delete', customerId: id, actor: actorOf(res), counts: deleted });
    await opts.audit?.staff(req, res, 'customer.delete', { target: { type: 'customer', id }, details: { deleted } });
    res.json({ customerId: id, deleted });
  });

  return router;
}
