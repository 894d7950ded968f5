import type { QueryFilter } from 'mongoose';
import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { pageLimit, toPage } from '../paging.js';
import type { Agent, AgentRepository } from '../types.js';
import { guarded, isDuplicateKey } from './mongo-errors.js';
import type { AgentDoc } from './models.js';
import { afterId, and, given, type Ctx, type Filter } from './query.js';

export function toAgent(d: AgentDoc): Agent {
  return {
    id: d._id,
    email: d.email,
    name: d.name,
    role: d.role,
    passwordHash: d.passwordHash,
    languages: d.languages ?? [],
    skills: d.skills ?? [],
    capacity: d.capacity,
    status: d.status,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Support agents; emails are stored lower-cased so the unique index is case-insensitive. */
export function agentRepository({ m, revs }: Ctx): AgentRepository {
  const find = (filter: Filter) => m.agents.find(filter as QueryFilter<AgentDoc>);

  return guarded<AgentRepository>({
    async create(input) {
      const now = new Date();
      const doc: AgentDoc = {
        _id: input.id ?? newId('agt'),
        email: input.email.toLowerCase(),
        name: input.name,
        role: input.role,
        passwordHash: input.passwordHash,
        languages: input.languages ?? [],
        skills: input.skills ?? [],
        capacity: input.capacity,
        status: input.status ?? 'offline',
        createdAt: now,
        updatedAt: now,
        rev: 0,
      };
      try {
        await m.agents.create(doc);
      } catch (err) {
        if (isDuplicateKey(err)) throw new ShopError('conflict', `agent ${doc._id} or email ${doc.email} already exists`, { cause: err });
        throw err;
      }
      return toAgent(doc);
    },

    async get(id) {
      const d = await m.agents.findById(id).lean<AgentDoc>().exec();
      return d ? toAgent(d) : null;
    },

    async getByEmail(email) {
      const d = await m.agents.findOne({ email: email.toLowerCase() }).lean<AgentDoc>().exec();
      return d ? toAgent(d) : null;
    },

    async list(filter, page) {
      const limit = pageLimit(page);
      const eq: Filter = {};
      if (filter?.status !== undefined) eq.status = filter.status;
      if (filter?.role !== undefined) eq.role = filter.role;
      const docs = await find(and(eq, afterId(page?.cursor, 1)))
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<AgentDoc[]>()
        .exec();
      return toPage(docs.map(toAgent), limit, (a) => [a.id]);
    },

    update(id, patch) {
      return revs.mutate(m.agents, 'agent', id, (cur) => {
        const next: AgentDoc = {
          ...cur,
          ...given({
            name: patch.name,
            role: patch.role,
            passwordHash: patch.passwordHash,
            languages: patch.languages,
            skills: patch.skills,
            capacity: patch.capacity,
            status: patch.status,
          }),
          updatedAt: new Date(),
        };
        return { next, result: toAgent(next) };
      });
    },

    async delete(id) {
      return (await m.agents.deleteOne({ _id: id }).exec()).deletedCount > 0;
    },
  });
}
