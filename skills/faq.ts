import type { BaseLanguageModelInterface } from '@langchain/core/language_models/base';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import type { Locale } from '../store/index.js';
import { humanOption, reply, type QuickReplyOption } from './respond.js';
import type { Skill, Turn } from './types.js';

/** One retrieved passage, as the knowledge module returns it (see knowledge/retrieval). */
export interface KnowledgeHit {
  documentId: string;
  slug: string;
  locale: Locale;
  title: string;
  heading?: string;
  text: string;
  /** 0..1: how sure retrieval is that this passage answers the query. */
  confidence: number;
}

export interface KnowledgeSearch {
  search(query: string, opts?: { locale?: Locale; k?: number }): Promise<KnowledgeHit[]>;
}

export interface FaqOptions {
  kb: KnowledgeSearch;
  /** The public link of an article (the citation). */
  link: (slug: string, locale: Locale) => string;
  /** Below this confidence the skill asks to rephrase instead of answering. */
  minConfidence: number;
  /** The full article (to answer "what is your X policy?" with the article's opening section). */
  getArticle?: (documentId: string) => Promise<{ title: string; body: string } | null>;
  /** Optional: a LangChain chat model for a generative answer grounded on the passages. Off by default. */
  chatModel?: BaseLanguageModelInterface;
  onError?: (err: unknown) => void;
}

/** Intents whose answer is the shop's help content. */
export const FAQ_INTENTS = [
  'refund_policy',
  'shipping_options',
  'delivery_time',
  'payment_methods',
  'payment_issue',
  'invoice',
  'create_account',
  'delete_account',
  'reset_password',
  'edit_account',
  'warranty',
  'coupon',
  'cancellation_fee',
  'product_question',
  'complaint',
];

const MAX_ANSWER_CHARS = 700;
/** Chinese carries about twice the meaning per character: keep chat answers as short to read. */
const MAX_ANSWER_CHARS_ZH = 360;

const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** "What's your return policy?" asks about the article as a whole: its title is in the question. */
export function asksForWholeArticle(query: string, title: string): boolean {
  const t = norm(title);
  return t.length >= 2 && ` ${norm(query)} `.includes(t.includes(' ') || /\p{Script=Han}/u.test(t) ? t : ` ${t} `);
}

/** The article's opening section: everything up to the second heading. */
export function leadSection(body: string): string {
  const lines = body.replace(/^---[\s\S]*?---\s*/, '').split('\n');
  const out: string[] = [];
  let headings = 0;
  for (const line of lines) {
    if (/^#{1,6}\s/.test(line)) {
      if (/^#\s/.test(line)) continue;
      headings++;
      if (headings > 1 && out.some((l) => l.trim() !== '')) break;
      out.push(line);
      continue;
    }
    out.push(line);
  }
  return out.join('\n').trim();
}

const T = {
  source: { en: 'Source', zh: '来源' },
  rephrase: {
    en: 'I could not find that in our help pages. Could you say it another way, for example with the product or order it is about? Or talk to a person.',
    zh: '帮助中心里没有找到相关内容。可以换个说法吗？比如说明是哪个商品或订单。也可以转人工客服。',
  },
  related: { en: 'Related', zh: '相关问题' },
};

const GROUNDED_PROMPT = ChatPromptTemplate.fromMessages([
  [
    'system',
    'You are the customer-service assistant of an online shop. Answer the shopper ONLY from the numbered passages below. ' +
      'Cite the passages you used as [1], [2]. If the passages do not answer the question, reply exactly NO_ANSWER. ' +
      'Answer in {language}, in at most 4 sentences.\n\nPassages:\n{passages}',
  ],
  ['human', '{question}'],
]);

/** Markdown passage -> chat text: no heading marks, emphasis or table pipes; cut at a sentence near the limit. */
export function plainExcerpt(markdown: string, max = MAX_ANSWER_CHARS): string {
  const text = markdown
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|[^*])\*([^*\n]+)\*/g, '$1$2')
    .replace(/^\|?\s*-{3,}.*$/gm, '')
    .replace(/\|/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('。'), cut.lastIndexOf('\n'));
  return `${(end > max * 0.5 ? cut.slice(0, end + 1) : cut).trim()}…`;
}

