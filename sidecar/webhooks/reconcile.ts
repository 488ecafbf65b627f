import {
  type BranchHead,
  type BranchHeadStore,
  branchNameProblem,
  type Clock,
  commitShaProblem,
  type DeliveryStore,
  type GogsBranch,
  type GogsClient,
  type GogsRepo,
  type Logger,
  type Repo,
  type RepoStore,
  ZERO_SHA,
} from '../core/index.ts';

export interface ReconcileReport {
  repos: number;
  /** Deliveries recorded for pushes Gogs never delivered. */
  synthesized: { repo: string; branch: string; sha: string; deliveryId: string }[];
  /** Repositories that could not be checked, with the reason. */
  failed: { repo: string; error: string }[];
}

/** Why a branch as Gogs lists it cannot be recorded: a name git refuses, or a head that is not a full SHA. */
function branchProblem(branch: GogsBranch): string | null {
  const nameProblem = branchNameProblem(branch.name);
  if (nameProblem !== null) return `branch ${JSON.stringify(branch.name)} ${nameProblem}`;
  const shaProblem = commitShaProblem(branch.commit.id);
  return shaProblem === null ? null : `branch ${JSON.stringify(branch.name)}: ${shaProblem}`;
}

/**
 * Gogs never retries a failed delivery, so a push can be lost. Each pass compares every active repository's
 * branch heads on Gogs with what the inbox has seen; a head no delivery announced is first marked pending,
 * and recorded as a synthetic push delivery once it has stayed unseen for the grace period (a slow Gogs
 * queue may still deliver it). Synthetic delivery ids are deterministic, so concurrent passes of several
 * sidecar processes store each missed push once.
 */
export function createReconciler(deps: {
  gogs: GogsClient;
  repos: RepoStore;
  deliveries: DeliveryStore;
  branchHeads: BranchHeadStore;
  clock: Clock;
  logger: Logger;
  graceMs: number;
}) {
  const reconcileBranch = async (
    repo: Repo,
    remote: GogsRepo,
    branch: GogsBranch,
    known: BranchHead | undefined,
    report: ReconcileReport,
  ) => {
    const sha = branch.commit.id;
    const now = deps.clock.now();
    const head = (fields: Partial<BranchHead>): BranchHead => ({
      repoId: repo.id,
      branch: branch.name,
      sha,
      previousSha: known?.sha === sha ? known.previousSha : (known?.sha ?? ''),
      status: 'pending',
      observedAt: known?.sha === sha ? known.observedAt : now,
      ...fields,
    });
    if (known?.sha === sha && known.status !== 'pending') return;
    if (await deps.deliveries.hasSeenCommit(repo.id, sha)) {
      await deps.branchHeads.put(head({ status: 'seen' }));
      return;
    }
    const pending = head({});
    if (now - pending.observedAt < deps.graceMs) {
      if (known?.sha !== sha) await deps.branchHeads.put(pending);
      return;
    }
    const deliveryId = `reconciled:${repo.gogsId}:${branch.name}:${sha}`;
    const body = syntheticPushPayload(remote, branch, pending.previousSha || ZERO_SHA);
    await deps.deliveries.record({
      deliveryId,
      repoId: repo.id,
      event: 'push',
      kind: 'push',
      action: 'pushed',
      ref: `refs/heads/${branch.name}`,
      after: sha,
      headers: JSON.stringify({
        'X-Gogs-Event': 'push',
        'X-Gogs-Delivery': deliveryId,
        'X-Drone-Gogs-Synthetic': 'reconcile',
      }),
      body: JSON.stringify(body, null, 2),
      synthetic: true,
      status: 'pending',
      statusReason: 'Gogs did not deliver this push; found by reconciliation',
      receivedAt: now,
    });
    await deps.branchHeads.put({ ...pending, status: 'synthesized' });
    report.synthesized.push({ repo: repo.fullName, branch: branch.name, sha, deliveryId });
    deps.logger.warn('reconcile: recorded a push Gogs did not deliver', {
      repo: repo.fullName,
      branch: branch.name,
      sha,
    });
  };

  return {
    async runOnce(): Promise<ReconcileReport> {
      const active = await deps.repos.list({ active: true });
      const report: ReconcileReport = { repos: active.length, synthesized: [], failed: [] };
      for (const repo of active) {
        try {
          const remote = await deps.gogs.getRepo(repo.owner, repo.name);
          const branches = await deps.gogs.listBranches(repo.owner, repo.name);
          const known = new Map((await deps.branchHeads.list(repo.id)).map((head) => [head.branch, head]));
          for (const branch of branches) {
            const problem = branchProblem(branch);
            if (problem !== null) {
              known.delete(branch.name);
              report.failed.push({ repo: repo.fullName, error: `skipped ${problem}` });
              deps.logger.warn(`reconcile: skipped ${problem}`, { repo: repo.fullName });
              continue;
            }
            await reconcileBranch(repo, remote, branch, known.get(branch.name), report);
            known.delete(branch.name);
          }
          for (const gone of known.keys()) await deps.branchHeads.remove(repo.id, gone);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          report.failed.push({ repo: repo.fullName, error: message });
          deps.logger.warn(`reconcile: cannot check ${repo.fullName}: ${message}`, { repo: repo.fullName });
        }
      }
      return report;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

/** A push payload shaped like Gogs' own, so the build trigger reads real and synthetic deliveries alike. */
function syntheticPushPayload(remote: GogsRepo, branch: GogsBranch, before: string) {
  const commit = branch.commit;
  const { permissions: _permissions, ...repository } = remote;
  const owner = remote.owner;
  return {
    ref: `refs/heads/${branch.name}`,
    before,
    after: commit.id,
    compare_url: '',
    commits: [
      {
        id: commit.id,
        message: commit.message,
        url: `${remote.html_url}/commit/${commit.id}`,
        author: commit.author,
        committer: commit.committer,
        added: [],
        removed: [],
        modified: [],
        timestamp: commit.timestamp,
      },
    ],
    repository,
    pusher: owner,
    sender: owner,
  };
}
