import type { DialogContext, DialogSet } from 'botbuilder-dialogs';
import type { Locale } from '../store/index.js';
import { fallbackSkill, menu, outOfScopeSkill, surelyOutOfScope, understandBasics } from './basic.js';
import { pendingSpec, recognizeAnswer } from './dialogs/answer-prompt.js';
import { setCurrentTurn } from './dialogs/current-turn.js';
import { FAQ_INTENTS, sharedContentWords, sharesContentWord, type FaqSkill } from './faq.js';
import { asksAboutSomethingElse, asksWhereMyParcelIs, asksWhichSize, followUpKind, isGeneralQuestion, namedOrderAction, onlyAcknowledgement, pointedBackAt, problemSearchWords, reportedProblem, saysComplaint, speaksOfOwnCase, withoutLeadingAck } from './question-kind.js';
import { apologizeForProblem, humanOption, reply, type Bilingual } from './respond.js';
import type { NluPort, Router, Skill, Turn, Understanding } from './types.js';

export interface SkillRouterOptions {
  skills: Skill[];
  nlu?: NluPort;
  /** Multi-turn skills' dialogs; an active one gets the turn first. */
  dialogs?: DialogSet;
  /** Tried for low-confidence and out-of-scope turns before falling back. */
  faq?: FaqSkill;
  fallback?: Skill;
  /** Below this an intent is not trusted (the knowledge base, then the fallback answer). */
  minConfidence?: number;
  /** Two intents closer than this (and the top below `sureConfidence`): ask which one. */
  clarifyMargin?: number;
  sureConfidence?: number;
  /** A different intent this confident interrupts an active dialog (which then resumes). */
  interruptConfidence?: number;
  /** After this many consecutive misses, the conversation is marked for a human. */
  escalateAfterFallbacks?: number;
}

/** Questions about one product: without a product named they may be help questions ("how much is shipping?"). */
const PRODUCT_INTENTS = new Set(['price_check', 'stock_check', 'product_question']);
/** How likely a help intent must be, next to a product intent with no product, to be the one meant. */
const RECONSIDER_MIN = 0.1;
/** How sure a help passage must be to answer a message the classifier judged out of scope. */
const OUT_OF_SCOPE_OVERRIDE = 0.5;
/** Content words a passage that sure must share with a message judged out of scope to answer it whatever intents ranked next. */
const OUT_OF_SCOPE_SHARED_WORDS = 2;
/** Entities that give a recommendation something to go on. */
const RECOMMEND_CUES = new Set(['product', 'category', 'price_range', 'money', 'color', 'size']);

/** Intents about the shopper's own case that "where is my…" does not overrule (a refund, a return, a cancellation). */
const TOPIC_OF_THEIR_OWN = new Set(['refund_status', 'return_item', 'exchange_item', 'cancel_order', 'change_address', 'change_order', 'human_agent']);

/** Actions on an order the classifier confuses with one another; the verb the shopper used decides when it is unsure. */
const ORDER_ACTIONS = new Set(['change_order', 'return_item', 'exchange_item', 'cancel_order']);

/** How long "and to Hong Kong?" still follows the last answer. */
const FOLLOW_UP_MINUTES = 30;
/** Intents a follow-up is often misread as (a price, a product question): they keep the topic they follow. */
/** How much surer a follow-up-shaped help question alone must be answered than together with what it follows. */
const FOLLOW_UP_MARGIN = 0.1;
const FAQ_FOLLOWABLE = new Set(['price_check', 'product_question', 'none', 'out_of_scope', 'stock_check']);

/** Readings that only the acknowledgement in front gave ("ok cool and is it free over some amount?" read as "ok"). */
const ACK_READINGS = new Set(['affirm', 'thanks', 'smalltalk', 'greeting', 'goodbye', 'out_of_scope']);

/**
 * What a problem report is answered from, by kind: the warranty and returns articles for an item
 * (broken, faulty, the wrong one), the tracking and delivery ones for a parcel that did not come.
 */
