export { type BuildActionDeps, createBuildActions } from './build-actions.ts';
export {
  BUILD_STATUSES,
  type BuildServiceDeps,
  buildListQueryProblem,
  createBuildService,
  DEFAULT_BUILD_PAGE_SIZE,
  MAX_BUILD_PAGE_SIZE,
} from './build-service.ts';
export { type DroneViewRepo, droneBuild, droneBuildDetail, droneStage, droneStep } from './drone-view.ts';
export {
  approvalOf,
  blockedStages,
  declineOf,
  type StageDecision,
  type StageFacts,
} from './stage-decisions.ts';
