/** Skills: what the bot can do. Each takes only the ports it needs. */
import type { BaseLanguageModelInterface } from '@langchain/core/language_models/base';
import type { StatePropertyAccessor } from 'botbuilder-core';
import { DialogSet, type DialogState } from 'botbuilder-dialogs';
import type { Locale, Store } from '../store/index.js';
import { goodbyeSkill, greetingSkill, helpSkill, thanksSkill } from './basic.js';
import { catalogSkill } from './catalog.js';
import { FaqSkill, type KnowledgeSearch } from './faq.js';
import { linkSkill, type AccountLinker } from './link.js';
import { OrderActionDialog, ordersSkill, type OrderStore } from './orders/index.js';
import { crossSell, recommendSkill, type RecommenderPort, type RecommendLinks } from './recommend.js';
import { ReturnDialog, returnsSkill } from './returns/index.js';
import { SkillRouter } from './router.js';
import { humanAgentSkill, smalltalkSkill } from './smalltalk.js';
export { humanContactText } from './smalltalk.js';
export { DEFAULT_ORDER_NUMBER_FORMAT, DEFAULT_ORDER_NUMBER_SOURCE, isOrderNumber, parseOrderNumberFormat, type OrderNumberFormat } from './nlu/entities/index.js';
import type { OrderNumberFormat } from './nlu/entities/index.js';
export { DEFAULT_SERVICE_HOURS, describeServiceHours, isAroundTheClock, isWithinServiceHours, type ServiceHours, type ServiceWindow } from './service-hours.js';
import type { NluPort, Skill } from './types.js';

export type { Router, Skill, Turn, Understanding, CustomerMemory, ConversationSession, Entity, EntityType, NluPort } from './types.js';
export type { AccountLinker, LinkParty, RedeemResult } from './link.js';
export { linkedNotice } from './link.js';
export type { KnowledgeSearch, KnowledgeHit } from './faq.js';
export { FaqSkill, FAQ_INTENTS, plainExcerpt } from './faq.js';
export { detectLanguage } from './language.js';
export { apologizeToUpset } from './respond.js';
export { SkillRouter, type SkillRouterOptions } from './router.js';
export { greetingSkill, understandBasics } from './basic.js';
export { checkReturn, calendarDay, NO_REASON_DAYS, QUALITY_DAYS, RETURN_DIALOG } from './returns/index.js';
export { describeOrder, estimatedDelivery, ORDER_ACTION } from './orders/index.js';
export { recognizeAnswer, type AnswerSpec } from './dialogs/answer-prompt.js';
export { PRODUCT_CARD, productCardAttachment, readCards, readQuickReplies, activityPayload, type ProductCard, type QuickReply, type CardButton } from './cards.js';
export { catalogSkill, productCard } from './catalog.js';
export { recommendSkill, type RecommenderPort, type RecommendLinks, type RecommendSession } from './recommend.js';

/** The FAQ confidence floor when none is configured (chosen on data/kb-eval; see the README). */
export const DEFAULT_FAQ_MIN_CONFIDENCE = 0.35;

export interface SkillDeps {
  /** Consecutive fallbacks after which the conversation goes to a human (default 3). */
  escalateAfterFallbacks?: number;
  linker: AccountLinker;
  linkCodeMinutes: number;
  store: OrderStore;
  /** The conversation's dialog stack (botbuilder conversation state). */
  dialogState: StatePropertyAccessor<DialogState>;
  nlu?: NluPort;
  kb?: KnowledgeSearch;
  /** The full article by id (store.knowledge.get), for whole-article questions. */
  getArticle?: (documentId: string) => Promise<{ title: string; body: string } | null>;
  getArticleBySlug?: (slug: string, locale: Locale) => Promise<{ title: string; body: string } | null>;
  articleLink?: (slug: string, locale: Locale) => string;
  faqMinConfidence?: number;
  chatModel?: BaseLanguageModelInterface;
  onError?: (err: unknown) => void;
  /** How the shop's order numbers look (ORDER_NUMBER_PATTERN); default SA + 6 digits. */
  orderNumbers?: OrderNumberFormat;
  /** Product recommendations (recommender/service.ts); the recommend skill is off without it. */
  recommender?: { port: RecommenderPort; store: Pick<Store, 'products' | 'interactions'>; links?: RecommendLinks };
}

/** The router with every skill of this release, in priority order. */
export function createRouter(deps: SkillDeps): SkillRouter {
  const link = deps.articleLink ?? ((slug: string, locale: Locale) => `/help/${slug}?lang=${locale}`);
  const dialogs = new DialogSet(deps.dialogState);
  dialogs.add(new ReturnDialog(deps.store, link, deps.orderNumbers));
  const upsell = deps.recommender ? crossSell({ recommender: deps.recommender.port, store: deps.recommender.store, ...(deps.recommender.links ? { links: deps.recommender.links } : {}) }) : undefined;
  dialogs.add(new OrderActionDialog(deps.store, upsell, deps.orderNumbers));
  const faq = deps.kb
    ? new FaqSkill({ kb: deps.kb, link, getArticle: deps.getArticle, getArticleBySlug: deps.getArticleBySlug, minConfidence: deps.faqMinConfidence ?? DEFAULT_FAQ_MIN_CONFIDENCE, chatModel: deps.chatModel, onError: deps.onError })
    : undefined;
  const skills: Skill[] = [
    linkSkill(deps.linker, deps.linkCodeMinutes),
    greetingSkill,
    helpSkill,
    thanksSkill,
    goodbyeSkill,
    returnsSkill(),
    ordersSkill(deps.store),
    ...(deps.recommender ? [recommendSkill({ recommender: deps.recommender.port, store: deps.recommender.store, ...(deps.recommender.links ? { links: deps.recommender.links } : {}) })] : []),
    catalogSkill(deps.store.products),
    humanAgentSkill,
    smalltalkSkill,
  ];
  return new SkillRouter({ skills, nlu: deps.nlu, dialogs, faq, ...(deps.escalateAfterFallbacks ? { escalateAfterFallbacks: deps.escalateAfterFallbacks } : {}) });
}