const PROBLEM_INTENT = { item: 'warranty', parcel: 'track_order' } as const;
/** Readings a problem report is often misread as, whose skills would not help: a product search, an order-number prompt, a refusal. */
const PROBLEM_MISREADINGS = new Set(['recommend', 'price_check', 'stock_check', 'product_question', 'track_order', 'delivery_time', 'change_order', 'out_of_scope', 'complaint', 'smalltalk', 'none']);

/** Words that end the active dialog rather than answer it. */
const CANCEL_DIALOG = /^(cancel|stop|quit|exit|never ?mind|forget it|no thanks|abort|算了|取消|不退了|不用了|不要了|退出|结束)[\s!！.。]*$/i;

/** Intents that belong to a dialog's own questions, never an interruption. */
const DIALOG_ANSWERS = new Set(['affirm', 'deny', 'out_of_scope', 'greeting', 'thanks']);

/** How to name an intent in "did you mean A or B?". A Map: intent names come from the intent data (issue 14). */
const INTENT_LABELS: ReadonlyMap<string, Bilingual> = new Map(Object.entries({
  track_order: { en: 'Track an order', zh: '查询订单物流' },
  cancel_order: { en: 'Cancel an order', zh: '取消订单' },
  change_order: { en: 'Change an order', zh: '修改订单' },
  change_address: { en: 'Change the delivery address', zh: '修改收货地址' },
  return_item: { en: 'Return an item', zh: '退货' },
  exchange_item: { en: 'Exchange an item', zh: '换货' },
  refund_status: { en: 'Where is my refund', zh: '查询退款进度' },
  refund_policy: { en: 'Return and refund policy', zh: '退换货和退款政策' },
  shipping_options: { en: 'Shipping options and fees', zh: '配送方式和运费' },
  delivery_time: { en: 'Delivery times', zh: '配送时效' },
  payment_methods: { en: 'Ways to pay', zh: '支付方式' },
  payment_issue: { en: 'A problem with a payment', zh: '支付问题' },
  invoice: { en: 'Invoices (fapiao)', zh: '发票' },
  product_question: { en: 'A question about a product', zh: '商品咨询' },
  stock_check: { en: 'Is it in stock', zh: '查询库存' },
  price_check: { en: 'Prices', zh: '价格' },
  recommend: { en: 'Product suggestions', zh: '商品推荐' },
  complaint: { en: 'Make a complaint', zh: '投诉' },
  human_agent: { en: 'Talk to a person', zh: '转人工' },
  create_account: { en: 'Create an account', zh: '注册账号' },
  delete_account: { en: 'Delete my account', zh: '注销账号' },
  reset_password: { en: 'Reset my password', zh: '重置密码' },
  warranty: { en: 'Warranty', zh: '保修' },
  coupon: { en: 'Coupons and discounts', zh: '优惠券' },
}));

const T = {
  clarify: { en: 'Just to be sure, do you mean:', zh: '想确认一下，您是想：' },
  cancelled: { en: 'OK, I stopped that. What else can I do for you?', zh: '好的，已为您取消。还有什么可以帮您？' },
  leaving: { en: 'OK, I stopped that for now. Goodbye, and thanks for shopping with us!', zh: '好的，这件事先到这里。再见，感谢您的光临！' },
  resume: { en: 'Now, back to where we were:', zh: '我们继续刚才的事情：' },
  fallbackAgain: {
    en: 'Sorry, I still did not get that. A person from our team can help you with this.',
    zh: '抱歉，我还是没有理解。我们的客服可以帮您处理这个问题。',
  },
};

/**
 * NLU -> router -> skill, with dialog precedence: an active dialog (a return in progress) gets
 * the turn, unless the shopper clearly asks something else (answered, then the dialog
 * resumes) or cancels it. Close intents get a clarifying question; misses try the knowledge
 * base, then fall back, counting consecutive misses for the handoff skill.
 */
