import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { isShopError, type Locale, type Order, type Product } from '../../store/index.js';
import { AnswerPrompt, recognizeAnswer, type Answer, type AnswerSpec, type Choice } from '../dialogs/answer-prompt.js';
import { currentTurn } from '../dialogs/current-turn.js';
import { FIND_ORDER, FindOrderDialog, mentionedOrder, orderIntent, type FindOrderOptions } from '../orders/find-order.js';
import type { OrderStore } from '../orders/access.js';
import { describeOrder } from '../orders/status.js';
import { CATEGORY_SYNONYMS, DEFAULT_ORDER_NUMBER_FORMAT, type OrderNumberFormat } from '../nlu/entities/index.js';
import { formatMoney, humanOption, message, type Bilingual, type QuickReplyOption } from '../respond.js';
import type { Skill, Turn } from '../types.js';
import { isGeneralQuestion } from '../question-kind.js';
import { checkReturn, RETURN_REASONS, type ReturnReason } from './policy.js';

export { checkReturn, calendarDay, RETURN_REASONS, NO_REASON_DAYS, QUALITY_DAYS, type ReturnReason, type PolicyVerdict } from './policy.js';

export const RETURN_DIALOG = 'return_item';
const PROMPT = 'return_item.prompt';

/** Links to the shop's help articles (the FAQ's citation links). */
export type ArticleLink = (slug: string, locale: Locale) => string;

const REASONS: Record<ReturnReason, Bilingual & { synonyms: string[] }> = {
  changed_mind: {
    en: 'Changed my mind',
    zh: '不想要了',
    synonyms: ['changed mind', 'changed my mind', 'no longer needed', "don't need", "don't want it", "don't like", 'not needed', 'bought too many', 'ordered too many', 'bought two', '不喜欢', '不太喜欢', '不需要', '不想要', '不要了', '用不上', '用不到', '买多了', '买重了', '买错了', '七天无理由', '无理由'],
  },
  wrong_size: {
    en: 'Wrong size or fit',
    zh: '尺码不合适',
    synonyms: ['wrong size', 'too small', 'too big', 'too large', 'too tight', 'too loose', "doesn't fit", "don't fit", 'size', 'fit', '太小', '太大', '偏小', '偏大', '小了', '大了', '尺码', '鞋码', '码数', '码子', '不合身', '不合脚', '挤脚'],
  },
  faulty: { en: 'Faulty or broken', zh: '质量问题', synonyms: ['faulty', 'broken', 'defective', "doesn't work", 'not working', '坏了', '有问题', '质量', '故障', '不能用'] },
  not_as_described: { en: 'Not as described', zh: '与描述不符', synonyms: ['not as described', 'different from the picture', '描述不符', '色差', '和图片不一样'] },
  damaged_or_wrong: { en: 'Arrived damaged / wrong item', zh: '破损或发错货', synonyms: ['damaged', 'wrong item', 'arrived broken', '破损', '发错', '错发'] },
};

