/**
 * Issues, comments and releases in the Gogs TEST DOUBLE, each announced the way Gogs does: `issues` opened,
 * `issue_comment` created/edited/deleted (for issues and pull requests alike), `release` published (only when
 * not a draft; a missing tag is created at the target without a `create` event, as Gogs' NewRelease does).
 */
import type { DoubleContext } from './double-context.ts';
import { issueCommentPayload, issuesPayload, releasePayload } from './event-payloads.ts';
import { fireEvent } from './fire-event.ts';
import {
  type CommentRecord,
  goTimeNow,
  type IssueRecord,
  type ReleaseRecord,
  type RepoRecord,
  type UserRecord,
} from './model.ts';
import type { DeliveryRecord } from './webhook-delivery.ts';

export async function openIssue(
  context: DoubleContext,
  input: { repo: RepoRecord; title: string; body: string; poster: UserRecord },
): Promise<{ issue: IssueRecord; deliveries: DeliveryRecord[] }> {
  const now = goTimeNow();
  const issue: IssueRecord = {
    id: context.state.nextId('issue'),
    number: input.repo.issues.length + 1,
    posterId: input.poster.id,
    title: input.title,
    body: input.body,
    closed: false,
    pull: null,
    comments: [],
    createdAt: now,
    updatedAt: now,
  };
  input.repo.issues.push(issue);
  const payload = issuesPayload(context, input.repo, issue, { action: 'opened', sender: input.poster });
  return { issue, deliveries: await fireEvent(context, input.repo, 'issues', payload) };
}

/** Adds a comment and queues `issue_comment` created; the caller decides whether to wait for delivery. */
export function addComment(
  context: DoubleContext,
  input: { repo: RepoRecord; issue: IssueRecord; body: string; poster: UserRecord },
): { comment: CommentRecord; delivered: Promise<DeliveryRecord[]> } {
  const now = goTimeNow();
  const comment: CommentRecord = {
    id: context.state.nextId('comment'),
    posterId: input.poster.id,
    body: input.body,
    createdAt: now,
    updatedAt: now,
  };
  input.issue.comments.push(comment);
  const payload = issueCommentPayload(context, input.repo, input.issue, comment, {
    action: 'created',
    sender: input.poster,
  });
  return { comment, delivered: fireEvent(context, input.repo, 'issue_comment', payload) };
}

export function findComment(
  repo: RepoRecord,
  commentId: number,
): { issue: IssueRecord; comment: CommentRecord } {
  for (const issue of repo.issues) {
    const comment = issue.comments.find((candidate) => candidate.id === commentId);
    if (comment) return { issue, comment };
  }
  throw new Error(`gogs double: no comment ${commentId}`);
}

export function editComment(
  context: DoubleContext,
  input: { repo: RepoRecord; commentId: number; body: string; sender: UserRecord },
): Promise<DeliveryRecord[]> {
  const { issue, comment } = findComment(input.repo, input.commentId);
  const from = comment.body;
  comment.body = input.body;
  comment.updatedAt = goTimeNow();
  const payload = issueCommentPayload(context, input.repo, issue, comment, {
    action: 'edited',
    sender: input.sender,
    changes: { body: { from } },
  });
  return fireEvent(context, input.repo, 'issue_comment', payload);
}

export function deleteComment(
  context: DoubleContext,
  input: { repo: RepoRecord; commentId: number; sender: UserRecord },
): Promise<DeliveryRecord[]> {
  const { issue, comment } = findComment(input.repo, input.commentId);
  issue.comments.splice(issue.comments.indexOf(comment), 1);
  const payload = issueCommentPayload(context, input.repo, issue, comment, {
    action: 'deleted',
    sender: input.sender,
  });
  return fireEvent(context, input.repo, 'issue_comment', payload);
}

export async function publishRelease(
  context: DoubleContext,
  input: {
    repo: RepoRecord;
    tagName: string;
    target: string;
    title: string;
    note: string;
    draft: boolean;
    prerelease: boolean;
    publisher: UserRecord;
  },
): Promise<{ release: ReleaseRecord; deliveries: DeliveryRecord[] }> {
  const git = context.gitOf(input.repo);
  if (!(await git.revParse(`refs/tags/${input.tagName}`))) {
    const target = await git.resolveCommit(`refs/heads/${input.target}`);
    if (!target) throw new Error(`gogs double: no branch ${input.target} to tag`);
    await git.updateRef(`refs/tags/${input.tagName}`, target);
  }
  const release: ReleaseRecord = {
    id: context.state.nextId('release'),
    tagName: input.tagName,
    target: input.target,
    title: input.title,
    note: input.note,
    draft: input.draft,
    prerelease: input.prerelease,
    publisherId: input.publisher.id,
    createdAt: goTimeNow(),
  };
  input.repo.releases.push(release);
  if (release.draft) return { release, deliveries: [] };
  const payload = releasePayload(context, input.repo, release, input.publisher);
  return { release, deliveries: await fireEvent(context, input.repo, 'release', payload) };
}
