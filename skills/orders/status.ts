import type { Locale, Order, ReturnRequest } from '../../store/index.js';
import { formatDay, formatMoney, type Bilingual } from '../respond.js';

/** Carrier transit times from the shop's "Delivery times" article, in days after dispatch. */
const REMOTE_REGIONS = /xinjiang|tibet|xizang|qinghai|gansu|ningxia|inner mongolia|nei mongol|新疆|西藏|青海|甘肃|宁夏|内蒙古/i;

export function transitDays(order: Order): [number, number] {
  const express = /sf/i.test(order.carrier ?? '') || /顺丰/.test(order.carrier ?? '');
  const country = order.shippingAddress.country.toUpperCase();
  if (country !== 'CN' && country !== 'CHINA') {
    return ['HK', 'MO', 'TW'].includes(country) ? [2, 4] : [4, 9];
  }
  const remote = REMOTE_REGIONS.test(`${order.shippingAddress.region ?? ''} ${order.shippingAddress.city}`);
  if (remote) return express ? [2, 4] : [4, 7];
  return express ? [1, 2] : [2, 4];
}

/** The expected delivery window of a shipped order (carriers' usual times, not a promise). */
export function estimatedDelivery(order: Order): { from: Date; to: Date } | undefined {
  if (order.status !== 'shipped' || !order.shippedAt) return undefined;
  const [a, b] = transitDays(order);
  const day = 86_400_000;
  return { from: new Date(order.shippedAt.getTime() + a * day), to: new Date(order.shippedAt.getTime() + b * day) };
}

/** Extras for `describeOrder`. */
export interface DescribeOptions {
  /** Product titles in the reply's language by product id (an order line keeps the title it was bought under). */
  titles?: ReadonlyMap<string, string>;
  /** The shopper's message: a refunded order's timing names the payment method they mention. */
  text?: string;
}

function items(order: Order, locale: Locale, titles?: ReadonlyMap<string, string>): string {
  const n = order.items.reduce((sum, i) => sum + i.quantity, 0);
  const line = order.items[0];
  const first = line ? (titles?.get(line.productId) ?? line.title) : '';
  if (locale === 'zh') return order.items.length === 1 ? `${first}（${n} 件）` : `${first} 等 ${n} 件商品`;
  return order.items.length === 1 ? `${first}${n > 1 ? ` ×${n}` : ''}` : `${first} and ${order.items.length - 1} more (${n} items)`;
}

/** One line for a list of orders (quick replies, "which order?"). */
export function orderLabel(order: Order, locale: Locale): string {
  const day = formatDay(order.placedAt, locale);
  return locale === 'zh' ? `${order.number} · ${day} · ${STATUS_ZH[order.status]}` : `${order.number} · ${day} · ${order.status}`;
}

const STATUS_ZH: Record<Order['status'], string> = {
  pending: '待付款',
  paid: '已付款',
  shipped: '已发货',
  delivered: '已签收',
  cancelled: '已取消',
  returned: '已退货',
  refunded: '已退款',
};

