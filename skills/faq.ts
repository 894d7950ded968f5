import type { BaseLanguageModelInterface } from '@langchain/core/language_models/base';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import type { Locale } from '../store/index.js';
import { humanOption, reply, type QuickReplyOption } from './respond.js';
import { complaintWithoutTopic } from './question-kind.js';
import { expandShorthand, terms } from './text-terms.js';
import type { Skill, Turn } from './types.js';

/** One retrieved passage, as the knowledge module returns it (see knowledge/retrieval). */
export interface KnowledgeHit {
  documentId: string;
  slug: string;
  locale: Locale;
  title: string;
  /** The article's category (front matter), which the turn's intent can steer to. */
  category?: string;
  heading?: string;
  text: string;
  /** 0..1: how sure retrieval is that this passage answers the query. */
  confidence: number;
}

export interface KnowledgeSearch {
  search(query: string, opts?: { locale?: Locale; k?: number }): Promise<KnowledgeHit[]>;
}

export interface FaqOptions {
  kb: KnowledgeSearch;
  /** The public link of an article (the citation). */
  link: (slug: string, locale: Locale) => string;
  /** Below this confidence the skill asks to rephrase instead of answering. */
  minConfidence: number;
  /** The full article (to answer "what is your X policy?" with the article's opening section). */
  getArticle?: (documentId: string) => Promise<{ title: string; body: string } | null>;
  /** The article of this slug in a language (the same article in the shopper's language when retrieval found the other one). */
  getArticleBySlug?: (slug: string, locale: Locale) => Promise<{ title: string; body: string } | null>;
  /** Optional: a LangChain chat model for a generative answer grounded on the passages. Off by default. */
  chatModel?: BaseLanguageModelInterface;
  onError?: (err: unknown) => void;
  /** Which article categories answer which intent (default `INTENT_ARTICLE_CATEGORIES`). */
  intentCategories?: ReadonlyMap<string, readonly string[]>;
}

/**
 * The article categories (front matter `category`) that answer each intent. The intent the
 * shopper's message was understood as (or the one they chose in "did you mean…") steers
 * retrieval to these articles: "how much is shipping?" is answered from the shipping articles,
 * never from the return-shipping one. Intents not listed search every article.
 */
export const INTENT_ARTICLE_CATEGORIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['shipping_options', ['shipping']],
  ['delivery_time', ['delivery', 'shipping']],
  ['track_order', ['tracking', 'delivery']],
  ['change_address', ['orders', 'shipping']],
  ['refund_policy', ['returns', 'refunds']],
  ['refund_status', ['refunds']],
  ['return_item', ['returns']],
  ['exchange_item', ['returns']],
  ['cancel_order', ['orders', 'refunds']],
  ['cancellation_fee', ['orders', 'refunds']],
  ['change_order', ['orders']],
  ['payment_methods', ['payment']],
  ['payment_issue', ['payment-problems', 'payment']],
  ['invoice', ['invoices']],
  ['create_account', ['account']],
  ['delete_account', ['account']],
  ['reset_password', ['account']],
  ['edit_account', ['account']],
  ['warranty', ['warranty', 'returns']],
  ['coupon', ['promotions']],
  ['product_question', ['sizing', 'care', 'warranty']],
  // Only reached when the hand-off skill declined: a question about when people answer.
  ['human_agent', ['contact']],
]);

/** The shopper's own case, one tap away from a general answer: the button's words start the flow. */
const INTENT_ACTIONS: ReadonlyMap<string, { en: string; zh: string }> = new Map([
  ['track_order', { en: 'Track my order', zh: '查我的订单' }],
  ['cancel_order', { en: 'Cancel my order', zh: '我要取消订单' }],
  ['change_order', { en: 'Change my order', zh: '我要改订单' }],
  ['change_address', { en: 'Change my address', zh: '我要改地址' }],
  ['refund_status', { en: 'Check my refund', zh: '查我的退款' }],
  ['return_item', { en: 'I want to return an item', zh: '我要退货' }],
  ['exchange_item', { en: 'I want to exchange an item', zh: '我要换货' }],
]);

/** How far below the confidence floor a passage of the intent's own articles may still answer. */
const INTENT_FLOOR_FACTOR = 0.5;
/** How much more confident an article outside a weak intent's own must be to answer instead. */
const WEAK_STEER_MARGIN = 0.15;
/** How much stating the kind of fact asked counts when ranking an intent's own passages. */
const ANSWER_TYPE_BONUS = 0.08;
/** Added when the article's title shares a content word with the question. */
const TITLE_BONUS = 0.05;

