import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type { KnowledgeDocument, KnowledgeInput, KnowledgeRepository, Locale, Page, PageRequest } from '../types.js';
import { Where, type Db } from './db.js';
import { opt, orNull, parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

interface KnowledgeRow {
  id: string;
  slug: string;
  locale: Locale;
  title: string;
  body: string;
  category: string;
  tags: string;
  version: number;
  source: string | null;
  created_at: number;
  updated_at: number;
}

function toDocument(r: KnowledgeRow): KnowledgeDocument {
  return {
    id: r.id,
    slug: r.slug,
    locale: r.locale,
    title: r.title,
    body: r.body,
    category: r.category,
    tags: parseJson<string[]>(r.tags),
    version: r.version,
    source: opt(r.source),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/**
 * The knowledge base. Every write bumps a counter in `meta` in the same transaction;
 * `dataVersion()` is that counter prefixed with the database's instance id, so it changes
 * on add, change and delete, and never repeats across a re-created database file.
 */
export class SqliteKnowledge implements KnowledgeRepository {
  constructor(private readonly db: Db) {}

  /** Re-seeding identical content writes nothing; a source-only change keeps the version. */
  async upsert(input: KnowledgeInput): Promise<KnowledgeDocument> {
    const slug = check.text('slug', input.slug);
    const locale = check.locale('locale', input.locale);
    const title = check.text('title', input.title);
    const body = check.text('body', input.body);
    const category = check.text('category', input.category);
    const tags = toJson(check.strings('tags', input.tags ?? []));
    const source = check.optText('source', input.source);
    return this.db.write(() => {
      const current = this.db.get<KnowledgeRow>('SELECT * FROM knowledge WHERE slug = ? AND locale = ?', [slug, locale]);
      const now = Date.now();
      if (current === undefined) {
        const id = newId('kb');
        this.db.run(
          `INSERT INTO knowledge (id, slug, locale, title, body, category, tags, version, source, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
          [id, slug, locale, title, body, category, tags, orNull(source), now, now],
        );
        this.bump();
        return this.load(id);
      }
      const contentChanged = current.title !== title || current.body !== body || current.category !== category || current.tags !== tags;
      const sourceChanged = source !== undefined && source !== current.source;
      if (!contentChanged && !sourceChanged) return toDocument(current);
      this.db.run(
        `UPDATE knowledge SET title = ?, body = ?, category = ?, tags = ?, source = COALESCE(?, source),
                              version = version + ?, updated_at = ?
         WHERE id = ?`,
        [title, body, category, tags, orNull(source), contentChanged ? 1 : 0, now, current.id],
      );
      this.bump();
      return this.load(current.id);
    });
  }

  async get(id: string): Promise<KnowledgeDocument | null> {
    return this.db.read(() => {
      const row = this.db.get<KnowledgeRow>('SELECT * FROM knowledge WHERE id = ?', [id]);
      return row === undefined ? null : toDocument(row);
    });
  }

  async getBySlug(slug: string, locale: Locale): Promise<KnowledgeDocument | null> {
    return this.db.read(() => {
      const row = this.db.get<KnowledgeRow>('SELECT * FROM knowledge WHERE slug = ? AND locale = ?', [slug, locale]);
      return row === undefined ? null : toDocument(row);
    });
  }

  async list(filter: { locale?: Locale; category?: string } = {}, page?: PageRequest): Promise<Page<KnowledgeDocument>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    const locale = check.optOneOf('locale', filter.locale, check.LOCALES);
    return this.db.read(() => {
      const where = new Where()
        .addIf(locale, 'locale = ?', (l) => l)
        .addIf(filter.category, 'category = ?', (c) => c)
        .addIf(after?.[0], 'id > ?', (id) => id);
      const rows = this.db.all<KnowledgeRow>(`SELECT * FROM knowledge ${where} ORDER BY id LIMIT ?`, [...where.params, limit + 1]);
      return toPage(rows.map(toDocument), limit, (d) => [d.id]);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.write(() => {
      const deleted = this.db.run('DELETE FROM knowledge WHERE id = ?', [id]).changes > 0;
      if (deleted) this.bump();
      return deleted;
    });
  }

  async dataVersion(): Promise<string> {
    return this.db.read(() => {
      const rows = this.db.all<{ key: string; value: string }>(
        "SELECT key, value FROM meta WHERE key IN ('instance_id', 'knowledge_writes')",
      );
      const meta = new Map(rows.map((r) => [r.key, r.value]));
      return `${meta.get('instance_id') ?? 'sqlite'}:${meta.get('knowledge_writes') ?? '0'}`;
    });
  }

  private bump(): void {
    this.db.run("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'knowledge_writes'");
  }

  private load(id: string): KnowledgeDocument {
    const row = this.db.get<KnowledgeRow>('SELECT * FROM knowledge WHERE id = ?', [id]);
    if (row === undefined) throw new ShopError('not_found', `knowledge document ${id} not found`, { details: { id } });
    return toDocument(row);
  }
}
