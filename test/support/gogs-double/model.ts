/**
 * The in-memory state of the Gogs TEST DOUBLE: accounts (users and organisations share one id and name space, as
 * in Gogs' `user` table), teams, repositories with their collaborators, webhooks, issues and releases.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Gogs' AccessMode (internal/database/permissions.go). */
export const AccessMode = { none: 0, read: 1, write: 2, admin: 3, owner: 4 } as const;
export type AccessModeValue = (typeof AccessMode)[keyof typeof AccessMode];

export type CollaboratorLevel = 'read' | 'write' | 'admin';
export type TeamPermission = 'read' | 'write' | 'admin' | 'owner';

/** The fixed order of `HookEvents`, which is also the order Gogs lists a hook's events in. */
export const HOOK_EVENTS = [
  'create',
  'delete',
  'fork',
  'push',
  'issues',
  'pull_request',
  'issue_comment',
  'release',
] as const;
export type HookEventName = (typeof HOOK_EVENTS)[number];

export interface TokenRecord {
  id: number;
  name: string;
  /** Gogs 0.13+ keeps only the SHA-256 of a token. */
  sha256: string;
}

export interface UserRecord {
  kind: 'user';
  id: number;
  username: string;
  password: string;
  email: string;
  fullName: string;
  admin: boolean;
  tokens: TokenRecord[];
}

export interface OrgRecord {
  kind: 'org';
  id: number;
  username: string;
  fullName: string;
  description: string;
  website: string;
  location: string;
}

export type Account = UserRecord | OrgRecord;

export interface TeamRecord {
  id: number;
  orgId: number;
  name: string;
  description: string;
  permission: TeamPermission;
  memberIds: Set<number>;
  repoIds: Set<number>;
  /** The Owners team reaches every repository of the organisation. */
  allRepos: boolean;
}

export interface HookRecord {
  id: number;
  type: 'gogs' | 'slack' | 'discord' | 'dingtalk';
  url: string;
  contentType: 'json' | 'form';
  secret: string;
  events: Set<HookEventName>;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CommentRecord {
  id: number;
  posterId: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface PullRecord {
  id: number;
  headRepoId: number;
  headBranch: string;
  baseBranch: string;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedById: number | null;
  /** The merge base recorded at merge time; Gogs sends it as `before` of the merge push. */
  mergeBase: string;
}

export interface IssueRecord {
  id: number;
  number: number;
  posterId: number;
  title: string;
  body: string;
  closed: boolean;
  pull: PullRecord | null;
  comments: CommentRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface ReleaseRecord {
  id: number;
  tagName: string;
  target: string;
  title: string;
  note: string;
  draft: boolean;
  prerelease: boolean;
  publisherId: number;
  createdAt: string;
}

export interface RepoRecord {
  id: number;
  ownerId: number;
  name: string;
  description: string;
  private: boolean;
  defaultBranch: string;
  enableIssues: boolean;
  gitDir: string;
  createdAt: string;
  updatedAt: string;
  /** Refreshed after every change to the git repository. */
  empty: boolean;
  sizeBytes: number;
  collaborators: Map<number, CollaboratorLevel>;
  hooks: HookRecord[];
  issues: IssueRecord[];
  releases: ReleaseRecord[];
}

/** RFC 3339 in UTC without fractions, as Go prints a time.Time with whole seconds. */
export function goTimeNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's zero time.Time, which Gogs sends wherever it did not reload a row. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Gogs makes tokens as `cryptox.SHA1(uuid)`: 40 lowercase hex characters. */
export function newTokenValue(): string {
  return createHash('sha1').update(randomBytes(16)).digest('hex');
}

export interface DoubleState {
  accounts: Account[];
  teams: TeamRecord[];
  repos: RepoRecord[];
  nextId(
    kind: 'account' | 'team' | 'repo' | 'hook' | 'issue' | 'pull' | 'comment' | 'release' | 'token',
  ): number;
  accountByName(name: string): Account | undefined;
  accountById(id: number): Account | undefined;
  userByName(name: string): UserRecord | undefined;
  userByEmail(email: string): UserRecord | undefined;
  userByToken(token: string): UserRecord | undefined;
  repoByName(owner: string, name: string): RepoRecord | undefined;
  repoById(id: number): RepoRecord | undefined;
  ownerOf(repo: RepoRecord): Account;
  fullNameOf(repo: RepoRecord): string;
  issueOf(repo: RepoRecord, number: number): IssueRecord | undefined;
}

export function createDoubleState(): DoubleState {
  const counters = new Map<string, number>();
  const accounts: Account[] = [];
  const repos: RepoRecord[] = [];
  const teams: TeamRecord[] = [];

  const state: DoubleState = {
    accounts,
    teams,
    repos,
    nextId(kind) {
      const next = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, next);
      return next;
    },
    accountByName(name) {
      const lower = name.toLowerCase();
      return accounts.find((account) => account.username.toLowerCase() === lower);
    },
    accountById(id) {
      return accounts.find((account) => account.id === id);
    },
    userByName(name) {
      const account = state.accountByName(name);
      return account?.kind === 'user' ? account : undefined;
    },
    userByEmail(email) {
      const lower = email.toLowerCase();
      return accounts.find(
        (account): account is UserRecord => account.kind === 'user' && account.email.toLowerCase() === lower,
      );
    },
    userByToken(token) {
      if (token === '') return undefined;
      const hash = sha256Hex(token);
      return accounts.find(
        (account): account is UserRecord =>
          account.kind === 'user' && account.tokens.some((record) => record.sha256 === hash),
      );
    },
    repoByName(owner, name) {
      const account = state.accountByName(owner);
      if (!account) return undefined;
      const lower = name.toLowerCase();
      return repos.find((repo) => repo.ownerId === account.id && repo.name.toLowerCase() === lower);
    },
    repoById(id) {
      return repos.find((repo) => repo.id === id);
    },
    ownerOf(repo) {
      const owner = state.accountById(repo.ownerId);
      if (!owner) throw new Error(`gogs double: repository ${repo.name} has no owner`);
      return owner;
    },
    fullNameOf(repo) {
      return `${state.ownerOf(repo).username}/${repo.name}`;
    },
    issueOf(repo, number) {
      return repo.issues.find((issue) => issue.number === number);
    },
  };
  return state;
}