const T = {
  notDelivered: {
    shipped: { en: 'It is on its way, so it cannot be returned yet. Once it arrives you have 7 days; you can also refuse the parcel at the door.', zh: '订单还在运输中，暂时不能退货。签收后 7 天内可以申请；也可以在送达时直接拒收。' },
    unshipped: { en: 'It has not shipped yet, so you can simply cancel it instead.', zh: '订单尚未发货，直接取消订单即可。' },
    closed: { en: 'This order is already closed (cancelled, returned or refunded).', zh: '该订单已关闭（已取消、已退货或已退款）。' },
  },
  allReturned: {
    en: (codes: string) => `Every item of this order already has a return request (${codes}).`,
    zh: (codes: string) => `该订单的商品都已申请过退货（${codes}）。`,
  },
  whichItem: { en: 'Which item would you like to return?', zh: '您要退哪件商品？' },
  all: { en: 'All items', zh: '全部商品' } as Bilingual,
  whyReturn: { en: 'What is the reason for the return?', zh: '请问退货原因是？' },
  windowClosed: {
    en: (days: number, since: number) => `Sorry, this order was delivered ${since} days ago, and this kind of return is possible within ${days} days of delivery.`,
    zh: (days: number, since: number) => `抱歉，该订单已签收 ${since} 天，这类退货需在签收后 ${days} 天内申请。`,
  },
  warranty: {
    en: 'If it is faulty, the warranty may still cover it (1 year for headphones and smartwatches, 90 days for shoes, clothing and bags): a person can help you with that.',
    zh: '如果商品有质量问题，仍可能在保修期内（耳机、手表 1 年，鞋服箱包 90 天），人工客服可以帮您处理。',
  },
  condition: {
    unused: { en: 'Is the item unused and complete, with its tags, accessories and original packaging?', zh: '商品是否未使用、配件齐全，吊牌和原包装都在？' },
    sealed: { en: 'Is the skincare still sealed (seal, shrink-wrap or pump lock unopened)?', zh: '护肤品是否未拆封（封口、塑封或泵头锁扣完好）？' },
    hygiene: { en: 'Is the hygiene seal on the ear tips still intact?', zh: '耳塞上的卫生封条是否完好？' },
  },
  notEligible: {
    unused: {
      en: 'Then it cannot be returned without a fault: under the shop\'s policy, an item comes back unused and complete, with its tags and original packaging. If something is wrong with it, start again and choose "Faulty or broken"; a person can also take a look.',
      zh: '根据店铺政策，无理由退货需要商品未使用、配件齐全、吊牌和原包装完好，这种情况无法退货。如果商品有质量问题，可以重新申请并选择"质量问题"，也可以转人工处理。',
    },
    sealed: {
      en: 'Then it cannot be returned without a fault: for hygiene reasons, skincare can only come back with its seal unopened. If something is wrong with it, start again and choose "Faulty or broken"; a person can also take a look.',
      zh: '出于卫生原因，护肤品拆封后无法无理由退货，只有封口完好才能退。如果商品有质量问题，可以重新申请并选择"质量问题"，也可以转人工处理。',
    },
    hygiene: {
      en: 'Then it cannot be returned without a fault: for hygiene reasons, in-ear earphones can only come back with the hygiene seal on the ear tips intact. If something is wrong with them, start again and choose "Faulty or broken"; a person can also take a look.',
      zh: '出于卫生原因，入耳式耳机的耳塞卫生封条拆开后无法无理由退货。如果商品有质量问题，可以重新申请并选择"质量问题"，也可以转人工处理。',
    },
  },
  method: { en: 'How would you like it resolved?', zh: '您希望怎么处理？' },
  refund: { en: 'Refund to my original payment', zh: '原路退款' } as Bilingual,
  exchange: { en: 'Exchange (other size or colour)', zh: '换货（换尺码或颜色）' } as Bilingual,
  summary: {
    en: (o: string, items: string, reason: string, result: string) => `Please confirm your return request:\n• Order: ${o}\n• Items: ${items}\n• Reason: ${reason}\n• ${result}\nSubmit it?`,
    zh: (o: string, items: string, reason: string, result: string) => `请确认退货申请：\n• 订单：${o}\n• 商品：${items}\n• 原因：${reason}\n• ${result}\n确认提交吗？`,
  },
  refundLine: { en: (amount: string) => `Refund: ${amount} to your original payment method`, zh: (amount: string) => `退款：${amount}，原路退回` },
  exchangeLine: { en: 'Exchange: we send the replacement when the parcel arrives', zh: '换货：收到退回商品后为您寄出新商品' } as Bilingual,
  submit: { en: 'Submit', zh: '确认提交' } as Bilingual,
  dontSubmit: { en: 'Cancel', zh: '取消' } as Bilingual,
  created: {
    en: (rma: string, link: string) =>
      `Your return request ${rma} is submitted. We review it within 1 business day; once approved, pack the items with their tags, write ${rma} on a note inside and on the box, and send it within 7 days. The refund is issued the day the warehouse checks the parcel. How it works: ${link}`,
    zh: (rma: string, link: string) =>
      `退货申请 ${rma} 已提交。我们会在 1 个工作日内审核；审核通过后，请连同吊牌配件一起包好，在包裹内外写上 ${rma}，并在 7 天内寄出。仓库验货当天即为您退款。详细流程：${link}`,
  },
  notSubmitted: { en: 'OK, nothing was submitted. You can start a return again at any time.', zh: '好的，未提交退货申请。需要时可以随时重新申请。' },
};

interface ReturnValues {
  orderId: string;
  orderNumber: string;
  productIds: string[];
  reason?: ReturnReason;
  exchange?: boolean;
  /** The condition question asked (its refusal names the rule). */
  condition?: 'unused' | 'sealed' | 'hygiene';
  /** The message that started the return ("return the fleece jacket from SA100217"): it may name the item. */
  hint?: string;
}

