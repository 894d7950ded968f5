import {
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
  type ConversationReference,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import { ShopError } from '../../store/index.js';

export type BotFrameworkAppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';

export interface BotFrameworkAuthOptions {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  appType?: BotFrameworkAppType;
  /** Where channel tokens' signing keys are published (botbuilder's default: the public cloud's). */
  openIdMetadataUrl?: string;
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
  private readonly appId: string;

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

  /** Runs an authenticated activity through the middleware and `logic` (CloudAdapterBase's turn). */
  run(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}
