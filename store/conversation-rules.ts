import { ShopError } from './errors.js';

/** The rules both adapters apply to agents' tags, notes and shoppers' ratings. */

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
export const MAX_NOTE_LENGTH = 4000;

/** Trimmed, lower-cased, de-duplicated, in the given order; `bad_request` past the limits. */
export function normalizeTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw new ShopError('bad_request', 'tags must be a list of strings');
  const out: string[] = [];
  for (const t of tags) {
    if (typeof t !== 'string') throw new ShopError('bad_request', 'tags must be a list of strings');
    const tag = t.trim().toLowerCase();
    if (tag === '') continue;
    if (tag.length > MAX_TAG_LENGTH) throw new ShopError('bad_request', `a tag is at most ${MAX_TAG_LENGTH} characters: "${tag.slice(0, 50)}…"`);
    if (!out.includes(tag)) out.push(tag);
  }
  if (out.length > MAX_TAGS) throw new ShopError('bad_request', `at most ${MAX_TAGS} tags per conversation`);
  return out;
}

export function checkNote(note: { agentId: unknown; text: unknown }): { agentId: string; text: string } {
  if (typeof note.agentId !== 'string' || note.agentId === '') throw new ShopError('bad_request', 'a note needs the agentId of its author');
  const text = typeof note.text === 'string' ? note.text.trim() : '';
  if (text === '') throw new ShopError('bad_request', 'a note cannot be empty');
  if (text.length > MAX_NOTE_LENGTH) throw new ShopError('bad_request', `a note is at most ${MAX_NOTE_LENGTH} characters`);
  return { agentId: note.agentId, text };
}

export function checkScore(score: unknown): number {
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5) {
    throw new ShopError('bad_request', 'a rating is a whole number from 1 to 5');
  }
  return score;
}
