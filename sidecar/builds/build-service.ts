import {
  AppError,
  type Authorizer,
  BUILD_EVENTS,
  type Build,
  type BuildEvent,
  type BuildFilter,
  type BuildListQuery,
  type BuildService,
  type BuildStatus,
  type BuildStore,
  branchNameProblem,
  type LogStore,
  type PolicyAction,
  type Principal,
  type Repo,
  type RepoStore,
} from '../core/index.ts';
import { type BuildActionDeps, createBuildActions } from './build-actions.ts';
import { buildNamed, policyRepoOf, repoNamed } from './build-lookup.ts';
import { droneBuild, droneBuildDetail } from './drone-view.ts';

export const DEFAULT_BUILD_PAGE_SIZE = 25;
export const MAX_BUILD_PAGE_SIZE = 100;
/** Linux's PATH_MAX, the longest name a push can bring (as pipeline/ caps branch names). */
const MAX_BRANCH_CHARS = 4096;

/** Drone's statuses, the words a query may use (with core's BUILD_EVENTS). */
export const BUILD_STATUSES: readonly BuildStatus[] = [
  'pending',
  'blocked',
  'declined',
  'waiting_on_dependencies',
  'running',
  'success',
  'failure',
  'error',
  'killed',
  'skipped',
];

export interface BuildServiceDeps {
  builds: BuildStore;
  repos: RepoStore;
  logs: LogStore;
  /** Asked before anything of a repository is read or changed. */
  authorizer: Authorizer;
  /** What approving, declining, restarting and cancelling need; without it (a benchmark of reads) they refuse. */
  actions?: Omit<BuildActionDeps, 'builds' | 'repos' | 'authorizer'>;
}

/** Why a list query cannot be answered, worded for the CLI's options and the API's parameters; null when it can. */
export function buildListQueryProblem(query: BuildListQuery): string | null {
  const { branch, event, status, limit, page } = query;
  if (event !== undefined && !(BUILD_EVENTS as readonly string[]).includes(event))
    return `event must be one of ${BUILD_EVENTS.join(', ')}`;
  if (status !== undefined && !(BUILD_STATUSES as readonly string[]).includes(status))
    return `status must be one of ${BUILD_STATUSES.join(', ')}`;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_BUILD_PAGE_SIZE))
    return `limit must be a whole number from 1 to ${MAX_BUILD_PAGE_SIZE}`;
  if (page !== undefined && !(Number.isSafeInteger(page) && page >= 1))
    return 'page must be a whole number from 1';
  if (branch !== undefined) {
    if (branch.length > MAX_BRANCH_CHARS) return `branch must be at most ${MAX_BRANCH_CHARS} characters`;
    const problem = branchNameProblem(branch);
    if (problem !== null) return `branch is not a branch name: it ${problem}`;
  }
  return null;
}

/** Builds for the CLI and, later, the API, through the stores' interfaces. */
export function createBuildService(deps: BuildServiceDeps): BuildService {
  const { builds, repos, authorizer } = deps;
  const actions =
    deps.actions === undefined
      ? readOnly()
      : createBuildActions({ ...deps.actions, builds, repos, authorizer });
  const may = (actor: Principal, action: PolicyAction) => (repo: Repo) =>
    authorizer.authorize(actor, action, policyRepoOf(repo));

  const pageOf = (
    repoId: number,
    filter: Omit<BuildFilter, 'limit' | 'offset'>,
    limit: number,
    page: number,
  ): Promise<Build[]> => builds.list(repoId, { ...filter, limit, offset: (page - 1) * limit });

  return {
    ...actions,

    async list(actor, fullName, query) {
      const problem = buildListQueryProblem(query);
      if (problem !== null) throw new AppError('BAD_REQUEST', problem);
      const repo = await repoNamed(repos, fullName);
      await may(actor, 'view')(repo);
      const filter = {
        branch: query.branch,
        event: query.event as BuildEvent | undefined,
        status: query.status as BuildStatus | undefined,
      };
      const found = await pageOf(repo.id, filter, query.limit ?? DEFAULT_BUILD_PAGE_SIZE, query.page ?? 1);
      return found.map((build) => droneBuild(build, repo));
    },

    async info(actor, fullName, number) {
      const { repo, found } = await buildNamed(deps, fullName, number, may(actor, 'view'));
      return droneBuildDetail(found, repo);
    },

    async log(actor, fullName, at, afterLine = -1) {
      for (const [what, value] of Object.entries(at))
        if (!(Number.isSafeInteger(value) && value >= 1))
          throw new AppError('BAD_REQUEST', `the ${what} is a number from 1, not ${value}`);
      const { repo, found } = await buildNamed(deps, fullName, at.build, may(actor, 'view-logs'));
      const stage = found.stages.find((each) => each.number === at.stage);
      if (stage === undefined)
        throw new AppError('NOT_FOUND', `build #${at.build} of ${repo.fullName} has no stage ${at.stage}`);
      const step = stage.steps.find((each) => each.number === at.step);
      if (step === undefined)
        throw new AppError(
          'NOT_FOUND',
          `stage ${at.stage} of build #${at.build} has no step ${at.step} (yet)`,
        );
      // The status is read before the lines, and a step's last line is stored before its final status: no line
      // is added after those of an ended step.
      const lines = await deps.logs.read(step.id, { afterLine });
      return { lines, ended: ENDED_STEP_STATUSES.has(step.status) };
    },
  };
}

/** The writes of a service built without their dependencies. */
function readOnly(): Pick<BuildService, 'approve' | 'decline' | 'restart' | 'cancel'> {
  const refuse = async (): Promise<never> => {
    throw new AppError('INTERNAL', 'builds: this build service was built to read only');
  };
  return { approve: refuse, decline: refuse, restart: refuse, cancel: refuse };
}

const ENDED_STEP_STATUSES: ReadonlySet<string> = new Set([
  'success',
  'failure',
  'error',
  'killed',
  'skipped',
]);
