/**
 * The {@link BuildContext} of a build: what conditions, substitution and `DRONE_*` read. Built from the stored
 * origin and the repository, so that trigger/ (deciding which pipelines run) and the queue (compiling a claimed
 * stage for the runner, with the build's number) see the same facts.
 */
import type { BuildContext, BuildOrigin, Repo } from '../core/index.ts';
import { createBuildContext } from '../pipeline/index.ts';

export interface SystemFacts {
  proto: string;
  host: string;
  version: string;
}

export function buildContextOf(input: {
  origin: BuildOrigin;
  repo: Repo;
  system: SystemFacts;
  /** 0 while the build is not created yet. */
  number: number;
  changedPaths: string[] | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  now: number;
}): BuildContext {
  const { origin, repo } = input;
  const seconds = (ms: number) => Math.floor(ms / 1000);
  const base = createBuildContext({
    event: origin.event,
    action: origin.action,
    ref: origin.ref,
    branch: origin.target,
    sourceBranch: origin.source,
    deployTarget: origin.deployTo,
    cron: origin.cron,
    repo: repo.fullName,
    trusted: repo.trusted,
    pullRequest: origin.pullRequest,
    changedPaths: input.changedPaths,
    instance: input.system.host,
    now: seconds(input.now),
    buildNumber: input.number,
    sha: origin.after,
    params: { ...origin.params },
  });
  return {
    ...base,
    commit: {
      sha: origin.after,
      before: origin.before,
      message: origin.message,
      title: origin.title,
      link: origin.link,
      author: {
        login: origin.authorLogin,
        name: origin.authorName,
        email: origin.authorEmail,
        avatar: origin.authorAvatar,
      },
    },
    build: { ...base.build, created: seconds(input.createdAt) },
    repo: {
      ...base.repo,
      owner: repo.owner,
      name: repo.name,
      link: repo.htmlUrl,
      httpUrl: repo.cloneUrl,
      defaultBranch: repo.defaultBranch,
      visibility: repo.private ? 'private' : 'public',
      private: repo.private,
      trusted: repo.trusted,
    },
    system: input.system,
  };
}
