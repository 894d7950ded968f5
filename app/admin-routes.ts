import express, { type Router } from 'express';
import type { Store } from '../store/index.js';
import type { ConsoleAuth } from './console/auth.js';

export interface AdminRoutesOptions {
  store: Store;
  auth: ConsoleAuth;
}

/**
 * The admin API for agents and campaigns (admin role, or the ADMIN_TOKEN bearer).
 * (Skeleton: the admin helper fills it in.)
 */
export function adminRoutes(_opts: AdminRoutesOptions): Router {
  return express.Router();
}
