/**
 * Retention: a periodic pass that deletes step logs and change-feed entries older than the retention period and
 * drops the payloads of settled deliveries (which the trigger already drops when it settles them; this catches
 * those the intake ignored on arrival). Builds, stages and steps stay. Every process runs it; the deletes are
 * idempotent, so several at once only share the work.
 */
import {
  type Clock,
  createWakeablePause,
  type Logger,
  type RetentionStore,
  type Running,
} from '../core/index.ts';

export interface RetentionDeps {
  store: RetentionStore;
  /** How long logs and change-feed entries are kept, in ms; 0 keeps them forever. */
  keepMs: number;
  clock: Clock;
  logger: Logger;
  /** Time between passes; the first runs at start. */
  intervalMs?: number;
  /** Rows per statement. */
  batch?: number;
}

export interface Retention extends Running {
  /** Runs a pass now (or waits for the one under way) and resolves when it ended. */
  runOnce(): Promise<void>;
}

const HOUR_MS = 60 * 60_000;
/** Log chunks are up to 256 KB each: a batch of them is up to about 50 MB freed in one short write. */
const DEFAULT_BATCH = 200;

export function startRetention(deps: RetentionDeps): Retention {
  const { store, clock, logger } = deps;
  const batch = deps.batch ?? DEFAULT_BATCH;
  const sleep = createWakeablePause(deps.intervalMs ?? HOUR_MS);
  let stopped = false;
  let bodiesAfter = 0;
  let pass: Promise<void> | null = null;

  /** Calls `step` until it does less than a batch, yielding between batches so that other writes go first. */
  const drain = async (step: () => Promise<number>) => {
    let total = 0;
    for (;;) {
      const done = await step();
      total += done;
      if (done < batch || stopped) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const prune = async () => {
    for (;;) {
      const next = await store.dropSettledBodies(bodiesAfter, batch);
      if (next === bodiesAfter || stopped) break;
      bodiesAfter = next;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deps.keepMs === 0) return;
    const before = clock.now() - deps.keepMs;
    const chunks = await drain(() => store.pruneLogChunks(before, batch));
    const changes = await drain(() => store.pruneChanges(before, batch));
    if (chunks + changes > 0)
      logger.info('retention: pruned', {
        logChunks: chunks,
        changes,
        olderThan: new Date(before).toISOString(),
      });
  };

  const runOnce = () => {
    pass ??= prune()
      .catch((error: unknown) => logger.error(`retention: pass failed: ${(error as Error).message}`))
      .finally(() => {
        pass = null;
      });
    return pass;
  };

  const loop = (async () => {
    while (!stopped) {
      sleep.reset();
      await runOnce();
      if (!stopped) await sleep.pause();
    }
  })();

  return {
    runOnce,
    async stop() {
      stopped = true;
      sleep.wake();
      await loop;
    },
  };
}
