import { ShopError, type Locale } from '../../../store/index.js';
import type { Entity, EntityType } from '../../types.js';
import { AttributeExtractor } from './attributes.js';
import type { CatalogMatcher, CatalogMatcherLogger } from './catalog.js';
import { extractEmails, extractOrderNumbers, extractPhones } from './contact.js';
import { extractInvoiceNumbers } from './invoices.js';
import { DEFAULT_TIME_ZONE, extractDates, isValidTimeZone } from './dates.js';
import { extractMoney, extractPriceRanges } from './money.js';
import { DEFAULT_ORDER_NUMBER_FORMAT, formatFromRegExp, type OrderNumberFormat } from './order-numbers.js';
import { extractCities, extractCountries } from './places.js';
import { extractQuantities } from './quantity.js';
import { MAX_ENTITY_CHARS, capLength, foldWidth } from './text.js';

export interface EntityExtractorOptions {
  /** Product and category mentions; without it, none are reported. */
  catalog?: CatalogMatcher;
  /** IANA zone "today" is counted in; default Asia/Shanghai. */
  timeZone?: string;
  /** How the shop's order numbers look (ORDER_NUMBER_PATTERN, see `parseOrderNumberFormat`; default SA + 6 digits). */
  orderNumbers?: OrderNumberFormat;
  /** The same as a RegExp written in code (used when `orderNumbers` is absent). */
  orderNumberPattern?: RegExp;
  /** Characters read from a message (default 2,000); the rest is ignored. */
  maxChars?: number;
  /** Told when the catalogue cannot be searched (the other entities are still returned). */
  logger?: Pick<CatalogMatcherLogger, 'warn'>;
}

export interface ExtractOptions {
  now?: Date;
  locale?: Locale;
}

/**
 * Which entity keeps a stretch of text when two overlap: the more specific type first
 * (an invoice number is not also an order number or a phone, an order number is not also
 * a phone, "under $50" is not also "$50"), then the longer.
 */
export const ENTITY_PRIORITY: readonly EntityType[] = [
  'link_code',
  'invoice_number',
  'order_number',
  'phone',
  'email',
  'price_range',
  'money',
  'date',
  'size',
  'quantity',
  'country',
  'city',
  'color',
  'product',
  'category',
];

/** All the extractors of this folder behind one call, with overlaps resolved. */
export class EntityExtractor {
  private readonly catalog: CatalogMatcher | undefined;
  private readonly timeZone: string;
  private readonly orderNumbers: OrderNumberFormat;
  private readonly maxChars: number;
  private readonly logger: EntityExtractorOptions['logger'];
  private attributes: AttributeExtractor;
  private vocabularySource: unknown;

  constructor(opts: EntityExtractorOptions = {}) {
    this.timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
    if (!isValidTimeZone(this.timeZone)) {
      throw new ShopError('config_invalid', `EntityExtractor: unknown time zone ${JSON.stringify(this.timeZone)}`);
    }
    if (opts.orderNumberPattern !== undefined && !(opts.orderNumberPattern instanceof RegExp)) {
      throw new ShopError('config_invalid', 'EntityExtractor: orderNumberPattern must be a RegExp');
    }
    if (opts.orderNumbers !== undefined && typeof opts.orderNumbers?.source !== 'string') {
      throw new ShopError('config_invalid', 'EntityExtractor: orderNumbers must be an order number format (parseOrderNumberFormat)');
    }
    this.orderNumbers = opts.orderNumbers ?? (opts.orderNumberPattern ? formatFromRegExp(opts.orderNumberPattern) : DEFAULT_ORDER_NUMBER_FORMAT);
    this.maxChars = opts.maxChars ?? MAX_ENTITY_CHARS;
    this.catalog = opts.catalog;
    this.logger = opts.logger;
    this.vocabularySource = this.catalog?.vocabulary;
    this.attributes = new AttributeExtractor(this.catalog?.vocabulary ?? {});
  }

  /**
   * Every entity in `text`, sorted by start, none overlapping; offsets are UTF-16 offsets
   * into `text` and `entity.text === text.slice(start, end)`. Never throws for bad input:
   * a non-string reads as empty.
   */
  async extract(text: string, opts: ExtractOptions = {}): Promise<Entity[]> {
    const input = capLength(typeof text === 'string' ? text : '', this.maxChars);
    if (input.trim() === '') return [];
    const folded = foldWidth(input);
    const now = opts.now instanceof Date && Number.isFinite(opts.now.getTime()) ? opts.now : new Date();
    this.refreshVocabulary();
    const candidates: Entity[] = [
      ...extractInvoiceNumbers(folded, this.orderNumbers),
      ...extractOrderNumbers(folded, this.orderNumbers),
      ...extractPhones(folded),
      ...extractEmails(folded),
      ...extractPriceRanges(folded),
      ...extractMoney(folded),
      ...extractDates(folded, { now, timeZone: this.timeZone }),
      ...this.attributes.sizes(folded),
      ...extractQuantities(folded),
      ...extractCountries(folded),
      ...extractCities(folded),
      ...this.attributes.colors(folded),
    ];
    if (this.catalog) {
      try {
        for (const m of await this.catalog.match(input, opts.locale)) {
          candidates.push({ type: m.type, value: m.value, score: m.score, text: m.text, start: m.start, end: m.end });
        }
      } catch (err) {
        this.logger?.warn({ err }, 'catalog matcher failed; products and categories left out of this message');
      }
    }
    return resolveOverlaps(candidates).map((e) => ({ ...e, text: input.slice(e.start, e.end) }));
  }

  /** A catalogue reload may bring new colours and sizes. */
  private refreshVocabulary(): void {
    const vocabulary = this.catalog?.vocabulary;
    if (vocabulary && vocabulary !== this.vocabularySource) {
      this.vocabularySource = vocabulary;
      this.attributes = new AttributeExtractor(vocabulary);
    }
  }
}

/** Keeps the most specific, then the longest, of overlapping entities; sorted by start. */
export function resolveOverlaps(candidates: Entity[]): Entity[] {
  const rank = (t: EntityType) => {
    const i = ENTITY_PRIORITY.indexOf(t);
    return i < 0 ? ENTITY_PRIORITY.length : i;
  };
  const ordered = candidates
    .filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end) && e.end > e.start)
    .sort((a, b) => rank(a.type) - rank(b.type) || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Entity[] = [];
  for (const e of ordered) {
    if (kept.some((k) => k.start < e.end && e.start < k.end)) continue;
    kept.push(e);
  }
  return kept.sort((a, b) => a.start - b.start || a.end - b.end);
}
