/**
 * queue/: the database as the queue of stages. A process claims a pending stage only when one of its engines has
 * room, runs it, and applies what ended stages imply (waiting stages released, the build's status).
 *
 *   const worker = startStageWorker({ queue: stores.stageQueue, builds: stores.builds, ... });
 */
export { buildStatusOf, releasedStages, type StageFacts } from './build-progress.ts';
export { type StageWorker, type StageWorkerDeps, startStageWorker } from './stage-worker.ts';
