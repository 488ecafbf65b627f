import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { DeliveryStore } from '../core/index.ts';
import { createGroupCommit, type DeliveryRecorder } from './group-commit.ts';
import { insertDeliveriesWith } from './insert-deliveries.ts';
import type { Database } from './open-database.ts';
import { deliveries } from './schema.ts';

/**
 * Deliveries. Writes go through a DeliveryRecorder (group commit, in this thread or in the writer thread);
 * reads go straight to the database.
 */
export function createDeliveryStore(
  db: Database,
  recorder: DeliveryRecorder = createGroupCommit(insertDeliveriesWith(db)),
): DeliveryStore {
  const latest = (where: SQL | undefined, limit: number) =>
    db.select().from(deliveries).where(where).orderBy(desc(deliveries.id)).limit(limit);

  return {
    record: (delivery) => recorder.record(delivery),
    async findByDeliveryId(deliveryId) {
      return (await latest(eq(deliveries.deliveryId, deliveryId), 1))[0] ?? null;
    },
    list: ({ repoId, limit }) =>
      latest(repoId === undefined ? undefined : eq(deliveries.repoId, repoId), limit),
    async hasSeenCommit(repoId, sha) {
      const rows = await db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(eq(deliveries.repoId, repoId), eq(deliveries.after, sha)))
        .limit(1);
      return rows.length > 0;
    },
    close: () => recorder.close(),
  };
}
