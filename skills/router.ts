import type { Locale } from '../store/index.js';
import { fallbackSkill, understandBasics } from './basic.js';
import type { Router, Skill, Turn, Understanding } from './types.js';

/**
 * Picks the first skill that can handle the turn, in registration order; the fallback
 * skill takes the rest.
 */
export class SkillRouter implements Router {
  constructor(private readonly skills: Skill[]) {}

  async understand(text: string, _locale: Locale): Promise<Understanding> {
    return understandBasics(text);
  }

  async route(turn: Turn): Promise<Skill> {
    for (const skill of this.skills) {
      if (await skill.canHandle(turn)) return skill;
    }
    return fallbackSkill;
  }
}
