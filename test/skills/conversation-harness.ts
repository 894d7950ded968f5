/**
 * A small harness for skill-level conversation tests: the real intent classifier (lexical
 * embeddings, trained on data/intents), the demo shop's help articles in a real hybrid index,
 * the real router and skills on a real botbuilder adapter. Each `say` is understood by the NLU
 * (or by the Understanding a test gives), routed, and its replies recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity } from 'botbuilder-core';
import { buildEvalIndex, LexicalEmbeddings, loadEvalArticles } from '../../knowledge/index.js';
import { goodbyeSkill, greetingSkill, helpSkill, thanksSkill } from '../../skills/basic.js';
import { FaqSkill, type KnowledgeSearch } from '../../skills/faq.js';
import { Nlu } from '../../skills/nlu/index.js';
import type { SkillRouter } from '../../skills/router.js';
import { humanAgentSkill, smalltalkSkill } from '../../skills/smalltalk.js';
import type { ConversationSession, Skill, Turn, Understanding } from '../../skills/types.js';
import type { Customer, Locale } from '../../store/index.js';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../../data/demo-shop/knowledge', import.meta.url));

/** The skills of the conversational basics, in the bot's order (orders, returns and products are not needed here). */
export const BASIC_SKILLS: Skill[] = [greetingSkill, helpSkill, thanksSkill, goodbyeSkill, humanAgentSkill, smalltalkSkill];

export interface Harness {
  nlu: Nlu;
  faq: FaqSkill;
  dispose(): Promise<void>;
}

/** Trains the classifier into a temporary folder and indexes the demo articles (a few seconds). */
export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shop-conversation-'));
  const logger = { info: () => undefined, warn: () => undefined };
  const nlu = await Nlu.create({ embeddings: new LexicalEmbeddings(), modelId: 'lexical', modelFile: path.join(dir, 'nlu.json'), logger });
  const index = await buildEvalIndex(await loadEvalArticles(KNOWLEDGE_DIR), new LexicalEmbeddings());
  // The eval index names documents "<slug>.<locale>"; the bot links the slug.
  const kb: KnowledgeSearch = {
    search: async (query, opts) => (await index.search(query, opts)).map((h) => ({ ...h, slug: h.slug.replace(/\.(en|zh)$/, '') })),
  };
  const faq = new FaqSkill({ kb, link: (slug, l) => `/help/${slug}?lang=${l}`, minConfidence: 0.35 });
  return { nlu, faq, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export interface Sent {
  text: string;
  buttons: string[];
}

/** Everything a turn said, buttons included, as the shopper reads it. */
export const all = (sent: Sent[]) => sent.map((s) => [s.text, ...s.buttons].join(' ')).join('\n');

/** One conversation: `state` holds its dialogs (give the one a router's DialogSet reads). */
export function conversation(nlu: Nlu, router: SkillRouter, locale: Locale = 'en', state = new ConversationState(new MemoryStorage())) {
  const adapter = new TestAdapter();
  const session: ConversationSession = { fallbacks: 0 };
  const customer = { id: 'cus_1', displayName: 'Li', locale, vip: false, tags: [], identities: [], createdAt: new Date(), updatedAt: new Date() } as unknown as Customer;
  return {
    session,
    async say(text: string, nluOverride?: Partial<Understanding>): Promise<{ skill: string; sent: Sent[]; nlu: Understanding }> {
      const activity = { type: 'message', text, channelId: 'test', from: { id: 'u', name: 'u' }, conversation: { id: 'c1', isGroup: false, conversationType: 'personal', name: '' }, recipient: { id: 'b', name: 'b' } } as Activity;
      const context = new TurnContext(adapter, activity);
      const sent: Sent[] = [];
      context.onSendActivities(async (_ctx, activities) => {
        for (const a of activities) {
          if (a.type === 'message') sent.push({ text: String(a.text ?? ''), buttons: (a.suggestedActions?.actions ?? []).map((b) => String(b.title)) });
        }
        return activities.map(() => ({ id: 'x' }));
      });
      const understood = { ...(await nlu.parse(text, { locale })), ...nluOverride };
      const turn: Turn = {
        context,
        customer,
        conversation: {} as Turn['conversation'],
        text,
        locale,
        nlu: understood,
        memory: {},
        session,
        now: new Date('2026-11-10T04:00:00Z'),
      };
      const skill = await router.handle(turn);
      await state.saveChanges(context);
      return { skill, sent, nlu: understood };
    },
  };
}
