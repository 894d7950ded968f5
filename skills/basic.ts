import type { Locale } from '../store/index.js';
import { reply, type Bilingual } from './respond.js';
import { asksAboutAssistant, WHAT_I_DO } from './smalltalk.js';
import type { Skill, Turn, Understanding } from './types.js';

/**
 * A link code as shoppers type it: letters and digits (half- or full-width), spaces and
 * dashes between them, at least one digit (so "link my wechat" is not taken for a code).
 * The linker decides whether it has a code's shape.
 */
const CODE_CHAR = '0-9A-Za-z\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A';
const CODE_SEP = '\\s\\-\\u2010-\\u2015\\uFF0D_';
const LINK_CODE = `(?=[${CODE_CHAR}${CODE_SEP}]{0,23}[0-9\\uFF10-\\uFF19])[${CODE_CHAR}](?:[${CODE_CHAR}${CODE_SEP}]{0,22}[${CODE_CHAR}])?`;

/**
 * Keyword understanding for the conversational basics (greeting, help, thanks, goodbye,
 * account linking). The trained intent classifier of the understanding module replaces
 * `understand` for everything else; these stay as a fast path.
 */
const PATTERNS: Array<[string, RegExp]> = [
  // Each run of spaces has one owner (every optional part starts with its own word), so a long
  // message of spaces cannot make the engine try every split of it (polynomial backtracking).
  ['link_account', new RegExp(`^\\s*(link|绑定|关联)(?:\\s*(?:my\\s+)?(?:account|账号|账户))?(?:\\s*[:：])?(?:\\s*(${LINK_CODE}))?\\s*(?:[.。!！]\\s*)?$`, 'i')],
  ['greeting', /^\s*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好|嗨|哈喽|在吗)(?![a-z])[\s!！.。?？]*$/i],
  ['thanks', /^\s*(thanks?|thank you|thx|谢谢|多谢|感谢)/i],
  ['goodbye', /^\s*(bye|goodbye|see you|再见|拜拜)/i],
  ['help', /^\s*(help|menu|what can you do|帮助|菜单|你能做什么|你会什么)[\s?？!！]*$/i],
];

export function understandBasics(text: string): Understanding {
  for (const [intent, re] of PATTERNS) {
    const m = re.exec(text);
    if (m) {
      const code = intent === 'link_account' ? m[2] : undefined;
      const start = code ? text.lastIndexOf(code) : 0;
      // The value without separators, upper-case and half-width: "7kq2 m9xd" -> "7KQ2M9XD".
      const value = code?.normalize('NFKC').toUpperCase().replace(/[\s\-\u2010-\u2015_]/gu, '');
      const entities: Understanding['entities'] = code && value ? [{ type: 'link_code', value, text: code, start, end: start + code.length }] : [];
      // "绑定 7KQ2-M9XD" is Chinese whatever the code's letters say: the command word decides.
      if (intent === 'link_account') return { intent, confidence: 0.99, entities, language: /^[a-z]/i.test(m[1] ?? '') ? 'en' : 'zh' };
      return { intent, confidence: 0.99, entities };
    }
  }
  return { intent: 'out_of_scope', confidence: 0.2, entities: [] };
}

const T = {
  greeting: {
    en: 'Hi! I am the Bamboo Lane shopping assistant. I can track orders, help with returns and refunds, answer shipping and payment questions and suggest products.',
    zh: '您好！我是竹径优选的购物助手，可以帮您查订单、办理退换货和退款、解答配送与支付问题，还能为您推荐商品。',
  },
  help: {
    en: "I am the Bamboo Lane shop's automated assistant. Here is what I can do: track your orders, help with returns and refunds, answer shipping and payment questions, suggest products, or pass you to a person from our team. Pick one below or just type your question:",
    zh: '我是竹径优选的智能购物助手，可以帮您查订单、办理退换货和退款、解答配送与支付问题、推荐商品，也可以为您转人工客服。点下面的选项或直接输入问题即可：',
  },
  thanks: { en: 'You are welcome! Anything else I can help with?', zh: '不客气！还有什么可以帮您？' },
  goodbye: { en: 'Goodbye, and thanks for shopping with us!', zh: '再见，感谢您的光临！' },
  fallback: {
    en: 'Sorry, I did not quite get that. You can ask about an order, returns, shipping or payment, or talk to a person.',
    zh: '抱歉，我没太明白。您可以问我订单、退换货、配送或支付的问题，也可以转人工客服。',
  },
  outOfScope: {
    en: `That is outside what I can help with here, sorry: I am the shop's assistant. ${WHAT_I_DO.en}`,
    zh: `抱歉，这个问题超出了我能帮忙的范围，我是店铺的购物助手。${WHAT_I_DO.zh}`,
  },
  notAnOrderNumber: {
    en: 'That number does not look like one of our order numbers (they look like SA100123). Send me the order number, or tell me what you need: an order, a return or refund, shipping or payment, or a product.',
    zh: '这个数字看起来不像我们的订单号（订单号形如 SA100123）。请发送订单号，或者告诉我您需要什么帮助：订单、退换货/退款、配送、支付或商品。',
  },
} satisfies Record<string, Record<Locale, string>>;

