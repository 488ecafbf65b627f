import { and, desc, eq, type SQL } from 'drizzle-orm';
import { AppError, type DeliveryStore, type NewDelivery } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { deliveries } from './schema.ts';

type Outcome = 'stored' | 'duplicate';

interface Waiter {
  delivery: NewDelivery;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/** 14 columns a row; SQLite allows 32,766 parameters a statement. */
const MAX_ROWS_PER_COMMIT = 500;

/**
 * Deliveries, written by group commit: concurrent `record` calls that arrive while a commit is in flight
 * are written together by the next one, as a single multi-row INSERT. Each caller still resolves only after
 * its row is durable, but the per-transaction and per-statement costs are paid once per group.
 */
export function createDeliveryStore(db: Database): DeliveryStore {
  let queue: Waiter[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;

  const insertGroup = async (group: Waiter[]): Promise<Set<string>> => {
    const rows = await db
      .insert(deliveries)
      .values(group.map((waiter) => waiter.delivery))
      .onConflictDoNothing({ target: deliveries.deliveryId })
      .returning({ deliveryId: deliveries.deliveryId });
    return new Set(rows.map((row) => row.deliveryId));
  };

  const settleGroup = async (group: Waiter[]) => {
    const firstOfId = new Map<string, Waiter>();
    for (const waiter of group) {
      if (!firstOfId.has(waiter.delivery.deliveryId)) firstOfId.set(waiter.delivery.deliveryId, waiter);
    }
    const unique = [...firstOfId.values()];
    let inserted: Set<string>;
    try {
      inserted = await insertGroup(unique);
    } catch (groupError) {
      // One bad row must not fail the others: write them one by one to find it.
      inserted = new Set();
      for (const waiter of unique) {
        try {
          for (const id of await insertGroup([waiter])) inserted.add(id);
        } catch (error) {
          waiter.reject(new AppError('STORE_FAILED', 'cannot store the delivery', { cause: error ?? groupError }));
          firstOfId.delete(waiter.delivery.deliveryId);
        }
      }
    }
    for (const waiter of group) {
      const id = waiter.delivery.deliveryId;
      if (!firstOfId.has(id)) continue;
      const first = firstOfId.get(id) === waiter;
      waiter.resolve(first && inserted.has(id) ? 'stored' : 'duplicate');
    }
  };

  const flush = async () => {
    while (queue.length > 0) {
      const group = queue.slice(0, MAX_ROWS_PER_COMMIT);
      queue = queue.slice(group.length);
      await settleGroup(group);
    }
    flushing = null;
  };

  const startFlush = () => {
    if (flushing) return;
    // setImmediate lets the requests already read in this turn of the event loop join the first group.
    flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
  };

  const latest = (where: SQL | undefined, limit: number) =>
    db.select().from(deliveries).where(where).orderBy(desc(deliveries.id)).limit(limit);

  return {
    record(delivery) {
      if (closed) return Promise.reject(new AppError('STORE_FAILED', 'the delivery store is closed'));
      return new Promise<Outcome>((resolve, reject) => {
        queue.push({ delivery, resolve, reject });
        startFlush();
      });
    },
    async findByDeliveryId(deliveryId) {
      return (await latest(eq(deliveries.deliveryId, deliveryId), 1))[0] ?? null;
    },
    list: ({ repoId, limit }) => latest(repoId === undefined ? undefined : eq(deliveries.repoId, repoId), limit),
    async hasSeenCommit(repoId, sha) {
      const rows = await db
        .select({ id: deliveries.id })
        .from(deliveries)
        .where(and(eq(deliveries.repoId, repoId), eq(deliveries.after, sha)))
        .limit(1);
      return rows.length > 0;
    },
    async close() {
      closed = true;
      while (flushing) await flushing;
    },
  };
}
