import type { Product, ProductRepository } from '../store/index.js';
import { productCardAttachment, type ProductCard } from './cards.js';
import { formatMoney, reply, type Bilingual } from './respond.js';
import type { Skill, Turn } from './types.js';

const T = {
  which: {
    en: 'Which product do you mean? Tell me its name, or paste its link.',
    zh: '请问是哪件商品？告诉我商品名称或发送商品链接即可。',
  } as Bilingual,
  stock: {
    en: (p: Product, price: string) => (p.stock > 0 ? `${p.title.en} is in stock (${p.stock} left) at ${price}.` : `${p.title.en} is sold out at the moment.`),
    zh: (p: Product, price: string) => (p.stock > 0 ? `${p.title.zh} 有货（剩余 ${p.stock} 件），售价 ${price}。` : `${p.title.zh} 暂时缺货。`),
  },
  options: { en: 'Options', zh: '可选' } as Bilingual,
};

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

function attributes(p: Product, locale: 'en' | 'zh'): string {
  const parts = Object.entries(p.attributes)
    .filter(([k]) => k === 'color' || k === 'size')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
  return parts.length > 0 ? ` ${T.options[locale]}: ${parts.join('; ')}.` : '';
}

/**
 * stock_check, price_check, and product_question about a product the shopper named: price,
 * stock and options, with the product card. Without a product mention, product questions go
 * to the FAQ and the other two ask which product.
 */
export function catalogSkill(products: Pick<ProductRepository, 'get'>): Skill {
  const mentioned = (turn: Turn) => turn.nlu.entities.find((e) => e.type === 'product');
  return {
    name: 'catalog',
    intents: ['stock_check', 'price_check', 'product_question'],
    canHandle: (turn) => turn.nlu.intent === 'stock_check' || turn.nlu.intent === 'price_check' || (turn.nlu.intent === 'product_question' && mentioned(turn) !== undefined),
    handle: async (turn) => {
      const l = turn.locale;
      const entity = mentioned(turn);
      const product = entity ? await products.get(String(entity.value)) : null;
      if (!product) {
        await reply(turn, T.which);
        return;
      }
      const price = formatMoney(product.price, product.currency, l);
      await reply(turn, `${T.stock[l](product, price)}${attributes(product, l)}`, { attachments: [productCardAttachment(productCard(product, l))] });
    },
  };
}
