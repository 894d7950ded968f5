/**
 * The checks of one scenario turn, judged the way a shopper would: pure functions over what the
 * bot sent and what the store holds, so they are tested on their own.
 */
import type { Locale, Order, Product } from '../../store/index.js';
import type { Expectation, ProductsCheck } from './scenario.js';

export interface SeenCard {
  id: string;
  title: string;
  price?: number;
  label?: string;
  actions?: Array<{ title: string; value?: string }>;
}

export interface SeenReply {
  text: string;
  suggestedActions?: Array<{ title: string; value: string }>;
  cards?: SeenCard[];
}

/** What the harness saw of one turn. */
export interface TurnObservation {
  replies: SeenReply[];
  lang: Locale;
  product(id: string): Product | undefined;
  order(number: string): Order | undefined;
  returnsOpened: number;
  handedOff: boolean;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/gu;
const LATIN_WORD = /[A-Za-z]{2,}/g;

/** Text a shopper reads as the reply's language: without links, order numbers and codes. */
function languageText(replies: SeenReply[]): string {
  return replies
    .flatMap((r) => [r.text, ...(r.suggestedActions ?? []).map((a) => a.title)])
    .join('\n');
}

/** Is this text in `lang`? Chinese: CJK dominates the words; English: (almost) no CJK. */
export function inLanguage(raw: string, lang: Locale): boolean {
  const text = raw.replace(/https?:\/\/\S+|\/help\/\S+/g, ' ').replace(/\b[A-Za-z]*\d[\w-]*\b/g, ' ');
  const cjk = (text.match(CJK) ?? []).length;
  const latinWords = (text.match(LATIN_WORD) ?? []).length;
  if (lang === 'zh') return cjk > 0 && cjk >= 2 * latinWords;
  const latinLetters = (text.match(/[A-Za-z]/g) ?? []).length;
  return latinLetters > 0 && cjk <= 0.05 * latinLetters;
}

const CLARIFY = [
  /rephrase|didn'?t (quite )?(understand|catch|get)|did not understand|not sure what you mean|just to be sure|do you mean\b|say (?:it|that) another way/i,
  /换个说法|没太明白|没有理解|没听懂|没看懂|想确认一下|您是想|您是指|请再说一遍/u,
];

export function isClarification(text: string): boolean {
  return CLARIFY.some((re) => re.test(text));
}

/** The article slugs a reply cites through its help links. */
export function citedArticles(text: string): string[] {
  return [...new Set([...text.matchAll(/\/help\/([a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]!))];
}

const STATUS_WORDS: Record<Order['status'], Record<Locale, RegExp>> = {
  pending: { en: /wait(ing)? for payment|unpaid|not (yet )?(been )?paid|pending/i, zh: /待付款|未付款|尚未付款|等待付款/u },
  paid: { en: /\bpaid\b|being prepared|prepar|packed|not (yet )?(been )?shipped|dispatch/i, zh: /已付款|待发货|备货|打包|尚未发货|还没发货/u },
  shipped: { en: /shipped|on (its|the) way|in transit|dispatched|with the carrier/i, zh: /已发货|已发出|发出|运输|在路上|派送|配送中/u },
  delivered: { en: /delivered/i, zh: /已签收|已送达|签收/u },
  cancelled: { en: /cancel/i, zh: /取消/u },
  returned: { en: /returned/i, zh: /已退货|退货/u },
  refunded: { en: /refund/i, zh: /已退款|退款/u },
};

const norm = (s: string) => s.toLowerCase().replace(/[-_\s]+/g, ' ');

/** Every text a shopper could read about a product, in both languages. */
export function productHaystack(p: Product): string {
  const attrs = Object.values(p.attributes ?? {}).flatMap((v) => (Array.isArray(v) ? v.map(String) : [String(v)]));
  const loc = (v: unknown) => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v as Record<string, string>) : []);
  return norm([...loc(p.title), ...loc(p.description), ...(p.tags ?? []), ...attrs, p.category].join(' | '));
}

function checkProducts(want: ProductsCheck, cards: SeenCard[], obs: TurnObservation): string[] {
  const fails: string[] = [];
  const min = want.min ?? 1;
  if (cards.length < min) fails.push(`expected at least ${min} product card(s), got ${cards.length}`);
  if (want.max !== undefined && cards.length > want.max) fails.push(`expected at most ${want.max} product card(s), got ${cards.length}`);
  const categories = want.category === undefined ? undefined : Array.isArray(want.category) ? want.category : [want.category];
  const shown = new Set(cards.map((c) => c.id));
  for (const id of want.ids ?? []) if (!shown.has(id)) fails.push(`product ${id} not shown`);
  for (const card of cards) {
    const p = obs.product(card.id);
    const name = `${card.id}${card.label ? ` (${card.label})` : ''} "${card.title}"`;
    if (!p) {
      fails.push(`card ${name} is not a catalogue product`);
      continue;
    }
    if (want.notIds?.includes(p.id)) fails.push(`card ${name} should not be shown`);
    if (categories && !categories.includes(p.category)) fails.push(`card ${name} is ${p.category}, wanted ${categories.join('|')}`);
    if (want.maxPrice !== undefined && p.price > want.maxPrice) fails.push(`card ${name} costs ${p.price} > ${want.maxPrice}`);
    if (want.minPrice !== undefined && p.price < want.minPrice) fails.push(`card ${name} costs ${p.price} < ${want.minPrice}`);
    if (want.inStock && !(p.stock > 0)) fails.push(`card ${name} is out of stock`);
    if (want.match) {
      const hay = productHaystack(p);
      if (!want.match.some((t) => hay.includes(norm(t)))) fails.push(`card ${name} matches none of ${want.match.join(' / ')}`);
    }
  }
  return fails;
}

/** The failed checks of one turn (empty: the turn is right). */
export function checkTurn(expect: Expectation | undefined, obs: TurnObservation): string[] {
  const e = expect ?? {};
  const fails: string[] = [];
  const text = obs.replies.map((r) => [r.text, ...(r.suggestedActions ?? []).map((a) => `[${a.title}]`)].join('\n')).join('\n');
  const cards = obs.replies.flatMap((r) => r.cards ?? []);
  if (e.silent) {
    if (obs.replies.length > 0) fails.push('expected the bot to stay silent');
  } else if (obs.replies.length === 0) {
    fails.push('no reply');
    return fails;
  }
  if (obs.replies.length > 0 && !inLanguage(languageText(obs.replies), obs.lang)) fails.push(`reply not in ${obs.lang}`);
  if (!e.clarify && isClarification(text)) fails.push('asked to rephrase or clarify a clear message');
  const cited = citedArticles(text);
  if (e.article !== undefined) {
    const ok = Array.isArray(e.article) ? e.article : [e.article];
    if (!cited.some((c) => ok.includes(c))) fails.push(`cited ${cited.length ? cited.join(', ') : 'no article'}, wanted ${ok.join(' or ')}`);
  }
  if (e.noArticle && cited.length > 0) fails.push(`cited ${cited.join(', ')}, wanted no article`);
  for (const re of e.says ?? []) if (!new RegExp(re, 'iu').test(text)) fails.push(`does not say /${re}/`);
  for (const re of e.notSays ?? []) if (new RegExp(re, 'iu').test(text)) fails.push(`says /${re}/`);
  for (const re of e.buttons ?? []) {
    const titles = obs.replies.flatMap((r) => (r.suggestedActions ?? []).map((a) => a.title));
    if (!titles.some((t) => new RegExp(re, 'iu').test(t))) fails.push(`no button /${re}/ among [${titles.join(' | ')}]`);
  }
  if (e.products) fails.push(...checkProducts(e.products, cards, obs));
  if (e.noProducts && cards.length > 0) fails.push(`showed ${cards.length} product card(s), wanted none`);
  if (e.order !== undefined) {
    const order = obs.order(e.order);
    if (!order) fails.push(`order ${e.order} is not in the store (scenario error)`);
    else {
      if (!text.toUpperCase().includes(order.number.toUpperCase())) fails.push(`does not name order ${order.number}`);
      if (!STATUS_WORDS[order.status][obs.lang].test(text)) fails.push(`does not give order ${order.number}'s status (${order.status})`);
    }
  }
  if (e.returnOpened !== undefined && (obs.returnsOpened > 0) !== e.returnOpened) fails.push(e.returnOpened ? 'no return was opened' : 'a return was opened');
  if (e.handoff !== undefined && obs.handedOff !== e.handoff) fails.push(e.handoff ? 'not handed to a person' : 'handed to a person');
  return fails;
}
