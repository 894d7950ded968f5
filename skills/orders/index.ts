import type { Activity } from 'botbuilder-core';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { isShopError, type Address, type Locale, type Order } from '../../store/index.js';
import { AnswerPrompt, type Answer } from '../dialogs/answer-prompt.js';
import { DEFAULT_ORDER_NUMBER_FORMAT, type OrderNumberFormat } from '../nlu/entities/index.js';
import { currentTurn } from '../dialogs/current-turn.js';
import { formatMoney, humanOption, message, reply, type Bilingual } from '../respond.js';
import type { Skill, Turn } from '../types.js';
import { isGeneralQuestion } from '../question-kind.js';
import { isVerified, type OrderPurpose, type OrderStore } from './access.js';
import { asksWhenItComes, conversationOrder, FIND_ORDER, FindOrderDialog, mentionedOrder, orderIntent, type FindOrderOptions } from './find-order.js';
import { describeOrder, describeReturn, refundTiming } from './status.js';

export { FindOrderDialog, FIND_ORDER, mentionedOrder, conversationOrder, orderIntent, asksWhenItComes, ORDER_FOLLOW_UP_MINUTES } from './find-order.js';
export { accessOrder, isVerified, phoneMatches, candidates, type OrderStore, type OrderPurpose } from './access.js';
export { describeOrder, describeReturn, estimatedDelivery, transitDays, refundTiming, REFUND_CREDIT_TIMES, REFUND_TIMING } from './status.js';

export const ORDER_ACTION = 'order_action';
const PROMPT = 'order_action.prompt';

/** A Map: intent names come from the intent data, and `{}` answers for `constructor` too (issue 14). */
const INTENT_PURPOSE: ReadonlyMap<string, OrderPurpose> = new Map([
  ['track_order', 'track'],
  ['cancel_order', 'cancel'],
  ['change_address', 'change_address'],
  ['change_order', 'change_order'],
  ['refund_status', 'refund_status'],
]);

const T = {
  confirmCancel: {
    en: (o: Order, total: string) => `Cancel order ${o.number} (${total})? Any payment goes back to the original payment method.`,
    zh: (o: Order, total: string) => `确认取消订单 ${o.number}（${total}）吗？已付款项会原路退回。`,
  },
  yesCancel: { en: 'Yes, cancel it', zh: '确认取消' } as Bilingual,
  noKeep: { en: 'No, keep it', zh: '不取消' } as Bilingual,
  cancelled: {
    en: (n: string) => `Done: order ${n} is cancelled. If you paid, the refund goes back to your original payment method (Alipay and WeChat Pay usually within 24 hours).`,
    zh: (n: string) => `已为您取消订单 ${n}。如已付款，退款将原路退回（支付宝、微信支付通常 24 小时内到账）。`,
  },
  kept: { en: 'OK, the order stays as it is.', zh: '好的，订单保持不变。' } as Bilingual,
  tooLate: {
    en: (n: string) => `Order ${n} has just left the warehouse, so it can no longer be cancelled. You can refuse the parcel when it arrives, or return it after delivery.`,
    zh: (n: string) => `订单 ${n} 刚刚已发货，无法取消了。您可以在快递送达时拒收，或签收后申请退货。`,
  },
  cannotCancel: {
    shipped: { en: 'It has shipped, so it can no longer be cancelled: you can refuse the parcel, or return it after delivery.', zh: '该订单已发货，无法取消：您可以拒收，或签收后申请退货。' },
    delivered: { en: 'It has been delivered, so it cannot be cancelled, but most items can be returned within 7 days.', zh: '该订单已签收，无法取消，但大部分商品支持签收后 7 天内退货。' },
    closed: { en: 'It is already closed, so there is nothing to cancel.', zh: '该订单已关闭，无需取消。' },
  },
  askAddress: {
    en: (o: Order) => `Order ${o.number} has not shipped yet, so I can change the address. Please send the new address in one message (street and number, city, and the recipient's name and phone if they change). Now: ${addressLine(o.shippingAddress)}.`,
    zh: (o: Order) => `订单 ${o.number} 尚未发货，可以修改地址。请在一条消息里发送新地址（省市、街道门牌；如收件人或电话有变也请一并写上）。当前地址：${addressLine(o.shippingAddress)}。`,
  },
  confirmAddress: {
    en: (a: string) => `Change the delivery address to: ${a}?`,
    zh: (a: string) => `确认将收货地址改为：${a}？`,
  },
  addressChanged: {
    en: (n: string) => `Done: order ${n} will go to the new address.`,
    zh: (n: string) => `已修改，订单 ${n} 将寄往新地址。`,
  },
  cannotChangeAddress: {
    en: 'It has already shipped, so the address can no longer be changed here. A person can ask the carrier to redirect it; that is not always possible.',
    zh: '该订单已发货，这里无法再修改地址。人工客服可以尝试联系快递改派，但不一定能成功。',
  },
  changeOrder: {
    en: (n: string) => `Items, sizes and colours of a placed order cannot be edited. Since order ${n} has not shipped, I can cancel it so you can order again, or a person can help.`,
    zh: (n: string) => `已下单的商品、尺码和颜色无法直接修改。订单 ${n} 尚未发货，我可以帮您取消后重新下单，或转人工处理。`,
  },
  cancelThis: { en: (n: string) => `Cancel ${n}`, zh: (n: string) => `取消订单 ${n}` },
  noReturns: {
    en: (n: string) => `There is no return or refund on order ${n}.`,
    zh: (n: string) => `订单 ${n} 没有退货或退款记录。`,
  },
};

