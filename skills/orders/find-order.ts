import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Order } from '../../store/index.js';
import { AnswerPrompt, MAX_PROMPT_ATTEMPTS, type Answer, type AnswerSpec, type Choice } from '../dialogs/answer-prompt.js';
import { currentTurn } from '../dialogs/current-turn.js';
import { DEFAULT_ORDER_NUMBER_FORMAT, isOrderNumber, type OrderNumberFormat } from '../nlu/entities/index.js';
import { humanOption, message } from '../respond.js';
import type { Turn } from '../types.js';
import { accessOrder, candidates, isVerified, phoneMatches, rememberVerified, type OrderPurpose, type OrderStore } from './access.js';
import { orderLabel } from './status.js';

export const FIND_ORDER = 'find_order';
const PROMPT = 'find_order.prompt';

export interface FindOrderOptions {
  number?: string;
  purpose: OrderPurpose;
  /** A follow-up about the order this conversation is about ("when will it arrive?"): the status only, no extras. */
  followUp?: boolean;
}

/** The order number the shopper mentioned (in the shop's format or not: FindOrder tells them). */
export function mentionedOrder(turn: Turn): string | undefined {
  const e = turn.nlu.entities.find((x) => x.type === 'order_number');
  return e?.value;
}

/**
 * The intent a message names an order for: NLU's, or, when the classifier judged the message
 * off-topic, its best shop intent ("订单SA900032我想退货": return_item). An order number in
 * the message is the evidence the classifier lacked.
 */
export function orderIntent(turn: Pick<Turn, 'nlu'>): string {
  const { intent, alternatives } = turn.nlu;
  const guess = alternatives?.find((a) => a.intent !== 'out_of_scope');
  return intent === 'out_of_scope' && guess ? guess.intent : intent;
}

/** How long after an order was shown "when will it arrive?" still means that order. */
export const ORDER_FOLLOW_UP_MINUTES = 30;

/** The order this conversation is about, if it was shown in the last ORDER_FOLLOW_UP_MINUTES. */
export function conversationOrder(turn: Pick<Turn, 'session' | 'now'>): string | undefined {
  const o = turn.session.order;
  if (!o || typeof o.number !== 'string') return undefined;
  const at = Date.parse(o.at);
  return Number.isFinite(at) && turn.now.getTime() - at <= ORDER_FOLLOW_UP_MINUTES * 60_000 ? o.number : undefined;
}

