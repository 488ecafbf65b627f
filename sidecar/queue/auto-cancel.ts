/**
 * Auto-cancel: a new hook build supersedes the older builds of its line of work that have not ended (pushes to
 * the same branch with `autoCancelPushes`, updates of the same pull request with `autoCancelPullRequests`). Those
 * still waiting (pending, blocked) are killed, running ones only with `autoCancelRunning`; never a newer build,
 * never a tag or a promotion. Here in queue/ because it is a cancel: the same conditional kill as `build cancel`,
 * whose running stages the process holding them stops. Idempotent, so a delivery processed again may run it again.
 */
import {
  type Build,
  type BuildLine,
  type BuildStore,
  type Clock,
  FINAL_STATUSES,
  type Logger,
  type Repo,
  type RepoStore,
  type StageQueueStore,
} from '../core/index.ts';

export type AutoCancelSettings = Pick<
  Repo,
  'autoCancelPushes' | 'autoCancelPullRequests' | 'autoCancelRunning'
>;

/** The builds `build` supersedes under these settings; null when it supersedes none. */
export function supersededLine(build: Pick<Build, 'origin'>, settings: AutoCancelSettings): BuildLine | null {
  const { origin } = build;
  if (origin.event === 'push' && settings.autoCancelPushes) return { event: 'push', branch: origin.target };
  if (origin.event === 'pull_request' && settings.autoCancelPullRequests && origin.pullRequest > 0)
    return { event: 'pull_request', pullRequest: origin.pullRequest };
  return null;
}

export interface AutoCancelDeps {
  builds: BuildStore;
  repos: RepoStore;
  queue: StageQueueStore;
  clock: Clock;
  logger: Logger;
}

/** Older builds looked at per new build; more than this many unfinished builds of one branch are not expected. */
const MAX_SUPERSEDED = 100;

/**
 * Kills what a new hook build supersedes; returns the numbers of the builds it killed. A build that ended at once
 * (an errored one: a broken file) runs nothing, so it supersedes nothing either.
 */
export async function cancelSuperseded(build: Build, deps: AutoCancelDeps): Promise<number[]> {
  if (FINAL_STATUSES.has(build.status)) return [];
  const repo = await deps.repos.findById(build.repoId);
  const line = repo === null ? null : supersededLine(build, repo);
  if (repo === null || line === null) return [];
  const older = await deps.builds.unfinished(repo.id, line, build.number, MAX_SUPERSEDED);
  const killed: number[] = [];
  for (const old of older) {
    const result = await deps.queue.cancelBuild(
      old.id,
      `superseded by build #${build.number}`,
      deps.clock.now(),
      { unlessRunning: !repo.autoCancelRunning },
    );
    if (!result?.killed) continue;
    killed.push(old.number);
    deps.logger.info(`queue: auto-cancel: build #${old.number} superseded by build #${build.number}`, {
      repo: repo.fullName,
      build: old.number,
      running: result.running.length,
    });
  }
  return killed;
}
