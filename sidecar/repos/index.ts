export { createHookRegistrar, HOOK_EVENTS, type HookRegistrar, splitFullName } from './hook-registration.ts';
export { diagnoseHookUrl, isLocalNetworkAddress } from './hook-url-diagnosis.ts';
export { gatherHookUrlFacts } from './hook-url-facts.ts';
export { createRepoService, type RepoServiceDeps } from './repo-service.ts';
export {
  MAX_ALLOW_LIST,
  MAX_THROTTLE,
  MAX_TIMEOUT_MINUTES,
  settingsProblem,
} from './repo-settings.ts';
export { repoView } from './repo-view.ts';
