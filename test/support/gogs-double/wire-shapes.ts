/**
 * The JSON objects of the Gogs TEST DOUBLE, built with the keys in Gogs' struct field order
 * (internal/route/api/v1/types/*.go) so that go-json.ts serialises them the way Gogs does.
 */
import { apiAccessMode, permissionsOf } from './access.ts';
import type { ChangedFiles, CommitInfo, GitSignature } from './git-repo.ts';
import {
  type Account,
  type CollaboratorLevel,
  type CommentRecord,
  type DoubleState,
  GO_ZERO_TIME,
  HOOK_EVENTS,
  type HookRecord,
  type IssueRecord,
  type OrgRecord,
  type ReleaseRecord,
  type RepoRecord,
  type TeamRecord,
  type UserRecord,
} from './model.ts';

export interface ShapeContext {
  state: DoubleState;
  /** Gogs' EXTERNAL_URL, with its trailing slash. */
  externalUrl: string;
}

export interface UserJson {
  id: number;
  username: string;
  login: string;
  full_name: string;
  email: string;
  avatar_url: string;
}

/** A git signature's time as Go prints it: RFC 3339 in the signature's own offset, `Z` for +0000. */
export function goTimeOf(signature: GitSignature): string {
  const sign = signature.offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(signature.offset.slice(1, 3)) * 60 + Number(signature.offset.slice(3, 5)));
  const local = new Date((signature.seconds + minutes * 60) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  if (minutes === 0) return `${local}Z`;
  return `${local}${signature.offset.slice(0, 3)}:${signature.offset.slice(3, 5)}`;
}

export function userJson(context: ShapeContext, account: Account): UserJson {
  return {
    id: account.id,
    username: account.username,
    login: account.username,
    full_name: account.fullName,
    email: account.kind === 'user' ? account.email : '',
    avatar_url: `${context.externalUrl}avatars/${account.id}`,
  };
}

export function repoHtmlUrl(context: ShapeContext, repo: RepoRecord): string {
  return `${context.externalUrl}${context.state.fullNameOf(repo)}`;
}

