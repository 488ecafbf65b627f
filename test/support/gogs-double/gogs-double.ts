/**
 * The public surface of the Gogs TEST DOUBLE (not Gogs): its options and what a started double offers tests.
 */
import type { AddUserInput } from './accounts.ts';
import type { Fault, RequestRecord } from './faults.ts';
import type { CollaboratorLevel, HookEventName, TeamPermission } from './model.ts';
import type {
  AddHookInput,
  CommitInput,
  CreateRepoInput,
  PushResult,
  RefChangeResult,
} from './repo-actions.ts';
import type { DeliveryRecord } from './webhook-delivery.ts';

export interface GogsDoubleOptions {
  /** `[security] LOCAL_NETWORK_ALLOWLIST`; default `['*']` (every host allowed). */
  localNetworkAllowlist?: readonly string[];
  /** `[webhook] DELIVER_TIMEOUT` in milliseconds; default 15 000 as in Gogs. */
  deliverTimeoutMs?: number;
  /** `[ui] FEED_MAX_COMMIT_NUM`; default 5. */
  feedMaxCommits?: number;
}

/** A hook as stored, secret included (the API never shows it). */
export interface HookSnapshot {
  id: number;
  type: string;
  url: string;
  contentType: 'json' | 'form';
  secret: string;
  events: string[];
  active: boolean;
}

export interface RepoTarget {
  owner: string;
  name: string;
}

export interface GogsDouble {
  /** Root URL with a trailing slash, e.g. `http://127.0.0.1:41234/`; Gogs' EXTERNAL_URL. */
  readonly url: string;
  /** `<url>api/v1`. */
  readonly apiUrl: string;
  /** Adds a user and returns a fresh 40-hex token for it. */
  addUser(input: AddUserInput): { id: number; username: string; token: string };
  addToken(username: string, name: string): string;
  /** Deletes a token as a user does in Gogs' web UI (the API cannot); true when there was one of that name. */
  deleteToken(username: string, name: string): boolean;
  /** The names of a user's tokens, oldest first. */
  tokenNames(username: string): string[];
  /** An organisation and its Owners team (permission `owner`, every repository). */
  addOrg(input: { username: string; owners: readonly string[]; fullName?: string; description?: string }): {
    id: number;
  };
  addTeam(input: {
    org: string;
    name: string;
    permission: Exclude<TeamPermission, 'owner'>;
    members?: readonly string[];
    repos?: readonly string[];
  }): { id: number };
  createRepo(input: CreateRepoInput): Promise<{ id: number; cloneUrl: string }>;
  addCollaborator(input: RepoTarget & { username: string; level: CollaboratorLevel }): void;
  removeCollaborator(input: RepoTarget & { username: string }): void;
  /** Takes a user out of a team (by the id addTeam or addOrg's Owners team has). */
  removeTeamMember(teamId: number, username: string): void;
  setIssuesEnabled(target: RepoTarget, enabled: boolean): void;
  addHook(input: AddHookInput): HookSnapshot;
  hooks(owner: string, name: string): HookSnapshot[];
  /** Commits `files` on `branch` for real and announces the push (create first for a new branch). */
  pushCommit(
    input: RepoTarget & CommitInput & { branch: string; pusher?: string; from?: string },
  ): Promise<PushResult>;
  /** Several commits in one push (to see FEED_MAX_COMMIT_NUM at work). */
  pushCommits(
    input: RepoTarget & { branch: string; commits: readonly CommitInput[]; pusher?: string },
  ): Promise<PushResult>;
  createBranch(
    input: RepoTarget & { branch: string; from?: string; pusher?: string },
  ): Promise<RefChangeResult>;
  /** A lightweight tag, or an annotated one when `message` is given. */
  createTag(
    input: RepoTarget & { tag: string; from?: string; message?: string; pusher?: string },
  ): Promise<RefChangeResult>;
  deleteBranch(input: RepoTarget & { branch: string; pusher?: string }): Promise<RefChangeResult>;
  deleteTag(input: RepoTarget & { tag: string; pusher?: string }): Promise<RefChangeResult>;
  openIssue(input: RepoTarget & { title: string; body?: string; author: string }): Promise<{
    number: number;
    deliveries: DeliveryRecord[];
  }>;
  /** Opens a pull request (head in `headOwner/headName`, default the same repository). */
  openPullRequest(
    input: RepoTarget & {
      headBranch: string;
      baseBranch?: string;
      title: string;
      body?: string;
      author: string;
      headOwner?: string;
      headName?: string;
    },
  ): Promise<{ number: number; deliveries: DeliveryRecord[] }>;
  /** Closes a pull request; with `merge` makes a real merge commit and announces `closed` then `push`. */
  closePullRequest(
    input: RepoTarget & { number: number; sender: string; merge?: boolean },
  ): Promise<DeliveryRecord[]>;
  addComment(input: RepoTarget & { number: number; body: string; author: string }): Promise<{
    id: number;
    deliveries: DeliveryRecord[];
  }>;
  editComment(input: RepoTarget & { id: number; body: string; sender: string }): Promise<DeliveryRecord[]>;
  deleteComment(input: RepoTarget & { id: number; sender: string }): Promise<DeliveryRecord[]>;
  publishRelease(
    input: RepoTarget & {
      tagName: string;
      target?: string;
      title?: string;
      note?: string;
      draft?: boolean;
      prerelease?: boolean;
      author: string;
    },
  ): Promise<DeliveryRecord[]>;
  /** The commit a branch points at, or null. */
  branchHead(owner: string, name: string, branch: string): Promise<string | null>;
  /** Every delivery attempt so far, oldest first. */
  deliveries(filter?: { repo?: string; event?: HookEventName }): DeliveryRecord[];
  /** Sends a delivered task again with the same X-Gogs-Delivery and body, like Gogs' "Redeliver". */
  redeliver(deliveryId: string): Promise<DeliveryRecord>;
  /** Waits for deliveries still queued (e.g. after a git push over HTTP); rethrows background failures. */
  idle(): Promise<void>;
  requests(): RequestRecord[];
  injectFault(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}
