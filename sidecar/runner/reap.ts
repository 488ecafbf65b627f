/** The start-up half of recovery: what instances that are no longer alive left on the engines goes. */
import type { Logger, Runner } from '../core/index.ts';

/**
 * Removes the labelled resources of every instance that owns some and is not `alive` (this process's own id
 * belongs among the live ones). Returns the instances it reaped. Stages of a dead instance that should be
 * re-attached must be recovered (`runner.recoverStage`) before this runs, since it kills what they left running.
 * Idempotent; safe to run from several processes at once.
 */
export async function reapDeadInstances(
  runner: Pick<Runner, 'resourceOwners' | 'removeResources'>,
  alive: (instance: string) => boolean,
  logger: Logger,
): Promise<string[]> {
  const reaped: string[] = [];
  for (const instance of await runner.resourceOwners()) {
    if (alive(instance)) continue;
    const removed = await runner.removeResources({ instance });
    logger.info('runner: removed what a dead instance left behind', { instance, removed });
    reaped.push(instance);
  }
  return reaped;
}