export class SkillRouter implements Router {
  private readonly o: Required<Omit<SkillRouterOptions, 'nlu' | 'dialogs' | 'faq'>> & SkillRouterOptions;

  constructor(skillsOrOptions: Skill[] | SkillRouterOptions) {
    const opts = Array.isArray(skillsOrOptions) ? { skills: skillsOrOptions } : skillsOrOptions;
    this.o = {
      fallback: fallbackSkill,
      minConfidence: 0.45,
      clarifyMargin: 0.12,
      sureConfidence: 0.75,
      interruptConfidence: 0.7,
      escalateAfterFallbacks: 3,
      ...opts,
    };
  }

  async understand(text: string, locale: Locale, now?: Date): Promise<Understanding> {
    if (!this.o.nlu) return understandBasics(text);
    return this.o.nlu.parse(text, { locale, now });
  }

  async handle(turn: Turn): Promise<string> {
    setCurrentTurn(turn);
    const dc = this.o.dialogs ? await this.o.dialogs.createContext(turn.context) : undefined;
    turn.dc = dc;
    this.applyClarification(turn);

    if (dc?.activeDialog) {
      const handled = await this.continueDialog(turn, dc);
      if (handled) return handled;
    }
    return this.dispatch(turn);
  }

  /** Returns the skill that answered, or undefined when the turn should go to normal routing. */
  private async continueDialog(turn: Turn, dc: DialogContext): Promise<string | undefined> {
    if (CANCEL_DIALOG.test(turn.text.trim())) {
      await dc.cancelAllDialogs();
      await reply(turn, T.cancelled);
      return 'dialog_cancelled';
    }
    let leaf = dc;
    while (leaf.child) leaf = leaf.child;
    const spec = pendingSpec(leaf.activeDialog?.state as Parameters<typeof pendingSpec>[0]);
    const answers = spec ? recognizeAnswer(spec, turn) !== undefined : false;
    // "bye" while a question waits: the shopper is leaving, so the flow ends with the goodbye
    // (not a goodbye followed by the question again). Free text ("describe the problem") takes anything, so not an answer here.
    if (turn.nlu.intent === 'goodbye' && turn.nlu.confidence >= this.o.interruptConfidence && (!answers || spec?.kind === 'text')) {
      await dc.cancelAllDialogs();
      await reply(turn, T.leaving);
      return 'dialog_cancelled';
    }
    const candidate = answers || DIALOG_ANSWERS.has(turn.nlu.intent) || spec?.kind === 'text' ? undefined : await this.skillFor(turn);
    const skill = candidate && turn.nlu.confidence >= this.o.interruptConfidence ? candidate : undefined;
    if (!skill) {
      await dc.continueDialog();
      return 'dialog';
    }
    // Asking to start the same flow again ("return SA100124 instead") restarts it.
    if (skill.dialogId && dc.activeDialog?.id === skill.dialogId) await dc.cancelAllDialogs();
    const depth = dc.stack.length;
    await skill.handle(turn);
    turn.session.fallbacks = 0;
    // A skill that answers in one turn leaves the stack as it was: ask the pending question again.
    // (A skill that began its own dialog is now on top; the interrupted one resumes when it ends.)
    if (dc.stack.length === depth && dc.activeDialog) {
      await reply(turn, T.resume);
      await dc.repromptDialog();
    }
    return skill.name;
  }

  private async skillFor(turn: Turn): Promise<Skill | undefined> {
    if (turn.nlu.intent === 'out_of_scope' || turn.nlu.confidence < this.o.minConfidence) return undefined;
    for (const skill of this.o.skills) {
      if (await skill.canHandle(turn)) return skill;
    }
    if (this.o.faq?.canHandle(turn)) return this.o.faq;
    return undefined;
  }

