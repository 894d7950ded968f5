import type { Activity, TurnContext } from 'botbuilder-core';
import { Prompt, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import { DEFAULT_ORDER_NUMBER_FORMAT, isOrderNumber, prefixesOf, type OrderNumberFormat } from '../nlu/entities/index.js';
import type { Turn } from '../types.js';
import { currentTurn } from './current-turn.js';

/** One option of a choice: its value (a button's value) and the words that name it. */
export interface Choice {
  value: string;
  synonyms: string[];
}

/**
 * What an AnswerPrompt accepts. Quick-reply clicks arrive as their value, typed answers as
 * text; both are matched here, in English and Chinese, so prompts work the same on every
 * channel (WeChat has no buttons: the options are listed in the text there). Specs are plain
 * data: they are saved with the dialog state.
 */
export type AnswerSpec =
  | { kind: 'choice'; choices: Choice[] }
  /** An order number in the shop's format (else whatever number the shopper gives as one); `choices`: a pick list of orders. */
  | { kind: 'order'; format?: OrderNumberFormat; choices?: Choice[] }
  /** `about: 'condition'`: "is it unused / sealed?", where "没拆封", "unopened", "never worn" are a yes. */
  | { kind: 'yesno'; about?: 'condition' }
  | { kind: 'digits'; length: number }
  /** The ownership proof: the last 4 (or more) digits of a phone number, or the whole number in any common format. */
  | { kind: 'phone' }
  | { kind: 'text'; minLength?: number };

/** What a prompt returns to the waterfall: the recognised value, or `null` after too many misses or when the shopper stops. */
export type Answer = string | null;

export const MAX_PROMPT_ATTEMPTS = 3;

const YES = /^(y|yes|yeah|yep|sure|ok(ay)?|confirm|correct|right|do it|go ahead|please do|submit( it)?|是|是的|对|对的|好|好的|好滴|可以|可以的|行|嗯|嗯嗯|确认|确定|确认提交|确定提交|提交|提交吧|没问题|要)([\s!！.。,，]|$)/i;
const NO = /^(n|no|nope|nah|not really|cancel|don'?t|stop|否|不|不是|不要|不用|算了|取消|没有)([\s!！.。,，]|$)/i;

/**
 * The shopper stops the flow in their own words ("hmm actually never mind, i'll keep it",
 * "算了 不退了"): the prompt ends with `null`, as after too many misses.
 */
const STOP =
  /^(?:(?:hmm+|um+|uh+|oh|ah|well|actually|ok(?:ay)?|sorry|no|nah)[\s,.!]*)*(?:never ?mind|nvm|forget (?:about )?it|i'?ll keep (?:it|them)|i (?:will|want to|wanna|'d rather) keep (?:it|them)|(?:i )?(?:don'?t|do not) want to (?:return|exchange) (?:it|them|anything)|cancel (?:the|my|this) (?:return|exchange|request))\b|^(?:嗯+|哦+|呃+|那个|还是|那)?[\s，,]*(?:算了|不退了|不换了|不用退了|先不退了|不想退了|不退货了|取消退货|取消吧|不用了)/iu;

/** "Is it unused / sealed?": a yes said as the state ("没拆封", "unopened", "never worn", "tags still on"). */
const CONDITION_YES =
  /\b(?:un(?:used|worn|opened|touched|washed)|never (?:been )?(?:used|worn|opened|washed)|not (?:been )?(?:used|worn|opened|washed)|(?:have|has)n'?t (?:been )?(?:used|worn|opened|washed)|did ?n'?t (?:use|wear|open)|(?:still )?(?:sealed|intact)|brand new|tags? (?:are |is )?(?:still )?(?:on|attached))\b|(?:没|未|从没|还没|都没|一次都没)有?(?:用|穿|戴|拆|开封|开过|洗|碰)|全新|封(?:口|条|膜)?(?:还|都)?(?:在|没拆|没撕|没破)|吊牌(?:都|也|还)?(?:在|没剪|没拆)|(?<!不)完好/iu;
/** …and a no said as the state ("used them", "the seal is gone", "戴过几次", "封条撕了"). */
const CONDITION_NO =
  /\b(?:used|worn|wore|opened|washed|seal (?:is |was )?(?:gone|broken|off|removed|torn)|broke the seal|(?:removed|cut off|took off) the (?:tags?|seal)|tags? (?:are |is |were )?(?:off|gone|removed|cut))\b|用过|穿过|戴过|洗过|拆了|拆开|拆封了|开封了|已拆|已开封|撕了|撕掉|吊牌(?:剪|拆|没)了|封条(?:已经)?(?:撕|破|没)/iu;

function normalise(text: string): string {
  return text.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

/** The shopper's answer as the prompt sees it: a button's value, else the text. */
function answerText(turn: Turn): string {
  return typeof turn.value === 'string' && turn.value.trim() !== '' ? turn.value : turn.text;
}

/**
 * The prompt's reading of the shopper's answer: the value, `null` when they stop the flow
 * ("never mind", "算了 不退了"), undefined when it is not an answer to this question.
 */
export function recognizeAnswer(spec: AnswerSpec, turn: Turn): Answer | undefined {
  const raw = answerText(turn);
  const text = normalise(raw);
  if (STOP.test(text)) return null;
  switch (spec.kind) {
    case 'choice':
      return pickChoice(spec.choices, text);
    case 'order': {
      const order = turn.nlu.entities.find((e) => e.type === 'order_number');
      if (order) return order.value;
      const picked = spec.choices ? pickChoice(spec.choices, text) : undefined;
      return picked ?? orderNumberIn(raw, spec.format ?? DEFAULT_ORDER_NUMBER_FORMAT);
    }
    case 'yesno':
      if (spec.about === 'condition') {
        if (CONDITION_YES.test(text)) return 'yes';
        if (CONDITION_NO.test(text)) return 'no';
      }
      if (YES.test(text) || turn.nlu.intent === 'affirm') return 'yes';
      if (NO.test(text) || turn.nlu.intent === 'deny') return 'no';
      return undefined;
    case 'digits': {
      const digits = raw.replace(/\D/g, '');
      return digits.length === spec.length ? digits : undefined;
    }
    case 'phone':
      return phoneDigitsIn(raw);
    case 'text':
      return raw.trim().length >= (spec.minLength ?? 1) ? raw.trim().slice(0, 500) : undefined;
  }
}

/**
 * The digits of the phone proof: "0134", "哦不好意思 是0022", "5 6 7 8", or a whole number
 * as people write it ("+86 138 0000 0001", "138-0000-0001", "(021) 1234 5678"). Digits with
 * spaces, dashes, dots or brackets between them are one number; 4 to 15 digits.
 */
export function phoneDigitsIn(raw: string): string | undefined {
  for (const m of raw.normalize('NFKC').matchAll(/\+?\(?\d(?:[\d\s().-]{0,24}\d)?/g)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 4 && digits.length <= 15) return digits;
  }
  return undefined;
}

/**
 * An order number in a typed answer to "which order?": in one of the shop's formats (a bare
 * "100123" gets a format's prefix), else any number of 5+ digits the shopper gives as one
 * (the dialog then says ours look different).
 */
function orderNumberIn(raw: string, format: OrderNumberFormat): string | undefined {
  let other: string | undefined;
  for (const m of raw.normalize('NFKC').matchAll(/(?<![A-Za-z0-9])#?\s?(?:([A-Za-z]{1,6})([\s-]?))?(\d(?:-?\d){2,29})(?![A-Za-z0-9])/g)) {
    const [, letters = '', gap = '', number = ''] = m;
    const digits = number.replace(/-/g, '');
    // A bare "100123" gets the letters of any listed format that has them (ORDER_NUMBER_PATTERN may list several).
    const tries = [letters ? `${letters}${gap}${number}`.toUpperCase() : '', letters ? `${letters}${digits}`.toUpperCase() : '', number, digits, ...prefixesOf(format).map((p) => `${p}${digits}`)];
    const known = tries.find((v) => v !== '' && isOrderNumber(format, v));
    if (known) return known;
    // "it is 00004587345": a word before the number is not part of it.
    if (!other && digits.length >= 5) other = letters && gap !== ' ' ? `${letters}${digits}`.toUpperCase() : digits;
  }
  return other;
}

/** Words that name no option ("the jacket one", "the one with the lip balms"). */
const STOP_WORDS = new Set([
  'the', 'a', 'an', 'one', 'ones', 'with', 'please', 'pls', 'that', 'this', 'these', 'those', 'it', 'its', 'i', 'my', 'me', 'want', 'wanna', 'would', 'like',
  'to', 'return', 'send', 'back', 'of', 'in', 'on', 'for', 'and', 'or', 'from', 'item', 'thing', 'order', 'just', 'only', 'which', 'was', 'is', 'are', 'do',
  'you', 'id', 'im', 'ill', 'about', 'some', 'something', 'part', 'all', 'not', 'no', 'yes', 'too',
]);
/** Chinese that names no option: demonstratives, measure words, particles ("T恤那件", "耳机那个"). */
const ZH_FILLER = /那件|那个|这件|这个|那条|这条|那双|这双|那款|这款|那只|这只|那副|这副|那一|这一|的|我|要|想|退|换|一下|吧|呢|啊|呀|哦|嗯|就|是|里|个|件|条|双|只|款/gu;
const HAN = /\p{Script=Han}/u;

function wordsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.match(/[a-z0-9]+/g) ?? []) {
    if (w.length < 2 || STOP_WORDS.has(w)) continue;
    out.add(w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
  }
  return out;
}

/** Pairs of characters of the answer's Chinese words (a Latin letter may be one of them: "t恤"). */
function hanPairs(text: string): string[] {
  const out: string[] = [];
  const chunks = text.replace(/\s+/g, '').replace(ZH_FILLER, ' ').match(/[\p{Script=Han}a-z0-9]+/gu) ?? [];
  for (const chunk of chunks) {
    const chars = [...chunk];
    for (let i = 0; i + 1 < chars.length; i++) {
      const pair = chars[i]! + chars[i + 1]!;
      if (HAN.test(pair)) out.push(pair);
    }
  }
  return out;
}

/**
 * How many of the answer's words name this option: its words, and its Chinese pairs found in
 * the option's phrases.
 */
function overlap(answer: string, c: Choice): number {
  const phrases = [c.value, ...c.synonyms].map(normalise);
  const words = new Set(phrases.flatMap((p) => [...wordsOf(p)]));
  const compact = phrases.map((p) => p.replace(/\s+/g, '')).join('|');
  let score = 0;
  for (const w of wordsOf(answer)) if (words.has(w)) score++;
  for (const pair of new Set(hanPairs(answer))) if (compact.includes(pair)) score++;
  return score;
}

/**
 * The option a typed answer picks: the value or a synonym exactly, a position ("2", "2nd",
 * "第二个"), the one option whose phrase the answer contains, else the option the answer's
 * words name best ("the jacket one", "T恤那件", "the one with the lip balms"); ties pick none.
 */
function pickChoice(choices: Choice[], text: string): string | undefined {
  for (const c of choices) {
    if (normalise(c.value) === text || c.synonyms.some((s) => normalise(s) === text)) return c.value;
  }
  // "2", "2nd", "第二个": a position in the list as shown.
  const position = /^(?:#|no\.?\s*)?(\d{1,2})(?:st|nd|rd|th)?$/.exec(text) ?? /^第?([一二三四五六七八九十\d]{1,2})个?$/.exec(text);
  if (position) {
    const n = chineseDigit(position[1]!);
    if (n >= 1 && n <= choices.length) return choices[n - 1]!.value;
  }
  // A typed answer containing exactly one choice's value or synonym ("refund please").
  const contained = choices.filter((c) => [c.value, ...c.synonyms].some((s) => normalise(s).length >= 2 && text.includes(normalise(s))));
  if (contained.length === 1) return contained[0]!.value;
  const pool = contained.length > 1 ? contained : choices;
  const scored = pool.map((c) => ({ value: c.value, score: overlap(text, c) })).sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  return best && best.score > 0 && (!second || best.score > second.score) ? best.value : undefined;
}

/** A Map, not `{}`: looked up with the shopper's answer (issue 14). */
const CHINESE_DIGITS: ReadonlyMap<string, number> = new Map([...'一二三四五六七八九十'].map((c, i) => [c, i + 1]));

function chineseDigit(s: string): number {
  return /^\d+$/.test(s) ? Number(s) : (CHINESE_DIGITS.get(s) ?? 0);
}

/** The spec of the prompt waiting for an answer on this dialog stack (for the router's interruption check). */
export function pendingSpec(state: { options?: PromptOptions } | undefined): AnswerSpec | undefined {
  return state?.options?.validations as AnswerSpec | undefined;
}

/**
 * A prompt over our own recogniser: bilingual, value-aware, and it gives up after
 * MAX_PROMPT_ATTEMPTS misses (returning `null`) instead of looping forever.
 */
export class AnswerPrompt extends Prompt<Answer> {
  constructor(dialogId: string) {
    // The retry is sent here, not by Prompt: Prompt only re-asks when nothing was sent in
    // the turn yet, and channels send a typing indicator first.
    super(dialogId, async (pc) => {
      if (pc.recognized.succeeded) return true;
      const activity = pc.options.retryPrompt ?? pc.options.prompt;
      if (activity) await pc.context.sendActivity(activity as Partial<Activity>);
      return false;
    });
  }

  protected override async onPrompt(context: TurnContext, _state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    const activity = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    if (activity) await context.sendActivity(activity as Partial<Activity>);
  }

  protected override async onRecognize(context: TurnContext, state: Record<string, unknown>, options: PromptOptions): Promise<PromptRecognizerResult<Answer>> {
    const spec = options.validations as AnswerSpec;
    const value = recognizeAnswer(spec, currentTurn(context));
    if (value !== undefined) return { succeeded: true, value };
    const misses = Number(state['misses'] ?? 0) + 1;
    state['misses'] = misses;
    return misses >= MAX_PROMPT_ATTEMPTS ? { succeeded: true, value: null } : { succeeded: false };
  }
}