/**
 * Answers from the knowledge base with a citation: the best passage (or, with a chat model,
 * a grounded answer citing the passages), the article's title and link. Below the confidence
 * floor it asks the shopper to rephrase and offers a person.
 */
export class FaqSkill implements Skill {
  readonly name = 'faq';
  readonly intents = FAQ_INTENTS;

  constructor(private readonly opts: FaqOptions) {}

  canHandle(turn: Turn): boolean {
    return FAQ_INTENTS.includes(turn.nlu.intent);
  }

  /** The hits for a turn, or [] when nothing is confident enough. */
  async lookup(turn: Turn): Promise<KnowledgeHit[]> {
    if (turn.text.trim() === '') return [];
    const hits = await this.opts.kb.search(turn.text, { locale: turn.locale, k: 3 });
    return hits.length > 0 && hits[0]!.confidence >= this.opts.minConfidence ? hits : [];
  }

  async handle(turn: Turn): Promise<void> {
    const hits = await this.lookup(turn);
    if (!(await this.answer(turn, hits))) {
      await reply(turn, T.rephrase, { quickReplies: [humanOption(turn.locale)] });
    }
  }

  /** Sends the answer for these hits; false when there is none. */
  async answer(turn: Turn, hits: KnowledgeHit[]): Promise<boolean> {
    const best = hits[0];
    if (!best) return false;
    const l = turn.locale;
    const related: QuickReplyOption[] = hits
      .slice(1)
      .filter((h) => h.slug !== best.slug)
      .slice(0, 2)
      .map((h) => ({ title: h.title, value: h.title }));
    const quick = [...related, humanOption(l)];
    if (this.opts.chatModel) {
      const generated = await this.generate(turn, hits).catch((err: unknown) => {
        this.opts.onError?.(err);
        return undefined;
      });
      if (generated) {
        await reply(turn, generated, { quickReplies: quick });
        return true;
      }
    }
    const max = l === 'zh' ? MAX_ANSWER_CHARS_ZH : MAX_ANSWER_CHARS;
    let passage = `${best.heading && best.heading !== best.title ? `${best.heading}\n` : ''}${best.text}`;
    if (this.opts.getArticle && asksForWholeArticle(turn.text, best.title)) {
      const article = await this.opts.getArticle(best.documentId);
      if (article) passage = leadSection(article.body);
    }
    const body = `${plainExcerpt(passage, max)}\n\n${T.source[l]}${l === 'zh' ? '：' : ': '}${best.title} ${this.opts.link(best.slug, best.locale)}`;
    await reply(turn, body, { quickReplies: quick });
    return true;
  }

  private async generate(turn: Turn, hits: KnowledgeHit[]): Promise<string | undefined> {
    const used = hits.slice(0, 3);
    const passages = used.map((h, i) => `[${i + 1}] ${h.title}: ${plainExcerpt(h.text, 1200)}`).join('\n\n');
    const messages = await GROUNDED_PROMPT.formatMessages({ language: turn.locale === 'zh' ? 'Simplified Chinese' : 'English', passages, question: turn.text.slice(0, 1000) });
    const out = await this.opts.chatModel!.invoke(messages);
    const text = (typeof out === 'string' ? out : typeof out.content === 'string' ? out.content : '').trim();
    if (text === '' || text.includes('NO_ANSWER')) return undefined;
    // Keep only citations that point at a passage we gave it, and list those sources.
    const cited = [...new Set([...text.matchAll(/\[(\d)\]/g)].map((m) => Number(m[1])).filter((n) => n >= 1 && n <= used.length))];
    if (cited.length === 0) return undefined;
    const sources = cited.map((n) => `[${n}] ${used[n - 1]!.title} ${this.opts.link(used[n - 1]!.slug, used[n - 1]!.locale)}`).join('\n');
    return `${text.replace(/\[(\d)\]/g, (m: string, d: string) => (cited.includes(Number(d)) ? m : ''))}\n\n${T.source[turn.locale]}${turn.locale === 'zh' ? '：' : ':'}\n${sources}`;
  }
}
