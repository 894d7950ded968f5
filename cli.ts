/**
 * Admin jobs: `npm run cli -- <command> [args]`. Uses the same configuration as the server
 * (environment and .env), so it works on the SQLite default and on MongoDB alike.
 * Results go to stdout as JSON; progress and errors go to stderr.
 */
import { loadConfig, type Config } from './app/config.js';
import { createLogger } from './app/logger.js';
import { Progress } from './app/progress.js';
import { openConfiguredStore } from './app/open-store.js';
import { TextOutput, type Command } from './app/cli/command.js';
import { convCommands } from './app/cli/conv-commands.js';
import { storeCommands } from './app/cli/store-commands.js';
import { kbCommands } from './app/cli/kb-commands.js';
import { modelCommands } from './app/cli/model-commands.js';
import { recCommands } from './app/cli/rec-commands.js';
import { staffCommands } from './app/cli/staff-commands.js';
import { privacyCommands } from './app/cli/privacy-commands.js';
import { auditCommands } from './app/cli/audit-commands.js';
import { createNluCommands } from './app/cli/nlu-commands.js';
import { createEmbeddings } from './knowledge/index.js';
import { CatalogMatcher, EntityExtractor } from './skills/nlu/entities/index.js';
import { isShopError, type Store } from './store/index.js';

/** Every command, in the order `help` lists them. Each group lives in app/cli/. */
const commands: Record<string, Command> = {
  ...storeCommands,
  ...kbCommands,
  ...createNluCommands(async ({ store, config, logger }) => {
    // nlu:parse shows entities as the server finds them, product and category mentions included.
    const m = config.models;
    const created = await createEmbeddings({ modelId: m.embeddingsModel, modelsDir: m.modelsDir, allowRemote: m.allowRemote, logger });
    const catalog = await CatalogMatcher.create({ store: await store(), embeddings: created.embeddings, modelId: created.modelId, indexDir: m.indexDir, logger });
    return new EntityExtractor({ catalog, logger, orderNumbers: config.orderNumbers });
  }),
  ...modelCommands,
  ...recCommands,
  ...staffCommands,
  ...privacyCommands,
  ...auditCommands,
  ...convCommands,
};

function help(): string {
  const lines = Object.entries(commands).map(([, c]) => `  ${c.usage.padEnd(60)} ${c.summary}`);
  return `Usage: npm run cli -- <command>\n\nCommands:\n${lines.join('\n')}\n  ${'help'.padEnd(60)} Show this help.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
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
  let store: Promise<Store> | undefined;
  try {
    const ctx = { store: () => (store ??= openConfiguredStore(config, logger)), config, logger, progress: new Progress() };
    const result = await command.run(args, ctx);
    if (result instanceof TextOutput) {
      process.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
      return result.exitCode;
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    console.error(`cli ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return isShopError(err, 'bad_request') ? 2 : 1;
  } finally {
    if (store) await (await store.catch(() => undefined))?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