  /**
   * "And to Hong Kong?", "那顺丰呢？多少钱" right after an answer from the help articles: the
   * same question about something else. It keeps the topic it follows (the intent steers the
   * articles) and is searched together with that question. Not when the message clearly asks
   * something of its own (a confident intent of a skill, an order number, a product).
   */
  private async followUp(turn: Turn): Promise<boolean> {
    const last = turn.session.lastAnswered;
    const faq = this.o.faq;
    const kind = followUpKind(turn.text);
    if (!faq || !last || turn.now.getTime() - Date.parse(last.at) > FOLLOW_UP_MINUTES * 60_000 || !kind) return false;
    // An order was shown after that answer: "那大概啥时候能到？" is about the order now.
    if (turn.session.order && Date.parse(turn.session.order.at) > Date.parse(last.at)) return false;
    if (turn.nlu.entities.some((e) => e.type === 'order_number')) return false;
    // Naming a product continues the help topic ("can I machine-wash running shoes?", then "and my
    // down jacket?"), unless the message asks about the product itself (its price, stock, a list).
    const aboutTheProduct = PRODUCT_INTENTS.has(turn.nlu.intent) || turn.nlu.intent === 'recommend';
    if (turn.nlu.entities.some((e) => e.type === 'product') && aboutTheProduct && turn.nlu.confidence >= this.o.minConfidence) return false;
    // A confident question of another kind ("and where is my order?") is not a follow-up, unless
    // it is another help question that the articles answer better together with the question it
    // follows ("can you refund to my bank account?", then "and how long does it take": the refund's time).
    const sameKind = turn.nlu.intent === last.intent || FAQ_FOLLOWABLE.has(turn.nlu.intent);
    // A question that only points back ("how long does the repair take?") is weighed against itself
    // alone whatever its reading; one in follow-up form only when it is confidently another help question.
    // "好的 那关税谁付" read as "ok" is still the follow-up after the "ok".
    const readAsTheAck = ACK_READINGS.has(turn.nlu.intent) && turn.nlu.intent !== 'out_of_scope' && withoutLeadingAck(turn.text) !== undefined;
    const otherHelpQuestion = !readAsTheAck && (turn.nlu.confidence >= this.o.sureConfidence || kind === 'points_back') && !sameKind;
    if (otherHelpQuestion && !FAQ_INTENTS.includes(turn.nlu.intent) && !faq.categoriesFor(turn.nlu.intent)) return false;
    if (kind === 'points_back' && turn.nlu.confidence >= this.o.sureConfidence && !FAQ_INTENTS.includes(turn.nlu.intent) && !sameKind) return false;
    // The topic continues from the article actually cited (its category), else from the intent it was asked as.
    const intent = (last.category ? this.intentForCategory(last.category, last.intent) : last.intent) ?? turn.nlu.intent;
    // Searched with the question it follows, its own words counting twice: "and my down jacket?" after
    // a question about running shoes asks the same of the jacket, not of the shoes again.
    const own = withoutLeadingAck(turn.text) ?? turn.text;
    const searchText = `${last.text} ${own} ${own}`;
    const hits = await faq.lookup({ ...turn, searchText }, intent, { titleQuery: own });
    if (hits.length === 0) return false;
    if (otherHelpQuestion) {
      const alone = (await faq.lookup(turn, turn.nlu.intent))[0];
      // "the repair" named what it points back at: an answer that says nothing of repairs is not about it.
      const named = pointedBackAt(turn.text);
      const keepsTheThing = named !== undefined && alone !== undefined && !sharesContentWord(named, `${alone.title}\n${alone.heading ?? ''}\n${alone.text}`);
      // The follow-up form ("and …", "那…呢") is itself evidence: the message alone must be clearly surer.
      if (alone && !keepsTheThing && alone.confidence >= hits[0]!.confidence + FOLLOW_UP_MARGIN) return false;
    }
    turn.nlu = { ...turn.nlu, intent, confidence: Math.max(turn.nlu.confidence, this.o.minConfidence) };
    turn.searchText = searchText;
    return faq.answer(turn, hits);
  }