/** How a return begins: the order (if named) and the shopper's words. */
export interface ReturnOptions extends FindOrderOptions {
  hint?: string;
}

/** Item titles in the reply's language (an order line keeps the title it was bought under). */
function titleOf(line: Order['items'][number], products: ReadonlyMap<string, Product>, l: Locale): string {
  return products.get(line.productId)?.title[l] ?? line.title;
}

/** Every name of an order line: its titles in both languages and its category's words ("the jacket one", "T恤那件"). */
function namesOf(line: Order['items'][number], product: Product | undefined): string[] {
  const category = product?.category;
  const words = category && Object.hasOwn(CATEGORY_SYNONYMS, category) ? (CATEGORY_SYNONYMS[category] ?? []) : [];
  return [line.title, product?.title.en ?? '', product?.title.zh ?? '', ...words].filter((s) => s !== '');
}

/**
 * The return flow: order -> item -> reason -> policy (window, category, condition) -> refund
 * or exchange -> confirm -> a return record with its RMA code. Another question in between is
 * answered and the flow resumes (see the router); "cancel" / "算了" ends it.
 */
export class ReturnDialog extends ComponentDialog {
  constructor(
    private readonly store: OrderStore,
    private readonly link: ArticleLink,
    /** How the shop's order numbers look (ORDER_NUMBER_PATTERN). */
    format: OrderNumberFormat = DEFAULT_ORDER_NUMBER_FORMAT,
  ) {
    super(RETURN_DIALOG);
    this.addDialog(new FindOrderDialog(store, format));
    this.addDialog(new AnswerPrompt(PROMPT));
    this.addDialog(
      new WaterfallDialog(`${RETURN_DIALOG}.steps`, [
        (step) => {
          this.values(step).hint = (step.options as ReturnOptions).hint;
          const { hint: _hint, ...find } = step.options as ReturnOptions;
          return step.beginDialog(FIND_ORDER, find satisfies FindOrderOptions);
        },
        (step) => this.chooseItems(step),
        (step) => this.askReason(step),
        (step) => this.checkPolicy(step),
        (step) => this.askMethod(step),
        (step) => this.confirm(step),
        (step) => this.submit(step),
      ]),
    );
    this.initialDialogId = `${RETURN_DIALOG}.steps`;
  }

  private ask(step: WaterfallStepContext, text: string, spec: AnswerSpec, quick: QuickReplyOption[] = []): Promise<DialogTurnResult> {
    const l = currentTurn(step.context).locale;
    // WeChat shows no buttons: the options are also in the text.
    const listed = quick.length > 0 && spec.kind === 'choice' ? `${text}\n${quick.map((q, i) => `${i + 1}. ${q.title}`).join('\n')}` : text;
    return step.prompt(PROMPT, { prompt: message(l, listed, { quickReplies: quick }), retryPrompt: message(l, listed, { quickReplies: quick }), validations: spec });
  }

  private values(step: WaterfallStepContext): ReturnValues {
    return step.values as ReturnValues;
  }

  private async chooseItems(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const l = turn.locale;
    const order = step.result as Order | undefined;
    if (!order) return step.endDialog();
    const products = new Map((await this.store.products.getMany([...new Set(order.items.map((i) => i.productId))])).map((p) => [p.id, p]));
    if (order.status !== 'delivered') {
      const why = order.status === 'shipped' ? T.notDelivered.shipped : order.status === 'pending' || order.status === 'paid' ? T.notDelivered.unshipped : T.notDelivered.closed;
      const quick = order.status === 'pending' || order.status === 'paid' ? [{ title: l === 'zh' ? '取消订单' : 'Cancel the order', value: `${l === 'zh' ? '取消订单' : 'cancel order'} ${order.number}` }] : [];
      const titles = new Map([...products.values()].map((p) => [p.id, p.title[l]]));
      await step.context.sendActivity(message(l, `${describeOrder(order, l, turn.now, { titles })}\n${why[l]}`, { quickReplies: quick }));
      return step.endDialog();
    }
    const existing = (await this.store.returns.listByOrder(order.id)).filter((r) => r.status !== 'cancelled' && r.status !== 'rejected');
    const taken = new Set(existing.flatMap((r) => r.items.map((i) => i.productId)));
    const open = order.items.filter((i) => !taken.has(i.productId));
    Object.assign(this.values(step), { orderId: order.id, orderNumber: order.number, productIds: [] } satisfies ReturnValues);
    if (open.length === 0) {
      await step.context.sendActivity(message(l, T.allReturned[l](existing.map((r) => r.rmaCode).join(', '))));
      return step.endDialog();
    }
    if (open.length === 1) return step.next(open[0]!.productId);
    const quick = [...open.map((i) => ({ title: titleOf(i, products, l), value: i.productId })), { title: T.all[l], value: 'all' }];
    const choices: Choice[] = [
      ...open.map((i) => ({ value: i.productId, synonyms: namesOf(i, products.get(i.productId)) })),
      { value: 'all', synonyms: ['all', 'all of them', 'everything', 'all items', 'both', '全部', '都退', '全部商品', '两件都', '都要退'] },
    ];
    const spec: AnswerSpec = { kind: 'choice', choices };
    // "I want to return the fleece jacket from SA100217": the item is already named.
    const hinted = this.values(step).hint ? recognizeAnswer(spec, hintTurn(turn, this.values(step).hint!)) : undefined;
    if (hinted && hinted !== 'all') return step.next(hinted);
    return this.ask(step, T.whichItem[l], spec, quick);
  }

