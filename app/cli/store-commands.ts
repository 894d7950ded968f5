import { importFile, IMPORT_KINDS, type ImportKind } from '../import.js';
import { seedDemoShop } from '../seed.js';
import { ShopError } from '../../store/index.js';
import { flag, type Command } from './command.js';

/** seed, stats, import. */
export const storeCommands: Record<string, Command> = {
  seed: {
    usage: 'seed [--dir <folder>]',
    summary: 'Load the demo shop (idempotent: running it again changes nothing).',
    run: async (args, { store, progress }) => {
      const dir = flag(args, '--dir');
      return seedDemoShop(await store(), { dir, onProgress: (step, done, total) => progress.update(step, done, total) });
    },
  },
  stats: {
    usage: 'stats',
    summary: 'Print the record count of every collection as JSON.',
    run: async (_args, { store }) => (await store()).counts(),
  },
  import: {
    usage: `import <${IMPORT_KINDS.join('|')}> <file.json|file.csv>`,
    summary: 'Import records from a JSON array or a CSV file (validated; the whole file is checked before anything is written).',
    run: async (args, { store, progress }) => {
      const [kind, file] = args;
      if (!kind || !file || !(IMPORT_KINDS as readonly string[]).includes(kind)) {
        throw new ShopError('bad_request', `usage: cli import <${IMPORT_KINDS.join('|')}> <file.json|file.csv>`);
      }
      return importFile(await store(), kind as ImportKind, file, (step, done, total) => progress.update(step, done, total));
    },
  },
};
