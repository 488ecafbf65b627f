import { createBranchHeadStore } from './branch-head-store.ts';
import { createDeliveryStore } from './delivery-store.ts';
import { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';
import { createRepoStore } from './repo-store.ts';

export { type DatabaseOptions, migrateDatabase, openDatabase } from './open-database.ts';

/** Every store over one database, migrated. `close()` flushes pending writes, then closes the database. */
export async function openStores(options: DatabaseOptions & { migrate?: boolean }) {
  const database = await openDatabase(options);
  if (options.migrate !== false) await migrateDatabase(database.db);
  const deliveries = createDeliveryStore(database.db);
  return {
    repos: createRepoStore(database.db),
    deliveries,
    branchHeads: createBranchHeadStore(database.db),
    async close() {
      await deliveries.close();
      database.close();
    },
  };
}

export type Stores = Awaited<ReturnType<typeof openStores>>;
