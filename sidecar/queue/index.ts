/**
 * queue/: the database as the queue of stages. A process claims a pending stage only for one of its engines that
 * fits it and has room, runs it there, re-attaches to the stages of processes that died, and applies what ended stages imply (waiting stages released, the build's status); it stops the
 * stages it runs that were cancelled. Auto-cancel kills what a new build supersedes.
 *
 *   const worker = startStageWorker({ queue: stores.stageQueue, builds: stores.builds, ... });
 */
export {
  type AutoCancelDeps,
  type AutoCancelSettings,
  cancelSuperseded,
  supersededLine,
} from './auto-cancel.ts';
export { buildStatusOf, releasedStages, type StageFacts } from './build-progress.ts';
export { stagesRunningInDatabase } from './recovery.ts';
export { type Retention, type RetentionDeps, startRetention } from './retention.ts';
export { settleBuild } from './settle-build.ts';
export { type StageWorker, type StageWorkerDeps, startStageWorker } from './stage-worker.ts';
