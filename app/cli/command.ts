import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Progress } from '../progress.js';
import { ShopError, type Store } from '../../store/index.js';

export interface CommandContext {
  /** Opened on first use: commands that never touch the store don't open it. */
  store(): Promise<Store>;
  config: Config;
  logger: Logger;
  progress: Progress;
}

/** One `npm run cli -- <name>` command. Its result is printed to stdout as JSON. */
export interface Command {
  usage: string;
  summary: string;
  run(args: string[], ctx: CommandContext): Promise<unknown>;
}

/** The value after `--name`, or undefined when the flag is absent. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new ShopError('bad_request', `${name} needs a value`);
  return value;
}

/** Like `flag`, but a missing flag is a usage error. */
export function requiredFlag(args: string[], name: string, usage: string): string {
  const value = flag(args, name);
  if (value === undefined) throw new ShopError('bad_request', `${name} is required: cli ${usage}`);
  return value;
}

/** Arguments that are not flags or flag values. */
export function positionals(args: string[], flagsWithValues: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (flagsWithValues.includes(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('--')) out.push(a);
  }
  return out;
}

/** A result printed as text (not JSON), with the process's exit code (e.g. a bench below its bar). */
export class TextOutput {
  constructor(
    readonly text: string,
    readonly exitCode = 0,
  ) {}
}
