import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sa-contract-'));
  const file = join(dir, 'store.db');
  return {
    open: () => openSqliteStore({ file }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});
