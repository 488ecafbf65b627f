import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
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
    async lease(holder, now, leaseMs, limit) {
      const due = db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(
          or(
            eq(deliveries.status, 'pending'),
            and(eq(deliveries.status, 'processing'), lt(deliveries.leaseUntil, now)),
          ),
        )
        .orderBy(asc(deliveries.id))
        .limit(limit);
      const rows = await db
        .update(deliveries)
        .set({
          status: 'processing',
          leasedBy: holder,
          leaseUntil: now + leaseMs,
          attempts: sql`${deliveries.attempts} + 1`,
        })
        .where(inArray(deliveries.id, due))
        .returning();
      return rows.sort((a, b) => a.id - b.id);
    },
    async settle(id, holder, status, reason) {
      const rows = await db
        .update(deliveries)
        .set({ status, statusReason: reason, leasedBy: null, leaseUntil: null })
        .where(
          and(eq(deliveries.id, id), eq(deliveries.status, 'processing'), eq(deliveries.leasedBy, holder)),
        )
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },
    async postpone(id, holder, until, reason) {
      const rows = await db
        .update(deliveries)
        .set({ leaseUntil: until, statusReason: reason })
        .where(
          and(eq(deliveries.id, id), eq(deliveries.status, 'processing'), eq(deliveries.leasedBy, holder)),
        )
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },
    close: () => recorder.close(),
  };
}
