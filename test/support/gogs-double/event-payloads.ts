/**
 * The webhook payloads of the Gogs TEST DOUBLE, key for key as Gogs' Webhook*Payload structs
 * (internal/route/api/v1/types/webhook.go). Repositories in payloads never carry `permissions`.
 */
import type { DoubleContext } from './double-context.ts';
import type { Account, CommentRecord, IssueRecord, ReleaseRecord, RepoRecord } from './model.ts';
import {
  commentJson,
  issueJson,
  pullRequestJson,
  pushCommitJson,
  releaseJson,
  repoHtmlUrl,
  repoJson,
  userJson,
} from './wire-shapes.ts';

export async function pushCommitsJson(
  context: DoubleContext,
  repo: RepoRecord,
  shas: readonly string[],
): Promise<Record<string, unknown>[]> {
  const git = context.gitOf(repo);
  const commits: Record<string, unknown>[] = [];
  for (const sha of shas) {
    const commit = await git.readCommit(sha);
    commits.push(pushCommitJson(context, repo, commit, await git.changedFiles(commit)));
  }
  return commits;
}

export function compareUrl(context: DoubleContext, repo: RepoRecord, before: string, after: string): string {
  return `${repoHtmlUrl(context, repo)}/compare/${before}...${after}`;
}

export function pushPayload(
  context: DoubleContext,
  repo: RepoRecord,
  input: {
    ref: string;
    before: string;
    after: string;
    compareUrl: string;
    commits: Record<string, unknown>[];
    pusher: Account;
    sender: Account;
  },
): Record<string, unknown> {
  return {
    ref: input.ref,
    before: input.before,
    after: input.after,
    compare_url: input.compareUrl,
    commits: input.commits,
    repository: repoJson(context, repo),
    pusher: userJson(context, input.pusher),
    sender: userJson(context, input.sender),
  };
}

export function createPayload(
  context: DoubleContext,
  repo: RepoRecord,
  input: { ref: string; refType: 'branch' | 'tag'; sha: string; sender: Account },
): Record<string, unknown> {
  return {
    ref: input.ref,
    ref_type: input.refType,
    sha: input.sha,
    default_branch: repo.defaultBranch,
    repository: repoJson(context, repo),
    sender: userJson(context, input.sender),
  };
}

export function deletePayload(
  context: DoubleContext,
  repo: RepoRecord,
  input: { ref: string; refType: 'branch' | 'tag'; sender: Account },
): Record<string, unknown> {
  return {
    ref: input.ref,
    ref_type: input.refType,
    pusher_type: 'user',
    repository: repoJson(context, repo),
    sender: userJson(context, input.sender),
  };
}

export type ChangesJson = { title?: { from: string }; body?: { from: string } };

export function pullRequestPayload(
  context: DoubleContext,
  repo: RepoRecord,
  issue: IssueRecord,
  input: { action: string; sender: Account; changes?: ChangesJson },
): Record<string, unknown> {
  return {
    action: input.action,
    number: issue.number,
    pull_request: pullRequestJson(context, repo, issue),
    changes: input.changes,
    repository: repoJson(context, repo),
    sender: userJson(context, input.sender),
  };
}

export function issuesPayload(
  context: DoubleContext,
  repo: RepoRecord,
  issue: IssueRecord,
  input: { action: string; sender: Account },
): Record<string, unknown> {
  return {
    action: input.action,
    number: issue.number,
    issue: issueJson(context, issue),
    repository: repoJson(context, repo),
    sender: userJson(context, input.sender),
  };
}

/** A `created` comment carries Go's zero times: Gogs builds the payload before it reloads the row. */
export function issueCommentPayload(
  context: DoubleContext,
  repo: RepoRecord,
  issue: IssueRecord,
  comment: CommentRecord,
  input: { action: 'created' | 'edited' | 'deleted'; sender: Account; changes?: ChangesJson },
): Record<string, unknown> {
  return {
    action: input.action,
    issue: issueJson(context, issue),
    comment: commentJson(context, repo, issue, comment, input.action === 'created' ? 'zero' : 'stored'),
    changes: input.changes,
    repository: repoJson(context, repo),
    sender: userJson(context, input.sender),
  };
}

export function releasePayload(
  context: DoubleContext,
  repo: RepoRecord,
  release: ReleaseRecord,
  sender: Account,
): Record<string, unknown> {
  return {
    action: 'published',
    release: releaseJson(context, release),
    repository: repoJson(context, repo),
    sender: userJson(context, sender),
  };
}
