/** Reaping: what instances that are no longer alive left on the engines goes. */
import type { Logger, Runner, StageRunIds } from '../core/index.ts';

/**
 * Removes the labelled resources of every instance that is not `alive` (this process's own id belongs among the
 * live ones), except those of stages `running` says are still running in the database: recovery re-attaches to
 * them or ends them, and they go with their end (or in a later pass). A serving sidecar always passes `running`;
 * without it (a clean-up with no database) everything of a dead instance goes. Returns the instances it removed
 * something of. Idempotent; safe to run from several processes at once.
 */
export async function reapDeadInstances(
  runner: Pick<Runner, 'resourceStages' | 'removeResources'>,
  alive: (instance: string) => boolean,
  logger: Logger,
  running: (ids: StageRunIds) => boolean = () => false,
): Promise<string[]> {
  const byInstance = new Map<string, StageRunIds[]>();
  for (const ids of await runner.resourceStages()) {
    if (alive(ids.instance)) continue;
    byInstance.set(ids.instance, [...(byInstance.get(ids.instance) ?? []), ids]);
  }
  const reaped: string[] = [];
  for (const [instance, stages] of byInstance) {
    const kept = stages.filter(running);
    // Whole instances at once where nothing is kept: that also takes resources whose labels are incomplete.
    const selectors = kept.length === 0 ? [{ instance }] : stages.filter((ids) => !running(ids));
    let removed = 0;
    for (const selector of selectors) removed += await runner.removeResources(selector);
    if (kept.length > 0) {
      logger.info('runner: left the stages of a dead instance that are still running to recovery', {
        instance,
        stages: kept.length,
      });
    }
    if (removed > 0 || kept.length === 0) {
      logger.info('runner: removed what a dead instance left behind', { instance, removed });
      reaped.push(instance);
    }
  }
  return reaped.sort();
}