/** Intents whose answer is the shop's help content. */
export const FAQ_INTENTS = [
  'refund_policy',
  'shipping_options',
  'delivery_time',
  'payment_methods',
  'payment_issue',
  'invoice',
  'create_account',
  'delete_account',
  'reset_password',
  'edit_account',
  'warranty',
  'coupon',
  'cancellation_fee',
  'product_question',
  'complaint',
];

const MAX_ANSWER_CHARS = 700;
/** Chinese carries about twice the meaning per character: keep chat answers as short to read. */
const MAX_ANSWER_CHARS_ZH = 360;

const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** "What's your return policy?" asks about the article as a whole: its title is in the question. */
export function asksForWholeArticle(query: string, title: string): boolean {
  const t = norm(title);
  if (!(t.length >= 2 && ` ${norm(query)} `.includes(t.includes(' ') || /\p{Script=Han}/u.test(t) ? t : ` ${t} `))) return false;
  // Naming the title is not enough: "can I use two coupons on one order?" names "Coupons" but asks one
  // thing of it. Only words about the article as a whole may stand beside the title.
  const named = terms(title);
  const rest = norm(query).split(t).join(' ').replace(ASKING_FOR_IT, ' ');
  return [...terms(rest)].every((w) => named.has(w) || WHOLE_ARTICLE_WORDS.has(w));
}

/** How a shopper asks to be told something, around what they ask for ("actually never mind, just tell me…", "算了 你直接告诉我…吧"). */
const ASKING_FOR_IT = /\b(?:actually|ok|okay|well|so|then|never ?mind|forget it|just|please|pls|can you|could you|tell me|give me|show me|send me|what s|what is|whats)\b|算了|直接|告诉我|给我|发我|说说|讲讲|看看|[你您]|吧|呢|吗|啊/gi;

/** Words of a question about an article as a whole ("what is your return policy?", "退货政策是怎样的"). */
const WHOLE_ARTICLE_WORDS = terms(
  'policy policies rule rules about tell info information explain explained know work works how your the terms conditions general ' +
    '政策 规则 说明 介绍 规定 怎样 怎么样 样的 是怎 你们 们的 一下 具体 相关 怎么 么样 是什',
);

/** The article's opening section: everything up to the second heading. */
export function leadSection(body: string): string {
  const lines = body.replace(/^---[\s\S]*?---\s*/, '').split('\n');
  const out: string[] = [];
  let headings = 0;
  for (const line of lines) {
    if (/^#{1,6}\s/.test(line)) {
      if (/^#\s/.test(line)) continue;
      headings++;
      if (headings > 1 && out.some((l) => l.trim() !== '')) break;
      out.push(line);
      continue;
    }
    out.push(line);
  }
  return out.join('\n').trim();
}

const T = {
  source: { en: 'Source', zh: '来源' },
  rephrase: {
    en: 'I could not find that in our help pages. Could you say it another way, for example with the product or order it is about? Or talk to a person.',
    zh: '帮助中心里没有找到相关内容。可以换个说法吗？比如说明是哪个商品或订单。也可以转人工客服。',
  },
  related: { en: 'Related', zh: '相关问题' },
  complaintAck: {
    en: "I'm sorry you've had a bad experience, and thank you for telling us.",
    zh: '很抱歉给您带来不好的体验，感谢您告诉我们。',
  },
  complaintAsk: {
    en: "Tell me what happened (the order number helps) and I'll do what I can, or I can pass you to a person from our team.",
    zh: '请告诉我具体发生了什么（有订单号更好），我会尽力帮您处理；也可以为您转接人工客服。',
  },
};

const GROUNDED_PROMPT = ChatPromptTemplate.fromMessages([
  [
    'system',
    'You are the customer-service assistant of an online shop. Answer the shopper ONLY from the numbered passages below. ' +
      'Cite the passages you used as [1], [2]. If the passages do not answer the question, reply exactly NO_ANSWER. ' +
      'Answer in {language}, in at most 4 sentences.\n\nPassages:\n{passages}',
  ],
  ['human', '{question}'],
]);

/** Markdown passage -> chat text: no heading marks, emphasis or table pipes; cut at a sentence near the limit. */
export function plainExcerpt(markdown: string, max = MAX_ANSWER_CHARS): string {
  const text = markdown
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^*])\*([^*\n]+)\*/g, '$1$2')
    .replace(/^\|?\s*-{3,}.*$/gm, '')
    .replace(/\|/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('。'), cut.lastIndexOf('\n'));
  return `${(end > max * 0.5 ? cut.slice(0, end + 1) : cut).trim()}…`;
}

