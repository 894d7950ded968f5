/** Skills: what the bot can do. Each takes only the ports it needs. */
import { goodbyeSkill, greetingSkill, helpSkill, thanksSkill } from './basic.js';
import { linkSkill, type AccountLinker } from './link.js';
import { SkillRouter } from './router.js';

export type { Router, Skill, Turn, Understanding, CustomerMemory, Entity, EntityType } from './types.js';
export type { AccountLinker, RedeemResult } from './link.js';
export { detectLanguage } from './language.js';
export { SkillRouter } from './router.js';
export { greetingSkill } from './basic.js';

export interface SkillDeps {
  linker: AccountLinker;
  linkCodeMinutes: number;
}

/** The router with every skill of this release, in priority order. */
export function createRouter(deps: SkillDeps): SkillRouter {
  return new SkillRouter([linkSkill(deps.linker, deps.linkCodeMinutes), greetingSkill, helpSkill, thanksSkill, goodbyeSkill]);
}
