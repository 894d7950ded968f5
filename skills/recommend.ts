import type { Activity } from 'botbuilder-core';
import { listAll, type Locale, type Product, type Store } from '../store/index.js';
import type { RecommendQuery, RecommendResult, RecommendedProduct } from '../recommender/service.js';
import { productCardAttachment, type CardButton, type ProductCard } from './cards.js';
import { CATEGORY_SYNONYMS, SHARED_SYNONYMS } from './nlu/entities/catalog.js';
import { escapeRegExp } from './nlu/entities/text.js';
import { groupOf, ProductAttributeIndex, type AttributeConstraint, type ProductQuery, type Relaxation } from './nlu/entities/product-attributes.js';
import { asksWhichSize } from './question-kind.js';
import { formatMoney, message, reply, type Bilingual, type QuickReplyOption } from './respond.js';
import type { Skill, Turn } from './types.js';

/** What the skill needs of the recommender (recommender/service.ts). */
export interface RecommenderPort {
  recommend(q: RecommendQuery): Promise<RecommendResult>;
}

/** Links on the cards: through the click tracker, so clicks are learnt from and ads charged. */
export interface RecommendLinks {
  product(customerId: string, product: Product, source: string, price?: number): string;
  cart(customerId: string, product: Product, source: string, price?: number): string;
}

/** What the skill remembers of the recommendations in this conversation. */
export interface RecommendSession {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** The budget the shopper stated; "cheaper ones" narrows maxPrice below it, "more like X" returns to it. */
  budget?: { min?: number; max?: number };
  like?: string;
  with?: string[];
  /**
   * The attributes the shopper named ("noise-cancelling", "black", "not Sonara"): hard filters,
   * kept by follow-ups ("cheaper", "another brand", "in black?") until a new request.
   */
  attributes?: AttributeConstraint[];
  /** Everything shown so far (never shown twice), and the last list, in order. */
  shown: string[];
  last: string[];
  /** The sponsored product shown with the last list (its price counts for "cheaper" too). */
  lastAd?: string;
  /**
   * One product shown on its own (the catalog skill's card for "show me the Velo Pro"):
   * "cheaper?", "more like this", "贵一点的" then keep to its category and kind.
   */
  anchor?: string;
  /** What the shopper picked ("more like this"), newest last: steers the next lists. */
  clicked: string[];
  at: string;
}

type Ask = 'more' | 'cheaper' | 'pricier' | 'brand' | 'narrow' | 'like' | 'with' | 'new';
/** What the turn asks; `picked` when it came from a button (a click to learn from), not typed. */
type Asked = { ask: Ask; id?: string; picked?: boolean };