/** Orders whose status answer may carry "often bought with" suggestions (not cancelled or refunded ones). */
const CROSS_SELL_STATUSES = new Set<Order['status']>(['paid', 'shipped', 'delivered']);

function addressLine(a: Address): string {
  return [a.line1, a.city, a.region, a.country].filter(Boolean).join(', ');
}

/** Status, cancellation, address change and refund status of one order, after FindOrder found it. */
export class OrderActionDialog extends ComponentDialog {
  constructor(
    private readonly store: OrderStore,
    /** After a status answer: products often bought with the order's (recommend skill's crossSell). */
    private readonly crossSell?: (turn: Turn, productIds: string[]) => Promise<Partial<Activity> | null>,
    /** How the shop's order numbers look (ORDER_NUMBER_PATTERN). */
    format: OrderNumberFormat = DEFAULT_ORDER_NUMBER_FORMAT,
  ) {
    super(ORDER_ACTION);
    this.addDialog(new FindOrderDialog(store, format));
    this.addDialog(new AnswerPrompt(PROMPT));
    this.addDialog(
      new WaterfallDialog(`${ORDER_ACTION}.steps`, [
        (step) => step.beginDialog(FIND_ORDER, step.options as FindOrderOptions),
        (step) => this.act(step),
        (step) => this.afterAnswer(step),
        (step) => this.afterConfirm(step),
      ]),
    );
    this.initialDialogId = `${ORDER_ACTION}.steps`;
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const order = step.result as Order | undefined;
    if (!order) return step.endDialog();
    const { purpose, followUp } = step.options as FindOrderOptions;
    const l = turn.locale;
    (step.values as Record<string, unknown>)['number'] = order.number;
    const say = (text: string, quick: Array<{ title: string; value: string }> = []) => step.context.sendActivity(message(l, text, { quickReplies: quick }));
    const described = async () => describeOrder(order, l, turn.now, { titles: await titlesIn(this.store, order, l), text: turn.text });
    switch (purpose) {
      case 'track':
      case 'return':
        await say(await described());
        if (purpose === 'track' && !followUp && this.crossSell && CROSS_SELL_STATUSES.has(order.status)) {
          // An extra, never a failure: the status answer stands whatever happens here.
          const extra = await this.crossSell(turn, order.items.map((i) => i.productId)).catch(() => null);
          if (extra) await step.context.sendActivity(extra);
        }
        return step.endDialog(order);
      case 'refund_status': {
        const returns = await this.store.returns.listByOrder(order.id);
        if (returns.length === 0) await say(`${T.noReturns[l](order.number)} ${await described()}`);
        else await say(`${returns.map((r) => describeReturn(r, order, l)).join('\n')}\n${refundTiming(l, turn.text)}`);
        return step.endDialog(order);
      }
      case 'cancel': {
        if (order.status === 'pending' || order.status === 'paid') {
          const quick = [
            { title: T.yesCancel[l], value: l === 'zh' ? '确认' : 'yes' },
            { title: T.noKeep[l], value: l === 'zh' ? '不' : 'no' },
          ];
          const text = T.confirmCancel[l](order, formatMoney(order.total, order.currency, l));
          return step.prompt(PROMPT, { prompt: message(l, text, { quickReplies: quick }), retryPrompt: message(l, text, { quickReplies: quick }), validations: { kind: 'yesno' } });
        }
        const why = order.status === 'shipped' ? T.cannotCancel.shipped : order.status === 'delivered' ? T.cannotCancel.delivered : T.cannotCancel.closed;
        await say(`${order.number}: ${why[l]}`);
        return step.endDialog(order);
      }
      case 'change_address': {
        if (order.status === 'pending' || order.status === 'paid') {
          const text = T.askAddress[l](order);
          return step.prompt(PROMPT, { prompt: message(l, text), retryPrompt: message(l, text), validations: { kind: 'text', minLength: 6 } });
        }
        await say(`${order.number}: ${T.cannotChangeAddress[l]}`, [humanOption(l)]);
        return step.endDialog(order);
      }
      case 'change_order': {
        if (order.status === 'pending' || order.status === 'paid') {
          await say(T.changeOrder[l](order.number), [{ title: T.cancelThis[l](order.number), value: `${l === 'zh' ? '取消订单' : 'cancel order'} ${order.number}` }, humanOption(l)]);
        } else {
          await say(await described(), [humanOption(l)]);
        }
        return step.endDialog(order);
      }
    }
  }

