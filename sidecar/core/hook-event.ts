/**
 * A Gogs webhook after normalisation: one shape for every event the sidecar acts on.
 * Built by gogs/ from a verified payload; read by trigger/ and the reconciler.
 */
export type HookEventKind = 'push' | 'tag' | 'branch' | 'pull_request' | 'comment' | 'release';

export interface HookUser {
  login: string;
  name: string;
  email: string;
  avatarUrl: string;
}

export interface HookRepo {
  gogsId: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  fork: boolean;
  htmlUrl: string;
  cloneUrl: string;
  sshUrl: string;
  defaultBranch: string;
}

export interface HookCommit {
  sha: string;
  message: string;
  url: string;
  author: { name: string; email: string; login: string };
  /** Files named by the payload; Gogs caps commits at FEED_MAX_COMMIT_NUM, so this may be incomplete. */
  added: string[];
  removed: string[];
  modified: string[];
}

export interface HookPullRequest {
  number: number;
  title: string;
  body: string;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string;
  headBranch: string;
  headRepoFullName: string;
  headCloneUrl: string;
  baseBranch: string;
  /** True when the head repository is not the base repository. */
  fromFork: boolean;
}

export interface HookEvent {
  kind: HookEventKind;
  /**
   * What happened: `pushed` for pushes; `created`/`deleted` for tags and branches; the Gogs action for pull
   * requests (`opened`, `synchronized`, `closed`, ...), comments (`created`, `edited`, `deleted`) and releases.
   */
  action: string;
  repo: HookRepo;
  /** Full git ref: refs/heads/…, refs/tags/…, or refs/pull/N/head for pull requests. */
  ref: string;
  /** Branch the event is about (target branch for pull requests); '' for tags. */
  branch: string;
  /** Tag name for tag events and releases; '' otherwise. */
  tag: string;
  /** Commit before the event; '' when Gogs does not say (new branches send forty zeros, kept as is). */
  before: string;
  /** Commit after the event; '' when the payload has no SHA (pull requests, branch creation, deletions). */
  after: string;
  /** Newest first, as Gogs sends them. */
  commits: HookCommit[];
  compareUrl: string;
  sender: HookUser;
  pullRequest: HookPullRequest | null;
  comment: { id: number; body: string; issueNumber: number; onPullRequest: boolean } | null;
  release: { id: number; tagName: string; name: string; prerelease: boolean; draft: boolean } | null;
}

/** The event names Gogs puts in X-Gogs-Event. */
export const GOGS_EVENT_NAMES = [
  'create',
  'delete',
  'fork',
  'push',
  'issues',
  'pull_request',
  'issue_comment',
  'release',
] as const;
export type GogsEventName = (typeof GOGS_EVENT_NAMES)[number];

/** Normalising a payload has three outcomes: an event, an ignored event with a reason, or an invalid payload. */
export type NormalizeResult =
  | { outcome: 'event'; event: HookEvent }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'invalid'; problems: string[] };
