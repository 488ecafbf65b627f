/**
 * What the parts of the Gogs TEST DOUBLE share: the state, the git repositories, the delivery queue and the
 * settings Gogs reads from app.ini. Built once in index.ts and passed to every part.
 */
import type { GitRepo } from './git-repo.ts';
import { goTimeNow, type RepoRecord } from './model.ts';
import type { DeliveryQueue } from './webhook-delivery.ts';
import type { ShapeContext } from './wire-shapes.ts';

export interface DoubleContext extends ShapeContext {
  gitOf(repo: RepoRecord): GitRepo;
  deliveries: DeliveryQueue;
  /** `[ui] FEED_MAX_COMMIT_NUM`. */
  feedMaxCommits: number;
  /** Work that outlives a request (webhooks after a git push), awaited by `idle()`. */
  track(work: Promise<unknown>): void;
}

/** Brings `empty`, `size` and `updated_at` up to date after the git repository changed. */
export async function refreshRepoStats(context: DoubleContext, repo: RepoRecord): Promise<void> {
  const git = context.gitOf(repo);
  const refs = await git.refs();
  repo.empty = ![...refs.keys()].some((ref) => ref.startsWith('refs/heads/'));
  repo.sizeBytes = await git.sizeBytes();
  repo.updatedAt = goTimeNow();
}
