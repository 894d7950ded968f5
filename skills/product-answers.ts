/**
 * Answers to a question about one product, from that product's own data: does it come in a
 * size or a colour, what is it made of, how does it fit ("runs narrow, go one size up" from its
 * description), is it in stock, does it have a feature ("sweatproof?", "能游泳吗"). The shopper
 * asked something specific; the answer says that first, in their language, and never claims
 * what the data does not say.
 */
import type { Locale, Product } from '../store/index.js';
import { attributeLabel, localizeValue } from './nlu/entities/product-attributes.js';
import { terms } from './text-terms.js';
import type { Entity } from './types.js';

const SIZE_Q = /\bsizes?\b|\d+(?:\.\d)?\s*(?:mm|码|号)|尺码|码数|多大码|几码|什么码/i;
const COLOR_Q = /\bcolou?rs?\b|颜色|什么色|哪些色|几种色|几个色/i;
const MATERIAL_Q = /made (?:of|from)|\bmaterials?\b|\bfabric\b|what'?s it made|\b(?:leather|cotton|wool|suede|silk|polyester|nylon|mesh|canvas|linen|down)\b|材质|面料|什么做的|什么料|(?:皮|棉|羊毛|真丝|麂皮|帆布|羽绒)的吗|是不是(?:真皮|纯棉|羊毛)/i;
const FIT_Q =
  /\bruns? (?:small|big|large|narrow|wide|true)|true to size|size (?:up|down)|\bwide (?:feet|foot)|\bnarrow (?:feet|foot)|\bfit(?:s|ting)?\b|\bsnug\b|\broomy\b|偏大|偏小|偏窄|偏宽|大一码|小一码|大一号|小一号|脚背高|脚宽|脚肥|合脚|码数准|尺码准|正码|宽松吗|修身吗/i;
const STOCK_Q = /in stock|still (?:buy|get|available)|sold out|available|有货|还有吗|有库存|缺货|能买|还能买|有现货/i;

/** Lines of a description that say how a product fits. */
const FIT_NOTE = /\bruns?\b[^.]*\b(?:small|large|big|narrow|wide|true)|\bsize (?:up|down)\b|true to size|\bnarrow\b|\bwide (?:feet|foot)|\boversized?\b|\brelaxed fit|\bslim fit|\broomy\b|偏大|偏小|偏窄|偏宽|大一码|小一码|大半码|小半码|正码|宽松|修身|选大|选小/i;
/** Lines of a description that say what a product is made of. */
const MATERIAL_NOTE = /leather|cotton|wool|merino|suede|silk|polyester|nylon|mesh|canvas|linen|\bdown\b|elastane|spandex|cashmere|皮|棉|羊毛|美利奴|麂皮|真丝|桑蚕丝|涤纶|尼龙|网面|帆布|亚麻|羽绒|氨纶|羊绒/i;

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?。！？])\s*/u)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function values(p: Product, key: string): string[] {
  const raw = Object.hasOwn(p.attributes ?? {}, key) ? p.attributes[key] : undefined;
  return raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
}

const normSize = (s: string) => s.toLowerCase().replace(/\s+/g, '').replace(/码|号|mm$/g, '');

function list(items: string[], locale: Locale): string {
  if (locale === 'zh') return items.join('、');
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The size the shopper asked about: the size entity, else a number with 码/号/mm, else "size 46". */
function askedSize(text: string, entities: Entity[]): string | undefined {
  const e = entities.find((x) => x.type === 'size');
  if (e && typeof e.value === 'string') return e.value;
  const m = /(\d{2}(?:\.\d)?)\s*(?:mm|码|号)|\bsize\s*(\d{1,2}(?:\.\d)?|xxl|xl|xs|s|m|l)\b/i.exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The colour the shopper asked about (a colour entity), if any. */
function askedColor(entities: Entity[]): string | undefined {
  const e = entities.find((x) => x.type === 'color');
  return e && typeof e.value === 'string' ? e.value : undefined;
}

/** The description's sentences that share the most content words with the question (at most two). */
function relevantSentences(p: Product, question: string, locale: Locale, must?: RegExp): string[] {
  // The product's own name is in the question and in its description: it says nothing about what was asked.
  const named = terms(`${p.title.en} ${p.title.zh} ${p.category}`);
  const q = new Set([...terms(question)].filter((w) => !named.has(w)));
  return sentences(p.description[locale] ?? '')
    .map((s, i) => {
      const t = terms(s);
      let score = 0;
      for (const w of q) if (t.has(w)) score++;
      if (must?.test(s)) score += 2;
      return { s, i, score };
    })
    .filter((x) => x.score > 0 && (!must || must.test(x.s)))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 2)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.s);
}