/**
 * What kind of fact the question wants, and how a line that states it looks. `lineOnly`: it picks
 * the lines of the answer but does not rank articles ("can I still…" is no reason to prefer one).
 */
const ANSWER_TYPES: ReadonlyArray<{ asks: RegExp; states: RegExp; lineOnly?: boolean }> = [
  {
    asks: /how much|\bcosts?\b|\bprice\b|\bfees?\b|\bcharge|多少钱|运费|费用|收费|价格|多少元|几块|手续费/i,
    states: /\d\s*(?:CNY|RMB|yuan|元|块)|[¥￥]\s*\d|\bfree\b|包邮|免费/i,
  },
  {
    asks: /how long|how many (?:days|hours|weeks)|how soon|how fast|when will|多久|几天|多长时间|时效|几个工作日|多快/i,
    states: /\d\s*(?:[–~-]\s*\d+\s*)?(?:business |working )?(?:days?|hours?|weeks?|months?)\b|\d\s*(?:[–~-]\s*\d+\s*)?(?:个)?(?:工作日|天|小时|周|个月)/i,
  },
  {
    // A time of day or "today": the cut-off that decides it ("if I pay at 5pm", "下午五点下的单今天能发吗").
    asks: /\b\d{1,2}\s*(?::\d\d)?\s*(?:am|pm)\b|\b(?:today|tonight|same day|this evening|this afternoon)\b|[上下]午|晚上|傍晚|几点|[点點]前|[点點]后|今天|当天|今晚/i,
    states: /\d{1,2}[:：]\d{2}|\bnext day\b|\bsame day\b|\bfollowing day\b|\btomorrow\b|次日|第二天|当天|隔天/i,
    lineOnly: true,
  },
  {
    // Whether it is still possible: the time limit decides ("is it too late for a fapiao?", "还能开发票吗").
    asks: /\btoo late\b|\bstill\b|\bdeadline\b|\btime limit\b|\bexpire|还能|还可以|还来得及|来得及|过期|期限|截止/i,
    // A date is a time limit too ("expire on 31 December of the following year", "次年 12 月 31 日").
    states: /\bwithin \d+|\d+\s*(?:days?|hours?|months?)\b|\d+\s*(?:天|小时|个月)(?:内|之内)?|期限|截止|\b\d{1,2}\s+(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s+\d{1,2}\b|\d{1,2}\s*月\s*\d{1,2}\s*日|次年|following year/i,
    lineOnly: true,
  },
  {
    // Whether it can be done at all: the condition that decides ("can i pay in instalments?" -> "on orders of 300 CNY or more").
    asks: /^\W*(?:\w+\W+)?(?:can|could|may)\s+(?:i|we|u|you)\b|\bis (?:it|there|that) (?:possible|available|allowed)|\bdo (?:you|u) (?:offer|accept|take|support|allow)\b|能不能|可不可以|可以[^，,。？?]{0,12}[吗嘛]|(?<![智功可性本才])能[^，,。？?]{0,12}[吗嘛]|支持[^，,。？?]{0,12}[吗嘛]/i,
    states: /\bavailable\b|\bor more\b|\bat least\b|\bover \d|\bonly\b|\bmust\b|\beligible\b|\bas long as\b|满\s*\d|以上|仅|只(?:有|能|限)|须|前提/i,
    lineOnly: true,
  },
  {
    // What to give: the fields asked for ("what info do you need?", "需要提供什么").
    asks: /\bwhat (?:info|information|details|documents?|data)\b|\bwhat do (?:you|u) need\b|\bwhat (?:should|must|do) (?:i|we) (?:provide|send|give)\b|需要(?:提供)?(?:什么|哪些)|要(?:提供)?(?:什么|哪些)(?:资料|信息|材料)|提供什么/i,
    states: /\b(?:name|address|phone|telephone|tax(?:payer)?|bank|account|number|code|e-?mail|id)\b|名称|税号|地址|电话|开户行|账号|代码|邮箱/i,
    lineOnly: true,
  },
  {
    // Whether two things go together: the rule that says so ("can I use two coupons together?", "能一起用吗").
    asks: /\btogether\b|\bcombine|\bstack|\bat the same time\b|\bboth\b|一起用|叠加|同时用|同时使用|一起使用|合并/i,
    states: /\bone (?:coupon|discount|code)\b|\bcombined?\b|\bstack|\btogether\b|\bonly one\b|一张|叠加|同时使用|不能同时|不可同时|只能用/i,
    lineOnly: true,
  },
];

/** Words that name no topic: a passage sharing only these (or numbers) with a question shares nothing it asks about. */
const FILLER = terms(
  'about also any anything get got just know like make much need really some tell thank that there these this those want very okay hey hello pls ' +
    '一下 我的 你们 我们 是不 不是 请问 有没 没有 能不 不能 知道 现在 这个 那个 一个 还是 就是 谢谢 好的 的话 如果 怎样 为什 么样 多少',
);

/**
 * Whether a passage shares a content word with the question: an English word or a Chinese
 * character pair that is neither a filler nor a number. "What's 2+2?" shares only digits
 * with a numbered list, "1+1等于几" nothing but particles: no answer.
 */
export function sharesContentWord(question: string, passage: string): boolean {
  return sharedContentWords(question, passage) > 0;
}

/**
 * How many content words of the question a passage holds: English words (no fillers or numbers),
 * and Chinese words as runs of shared character pairs ("羽绒服" is one word, not 羽绒 + 绒服).
 */
export function sharedContentWords(question: string, passage: string): number {
  const seen = terms(passage);
  const isShared = (w: string) => /\p{L}/u.test(w) && !FILLER.has(w) && seen.has(w);
  let n = [...terms(question.replace(/\p{Script=Han}+/gu, ' '))].filter(isShared).length;
  const words = new Set<string>();
  for (const run of question.normalize('NFKC').match(/\p{Script=Han}+/gu) ?? []) {
    let start = -1;
    for (let i = 0; i + 1 <= run.length; i++) {
      const shared = i + 1 < run.length && isShared(run.slice(i, i + 2));
      if (shared && start < 0) start = i;
      if (!shared && start >= 0) {
        words.add(run.slice(start, i + 1));
        start = -1;
      }
    }
  }
  n += words.size;
  return n;
}

/** The numbers a question gives with their unit variants: "26cm" is also 260 (mm), "245mm" also 24.5 (cm). */
export function measurements(question: string): number[][] {
  const out: number[][] = [];
  for (const m of question.matchAll(/(\d{2,3}(?:\.\d)?)\s*(cm|厘米|公分|mm|毫米)?/gi)) {
    const n = Number(m[1]);
    const unit = (m[2] ?? '').toLowerCase();
    if (unit === 'cm' || unit === '厘米' || unit === '公分') out.push([n, n * 10]);
    else if (unit === 'mm' || unit === '毫米') out.push([n, n / 10]);
    else out.push([n]);
  }
  return out.slice(0, 4);
}

/** How many of the measurements one table row holds (a cell equal to one, or a range "a–b" around it). */
function matchedMeasures(row: string, measures: number[][]): number {
  const cells = row.split('|').map((c) => c.trim());
  const ranges: Array<[number, number]> = [];
  for (const c of cells) {
    const r = /^(\d+(?:\.\d+)?)\s*[–~-]\s*(\d+(?:\.\d+)?)/.exec(c);
    if (r) ranges.push([Number(r[1]), Number(r[2])]);
    else for (const n of c.match(/\d+(?:\.\d+)?/g) ?? []) ranges.push([Number(n), Number(n)]);
  }
  let hits = 0;
  for (const variants of measures) if (variants.some((v) => ranges.some(([a, b]) => (a === b ? v === a : v >= a && v < b)))) hits++;
  return hits;
}

/**
 * A passage longer than a chat answer, cut to what the question asks: the lines (table rows,
 * list items, sentences) that share the most words with the question — more when they state
 * the kind of fact asked (a fee for "how much", a time for "how long") and when retrieval chose
 * them (`preferred`) — each under its section heading and a table row under its header, in the
 * original order. A passage that fits is returned whole; a question that matches nothing
 * keeps the passage's opening (or `preferred`).
 */
export function focusedPassage(passage: string, question: string, max: number, preferred?: string): string {
  if (passage.length <= max) return passage;
  const q = terms(question);
  const wanted = ANSWER_TYPES.filter((t) => t.asks.test(question));
  const measures = measurements(question);
  const chosen = new Set((preferred ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  const lines = passage.split('\n');
  const isHeading = (l: string) => /^#{1,6}\s/.test(l);
  const shared = (line: string) => {
    const t = terms(line);
    let n = 0;
    for (const w of q) if (t.has(w) || (w.length >= 6 && [...t].some((x) => x.length >= 6 && x.slice(0, 5) === w.slice(0, 5)))) n++;
    return n;
  };
  // A section whose heading names what is asked ("支持的支付方式" for "你们支持哪些付款方式") answers it as a whole.
  const headingScore = lines.map((line) => (isHeading(line) && !/^#\s/.test(line) ? shared(line.replace(/^#+\s*/, '')) : 0));
  const section = (i: number) => {
    for (let h = i - 1; h >= 0; h--) if (isHeading(lines[h]!)) return h;
    return -1;
  };
  const scored = lines.map((line, i) => {
    if (isHeading(line) || line.trim() === '' || /^\s*\|?\s*-{3,}/.test(line)) return { i, line, score: 0 };
    let score = shared(line);
    // A table row is about what its header names ("Standard" for "standard shipping to guangzhou").
    if (/^\s*\|/.test(line)) {
      let top = i;
      while (top > 0 && /^\s*\|/.test(lines[top - 1]!)) top--;
      if (top !== i) score += Math.min(1, shared(lines[top]!));
    }
    const h = section(i);
    if (h >= 0 && headingScore[h]! >= 2) score += 1;
    // Stating the kind of fact asked weighs most when the line is also about what was asked.
    const about = score > 0;
    for (const w of wanted) if (w.states.test(line)) score += about ? 2.5 : 1.5;
    if (chosen.has(line.trim())) score += 0.5;
    // A table row whose cells hold the shopper's measurement ("chest 94" in 92–96 cm, "26cm" as 260 mm).
    if (measures.length > 0 && /^\s*\|/.test(line)) score += 3 * matchedMeasures(line, measures);
    return { i, line, score };
  });
  if (!scored.some((x) => x.score >= 1)) return preferred && preferred.length <= max ? preferred : passage;
  const keep = new Set<number>();
  let used = 0;
  const add = (idx: number[]): boolean => {
    const fresh = [...new Set(idx)].filter((i) => !keep.has(i));
    const cost = fresh.reduce((n, i) => n + lines[i]!.length + 1, 0);
    if (used + cost > max) return false;
    for (const i of fresh) keep.add(i);
    used += cost;
    return true;
  };
  const sectionLines = (h: number): number[] => {
    const out: number[] = [h];
    for (let j = h + 1; j < lines.length && !isHeading(lines[j]!); j++) if (lines[j]!.trim() !== '') out.push(j);
    return out;
  };
  const context = (i: number): number[] => {
    const out: number[] = [];
    // A line that introduces a list ("…but there are ways:", "您可以：") is read with its list.
    if (/[:：]\s*$/.test(lines[i]!)) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      for (; j < lines.length && /^\s*(?:[-*+]|\d+[.)、])\s/.test(lines[j]!); j++) out.push(j);
    }
    // A table row needs its header (the first row of its table) to be read.
    if (/^\s*\|/.test(lines[i]!)) {
      let h = i;
      while (h > 0 && /^\s*\|/.test(lines[h - 1]!)) h--;
      if (h !== i) out.push(h);
    }
    // And every line its section heading.
    for (let h = i - 1; h >= 0; h--) {
      if (isHeading(lines[h]!)) {
        if (!/^#\s/.test(lines[h]!)) out.push(h);
        break;
      }
    }
    return out;
  };
  const ranked = scored.filter((x) => x.score >= 1).sort((a, b) => b.score - a.score || a.i - b.i);
  // A "no" is answered with what there is: the best line under "Not accepted" / "暂不支持" / "What is
  // not covered" brings its positive sibling ("Accepted", "支持的支付方式", "What is covered") right after it.
  // Not when the question asks for the negative list itself ("what is not covered?").
  // (A "能不能 / 收不收 / 支不支持" question is no negative.)
  const negative = /\b(?:not|isn'?t|aren'?t|cannot|can'?t|never)\b|没|无法|(?:^|[^能可是收支要会行用])不/i.test(question);
  const positive = negative ? -1 : positiveSibling(lines, section(ranked[0]!.i));
  for (const [n, x] of ranked.entries()) {
    add([...context(x.i), x.i]);
    if (n === 0 && positive >= 0) for (const j of sectionLines(positive)) if (!add([j])) break;
  }
  // Room left: the lines right after the best one (its explanation).
  // An answer from the article's opening (which says what it is about) goes on into its first section,
  // where the facts start ("we ship to Singapore…" and then the carrier and fee).
  const best = ranked[0]!.i;
  let crossed = section(best) >= 0 && !/^#\s/.test(lines[section(best)]!);
  for (let i = best + 1; i < lines.length; i++) {
    if (isHeading(lines[i]!)) {
      if (crossed) break;
      crossed = true;
    }
    if (lines[i]!.trim() !== '' && !add([i])) break;
  }
  return [...keep].sort((a, b) => a - b).map((i) => lines[i]!).join('\n');
}

/** A heading that says "not": the words left without the negation ("Not accepted" -> "accepted", "暂不支持" -> "支持"). */
function negatedTopic(heading: string): string | undefined {
  const h = norm(heading.replace(/^#+\s*/, ''));
  const stripped = h.replace(/\bcannot\b/g, 'can').replace(/\b(?:not|never)\b\s*|暂不|不在|不/g, ' ').replace(/\s+/g, ' ').trim();
  return stripped !== h && stripped.length >= 2 ? stripped.replace(/内$/, '') : undefined;
}

/** The section heading that states the positive of a negative one (same words without the "not"), or -1. */
function positiveSibling(lines: readonly string[], heading: number): number {
  if (heading < 0 || /^#\s/.test(lines[heading]!)) return -1;
  const topic = negatedTopic(lines[heading]!);
  if (!topic) return -1;
  for (let j = 0; j < lines.length; j++) {
    if (j === heading || !/^#{2,6}\s/.test(lines[j]!) || negatedTopic(lines[j]!) !== undefined) continue;
    const other = norm(lines[j]!.replace(/^#+\s*/, ''));
    if (other === topic || other.includes(topic) || topic.includes(other)) return j;
  }
  return -1;
}

/**
 * Answers from the knowledge base with a citation: the best passage (or, with a chat model,
 * a grounded answer citing the passages), the article's title and link. Below the confidence
 * floor it asks the shopper to rephrase and offers a person.
 */
export class FaqSkill implements Skill {
  readonly name = 'faq';
  readonly intents = FAQ_INTENTS;

  constructor(private readonly opts: FaqOptions) {}

  /** Help intents, and any intent the articles answer when no skill before it took the turn (a general question about orders). */
  canHandle(turn: Turn): boolean {
    return FAQ_INTENTS.includes(turn.nlu.intent) || this.categoriesFor(turn.nlu.intent) !== undefined;
  }

  /** The article categories that answer this intent, if the shop's articles are grouped for it. */
  categoriesFor(intent: string): readonly string[] | undefined {
    return (this.opts.intentCategories ?? INTENT_ARTICLE_CATEGORIES).get(intent);
  }

  /**
   * The hits for a turn, or [] when nothing is confident enough. A confident intent steers the
   * ranking: passages of the articles that answer it come first, and may answer a little below
   * the floor (the intent is the evidence the floor stands in for).
   */
  async lookup(
    turn: Turn,
    intent: string | undefined,
    opts: {
      mustShareWord?: boolean;
      weakIntent?: boolean;
      categories?: readonly string[];
      /** What a title must share a word with to count (default the search text); a follow-up's own words, not the question it follows. */
      titleQuery?: string;
    } = {},
  ): Promise<KnowledgeHit[]> {
    // Phone shorthand written out ("800 pts" -> "800 points"): the articles use the words.
    const query = expandShorthand(turn.searchText ?? turn.text);
    if (query.trim() === '') return [];
    let hits = await this.opts.kb.search(query, { locale: turn.locale, k: 8 });
    // Unsteered (a message nobody understood): the ranking alone is no evidence, a shared word is.
    if (opts.mustShareWord) hits = hits.filter((h) => sharesContentWord(expandShorthand(turn.text), `${h.title}\n${h.heading ?? ''}\n${h.text}`));
    const categories = opts.categories ?? (intent ? this.categoriesFor(intent) : undefined);
    if (categories) {
      // Among the intent's own articles, the passage retrieval is surest answers it comes first.
      // A passage that states the kind of fact asked ("how long" → a time, "how much" → a fee) is surer still.
      // The kind is read from the message itself: a follow-up ("寄到北京几天能到", then "顺丰呢？多少钱") asks its own.
      const wanted = ANSWER_TYPES.filter((t) => !t.lineOnly && t.asks.test(turn.text));
      // An article whose title names what is asked ("运费怎么算" and "配送方式与运费") is about it, not one that mentions it often.
      const sureness = (h: KnowledgeHit) =>
        h.confidence + (wanted.some((w) => w.states.test(h.text)) ? ANSWER_TYPE_BONUS : 0) + (sharesContentWord(opts.titleQuery ?? query, h.title) ? TITLE_BONUS : 0);
      const own = hits.filter((h) => h.category !== undefined && categories.includes(h.category)).sort((a, b) => sureness(b) - sureness(a));
      // An intent the classifier was unsure of steers only while the evidence does not clearly
      // point elsewhere ("i asked who pays the customs duties" read weakly as a refund question).
      const elsewhere = hits[0] && !own.includes(hits[0]) && hits[0].confidence >= this.opts.minConfidence ? hits[0] : undefined;
      const outweighed = opts.weakIntent && elsewhere && own[0] && elsewhere.confidence - own[0].confidence >= WEAK_STEER_MARGIN;
      if (own.length > 0 && own[0]!.confidence >= this.opts.minConfidence * INTENT_FLOOR_FACTOR && !outweighed) {
        return [...own, ...hits.filter((h) => !own.includes(h))].slice(0, 3);
      }
    }
    return hits.length > 0 && hits[0]!.confidence >= this.opts.minConfidence ? hits.slice(0, 3) : [];
  }

  async handle(turn: Turn): Promise<void> {
    const complaint = turn.nlu.intent === 'complaint';
    // A calm complaint is acknowledged first (an upset shopper has already heard an apology).
    if (complaint && !turn.upset) await reply(turn, T.complaintAck);
    // A complaint is about something ("my parcel is 2 weeks late" is about the parcel): the likeliest
    // other reading with articles of its own steers the search.
    const about = complaint ? turn.nlu.alternatives?.find((a) => this.categoriesFor(a.intent) !== undefined)?.intent : turn.nlu.intent;
    // "I'd like to file a complaint" says nothing yet of what about: no article, we ask.
    const hits = complaint && complaintWithoutTopic(turn.text) ? [] : await this.lookup(turn, about);
    if (await this.answer(turn, hits)) return;
    if (turn.upset) {
      // Nothing to answer an upset shopper with: a person takes it (the bot hands off after the turn).
      turn.session.escalation ??= { reason: 'sentiment', at: turn.now.toISOString() };
      return;
    }
    if (complaint) await reply(turn, T.complaintAsk, { quickReplies: [humanOption(turn.locale)] });
    else await reply(turn, T.rephrase, { quickReplies: [humanOption(turn.locale)] });
  }

  /** Sends the answer for these hits; false when there is none. */
  async answer(turn: Turn, hits: KnowledgeHit[]): Promise<boolean> {
    // An article the shopper asks for by its title ("算了 你直接告诉我退货政策吧") answers, wherever it ranked.
    const best = hits.find((h) => asksForWholeArticle(turn.text, h.title)) ?? hits[0];
    if (!best) return false;
    const l = turn.locale;
    // Related articles of the same topic ("shipping fees" is not followed by "return shipping costs").
    const topic = this.categoriesFor(turn.nlu.intent);
    const related: QuickReplyOption[] = hits
      .filter((h) => h.slug !== best.slug && (!topic || h.category === undefined || topic.includes(h.category)))
      .slice(0, 2)
      .map((h) => ({ title: h.title, value: h.title }));
    // A general question about orders or returns was answered from the articles: one tap starts the shopper's own case.
    const action = INTENT_ACTIONS.get(turn.nlu.intent);
    const quick = [...(action ? [{ title: action[l], value: action[l] }] : []), ...related, humanOption(l)];
    if (this.opts.chatModel) {
      const generated = await this.generate(turn, hits).catch((err: unknown) => {
        this.opts.onError?.(err);
        return undefined;
      });
      if (generated) {
        await reply(turn, generated, { quickReplies: quick });
        return true;
      }
    }
    const max = l === 'zh' ? MAX_ANSWER_CHARS_ZH : MAX_ANSWER_CHARS;
    let passage = `${best.heading && best.heading !== best.title ? `${best.heading}\n` : ''}${best.text}`;
    // Found in the other language ("can i pay with 花呗?" matches the Chinese article): the same
    // article in the shopper's language answers, so the reply never switches language.
    const translated = best.locale !== l && this.opts.getArticleBySlug ? await this.opts.getArticleBySlug(best.slug, l) : null;
    if (translated) passage = '';
    const article = translated ?? (this.opts.getArticle ? await this.opts.getArticle(best.documentId) : null);
    const title = translated?.title ?? best.title;
    const citedLocale = translated ? l : best.locale;
    if (article && asksForWholeArticle(turn.text, title)) {
      passage = leadSection(article.body);
    } else {
      // The article the passage belongs to, cut to the lines this question asks about: the fee
      // or the time asked for is in the answer even when it sits in another section.
      const body = article ? article.body.replace(/^---[\s\S]*?---\s*/, '') : passage;
      passage = focusedPassage(body, turn.searchText ?? turn.text, max, passage || undefined);
    }
    // What was answered: the intent, and the category of the article actually cited (a follow-up continues that article's topic).
    turn.session.lastAnswered = {
      ...(INTENT_ARTICLE_CATEGORIES.has(turn.nlu.intent) || FAQ_INTENTS.includes(turn.nlu.intent) ? { intent: turn.nlu.intent } : {}),
      ...(best.category ? { category: best.category } : {}),
      text: turn.text,
      at: turn.now.toISOString(),
    };
    const sourceLine = (t: string, slug: string, loc: Locale) => `${T.source[l]}${l === 'zh' ? '：' : ': '}${t} ${this.opts.link(slug, loc)}`;
    let body = `${plainExcerpt(passage, max)}\n\n${sourceLine(title, best.slug, citedLocale)}`;
    const second = await this.secondPart(turn, passage, best.slug);
    if (second) body += `\n\n${second.text}\n\n${sourceLine(second.title, second.slug, l)}`;
    // No button for the article already answering the second part.
    await reply(turn, body, { quickReplies: second ? quick.filter((q) => q.title !== second.title) : quick });
    return true;
  }

  /**
   * Two questions in one message ("寄新疆运费贵吗 要几天": a fee and a time): when the answer states
   * no line of a kind asked, the article that does answers that part, short, with its own source.
   */
  private async secondPart(turn: Turn, answered: string, slug: string): Promise<{ text: string; title: string; slug: string } | undefined> {
    const missing = ANSWER_TYPES.filter((t) => !t.lineOnly && t.asks.test(turn.text) && !t.states.test(answered));
    const asked = ANSWER_TYPES.filter((t) => !t.lineOnly && t.asks.test(turn.text));
    // Only a second question: a message asking one kind of fact the article lacks was answered as well as it can be.
    if (missing.length === 0 || asked.length < 2 || !this.opts.getArticleBySlug) return undefined;
    const l = turn.locale;
    const hits = await this.opts.kb.search(turn.text, { locale: l, k: 8 });
    const other = hits.find(
      (h) => h.slug !== slug && h.confidence >= this.opts.minConfidence * INTENT_FLOOR_FACTOR && missing.some((t) => t.states.test(h.text)) && sharesContentWord(turn.text, `${h.title}\n${h.text}`),
    );
    if (!other) return undefined;
    const article = await this.opts.getArticleBySlug(other.slug, l);
    if (!article) return undefined;
    const max = (l === 'zh' ? MAX_ANSWER_CHARS_ZH : MAX_ANSWER_CHARS) / 2;
    const part = focusedPassage(article.body.replace(/^---[\s\S]*?---\s*/, ''), turn.text, max, `${other.heading ?? ''}\n${other.text}`);
    return { text: plainExcerpt(part, max), title: article.title, slug: other.slug };
  }

  private async generate(turn: Turn, hits: KnowledgeHit[]): Promise<string | undefined> {
    const used = hits.slice(0, 3);
    const passages = used.map((h, i) => `[${i + 1}] ${h.title}: ${plainExcerpt(h.text, 1200)}`).join('\n\n');
    const messages = await GROUNDED_PROMPT.formatMessages({ language: turn.locale === 'zh' ? 'Simplified Chinese' : 'English', passages, question: turn.text.slice(0, 1000) });
    const out = await this.opts.chatModel!.invoke(messages);
    const text = (typeof out === 'string' ? out : typeof out.content === 'string' ? out.content : '').trim();
    if (text === '' || text.includes('NO_ANSWER')) return undefined;
    // Keep only citations that point at a passage we gave it, and list those sources.
    const cited = [...new Set([...text.matchAll(/\[(\d)\]/g)].map((m) => Number(m[1])).filter((n) => n >= 1 && n <= used.length))];
    if (cited.length === 0) return undefined;
    const sources = cited.map((n) => `[${n}] ${used[n - 1]!.title} ${this.opts.link(used[n - 1]!.slug, used[n - 1]!.locale)}`).join('\n');
    return `${text.replace(/\[(\d)\]/g, (m: string, d: string) => (cited.includes(Number(d)) ? m : ''))}\n\n${T.source[turn.locale]}${turn.locale === 'zh' ? '：' : ':'}\n${sources}`;
  }
}
