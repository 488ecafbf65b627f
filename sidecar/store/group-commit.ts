import { AppError, type NewDelivery } from '../core/index.ts';
import type { DeliveryInserter } from './insert-deliveries.ts';

export type RecordOutcome = 'stored' | 'duplicate';

/** Durable delivery recording: resolves once the row is committed, or says it was a duplicate. */
export interface DeliveryRecorder {
  record(delivery: NewDelivery): Promise<RecordOutcome>;
  /** Waits for pending writes to commit; later calls are refused. */
  close(): Promise<void>;
}

interface Waiter {
  delivery: NewDelivery;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** 14 columns a row; SQLite allows 32,766 parameters a statement. */
const MAX_ROWS_PER_COMMIT = 500;

/**
 * Group commit: calls that arrive while a commit is in flight are written together by the next one, in a
 * single multi-row INSERT, so the per-transaction and per-statement costs are paid once per group.
 */
export function createGroupCommit(insert: DeliveryInserter): DeliveryRecorder {
  let queue: Waiter[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;

  const settleGroup = async (group: Waiter[]) => {
    const firstOfId = new Map<string, Waiter>();
    for (const waiter of group) {
      if (!firstOfId.has(waiter.delivery.deliveryId)) firstOfId.set(waiter.delivery.deliveryId, waiter);
    }
    const unique = [...firstOfId.values()];
    let inserted: Set<string>;
    try {
      inserted = await insert(unique.map((waiter) => waiter.delivery));
    } catch {
      // One bad row must not fail the others: write them one by one to find it.
      inserted = new Set();
      for (const waiter of unique) {
        try {
          for (const id of await insert([waiter.delivery])) inserted.add(id);
        } catch (error) {
          waiter.reject(
            error instanceof AppError
              ? error
              : new AppError('STORE_FAILED', 'cannot store the delivery', { cause: error }),
          );
          firstOfId.delete(waiter.delivery.deliveryId);
        }
      }
    }
    for (const waiter of group) {
      const id = waiter.delivery.deliveryId;
      if (!firstOfId.has(id)) continue;
      waiter.resolve(firstOfId.get(id) === waiter && inserted.has(id) ? 'stored' : 'duplicate');
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

  return {
    record(delivery) {
      if (closed) return Promise.reject(new AppError('STORE_FAILED', 'the delivery store is closed'));
      return new Promise<RecordOutcome>((resolve, reject) => {
        queue.push({ delivery, resolve, reject });
        // setImmediate lets the requests already read in this turn of the event loop join the first group.
        flushing ??= new Promise<void>((started) => setImmediate(started)).then(flush);
      });
    },
    async close() {
      closed = true;
      while (flushing) await flushing;
    },
  };
}
