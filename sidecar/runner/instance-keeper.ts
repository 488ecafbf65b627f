/**
 * A serving sidecar's life as a stage-running instance: registered at start, a heartbeat while it lives, and a
 * reaping pass at start and then on a timer (an engine that was down at start is covered once it answers), which
 * removes what dead instances left on the engines, except the stages still running in the database (the queue's
 * recovery re-attaches to those or ends them first). Stopping marks the instance stopped.
 */
import type { Clock, InstanceStore, Logger, RunnerPool, StageRunIds } from '../core/index.ts';
import { livenessOf, processAlive } from './instance-ids.ts';
import { reapDeadInstances } from './reap.ts';

export interface InstanceKeeperDeps {
  /** The label value of everything this instance creates on the engines. */
  id: string;
  hostname: string;
  instances: InstanceStore;
  runner: Pick<RunnerPool, 'resourceStages' | 'removeResources' | 'checkEngines'>;
  /** Whether the stage these resource ids name is running in the database, judged at the time of the call. */
  runningStages(): Promise<(ids: StageRunIds) => boolean>;
  clock: Clock;
  logger: Logger;
}

export interface InstanceKeeper {
  /** Stops beating and reaping (waiting for a pass under way) and marks the instance stopped. */
  stop(): Promise<void>;
}

const HEARTBEAT_MS = 10_000;
const REAP_INTERVAL_MS = 60_000;
/** Missed heartbeats before an instance counts as dead. */
const MISSED_BEATS = 6;

/**
 * Whether each instance lives, judged now from the instances table (heartbeats, clean stops, and the process of
 * sidecars on this host): what reaping and the queue's recovery both go by.
 */
export async function judgeInstances(deps: {
  instances: Pick<InstanceStore, 'list'>;
  clock: Clock;
  hostname: string;
}): Promise<(instance: string) => boolean> {
  return livenessOf({
    known: await deps.instances.list(),
    now: deps.clock.now(),
    staleAfterMs: HEARTBEAT_MS * MISSED_BEATS,
    hostname: deps.hostname,
    processAlive,
  });
}

export async function startInstanceKeeper(deps: InstanceKeeperDeps): Promise<InstanceKeeper> {
  const { id, instances, runner, clock, logger } = deps;
  await instances.register({ id, hostname: deps.hostname, pid: process.pid }, clock.now());

  let reaping: Promise<string[]> | null = null;
  const reapNow = () => {
    reaping ??= (async () => {
      try {
        await runner.checkEngines();
        const alive = await judgeInstances({ instances, clock, hostname: deps.hostname });
        // Read after the instances: a stage a survivor takes over meanwhile is running either way.
        const running = await deps.runningStages();
        return await reapDeadInstances(
          runner,
          (instance) => instance === id || alive(instance),
          logger,
          running,
        );
      } catch (error) {
        logger.error('runner: reaping what dead instances left failed; retried later', {
          error: (error as Error).message,
        });
        return [];
      } finally {
        reaping = null;
      }
    })();
    return reaping;
  };

  const beat = setInterval(() => {
    instances.heartbeat(id, clock.now()).catch((error: unknown) => {
      logger.error('runner: cannot record the heartbeat', { error: (error as Error).message });
    });
  }, HEARTBEAT_MS);
  beat.unref();
  const reap = setInterval(() => void reapNow(), REAP_INTERVAL_MS);
  reap.unref();
  void reapNow();

  return {
    async stop() {
      clearInterval(beat);
      clearInterval(reap);
      await reaping;
      await instances.stop(id, clock.now());
    },
  };
}
