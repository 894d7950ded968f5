import type { Product, ProductRepository } from '../store/index.js';
import { productCardAttachment, type ProductCard } from './cards.js';
import { colorFits } from './nlu/entities/attributes.js';
import { attributeLabel, localizeValue } from './nlu/entities/product-attributes.js';
import { catalogueIndexOf, type RecommendSession } from './recommend.js';
import { formatMoney, reply, type Bilingual } from './respond.js';
import type { Skill, Turn } from './types.js';

/** "Show me the Velo Pro", "北境 Velo Pro 这双怎么样": the shopper wants to see that product. */
const SHOW = /\b(?:show me|let me see|tell me (?:more )?about|what about|how about|details? (?:of|on|about)|info(?:rmation)? (?:on|about)|thoughts on|interested in)\b|怎么样|咋样|看看|看一下|瞧瞧|介绍一下|介绍下|详情|好不好|值得买吗/i;
/** About an order, a return or a policy: not a question about the product itself. */
const ORDERS_AND_POLICIES = /\b(?:return|refund|exchange|order|ship|shipping|deliver|delivery|track|warranty|repair|cancel|coupon|invoice)\b|退|换货|订单|物流|快递|发货|保修|维修|取消|优惠券|发票/i;
/** Size and fit: the size guides answer these unless a product is on screen. */
const SIZE_AND_FIT = /\b(?:size|sizes|sizing|fit|fits|runs? (?:small|large|big|narrow|wide)|wash|care)\b|尺码|码数|几码|偏大|偏小|合脚|怎么洗|保养/i;
/** "Do these run small?", "这鞋偏大还是偏小", "is it waterproof?": about the product on screen. */
const ON_SCREEN = /\b(?:this|that|it|its|these|those|they|them)\b|这个|这款|这双|这件|这条|这只|这鞋|这包|这表|它/i;
/** A question ("what colours does the Aero 3 come in", "can I swim with the Pace 2?", "适合什么肤质"). */
const QUESTION = /[?？吗呢么]|^(?:is|are|does|do|can|could|will|what|which|how|any|should)\b|\b(?:still|available|come in|made of|should i)\b|多少|什么|怎么|是否|有没有|能不能|可以|要不要|需不需要|用不用/i;
/** A fit question: the product on screen answers it with its own fit note ("runs slightly narrow: go one size up"). */
const FIT_QUESTION = /\b(?:size (?:up|down)|what size|which size|size should|run(?:s)? (?:small|big|large|narrow|wide|true)|true to size|wide feet|narrow feet|high instep|fit)\b|穿什么码|什么码|几码|多大码|大一码|小一码|大一号|小一号|选大|选小|偏大|偏小|合脚|脚背|脚宽|宽脚/i;
/** How long the product on screen stays "this one". */
const ANCHOR_MINUTES = 60;

const T = {
  which: {
    en: 'Which product do you mean? Tell me its name, or paste its link.',
    zh: '请问是哪件商品？告诉我商品名称或发送商品链接即可。',
  } as Bilingual,
  stock: {
    en: (p: Product, price: string) => (p.stock > 0 ? `${p.title.en} is in stock (${p.stock} left) at ${price}.` : `${p.title.en} is sold out at the moment (${price}).`),
    zh: (p: Product, price: string) => (p.stock > 0 ? `${p.title.zh} 有货（剩余 ${p.stock} 件），售价 ${price}。` : `${p.title.zh} 暂时缺货（售价 ${price}）。`),
  },
  options: { en: 'Options', zh: '可选' } as Bilingual,
  details: { en: 'Details', zh: '详情' } as Bilingual,
  size: {
    yes: { en: (s: string) => `Size ${s} is available.`, zh: (s: string) => `有 ${s} 码。` },
    no: { en: (s: string, all: string) => `Sorry, it doesn't come in size ${s}; sizes: ${all}.`, zh: (s: string, all: string) => `没有 ${s} 码，只有 ${all}。` },
  },
  color: {
    yes: { en: (c: string) => `It comes in ${c}.`, zh: (c: string) => `有${c}。` },
    no: { en: (c: string, all: string) => `Sorry, it doesn't come in ${c}; colours: ${all}.`, zh: (c: string, all: string) => `没有${c}，可选颜色：${all}。` },
  },
};

