/**
 * What the Gogs TEST DOUBLE announces after refs changed (a git push over HTTP, or a helper such as pushCommit):
 * Gogs' post-receive → PushUpdate → CommitRepo/PushTag, then the pull request sync task.
 *
 * - new branch: `create` (short ref, `sha` ""), then `push` with `compare_url` "" and the head plus ancestors;
 * - updated branch: `push` with the commits in before..after, newest first;
 * - deleted branch or tag: `delete` only;
 * - new tag: `create` only (`sha` is the new ref value, the tag object for an annotated tag);
 * - `commits` is capped at FEED_MAX_COMMIT_NUM.
 */
import { type DoubleContext, refreshRepoStats } from './double-context.ts';
import { compareUrl, createPayload, deletePayload, pushCommitsJson, pushPayload } from './event-payloads.ts';
import { fireEvent } from './fire-event.ts';
import { ZERO_SHA } from './git-repo.ts';
import type { Account, RepoRecord } from './model.ts';
import { synchronizePullRequests } from './pull-requests.ts';
import type { DeliveryRecord } from './webhook-delivery.ts';

export interface RefUpdate {
  ref: string;
  /** ZERO_SHA when the ref was created. */
  before: string;
  /** ZERO_SHA when the ref was deleted. */
  after: string;
}

/** The ref updates between two `for-each-ref` snapshots, in ref name order. */
export function diffRefs(before: Map<string, string>, after: Map<string, string>): RefUpdate[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names
    .map((ref) => ({ ref, before: before.get(ref) ?? ZERO_SHA, after: after.get(ref) ?? ZERO_SHA }))
    .filter((update) => update.before !== update.after);
}

async function announceBranch(
  context: DoubleContext,
  repo: RepoRecord,
  pusher: Account,
  update: RefUpdate,
  branch: string,
): Promise<Promise<DeliveryRecord[]>[]> {
  if (update.after === ZERO_SHA) {
    return [
      fireEvent(
        context,
        repo,
        'delete',
        deletePayload(context, repo, { ref: branch, refType: 'branch', sender: pusher }),
      ),
    ];
  }
  const git = context.gitOf(repo);
  const created = update.before === ZERO_SHA;
  const queued: Promise<DeliveryRecord[]>[] = [];
  if (created) {
    queued.push(
      fireEvent(
        context,
        repo,
        'create',
        createPayload(context, repo, { ref: branch, refType: 'branch', sha: '', sender: pusher }),
      ),
    );
  }
  const shas = await git.revList(update.after, {
    exclude: created ? undefined : update.before,
    max: context.feedMaxCommits,
  });
  queued.push(
    fireEvent(
      context,
      repo,
      'push',
      pushPayload(context, repo, {
        ref: update.ref,
        before: update.before,
        after: update.after,
        compareUrl: created ? '' : compareUrl(context, repo, update.before, update.after),
        commits: await pushCommitsJson(context, repo, shas),
        pusher,
        sender: pusher,
      }),
    ),
  );
  queued.push(synchronizePullRequests(context, repo, branch, pusher));
  return queued;
}

function announceTag(
  context: DoubleContext,
  repo: RepoRecord,
  pusher: Account,
  update: RefUpdate,
  tag: string,
) {
  const payload =
    update.after === ZERO_SHA
      ? {
          event: 'delete' as const,
          body: deletePayload(context, repo, { ref: tag, refType: 'tag', sender: pusher }),
        }
      : {
          event: 'create' as const,
          body: createPayload(context, repo, { ref: tag, refType: 'tag', sha: update.after, sender: pusher }),
        };
  return fireEvent(context, repo, payload.event, payload.body);
}

/** Queues the webhooks for these ref updates; resolves once all of them were delivered. */
export async function announceRefUpdates(
  context: DoubleContext,
  repo: RepoRecord,
  pusher: Account,
  updates: readonly RefUpdate[],
): Promise<DeliveryRecord[]> {
  await refreshRepoStats(context, repo);
  const queued: Promise<DeliveryRecord[]>[] = [];
  for (const update of updates) {
    if (update.ref.startsWith('refs/heads/')) {
      queued.push(
        ...(await announceBranch(context, repo, pusher, update, update.ref.slice('refs/heads/'.length))),
      );
    } else if (update.ref.startsWith('refs/tags/')) {
      queued.push(announceTag(context, repo, pusher, update, update.ref.slice('refs/tags/'.length)));
    }
  }
  return (await Promise.all(queued)).flat();
}
