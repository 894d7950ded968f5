/**
 * The app API's OpenAPI 3.0 document, written by hand so it says what the handlers do
 * (signing, idempotency, long-polling) rather than what a generator could infer.
 */

/** The subset of OpenAPI 3.0 this document uses. */
export interface SchemaObject {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, SchemaObject | RefObject>;
  required?: string[];
  items?: SchemaObject | RefObject;
  enum?: string[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
  additionalProperties?: boolean | SchemaObject;
  oneOf?: Array<SchemaObject | RefObject>;
  example?: unknown;
}

export interface RefObject {
  $ref: string;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: SchemaObject;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: SchemaObject }>;
  content?: Record<string, { schema: SchemaObject | RefObject }>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: Array<ParameterObject | RefObject>;
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: SchemaObject | RefObject }> };
  responses: Record<string, ResponseObject | RefObject>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: '3.0.3';
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<'get' | 'post', OperationObject>>>;
  components: {
    schemas: Record<string, SchemaObject>;
    parameters: Record<string, ParameterObject>;
    responses: Record<string, ResponseObject>;
    securitySchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string }>;
  };
  security: Array<Record<string, string[]>>;
  /** OpenAPI 3.0 has no webhooks object: the push webhook is described here. */
  'x-webhooks': Record<string, { post: OperationObject }>;
}

const ref = (kind: 'schemas' | 'parameters' | 'responses', name: string): RefObject => ({ $ref: `#/components/${kind}/${name}` });
const json = (schema: SchemaObject | RefObject) => ({ 'application/json': { schema } });
const errors = (...codes: Array<'400' | '401' | '404' | '409' | '413' | '429' | '503'>) =>
  Object.fromEntries(codes.map((c) => [c, ref('responses', `E${c}`)]));

const SIGNING = [
  'Every call except this document is signed by the shop\'s backend with `APP_HMAC_SECRET` (scheme v1):',
  '`X-Shop-Timestamp: <unix seconds>` and `X-Shop-Signature: v1=<hex HMAC-SHA256(secret, canonical)>`, where `canonical` is six parts joined by `\\n`:',
  '`v1`, the method (`POST`, `GET`), the request target (path and query, exactly as sent), the timestamp, the `Idempotency-Key` (empty when none), and the raw body (empty for a GET).',
  'A timestamp more than `APP_SIGNATURE_TOLERANCE_SECONDS` (default 300) from the server clock, a wrong signature, or a signature of the retired `sha256=` scheme',
  '(timestamp and body only) is answered 401 with a `reason` (`signature_missing`, `timestamp_invalid`, `timestamp_out_of_window`, `signature_malformed`,',
  '`signature_scheme_retired`, `signature_mismatch`, `signature_replayed`) and nothing is stored.',
  'A signed GET is single-use: the same signature again within the window is refused (`signature_replayed`); a POST repeated with its Idempotency-Key is answered from the first one.',
].join(' ');

const PUSH_SIGNING =
  '`X-Shop-Timestamp: <unix seconds>` and `X-Shop-Signature: sha256=<hex HMAC-SHA256(APP_HMAC_SECRET, timestamp + "." + raw body)>`';

const conversationHandle: ParameterObject = {
  name: 'id',
  in: 'path',
  required: true,
  description:
    'Either `app:<userId>` — the app user\'s current conversation, created on the first message — or a conversation id returned as `conversationId` (stable: it never moves to another conversation).',
  schema: { type: 'string', minLength: 1, maxLength: 200, example: 'app:u_1029' },
};

