import type { Activity, TurnContext } from 'botbuilder-core';
import { Prompt, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import type { Turn } from '../types.js';
import { currentTurn } from './current-turn.js';

/**
 * What an AnswerPrompt accepts. Quick-reply clicks arrive as their value, typed answers as
 * text; both are matched here, in English and Chinese, so prompts work the same on every
 * channel (WeChat has no buttons: the options are listed in the text there).
 */
export type AnswerSpec =
  | { kind: 'choice'; choices: Array<{ value: string; synonyms: string[] }> }
  | { kind: 'order' }
  | { kind: 'yesno' }
  | { kind: 'digits'; length: number }
  | { kind: 'text'; minLength?: number };

/** What a prompt returns to the waterfall: the recognised value, or `null` after too many misses. */
export type Answer = string | null;

export const MAX_PROMPT_ATTEMPTS = 3;

const YES = /^(y|yes|yeah|yep|sure|ok(ay)?|confirm|correct|right|do it|go ahead|please do|是|是的|对|对的|好|好的|可以|行|嗯|确认|确定|没问题|要)([\s!！.。,，]|$)/i;
const NO = /^(n|no|nope|nah|not really|cancel|don'?t|stop|否|不|不是|不要|不用|算了|取消|没有)([\s!！.。,，]|$)/i;

function normalise(text: string): string {
  return text.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

/** The shopper's answer as the prompt sees it: a button's value, else the text. */
function answerText(turn: Turn): string {
  return typeof turn.value === 'string' && turn.value.trim() !== '' ? turn.value : turn.text;
}

export function recognizeAnswer(spec: AnswerSpec, turn: Turn): string | undefined {
  const raw = answerText(turn);
  const text = normalise(raw);
  switch (spec.kind) {
    case 'choice': {
      for (const c of spec.choices) {
        if (normalise(c.value) === text || c.synonyms.some((s) => normalise(s) === text)) return c.value;
      }
      // "2", "2nd", "第二个": a position in the list as shown.
      const position = /^(?:#|no\.?\s*)?(\d{1,2})(?:st|nd|rd|th)?$/.exec(text) ?? /^第?([一二三四五六七八九十\d]{1,2})个?$/.exec(text);
      if (position) {
        const n = chineseDigit(position[1]!);
        if (n >= 1 && n <= spec.choices.length) return spec.choices[n - 1]!.value;
      }
      // A typed answer containing exactly one choice's value or synonym ("the jacket one").
      const contained = spec.choices.filter((c) => [c.value, ...c.synonyms].some((s) => normalise(s).length >= 2 && text.includes(normalise(s))));
      return contained.length === 1 ? contained[0]!.value : undefined;
    }
    case 'order': {
      const order = turn.nlu.entities.find((e) => e.type === 'order_number');
      if (order) return order.value;
      const m = /\b(SA)?[\s-]?(\d{6})\b/i.exec(raw);
      return m ? `SA${m[2]}` : undefined;
    }
    case 'yesno':
      if (YES.test(text) || turn.nlu.intent === 'affirm') return 'yes';
      if (NO.test(text) || turn.nlu.intent === 'deny') return 'no';
      return undefined;
    case 'digits': {
      const digits = raw.replace(/\D/g, '');
      return digits.length === spec.length ? digits : undefined;
    }
    case 'text':
      return raw.trim().length >= (spec.minLength ?? 1) ? raw.trim().slice(0, 500) : undefined;
  }
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
