import type { Activity, ConfigurationBotFrameworkAuthentication, ResourceResponse } from 'botbuilder';
import { ShopError } from '../../store/index.js';

type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;
export type ConnectorFactory = NonNullable<AuthenticateRequestResult['connectorFactory']>;
export type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;

/** The Bot Connector's own default (botbuilder has none). BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS. */
export const DEFAULT_CONNECTOR_TIMEOUT_MS = 5000;

/**
 * One call to the Bot Connector is one HTTP request: botbuilder's pipeline retries a 5xx
 * three times with backoff (a refusing connector took 6 s to fail) and follows redirects.
 * Retries are our delivery's job (bots/delivery.ts: backoff, status on the stored message),
 * and a redirect could carry the bot's token elsewhere; both policies are taken out. If a
 * botbuilder upgrade moves the pipeline, the timeout still bounds every call.
 */
export function singleAttempt(client: ConnectorClient): ConnectorClient {
  const pipeline = (client as unknown as { client?: { pipeline?: { removePolicy?: (p: { name: string }) => unknown } } }).client?.pipeline;
  if (typeof pipeline?.removePolicy === 'function') {
    pipeline.removePolicy({ name: 'defaultRetryPolicy' });
    pipeline.removePolicy({ name: 'redirectPolicy' });
  }
  return client;
}

/** A connector factory whose clients make single attempts (see `singleAttempt`). */
export function singleAttemptFactory(factory: ConnectorFactory): ConnectorFactory {
  return Object.assign(Object.create(factory) as ConnectorFactory, {
    create: async (serviceUrl: string, audience?: string) => singleAttempt(await factory.create(serviceUrl, audience)),
  });
}

/**
 * Posts one activity to the conversation through the Bot Connector (a reply to
 * `replyToId` when it has one), aborted after `timeoutMs`. Failures are ShopErrors the
 * delivery classifies: a timeout, a refused connection or a 408/429/5xx is transient (tried
 * again later), any other 4xx permanent (the conversation is gone, the bot was removed).
 */
export async function postActivity(client: ConnectorClient, activity: Partial<Activity>, timeoutMs: number): Promise<ResourceResponse> {
  const conversationId = activity.conversation?.id;
  if (!conversationId) throw new ShopError('bad_request', 'a Bot Framework reply needs conversation.id', { details: { transient: false } });
  const out: Partial<Activity> = { ...activity };
  delete out.id; // our stored message id; the channel gives the activity its own
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new ShopError('unavailable', `the Bot Connector at ${activity.serviceUrl ?? '?'} did not answer within ${timeoutMs} ms`, { details: { transient: true } }));
    }, timeoutMs);
    timer.unref();
  });
  const options = { abortSignal: abort.signal };
  const call = out.replyToId
    ? client.conversations.replyToActivity(conversationId, out.replyToId, out, options)
    : client.conversations.sendToConversation(conversationId, out, options);
  try {
    return await Promise.race([call, timedOut]);
  } catch (err) {
    if (err instanceof ShopError) throw err;
    throw connectorError(err, activity.serviceUrl);
  } finally {
    clearTimeout(timer);
    // The losing promise must not surface as an unhandled rejection.
    call.catch(() => undefined);
  }
}

function connectorError(err: unknown, serviceUrl: string | undefined): ShopError {
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const where = `the Bot Connector at ${serviceUrl ?? '?'}`;
  if (status !== undefined) {
    const transient = status === 408 || status === 429 || status >= 500;
    return new ShopError(transient ? 'unavailable' : 'bad_request', `${where} answered HTTP ${status}`, { cause: err, details: { status, transient } });
  }
  const code = typeof e.code === 'string' ? ` (${e.code})` : '';
  return new ShopError('unavailable', `${where} could not be reached${code}`, { cause: err, details: { transient: true } });
}