const ID = String.raw`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)`;
const MORE_LIKE = new RegExp(String.raw`^(?:more like|similar to|类似|相似)\s*${ID}\s*$`, 'i');
const GOES_WITH = new RegExp(String.raw`^(?:goes with|搭配)\s*${ID}\s*$`, 'i');
const CHEAPER = /cheaper|less expensive|lower price|more affordable|便宜|实惠|低一点|划算一点/i;
const PRICIER = /\b(?:pricier|more expensive|higher[- ]end|more premium|premium ones?|fancier|better quality|higher price)\b|贵一点|贵点|更贵|贵些|高端一点|高档一点|档次高|好一点的/i;
const OTHER_BRAND = /\b(?:another|other|different) (?:brand|make)s?\b|\bnot (?:this|that|these) brands?\b|换个牌子|换个品牌|换一个牌子|换一个品牌|别的牌子|别的品牌|其他牌子|其他品牌|不同品牌|不同的牌子|不要这个牌子/i;
/** Questions about a policy, an order or care that merely name a product kind: not a product request. */
const NOT_A_REQUEST = /\b(?:return|refund|exchange|ship|shipping|deliver|delivery|track|order|warranty|repair|wash|washing|clean|cleaning|care for|size guide|size chart|invoice|coupon|discount code)\b|退货|退款|换货|运费|快递|发货|物流|订单|保修|维修|怎么洗|清洗|清洁|保养|尺码表|发票|优惠券/i;
/** Size and fit questions ("should I size down?", "穿什么码", "要不要选大一码"): the size guides or the product's fit note answer them, not a list. */
const SIZE_QUESTION = /\b(?:size (?:up|down)|what size|which size|size should|sizing|run(?:s)? (?:small|big|large|narrow|wide|true)|true to size|inseam|measurements?|size (?:chart|guide))\b|穿什么码|什么码|几码|多大码|大一码|小一码|大一号|小一号|选大|选小|偏大|偏小|尺码表|合脚|码数|脚背|脚宽|胸围|腰围|身高/i;
/** A shopper asking for products ("I want a waterproof watch", "有没有…"): a request whatever intent the classifier is sure of. */
const REQUEST_CUE = /\b(?:i want|i need|i'?m looking for|looking for|recommend|suggest|got any|do you (?:have|sell)|show me|find me|any good)\b|想要|想买|推荐|有没有|求推荐|给我找|帮我找|帮我挑/i;
/** Intents a product request is never mistaken for, when the classifier is sure of them. */
const OTHER_INTENTS = new Set(['track_order', 'cancel_order', 'change_order', 'change_address', 'return_item', 'exchange_item', 'refund_status', 'refund_policy', 'shipping_options', 'delivery_time', 'payment_methods', 'payment_issue', 'invoice', 'complaint', 'human_agent', 'create_account', 'delete_account', 'reset_password', 'edit_account', 'warranty', 'coupon', 'cancellation_fee', 'feedback']);
/** How sure a listing intent must be to make a message naming a product kind a request by itself (the router's floor). */
const LISTING_MIN_CONFIDENCE = 0.45;
/** "budget 500", "预算 500 块": a price ceiling the price entities leave to the skill. */
const BUDGET = /(?:\bbudget(?:\s+(?:is|of))?|预算(?:是|在|有)?)\s*(?:about|around|大概|大约)?\s*[¥￥$]?\s*(\d+(?:\.\d+)?)\s*(k|千)?/i;
/** Intents under which "do you have <kind>" or "how much are <kind>" is best answered with a list. */
const LISTING_INTENTS = new Set(['recommend', 'stock_check', 'price_check', 'product_question', 'place_order']);
const LIKE_WORDS = /\b(?:like (?:this|that|it|the)|similar|same kind|alternatives? to)\b|类似|相似|差不多|一样的|同款/i;
/** Stricter than LIKE_WORDS, for a product named without a list on screen ("I'd like the Aero 3" is not one). */
const SIMILAR_TO = /\b(?:similar to|something like|anything like|alternatives? to|same kind as)\b|类似|相似|差不多|同款/i;
const WITH_WORDS = /\b(?:go(?:es)? (?:well )?with|pair(?:s)? with|match(?:es)? with|to wear with|complete the look)\b|搭配|配什么|配啥|配哪/i;
const MORE = /^(?:more|show (?:me )?more|others?|something else|anything else|next|换一批|更多|还有吗|还有别的吗|再来几个|别的)[\s!.?！。？]*$/i;
const THIS = /\b(?:this|that|it|these|them)\b|这个|这款|这件|这双|它/i;

/** How long "cheaper ones" still refers to the last list. */
const SESSION_MINUTES = 60;
/** How long the catalogue's attribute index may be old before it is read again (in the background). */
const CATALOGUE_TTL_MS = 60_000;

const T = {
  intro: {
    personal: { en: 'Picked for you', zh: '为您挑选' },
    popular: { en: 'Popular right now', zh: '当前热门' },
    similar: { en: (t: string) => `Similar to ${t}`, zh: (t: string) => `和「${t}」相似的商品` },
    together: { en: (t: string) => `Goes well with ${t}`, zh: (t: string) => `适合搭配「${t}」` },
  },
  under: { en: (m: string) => `under ${m}`, zh: (m: string) => `${m}以内` },
  from: { en: (m: string) => `from ${m}`, zh: (m: string) => `${m}以上` },
  none: {
    en: "I couldn't find anything in stock that fits. Want to widen the search?",
    zh: '没有找到符合条件且有货的商品。要放宽条件看看吗？',
  } as Bilingual,
  noneCheaper: {
    en: 'These are already the lowest-priced ones that fit, I’m afraid.',
    zh: '符合条件的商品里，这些已经是价格最低的了。',
  } as Bilingual,
  lowest: { en: (x: string) => `Those are already the lowest-priced ${x} that fit.`, zh: (x: string) => `这已经是符合条件的${x}里价格最低的了。` },
  highest: { en: (x: string) => `Those are already the highest-priced ${x} that fit.`, zh: (x: string) => `这已经是符合条件的${x}里价格最高的了。` },
  onlyBrands: { en: (x: string, b: string) => `All the ${x} that fit are from ${b}.`, zh: (x: string, b: string) => `符合条件的${x}只有${b}这几个品牌。` },
  allShown: { en: (x: string) => `That's all the ${x} we have in stock.`, zh: (x: string) => `有货的${x}就这些了。` },
  nearestPriced: { en: 'The nearest in price that also fit:', zh: '价格最接近、同样符合条件的还有：' } as Bilingual,
  nearestBeyondBudget: { en: 'The nearest in price that fit, a little outside your price range:', zh: '符合条件、价格最接近的（略超出您的价位）：' } as Bilingual,
  fittingCheapest: { en: 'The ones that fit, lowest price first:', zh: '符合条件的商品（价格从低到高）：' } as Bilingual,
  fittingPriciest: { en: 'The ones that fit, highest price first:', zh: '符合条件的商品（价格从高到低）：' } as Bilingual,
  hintCheaperNear: { en: (near: string, from: string) => `There are cheaper ${near} ones, from ${from}.`, zh: (near: string, from: string) => `${near}的还有更便宜的，${from}起。` },
  hintPricierNear: { en: (near: string, to: string) => `There are pricier ${near} ones, up to ${to}.`, zh: (near: string, to: string) => `${near}的还有更贵的，最高${to}。` },
  hintCheaper: { en: (what: string, from: string) => `Without “${what}” there are cheaper ones, from ${from}.`, zh: (what: string, from: string) => `如果不要求「${what}」，还有更便宜的，${from}起。` },
  hintPricier: { en: (what: string, to: string) => `Without “${what}” there are pricier ones, up to ${to}.`, zh: (what: string, to: string) => `如果不要求「${what}」，还有更贵的，最高${to}。` },
  notFound: { en: (x: string) => `I couldn't find ${x} in stock.`, zh: (x: string) => `没有找到有货的${x}。` },
  relaxed: {
    price: { en: 'The nearest in price:', zh: '下面是价格最接近的：' } as Bilingual,
    near: { en: (near: string, asked: string) => `The closest are ${near} instead of ${asked}:`, zh: (near: string, asked: string) => `最接近的是${near}（不是${asked}）的：` },
    dropped: { en: (what: string) => `Without “${what}”, the closest are:`, zh: (what: string) => `去掉「${what}」这个条件，最接近的是：` },
    droppedPrice: { en: (what: string) => `Without “${what}” and a little outside your price range, the closest are:`, zh: (what: string) => `去掉「${what}」并放宽价格后，最接近的是：` },
    category: { en: 'The closest in other categories:', zh: '其他类别里最接近的是：' } as Bilingual,
  },
  cheaperWithout: { en: (what: string) => `Cheaper ones without “${what}”:`, zh: (what: string) => `去掉「${what}」的话，更便宜的有：` },
  pricierWithout: { en: (what: string) => `Pricier ones without “${what}”:`, zh: (what: string) => `去掉「${what}」的话，更贵的有：` },
  list: { en: ', ', zh: '、' } as Bilingual,
  reason: {
    because: { en: (t: string) => `Because you bought ${t}`, zh: (t: string) => `因为您买过「${t}」` },
    viewed: { en: (t: string) => `Like ${t}, which you picked`, zh: (t: string) => `与您选过的「${t}」相似` },
    similar: { en: 'Similar style and use', zh: '风格用途相似' },
    together: { en: (t: string) => `Often bought with ${t}`, zh: (t: string) => `常与「${t}」一起购买` },
    popular: { en: 'Popular with shoppers', zh: '大家都在买' },
    for_you: { en: 'Matches your taste', zh: '符合您的喜好' },
    nearest: { en: 'Nearest in price', zh: '价格最接近' },
    fits: { en: 'Fits what you asked for', zh: '符合您的要求' },
    sponsored: { en: 'Sponsored', zh: '广告' },
  },
  buttons: {
    more: { en: 'More like this', zh: '找相似' },
    cart: { en: 'Add to cart', zh: '加入购物车' },
  },
  quick: {
    cheaper: { en: 'Cheaper ones', zh: '便宜一点的' },
    pricier: { en: 'Pricier ones', zh: '贵一点的' },
    brand: { en: 'Another brand', zh: '换个牌子' },
    more: { en: 'Show more', zh: '换一批' },
    with: { en: 'What goes with it?', zh: '搭配推荐' },
  },
  sponsoredNote: { en: 'Sponsored:', zh: '广告：' } as Bilingual,
  crossSell: { en: 'Often bought with your order:', zh: '买了这单的顾客常搭配：' } as Bilingual,
};

function money(amount: number, locale: Locale): string {
  return formatMoney(amount, 'CNY', locale);
}

function entityOf<T extends Turn['nlu']['entities'][number]['type']>(turn: Turn, type: T): Extract<Turn['nlu']['entities'][number], { type: T }> | undefined {
  return turn.nlu.entities.find((e) => e.type === type) as Extract<Turn['nlu']['entities'][number], { type: T }> | undefined;
}

function activeSession(turn: Turn): RecommendSession | undefined {
  const s = turn.session.recommend;
  if (!s) return undefined;
  return turn.now.getTime() - new Date(s.at).getTime() <= SESSION_MINUTES * 60_000 ? s : undefined;
}

/** A product card: the reason as subtitle, the tracked product link, "More like this" and "Add to cart". */
function cardFor(links: RecommendLinks | undefined, turn: Turn, p: Product, source: string, subtitle: string, price?: number): ProductCard {
  const l = turn.locale;
  const actions: CardButton[] = [{ title: T.buttons.more[l], value: `${l === 'zh' ? '类似' : 'More like'} ${p.id}` }];
  if (links) actions.push({ title: T.buttons.cart[l], url: links.cart(turn.customer.id, p, source, price) });
  return {
    id: p.id,
    title: p.title[l],
    subtitle,
    price: p.price,
    currency: p.currency,
    ...(p.imageUrl ? { imageUrl: p.imageUrl } : {}),
    ...(links ? { url: links.product(turn.customer.id, p, source, price) } : {}),
    actions,
  };
}

/**
 * Cross-sell after an order-status answer: up to two products often bought with the order's
 * items (labelled "upsell"), and a sponsored one where a campaign fits. Null when nothing is
 * really bought together with them (no filler of merely popular products here).
 */
export function crossSell(deps: { recommender: RecommenderPort; store: Pick<Store, 'products'>; links?: RecommendLinks }): (turn: Turn, productIds: string[]) => Promise<Partial<Activity> | null> {
  return async (turn, productIds) => {
    const l = turn.locale;
    const result = await deps.recommender.recommend({ customerId: turn.customer.id, locale: l, k: 2, with: productIds, intent: turn.nlu.intent, text: turn.text });
    const items = result.items.filter((i) => i.reason.kind === 'together');
    if (items.length === 0) return null;
    const anchors = new Map((await deps.store.products.getMany(items.map((i) => (i.reason.kind === 'together' ? i.reason.productId : '')))).map((p) => [p.id, p.title[l]]));
    const cards: ProductCard[] = items.map((it) => {
      const anchor = it.reason.kind === 'together' ? anchors.get(it.reason.productId) : undefined;
      return { ...cardFor(deps.links, turn, it.product, 'upsell', anchor ? T.reason.together[l](anchor) : T.reason.popular[l]), label: 'upsell' as const };
    });
    if (result.sponsored) cards.push({ ...cardFor(deps.links, turn, result.sponsored.product, `ad:${result.sponsored.campaign.id}`, T.reason.sponsored[l], result.sponsored.price), label: 'sponsored' });
    const names = items.map((i) => i.product.title[l]).join(l === 'zh' ? '、' : ', ');
    return message(l, `${T.crossSell[l]} ${names}`, { attachments: cards.map(productCardAttachment) });
  };
}


/**
 * The catalogue's attribute index, read from the store and kept for CATALOGUE_TTL_MS; a stale
 * one answers while a fresh one is read. Undefined when the catalogue cannot be read at all
 * (the skill then filters by category and price only, as the recommender does).
 */
function catalogueIndex(products: Pick<Store['products'], 'list'>): () => Promise<ProductAttributeIndex | undefined> {
  let index: ProductAttributeIndex | undefined;
  let at = 0;
  let loading: Promise<ProductAttributeIndex | undefined> | undefined;
  const load = (): Promise<ProductAttributeIndex | undefined> => {
    loading ??= listAll((page) => products.list({}, page))
      .then((list) => {
        index = ProductAttributeIndex.build(list);
        at = Date.now();
        return index;
      })
      .catch(() => index)
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  return async () => {
    if (index && Date.now() - at <= CATALOGUE_TTL_MS) return index;
    const pending = load();
    return index ?? pending;
  };
}

/** What the skill makes of one message (read once per turn: followUp and handle share it). */
interface Reading {
  follow: Asked | undefined;
  /** The attributes the message names, outside any product it names. */
  named: AttributeConstraint[];
  /** A kind of product with what it should be ("防水的跑鞋"), whatever the intent classifier made of it. */
  request: boolean;
}

/** The catalogue matcher's lexical category matches score 0.8 or more; vector guesses less. */
const LEXICAL_CATEGORY = 0.8;

/**
 * The product the shopper named, if any. A product entity is only sometimes one: the vector
 * index's nearest product for "black leather bags" or "womens running shoes" is a kind of
 * product, told apart by the words the message shares with the product's title.
 */
function namedProduct(turn: Turn, index: ProductAttributeIndex | undefined): { value: string; score: number; text: string; start: number; end: number } | undefined {
  const e = entityOf(turn, 'product');
  if (!e || e.score < 0.5) return undefined;
  if (index?.get(e.value)) return index.namesProduct(e.value, e.text) ? e : undefined;
  return e.score >= 0.7 ? e : undefined;
}

/**
 * The category the message is about: the one it names; else the one of a product it merely
 * resembles; else a category word the matcher leaves to others ("鞋": running shoes or
 * sneakers, whichever the named attributes fit). `named` when a word of the message names it.
 */
function categoryOf(turn: Turn, index: ProductAttributeIndex | undefined, attributes: AttributeConstraint[] = []): { value: string; named: boolean } | undefined {
  const c = entityOf(turn, 'category');
  if (c) return { value: c.value, named: c.score >= LEXICAL_CATEGORY };
  const near = entityOf(turn, 'product');
  const category = near && !namedProduct(turn, index) ? index?.get(near.value)?.category : undefined;
  if (category) return { value: category, named: false };
  const candidates = [...new Set(KIND_WORDS.filter((k) => k.re.test(turn.text)).flatMap((k) => k.categories))];
  if (candidates.length === 0 || !index) return undefined;
  const fits = (cat: string) => index.matching({ category: cat, attributes: attributes.filter((a) => !a.not) }).length;
  const best = candidates.map((cat) => ({ cat, n: fits(cat) })).sort((a, b) => b.n - a.n)[0]!;
  return best.n > 0 ? { value: best.cat, named: true } : undefined;
}

/**
 * The catalogue's attribute index for a product repository, one per repository (the recommend
 * and catalog skills share it): read from the store and kept for CATALOGUE_TTL_MS; a stale one
 * answers while a fresh one is read. Undefined when the catalogue cannot be read at all (the
 * skills then filter by category and price only, as the recommender does).
 */
export function catalogueIndexOf(products: Pick<Store['products'], 'list'>): () => Promise<ProductAttributeIndex | undefined> {
  const known = indexes.get(products);
  if (known) return known;
  const made = catalogueIndex(products);
  indexes.set(products, made);
  return made;
}
const indexes = new WeakMap<object, () => Promise<ProductAttributeIndex | undefined>>();

/** Category words (one-character ones too, "鞋"), for telling a follow-up from a request about another kind. */
const KIND_WORDS: Array<{ re: RegExp; categories: string[] }> = [
  ...Object.keys(CATEGORY_SYNONYMS).map((category) => ({ phrases: Object.hasOwn(CATEGORY_SYNONYMS, category) ? (CATEGORY_SYNONYMS[category] ?? []) : [], categories: [category] })),
  ...SHARED_SYNONYMS,
].flatMap(({ phrases, categories }) =>
  phrases.map((p) => ({ re: new RegExp(/^[A-Za-z]/.test(p) ? `(?<![A-Za-z])${escapeRegExp(p)}(?![A-Za-z])` : escapeRegExp(p), 'i'), categories })),
);

/** Whether the message names a kind of product other than `category` ("女生跑步穿什么鞋好" over a list of earphones). */
function namesOtherKind(text: string, category: string | undefined): boolean {
  const kinds = KIND_WORDS.filter((k) => k.re.test(text));
  return kinds.length > 0 && (category === undefined || !kinds.some((k) => k.categories.includes(category)));
}

/** Where an entity is in the turn's text (the NLU's offsets, checked; else found by its text). */
function spanIn(text: string, e: { text: string; start: number; end: number }): { start: number; end: number } {
  if (text.slice(e.start, e.end) === e.text) return { start: e.start, end: e.end };
  const at = e.text ? text.indexOf(e.text) : -1;
  return at >= 0 ? { start: at, end: at + e.text.length } : { start: 0, end: 0 };
}

/**
 * Product recommendations: "recommend running shoes under 500元", "noise cancelling headphones",
 * "防水的跑鞋", "something like the Aero 3", "what goes with this", "cheaper ones", "贵一点的",
 * "another brand", "in black?", "show more". The category, the price bounds and every attribute
 * the shopper names are HARD filters applied before anything is ranked — the sponsored card
 * included; when nothing fits, the reply says so and offers the closest products, naming the
 * one constraint it loosened. Answers with product cards (a reason on each, "More like this"
 * and "Add to cart" buttons), a clearly labelled sponsored card where a campaign fits, and
 * quick replies. What the shopper picks steers the next lists, and a follow-up keeps the
 * constraints of the list before it.
 */
export function recommendSkill(deps: { recommender: RecommenderPort; store: Pick<Store, 'products' | 'interactions'>; links?: RecommendLinks }): Skill {
  const catalogue = catalogueIndexOf(deps.store.products);
  const readings = new WeakMap<Turn, { text: string; reading: Promise<Reading> }>();

  const read = (turn: Turn): Promise<Reading> => {
    const cached = readings.get(turn);
    if (cached && cached.text === turn.text) return cached.reading;
    const reading = understand(turn);
    readings.set(turn, { text: turn.text, reading });
    return reading;
  };

  const understand = async (turn: Turn): Promise<Reading> => {
    const text = turn.text.trim();
    const index = await catalogue();
    const named = namedProduct(turn, index);
    const namesProduct = named !== undefined;
    const protect = named ? [spanIn(turn.text, named)] : [];
    const attributes = index ? index.extract(turn.text, { protect }) : [];
    const category = categoryOf(turn, index, attributes);
    const range = entityOf(turn, 'price_range');
    const sure = OTHER_INTENTS.has(turn.nlu.intent) && turn.nlu.confidence >= 0.5 && !REQUEST_CUE.test(text);
    const aside = sure || NOT_A_REQUEST.test(text) || SIZE_QUESTION.test(text) || asksWhichSize(text) || entityOf(turn, 'order_number') !== undefined;
    const informative = index && category ? index.informative(attributes, category.value) : attributes;
    const asks = REQUEST_CUE.test(text);
    const request =
      !!category &&
      !namesProduct &&
      !aside &&
      (informative.some((c) => !c.not) ||
        (asks && attributes.length > 0) ||
        asks ||
        !!range ||
        BUDGET.test(text) ||
        // A listing reading counts only when the classifier is not guessing ("跑鞋前面要留多少空间呀" read as recommend at 0.24).
        (LISTING_INTENTS.has(turn.nlu.intent) && turn.nlu.intent !== 'product_question' && turn.nlu.confidence >= LISTING_MIN_CONFIDENCE));
    const out = (follow?: Asked): Reading => ({ follow, named: attributes, request });

    const like = MORE_LIKE.exec(text);
    if (like) return out({ ask: 'like', id: like[1]!.toUpperCase(), picked: true });
    const withId = GOES_WITH.exec(text);
    if (withId) return out({ ask: 'with', id: withId[1]!.toUpperCase(), picked: true });
    // "What goes with the Aero 3?" / "有没有和北境 Aero 3 类似的": a product named with a
    // like-this or goes-with cue is a recommendation, whatever the intent classifier says.
    if (named && text.length <= 80) {
      if (WITH_WORDS.test(text)) return out({ ask: 'with', id: named.value });
      if (SIMILAR_TO.test(text)) return out({ ask: 'like', id: named.value });
    }
    const session = activeSession(turn);
    if (!session) return out();
    const sessionCategory = session.category ?? (session.anchor ? index?.get(session.anchor)?.category : undefined);
    // "Cheaper", "another brand": the list's kind unless the message names another category. An
    // attribute follow-up ("in black?") is about another kind even when that is only a guess.
    const sameKind = !category || !category.named || category.value === sessionCategory;
    const sameKindStrict = !category || category.value === sessionCategory;
    if (MORE.test(text)) return out({ ask: 'more' });
    // Short follow-ups to the list on screen win over the classifier ("换个牌子" is no order change here).
    if (sameKind && text.length <= 60 && !NOT_A_REQUEST.test(text) && !SIZE_QUESTION.test(text)) {
      if (CHEAPER.test(text)) return out({ ask: 'cheaper' });
      if (PRICIER.test(text)) return out({ ask: 'pricier' });
      if (OTHER_BRAND.test(text)) return out({ ask: 'brand' });
    }
    if (WITH_WORDS.test(text) && (THIS.test(text) || text.length <= 20)) return out({ ask: 'with' });
    if (LIKE_WORDS.test(text) && (THIS.test(text) || text.length <= 20)) return out({ ask: 'like' });
    // "in black?", "有黑色的吗", "wireless ones?", "under 500?": narrows the list on screen ("do you have
    // it in white?" too, over a list; over one product shown alone it is a question about that product).
    const overList = session.last.length > 1 && !session.anchor;
    if (sameKindStrict && !namesOtherKind(text, sessionCategory) && (attributes.length > 0 || range || BUDGET.test(text)) && !namesProduct && !aside && (overList || !THIS.test(text)) && text.length <= 60) {
      return out({ ask: 'narrow' });
    }
    return out();
  };

  return {
    name: 'recommend',
    intents: ['recommend'],
    canHandle: (turn) => turn.nlu.intent === 'recommend',
    followUp: async (turn) => {
      const r = await read(turn);
      return r.follow !== undefined || r.request;
    },
    handle: async (turn) => {
      const l = turn.locale;
      const index = await catalogue();
      const reading = await read(turn);
      const prior = activeSession(turn);
      const follow: Asked = reading.follow ?? { ask: 'new' };
      const product = namedProduct(turn, index);
      // A new request takes the category it is about; a follow-up only one the message names (not a vector guess).
      const about = categoryOf(turn, index, reading.named);
      const category = about && (about.named || follow.ask === 'new') ? about : undefined;
      const text = turn.text;
      const budget = BUDGET.exec(text);
      const range: { min?: number; max?: number } | undefined = entityOf(turn, 'price_range') ?? (budget ? { max: Number(budget[1]) * (budget[2] ? 1000 : 1) } : undefined);
      const k = 4;
      const m = (amount: number) => money(amount, l);

      // Start from the last list's constraints for a follow-up, from scratch for a new request.
      const keep = follow.ask !== 'new' && prior;
      const s: RecommendSession = {
        ...(keep && prior.category ? { category: prior.category } : {}),
        ...(keep && prior.minPrice !== undefined ? { minPrice: prior.minPrice } : {}),
        ...(keep && prior.maxPrice !== undefined ? { maxPrice: prior.maxPrice } : {}),
        ...(keep && prior.budget ? { budget: prior.budget } : {}),
        attributes: keep && prior.attributes ? [...prior.attributes] : [],
        shown: prior?.shown ?? [],
        last: prior?.last ?? [],
        ...(prior?.lastAd ? { lastAd: prior.lastAd } : {}),
        clicked: prior?.clicked ?? [],
        at: turn.now.toISOString(),
      };
      // One product shown on its own: a follow-up keeps to its category and its kind.
      const anchor = keep && prior.anchor && !prior.category ? index?.get(prior.anchor) : undefined;
      if (anchor && index) {
        s.category = anchor.category;
        if ((s.attributes ?? []).length === 0) s.attributes = index.kindOf(anchor);
      }
      if (category) {
        s.category = category.value;
        if (!range) {
          delete s.minPrice;
          delete s.maxPrice;
        }
      }
      if (category && !range) delete s.budget;
      if (range) s.budget = { ...(range.min !== undefined ? { min: range.min } : {}), ...(range.max !== undefined ? { max: range.max } : {}) };
      const toBudget = () => {
        // Back to the stated budget (a "cheaper"/"pricier" narrowing applies to its own list only).
        if (s.budget?.min !== undefined) s.minPrice = s.budget.min;
        else delete s.minPrice;
        if (s.budget?.max !== undefined) s.maxPrice = s.budget.max;
        else delete s.maxPrice;
      };
      if (range || follow.ask === 'like' || follow.ask === 'with' || follow.ask === 'narrow' || follow.ask === 'brand') toBudget();

      // The attributes this message names: a new request's own; a follow-up's narrow the last list's
      // (replacing one of the same kind: "in white?" after "in black?").
      const named = reading.named;
      if (follow.ask === 'new') s.attributes = [...named];
      else for (const c of named) s.attributes = [...(s.attributes ?? []).filter((x) => groupOf(x) !== groupOf(c)), c];

      const lastOne = s.clicked.at(-1) ?? s.last[0];
      const subject = follow.id ?? product?.value ?? (THIS.test(text) ? lastOne : undefined);
      const lastShown = await productsOf([...(prior?.last ?? []), ...(prior?.lastAd ? [prior.lastAd] : [])]);
      const lastPrices = lastShown.map((p) => p.price);

      if (follow.ask === 'like' || (follow.ask === 'new' && subject && LIKE_WORDS.test(text))) {
        // "Something similar" right after a list: like the one picked last, else the first shown.
        const target = subject ?? lastOne;
        if (target) {
          s.like = target;
          delete s.with;
          if (follow.picked) await recordClick(turn, target, s);
        }
      } else if (follow.ask === 'with' || (follow.ask === 'new' && subject && WITH_WORDS.test(text))) {
        const anchor = subject ?? lastOne;
        if (anchor) {
          s.with = [anchor];
          delete s.like;
          delete s.category;
          s.attributes = [];
          if (follow.picked) await recordClick(turn, anchor, s);
        }
      } else if (follow.ask === 'cheaper' || follow.ask === 'pricier' || follow.ask === 'more' || follow.ask === 'brand' || follow.ask === 'narrow') {
        if (follow.ask === 'cheaper') {
          // Asking for cheaper lifts a stated floor; asking for pricier, a stated ceiling.
          if (s.budget?.min !== undefined) s.budget = { ...(s.budget.max !== undefined ? { max: s.budget.max } : {}) };
          toBudget();
          if (lastPrices.length > 0) s.maxPrice = Math.max(0, Math.min(...lastPrices) - 0.01);
        } else if (follow.ask === 'pricier') {
          if (s.budget?.max !== undefined) s.budget = { ...(s.budget.min !== undefined ? { min: s.budget.min } : {}) };
          toBudget();
          if (lastPrices.length > 0) s.minPrice = Math.max(...lastPrices) + 0.01;
        } else if (follow.ask === 'brand') {
          const brands = [...new Set(lastShown.flatMap((p) => brandOf(p)))];
          s.attributes = [...(s.attributes ?? []).filter((c) => !(c.key === 'brand' && !c.not)), ...brands.filter((b) => !(s.attributes ?? []).some((c) => c.key === 'brand' && c.not && c.value === b)).map((b) => ({ key: 'brand', value: b, not: true }))];
        }
        if (prior?.like) s.like = prior.like;
        if (prior?.with) s.with = prior.with;
      } else if (subject && follow.ask === 'new' && !category) {
        // "Recommend something for my Aero 3" / a product named with no other cue: things like it.
        s.like = subject;
      }
      if (follow.ask === 'new' && !s.like && !s.with && !(s.attributes ?? []).some((c) => c.key === 'feature' && c.value === 'kids')) {
        // Kids' products only for whoever asks for them ("headphones" are not the kids' ones).
        s.attributes = [...(s.attributes ?? []), { key: 'feature', value: 'kids', not: true, implied: true }];
      }
      if (index) s.attributes = index.informative(s.attributes ?? [], s.category);

      const query: ProductQuery = {
        ...(s.category ? { category: s.category } : {}),
        ...(s.minPrice !== undefined ? { minPrice: s.minPrice } : {}),
        ...(s.maxPrice !== undefined ? { maxPrice: s.maxPrice } : {}),
        attributes: s.attributes ?? [],
      };
      const clickedHere = await recentClicks(turn, s.clicked);
      const exclude = follow.ask === 'more' || follow.ask === 'cheaper' || follow.ask === 'pricier' ? s.shown : follow.ask === 'new' || follow.ask === 'narrow' ? [] : s.last;
      const excluded = new Set([...exclude, ...(s.like ? [s.like] : []), ...(s.with ?? [])]);
      const constrained = index !== undefined && (query.attributes.length > 0 || query.category !== undefined || query.minPrice !== undefined || query.maxPrice !== undefined);
      let fitting = constrained ? index.matching(query) : undefined;
      let fresh = fitting?.filter((p) => !excluded.has(p.id));
      if (index && fresh && fresh.length === 0 && follow.ask === 'new' && query.attributes.some((c) => c.implied)) {
        // Only an assumption stood in the way (only kids' products fit): drop it, silently.
        const assumed: ProductQuery = { ...query, attributes: query.attributes.filter((c) => !c.implied) };
        const withKids = index.matching(assumed);
        if (withKids.some((p) => !excluded.has(p.id))) {
          query.attributes = assumed.attributes;
          s.attributes = query.attributes;
          fitting = withKids;
          fresh = fitting.filter((p) => !excluded.has(p.id));
        }
      }

      if (index && fitting && fresh && fresh.length === 0) {
        await deadEnd(index);
        return;
      }

      const result = await deps.recommender.recommend({
        customerId: turn.customer.id,
        locale: l,
        k,
        ...(s.category ? { category: s.category } : {}),
        ...(s.minPrice !== undefined ? { minPrice: s.minPrice } : {}),
        ...(s.maxPrice !== undefined ? { maxPrice: s.maxPrice } : {}),
        ...(s.like ? { like: s.like } : {}),
        ...(s.with ? { with: s.with } : {}),
        ...(fitting && query.attributes.length > 0 ? { only: fitting.map((p) => p.id) } : {}),
        exclude,
        clicked: clickedHere,
        intent: 'recommend',
        text,
      });
      // Whatever the recommender behind the port does: only what fits is shown, the ad included.
      const fits = (p: Product) => !index || !constrained || (p.stock > 0 && index.fits(p, query));
      let items = result.items.filter((it) => fits(it.product));
      if (items.length === 0 && fresh && fresh.length > 0) {
        // The recommender had nothing it would rank (all bought or clicked already): what fits, plainly.
        const ordered = follow.ask === 'cheaper' ? [...fresh].sort((a, b) => b.price - a.price) : follow.ask === 'pricier' ? [...fresh].sort((a, b) => a.price - b.price) : fresh;
        items = ordered.slice(0, k).map((p) => ({ product: p, score: 0, reason: { kind: 'popular' } as const }));
        await recordImpressions(turn, items.map((i) => i.product.id));
      }
      // The ad fits too and is not already on the list (a product shows once).
      const sponsored = result.sponsored && fits(result.sponsored.product) && !items.some((it) => it.product.id === result.sponsored!.product.id) ? result.sponsored : null;

      if (items.length === 0) {
        turn.session.recommend = s;
        const widen: QuickReplyOption[] = [{ title: T.quick.more[l], value: l === 'zh' ? '推荐点别的' : 'Recommend something else' }];
        await reply(turn, follow.ask === 'cheaper' ? T.noneCheaper : T.none, { quickReplies: widen });
        return;
      }

      const titleOf = async (id: string) => (await deps.store.products.get(id))?.title[l] ?? id;
      let intro: string;
      if (result.mode === 'similar' && s.like) intro = T.intro.similar[l](await titleOf(s.like));
      else if (result.mode === 'together' && s.with) intro = T.intro.together[l](await titleOf(s.with[0]!));
      else intro = T.intro[result.mode === 'popular' ? 'popular' : 'personal'][l];
      const labels = index ? query.attributes.filter((c) => !(c.not && c.key === 'brand')).map((c) => index.label(c, l)).filter(Boolean) : [];
      const bounds = [...labels, s.minPrice !== undefined ? T.from[l](money(Math.floor(s.minPrice), l)) : '', s.maxPrice !== undefined ? T.under[l](money(Math.ceil(s.maxPrice), l)) : '']
        .filter(Boolean)
        .join(l === 'zh' ? '，' : ', ');
      const header = `${intro}${bounds ? (l === 'zh' ? `（${bounds}）` : ` (${bounds})`) : ''}${l === 'zh' ? '：' : ':'}`;
      const reasons = await Promise.all(items.map((it) => reasonText(it, l, clickedHere)));
      await show(
        items.map((it, n) => ({ product: it.product, reason: reasons[n]! })),
        sponsored,
        header,
      );

      /** Sends the list (cards, the labelled ad, quick replies) and remembers it as the last list. */
      async function show(list: Array<{ product: Product; reason: string }>, ad: RecommendResult['sponsored'], headline: string): Promise<void> {
        const shownIds = list.map((x) => x.product.id);
        s.last = shownIds;
        if (ad) s.lastAd = ad.product.id;
        else delete s.lastAd;
        s.shown = [...new Set([...s.shown, ...shownIds, ...(ad ? [ad.product.id] : [])])].slice(-60);
        turn.session.recommend = s;
        const lines = list.map((x, n) => `${n + 1}. ${x.product.title[l]} · ${formatMoney(x.product.price, x.product.currency, l)}`);
        let body = `${headline}\n${lines.join('\n')}`;
        if (ad) body += `\n${T.sponsoredNote[l]} ${ad.product.title[l]} · ${formatMoney(ad.product.price, ad.product.currency, l)}`;
        const cards: ProductCard[] = list.map((x) => cardFor(deps.links, turn, x.product, 'recommendation', x.reason));
        if (ad) cards.push({ ...cardFor(deps.links, turn, ad.product, `ad:${ad.campaign.id}`, T.reason.sponsored[l], ad.price), label: 'sponsored' });
        await reply(turn, body, { attachments: cards.map(productCardAttachment), quickReplies: quickFor(shownIds[0]) });
      }

      function quickFor(first: string | undefined): QuickReplyOption[] {
        const quick: QuickReplyOption[] = [
          { title: T.quick.cheaper[l], value: T.quick.cheaper[l] },
          { title: T.quick.more[l], value: T.quick.more[l] },
        ];
        if (first) {
          quick.push({ title: T.buttons.more[l], value: `${l === 'zh' ? '类似' : 'More like'} ${first}` });
          quick.push({ title: T.quick.with[l], value: `${l === 'zh' ? '搭配' : 'Goes with'} ${first}` });
        }
        return quick;
      }

      /**
       * Nothing in stock fits: say so, honestly, and offer the closest — for "cheaper"/"pricier"
       * the nearest-priced products that fit; for "another brand" the other products that fit;
       * otherwise one constraint loosened at a time, naming it. Never an unrelated list.
       */
      async function deadEnd(idx: ProductAttributeIndex): Promise<void> {
        const lastSet = new Set([...(prior?.last ?? []), ...(prior?.lastAd ? [prior.lastAd] : [])]);
        const budgetQuery: ProductQuery = {
          ...query,
          ...(s.budget?.min !== undefined ? { minPrice: s.budget.min } : { minPrice: undefined }),
          ...(s.budget?.max !== undefined ? { maxPrice: s.budget.max } : { maxPrice: undefined }),
        };
        if (budgetQuery.minPrice === undefined) delete budgetQuery.minPrice;
        if (budgetQuery.maxPrice === undefined) delete budgetQuery.maxPrice;
        const restorePrices = () => {
          if (prior?.minPrice !== undefined) s.minPrice = prior.minPrice;
          else delete s.minPrice;
          if (prior?.maxPrice !== undefined) s.maxPrice = prior.maxPrice;
          else delete s.maxPrice;
        };

        if (follow.ask === 'cheaper' || follow.ask === 'pricier') {
          const cheaper = follow.ask === 'cheaper';
          const x = idx.describe(budgetQuery, l, m);
          const said = (cheaper ? T.lowest : T.highest)[l](x);
          const ref = lastPrices.length > 0 ? (cheaper ? Math.min(...lastPrices) : Math.max(...lastPrices)) : 0;
          restorePrices();
          s.last = prior?.last ?? [];
          const nearest = (list: Product[]) => [...list].sort((a, b) => Math.abs(a.price - ref) - Math.abs(b.price - ref) || a.price - b.price).slice(0, k);
          // Where one attribute less would give cheaper (pricier) ones, say so: the shopper decides.
          const relaxed = idx.relax(query, { exclude: lastSet });
          const loosened =
            relaxed && !relaxed.price && !relaxed.category && (relaxed.near || (relaxed.dropped.length > 0 && relaxed.dropped.every((c) => !c.implied && !(c.not && c.key === 'brand')))) ? relaxed : null;
          const edge = loosened ? money(cheaper ? Math.min(...loosened.products.map((p) => p.price)) : Math.max(...loosened.products.map((p) => p.price)), l) : '';
          const hint = !loosened
            ? ''
            : loosened.near
              ? `\n${(cheaper ? T.hintCheaperNear : T.hintPricierNear)[l](idx.label({ ...loosened.near, near: true }, l), edge)}`
              : `\n${(cheaper ? T.hintCheaper : T.hintPricier)[l](labelsOf(idx, loosened.dropped), edge)}`;
          // The nearest-priced products that fit: others within the budget, else beyond it, else the ones on screen.
          const unbounded: ProductQuery = { ...budgetQuery };
          delete unbounded.minPrice;
          delete unbounded.maxPrice;
          const options: Array<[Product[], Bilingual]> = [
            [idx.matching(budgetQuery).filter((p) => !lastSet.has(p.id)), T.nearestPriced],
            [idx.matching(unbounded).filter((p) => !lastSet.has(p.id)), T.nearestBeyondBudget],
            [idx.matching(budgetQuery), cheaper ? T.fittingCheapest : T.fittingPriciest],
          ];
          for (const [list, lead] of options) {
            if (list.length === 0) continue;
            const alternatives = nearest(list);
            await recordImpressions(turn, alternatives.map((p) => p.id));
            await show(alternatives.map((p) => ({ product: p, reason: T.reason.nearest[l] })), null, `${said}${hint}\n${lead[l]}`);
            return;
          }
          if (loosened) {
            const lead = loosened.near ? T.relaxed.near[l](idx.label({ ...loosened.near, near: true }, l), idx.label(loosened.near, l)) : (cheaper ? T.cheaperWithout : T.pricierWithout)[l](labelsOf(idx, loosened.dropped));
            await showRelaxed(loosened, `${said}\n${lead}`, true);
            return;
          }
          turn.session.recommend = s;
          await reply(turn, said, { quickReplies: quickFor(s.last[0]) });
          return;
        }

        if (follow.ask === 'brand') {
          const brands = [...new Set(lastShown.flatMap((p) => brandOf(p)))].map((b) => idx.brandName(b, l));
          const withoutNew = (s.attributes ?? []).filter((c) => !(c.key === 'brand' && c.not && !(prior?.attributes ?? []).some((x) => x.key === 'brand' && x.not && x.value === c.value)));
          const base: ProductQuery = { ...query, attributes: withoutNew };
          s.attributes = withoutNew;
          const said = T.onlyBrands[l](idx.describe(base, l, m), brands.join(T.list[l]));
          const others = idx.matching(base).filter((p) => !lastSet.has(p.id)).slice(0, k);
          if (others.length > 0) {
            await recordImpressions(turn, others.map((p) => p.id));
            await show(others.map((p) => ({ product: p, reason: T.reason.fits[l] })), null, said);
            return;
          }
          // Nothing else fits: the closest from other brands, one constraint loosened (the brand wish kept).
          const relaxed = idx.relax(query, { exclude: lastSet, pinned: query.attributes.filter((c) => c.key === 'brand' && c.not) });
          if (relaxed && !relaxed.category) {
            await showRelaxed(relaxed, `${said}\n${relaxText(idx, relaxed)}`, true);
            return;
          }
          s.last = prior?.last ?? [];
          turn.session.recommend = s;
          await reply(turn, said, { quickReplies: quickFor(s.last[0]) });
          return;
        }

        if (follow.ask === 'more' && fitting && fitting.length > 0) {
          turn.session.recommend = s;
          await reply(turn, T.allShown[l](idx.describe(query, l, m)), { quickReplies: quickFor(s.last[0]) });
          return;
        }

        const said = T.notFound[l](idx.describe(query, l, m));
        const relaxed = idx.relax(query, { pinned: follow.ask === 'narrow' ? named : [], exclude: new Set([...(s.like ? [s.like] : []), ...(s.with ?? [])]) });
        if (!relaxed) {
          turn.session.recommend = s;
          const widen: QuickReplyOption[] = [{ title: T.quick.more[l], value: l === 'zh' ? '推荐点别的' : 'Recommend something else' }];
          await reply(turn, `${said} ${T.none[l]}`, { quickReplies: widen });
          return;
        }
        await showRelaxed(relaxed, `${said}\n${relaxText(idx, relaxed)}`, true);
      }

      /** The closest products after loosening: ranked by the recommender unless nearest prices decide. */
      async function showRelaxed(relaxed: Relaxation, headline: string, remember: boolean): Promise<void> {
        if (remember) {
          // The list on screen is the loosened one: follow-ups ("cheaper") work from it.
          s.attributes = relaxed.query.attributes;
          if (relaxed.price) {
            delete s.minPrice;
            delete s.maxPrice;
            delete s.budget;
          }
          if (relaxed.category) delete s.category;
        }
        let list: Array<{ product: Product; reason: string }> = [];
        let ad: RecommendResult['sponsored'] = null;
        if (!relaxed.price) {
          const ranked = await deps.recommender.recommend({
            customerId: turn.customer.id,
            locale: l,
            k,
            only: relaxed.products.map((p) => p.id),
            exclude: [...(s.like ? [s.like] : []), ...(s.with ?? [])],
            clicked: clickedHere,
            intent: 'recommend',
            text,
          });
          const allowed = new Set(relaxed.products.map((p) => p.id));
          const items = ranked.items.filter((it) => allowed.has(it.product.id));
          const reasons = await Promise.all(items.map((it) => reasonText(it, l, clickedHere)));
          list = items.map((it, n) => ({ product: it.product, reason: reasons[n]! }));
          ad = ranked.sponsored && allowed.has(ranked.sponsored.product.id) && !items.some((it) => it.product.id === ranked.sponsored!.product.id) ? ranked.sponsored : null;
        }
        if (list.length === 0) {
          list = relaxed.products.slice(0, k).map((p) => ({ product: p, reason: relaxed.price ? T.reason.nearest[l] : T.reason.fits[l] }));
          await recordImpressions(turn, list.map((x) => x.product.id));
        }
        await show(list, ad, headline);
      }

      async function reasonText(it: RecommendedProduct, locale: Locale, clicked: string[]): Promise<string> {
        const r = it.reason;
        switch (r.kind) {
          case 'because':
            return clicked.includes(r.productId) ? T.reason.viewed[locale](await titleOf(r.productId)) : T.reason.because[locale](await titleOf(r.productId));
          case 'together':
            return T.reason.together[locale](await titleOf(r.productId));
          case 'similar':
            return T.reason.similar[locale];
          case 'popular':
            return T.reason.popular[locale];
          default:
            return T.reason.for_you[locale];
        }
      }

      function relaxText(idx: ProductAttributeIndex, r: Relaxation): string {
        if (r.category) return T.relaxed.category[l];
        if (r.near) return T.relaxed.near[l](idx.label({ ...r.near, near: true }, l), idx.label(r.near, l));
        if (r.dropped.length > 0) return (r.price ? T.relaxed.droppedPrice : T.relaxed.dropped)[l](labelsOf(idx, r.dropped));
        return T.relaxed.price[l];
      }

      function labelsOf(idx: ProductAttributeIndex, list: AttributeConstraint[]): string {
        const names = list.map((c) => idx.label(c, l)).filter(Boolean);
        return names.length > 0 ? names.join(T.list[l]) : l === 'zh' ? '部分条件' : 'some of what you asked for';
      }
    },
  };

  async function productsOf(ids: string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    try {
      return await deps.store.products.getMany(ids);
    } catch {
      return [];
    }
  }

  /** Impressions of a list the skill picked itself (the recommender records its own). */
  async function recordImpressions(turn: Turn, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await deps.store.interactions.recordMany(ids.map((productId) => ({ customerId: turn.customer.id, productId, type: 'impression' as const, source: 'recommendation', createdAt: turn.now })));
    } catch {
      // Losing impressions must not lose the answer.
    }
  }

  /** A pick in the conversation is a click: stored (the model learns from it) and remembered. */
  async function recordClick(turn: Turn, productId: string, s: RecommendSession): Promise<void> {
    try {
      await deps.store.interactions.record({ customerId: turn.customer.id, productId, type: 'click', source: 'chat', createdAt: turn.now });
    } catch {
      // Losing one click signal must not lose the answer.
    }
    s.clicked = [...s.clicked.filter((x) => x !== productId), productId].slice(-20);
  }

  /** This conversation's picks plus link clicks the tracker stored in the last hour. */
  async function recentClicks(turn: Turn, picked: string[]): Promise<string[]> {
    const since = new Date(turn.now.getTime() - SESSION_MINUTES * 60_000);
    try {
      const page = await deps.store.interactions.list({ customerId: turn.customer.id, type: 'click', from: since }, { limit: 20 });
      return [...new Set([...page.items.map((i) => i.productId), ...picked])];
    } catch {
      return picked;
    }
  }
}

function brandOf(p: Product): string[] {
  const b = p.attributes && Object.hasOwn(p.attributes, 'brand') ? p.attributes['brand'] : undefined;
  return typeof b === 'string' && b.trim() !== '' ? [b] : [];
}
