import { ActivityTypes, type Activity, type Middleware, type TurnContext } from 'botbuilder-core';
import { isShopError, type MessageRepository, type MessageSender } from '../../store/index.js';
import { activityPayload } from '../cards.js';
import type { EventBus } from '../events.js';
import type { MergeLog } from '../merge-log.js';
import { setInboundMessage, turnConversation, turnCustomer } from '../turn-state.js';

const DUPLICATE = Symbol('shop.duplicate');
const ANSWER_UNANSWERED = Symbol('shop.answerUnanswered');

/**
 * Asks the transcript to run the bot on a redelivery whose stored original was never
 * answered (the store failed after storing it, before the reply): a client's retry with the
 * same id then gets its answer, and the message is still stored once.
 */
export function answerIfUnanswered(context: TurnContext): void {
  context.turnState.set(ANSWER_UNANSWERED, true);
}

/**
 * The stored key of an inbound message's channel id, scoped to its sender: the conversation
 * and the account that sent it, then the channel's id (`web:v_1…/web:v_1…/m-608`). Clients
 * choose ids (the widget, the app's Idempotency-Key) and Bot Framework ids are unique per
 * conversation only, so an id alone names nobody: visitor B reusing visitor A's id must be
 * a new message of B's, never a "redelivery" answered with A's replies. `%` and `/` in the
 * conversation and account ids are escaped, so two different senders never share a key.
 */
export function inboundMessageKey(a: { id?: string; channelId?: string; conversation?: { id?: string }; from?: { id?: string } }): string | undefined {
  if (!a.id) return undefined;
  const part = (s: string | undefined) => (s ?? '').replaceAll('%', '%25').replaceAll('/', '%2F');
  // The account is named with its channel: Bot Framework carries many (emulator, msteams, directline) under one stored channel.
  return `${part(a.conversation?.id)}/${part(`${a.channelId ?? ''}:${a.from?.id ?? ''}`)}/${a.id}`;
}

/** True when the turn was a redelivery of a message already stored (and was not run). */
export function isDuplicateDelivery(context: TurnContext): boolean {
  return context.turnState.get(DUPLICATE) === true;
}

/** Who an outgoing activity is from: the bot unless an agent's reply says otherwise. */
interface OutgoingMeta {
  sender?: MessageSender;
  agentId?: string;
  agentName?: string;
}

/**
 * Stores the inbound message BEFORE anything answers it (nothing accepted is lost), and
 * every outgoing message before the channel sends it, giving each its id and seq. A
 * redelivered inbound message (same channel message id) stops the turn: one answer only.
 */
export function transcriptMiddleware(deps: {
  messages: MessageRepository;
  events: EventBus;
  merges: MergeLog;
  /** Applied to the text of every message before it is stored (PII redaction); the turn keeps the original. */
  redact?: (text: string) => string;
}): Middleware {
  const storedText = (text: string | undefined): string => (text && deps.redact ? deps.redact(text) : (text ?? ''));
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      const a = context.activity;
      const customer = turnCustomer(context);
      const conversation = turnConversation(context);
      const channel = conversation.channel;

      context.onSendActivities(async (_ctx, activities, nextSend) => {
        for (const out of activities) {
          if (out.type !== ActivityTypes.Message) continue;
          const meta = (out.channelData ?? {}) as OutgoingMeta;
          const stored = await deps.messages.append({
            conversationId: conversation.id,
            // A link may have merged this customer into another during the turn.
            customerId: deps.merges.resolve(customer.id),
            direction: 'out',
            sender: meta.sender ?? 'bot',
            agentId: meta.agentId,
            channel,
            text: storedText(out.text),
            payload: outgoingPayload(out, meta),
          });
          out.id = stored.id;
          out.channelData = { ...(out.channelData as object | undefined), message: stored };
          deps.events.publish({ type: 'message', message: stored });
        }
        return nextSend();
      });

      if (a.type === ActivityTypes.Message) {
        const key = inboundMessageKey(a);
        try {
          const stored = await deps.messages.append({
            conversationId: conversation.id,
            customerId: customer.id,
            direction: 'in',
            sender: 'customer',
            channel,
            text: storedText(a.text),
            payload: inboundPayload(a),
            channelMessageId: key,
          });
          setInboundMessage(context, stored);
          deps.events.publish({ type: 'message', message: stored });
        } catch (err) {
          if (isShopError(err, 'conflict') && key) {
            context.turnState.set(DUPLICATE, true);
            const original = await deps.messages.findByChannelMessageId(channel, key);
            if (original) setInboundMessage(context, original);
            // Nothing after the original (no answer, no later message): answer it now.
            if (original && context.turnState.get(ANSWER_UNANSWERED) === true) {
              const after = await deps.messages.listByConversation(original.conversationId, { afterSeq: original.seq, limit: 1 });
              if (after.length === 0) {
                context.turnState.delete(DUPLICATE);
                await next();
              }
            }
            return;
          }
          throw err;
        }
      }
      await next();
    },
  };
}

function outgoingPayload(out: Partial<Activity>, meta: OutgoingMeta): Record<string, unknown> | undefined {
  const payload: Record<string, unknown> = { ...activityPayload(out) };
  // The agent's name travels with their messages, so every channel can show who wrote.
  if (meta.agentName) payload['agentName'] = meta.agentName;
  if (!out.text && Object.keys(payload).length === 0) payload['empty'] = true;
  return Object.keys(payload).length > 0 ? payload : undefined;
}

function inboundPayload(a: Partial<Activity>): Record<string, unknown> | undefined {
  const payload: Record<string, unknown> = { ...activityPayload(a) };
  const attachments = (a.attachments ?? []).map((x) => ({ contentType: x.contentType, contentUrl: x.contentUrl, name: x.name }));
  if (attachments.length > 0) payload['attachments'] = attachments;
  const location = (a.channelData as { location?: unknown } | undefined)?.location;
  if (location) payload['location'] = location;
  if (!a.text && Object.keys(payload).length === 0) payload['empty'] = true;
  return Object.keys(payload).length > 0 ? payload : undefined;
}