  private async afterAnswer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const l = turn.locale;
    const answer = step.result as Answer;
    const number = String((step.values as Record<string, unknown>)['number']);
    const purpose = (step.options as FindOrderOptions).purpose;
    if (purpose === 'cancel') {
      if (answer !== 'yes') {
        await step.context.sendActivity(message(l, T.kept[l]));
        return step.endDialog();
      }
      const order = await this.store.orders.getByNumber(number);
      if (!order) return step.endDialog();
      try {
        await this.store.orders.updateStatus(order.id, 'cancelled', { expected: ['pending', 'paid'], patch: { cancelledAt: turn.now } });
        await step.context.sendActivity(message(l, T.cancelled[l](number)));
      } catch (err) {
        if (!isShopError(err, 'conflict')) throw err;
        await step.context.sendActivity(message(l, T.tooLate[l](number)));
      }
      return step.endDialog();
    }
    // change_address: confirm the new address first ("never mind": nothing changes, and they hear so).
    if (answer === null) {
      await step.context.sendActivity(message(l, T.kept[l]));
      return step.endDialog();
    }
    (step.values as Record<string, unknown>)['address'] = answer;
    const quick = [
      { title: l === 'zh' ? '确认' : 'Yes', value: l === 'zh' ? '确认' : 'yes' },
      { title: l === 'zh' ? '取消' : 'No', value: l === 'zh' ? '不' : 'no' },
    ];
    const text = T.confirmAddress[l](answer);
    return step.prompt(PROMPT, { prompt: message(l, text, { quickReplies: quick }), retryPrompt: message(l, text, { quickReplies: quick }), validations: { kind: 'yesno' } });
  }

  private async afterConfirm(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const l = turn.locale;
    const values = step.values as Record<string, unknown>;
    const number = String(values['number']);
    if (step.result !== 'yes') {
      await step.context.sendActivity(message(l, T.kept[l]));
      return step.endDialog();
    }
    const order = await this.store.orders.getByNumber(number);
    if (!order) return step.endDialog();
    const shippingAddress: Address = { ...order.shippingAddress, line1: String(values['address']), city: '', region: undefined, postalCode: undefined };
    try {
      // Same status, but only while it still is pending or paid: never re-address a parcel on its way.
      if (order.status !== 'pending' && order.status !== 'paid') throw new Error('shipped');
      await this.store.orders.updateStatus(order.id, order.status, { expected: [order.status], patch: { shippingAddress } });
      await step.context.sendActivity(message(l, T.addressChanged[l](number)));
    } catch (err) {
      if (!(isShopError(err, 'conflict') || (err instanceof Error && err.message === 'shipped'))) throw err;
      await step.context.sendActivity(message(l, `${number}: ${T.cannotChangeAddress[l]}`, { quickReplies: [humanOption(l)] }));
    }
    return step.endDialog();
  }
}

