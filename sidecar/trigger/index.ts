/**
 * trigger/: stored deliveries into builds (the issue that connects pushes to the planner fills this in). So far:
 * planning a pushed file in a thread under a deadline, which the CLI's `pipeline plan` and `lint` use too.
 *
 *   const result = await planUnderDeadline({ source: bytes, fileName: '.drone.yml' }, context);
 */

export {
  type ApprovalFacts,
  approvalWait,
  approvedStatus,
  newStagesOf,
  type PlannedStage,
  WAIT_RULES,
  type WaitRule,
} from './approval.ts';
export { buildContextOf, type SystemFacts } from './build-context.ts';
export {
  type DeadlineOptions,
  LINT_TOO_LONG,
  lintUnderDeadline,
  type PipelineSource,
  PLAN_DEADLINE_MS,
  planUnderDeadline,
  spawnPlanThread,
} from './plan-under-deadline.ts';
export { createPlanner, type Planner } from './planner.ts';
export {
  type DeliveryOutcome,
  type DeliveryProcessorDeps,
  NotYet,
  processDelivery,
} from './process-delivery.ts';
export { firstSkip, SKIP_RULES, type SkipFacts, type SkipRule } from './skip-rules.ts';
export { startTrigger, type TriggerWorker, type TriggerWorkerDeps } from './trigger-worker.ts';