  private async askReason(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const l = currentTurn(step.context).locale;
    const picked = step.result as Answer;
    if (picked === null) return this.giveUp(step);
    const values = this.values(step);
    const order = await this.store.orders.get(values.orderId);
    if (!order) return step.endDialog();
    const taken = new Set((await this.store.returns.listByOrder(order.id)).filter((r) => r.status !== 'cancelled' && r.status !== 'rejected').flatMap((r) => r.items.map((i) => i.productId)));
    values.productIds = picked === 'all' ? order.items.map((i) => i.productId).filter((id) => !taken.has(id)) : [picked];
    const quick = RETURN_REASONS.map((r) => ({ title: REASONS[r][l], value: r }));
    const choices = RETURN_REASONS.map((r) => ({ value: r, synonyms: [REASONS[r].en, REASONS[r].zh, ...REASONS[r].synonyms] }));
    return this.ask(step, T.whyReturn[l], { kind: 'choice', choices }, quick);
  }

  private async checkPolicy(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const l = turn.locale;
    const reason = step.result as Answer;
    if (reason === null) return this.giveUp(step);
    const values = this.values(step);
    values.reason = reason as ReturnReason;
    const order = await this.store.orders.get(values.orderId);
    if (!order) return step.endDialog();
    const products: Product[] = await this.store.products.getMany(values.productIds);
    const verdict = checkReturn(order, products, values.reason, turn.now);
    if (!verdict.ok) {
      const text = verdict.why === 'window_closed' ? `${T.windowClosed[l](verdict.windowDays ?? 0, verdict.daysSince ?? 0)} ${T.warranty[l]}` : T.notDelivered.shipped[l];
      await step.context.sendActivity(message(l, text, { quickReplies: [humanOption(l)] }));
      return step.endDialog();
    }
    if (!verdict.conditionCheck) return step.next('yes');
    values.condition = verdict.conditionCheck;
    const quick = [
      { title: l === 'zh' ? '是' : 'Yes', value: l === 'zh' ? '是' : 'yes' },
      { title: l === 'zh' ? '否' : 'No', value: l === 'zh' ? '否' : 'no' },
    ];
    return this.ask(step, T.condition[verdict.conditionCheck][l], { kind: 'yesno', about: 'condition' }, quick);
  }

  private async askMethod(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const l = currentTurn(step.context).locale;
    const condition = step.result as Answer;
    if (condition === null) return this.giveUp(step);
    if (condition !== 'yes') {
      await step.context.sendActivity(message(l, T.notEligible[this.values(step).condition ?? 'unused'][l], { quickReplies: [humanOption(l)] }));
      return step.endDialog();
    }
    const quick = [
      { title: T.refund[l], value: 'refund' },
      { title: T.exchange[l], value: 'exchange' },
    ];
    const choices = [
      { value: 'refund', synonyms: [T.refund.en, T.refund.zh, 'refund', 'money back', 'original payment', 'pay me back', '退款', '退钱', '原路退'] },
      {
        value: 'exchange',
        synonyms: [T.exchange.en, T.exchange.zh, 'exchange', 'swap', 'replace', 'replacement', 'bigger size', 'smaller size', 'larger size', 'different size', 'another size', 'other size', 'different colour', 'different color', 'another colour', 'another color', '换货', '换一个', '换个', '换尺码', '换颜色', '换大', '换小', '换码', '换一码', '换成', '换一双', '换一件'],
      },
    ];
    return this.ask(step, T.method[l], { kind: 'choice', choices }, quick);
  }

