/**
 * Pull requests in the Gogs TEST DOUBLE. As in Gogs, a pull request is an issue; its head is copied into the
 * base repository as refs/pull/N/head (PushToBaseRepo), and payloads name branches but never SHAs. A merge is a
 * real merge commit on the base branch, announced as `closed` with `merged: true` and then a `push` whose
 * `before` is the merge base (gogs-wire.md §2.1, §2.7).
 */
import { type DoubleContext, refreshRepoStats } from './double-context.ts';
import { compareUrl, pullRequestPayload, pushCommitsJson, pushPayload } from './event-payloads.ts';
import { fireEvent } from './fire-event.ts';
import { type Account, goTimeNow, type IssueRecord, type RepoRecord, type UserRecord } from './model.ts';
import type { DeliveryRecord } from './webhook-delivery.ts';

function pullRef(issue: IssueRecord): string {
  return `refs/pull/${issue.number}/head`;
}

async function copyHeadToBase(context: DoubleContext, base: RepoRecord, issue: IssueRecord): Promise<void> {
  const pull = issue.pull!;
  const head = context.state.repoById(pull.headRepoId)!;
  await context.gitOf(base).fetchRef(head.gitDir, pull.headBranch, pullRef(issue));
}

export async function openPullRequest(
  context: DoubleContext,
  input: {
    base: RepoRecord;
    head: RepoRecord;
    headBranch: string;
    baseBranch: string;
    title: string;
    body: string;
    poster: UserRecord;
  },
): Promise<{ issue: IssueRecord; deliveries: DeliveryRecord[] }> {
  for (const [repo, branch] of [
    [input.head, input.headBranch],
    [input.base, input.baseBranch],
  ] as const) {
    if (!(await context.gitOf(repo).resolveCommit(`refs/heads/${branch}`))) {
      throw new Error(`gogs double: ${context.state.fullNameOf(repo)} has no branch ${branch}`);
    }
  }
  const now = goTimeNow();
  const issue: IssueRecord = {
    id: context.state.nextId('issue'),
    number: input.base.issues.length + 1,
    posterId: input.poster.id,
    title: input.title,
    body: input.body,
    closed: false,
    pull: {
      id: context.state.nextId('pull'),
      headRepoId: input.head.id,
      headBranch: input.headBranch,
      baseBranch: input.baseBranch,
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
      mergedById: null,
      mergeBase: '',
    },
    comments: [],
    createdAt: now,
    updatedAt: now,
  };
  input.base.issues.push(issue);
  await copyHeadToBase(context, input.base, issue);
  const deliveries = await fireEvent(
    context,
    input.base,
    'pull_request',
    pullRequestPayload(context, input.base, issue, { action: 'opened', sender: input.poster }),
  );
  return { issue, deliveries };
}

/** After a push to `branch` of `headRepo`: every open pull request from it gets `synchronized`. */
export async function synchronizePullRequests(
  context: DoubleContext,
  headRepo: RepoRecord,
  branch: string,
  pusher: Account,
): Promise<DeliveryRecord[]> {
  const deliveries: DeliveryRecord[] = [];
  for (const base of context.state.repos) {
    for (const issue of base.issues) {
      const pull = issue.pull;
      if (!pull || issue.closed || pull.headRepoId !== headRepo.id || pull.headBranch !== branch) continue;
      await copyHeadToBase(context, base, issue);
      const payload = pullRequestPayload(context, base, issue, { action: 'synchronized', sender: pusher });
      deliveries.push(...(await fireEvent(context, base, 'pull_request', payload)));
    }
  }
  return deliveries;
}

async function merge(context: DoubleContext, base: RepoRecord, issue: IssueRecord, merger: UserRecord) {
  const pull = issue.pull!;
  const git = context.gitOf(base);
  await copyHeadToBase(context, base, issue);
  const baseHead = await git.resolveCommit(`refs/heads/${pull.baseBranch}`);
  const headHead = await git.resolveCommit(pullRef(issue));
  if (!baseHead || !headHead) throw new Error(`gogs double: cannot merge #${issue.number}: a branch is gone`);
  const mergeBase = (await git.mergeBase(baseHead, headHead)) ?? baseHead;
  const tree = await git.mergeTree(baseHead, headHead);
  if (!tree) throw new Error(`gogs double: #${issue.number} conflicts with ${pull.baseBranch}`);
  const headRepo = context.state.repoById(pull.headRepoId)!;
  const headOwner = context.state.ownerOf(headRepo);
  const person = { name: merger.fullName || merger.username, email: merger.email };
  const mergeCommit = await git.commitTree({
    tree,
    parents: [baseHead, headHead],
    message: `Merge branch '${pull.headBranch}' of ${headOwner.username}/${headRepo.name} into ${pull.baseBranch}\n`,
    author: person,
    committer: person,
  });
  await git.updateRef(`refs/heads/${pull.baseBranch}`, mergeCommit);
  await refreshRepoStats(context, base);
  Object.assign(pull, {
    merged: true,
    mergedAt: goTimeNow(),
    mergeCommitSha: mergeCommit,
    mergedById: merger.id,
    mergeBase,
  });
  return { mergeBase, mergeCommit, headOwner };
}

export async function closePullRequest(
  context: DoubleContext,
  input: { repo: RepoRecord; issue: IssueRecord; sender: UserRecord; merge: boolean },
): Promise<DeliveryRecord[]> {
  const { repo, issue, sender } = input;
  if (!issue.pull || issue.closed)
    throw new Error(`gogs double: #${issue.number} is not an open pull request`);
  const merged = input.merge ? await merge(context, repo, issue, sender) : null;
  issue.closed = true;
  issue.updatedAt = goTimeNow();
  const closed = fireEvent(
    context,
    repo,
    'pull_request',
    pullRequestPayload(context, repo, issue, { action: 'closed', sender }),
  );
  if (!merged) return closed;
  // Gogs' Merge lists every commit after the merge base here; it does not apply FEED_MAX_COMMIT_NUM.
  const shas = await context.gitOf(repo).revList(merged.mergeCommit, { exclude: merged.mergeBase });
  const push = fireEvent(
    context,
    repo,
    'push',
    pushPayload(context, repo, {
      ref: `refs/heads/${issue.pull.baseBranch}`,
      before: merged.mergeBase,
      after: merged.mergeCommit,
      compareUrl: compareUrl(context, repo, merged.mergeBase, merged.mergeCommit),
      commits: await pushCommitsJson(context, repo, shas),
      pusher: merged.headOwner,
      sender,
    }),
  );
  return [...(await closed), ...(await push)];
}
