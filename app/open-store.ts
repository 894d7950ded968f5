import { mkdirSync } from 'node:fs';
import { openStore, type Store } from '../store/index.js';
import { redactUri, type Config } from './config.js';
import type { Logger } from './logger.js';

/** Opens the configured store; a failure names the store and says why. */
export async function openConfiguredStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store.kind === 'sqlite') {
    mkdirSync(config.dataDir, { recursive: true });
    logger.info({ store: 'sqlite', file: config.store.file }, 'opening store');
    return openStore({ kind: 'sqlite', file: config.store.file });
  }
  logger.info({ store: 'mongo', uri: redactUri(config.store.uri) }, 'opening store');
  return openStore(config.store);
}
