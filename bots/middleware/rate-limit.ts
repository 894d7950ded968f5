import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder-core';
import { ipBucket } from '../linking.js';
import type { RateLimiter } from '../rate-limit.js';
import { clientIp, turnCustomer } from '../turn-state.js';

const LIMITED = Symbol('shop.rateLimited');

export function isRateLimited(context: TurnContext): boolean {
  return context.turnState.get(LIMITED) === true;
}

/**
 * Per customer and per client IP (an IPv6 address by its /64, which one subscriber holds
 * whole: counting single IPv6 addresses would give one client billions of budgets). A
 * limited message is already stored (nothing is lost); the bot does not answer it and the channel tells the client (429, an error frame), so a flood
 * costs no model work.
 */
export function rateLimitMiddleware(limits: { perCustomer: RateLimiter; perIp: RateLimiter }): Middleware {
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      if (context.activity.type !== ActivityTypes.Message) return next();
      const customerKey = turnCustomer(context).id;
      const ip = clientIp(context);
      const customerOk = limits.perCustomer.take(customerKey);
      const ipOk = ip === undefined || limits.perIp.take(ipBucket(ip));
      if (customerOk && ipOk) return next();
      context.turnState.set(LIMITED, true);
    },
  };
}