  /** The intent a follow-up of an article of this category continues: the last one when it covers the category. */
  private intentForCategory(category: string, lastIntent: string | undefined): string | undefined {
    const faq = this.o.faq;
    if (!faq) return lastIntent;
    if (lastIntent && faq.categoriesFor(lastIntent)?.includes(category)) return lastIntent;
    const intents = [...INTENT_LABELS.keys()];
    return intents.find((i) => faq.categoriesFor(i)?.[0] === category) ?? intents.find((i) => faq.categoriesFor(i)?.includes(category)) ?? lastIntent;
  }

  /**
   * "ok cool and is it free over some amount?", "好的 那关税谁付": read without the acknowledgement
   * in front when that is all the classifier heard in it (or when the rest is read with more certainty).
   */
  private async readPastTheAcknowledgement(turn: Turn): Promise<void> {
    // Nothing but an acknowledgement, refused or unsure ("great, thanks a lot!" read as off-topic): it is one.
    const ack = onlyAcknowledgement(turn.text);
    if (ack && (turn.nlu.intent === 'out_of_scope' || turn.nlu.confidence < this.o.minConfidence)) {
      turn.nlu = { ...turn.nlu, intent: ack, confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [] };
      return;
    }
    const rest = withoutLeadingAck(turn.text);
    if (!rest || !this.o.nlu) return;
    const ackOnly = ACK_READINGS.has(turn.nlu.intent) || turn.nlu.confidence < this.o.minConfidence;
    if (!ackOnly) return;
    const nlu = await this.understand(rest, turn.locale, turn.now);
    if (ACK_READINGS.has(nlu.intent) && nlu.intent !== 'out_of_scope') return;
    // The rest is no shop question either: the acknowledgement stays what was said ("great, thanks a lot!").
    if (nlu.intent === 'out_of_scope' && turn.nlu.intent !== 'out_of_scope' && turn.nlu.confidence >= this.o.minConfidence) return;
    turn.nlu = { ...nlu, entities: turn.nlu.entities.length > 0 ? turn.nlu.entities : nlu.entities, language: turn.nlu.language };
    turn.text = rest;
  }

  /**
   * A problem with what the shopper bought or with its delivery, read as a product search, an
   * order question or nothing at all: we say sorry and answer from the articles that say how we put
   * it right (with the button that starts their own case). With an order number, the order skills take it.
   */
  private async answerProblemReport(turn: Turn): Promise<boolean> {
    const faq = this.o.faq;
    const kind = reportedProblem(turn.text);
    if (!faq || !kind || turn.nlu.entities.some((e) => e.type === 'order_number')) return false;
    // Read as its own kind (a warranty question) it is searched with the words of its kind too ("背包的拉链…保修吗" is not about headphones).
    const misread = PROBLEM_MISREADINGS.has(turn.nlu.intent) || turn.nlu.confidence < this.o.sureConfidence || turn.nlu.intent === PROBLEM_INTENT[kind];
    if (!misread) return false;
    // A parcel that has not come, of an order the shopper speaks of as theirs ("我下的单怎么还没发货"), or
    // said while asking for something about it (a new address, a cancellation): the order skills look it up.
    if (kind === 'parcel' && (speaksOfOwnCase(turn.text) || (TOPIC_OF_THEIR_OWN.has(turn.nlu.intent) && turn.nlu.intent !== 'human_agent'))) return false;
    const intent = PROBLEM_INTENT[kind];
    // Searched with the words of its kind (wrong or missing, a defect of headphones or of shoes, a lost parcel).
    const searchText = `${turn.searchText ?? turn.text}\n${problemSearchWords(kind, turn.text, turn.locale)}`;
    const hits = await faq.lookup({ ...turn, searchText }, intent);
    if (hits.length === 0) return false;
    turn.searchText = searchText;
    if (!turn.upset) await apologizeForProblem(turn);
    turn.nlu = { ...turn.nlu, intent, confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [] };
    return faq.answer(turn, hits);
  }