export function menu(locale: Locale): Array<{ title: string; value: string }> {
  return locale === 'zh'
    ? [
        { title: '查订单', value: '查订单' },
        { title: '退换货', value: '我要退货' },
        { title: '配送说明', value: '运费和配送时间' },
        { title: '转人工', value: '转人工' },
      ]
    : [
        { title: 'Track my order', value: 'Where is my order?' },
        { title: 'Returns', value: 'I want to return an item' },
        { title: 'Shipping', value: 'Shipping fees and times' },
        { title: 'Talk to a person', value: 'Talk to a human' },
      ];
}

function say(turn: Turn, text: string, withMenu: boolean) {
  return reply(turn, text, withMenu ? { quickReplies: menu(turn.locale) } : {});
}

function simple(name: 'greeting' | 'help' | 'thanks' | 'goodbye', withMenu: boolean, unless?: (text: string) => boolean): Skill {
  return {
    name,
    intents: [name],
    canHandle: (turn) => turn.nlu.intent === name && !unless?.(turn.text),
    handle: async (turn) => {
      await say(turn, T[name][turn.locale], withMenu);
    },
  };
}

export const greetingSkill = simple('greeting', true);
/** "Are you a bot? what can you do" asks what the assistant is: the smalltalk skill says so (and what it can do). */
export const helpSkill = simple('help', true, asksAboutAssistant);
export const thanksSkill = simple('thanks', false);
export const goodbyeSkill = simple('goodbye', false);

/** Digits only, perhaps with spaces, dashes or a "#": "0032", "6688", "#1234", "138 0013 8000". */
function isBareNumber(text: string): boolean {
  const t = text.normalize('NFKC').trim();
  return /\d/.test(t) && /^[\d\s#\-.]+$/.test(t);
}

/** Last resort: says what the bot can do and offers a person. A bare number is told it is not an order number. */
export const fallbackSkill: Skill = {
  name: 'fallback',
  intents: ['out_of_scope'],
  canHandle: () => true,
  handle: async (turn) => {
    const text: Bilingual = isBareNumber(turn.text) ? T.notAnOrderNumber : T.fallback;
    await say(turn, text[turn.locale], true);
  },
};

/**
 * Whether the intent classifier recognised the message as out of scope, at least `min` sure,
 * with nothing of the shop (a product, a category, an order) named in it. The classifier
 * answers out_of_scope only when its detector judges the message not a shop question (its
 * confidence is that probability); an unsure shop question ("怎样才能成为VIP，有啥好处") keeps
 * its best intent at a low confidence and may still be answered from the help articles.
 */
export function surelyOutOfScope(nlu: Understanding, min: number): boolean {
  if (nlu.intent !== 'out_of_scope' || nlu.confidence < min) return false;
  return !nlu.entities.some((e) => e.type === 'product' || e.type === 'category' || e.type === 'order_number');
}

/**
 * A message the intent classifier is sure the shop cannot answer (the weather, a joke, maths,
 * code): a polite "that is not something I do" with what the assistant can do, and the menu.
 * Never a knowledge-base article, and not counted as a miss (nothing was misunderstood).
 */
export const outOfScopeSkill: Skill = {
  name: 'out_of_scope',
  intents: ['out_of_scope'],
  canHandle: (turn) => turn.nlu.intent === 'out_of_scope',
  handle: async (turn) => {
    const text: Bilingual = isBareNumber(turn.text) ? T.notAnOrderNumber : T.outOfScope;
    await say(turn, text[turn.locale], true);
  },
};
