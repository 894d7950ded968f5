import { ShopError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageLimit, toPage } from '../paging.js';
import type { Agent, AgentPatch, AgentRepository, AgentRole, AgentStatus, Locale, NewAgent, Page, PageRequest } from '../types.js';
import { Where, type Db, type SqlValue } from './db.js';
import { parseJson, toDate, toJson } from './rows.js';
import * as check from './validate.js';

const ROLES: readonly AgentRole[] = ['agent', 'supervisor', 'admin'];
const STATUSES: readonly AgentStatus[] = ['online', 'away', 'offline'];

interface AgentRow {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  password_hash: string;
  languages: string;
  skills: string;
  capacity: number;
  status: AgentStatus;
  created_at: number;
  updated_at: number;
}

function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    passwordHash: r.password_hash,
    languages: parseJson<Locale[]>(r.languages),
    skills: parseJson<string[]>(r.skills),
    capacity: r.capacity,
    status: r.status,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Emails are compared case-insensitively by storing them trimmed and lower-case. */
function normalizeEmail(v: unknown): string {
  const email = check.text('email', v).trim().toLowerCase();
  if (!email.includes('@')) throw new ShopError('bad_request', 'email must be an email address', { details: { field: 'email' } });
  return email;
}

function languages(v: unknown): Locale[] {
  return check.strings('languages', v).map((l, n) => check.locale(`languages[${n}]`, l));
}

/** Support agents (console users). */
export class SqliteAgents implements AgentRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewAgent): Promise<Agent> {
    const id = input.id === undefined ? newId('agt') : check.text('id', input.id);
    const now = Date.now();
    const values: SqlValue[] = [
      id,
      normalizeEmail(input.email),
      check.text('name', input.name),
      check.oneOf('role', input.role, ROLES),
      check.text('passwordHash', input.passwordHash),
      toJson(languages(input.languages)),
      toJson(check.strings('skills', input.skills)),
      check.int('capacity', input.capacity, 0),
      input.status === undefined ? 'offline' : check.oneOf('status', input.status, STATUSES),
      now,
      now,
    ];
    return this.db.write(() => {
      this.db.run(
        `INSERT INTO agents (id, email, name, role, password_hash, languages, skills, capacity, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        values,
      );
      return this.load(id);
    });
  }

  async get(id: string): Promise<Agent | null> {
    return this.db.read(() => this.find('id', id));
  }

  async getByEmail(email: string): Promise<Agent | null> {
    if (typeof email !== 'string') return null;
    return this.db.read(() => this.find('email', email.trim().toLowerCase()));
  }

  async list(filter: { status?: AgentStatus; role?: AgentRole } = {}, page?: PageRequest): Promise<Page<Agent>> {
    const limit = pageLimit(page);
    const after = decodeCursor(page?.cursor, 1);
    const status = check.optOneOf('status', filter.status, STATUSES);
    const role = check.optOneOf('role', filter.role, ROLES);
    return this.db.read(() => {
      const where = new Where()
        .addIf(status, 'status = ?', (s) => s)
        .addIf(role, 'role = ?', (r) => r)
        .addIf(after?.[0], 'id > ?', (id) => id);
      const rows = this.db.all<AgentRow>(`SELECT * FROM agents ${where} ORDER BY id LIMIT ?`, [...where.params, limit + 1]);
      return toPage(rows.map(toAgent), limit, (a) => [a.id]);
    });
  }

  /** Patch fields that are `undefined` are left as they are. */
  async update(id: string, patch: AgentPatch): Promise<Agent> {
    const cols: Array<[string, SqlValue]> = [];
    if (patch.name !== undefined) cols.push(['name', check.text('name', patch.name)]);
    if (patch.role !== undefined) cols.push(['role', check.oneOf('role', patch.role, ROLES)]);
    if (patch.passwordHash !== undefined) cols.push(['password_hash', check.text('passwordHash', patch.passwordHash)]);
    if (patch.languages !== undefined) cols.push(['languages', toJson(languages(patch.languages))]);
    if (patch.skills !== undefined) cols.push(['skills', toJson(check.strings('skills', patch.skills))]);
    if (patch.capacity !== undefined) cols.push(['capacity', check.int('capacity', patch.capacity, 0)]);
    if (patch.status !== undefined) cols.push(['status', check.oneOf('status', patch.status, STATUSES)]);
    cols.push(['updated_at', Date.now()]);
    return this.db.write(() => {
      const sql = `UPDATE agents SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`;
      if (this.db.run(sql, [...cols.map(([, v]) => v), id]).changes === 0) throw notFound(id);
      return this.load(id);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.write(() => this.db.run('DELETE FROM agents WHERE id = ?', [id]).changes > 0);
  }

  private find(column: 'id' | 'email', value: string): Agent | null {
    const row = this.db.get<AgentRow>(`SELECT * FROM agents WHERE ${column} = ?`, [value]);
    return row === undefined ? null : toAgent(row);
  }

  private load(id: string): Agent {
    const a = this.find('id', id);
    if (a === null) throw notFound(id);
    return a;
  }
}

function notFound(id: string): ShopError {
  return new ShopError('not_found', `agent ${id} not found`, { details: { id } });
}