  private async confirm(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const l = currentTurn(step.context).locale;
    const method = step.result as Answer;
    if (method === null) return this.giveUp(step);
    const values = this.values(step);
    values.exchange = method === 'exchange';
    const order = await this.store.orders.get(values.orderId);
    if (!order) return step.endDialog();
    const items = order.items.filter((i) => values.productIds.includes(i.productId));
    const amount = items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0);
    const products = new Map((await this.store.products.getMany(items.map((i) => i.productId))).map((p) => [p.id, p]));
    const itemText = items.map((i) => `${titleOf(i, products, l)}${i.quantity > 1 ? ` ×${i.quantity}` : ''}`).join(l === 'zh' ? '、' : ', ');
    const result = values.exchange ? T.exchangeLine[l] : T.refundLine[l](formatMoney(amount, order.currency, l));
    const text = T.summary[l](order.number, itemText, REASONS[values.reason!][l], result);
    const quick = [
      { title: T.submit[l], value: l === 'zh' ? '确认' : 'yes' },
      { title: T.dontSubmit[l], value: l === 'zh' ? '不' : 'no' },
    ];
    return this.ask(step, text, { kind: 'yesno' }, quick);
  }

  private async submit(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const turn = currentTurn(step.context);
    const l = turn.locale;
    if (step.result !== 'yes') {
      await step.context.sendActivity(message(l, T.notSubmitted[l]));
      return step.endDialog();
    }
    const values = this.values(step);
    const order = await this.store.orders.get(values.orderId);
    if (!order) return step.endDialog();
    const items = order.items.filter((i) => values.productIds.includes(i.productId));
    const refundAmount = values.exchange ? 0 : items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0);
    const reason = `${values.reason}${values.exchange ? ' · exchange' : ' · refund to original payment'}`;
    const existing = await this.store.returns.listByOrder(order.id);
    for (let n = existing.length + 1; ; n++) {
      const rmaCode = `RMA-${order.number}-${n}`;
      try {
        const created = await this.store.returns.create({
          orderId: order.id,
          customerId: order.customerId,
          items: items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
          reason,
          refundAmount,
          rmaCode,
        });
        turn.memory.lastOrderNumber = order.number;
        await step.context.sendActivity(message(l, T.created[l](created.rmaCode, this.link('how-to-return', l))));
        return step.endDialog(created);
      } catch (err) {
        // Another request for this order took the code in the meantime: take the next one.
        if (!isShopError(err, 'conflict') || n > existing.length + 5) throw err;
      }
    }
  }

  private async giveUp(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const l = currentTurn(step.context).locale;
    await step.context.sendActivity(message(l, T.notSubmitted[l], { quickReplies: [humanOption(l)] }));
    return step.endDialog();
  }
}

/** return_item: starts the return dialog (with the order number if the shopper gave one). */
export function returnsSkill(): Skill {
  return {
    name: 'returns',
    intents: ['return_item', 'exchange_item'],
    dialogId: RETURN_DIALOG,
    // "Can I return opened face cream?" is a policy question; "I want to return my jacket" starts the flow.
    canHandle: (turn) => (turn.nlu.intent === 'return_item' || turn.nlu.intent === 'exchange_item') && !isGeneralQuestion(turn),
    // "订单SA900032我想退货" with the classifier unsure (rejected as out of scope): the order number settles it.
    followUp: (turn) => {
      const guessed = orderIntent(turn);
      return guessed !== turn.nlu.intent && (guessed === 'return_item' || guessed === 'exchange_item') && mentionedOrder(turn) !== undefined;
    },
    handle: async (turn) => {
      if (!turn.dc) throw new Error('returns skill needs the dialog context');
      await turn.dc.beginDialog(RETURN_DIALOG, { number: mentionedOrder(turn), purpose: 'return', hint: turn.text } satisfies ReturnOptions);
    },
  };
}

/** The first message of a return read as an answer to "which item?" (its words, no button). */
function hintTurn(turn: Turn, text: string): Turn {
  return { ...turn, text, value: undefined, nlu: { ...turn.nlu, entities: [] } };
}
