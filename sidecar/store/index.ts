import type { Logger, SecretUpgrader, Stores } from '../core/index.ts';
import { createBranchHeadStore } from './branch-head-store.ts';
import { createBuildStore } from './build-store.ts';
import { createChangeFeed } from './change-feed.ts';
import { createDeliveryStore } from './delivery-store.ts';
import { createGroupCommit } from './group-commit.ts';
import { createInstanceStore } from './instance-store.ts';
import { createLogStore } from './log-store.ts';
import { createNativeDeliveryInserter } from './native-delivery-inserter.ts';
import { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';
import { createRepoStore } from './repo-store.ts';
import { createRetentionStore } from './retention-store.ts';
import { createSecretStore } from './secret-store.ts';
import { upgradeStoredSecrets } from './secret-upgrade.ts';
import { createStageQueueStore } from './stage-queue.ts';

export { createStoredLogSink, type StoredLogSinkDeps } from './log-sink.ts';
export { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';
export { startWalCheckpointer } from './wal-checkpointer.ts';

/**
 * Every store over one database, migrated. With `secrets`, migrating also re-encrypts stored secrets of an
 * older format (secret-upgrade.ts). Deliveries to a local file are written through the native driver's
 * prepared statement. `close()` flushes pending writes, then closes the database.
 */
export async function openStores(
  options: DatabaseOptions & { migrate?: boolean; secrets?: { upgrader: SecretUpgrader; logger: Logger } },
): Promise<Stores> {
  const database = await openDatabase(options);
  if (options.migrate !== false) {
    try {
      await migrateDatabase(database.db);
      if (options.secrets) {
        await upgradeStoredSecrets(database.db, options.secrets.upgrader, options.secrets.logger);
      }
    } catch (error) {
      database.close();
      throw error;
    }
  }
  const isLocalFile = options.url.startsWith('file:') && options.url !== 'file::memory:';
  const nativeOptions = {
    url: options.url,
    sync: options.sync ?? 'normal',
    backgroundCheckpoints: options.backgroundCheckpoints ?? false,
  };
  const native = isLocalFile ? createNativeDeliveryInserter(nativeOptions) : null;
  const deliveries = createDeliveryStore(database.db, native ? createGroupCommit(native.insert) : undefined);
  return {
    repos: createRepoStore(database.db),
    deliveries,
    branchHeads: createBranchHeadStore(database.db),
    builds: createBuildStore(database.db),
    changes: createChangeFeed(database.db),
    stageQueue: createStageQueueStore(database.db),
    logs: createLogStore(database.db),
    instances: createInstanceStore(database.db),
    retention: createRetentionStore(database.db),
    secrets: createSecretStore(database.db),
    async close() {
      await deliveries.close();
      native?.close();
      database.close();
    },
  };
}