  private async dispatch(turn: Turn): Promise<string> {
    await this.readPastTheAcknowledgement(turn);
    this.readTheShoppersOwnQuestion(turn);
    // About another shop, or a task for a general assistant (translating, a poem): not ours to answer, whatever words it shares with an article.
    // Only while the classifier is not sure of a shop question ("Can I pay with Amazon Pay?" is one).
    const unsure = turn.nlu.intent === 'out_of_scope' || turn.nlu.confidence < this.o.sureConfidence;
    if (unsure && asksAboutSomethingElse(turn.text) && !turn.upset && !turn.nlu.entities.some((e) => e.type === 'order_number')) {
      turn.nlu = { ...turn.nlu, intent: 'out_of_scope', confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [] };
      await outOfScopeSkill.handle(turn);
      return outOfScopeSkill.name;
    }
    if (await this.followUp(turn)) {
      turn.session.fallbacks = 0;
      return 'faq';
    }
    if (await this.answerProblemReport(turn)) {
      turn.session.fallbacks = 0;
      return 'faq';
    }
    for (const skill of this.o.skills) {
      if (skill.followUp && (await skill.followUp(turn))) {
        await skill.handle(turn);
        turn.session.fallbacks = 0;
        return skill.name;
      }
    }
    await this.reconsiderProductIntent(turn);
    const nlu = turn.nlu;
    const second = nlu.alternatives?.[0];
    if (
      second &&
      second.intent !== nlu.intent &&
      !turn.upset &&
      nlu.confidence < this.o.sureConfidence &&
      nlu.confidence - second.confidence < this.o.clarifyMargin &&
      second.confidence >= this.o.minConfidence / 2 &&
      INTENT_LABELS.has(nlu.intent) &&
      INTENT_LABELS.has(second.intent)
    ) {
      const settled = await this.settleByKnowledge(turn, [nlu.intent, second.intent]);
      if (!settled) {
        await this.askWhich(turn, [nlu.intent, second.intent]);
        return 'clarify';
      }
      turn.nlu = { ...nlu, intent: settled, confidence: Math.max(nlu.confidence, this.o.minConfidence) };
    }
    const skill = await this.skillFor(turn);
    if (skill) {
      await skill.handle(turn);
      turn.session.fallbacks = 0;
      return skill.name;
    }
    // Surely not a shop question (the weather, a joke, maths): say what the assistant does; no article.
    // Unless a help article plainly answers it after all (the detector misjudged "US mens 9.5 = what
    // size on your site?"): a passage sharing a real word with it, well above the floor, from the
    // articles of one of the shop intents the classifier ranked next.
    if (surelyOutOfScope(turn.nlu, this.o.minConfidence) && !turn.upset) {
      const faq = this.o.faq;
      const plain = faq ? (await faq.lookup(turn, undefined, { mustShareWord: true }))[0] : undefined;
      const ranked = (turn.nlu.alternatives ?? []).slice(0, 2).flatMap((a) => faq?.categoriesFor(a.intent) ?? []);
      // Or one that shares two content words with it: a sentence model that does not read the language
      // (all-MiniLM-L6-v2 and "真皮包被雨淋湿了咋办") judges it off-topic and ranks the wrong intents next.
      const plainly = plain ? sharedContentWords(turn.text, `${plain.title}\n${plain.heading ?? ''}\n${plain.text}`) >= OUT_OF_SCOPE_SHARED_WORDS : false;
      if (!plain || plain.confidence < OUT_OF_SCOPE_OVERRIDE || !plain.category || !(ranked.includes(plain.category) || plainly)) {
        await outOfScopeSkill.handle(turn);
        return outOfScopeSkill.name;
      }
    }
    // Not understood: the knowledge base may still answer it, with a passage that shares a content
    // word with the message (not one that merely ranks first). The unsure intent steers only while
    // no clearly surer article elsewhere answers.
    if (this.o.faq) {
      const hits = await this.o.faq.lookup(turn, turn.nlu.intent, { mustShareWord: true, weakIntent: true });
      if (await this.o.faq.answer(turn, hits)) {
        turn.session.fallbacks = 0;
        return 'faq';
      }
    }
    // An upset shopper we cannot answer goes to a person at once: no "could you rephrase?".
    if (turn.upset) {
      turn.session.escalation = { reason: 'sentiment', at: turn.now.toISOString() };
      return 'handoff';
    }
    turn.session.fallbacks = (turn.session.fallbacks ?? 0) + 1;
    if (turn.session.fallbacks >= 2) {
      if (turn.session.fallbacks >= this.o.escalateAfterFallbacks) turn.session.escalation = { reason: 'fallbacks', at: turn.now.toISOString() };
      await reply(turn, T.fallbackAgain, { quickReplies: [humanOption(turn.locale), ...menu(turn.locale).slice(0, 3)] });
      return 'fallback';
    }
    await this.o.fallback.handle(turn);
    return this.o.fallback.name;
  }

