import type { Logger, SecretUpgrader, Stores, StoreThread } from '../core/index.ts';
import { createAuditStore } from './audit-store.ts';
import { createBranchHeadStore } from './branch-head-store.ts';
import { createBuildStore } from './build-store.ts';
import { createChangeFeed } from './change-feed.ts';
import { createDeliveryStore } from './delivery-store.ts';
import { createGogsLinkStore, createIdentityStore } from './gogs-link-store.ts';
import { createNativeHotWriter, type HotWriter } from './hot-writer.ts';
import { createApiTokenStore, createUserStore } from './identity-store.ts';
import { createInstanceStore } from './instance-store.ts';
import { createLogStore } from './log-store.ts';
import { createOidcProviderStore } from './oidc-provider-store.ts';
import { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';
import { createOrgRoleStore } from './org-role-store.ts';
import { createPermissionStore } from './permission-store.ts';
import { createRepoStore } from './repo-store.ts';
import { createRetentionStore } from './retention-store.ts';
import { createSecretStore } from './secret-store.ts';
import { createEncryptedValues, upgradeStoredSecrets } from './secret-upgrade.ts';
import { createSessionKeyStore, createSessionStore } from './session-store.ts';
import { createSigningKeyStore } from './signing-key-store.ts';
import { createStageQueueStore } from './stage-queue.ts';
import { hotWriterOver } from './writer-thread.ts';

export type { HotWrite, HotWriter } from './hot-writer.ts';
export { createStoredLogSink, type StoredLogSinkDeps } from './log-sink.ts';
export { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';
export { startWalCheckpointer } from './wal-checkpointer.ts';
export {
  answerOf,
  createStoreThread,
  type StoreThreadReply,
  type StoreThreadRequest,
} from './writer-thread.ts';

/**
 * Every store over one database, migrated. With `secrets`, migrating also re-encrypts stored secrets of an
 * older format (secret-upgrade.ts). The hot writes of a local file (deliveries, log chunks, step status, with
 * their change-feed rows) go through one writer: `thread`'s (the store-writer thread), else one of these stores'
 * own on the native driver (`writer`, which the store-writer thread serves). A database server takes them
 * through @libsql/client. `close()` flushes pending writes, then closes the database.
 */
export async function openStores(
  options: DatabaseOptions & {
    migrate?: boolean;
    secrets?: { upgrader: SecretUpgrader; logger: Logger };
    thread?: StoreThread;
  },
): Promise<Stores & { writer: HotWriter | null }> {
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
  const writer: HotWriter | null = options.thread
    ? hotWriterOver(options.thread)
    : isLocalFile
      ? createNativeHotWriter(nativeOptions, database.db)
      : null;
  const deliveries = createDeliveryStore(
    database.db,
    writer
      ? { record: (delivery) => writer.write({ kind: 'delivery', delivery }), close: () => writer.close() }
      : undefined,
  );
  return {
    repos: createRepoStore(database.db),
    deliveries,
    branchHeads: createBranchHeadStore(database.db),
    builds: createBuildStore(database.db),
    changes: createChangeFeed(database.db),
    stageQueue: createStageQueueStore(database.db, writer ?? undefined),
    logs: createLogStore(database.db, writer ?? undefined),
    instances: createInstanceStore(database.db),
    retention: createRetentionStore(database.db),
    secrets: createSecretStore(database.db),
    audit: createAuditStore(database.db),
    users: createUserStore(database.db),
    apiTokens: createApiTokenStore(database.db),
    oidcProviders: createOidcProviderStore(database.db),
    gogsLinks: createGogsLinkStore(database.db),
    identities: createIdentityStore(database.db),
    permissions: createPermissionStore(database.db),
    orgRoles: createOrgRoleStore(database.db),
    workloadSigningKeys: createSigningKeyStore(database.db),
    sessions: createSessionStore(database.db),
    sessionKeys: createSessionKeyStore(database.db),
    encryptedValues: createEncryptedValues(database.db),
    writer,
    async close() {
      await deliveries.close();
      await writer?.close();
      database.close();
    },
  };
}
