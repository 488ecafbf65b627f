/**
 * What a build's stages imply once some of them ended, decided from their stored statuses alone: which waiting
 * stages may now start or are skipped (Drone's `depends_on` with `trigger.status`), and the build's own status.
 * Pure, and the same whoever evaluates it, so any process may apply it again at any time.
 */
import { type BuildStatus, FINAL_STATUSES, type StageStatus } from '../core/index.ts';

export interface StageFacts {
  id: number;
  name: string;
  status: StageStatus;
  dependsOn: string[];
  onSuccess: boolean;
  onFailure: boolean;
}

const FAILED: ReadonlySet<StageStatus> = new Set(['failure', 'error', 'killed']);

/**
 * Waiting stages whose dependencies have all ended: `pending` when the outcome so far is one the stage runs on
 * (success with on_success, a failure with on_failure), `skipped` otherwise (always when one was declined).
 */
export function releasedStages(
  stages: readonly StageFacts[],
): { id: number; status: 'pending' | 'skipped' }[] {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const released: { id: number; status: 'pending' | 'skipped' }[] = [];
  for (const stage of stages) {
    if (stage.status !== 'waiting_on_dependencies') continue;
    const dependencies = stage.dependsOn.map((name) => byName.get(name));
    // A dependency that does not exist in the build (skipped by its trigger) was bypassed by the planner.
    const present = dependencies.filter((dependency) => dependency !== undefined);
    if (present.some((dependency) => !FINAL_STATUSES.has(dependency.status))) continue;
    const failed = present.some((dependency) => FAILED.has(dependency.status));
    // A declined dependency never ran: neither outcome happened, so nothing that waits on it runs.
    const declined = present.some((dependency) => dependency.status === 'declined');
    const runs = !declined && (failed ? stage.onFailure : stage.onSuccess);
    released.push({ id: stage.id, status: runs ? 'pending' : 'skipped' });
  }
  return released;
}

/**
 * The build's status from its stages: running while any runs; blocked or pending while nothing runs and some
 * wait; once all ended, failure/error/killed/declined if any ended so (killed first, then error, failure,
 * declined), else success (skipped stages do not fail a build). A build without stages keeps the status it was created with.
 */
export function buildStatusOf(stages: readonly StageFacts[], current: BuildStatus): BuildStatus {
  if (stages.length === 0) return current;
  if (stages.some((stage) => stage.status === 'running')) return 'running';
  if (stages.some((stage) => !FINAL_STATUSES.has(stage.status))) {
    if (stages.some((stage) => stage.status === 'blocked')) return 'blocked';
    return current === 'running' ? 'running' : 'pending';
  }
  for (const status of ['killed', 'error', 'failure', 'declined'] as const)
    if (stages.some((stage) => stage.status === status)) return status;
  return 'success';
}
