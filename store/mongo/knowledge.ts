import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { KnowledgeDocument, KnowledgeInput, KnowledgeRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { KnowledgeDoc, MetaDoc } from './models.js';
import { afterId, and, clean, opt, type Ctx, type Filter } from './query.js';

/** The meta document whose value changes on every knowledge write. */
export const KNOWLEDGE_VERSION = 'knowledge';

export function toKnowledge(d: KnowledgeDoc): KnowledgeDocument {
  return clean({
    id: d._id,
    slug: d.slug,
    locale: d.locale,
    title: d.title,
    body: d.body,
    category: d.category,
    tags: d.tags ?? [],
    version: d.version,
    source: opt(d.source),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  });
}

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Creates the data-version document if missing (at open, so writes never race to create it). */
export async function ensureKnowledgeVersion({ m }: Pick<Ctx, 'm'>): Promise<void> {
  try {
    await m.meta.updateOne({ _id: KNOWLEDGE_VERSION }, { $setOnInsert: { value: newId('kv') } }, { upsert: true }).exec();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // another store created it at the same moment
  }
}

/** Knowledge-base articles, one per (slug, locale). */
export function knowledgeRepository({ m, revs }: Ctx): KnowledgeRepository {
  const find = (filter: Filter) => m.knowledge.find(filter as QueryFilter<KnowledgeDoc>);

  /**
   * A fresh token rather than a `$inc`ed counter: FerretDB can lose one of two concurrent
   * `$inc`s, but of two concurrent `$set`s of fresh tokens either leaves a value no reader
   * has seen before the write that set it.
   */
  async function bumpVersion(): Promise<void> {
    try {
      await m.meta.updateOne({ _id: KNOWLEDGE_VERSION }, { $set: { value: newId('kv') } }, { upsert: true }).exec();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Two upserts created it at once (FerretDB): it exists now, so set it again.
      await m.meta.updateOne({ _id: KNOWLEDGE_VERSION }, { $set: { value: newId('kv') } }).exec();
    }
  }

  async function write(input: KnowledgeInput): Promise<{ doc: KnowledgeDoc; changed: boolean }> {
    const tags = input.tags ?? [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await m.knowledge.findOne({ slug: input.slug, locale: input.locale }).lean<KnowledgeDoc>().exec();
      if (existing) {
        try {
          return await revs.mutate<KnowledgeDoc, { doc: KnowledgeDoc; changed: boolean }>(m.knowledge, 'knowledge document', existing._id, (cur) => {
            const contentChanged =
              cur.title !== input.title || cur.body !== input.body || cur.category !== input.category || !sameTags(cur.tags ?? [], tags);
            // No source given keeps the one stored, so a re-seed without it is still a no-op.
            const source = input.source ?? opt(cur.source);
            if (!contentChanged && opt(cur.source) === source) return { result: { doc: cur, changed: false } };
            const next: KnowledgeDoc = clean({
              ...cur,
              title: input.title,
              body: input.body,
              category: input.category,
              tags,
              source,
              version: contentChanged ? cur.version + 1 : cur.version,
              updatedAt: new Date(),
            });
            return { next, result: { doc: next, changed: true } };
          });
        } catch (err) {
          if (err instanceof ShopError && err.code === 'not_found') continue; // deleted meanwhile: insert
          throw err;
        }
      }
      const now = new Date();
      const doc: KnowledgeDoc = clean({
        _id: newId('kb'),
        slug: input.slug,
        locale: input.locale,
        title: input.title,
        body: input.body,
        category: input.category,
        tags,
        version: 1,
        source: input.source,
        createdAt: now,
        updatedAt: now,
        rev: 0,
      });
      try {
        await m.knowledge.create(doc);
        return { doc, changed: true };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // inserted meanwhile: update it
      }
    }
    throw new ShopError('conflict', `knowledge document ${input.slug} (${input.locale}) is being written concurrently`);
  }

  return guarded<KnowledgeRepository>({
    async upsert(input) {
      if (input.locale !== 'en' && input.locale !== 'zh') throw new ShopError('bad_request', `unknown locale ${String(input.locale)}`);
      if (typeof input.slug !== 'string' || input.slug === '') throw new ShopError('bad_request', 'slug is required');
      const { doc, changed } = await write(input);
      if (changed) await bumpVersion();
      return toKnowledge(doc);
    },

    async get(id) {
      const d = await m.knowledge.findById(id).lean<KnowledgeDoc>().exec();
      return d ? toKnowledge(d) : null;
    },

    async getBySlug(slug, locale) {
      const d = await m.knowledge.findOne({ slug, locale }).lean<KnowledgeDoc>().exec();
      return d ? toKnowledge(d) : null;
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const eq: Filter = {};
      if (filter?.locale !== undefined) eq.locale = filter.locale;
      if (filter?.category !== undefined) eq.category = filter.category;
      const docs = await find(and(eq, afterId(page?.cursor, 1)))
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<KnowledgeDoc[]>()
        .exec();
      return toPage(docs.map(toKnowledge), limit, (k) => [k.id]);
    },

    async delete(id) {
      const res = await m.knowledge.deleteOne({ _id: id }).exec();
      if (res.deletedCount === 0) return false;
      await bumpVersion();
      return true;
    },

    async dataVersion() {
      // The count too, so an add or delete shows even if its token write was lost to a crash.
      const [meta, count] = await Promise.all([
        m.meta.findById(KNOWLEDGE_VERSION).lean<MetaDoc>().exec(),
        m.knowledge.countDocuments({}).exec(),
      ]);
      return `${meta?.value ?? 'kv_0'}.${count}`;
    },
  });
}