/** Product titles in the reply's language for an order's lines (an order keeps the title it was bought under). */
async function titlesIn(store: OrderStore, order: Order, locale: Locale): Promise<Map<string, string>> {
  const products = await store.products.getMany([...new Set(order.items.map((i) => i.productId))]).catch(() => []);
  return new Map(products.map((p) => [p.id, p.title[locale]]));
}

/** Intents that name no topic of their own: an order number in such a message is the question ("can you check SA100253 for me", "订单号 … 查一下"). */
const NO_TOPIC = new Set(['none', 'out_of_scope', 'greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'help', 'feedback']);
/** Flows of their own, whatever order number they name. */
const OWN_FLOWS = new Set(['return_item', 'exchange_item', 'complaint', 'human_agent']);
/** Below this an intent is a guess (the router's floor): a named order number says more. */
const GUESS_CONFIDENCE = 0.45;
/** At or above this, a different intent is the question even right after an order ("can I pay by card?"). */
const SURE_CONFIDENCE = 0.75;
/** Intents "when will it arrive?" is read as: they follow the order this conversation is about. */
const ARRIVAL_INTENTS = new Set(['track_order', 'delivery_time', 'shipping_options', ...NO_TOPIC]);

/**
 * A turn the orders skill takes whatever NLU made of it: a message that names an order number
 * and asks nothing else ("can you check SA100253 for me" read as thanks, "订单号 … 查一下" as
 * out of scope), or a question about the order this conversation is about ("when will it
 * arrive?" read as a delivery-times question).
 */
function claims(turn: Turn): boolean {
  const { intent, confidence } = turn.nlu;
  if (OWN_FLOWS.has(intent)) return false;
  // An order intent sure enough is routed as usual; an unsure one is settled by a named order number below.
  if (INTENT_PURPOSE.has(intent)) return confidence < GUESS_CONFIDENCE && mentionedOrder(turn) !== undefined;
  if (mentionedOrder(turn)) {
    // An unsure guess at an order intent, made sure by the order number ("SA100123 取消" read as out of scope).
    const guessed = orderIntent(turn);
    if (guessed !== intent) return INTENT_PURPOSE.has(guessed) || (NO_TOPIC.has(guessed) && !OWN_FLOWS.has(guessed));
    return NO_TOPIC.has(intent) || confidence < GUESS_CONFIDENCE;
  }
  if (!conversationOrder(turn) || !asksWhenItComes(turn)) return false;
  return ARRIVAL_INTENTS.has(intent) || confidence < SURE_CONFIDENCE;
}

/** track_order, cancel_order, change_order, change_address, refund_status. */
export function ordersSkill(store: OrderStore): Skill {
  return {
    name: 'orders',
    intents: [...INTENT_PURPOSE.keys()],
    dialogId: ORDER_ACTION,
    // Order intents asked in general ("can I cancel after it shipped?", "how do I track a parcel?") are policy questions.
    canHandle: (turn) => INTENT_PURPOSE.has(turn.nlu.intent) && !isGeneralQuestion(turn),
    followUp: (turn) => claims(turn),
    handle: async (turn: Turn) => {
      const named = mentionedOrder(turn);
      const purpose = INTENT_PURPOSE.get(named ? orderIntent(turn) : turn.nlu.intent) ?? 'track';
      // "When will it arrive?" after an order was shown: that order, without asking again.
      const current = !named && asksWhenItComes(turn) ? conversationOrder(turn) : undefined;
      const number = named ?? current;
      if (purpose === 'refund_status' && !number && isVerified(turn.customer)) {
        const returns = await store.returns.listByCustomer(turn.customer.id, { limit: 3 });
        if (returns.items.length > 0) {
          const lines = await Promise.all(returns.items.map(async (r) => describeReturn(r, (await store.orders.get(r.orderId)) ?? undefined, turn.locale)));
          await reply(turn, `${lines.join('\n')}\n${refundTiming(turn.locale, turn.text)}`);
          return;
        }
      }
      if (!turn.dc) throw new Error('orders skill needs the dialog context');
      await turn.dc.beginDialog(ORDER_ACTION, { number, purpose, ...(current ? { followUp: true } : {}) } satisfies FindOrderOptions);
    },
  };
}
