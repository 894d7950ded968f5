/**
 * Shop Assistant server: `npm start`. Reads the configuration, starts one node, and shuts
 * it down gracefully on SIGTERM/SIGINT. A bad configuration or an unreachable store exits
 * with code 1 and a message that says which setting or server is at fault.
 */
import { loadConfig } from './app/config.js';
import { createLogger } from './app/logger.js';
import { startServer } from './app/runtime.js';
import { isShopError } from './store/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(isShopError(err) ? err.message : err);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel });

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  let running;
  try {
    running = await startServer(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    console.error(`Shop Assistant failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
