import type { Repo, RepoView } from '../core/index.ts';

/** The public view of a stored repository, copied field by field so that nothing secret rides along. */
export function repoView(repo: Repo): RepoView {
  return {
    fullName: repo.fullName,
    gogsId: repo.gogsId,
    active: repo.active,
    private: repo.private,
    trusted: repo.trusted,
    defaultBranch: repo.defaultBranch,
    htmlUrl: repo.htmlUrl,
    timeoutMinutes: repo.timeoutMinutes,
    configPath: repo.configPath,
    hookId: repo.hookId,
    hookUrl: repo.hookUrl,
    secretRotatedGraceUntil: repo.previousHookSecretUntil,
  };
}