/** The Repository object; `permissions` is only present on API replies, never in webhooks. */
export function repoJson(
  context: ShapeContext,
  repo: RepoRecord,
  permissions?: { admin: boolean; push: boolean; pull: boolean },
): Record<string, unknown> {
  const owner = context.state.ownerOf(repo);
  const fullName = `${owner.username}/${repo.name}`;
  const host = new URL(context.externalUrl).hostname;
  return {
    id: repo.id,
    owner: userJson(context, owner),
    name: repo.name,
    full_name: fullName,
    description: repo.description,
    private: repo.private,
    fork: false,
    parent: null,
    empty: repo.empty,
    mirror: false,
    size: repo.sizeBytes,
    html_url: `${context.externalUrl}${fullName}`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${context.externalUrl}${fullName}.git`,
    website: '',
    stars_count: 0,
    forks_count: 0,
    watchers_count: 1,
    open_issues_count: repo.issues.filter((issue) => !issue.closed && !issue.pull).length,
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    permissions,
  };
}

export function repoJsonFor(
  context: ShapeContext,
  repo: RepoRecord,
  caller: { user: UserRecord | null; tokenAuth: boolean },
): Record<string, unknown> {
  return repoJson(context, repo, permissionsOf(apiAccessMode(context.state, caller, repo)));
}

export function hookEventsOf(hook: HookRecord): string[] {
  return HOOK_EVENTS.filter((event) => hook.events.has(event));
}

/** `createdAt` is Go's zero time on the POST reply: Gogs fills the times only when it reloads the row. */
export function hookJson(hook: HookRecord, times: 'stored' | 'zero' = 'stored'): Record<string, unknown> {
  const config: Record<string, string> = { url: hook.url, content_type: hook.contentType };
  return {
    id: hook.id,
    type: hook.type,
    config,
    events: hookEventsOf(hook),
    active: hook.active,
    updated_at: times === 'zero' ? GO_ZERO_TIME : hook.updatedAt,
    created_at: times === 'zero' ? GO_ZERO_TIME : hook.createdAt,
  };
}

function payloadUserJson(context: ShapeContext, signature: GitSignature): Record<string, string> {
  return {
    name: signature.name,
    email: signature.email,
    username: context.state.userByEmail(signature.email)?.username ?? '',
  };
}

/** A commit as push payloads carry it: files from the commit's diff, committer time. */
export function pushCommitJson(
  context: ShapeContext,
  repo: RepoRecord,
  commit: CommitInfo,
  files: ChangedFiles,
): Record<string, unknown> {
  return {
    id: commit.sha,
    message: commit.message,
    url: `${repoHtmlUrl(context, repo)}/commit/${commit.sha}`,
    author: payloadUserJson(context, commit.author),
    committer: payloadUserJson(context, commit.committer),
    added: files.added,
    removed: files.removed,
    modified: files.modified,
    timestamp: goTimeOf(commit.committer),
  };
}

/** A commit as the branches API shows it (adapters.go toPayloadCommit): no URL, no files, author time. */
export function branchCommitJson(context: ShapeContext, commit: CommitInfo): Record<string, unknown> {
  return {
    id: commit.sha,
    message: commit.message,
    url: 'Not implemented',
    author: payloadUserJson(context, commit.author),
    committer: payloadUserJson(context, commit.committer),
    added: null,
    removed: null,
    modified: null,
    timestamp: goTimeOf(commit.author),
  };
}

/**
 * GET /repos/:o/:r/commits/:sha. `sha` is what rev-parse gave for the requested revision (for an annotated tag,
 * the tag object), and `url` repeats the requested path, as Gogs does.
 */
export function commitJson(
  context: ShapeContext,
  repo: RepoRecord,
  input: { sha: string; commit: CommitInfo; requestPath: string },
): Record<string, unknown> {
  const apiBase = `${context.externalUrl}api/v1/repos/${context.state.fullNameOf(repo)}`;
  const url = `${context.externalUrl}${input.requestPath.replace(/^\//, '')}`;
  const author = context.state.userByEmail(input.commit.author.email);
  const committer = context.state.userByEmail(input.commit.committer.email);
  const signatureJson = (signature: GitSignature) => ({
    name: signature.name,
    email: signature.email,
    date: goTimeOf(signature),
  });
  return {
    url,
    sha: input.sha,
    html_url: `${repoHtmlUrl(context, repo)}/commits/${input.sha}`,
    commit: {
      url,
      author: signatureJson(input.commit.author),
      committer: signatureJson(input.commit.committer),
      message: input.commit.message.split('\n')[0],
      tree: { url: `${apiBase}/tree/${input.sha}`, sha: input.sha },
    },
    author: author ? userJson(context, author) : null,
    committer: committer ? userJson(context, committer) : null,
    parents: input.commit.parents.map((parent) => ({ url: `${apiBase}/commits/${parent}`, sha: parent })),
  };
}

export function orgJson(context: ShapeContext, org: OrgRecord): Record<string, unknown> {
  return {
    id: org.id,
    username: org.username,
    full_name: org.fullName,
    avatar_url: `${context.externalUrl}avatars/${org.id}`,
    description: org.description,
    website: org.website,
    location: org.location,
  };
}

export function teamJson(team: TeamRecord): Record<string, unknown> {
  return { id: team.id, name: team.name, description: team.description, permission: team.permission };
}

export function collaboratorJson(
  context: ShapeContext,
  user: UserRecord,
  level: CollaboratorLevel,
): Record<string, unknown> {
  return {
    ...userJson(context, user),
    permissions: { admin: level === 'admin', push: level !== 'read', pull: true },
  };
}

export function issueHtmlUrl(context: ShapeContext, repo: RepoRecord, issue: IssueRecord): string {
  return `${repoHtmlUrl(context, repo)}/${issue.pull ? 'pulls' : 'issues'}/${issue.number}`;
}

export function commentJson(
  context: ShapeContext,
  repo: RepoRecord,
  issue: IssueRecord,
  comment: CommentRecord,
  times: 'stored' | 'zero' = 'stored',
): Record<string, unknown> {
  const poster = context.state.accountById(comment.posterId)!;
  return {
    id: comment.id,
    html_url: `${issueHtmlUrl(context, repo, issue)}#issuecomment-${comment.id}`,
    user: userJson(context, poster),
    body: comment.body,
    created_at: times === 'zero' ? GO_ZERO_TIME : comment.createdAt,
    updated_at: times === 'zero' ? GO_ZERO_TIME : comment.updatedAt,
  };
}

export function issueJson(context: ShapeContext, issue: IssueRecord): Record<string, unknown> {
  return {
    id: issue.id,
    number: issue.number,
    user: userJson(context, context.state.accountById(issue.posterId)!),
    title: issue.title,
    body: issue.body,
    labels: [],
    milestone: null,
    assignee: null,
    state: issue.closed ? 'closed' : 'open',
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    pull_request: issue.pull ? { merged: issue.pull.merged, merged_at: issue.pull.mergedAt } : null,
  };
}

export function pullRequestJson(
  context: ShapeContext,
  repo: RepoRecord,
  issue: IssueRecord,
): Record<string, unknown> {
  const pull = issue.pull;
  if (!pull) throw new Error(`gogs double: issue #${issue.number} is not a pull request`);
  const headRepo = context.state.repoById(pull.headRepoId)!;
  const mergedBy = pull.mergedById === null ? null : context.state.accountById(pull.mergedById);
  return {
    id: pull.id,
    number: issue.number,
    user: userJson(context, context.state.accountById(issue.posterId)!),
    title: issue.title,
    body: issue.body,
    labels: [],
    milestone: null,
    assignee: null,
    state: issue.closed ? 'closed' : 'open',
    comments: issue.comments.length,
    head_branch: pull.headBranch,
    head_repo: repoJson(context, headRepo),
    base_branch: pull.baseBranch,
    base_repo: repoJson(context, repo),
    html_url: issueHtmlUrl(context, repo, issue),
    mergeable: true,
    merged: pull.merged,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    merged_by: mergedBy ? userJson(context, mergedBy) : null,
  };
}

export function releaseJson(context: ShapeContext, release: ReleaseRecord): Record<string, unknown> {
  return {
    id: release.id,
    tag_name: release.tagName,
    target_commitish: release.target,
    name: release.title,
    body: release.note,
    draft: release.draft,
    prerelease: release.prerelease,
    author: userJson(context, context.state.accountById(release.publisherId)!),
    created_at: release.createdAt,
  };
}
