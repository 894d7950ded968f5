/**
 * Admin jobs: `npm run cli -- <command> [args]`. Uses the same configuration as the server
 * (environment and .env), so it works on the SQLite default and on MongoDB alike.
 * Results go to stdout as JSON; progress and errors go to stderr.
 */
import { loadConfig, type Config } from './app/config.js';
import { createLogger } from './app/logger.js';
import { Progress } from './app/progress.js';
import { openConfiguredStore } from './app/runtime.js';
import { seedDemoShop } from './app/seed.js';
import { importFile, IMPORT_KINDS, type ImportKind } from './app/import.js';
import { isShopError, ShopError, type Store } from './store/index.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[], ctx: { store: Store; config: Config; progress: Progress }): Promise<unknown>;
}

const commands: Record<string, Command> = {
  seed: {
    usage: 'seed [--dir <folder>]',
    summary: 'Load the demo shop (idempotent: running it again changes nothing).',
    run: async (args, { store, progress }) => {
      const dir = flag(args, '--dir');
      return seedDemoShop(store, { dir, onProgress: (step, done, total) => progress.update(step, done, total) });
    },
  },
  stats: {
    usage: 'stats',
    summary: 'Print the record count of every collection as JSON.',
    run: async (_args, { store }) => store.counts(),
  },
  import: {
    usage: `import <${IMPORT_KINDS.join('|')}> <file.json|file.csv>`,
    summary: 'Import records from a JSON array or a CSV file (validated; the whole file is checked before anything is written).',
    run: async (args, { store, progress }) => {
      const [kind, file] = args;
      if (!kind || !file || !(IMPORT_KINDS as readonly string[]).includes(kind)) {
        throw new ShopError('bad_request', `usage: cli ${commands['import']!.usage}`);
      }
      return importFile(store, kind as ImportKind, file, (step, done, total) => progress.update(step, done, total));
    },
  },
};

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new ShopError('bad_request', `${name} needs a value`);
  return value;
}

function help(): string {
  const lines = Object.entries(commands).map(([, c]) => `  ${c.usage.padEnd(44)} ${c.summary}`);
  return `Usage: npm run cli -- <command>\n\nCommands:\n${lines.join('\n')}\n  ${'help'.padEnd(44)} Show this help.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(isShopError(err) ? err.message : err);
    return 1;
  }
  // Logs go to stderr at warn and above: stdout is for the command's JSON result.
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, process.stderr);
  let store: Store | undefined;
  try {
    store = await openConfiguredStore(config, logger);
    const result = await command.run(args, { store, config, progress: new Progress() });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    console.error(`cli ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return isShopError(err, 'bad_request') ? 2 : 1;
  } finally {
    await store?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
