import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ShopError } from '../store/index.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The admin API's Bearer-token check, in constant time (both sides hashed first, so lengths
 * leak nothing). Without a token configured the admin routes answer 404.
 */
export function adminAuth(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (!expected) throw new ShopError('not_found', 'the admin API is off: ADMIN_TOKEN is not set');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="admin"');
      throw new ShopError('unauthorized', m ? 'invalid admin token' : 'send Authorization: Bearer <ADMIN_TOKEN>');
    }
    next();
  };
}