/** Where the order is, in the shopper's language: status, carrier and tracking, delivery estimate. */
export function describeOrder(order: Order, locale: Locale, now: Date, opts: DescribeOptions = {}): string {
  const what = items(order, locale, opts.titles);
  const total = formatMoney(order.total, order.currency, locale);
  const placed = formatDay(order.placedAt, locale);
  const zh = locale === 'zh';
  switch (order.status) {
    case 'pending':
      return zh
        ? `订单 ${order.number}（${what}，${total}）于 ${placed} 下单，尚未付款。下单 24 小时内未付款的订单会自动取消。`
        : `Order ${order.number} (${what}, ${total}) was placed on ${placed} and is waiting for payment. An order still unpaid 24 hours after it was placed is cancelled automatically.`;
    case 'paid':
      return zh
        ? `订单 ${order.number}（${what}，${total}）已付款，仓库正在备货：北京时间 16:00 前付款当天发货，最迟付款后 48 小时内发货。发货后您会收到物流单号。`
        : `Order ${order.number} (${what}, ${total}) is paid and being packed: paid before 16:00 Beijing time ships the same day, and every order ships within 48 hours of payment. You will get a tracking number when it leaves the warehouse.`;
    case 'shipped': {
      const eta = estimatedDelivery(order);
      const shipped = order.shippedAt ? formatDay(order.shippedAt, locale) : placed;
      const tracking = order.trackingNumber ? (zh ? `，运单号 ${order.trackingNumber}` : `, tracking number ${order.trackingNumber}`) : '';
      const carrier = order.carrier ?? (zh ? '快递' : 'the carrier');
      let when = '';
      if (eta) {
        const late = now.getTime() > eta.to.getTime() + 86_400_000;
        when = zh
          ? late
            ? `。已超过预计送达时间（${formatDay(eta.to, locale)}），如需协助请转人工，我们会联系快递核查。`
            : `，预计 ${formatDay(eta.from, locale)} 至 ${formatDay(eta.to, locale)} 送达。`
          : late
            ? `. It is later than the usual delivery date (${formatDay(eta.to, locale)}); a person can ask the carrier to trace it.`
            : `, expected between ${formatDay(eta.from, locale)} and ${formatDay(eta.to, locale)}.`;
      }
      return zh ? `订单 ${order.number}（${what}）已于 ${shipped} 由${carrier}发出${tracking}${when}` : `Order ${order.number} (${what}) shipped on ${shipped} with ${carrier}${tracking}${when}`;
    }
    case 'delivered': {
      const at = order.deliveredAt ? formatDay(order.deliveredAt, locale) : '';
      return zh
        ? `订单 ${order.number}（${what}）已于 ${at} 签收。如有问题，可以在签收后 7 天内无理由退货。`
        : `Order ${order.number} (${what}) was delivered on ${at}. Not happy with it? Most items can be returned within 7 days of delivery.`;
    }
    case 'cancelled':
      return zh ? `订单 ${order.number} 已取消${order.cancelledAt ? `（${formatDay(order.cancelledAt, locale)}）` : ''}。如已付款，退款会原路退回。` : `Order ${order.number} was cancelled${order.cancelledAt ? ` on ${formatDay(order.cancelledAt, locale)}` : ''}. Any payment goes back to the original payment method.`;
    case 'returned':
      return zh ? `订单 ${order.number} 的商品已退回仓库，退款处理中。` : `The items of order ${order.number} are back at our warehouse and the refund is being processed.`;
    case 'refunded':
      return zh
        ? `订单 ${order.number} 已退款，款项原路退回。${refundTiming(locale, opts.text)}`
        : `Order ${order.number} has been refunded to the original payment method. ${refundTiming(locale, opts.text)}`;
  }
}

const RETURN_STATUS: Record<ReturnRequest['status'], { en: string; zh: string }> = {
  requested: { en: 'waiting for our review (usually within a few hours)', zh: '等待审核（通常几小时内）' },
  approved: { en: 'approved: please send the parcel with your RMA code', zh: '已通过：请寄回商品并注明退货码' },
  rejected: { en: 'rejected', zh: '未通过' },
  received: { en: 'received: the warehouse is checking it', zh: '仓库已收货，正在检验' },
  refunded: { en: 'refunded', zh: '已退款' },
  cancelled: { en: 'cancelled', zh: '已取消' },
};

export function describeReturn(r: ReturnRequest, order: Order | undefined, locale: Locale): string {
  const amount = r.refundAmount !== undefined ? formatMoney(r.refundAmount, order?.currency ?? 'CNY', locale) : undefined;
  const status = RETURN_STATUS[r.status][locale];
  return locale === 'zh'
    ? `退货 ${r.rmaCode}（订单 ${order?.number ?? ''}${amount ? `，退款 ${amount}` : ''}）：${status}。`
    : `Return ${r.rmaCode} (order ${order?.number ?? ''}${amount ? `, refund ${amount}` : ''}): ${status}.`;
}

