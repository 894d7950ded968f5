/**
 * Human labels for the codes the server sends to the staff pages (the agent console and the
 * dashboard): hand-off reasons, intents, topics and entity types. One table per language;
 * a code missing from the table (a new intent, a skill's own reason) is shown in a readable
 * form ("out_of_scope" → "Out of scope"), never as the raw snake_case code.
 *
 * The tables are Maps: the codes come from the server and from trained data, and a plain
 * object would answer for "constructor" or "__proto__" too.
 */
export type LabelLang = 'en' | 'zh';
export type LabelKind = 'reason' | 'intent' | 'topic' | 'entity';

type Table = Record<LabelKind, ReadonlyMap<string, string>> & { skill: (name: string) => string };

const EN: Table = {
  reason: new Map([
    ['requested', 'Asked for a person'],
    ['asked_for_human', 'Asked for a person'],
    ['fallbacks', 'Bot could not answer'],
    ['sentiment', 'Upset shopper'],
    ['high_value_order', 'High-value order'],
    ['low_confidence', 'Bot unsure'],
    ['complaint', 'Complaint'],
    ['unknown', 'Reason not recorded'],
  ]),
  intent: new Map([
    ['affirm', 'Yes'],
    ['deny', 'No'],
    ['cancel_order', 'Cancel an order'],
    ['cancellation_fee', 'Cancellation fee'],
    ['change_address', 'Change the address'],
    ['change_order', 'Change an order'],
    ['complaint', 'Complaint'],
    ['coupon', 'Coupons'],
    ['create_account', 'Create an account'],
    ['delete_account', 'Delete the account'],
    ['delivery_time', 'Delivery time'],
    ['edit_account', 'Edit the account'],
    ['exchange_item', 'Exchange an item'],
    ['feedback', 'Feedback'],
    ['goodbye', 'Goodbye'],
    ['greeting', 'Greeting'],
    ['help', 'What can you do?'],
    ['human_agent', 'Asked for a person'],
    ['invoice', 'Invoice'],
    ['out_of_scope', 'Off-topic'],
    ['payment_issue', 'Payment problem'],
    ['payment_methods', 'Payment methods'],
    ['place_order', 'Place an order'],
    ['price_check', 'Price'],
    ['product_question', 'Product question'],
    ['recommend', 'Product recommendation'],
    ['refund_policy', 'Refund policy'],
    ['refund_status', 'Refund status'],
    ['reset_password', 'Reset the password'],
    ['return_item', 'Return an item'],
    ['shipping_options', 'Shipping options'],
    ['stock_check', 'In stock?'],
    ['thanks', 'Thanks'],
    ['track_order', 'Where is my order?'],
    ['warranty', 'Warranty'],
    ['link_account', 'Link accounts'],
    ['csat', 'Rating'],
    ['none', 'Not understood'],
  ]),
  topic: new Map([
    ['orders', 'Orders'],
    ['shipping', 'Shipping'],
    ['returns', 'Returns and exchanges'],
    ['refunds', 'Refunds'],
    ['warranty', 'Warranty and repairs'],
    ['payments', 'Payments'],
    ['invoices', 'Invoices'],
    ['products', 'Products'],
    ['accounts', 'Accounts'],
    ['escalations', 'Complaints'],
    ['vip', 'VIP'],
  ]),
  entity: new Map([
    ['order_number', 'Order number'],
    ['product', 'Product'],
    ['category', 'Category'],
    ['color', 'Colour'],
    ['size', 'Size'],
    ['money', 'Amount'],
    ['price_range', 'Price range'],
    ['quantity', 'Quantity'],
    ['date', 'Date'],
    ['email', 'Email'],
    ['phone', 'Phone'],
  ]),
  skill: (name) => `Skill: ${name}`,
};

const ZH: Table = {
  reason: new Map([
    ['requested', '要求人工'],
    ['asked_for_human', '要求人工'],
    ['fallbacks', '机器人无法解答'],
    ['sentiment', '顾客情绪不满'],
    ['high_value_order', '高额订单'],
    ['low_confidence', '机器人不确定'],
    ['complaint', '投诉'],
    ['unknown', '未记录原因'],
  ]),
  intent: new Map([
    ['affirm', '肯定'],
    ['deny', '否定'],
    ['cancel_order', '取消订单'],
    ['cancellation_fee', '取消费用'],
    ['change_address', '修改地址'],
    ['change_order', '修改订单'],
    ['complaint', '投诉'],
    ['coupon', '优惠券'],
    ['create_account', '注册账户'],
    ['delete_account', '注销账户'],
    ['delivery_time', '送达时间'],
    ['edit_account', '修改账户信息'],
    ['exchange_item', '换货'],
    ['feedback', '意见反馈'],
    ['goodbye', '道别'],
    ['greeting', '问候'],
    ['help', '询问能做什么'],
    ['human_agent', '要求人工'],
    ['invoice', '发票'],
    ['out_of_scope', '无关话题'],
    ['payment_issue', '支付问题'],
    ['payment_methods', '支付方式'],
    ['place_order', '下单'],
    ['price_check', '价格咨询'],
    ['product_question', '商品咨询'],
    ['recommend', '商品推荐'],
    ['refund_policy', '退款政策'],
    ['refund_status', '退款进度'],
    ['reset_password', '重置密码'],
    ['return_item', '退货'],
    ['shipping_options', '配送方式'],
    ['stock_check', '库存查询'],
    ['thanks', '致谢'],
    ['track_order', '查询订单'],
    ['warranty', '保修'],
    ['link_account', '关联账号'],
    ['csat', '评分'],
    ['none', '未能理解'],
  ]),
  topic: new Map([
    ['orders', '订单'],
    ['shipping', '配送'],
    ['returns', '退换货'],
    ['refunds', '退款'],
    ['warranty', '保修维修'],
    ['payments', '支付'],
    ['invoices', '发票'],
    ['products', '商品'],
    ['accounts', '账户'],
    ['escalations', '投诉'],
    ['vip', 'VIP'],
  ]),
  entity: new Map([
    ['order_number', '订单号'],
    ['product', '商品'],
    ['category', '品类'],
    ['color', '颜色'],
    ['size', '尺码'],
    ['money', '金额'],
    ['price_range', '价格区间'],
    ['quantity', '数量'],
    ['date', '日期'],
    ['email', '邮箱'],
    ['phone', '电话'],
  ]),
  skill: (name) => `技能：${name}`,
};

export const LABELS: ReadonlyMap<LabelLang, Table> = new Map([
  ['en', EN],
  ['zh', ZH],
]);

/** "out_of_scope" → "Out of scope", "size-guide" → "Size guide": a code made readable. */
export function readable(code: string): string {
  const words = code
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/[\s_\-.:/]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : '–';
}

/** The label of a code in a language: from the table, else the code made readable. */
export function label(kind: LabelKind, code: string, lang: LabelLang): string {
  const table = LABELS.get(lang) ?? EN;
  const known = table[kind].get(code);
  if (known !== undefined) return known;
  if (kind === 'reason' && code.startsWith('skill:')) {
    const name = code.slice('skill:'.length);
    return table.skill(table.topic.get(name) ?? readable(name));
  }
  return readable(code);
}
