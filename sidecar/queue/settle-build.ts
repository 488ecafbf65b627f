/**
 * Applies what a build's stored stages imply (build-progress.ts) until nothing more follows: waiting stages
 * released or skipped, a skipped one releasing those that wait on it, and the build's status. Conditional writes
 * from the stored rows, so any process may run it at any time, again or late; the stage worker runs it after
 * every stage it ends, the build service after an approval or a decline.
 */
import type { StageQueueStore } from '../core/index.ts';
import { buildStatusOf, releasedStages } from './build-progress.ts';

/** Passes at most: each skipped stage may release the next, and no build has this many stages in a chain. */
const MAX_PASSES = 64;

/** True when a stage became pending (a stage worker may claim it now). */
export async function settleBuild(
  queue: StageQueueStore,
  buildId: number,
  now: () => number,
): Promise<boolean> {
  let madePending = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const facts = await queue.progressFacts(buildId);
    if (facts === null) return madePending;
    const released = releasedStages(facts.stages);
    const after = facts.stages.map((stage) => ({
      ...stage,
      status: released.find((each) => each.id === stage.id)?.status ?? stage.status,
    }));
    const status = buildStatusOf(after, facts.status);
    if (released.length === 0 && status === facts.status) return madePending;
    await queue.applyProgress(facts, released, status, now());
    if (released.some((each) => each.status === 'pending')) madePending = true;
    // A skipped stage may release the stages that wait on it: look again.
    if (!released.some((each) => each.status === 'skipped')) return madePending;
  }
  return madePending;
}