/**
 * When an issued refund reaches the shopper, by how they paid: the table of the "Refund timing"
 * article (data/demo-shop/knowledge/refund-timing.en.md / .zh.md, "When it reaches you"), once,
 * for both languages. test/skills/orders-returns.test.ts checks it against the article.
 */
export const REFUND_CREDIT_TIMES: ReadonlyArray<{ paidWith: Bilingual; within: Bilingual; mentioned: RegExp }> = [
  {
    paidWith: { en: 'Alipay or WeChat Pay balance', zh: '支付宝余额、微信零钱' },
    within: { en: '24 hours (often within minutes)', zh: '24 小时内（通常几分钟）' },
    mentioned: /ali ?pay|wechat|weixin|支付宝|微信|零钱|余额/i,
  },
  { paidWith: { en: 'Alipay Huabei', zh: '花呗' }, within: { en: '24 hours', zh: '24 小时内' }, mentioned: /huabei|花呗/i },
  {
    paidWith: { en: 'A bank card through Alipay or WeChat Pay', zh: '通过支付宝或微信支付绑定的银行卡' },
    within: { en: '1–3 business days', zh: '1–3 个工作日' },
    mentioned: /(?:bank |debit )?card (?:through|via|on|in|linked to) (?:ali ?pay|wechat)|(?:支付宝|微信).{0,6}(?:银行卡|储蓄卡|借记卡)/i,
  },
  { paidWith: { en: 'UnionPay card', zh: '银联卡（云闪付）' }, within: { en: '3–7 business days', zh: '3–7 个工作日' }, mentioned: /union ?pay|银联|云闪付/i },
  {
    paidWith: { en: 'Visa, Mastercard, JCB or American Express', zh: 'Visa、Mastercard、JCB、美国运通' },
    within: { en: '5–10 business days', zh: '5–10 个工作日' },
    mentioned: /visa|master ?card|\bjcb\b|\bamex\b|american express|运通/i,
  },
];

const BUSINESS_DAYS: Bilingual = { en: 'Business days exclude weekends and Chinese public holidays.', zh: '工作日不含周末和法定节假日。' };

/**
 * When an issued refund shows up: the rows for the payment methods `text` names ("paid with
 * my visa card", "我用的银联卡"), else the whole table.
 */
export function refundTiming(locale: Locale, text = ''): string {
  const named = REFUND_CREDIT_TIMES.filter((r) => r.mentioned.test(text));
  // "A bank card through Alipay" is that row, not the balance row as well.
  const rows = named.length > 1 && named.includes(REFUND_CREDIT_TIMES[2]!) ? named.filter((r) => r !== REFUND_CREDIT_TIMES[0]) : named;
  if (locale === 'zh') {
    if (rows.length === 0) return `退款发出后的到账时间：${REFUND_CREDIT_TIMES.map((r) => `${r.paidWith.zh} ${r.within.zh}`).join('；')}。${BUSINESS_DAYS.zh}`;
    return `${rows.map((r) => `${r.paidWith.zh}付款的，退款发出后 ${r.within.zh}到账`).join('；')}。${BUSINESS_DAYS.zh}`;
  }
  if (rows.length === 0) return `Once a refund is issued, it reaches you within: ${REFUND_CREDIT_TIMES.map((r) => `${lowerFirst(r.paidWith.en)}, ${r.within.en}`).join('; ')}. ${BUSINESS_DAYS.en}`;
  return `${rows.map((r) => `Paid with ${lowerFirst(r.paidWith.en)}: once the refund is issued, it reaches you within ${r.within.en}`).join('. ')}. ${BUSINESS_DAYS.en}`;
}

function lowerFirst(s: string): string {
  return /^A /.test(s) ? `a ${s.slice(2)}` : s;
}

/** The whole table in each language (refund status answers without a payment method). */
export const REFUND_TIMING = { en: refundTiming('en'), zh: refundTiming('zh') } as const;
