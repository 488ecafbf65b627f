import { AppError, type StoreThread } from '../core/index.ts';
import type { DeliveryIntake, IntakeOutcome } from './intake.ts';

/**
 * A DeliveryIntake run by the store-writer thread (its `intake` lane, intake-thread.ts): parsing 8 KB payloads
 * and every commit's fsync would otherwise compete with the HTTP thread's requests. Each delivery resolves when
 * the thread has stored it, in the group commit it shares with the process's other hot writes. `close()` waits
 * for the deliveries taken; the thread is stopped by its owner.
 */
export function createThreadedIntake(thread: StoreThread): DeliveryIntake {
  const lane = thread.lane('intake');
  return {
    take: (delivery) =>
      (lane.request(delivery) as Promise<IntakeOutcome>).catch((error: unknown) => {
        throw error instanceof AppError
          ? error
          : new AppError('STORE_FAILED', 'cannot store the delivery: restart the sidecar', { cause: error });
      }),
    close: () => lane.close(),
  };
}
