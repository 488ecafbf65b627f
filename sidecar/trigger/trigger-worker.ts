/**
 * The loop that turns stored deliveries into builds: lease a batch, process each, settle it. Deliveries are
 * processed at least once (a process that dies leaves its lease to run out, and another takes them over); builds
 * are created exactly once (their idempotency key). What fails is tried again later, with growing pauses, and
 * given up with its reason after a few attempts.
 */
import {
  type Clock,
  createWakeablePause,
  type Delivery,
  type DeliveryStore,
  type Logger,
  type Running,
} from '../core/index.ts';
import type { DeliveryOutcome } from './process-delivery.ts';

export interface TriggerWorkerDeps {
  deliveries: DeliveryStore;
  process(delivery: Delivery): Promise<DeliveryOutcome>;
  /** Who holds the leases: the instance id. */
  holder: string;
  clock: Clock;
  logger: Logger;
  /** How often to look for deliveries other processes stored. */
  pollMs?: number;
  /** How long a delivery stays leased before another process may take it over. */
  leaseMs?: number;
  /** Attempts before a delivery is given up as failed. */
  maxAttempts?: number;
  /** Called when a build was created, so that its stages are claimed without waiting for the next poll. */
  onBuildCreated?: () => void;
}

export interface TriggerWorker extends Running {
  /** Looks for deliveries now: one was just stored in this process. */
  nudge(): void;
}

const BATCH = 10;

export function startTrigger(deps: TriggerWorkerDeps): TriggerWorker {
  const { deliveries, clock, logger, holder } = deps;
  const pollMs = deps.pollMs ?? 2_000;
  const leaseMs = deps.leaseMs ?? 60_000;
  const maxAttempts = deps.maxAttempts ?? 6;
  let stopped = false;
  const sleep = createWakeablePause(pollMs);

  const settle = async (delivery: Delivery, outcome: DeliveryOutcome) => {
    const fields = { delivery: delivery.deliveryId };
    if (outcome.status === 'done') {
      const note = `build #${outcome.build.number}${outcome.created ? '' : ' (created before)'}`;
      await deliveries.settle(delivery.id, holder, 'done', note);
      if (outcome.created) deps.onBuildCreated?.();
      logger.info(`trigger: ${note}`, { ...fields, build: outcome.build.number });
    } else {
      await deliveries.settle(delivery.id, holder, 'ignored', outcome.reason);
      logger.info(`trigger: no build: ${outcome.reason}`, fields);
    }
  };

  const handle = async (delivery: Delivery) => {
    try {
      await settle(delivery, await deps.process(delivery));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const fields = { delivery: delivery.deliveryId, attempt: delivery.attempts };
      if (delivery.attempts >= maxAttempts) {
        await deliveries.settle(
          delivery.id,
          holder,
          'failed',
          `gave up after ${delivery.attempts} attempts: ${message}`,
        );
        logger.error(`trigger: gave up on a delivery: ${message}`, fields);
      } else {
        const pause = Math.min(2 ** delivery.attempts * 1_000, 5 * 60_000);
        await deliveries.postpone(delivery.id, holder, clock.now() + pause, message);
        logger.warn(`trigger: will try again in ${pause / 1000} s: ${message}`, fields);
      }
    }
  };

  const loop = async () => {
    while (!stopped) {
      sleep.reset();
      let leased: Delivery[] = [];
      try {
        leased = await deliveries.lease(holder, clock.now(), leaseMs, BATCH);
      } catch (error) {
        logger.error(`trigger: cannot lease deliveries: ${(error as Error).message}`);
      }
      for (const delivery of leased) {
        if (stopped) break;
        await handle(delivery).catch((error: unknown) =>
          logger.error(`trigger: cannot settle a delivery: ${(error as Error).message}`, {
            delivery: delivery.deliveryId,
          }),
        );
      }
      if (leased.length < BATCH && !stopped) await sleep.pause();
    }
  };
  const running = loop();

  return {
    nudge: sleep.wake,
    async stop() {
      stopped = true;
      sleep.wake();
      await running;
    },
  };
}