const wireMessage: SchemaObject = {
  type: 'object',
  description: 'A stored message, as every channel client receives it.',
  required: ['id', 'seq', 'conversationId', 'direction', 'sender', 'channel', 'text', 'createdAt'],
  properties: {
    id: { type: 'string' },
    seq: { type: 'integer', minimum: 1, description: '1, 2, 3, ... per conversation: the long-poll cursor.' },
    conversationId: { type: 'string' },
    direction: { type: 'string', enum: ['in', 'out'] },
    sender: { type: 'string', enum: ['customer', 'bot', 'agent', 'system'] },
    channel: { type: 'string', enum: ['web', 'wechat', 'app', 'botframework', 'console'] },
    text: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    suggestedActions: {
      type: 'array',
      description: 'Quick replies: send `value` back as the next message\'s `value` (and `title` as its text).',
      items: { type: 'object', required: ['title', 'value'], properties: { title: { type: 'string' }, value: { type: 'string' } } },
    },
    cards: { type: 'array', description: 'Product cards.', items: { type: 'object', additionalProperties: true } },
  },
};

/** The document served at `GET /api/app/v1/openapi.json`. */
export function appOpenApiDocument(opts: { maxTextLength: number; maxWaitSeconds: number }): OpenApiDocument {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Shop Assistant — mobile app API',
      version: '1.0.0',
      description: `Server-to-server API between the shop's app backend and Shop Assistant. ${SIGNING}`,
    },
    tags: [
      { name: 'messages', description: 'Send shopper messages and read the conversation.' },
      { name: 'push', description: 'The push webhook to the app backend.' },
      { name: 'meta', description: 'This document.' },
    ],
    security: [{ shopSignature: [], shopTimestamp: [] }],
    paths: {
      '/api/app/v1/conversations/{id}/messages': {
        post: {
          operationId: 'postMessage',
          tags: ['messages'],
          summary: 'Send a shopper message; get the bot\'s replies',
          description:
            'Stores the message, runs the bot and answers with the replies (which are also pushed to the webhook). ' +
            'A repeat with the same `Idempotency-Key` (per `userId`) returns the original ack and the replies stored after it, ' +
            'and is never answered twice. A `customerId` links the app account to that shop customer (created when unknown).',
          parameters: [conversationHandle, ref('parameters', 'Timestamp'), ref('parameters', 'Signature'), ref('parameters', 'IdempotencyKey')],
          requestBody: { required: true, content: json(ref('schemas', 'MessageRequest')) },
          responses: {
            '200': { description: 'Stored (and answered unless a human agent owns the conversation).', content: json(ref('schemas', 'MessageResponse')) },
            ...errors('400', '401', '404', '409', '413', '429'),
          },
        },
        get: {
          operationId: 'listMessages',
          tags: ['messages'],
          summary: 'Messages after a seq, long-polling',
          description:
            'Answers at once when the conversation has messages after `after`; otherwise waits up to `wait` seconds for one ' +
            '(an agent\'s reply, a proactive message) and answers with it, or with an empty list when none came. ' +
            'Pass `nextAfter` as the next `after`. If `conversationId` changes under an `app:<userId>` handle ' +
            '(the previous conversation was resolved), start again from `after=0`.',
          parameters: [
            conversationHandle,
            { name: 'after', in: 'query', required: false, description: 'A message seq; default 0 (from the start).', schema: { type: 'integer', minimum: 0 } },
            { name: 'wait', in: 'query', required: false, description: 'Seconds to wait for a new message; default 0.', schema: { type: 'integer', minimum: 0, maximum: opts.maxWaitSeconds } },
            ref('parameters', 'Timestamp'),
            ref('parameters', 'Signature'),
          ],
          responses: { '200': { description: 'Up to 100 messages, in seq order.', content: json(ref('schemas', 'MessageList')) }, ...errors('400', '401', '404', '503') },
        },
      },
      '/api/app/v1/push/dead-letters': {
        get: {
          operationId: 'listDeadLetters',
          tags: ['push'],
          summary: 'Push deliveries that gave up (this node only)',
          description: 'Kept in memory, newest first, bounded; each is also logged at error. With several nodes, ask each one.',
          parameters: [ref('parameters', 'Timestamp'), ref('parameters', 'Signature')],
          responses: { '200': { description: 'The dead letters of this node.', content: json(ref('schemas', 'DeadLetterList')) }, ...errors('401') },
        },
      },
      '/api/app/v1/openapi.json': {
        get: {
          operationId: 'openApi',
          tags: ['meta'],
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.0 document.', content: json({ type: 'object', additionalProperties: true }) } },
        },
      },
    },
    'x-webhooks': {
      message: {
        post: {
          operationId: 'pushMessage',
          tags: ['push'],
          summary: 'Every outgoing message (bot or agent) of the app channel, POSTed to APP_PUSH_URL',
          description:
            `Signed by us with ${PUSH_SIGNING} (check the timestamp is within a few minutes, compare in constant time), with \`X-Shop-Delivery-Id\` ` +
            'and `X-Shop-Delivery-Attempt`. Answer 2xx to accept. Network errors, 5xx and 429 ' +
            '(honouring `Retry-After` in seconds) are retried with exponential backoff and jitter up to `APP_PUSH_MAX_ATTEMPTS`; other ' +
            'answers are not retried. Deliveries may arrive out of order: order by `message.seq`. Delivery is at least once: ' +
            '`X-Shop-Delivery-Id` is the stored message\'s id (`message.id` in the body), the same on every attempt, on an agent\'s Retry ' +
            'from the console and when another server (or this one restarted) resumes a delivery a crashed server left unfinished, which ' +
            'may repeat an attempt you already answered 2xx. Remember the ids you accepted and answer 2xx to a repeat without acting on it again.',
          parameters: [
            ref('parameters', 'Timestamp'),
            ref('parameters', 'PushSignature'),
            {
              name: 'X-Shop-Delivery-Id',
              in: 'header',
              required: true,
              description: 'The id of the pushed message (`message.id`): stable across retries, console Retries and resumes after a crash. Drop a delivery whose id you have already accepted.',
              schema: { type: 'string' },
            },
            {
              name: 'X-Shop-Delivery-Attempt',
              in: 'header',
              required: true,
              description: 'The attempt number on the server sending it (a resumed or retried delivery starts again at 1).',
              schema: { type: 'integer', minimum: 1 },
            },
          ],
          requestBody: { required: true, content: json(ref('schemas', 'PushEvent')) },
          responses: { '200': { description: 'Accepted (any 2xx).' } },
        },
      },
    },
    components: {
      securitySchemes: {
        shopSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Shop-Signature',
          description: `v1=<hex HMAC-SHA256(APP_HMAC_SECRET, "v1\\n" + method + "\\n" + path?query + "\\n" + timestamp + "\\n" + Idempotency-Key + "\\n" + body)>. ${SIGNING}`,
        },
        shopTimestamp: { type: 'apiKey', in: 'header', name: 'X-Shop-Timestamp', description: 'Unix seconds; part of what is signed.' },
      },
      parameters: {
        Timestamp: { name: 'X-Shop-Timestamp', in: 'header', required: true, description: 'Unix seconds.', schema: { type: 'string', pattern: '^\\d{1,12}$' } },
        Signature: { name: 'X-Shop-Signature', in: 'header', required: true, description: 'v1=<64 hex digits> (scheme v1, see the description above)', schema: { type: 'string', pattern: '^v1=[0-9a-fA-F]{64}$' } },
        PushSignature: { name: 'X-Shop-Signature', in: 'header', required: true, description: `The push webhook's signature: ${PUSH_SIGNING}`, schema: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$' } },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: 'Unique per message of a user (a UUID is best); a repeat returns the first answer.',
          schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]{1,128}$' },
        },
      },
      schemas: {
        MessageRequest: {
          type: 'object',
          required: ['userId', 'text'],
          additionalProperties: false,
          properties: {
            userId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s/]+$', description: 'The app\'s user id: the channel account.' },
            customerId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'The shop customer this user is (verified: the call is signed).' },
            wechatUnionId: { type: 'string', minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: "The user's WeChat UnionID when the app logged them in with WeChat: links them to the same person on the Official Account." },
            text: { type: 'string', minLength: 1, maxLength: opts.maxTextLength },
            locale: { type: 'string', maxLength: 35, example: 'zh-CN' },
            value: { oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }], description: 'A quick reply\'s value.' },
          },
        },
        Ack: {
          type: 'object',
          required: ['messageId', 'seq', 'conversationId'],
          properties: { messageId: { type: 'string' }, seq: { type: 'integer', minimum: 1 }, conversationId: { type: 'string' } },
        },
        MessageResponse: {
          type: 'object',
          required: ['ack', 'duplicate', 'heldForAgent', 'replies'],
          properties: {
            ack: ref('schemas', 'Ack'),
            duplicate: { type: 'boolean', description: 'True for a repeat of an Idempotency-Key.' },
            heldForAgent: { type: 'boolean', description: 'A human agent owns the conversation: no bot reply; the agent\'s reply is pushed.' },
            replies: { type: 'array', items: ref('schemas', 'WireMessage') },
          },
        },
        MessageList: {
          type: 'object',
          required: ['conversationId', 'messages', 'nextAfter'],
          properties: {
            conversationId: { type: 'string' },
            messages: { type: 'array', items: ref('schemas', 'WireMessage') },
            nextAfter: { type: 'integer', minimum: 0, description: 'The seq to pass as `after` next time.' },
          },
        },
        WireMessage: wireMessage,
        PushEvent: {
          type: 'object',
          required: ['type', 'userId', 'customerId', 'conversationId', 'message'],
          properties: {
            type: { type: 'string', enum: ['message'] },
            userId: { type: 'string' },
            customerId: { type: 'string' },
            conversationId: { type: 'string' },
            message: ref('schemas', 'WireMessage'),
          },
        },
        DeadLetterList: {
          type: 'object',
          required: ['pushEnabled', 'deadLetters'],
          properties: {
            pushEnabled: { type: 'boolean' },
            deadLetters: {
              type: 'array',
              items: {
                type: 'object',
                required: ['deliveryId', 'event', 'attempts', 'lastError', 'deadAt'],
                properties: {
                  deliveryId: { type: 'string', description: 'The X-Shop-Delivery-Id it was sent with: the message id.' },
                  event: ref('schemas', 'PushEvent'),
                  attempts: { type: 'integer', minimum: 0 },
                  lastError: { type: 'string' },
                  lastStatus: { type: 'integer' },
                  deadAt: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'requestId'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                reason: { type: 'string', description: 'A machine-readable reason where there is one, e.g. `signature_scheme_retired` on a 401.' },
                requestId: { type: 'string' },
              },
            },
          },
        },
      },
      responses: {
        E400: { description: 'Malformed JSON, a bad field or query parameter, a missing Idempotency-Key.', content: json(ref('schemas', 'Error')) },
        E401: {
          description: 'Missing, wrong, retired-scheme or replayed signature, or a timestamp outside the replay window; `error.reason` says which. Nothing was stored.',
          content: json(ref('schemas', 'Error')),
        },
        E404: { description: 'Unknown conversation, or one of another user (or the app channel is off).', content: json(ref('schemas', 'Error')) },
        E409: {
          description: 'The Idempotency-Key was used for a different message, or the conversation id is no longer the user\'s current conversation (it was resolved): post to `app:<userId>`.',
          content: json(ref('schemas', 'Error')),
        },
        E413: { description: 'Body larger than BODY_LIMIT.', content: json(ref('schemas', 'Error')) },
        E429: {
          description: 'Too many messages from this customer: the message was stored but not answered. Send later, with a new key.',
          content: json(ref('schemas', 'Error')),
        },
        E503: { description: 'Too many long-polls waiting on this node: retry.', content: json(ref('schemas', 'Error')) },
      },
    },
  };
}
