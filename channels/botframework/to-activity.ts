import type { Activity } from 'botbuilder';
import { z } from 'zod';
import { ShopError, safeParse } from '../../store/index.js';

/*
 * Length checks only after the type check passed (`pipe`): zod runs `.min`/`.max` on a value
 * of the wrong type too when it has a `length`, and `{"length": [{"toString": null}]}`
 * then throws a TypeError inside zod (a 500) instead of failing the parse.
 */
const id = (max: number) => z.string().pipe(z.string().trim().min(1).max(max));
const text = (max: number) => z.string().pipe(z.string().max(max));
const list = <T extends z.ZodType>(item: T, max: number) => z.array(z.unknown()).pipe(z.array(item).max(max));
const url = text(2048);

/** A channel account (`from`, `recipient`, a member added or removed). */
const account = z.looseObject({
  id: id(256),
  name: text(256).optional(),
  role: z.enum(['user', 'bot', 'skill']).optional(),
  aadObjectId: text(256).optional(),
});
// Lenient on purpose: channels send 3 to 7 fractional digits and various offsets.
const date = z.string().pipe(z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be a date-time' }));
/** A JSON object (not an array, not null): what `channelData`, a card's content or an entity is. */
const object = z.record(z.string(), z.unknown());

const attachment = z.looseObject({
  contentType: id(256),
  contentUrl: url.optional(),
  content: z.unknown().optional(),
  name: text(256).optional(),
  thumbnailUrl: url.optional(),
});

/**
 * A quick reply on an incoming activity (unusual: they are the bot's). The transcript keeps
 * its title and value as text, so the value is a string, number or boolean: an object there
 * (say, one whose `toString` is null) cannot even be turned into a string.
 */
const cardAction = z.looseObject({
  type: id(64),
  title: text(256).optional(),
  value: z.union([text(2000), z.number(), z.boolean()]).optional(),
  text: text(2000).optional(),
  displayText: text(2000).optional(),
  image: url.optional(),
});

/** Bot Framework activity types (botframework-schema's ActivityTypes) a channel may send a bot. */
const INBOUND_TYPES = [
  'message',
  'contactRelationUpdate',
  'conversationUpdate',
  'typing',
  'endOfConversation',
  'event',
  'invoke',
  'deleteUserData',
  'messageUpdate',
  'messageDelete',
  'installationUpdate',
  'messageReaction',
  'suggestion',
  'handoff',
  'command',
  'commandResult',
] as const;

/**
 * This server's own channels. An activity claiming to come from one of them would be filed
 * under that channel's accounts (identity takes `web`/`wechat`/`app` ids as they are): a
 * Bot Framework caller could then speak as a widget visitor or a WeChat follower.
 */
export const RESERVED_CHANNEL_IDS: readonly string[] = ['web', 'wechat', 'app'];

/**
 * Every field of a Bot Framework activity that our middleware, the bot or botbuilder reads
 * is checked for its type and size here, at the door: a malformed `membersAdded`,
 * `attachments`, `suggestedActions`, `from`, `recipient`, `conversation` or `channelData`
 * is a 400 naming the field, never a turn that throws halfway. Other fields (channels add
 * their own) pass through; `__proto__` keys are dropped by the parse.
 */
const activitySchema = z.looseObject({
  type: z.enum(INBOUND_TYPES, { message: `must be one of ${INBOUND_TYPES.join(', ')}` }),
  id: text(256).optional(),
  channelId: z.string().pipe(
    z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, { message: 'must be letters, digits, ".", "_" or "-"' })
      .refine((c) => !RESERVED_CHANNEL_IDS.includes(c.toLowerCase()), { message: `must not be one of this server's own channels (${RESERVED_CHANNEL_IDS.join(', ')})` }),
  ),
  serviceUrl: z.string().pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048)),
  from: account,
  recipient: account.optional(),
  conversation: z.looseObject({
    id: id(1024),
    name: text(256).optional(),
    isGroup: z.boolean().optional(),
    conversationType: text(64).optional(),
    tenantId: text(256).optional(),
  }),
  locale: text(32).optional(),
  textFormat: text(32).optional(),
  speak: text(8000).optional(),
  inputHint: text(32).optional(),
  summary: text(2000).optional(),
  replyToId: text(256).optional(),
  name: text(256).optional(),
  action: text(64).optional(),
  topicName: text(256).optional(),
  valueType: text(256).optional(),
  deliveryMode: z.enum(['normal', 'notification', 'expectReplies', 'ephemeral']).optional(),
  attachmentLayout: text(32).optional(),
  attachments: list(attachment, 50).optional(),
  entities: list(z.looseObject({ type: text(256) }), 50).optional(),
  membersAdded: list(account, 500).optional(),
  membersRemoved: list(account, 500).optional(),
  reactionsAdded: list(z.looseObject({ type: text(64) }), 50).optional(),
  reactionsRemoved: list(z.looseObject({ type: text(64) }), 50).optional(),
  suggestedActions: z.looseObject({ to: list(text(256), 50).optional(), actions: list(cardAction, 50) }).optional(),
  channelData: object.optional(),
  relatesTo: object.optional(),
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
  const schema = activitySchema.extend({ text: z.string().pipe(z.string().max(maxTextLength, { message: `must be at most ${maxTextLength} characters` })).optional() });
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = safeParse(schema, raw);
  } catch {
    // A value no check foresaw made zod itself throw: still the sender's fault, not ours.
    throw new ShopError('bad_request', 'invalid activity: a field has a value that is not valid JSON data of its type');
  }
  if (!parsed.success) {
    const fields = parsed.error.issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || 'activity'}: ${i.message}`.slice(0, 300));
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
