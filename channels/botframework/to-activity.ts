import type { Activity } from 'botbuilder';
import { z } from 'zod';
import { ShopError } from '../../store/index.js';

const account = z.looseObject({ id: z.string().trim().min(1).max(256), name: z.string().max(256).optional() });
// Lenient on purpose: channels send 3 to 7 fractional digits and various offsets.
const date = z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be a date-time' });

/**
 * What a turn needs from a Bot Framework activity. Everything else (channelData,
 * entities, attachments, ...) passes through untouched: channels add their own fields.
 */
const activitySchema = z.looseObject({
  type: z.string().trim().min(1).max(64),
  id: z.string().max(256).optional(),
  channelId: z.string().trim().min(1).max(64),
  serviceUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  from: account,
  recipient: account.optional(),
  conversation: z.looseObject({ id: z.string().trim().min(1).max(1024) }),
  locale: z.string().max(32).optional(),
  timestamp: date.optional(),
  localTimestamp: date.optional(),
  expiration: date.optional(),
});

/**
 * Validates a POSTed activity and turns its date strings into `Date`s, as botbuilder's own
 * `validateAndFixActivity` does (that one is not exported, and lets a missing `type`
 * through as a 500). A failure is a `bad_request` naming the fields.
 */
export function toActivity(raw: unknown, maxTextLength: number): Activity {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ShopError('bad_request', 'the body must be a Bot Framework activity (a JSON object, Content-Type: application/json)');
  }
  const schema = activitySchema.extend({ text: z.string().max(maxTextLength, { message: `must be at most ${maxTextLength} characters` }).optional() });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || 'activity'}: ${i.message}`);
    throw new ShopError('bad_request', `invalid activity: ${fields.join('; ')}`, { details: { fields } });
  }
  const a = parsed.data;
  const activity = { ...a } as Record<string, unknown>;
  // Keep the sender's original strings (their offsets), as botbuilder does.
  for (const key of ['timestamp', 'localTimestamp', 'expiration'] as const) {
    const value = a[key];
    if (value === undefined) continue;
    activity[`raw${key[0]!.toUpperCase()}${key.slice(1)}`] = value;
    activity[key] = new Date(value);
  }
  return activity as unknown as Activity;
}

/** True for a serviceUrl on this machine (the Emulator, a local Direct Line server). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