  /**
   * Two close intents, one of which the knowledge base clearly answers: its best passage comes
   * from the articles of exactly one of them ("how much is shipping?": shipping, not prices).
   * Then that intent is meant, and asking "did you mean…" would only slow the shopper down.
   * Not when the message names a product (then "how much" is about the product).
   */
  private async settleByKnowledge(turn: Turn, intents: string[]): Promise<string | undefined> {
    const faq = this.o.faq;
    if (!faq || turn.nlu.entities.some((e) => e.type === 'product')) return undefined;
    const best = (await faq.lookup(turn, turn.nlu.intent))[0];
    if (!best?.category) return undefined;
    const answering = intents.filter((i) => faq.categoriesFor(i)?.includes(best.category!));
    if (answering.length === 1) return answering[0];
    // Both would be answered from these articles, and the shopper asks a question (not about their own case): no need to ask which.
    return answering.length === intents.length && isGeneralQuestion(turn) ? intents[0] : undefined;
  }

  /** Questions whose form says what they are, before any skill claims them as a follow-up. */
  private readTheShoppersOwnQuestion(turn: Turn): void {
    // "我那双鞋到底啥时候到" is about the shopper's own parcel, whatever the classifier makes of the shoes.
    // (A rejection, `out_of_scope`, is no evidence against the question's own form.)
    const unsure = turn.nlu.confidence < this.o.sureConfidence || turn.nlu.intent === 'out_of_scope';
    if (asksWhereMyParcelIs(turn.text) && turn.nlu.intent !== 'track_order' && unsure && !TOPIC_OF_THEIR_OWN.has(turn.nlu.intent)) {
      turn.nlu = { ...turn.nlu, intent: 'track_order', confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [] };
    }
    // "can i exchange the shoes from order SA100228?" read, unsure, as another action on the order
    // (changing it, returning it): the verb the shopper used names the action.
    const action = namedOrderAction(turn.text);
    if (action && action !== turn.nlu.intent && ORDER_ACTIONS.has(turn.nlu.intent) && turn.nlu.confidence < this.o.sureConfidence) {
      turn.nlu = { ...turn.nlu, intent: action, confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [{ intent: turn.nlu.intent, confidence: turn.nlu.confidence }] };
    }
    // "我想投诉一下": the shopper says what they want to do.
    const asksForPerson = /\b(?:human|person|agent|someone|manager|supervisor)\b|人工|真人|客服人员|主管|经理/i.test(turn.text);
    if (saysComplaint(turn.text) && (unsure || turn.nlu.intent === 'human_agent') && !asksForPerson) {
      const already = turn.nlu.intent === 'complaint';
      turn.nlu = { ...turn.nlu, intent: 'complaint', confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: already ? turn.nlu.alternatives : [] };
    }
    // "身高165 胸围86 女生T恤穿什么码" asks for size advice, not for T-shirts: the size guides answer
    // (unless a product is named: then the product's own sizes and fit note do).
    if (asksWhichSize(turn.text) && (turn.nlu.intent === 'recommend' || unsure) && !turn.nlu.entities.some((e) => e.type === 'product' || e.type === 'order_number')) {
      turn.nlu = { ...turn.nlu, intent: 'product_question', confidence: Math.max(turn.nlu.confidence, this.o.minConfidence), alternatives: [] };
    }
  }

