import type { Activity } from 'botbuilder-core';
import type { Locale, Product, Store } from '../store/index.js';
import type { RecommendQuery, RecommendResult, RecommendedProduct } from '../recommender/service.js';
import { productCardAttachment, type CardButton, type ProductCard } from './cards.js';
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
  /** Everything shown so far (never shown twice), and the last list, in order. */
  shown: string[];
  last: string[];
  /** What the shopper picked ("more like this"), newest last: steers the next lists. */
  clicked: string[];
  at: string;
}

type Ask = 'more' | 'cheaper' | 'like' | 'with' | 'new';
/** What the turn asks; `picked` when it came from a button (a click to learn from), not typed. */
type Asked = { ask: Ask; id?: string; picked?: boolean };

const ID = String.raw`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)`;
const MORE_LIKE = new RegExp(String.raw`^(?:more like|similar to|类似|相似)\s*${ID}\s*$`, 'i');
const GOES_WITH = new RegExp(String.raw`^(?:goes with|搭配)\s*${ID}\s*$`, 'i');
const CHEAPER = /cheaper|less expensive|lower price|more affordable|便宜|实惠|低一点|划算一点/i;
const LIKE_WORDS = /\b(?:like (?:this|that|it|the)|similar|same kind|alternatives? to)\b|类似|相似|差不多|一样的|同款/i;
/** Stricter than LIKE_WORDS, for a product named without a list on screen ("I'd like the Aero 3" is not one). */
const SIMILAR_TO = /\b(?:similar to|something like|anything like|alternatives? to|same kind as)\b|类似|相似|差不多|同款/i;
const WITH_WORDS = /\b(?:go(?:es)? (?:well )?with|pair(?:s)? with|match(?:es)? with|to wear with|complete the look)\b|搭配|配什么|配啥|配哪/i;
const MORE = /^(?:more|show (?:me )?more|others?|something else|anything else|next|换一批|更多|还有吗|还有别的吗|再来几个|别的)[\s!.?！。？]*$/i;
const THIS = /\b(?:this|that|it|these|them)\b|这个|这款|这件|这双|它/i;

