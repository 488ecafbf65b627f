import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { DeliveryStore } from '../core/index.ts';
import { createGroupCommit, type DeliveryRecorder } from './group-commit.ts';
import { insertDeliveriesWith } from './insert-deliveries.ts';
import type { Database } from './open-database.ts';
import { builds, deliveries } from './schema.ts';

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
    async recent(repoId, limit) {
      // The build's key starts with `hook:<delivery id>:`; the range reads it from the key's unique index.
      const prefix = sql`'hook:' || ${deliveries.deliveryId} || ':'`;
      const buildNumber = sql<number | null>`(select ${builds.number} from ${builds}
        where ${builds.idempotencyKey} >= ${prefix} and ${builds.idempotencyKey} < 'hook:' || ${deliveries.deliveryId} || ';'
        and ${builds.repoId} = ${deliveries.repoId} order by ${builds.id} limit 1)`;
      return db
        .select({
          id: deliveries.id,
          deliveryId: deliveries.deliveryId,
          repoId: deliveries.repoId,
          event: deliveries.event,
          kind: deliveries.kind,
          action: deliveries.action,
          ref: deliveries.ref,
          after: deliveries.after,
          synthetic: deliveries.synthetic,
          status: deliveries.status,
          statusReason: deliveries.statusReason,
          receivedAt: deliveries.receivedAt,
          leasedBy: deliveries.leasedBy,
          leaseUntil: deliveries.leaseUntil,
          attempts: deliveries.attempts,
          buildNumber,
        })
        .from(deliveries)
        .where(eq(deliveries.repoId, repoId))
        .orderBy(desc(deliveries.id))
        .limit(limit);
    },
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
        .set({
          status,
          statusReason: reason,
          leasedBy: null,
          leaseUntil: null,
          // Nothing reads a settled payload; a failed one stays to be processed again.
          ...(status === 'failed' ? {} : { body: '' }),
        })
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