  /**
   * "How much is shipping?" read as a product's price: a price, stock or product question that
   * names no product, while a help intent among the close alternatives has articles that
   * answer it, is that help question ("which product?" would only send the shopper round).
   */
  private async reconsiderProductIntent(turn: Turn): Promise<void> {
    const faq = this.o.faq;
    const nlu = turn.nlu;
    // A recommendation with nothing to go on (no product, category or attribute) asked as a question
    // ("what are your customer service hours?") is weighed the same way.
    const bareRecommend = nlu.intent === 'recommend' && isGeneralQuestion(turn) && !turn.nlu.entities.some((e) => RECOMMEND_CUES.has(e.type));
    if (!faq || !(PRODUCT_INTENTS.has(nlu.intent) || bareRecommend) || turn.nlu.entities.some((e) => e.type === 'product' || e.type === 'category')) return;
    for (const alt of (nlu.alternatives ?? []).slice(0, 2)) {
      const categories = faq.categoriesFor(alt.intent);
      if (!categories || alt.confidence < RECONSIDER_MIN) continue;
      const best = (await faq.lookup(turn, alt.intent))[0];
      if (best?.category && categories.includes(best.category)) {
        turn.nlu = { ...nlu, intent: alt.intent, confidence: Math.max(alt.confidence, this.o.minConfidence), alternatives: [{ intent: nlu.intent, confidence: nlu.confidence }] };
        return;
      }
    }
    // Right after a help answer, with no product on screen since: "分期的话最低要多少钱" asks about that topic.
    const last = turn.session.lastAnswered;
    const shown = turn.session.recommend?.at;
    if (!last?.intent || turn.now.getTime() - Date.parse(last.at) > FOLLOW_UP_MINUTES * 60_000 || (shown && Date.parse(shown) > Date.parse(last.at))) return;
    const searchText = `${last.text} ${turn.text}`;
    if ((await faq.lookup({ ...turn, searchText }, last.intent)).length === 0) return;
    turn.nlu = { ...nlu, intent: last.intent, confidence: Math.max(nlu.confidence, this.o.minConfidence), alternatives: [{ intent: nlu.intent, confidence: nlu.confidence }] };
    turn.searchText = searchText;
  }

  private async askWhich(turn: Turn, intents: string[]): Promise<void> {
    const l = turn.locale;
    const options = intents.map((intent) => ({ intent, value: INTENT_LABELS.get(intent)![l] }));
    turn.session.clarifying = { text: turn.text, entities: turn.nlu.entities, options };
    const lines = options.map((o, i) => `${i + 1}. ${o.value}`).join('\n');
    await reply(turn, `${T.clarify[l]}\n${lines}`, { quickReplies: options.map((o) => ({ title: o.value, value: o.value })) });
  }

  /** The answer to "did you mean A or B?" routes the ORIGINAL question with the chosen intent. */
  private applyClarification(turn: Turn): void {
    const pending = turn.session.clarifying;
    if (!pending) return;
    delete turn.session.clarifying;
    const answer = (typeof turn.value === 'string' ? turn.value : turn.text).trim();
    const n = /^\d$/.test(answer) ? Number(answer) : 0;
    const chosen = pending.options.find((o, i) => o.value === answer || o.value.toLowerCase() === answer.toLowerCase() || n === i + 1);
    if (!chosen) return;
    turn.text = pending.text;
    turn.nlu = { ...turn.nlu, intent: chosen.intent, confidence: 1, entities: pending.entities, alternatives: [] };
  }
}
