import { ActivityTypes, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import { ChannelAdapter } from '../../bots/index.js';
import { ShopError } from '../../store/index.js';
import type { BotFrameworkCloudAdapter } from './adapter.js';
import { renderForBotFramework } from './render.js';
import { isLoopbackUrl } from './to-activity.js';

/**
 * Messages sent outside a shopper's turn on Bot Framework: an agent's reply, the hand-off
 * notices, the rating question, a console Retry. A `ChannelAdapter` like the other
 * channels', so the hand-off service drives it the same way (`continueConversation` runs
 * the middleware, the transcript stores the message first, the delivery retries it); it
 * posts through the Bot Connector at the stored reference's serviceUrl, as the bot, each
 * call bounded by the connector timeout.
 */
export class BotFrameworkProactiveAdapter extends ChannelAdapter {
  constructor(
    private readonly cloud: BotFrameworkCloudAdapter,
    private readonly publicBaseUrl?: string,
  ) {
    super('botframework');
  }

  protected async deliver(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    if (activity.type === ActivityTypes.Typing) return; // an agent's typing is not worth a connector call
    const serviceUrl = reference.serviceUrl;
    if (!serviceUrl || !reference.conversation?.id) {
      throw new ShopError('bad_request', 'this Bot Framework conversation has no stored address to reply to', { details: { transient: false } });
    }
    // The reference came from an accepted request; still, never POST a shopper's data off this
    // machine without a Bot Framework registration.
    if (this.cloud.anonymous && !isLoopbackUrl(serviceUrl)) {
      throw new ShopError('forbidden', 'without BOTFRAMEWORK_APP_ID the bot only sends to a serviceUrl on this machine', { details: { transient: false } });
    }
    const out = TurnContext.applyConversationReference({ ...renderForBotFramework(activity, this.publicBaseUrl) }, reference, false);
    delete out.replyToId; // proactive: a new activity in the conversation
    await this.cloud.post(await this.cloud.connectorFor(serviceUrl), out);
  }
}