/** When or whether "it" comes: about a parcel already in the conversation. */
const ARRIVAL_EN =
  /\b(?:when|how (?:long|soon)|what (?:day|time)|still)\b[^?.!]{0,40}\b(?:arriv\w*|gets? (?:here|there|to me)|com(?:e|es|ing)|deliver\w*|reach\w*|ship\w*|dispatch\w*|be here|shows? up|turns? up)\b|\bwhere(?:'s| is)\b|\bhas (?:it|this|that) (?:shipped|arrived|left|been (?:shipped|sent|delivered))\b|\bany (?:update|news)\b|\beta\b/i;
const REFERS_EN = /\b(?:it|they|them|this|that|the (?:order|parcel|package|delivery)|my (?:order|parcel|package|delivery|stuff))\b|^\s*(?:any (?:update|news)|eta)\b/i;
const ARRIVAL_ZH = /(?:什么时候|啥时候|多久|几时|哪天|几号|多长时间|大概|还要|还得|要多久).{0,8}(?:到|送|发货|发出|签收)|到哪|到了吗|能到吗|发货了吗|发了吗|发货没|发出了吗|有消息吗|有更新吗/u;
/** A question about deliveries in general, not this parcel. */
const GENERAL = /\b(?:usually|normally|generally|typically|in general|orders)\b|一般|通常|平时|平常|普通/iu;

/** "When will it arrive?", "那大概啥时候能到？": about the parcel this conversation is about. */
export function asksWhenItComes(turn: Pick<Turn, 'text' | 'nlu'>): boolean {
  const text = turn.text;
  if (GENERAL.test(text)) return false;
  if (turn.nlu.entities.some((e) => e.type === 'order_number' || e.type === 'product' || e.type === 'category')) return false;
  return (ARRIVAL_EN.test(text) && REFERS_EN.test(text)) || ARRIVAL_ZH.test(text);
}

/** Remembers the order shown in this conversation (for follow-ups) and for the customer. */
export function rememberShown(turn: Pick<Turn, 'session' | 'memory' | 'now'>, number: string): void {
  turn.session.order = { number, at: turn.now.toISOString() };
  turn.memory.lastOrderNumber = number;
}

const T = {
  ask: {
    en: (example: string) => `Which order is it? Please send the order number (it looks like ${example}; you find it in the confirmation message).`,
    zh: (example: string) => `请问是哪个订单？请发送订单号（形如 ${example}，可在下单确认消息里找到）。`,
  },
  askRetry: {
    en: (example: string) => `Sorry, that does not look like an order number. It looks like ${example}.`,
    zh: (example: string) => `这好像不是订单号，订单号形如 ${example}。`,
  },
  otherFormat: {
    en: (n: string, example: string) => `I can't find an order with the number ${n} here. Please check it: our order numbers look like ${example} (you find yours in the confirmation message). If you ordered from another shop, they can help you with that order.`,
    zh: (n: string, example: string) => `没有找到订单号为 ${n} 的订单，请核对一下：我们的订单号形如 ${example}（可在下单确认消息里找到）。如果是在其他店铺下的单，需要联系那家店铺查询。`,
  },
  pick: { en: 'Which order do you mean?', zh: '您指的是哪个订单？' },
  none: {
    track: { en: 'I cannot find any orders on your account.', zh: '您的账户下没有找到订单。' },
    cancel: { en: 'You have no order that can still be cancelled: once an order ships it cannot be cancelled, but you can refuse the parcel or return it.', zh: '您目前没有可以取消的订单：订单发货后无法取消，但您可以拒收或签收后退货。' },
    change_address: { en: 'You have no order whose address can still be changed: that is only possible before it ships.', zh: '您目前没有可以修改地址的订单：只有发货前才能修改。' },
    change_order: { en: 'You have no order that can still be changed: that is only possible before it ships.', zh: '您目前没有可以修改的订单：只有发货前才能修改。' },
    return: { en: 'I cannot find a delivered order on your account to return.', zh: '您的账户下没有可以退货的已签收订单。' },
    refund_status: { en: 'I cannot find any refunds on your account.', zh: '您的账户下没有退款记录。' },
  },
  notFound: {
    en: (n: string) => `I could not find order ${n} on your account. Please check the number, or sign in so I can see your orders.`,
    zh: (n: string) => `您的账户下没有找到订单 ${n}。请核对订单号，或登录后再查询。`,
  },
  verify: {
    en: (n: string) => `To protect your privacy, please send the last 4 digits of the phone number on order ${n} (or the whole number).`,
    zh: (n: string) => `为保护您的隐私，请发送订单 ${n} 收货手机号的后 4 位（或完整手机号）。`,
  },
  verifyRetry: {
    en: 'That does not match. Please send the last 4 digits of the phone number on the order (or the whole number).',
    zh: '号码不匹配，请发送订单收货手机号的后 4 位（或完整手机号）。',
  },
  verifyFailed: {
    en: 'Sorry, I could not verify that order. A person can help you, or sign in to see your orders.',
    zh: '抱歉，无法验证该订单。您可以登录后查看订单，或转人工客服处理。',
  },
  giveUp: { en: 'No problem. Send me the order number whenever you have it.', zh: '没关系，找到订单号后随时发给我。' },
};

/**
 * Finds the order a request is about, and makes sure the shopper may see it: from the number
 * they gave, from a pick list of their own orders, or, for an anonymous shopper, the order
 * number plus the last digits of the phone on the order. Ends with the Order, or undefined.
 */
export class FindOrderDialog extends ComponentDialog {
  constructor(
    private readonly store: OrderStore,
    /** How the shop's order numbers look (ORDER_NUMBER_PATTERN). */
    private readonly format: OrderNumberFormat = DEFAULT_ORDER_NUMBER_FORMAT,
  ) {
    super(FIND_ORDER);
    this.addDialog(new AnswerPrompt(PROMPT));
    this.addDialog(
      new WaterfallDialog(`${FIND_ORDER}.steps`, [
        (step) => this.askNumber(step),
        (step) => this.checkAccess(step),
        (step) => this.afterVerify(step),
      ]),
    );
    this.addDialog(new WaterfallDialog(VERIFY_PHONE, [(step) => this.askPhone(step), (step) => this.checkPhone(step)]));
    this.initialDialogId = `${FIND_ORDER}.steps`;
  }

  private prompt(step: WaterfallStepContext, text: string, spec: AnswerSpec, retry: string, quick: Array<{ title: string; value: string }> = []): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    return step.prompt(PROMPT, {
      prompt: message(turn.locale, text, { quickReplies: quick }),
      retryPrompt: message(turn.locale, retry, { quickReplies: quick }),
      validations: spec,
    });
  }

  private async askNumber(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const opts = step.options as FindOrderOptions;
    if (opts.number) return step.next(opts.number);
    if (isVerified(turn.customer)) {
      const page = await this.store.orders.listByCustomer(turn.customer.id, { limit: 20 });
      const list = candidates(page.items, opts.purpose);
      if (list.length === 0) {
        await step.context.sendActivity(message(turn.locale, T.none[opts.purpose][turn.locale]));
        return step.endDialog(undefined);
      }
      if (list.length === 1) return step.next(list[0]!.number);
      const shown = list.slice(0, 5);
      const quick = shown.map((o) => ({ title: orderLabel(o, turn.locale), value: o.number }));
      const lines = shown.map((o, i) => `${i + 1}. ${orderLabel(o, turn.locale)}`).join('\n');
      // "The one with the lip balms": an order is also named by its items.
      const products = new Map((await this.store.products.getMany([...new Set(shown.flatMap((o) => o.items.map((i) => i.productId)))])).map((p) => [p.id, p]));
      const choices: Choice[] = shown.map((o) => ({
        value: o.number,
        synonyms: [o.number, ...o.items.flatMap((i) => [i.title, products.get(i.productId)?.title.en ?? '', products.get(i.productId)?.title.zh ?? ''].filter(Boolean))],
      }));
      return this.prompt(step, `${T.pick[turn.locale]}\n${lines}`, { kind: 'order', format: this.format, choices }, `${T.askRetry[turn.locale](this.format.example)}\n${lines}`, quick);
    }
    return this.prompt(step, T.ask[turn.locale](this.format.example), { kind: 'order', format: this.format }, T.askRetry[turn.locale](this.format.example));
  }

  private async checkAccess(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const number = step.result as Answer;
    if (number === null) {
      await step.context.sendActivity(message(turn.locale, T.giveUp[turn.locale], { quickReplies: [humanOption(turn.locale)] }));
      return step.endDialog(undefined);
    }
    // A number the shopper gave as theirs, in a format this shop does not use: say so, not "which phone?".
    if (!isOrderNumber(this.format, number)) {
      await step.context.sendActivity(message(turn.locale, T.otherFormat[turn.locale](number.toUpperCase(), this.format.example), { quickReplies: [humanOption(turn.locale)] }));
      return step.endDialog(undefined);
    }
    const access = await accessOrder(this.store, turn.customer, turn.memory, number);
    if (access.kind === 'not_found') {
      await step.context.sendActivity(message(turn.locale, T.notFound[turn.locale](number.toUpperCase()), { quickReplies: [humanOption(turn.locale)] }));
      return step.endDialog(undefined);
    }
    turn.memory.lastOrderNumber = access.order.number;
    if (access.kind === 'ok') {
      rememberShown(turn, access.order.number);
      return step.endDialog(access.order);
    }
    return step.beginDialog(VERIFY_PHONE, { number: access.order.number, attempt: 1 } satisfies VerifyOptions);
  }

  private async afterVerify(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const number = step.result as string | undefined;
    const order: Order | null = number ? await this.store.orders.getByNumber(number) : null;
    if (!order) {
      await step.context.sendActivity(message(turn.locale, T.verifyFailed[turn.locale], { quickReplies: [humanOption(turn.locale)] }));
      return step.endDialog(undefined);
    }
    rememberShown(turn, order.number);
    return step.endDialog(order);
  }

  /** Asks for the phone digits (or the whole number); a mismatch asks again, up to MAX_PROMPT_ATTEMPTS times. Ends with the order number when verified. */
  private async askPhone(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const opts = step.options as VerifyOptions;
    const text = opts.attempt === 1 ? T.verify[turn.locale](opts.number) : T.verifyRetry[turn.locale];
    return this.prompt(step, text, { kind: 'phone' }, T.verifyRetry[turn.locale]);
  }

  private async checkPhone(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const opts = step.options as VerifyOptions;
    const digits = step.result as Answer;
    const order = await this.store.orders.getByNumber(opts.number);
    if (digits !== null && order && phoneMatches(order, digits)) {
      rememberVerified(turn, order.number);
      return step.endDialog(order.number);
    }
    if (digits !== null && opts.attempt < MAX_PROMPT_ATTEMPTS) return step.replaceDialog(VERIFY_PHONE, { ...opts, attempt: opts.attempt + 1 });
    return step.endDialog(undefined);
  }
}

const VERIFY_PHONE = 'find_order.verify_phone';
interface VerifyOptions {
  number: string;
  attempt: number;
}