/**
 * The answer to a specific question about `p`, or undefined when the message asks nothing
 * specific (then the product's overview answers). `guide`: the size guide's name and link for
 * the product's category, quoted when the product has no fit note of its own.
 */
export function answerAboutProduct(
  p: Product,
  question: string,
  locale: Locale,
  entities: Entity[],
  guide?: { title: string; link: string },
): string | undefined {
  const zh = locale === 'zh';
  const title = p.title[locale];
  const parts: string[] = [];

  const size = askedSize(question, entities);
  const sizes = values(p, 'size');
  if (FIT_Q.test(question)) {
    const notes = sentences(p.description[locale] ?? '').filter((s) => FIT_NOTE.test(s));
    if (notes.length > 0) parts.push(zh ? `关于 ${title} 的尺码：${notes.join('')}` : `On fit, for the ${title}: ${notes.join(' ')}`);
    else
      parts.push(
        zh
          ? `${title} 的描述里没有特别的尺码说明，按正常尺码选即可${guide ? `，可参考《${guide.title}》${guide.link}` : ''}。`
          : `The ${title} has no fit note of its own, so your usual size should do${guide ? `; our ${guide.title} helps you choose: ${guide.link}` : ''}.`,
      );
  } else if (size !== undefined && SIZE_Q.test(question) && sizes.length > 0) {
    const has = sizes.some((s) => normSize(s) === normSize(size));
    const shown = sizes.map((s) => localizeValue('size', s, locale) || s);
    const range = list(shown, locale);
    if (has && p.stock > 0) parts.push(zh ? `有的，${title} 有 ${size} 码（可选尺码：${range}）。` : `Yes, the ${title} comes in size ${size} (sizes ${range}).`);
    else if (has) parts.push(zh ? `${title} 有 ${size} 码，但目前缺货。` : `The ${title} comes in size ${size}, but it is sold out at the moment.`);
    else parts.push(zh ? `抱歉，${title} 没有 ${size} 码，尺码只有 ${range}。` : `Sorry, the ${title} doesn't come in size ${size}: it only comes in sizes ${range}.`);
  } else if (SIZE_Q.test(question) && sizes.length > 0) {
    parts.push(zh ? `${title} 的尺码：${list(sizes.map((s) => localizeValue('size', s, locale) || s), locale)}。` : `The ${title} comes in sizes ${list(sizes, locale)}.`);
  }

  const color = askedColor(entities);
  const colors = values(p, 'color');
  if (colors.length > 0 && (COLOR_Q.test(question) || color !== undefined)) {
    const shown = colors.map((c) => localizeValue('color', c, locale)).filter((c) => c !== '');
    if (color !== undefined && !COLOR_Q.test(question)) {
      const has = colors.some((c) => c.toLowerCase() === color.toLowerCase());
      const name = localizeValue('color', color, locale) || color;
      parts.push(
        has
          ? zh
            ? `有${name}的。`
            : `Yes, it comes in ${name}.`
          : zh
            ? `抱歉，没有${name}的，颜色有：${list(shown, locale)}。`
            : `Sorry, it doesn't come in ${name}; the colours are ${list(shown, locale)}.`,
      );
    } else if (shown.length > 0) {
      parts.push(zh ? `${title} 有这些颜色：${list(shown, locale)}。` : `The ${title} comes in ${list(shown, locale)}.`);
    }
  }

  if (MATERIAL_Q.test(question)) {
    const material = values(p, 'material')
      .map((m) => localizeValue('material', m, locale))
      .filter((m) => m !== '');
    const notes = relevantSentences(p, question, locale, MATERIAL_NOTE);
    if (notes.length > 0) parts.push(notes.join(zh ? '' : ' '));
    else if (material.length > 0) parts.push(zh ? `${attributeLabel('material', 'zh')}：${list(material, locale)}。` : `It is made of ${list(material, locale)}.`);
  }

  if (parts.length === 0 && STOCK_Q.test(question)) {
    parts.push(p.stock > 0 ? (zh ? `${title} 有货，可以下单。` : `Yes, the ${title} is in stock.`) : zh ? `抱歉，${title} 目前缺货。` : `Sorry, the ${title} is out of stock right now.`);
  }

  // Anything else it may say of itself ("sweatproof?", "can I swim with it?", "适合油皮吗").
  if (parts.length === 0) {
    const notes = relevantSentences(p, question, locale);
    if (notes.length > 0) parts.push(notes.join(zh ? '' : ' '));
  }
  return parts.length > 0 ? parts.join(zh ? '' : ' ') : undefined;
}

/** Whether a message asks something about a product's fit, size, colour, material or stock (so "these"/"这双" means the product on screen). */
export function asksAboutProduct(text: string): boolean {
  return FIT_Q.test(text) || SIZE_Q.test(text) || COLOR_Q.test(text) || MATERIAL_Q.test(text) || STOCK_Q.test(text);
}