/** How long "cheaper ones" still refers to the last list. */
const SESSION_MINUTES = 60;

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
  reason: {
    because: { en: (t: string) => `Because you bought ${t}`, zh: (t: string) => `因为您买过「${t}」` },
    viewed: { en: (t: string) => `Like ${t}, which you picked`, zh: (t: string) => `与您选过的「${t}」相似` },
    similar: { en: 'Similar style and use', zh: '风格用途相似' },
    together: { en: (t: string) => `Often bought with ${t}`, zh: (t: string) => `常与「${t}」一起购买` },
    popular: { en: 'Popular with shoppers', zh: '大家都在买' },
    for_you: { en: 'Matches your taste', zh: '符合您的喜好' },
    sponsored: { en: 'Sponsored', zh: '广告' },
  },
  buttons: {
    more: { en: 'More like this', zh: '找相似' },
    cart: { en: 'Add to cart', zh: '加入购物车' },
  },
  quick: {
    cheaper: { en: 'Cheaper ones', zh: '便宜一点的' },
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
 * Product recommendations: "recommend running shoes under 500元", "something like the
 * Aero 3", "what goes with this", "cheaper ones", "show more". Uses the NLU's category,
 * price range, product and money entities; answers with product cards (a reason on each,
 * "More like this" and "Add to cart" buttons), a clearly labelled sponsored card where a
 * campaign fits, and quick replies. What the shopper picks steers the next lists, and a
 * follow-up ("cheaper ones") keeps the filters of the list before it.
 */
export function recommendSkill(deps: { recommender: RecommenderPort; store: Pick<Store, 'products' | 'interactions'>; links?: RecommendLinks }): Skill {
  const understand = (turn: Turn): Asked | undefined => {
    const text = turn.text.trim();
    const like = MORE_LIKE.exec(text);
    if (like) return { ask: 'like', id: like[1]!.toUpperCase(), picked: true };
    const withId = GOES_WITH.exec(text);
    if (withId) return { ask: 'with', id: withId[1]!.toUpperCase(), picked: true };
    // "What goes with the Aero 3?" / "有没有和北境 Aero 3 类似的": a product named with a
    // like-this or goes-with cue is a recommendation, whatever the intent classifier says.
    const named = entityOf(turn, 'product');
    if (named && named.score >= 0.5 && text.length <= 80) {
      if (WITH_WORDS.test(text)) return { ask: 'with', id: named.value };
      if (SIMILAR_TO.test(text)) return { ask: 'like', id: named.value };
    }
    const session = activeSession(turn);
    if (!session) return undefined;
    if (MORE.test(text)) return { ask: 'more' };
    if (CHEAPER.test(text) && text.length <= 40) return { ask: 'cheaper' };
    if (WITH_WORDS.test(text) && (THIS.test(text) || text.length <= 20)) return { ask: 'with' };
    if (LIKE_WORDS.test(text) && (THIS.test(text) || text.length <= 20)) return { ask: 'like' };
    return undefined;
  };

  return {
    name: 'recommend',
    intents: ['recommend'],
    canHandle: (turn) => turn.nlu.intent === 'recommend',
    followUp: (turn) => understand(turn) !== undefined,
    handle: async (turn) => {
      const l = turn.locale;
      const prior = activeSession(turn);
      const follow: Asked = understand(turn) ?? { ask: 'new' };
      const product = entityOf(turn, 'product');
      const category = entityOf(turn, 'category');
      const range = entityOf(turn, 'price_range');
      const text = turn.text;

      // Start from the last list's filters for a follow-up, from scratch for a new request.
      const keep = follow.ask !== 'new' && prior;
      const s: RecommendSession = {
        ...(keep && prior.category ? { category: prior.category } : {}),
        ...(keep && prior.minPrice !== undefined ? { minPrice: prior.minPrice } : {}),
        ...(keep && prior.maxPrice !== undefined ? { maxPrice: prior.maxPrice } : {}),
        ...(keep && prior.budget ? { budget: prior.budget } : {}),
        shown: prior?.shown ?? [],
        last: prior?.last ?? [],
        clicked: prior?.clicked ?? [],
        at: turn.now.toISOString(),
      };
      if (category) {
        s.category = category.value;
        if (!range) {
          delete s.minPrice;
          delete s.maxPrice;
        }
      }
      if (category && !range) delete s.budget;
      if (range) s.budget = { ...(range.min !== undefined ? { min: range.min } : {}), ...(range.max !== undefined ? { max: range.max } : {}) };
      if (range || follow.ask === 'like' || follow.ask === 'with') {
        // Back to the stated budget (a "cheaper ones" narrowing applies to its own list only).
        if (s.budget?.min !== undefined) s.minPrice = s.budget.min;
        else delete s.minPrice;
        if (s.budget?.max !== undefined) s.maxPrice = s.budget.max;
        else delete s.maxPrice;
      }
      const lastOne = s.clicked.at(-1) ?? s.last[0];
      const subject = follow.id ?? (product && product.score >= 0.5 ? product.value : undefined) ?? (THIS.test(text) ? lastOne : undefined);

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
          if (follow.picked) await recordClick(turn, anchor, s);
        }
      } else if (follow.ask === 'cheaper') {
        const prices = await lastPrices(s.last);
        if (prices.length > 0) s.maxPrice = Math.max(0, Math.min(...prices) - 0.01);
        if (prior?.like) s.like = prior.like;
        if (prior?.with) s.with = prior.with;
      } else if (follow.ask === 'more') {
        if (prior?.like) s.like = prior.like;
        if (prior?.with) s.with = prior.with;
      } else if (subject && follow.ask === 'new' && !category) {
        // "Recommend something for my Aero 3" / a product named with no other cue: things like it.
        s.like = subject;
      }

      const clickedHere = await recentClicks(turn, s.clicked);
      const exclude = follow.ask === 'more' || follow.ask === 'cheaper' ? s.shown : follow.ask === 'new' ? [] : s.last;
      const result = await deps.recommender.recommend({
        customerId: turn.customer.id,
        locale: l,
        k: 4,
        ...(s.category ? { category: s.category } : {}),
        ...(s.minPrice !== undefined ? { minPrice: s.minPrice } : {}),
        ...(s.maxPrice !== undefined ? { maxPrice: s.maxPrice } : {}),
        ...(s.like ? { like: s.like } : {}),
        ...(s.with ? { with: s.with } : {}),
        exclude,
        clicked: clickedHere,
        intent: 'recommend',
        text,
      });

      if (result.items.length === 0) {
        turn.session.recommend = s;
        const widen: QuickReplyOption[] = [{ title: T.quick.more[l], value: l === 'zh' ? '推荐点别的' : 'Recommend something else' }];
        await reply(turn, follow.ask === 'cheaper' ? T.noneCheaper : T.none, { quickReplies: widen });
        return;
      }

      const shownIds = result.items.map((i) => i.product.id);
      s.last = shownIds;
      s.shown = [...new Set([...s.shown, ...shownIds, ...(result.sponsored ? [result.sponsored.product.id] : [])])].slice(-60);
      turn.session.recommend = s;

      const titleOf = async (id: string) => (await deps.store.products.get(id))?.title[l] ?? id;
      let intro: string;
      if (result.mode === 'similar' && s.like) intro = T.intro.similar[l](await titleOf(s.like));
      else if (result.mode === 'together' && s.with) intro = T.intro.together[l](await titleOf(s.with[0]!));
      else intro = T.intro[result.mode === 'popular' ? 'popular' : 'personal'][l];
      const bounds = [s.minPrice !== undefined ? T.from[l](money(s.minPrice, l)) : '', s.maxPrice !== undefined ? T.under[l](money(Math.ceil(s.maxPrice), l)) : '']
        .filter(Boolean)
        .join(l === 'zh' ? '，' : ', ');
      const lines = result.items.map((it, n) => `${n + 1}. ${it.product.title[l]} · ${formatMoney(it.product.price, it.product.currency, l)}`);
      let body = `${intro}${bounds ? (l === 'zh' ? `（${bounds}）` : ` (${bounds})`) : ''}${l === 'zh' ? '：' : ':'}\n${lines.join('\n')}`;
      if (result.sponsored) body += `\n${T.sponsoredNote[l]} ${result.sponsored.product.title[l]} · ${formatMoney(result.sponsored.product.price, result.sponsored.product.currency, l)}`;

      const reasons = await Promise.all(result.items.map((it) => reasonText(it, l, clickedHere)));
      const cards: ProductCard[] = result.items.map((it, n) => cardFor(deps.links, turn, it.product, 'recommendation', reasons[n]!));
      if (result.sponsored) {
        const ad = result.sponsored;
        cards.push({ ...cardFor(deps.links, turn, ad.product, `ad:${ad.campaign.id}`, T.reason.sponsored[l], ad.price), label: 'sponsored' });
      }
      const quick: QuickReplyOption[] = [
        { title: T.quick.cheaper[l], value: T.quick.cheaper[l] },
        { title: T.quick.more[l], value: T.quick.more[l] },
        { title: T.buttons.more[l], value: `${l === 'zh' ? '类似' : 'More like'} ${shownIds[0]}` },
        { title: T.quick.with[l], value: `${l === 'zh' ? '搭配' : 'Goes with'} ${shownIds[0]}` },
      ];
      await reply(turn, body, { attachments: cards.map(productCardAttachment), quickReplies: quick });

      async function lastPrices(ids: string[]): Promise<number[]> {
        return (await deps.store.products.getMany(ids)).map((p) => p.price);
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
    },
  };

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
