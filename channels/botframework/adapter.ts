import {
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
  type ConversationReference,
  type InvokeResponse,
  type ResourceResponse,
  type TurnContext,
} from 'botbuilder';
import { ShopError } from '../../store/index.js';
import { DEFAULT_CONNECTOR_TIMEOUT_MS, postActivity, singleAttempt, singleAttemptFactory, type ConnectorClient } from './connector.js';

export type BotFrameworkAppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';

export interface BotFrameworkAuthOptions {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  appType?: BotFrameworkAppType;
  /** Where channel tokens' signing keys are published (botbuilder's default: the public cloud's). */
  openIdMetadataUrl?: string;
  /** How long one call to the Bot Connector may take (BOTFRAMEWORK_CONNECTOR_TIMEOUT_MS). */
  connectorTimeoutMs?: number;
}

/** Replies a turn produced, kept to be posted after the turn (see `BotFrameworkCloudAdapter.run`). */
export interface DeferredReplies {
  client: ConnectorClient;
  /** In order; each message's `id` is its stored message's id (the transcript's). */
  activities: Array<Partial<Activity>>;
}

/**
 * The public cloud's endpoints (botframework-connector's AuthenticationConstants). botbuilder
 * uses them by default, but as soon as one endpoint is overridden it expects all of them.
 */
const PUBLIC_CLOUD = {
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: CallerIdConstants.PublicAzureChannel,
};

type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/**
 * botbuilder's `CloudAdapter` with authentication as its own step, so the HTTP route can
 * tell a refused token (401) from a failed turn (500) and answer both in our JSON error
 * shape. `CloudAdapter.process` cannot: it answers a token that fails its signature check
 * with 500, a body without `type` with 500, and writes every refusal to `console.error`.
 */
export class BotFrameworkCloudAdapter extends CloudAdapter {
  /** No app id: the Emulator and local Direct Line clients talk to the bot without tokens. */
  readonly anonymous: boolean;
  readonly connectorTimeoutMs: number;
  private readonly appId: string;
  /** Inbound activities whose turn keeps its replies for after the turn, and those replies. */
  private readonly deferred = new WeakMap<object, { client?: ConnectorClient; activities: Array<Partial<Activity>> }>();

  constructor(opts: BotFrameworkAuthOptions) {
    const settings = {
      MicrosoftAppId: opts.appId,
      MicrosoftAppPassword: opts.appPassword,
      MicrosoftAppTenantId: opts.tenantId,
      MicrosoftAppType: opts.appType ?? 'MultiTenant',
    };
    super(
      new ConfigurationBotFrameworkAuthentication(
        { ...settings, ...(opts.openIdMetadataUrl ? { ...PUBLIC_CLOUD, ToBotFromChannelOpenIdMetadataUrl: opts.openIdMetadataUrl } : {}) },
        // With an empty MicrosoftAppId this factory reports authentication as disabled:
        // inbound requests need no token and replies carry none (botbuilder's anonymous mode).
        new ConfigurationServiceClientCredentialFactory(settings),
      ),
    );
    this.anonymous = !opts.appId;
    this.appId = opts.appId ?? '';
    this.connectorTimeoutMs = opts.connectorTimeoutMs ?? DEFAULT_CONNECTOR_TIMEOUT_MS;
  }

  /**
   * BotAdapter's proactive entry point (an agent's reply), which CloudAdapter only offers as
   * `continueConversationAsync(appId, ...)`: its own `continueConversation` just throws.
   * The reference must be complete (serviceUrl, conversation, user, bot).
   */
  override continueConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    return this.continueConversationAsync(this.appId, reference, logic);
  }

  /**
   * Checks the request's `Authorization` header against the activity (JWT signature,
   * issuer, audience = our app id, serviceUrl claim). Any failure is `unauthorized`, except
   * that the signing keys could not be fetched, which is `unavailable`.
   */
  async authenticate(authHeader: string, activity: Activity): Promise<AuthenticateRequestResult> {
    try {
      return await this.botFrameworkAuthentication.authenticateRequest(activity, authHeader);
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      // botbuilder's reasons ("Invalid AppId passed on token", "jwt expired") are what an
      // operator needs to fix a registration, and tell a caller nothing secret.
      const reason = err instanceof Error ? err.message : String(err);
      if (typeof status === 'number' && status >= 500) {
        throw new ShopError('unavailable', `cannot verify Bot Framework tokens right now: ${reason}`, { cause: err });
      }
      throw new ShopError('unauthorized', `missing or invalid Bot Framework token: ${reason}`, { cause: err });
    }
  }

  /**
   * Runs an authenticated activity through the middleware and `logic` (CloudAdapterBase's
   * turn). With `deferReplies`, the turn's messages are stored (the transcript) but not
   * posted: the caller takes them with `takeReplies` once the turn is over and posts them
   * outside the node's turn slot, so a slow or dead Bot Connector never holds a slot.
   * Every Bot Connector call is a single HTTP attempt bounded by `connectorTimeoutMs`.
   */
  run(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>, opts: { deferReplies?: boolean } = {}): Promise<InvokeResponse | undefined> {
    if (opts.deferReplies) this.deferred.set(activity, { activities: [] });
    const factory = auth.connectorFactory ? singleAttemptFactory(auth.connectorFactory) : undefined;
    return this.processActivity({ ...auth, ...(factory ? { connectorFactory: factory } : {}) } as AuthenticateRequestResult, activity, logic);
  }

  /** The replies `run` kept for `activity` (once; undefined when it kept none). */
  takeReplies(activity: Activity): DeferredReplies | undefined {
    const d = this.deferred.get(activity);
    this.deferred.delete(activity);
    return d?.client && d.activities.length > 0 ? { client: d.client, activities: d.activities } : undefined;
  }

  /** A connector client for proactive messages (an agent's reply) to `serviceUrl`, as this bot. */
  async connectorFor(serviceUrl: string): Promise<ConnectorClient> {
    const factory = this.botFrameworkAuthentication.createConnectorFactory(this.createClaimsIdentity(this.appId));
    return singleAttempt(await factory.create(serviceUrl, undefined));
  }

  /** Posts one activity through the Bot Connector, bounded by the timeout. */
  post(client: ConnectorClient, activity: Partial<Activity>): Promise<ResourceResponse> {
    return postActivity(client, activity, this.connectorTimeoutMs);
  }

  /**
   * CloudAdapterBase's send, with every Bot Connector call bounded by the timeout, and the
   * replies of a deferred turn kept instead of posted (typing indicators are dropped there:
   * they would arrive with the answer). Invoke responses and delays are botbuilder's.
   */
  override async sendActivities(context: TurnContext, activities: Array<Partial<Activity>>): Promise<ResourceResponse[]> {
    const deferred = this.deferred.get(context.activity);
    const client = context.turnState.get(this.ConnectorClientKey) as ConnectorClient | undefined;
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      const storedId = activity.id ?? '';
      if (activity.type === 'invokeResponse' || activity.type === 'delay') {
        responses.push(...(await super.sendActivities(context, [activity])));
      } else if (activity.type === 'trace' && activity.channelId !== 'emulator') {
        responses.push({ id: storedId });
      } else if (deferred) {
        if (activity.type !== 'typing') {
          deferred.client = client;
          deferred.activities.push({ ...activity });
        }
        responses.push({ id: storedId });
      } else {
        if (!client) throw new ShopError('internal', 'no Bot Connector client on the turn context');
        responses.push(await this.post(singleAttempt(client), activity));
      }
    }
    return responses;
  }
}
