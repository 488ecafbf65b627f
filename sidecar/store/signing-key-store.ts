import { desc, lt } from 'drizzle-orm';
import type { SigningKeyStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { workloadSigningKeys } from './schema.ts';

export function createSigningKeyStore(db: Database): SigningKeyStore {
  return {
    list: () => db.select().from(workloadSigningKeys).orderBy(desc(workloadSigningKeys.generation)),

    async add(key) {
      // The unique generation decides between processes rotating at once: the loser inserts nothing.
      const inserted = await db
        .insert(workloadSigningKeys)
        .values(key)
        .onConflictDoNothing()
        .returning({ kid: workloadSigningKeys.kid });
      return inserted.length > 0;
    },

    async removeBelow(generation) {
      const removed = await db
        .delete(workloadSigningKeys)
        .where(lt(workloadSigningKeys.generation, generation))
        .returning({ kid: workloadSigningKeys.kid });
      return removed.map((row) => row.kid);
    },
  };
}
