import { and, asc, gt, gte, inArray, lt, lte, max, min, ne, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { RetentionStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { changes, deliveries, logChunks } from './schema.ts';

/**
 * The deletes of retention. Every statement touches one batch, found through an index or the row id, so a pass
 * over a big table costs its batches and never a scan of what stays.
 */
export function createRetentionStore(db: Database): RetentionStore {
  /**
   * The first log chunk id stored at or after `before`. Chunk ids grow with their time (AUTOINCREMENT, stamped
   * at insert), and `log_chunks` has no index on its time: a binary search over ids reads about 20 rows instead
   * of the table.
   */
  const firstChunkIdFrom = async (before: number): Promise<number> => {
    const [bounds] = await db.select({ low: min(logChunks.id), high: max(logChunks.id) }).from(logChunks);
    if (!bounds || bounds.low === null || bounds.high === null) return 0;
    let low = bounds.low;
    let high = bounds.high + 1;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const [row] = await db
        .select({ id: logChunks.id, createdAt: logChunks.createdAt })
        .from(logChunks)
        .where(gte(logChunks.id, middle))
        .orderBy(asc(logChunks.id))
        .limit(1);
      if (row === undefined || row.createdAt >= before) high = middle;
      else low = row.id + 1;
    }
    return low;
  };

  return {
    async pruneLogChunks(before, batch) {
      return deleteOldest(
        db,
        logChunks,
        lt(logChunks.id, await firstChunkIdFrom(before)),
        logChunks.id,
        batch,
      );
    },

    pruneChanges: (before, batch) =>
      deleteOldest(db, changes, lt(changes.createdAt, before), changes.createdAt, batch),

    async dropSettledBodies(afterId, batch) {
      const next = await db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(gt(deliveries.id, afterId))
        .orderBy(asc(deliveries.id))
        .limit(batch);
      const upTo = next.at(-1)?.id;
      if (upTo === undefined) return afterId;
      await db
        .update(deliveries)
        .set({ body: '' })
        .where(
          and(
            gt(deliveries.id, afterId),
            lte(deliveries.id, upTo),
            inArray(deliveries.status, ['done', 'ignored']),
            ne(deliveries.body, ''),
          ),
        );
      return upTo;
    },
  };
}

/** Deletes up to `batch` rows matching `where`, oldest first by `order` (an indexed column); returns how many. */
async function deleteOldest(
  db: Database,
  table: typeof logChunks | typeof changes,
  where: SQL,
  order: SQLiteColumn,
  batch: number,
): Promise<number> {
  const oldest = db.select({ id: table.id }).from(table).where(where).orderBy(asc(order)).limit(batch);
  const deleted = await db.delete(table).where(inArray(table.id, oldest)).returning({ id: table.id });
  return deleted.length;
}
