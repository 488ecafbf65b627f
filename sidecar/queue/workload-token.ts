/**
 * A stage's source of workload identity tokens: the claims of its build, repository and stage, signed for the
 * audience a step names. Pull requests from forks get none: their code is the fork's, not the repository's.
 */
import {
  type Build,
  buildTrigger,
  type Repo,
  type WorkloadClaims,
  type WorkloadRefType,
  type WorkloadTokenIssuer,
} from '../core/index.ts';

function refTypeOf(build: Build): WorkloadRefType {
  if (build.origin.event === 'pull_request') return 'pull_request';
  return build.origin.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
}

export function workloadClaimsOf(build: Build, repo: Repo, pipeline: string, step: string): WorkloadClaims {
  return {
    repository: repo.fullName,
    ref: build.origin.ref,
    refType: refTypeOf(build),
    event: build.origin.event,
    sha: build.origin.after,
    buildNumber: build.number,
    pipeline,
    step,
    triggerUser: buildTrigger(build),
    trusted: repo.trusted,
    pullRequest: build.origin.pullRequest,
  };
}

export function stageWorkloadTokens(
  issuer: Pick<WorkloadTokenIssuer, 'issue'>,
  build: Build,
  repo: Repo,
  pipeline: string,
): (request: { step: string; audience: string }) => Promise<string> {
  return async ({ step, audience }) => {
    if (build.origin.fork !== '')
      throw new Error(
        `workload identity tokens are not issued to pull requests from forks (${build.origin.fork})`,
      );
    const issued = await issuer.issue(workloadClaimsOf(build, repo, pipeline, step), { audience });
    return issued.token;
  };
}