/** The details a shopper asks about, in this order: what it is made of, how it connects and is worn, water, skin, size. */
const DETAIL_KEYS = ['material', 'connectivity', 'formFactor', 'waterResistance', 'skinType', 'keyIngredient', 'volume'];

export function productCard(p: Product, locale: 'en' | 'zh'): ProductCard {
  return {
    id: p.id,
    title: p.title[locale],
    subtitle: p.description[locale].slice(0, 80),
    price: p.price,
    currency: p.currency,
    ...(p.imageUrl ? { imageUrl: p.imageUrl } : {}),
  };
}

function valuesOf(p: Pick<Product, 'attributes'>, key: string): string[] {
  const attributes = p.attributes ?? {};
  const raw = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
  return (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(String);
}

/** A list of localised values ('' entries left out: a value without a Chinese name is not shown in Chinese). */
function listed(key: string, values: string[], locale: 'en' | 'zh'): string[] {
  return values.map((v) => localizeValue(key, v, locale)).filter(Boolean);
}

/**
 * The options a product comes in (colours, sizes), in the reply language: a Chinese reply names
 * the attributes and their values in Chinese ("可选颜色：白色、藏青色；尺码：39、40"), never
 * the catalogue's English ("color: sky blue"); a value without a Chinese name is left out.
 */
export function optionsText(p: Pick<Product, 'attributes'>, locale: 'en' | 'zh'): string {
  const parts: string[] = [];
  for (const key of ['color', 'size']) {
    const values = listed(key, valuesOf(p, key), locale);
    if (values.length === 0) continue;
    parts.push(locale === 'zh' ? `${attributeLabel(key, 'zh')}：${values.join('、')}` : `${attributeLabel(key, 'en')}: ${values.join(', ')}`);
  }
  if (parts.length === 0) return '';
  return locale === 'zh' ? ` ${T.options.zh}${parts.join('；')}。` : ` ${T.options.en}: ${parts.join('; ')}.`;
}

/** What the product is made of and how it works ("Details: material: protein leather; connection: Bluetooth 5.3"), localised. */
export function detailsText(p: Pick<Product, 'attributes'>, locale: 'en' | 'zh'): string {
  const parts: string[] = [];
  for (const key of DETAIL_KEYS) {
    const values = listed(key, valuesOf(p, key), locale);
    const label = attributeLabel(key, locale);
    if (values.length === 0 || !label) continue;
    parts.push(locale === 'zh' ? `${label}：${values.join('、')}` : `${label}: ${values.join(', ')}`);
  }
  if (parts.length === 0) return '';
  return locale === 'zh' ? ` ${T.details.zh}：${parts.join('；')}。` : ` ${T.details.en}: ${parts.join('; ')}.`;
}

/** The answer to "in size 46?" / "有黑色的吗" for this product, or ''. */
function availabilityText(turn: Turn, p: Product): string {
  const l = turn.locale;
  const out: string[] = [];
  const size = turn.nlu.entities.find((e) => e.type === 'size');
  const sizes = valuesOf(p, 'size');
  if (size && size.type === 'size' && sizes.length > 0) {
    const norm = (s: string) => s.replace(/\s+/g, '').toUpperCase();
    const shownSize = localizeValue('size', size.value, l) || size.value;
    const all = listed('size', sizes, l);
    const range = all.length > 3 ? (l === 'zh' ? `${all[0]}–${all.at(-1)} 码` : `${all[0]}–${all.at(-1)}`) : all.join(l === 'zh' ? '、' : ', ');
    out.push(sizes.some((s) => norm(s) === norm(size.value)) ? T.size.yes[l](shownSize) : T.size.no[l](shownSize, range));
  }
  const color = turn.nlu.entities.find((e) => e.type === 'color');
  const colors = valuesOf(p, 'color');
  if (color && color.type === 'color' && colors.length > 0) {
    const name = localizeValue('color', color.value, l) || color.value;
    const all = listed('color', colors, l).join(l === 'zh' ? '、' : ', ');
    out.push(colorFits(color.value, colors) ? T.color.yes[l](name) : T.color.no[l](name, all));
  }
  return out.length > 0 ? ` ${out.join(' ')}` : '';
}

/** The product on screen: one shown on its own, or the only one of the last list. */
function anchorOf(turn: Turn): string | undefined {
  const s = turn.session.recommend;
  if (!s || turn.now.getTime() - new Date(s.at).getTime() > ANCHOR_MINUTES * 60_000) return undefined;
  if (s.anchor && s.last.includes(s.anchor)) return s.anchor;
  return s.last.length === 1 ? s.last[0] : undefined;
}

/**
 * stock_check, price_check, and product_question about a product the shopper named — and "show
 * me the Sonara Silence Pro", a product's name alone, or a question about the product on screen
 * ("do these run small?", "这款防水吗"): price and stock, what was asked (a size, a colour), its
 * description and details and its options, in the reply language, with the product card. The
 * product then anchors follow-ups ("cheaper?", "more like this") for the recommend skill.
 * Without a product mention, product questions go to the FAQ and the other two ask which product.
 */
export function catalogSkill(products: Pick<ProductRepository, 'get'> & Partial<Pick<ProductRepository, 'list'>>): Skill {
  const mentioned = (turn: Turn) => turn.nlu.entities.find((e) => e.type === 'product');
  const list = products.list?.bind(products);
  // The index the recommend skill uses too (one per repository): tells a product named from one merely resembled.
  const catalogue = list ? catalogueIndexOf(products as Pick<ProductRepository, 'list'>) : async () => undefined;
  /** The product the shopper named: "the Sonara Silence Pro", not the nearest match of "leather bags". */
  const named = async (turn: Turn) => {
    const e = mentioned(turn);
    if (!e || e.type !== 'product' || e.score < 0.5) return undefined;
    const index = await catalogue();
    if (index?.get(e.value)) return index.namesProduct(e.value, e.text) ? e : undefined;
    return e.score >= 0.7 ? e : undefined;
  };
  return {
    name: 'catalog',
    intents: ['stock_check', 'price_check', 'product_question'],
    canHandle: (turn) => turn.nlu.intent === 'stock_check' || turn.nlu.intent === 'price_check' || (turn.nlu.intent === 'product_question' && mentioned(turn) !== undefined),
    followUp: async (turn) => {
      const e = await named(turn);
      const text = turn.text.trim();
      if (ORDERS_AND_POLICIES.test(text) || text.length > 80) return false;
      // A product named to be seen ("show me the Sonara Silence Pro", or just its name), whatever the classifier says.
      if (e !== undefined) return !SIZE_AND_FIT.test(text) && (SHOW.test(text) || text.length <= 30 || QUESTION.test(text));
      // A question about the product on screen: "what colours does it come in", "我脚背高 要买大一码吗".
      const anchor = anchorOf(turn);
      if (!anchor || !(QUESTION.test(text) || FIT_QUESTION.test(text))) return false;
      if (!ON_SCREEN.test(text) && !FIT_QUESTION.test(text)) return false;
      // Not when the question names another kind of product ("the inseam on men's jeans" after a shoe).
      const category = turn.nlu.entities.find((x) => x.type === 'category');
      if (category && category.type === 'category') {
        const p = await products.get(anchor).catch(() => null);
        if (!p || p.category !== category.value) return false;
      }
      return true;
    },
    handle: async (turn) => {
      const l = turn.locale;
      // A product named wins; then the product on screen; a mere resemblance last (stock and price questions).
      const name = await named(turn);
      const near = mentioned(turn);
      const id = name ? String(name.value) : (anchorOf(turn) ?? (near ? String(near.value) : undefined));
      const product = id ? await products.get(id) : null;
      if (!product) {
        await reply(turn, T.which);
        return;
      }
      const price = formatMoney(product.price, product.currency, l);
      const description = product.description?.[l] ? ` ${product.description[l]}` : '';
      const text = `${T.stock[l](product, price)}${availabilityText(turn, product)}${description}${detailsText(product, l)}${optionsText(product, l)}`;
      await reply(turn, text, { attachments: [productCardAttachment(productCard(product, l))] });
      // The product on screen anchors the follow-ups the recommend skill answers ("cheaper?", "more like this").
      const prior = turn.session.recommend;
      const session: RecommendSession = {
        shown: [...new Set([...(prior?.shown ?? []), product.id])].slice(-60),
        last: [product.id],
        clicked: prior?.clicked ?? [],
        anchor: product.id,
        at: turn.now.toISOString(),
      };
      turn.session.recommend = session;
    },
  };
}
