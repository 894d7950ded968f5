/**
 * Entity extraction for NLU (EN + ZH): order and invoice numbers, phones, e-mails, money, price
 * ranges, quantities, dates, countries and mainland cities, colours, sizes, and product/category mentions through the
 * catalogue matcher (whose products index the recommender reuses).
 */
export { EntityExtractor, resolveOverlaps, ENTITY_PRIORITY, type EntityExtractorOptions, type ExtractOptions } from './extractor.js';
export {
  CatalogMatcher,
  CATEGORY_SYNONYMS,
  SHARED_SYNONYMS,
  productText,
  productTexts,
  dataVersion,
  type CatalogMatch,
  type CatalogMatcherLogger,
  type CatalogMatcherOptions,
  type ProductHit,
  type ProductMetadata,
} from './catalog.js';
export { parseChineseNumber, parseEnglishNumber, readNumber } from './numbers.js';
export { extractOrderNumbers, extractPhones, extractEmails, DEFAULT_ORDER_NUMBER_PATTERN } from './contact.js';
export { extractInvoiceNumbers } from './invoices.js';
export { extractCountries, extractCities, COUNTRIES, CITIES } from './places.js';
export {
  DEFAULT_ORDER_NUMBER_FORMAT,
  DEFAULT_ORDER_NUMBER_SOURCE,
  MAX_ORDER_NUMBER_PATTERNS,
  prefixesOf,
  exampleOf,
  formatFromRegExp,
  isOrderNumber,
  parseOrderNumberFormat,
  splitPatterns,
  type OrderNumberFormat,
} from './order-numbers.js';
export { extractMoney, extractPriceRanges, parseAmount, currencyOf, APPROX_TOLERANCE } from './money.js';
export { extractQuantities, MAX_QUANTITY } from './quantity.js';
export { extractDates, localDay, isoDay, isValidTimeZone, DEFAULT_TIME_ZONE } from './dates.js';
export { AttributeExtractor, COLOR_SYNONYMS, type AttributeVocabulary } from './attributes.js';
export { foldWidth, MAX_ENTITY_CHARS } from './text.js';
