/**
 * Changes to repositories of the Gogs TEST DOUBLE made the way a git push would make them: real commits and
 * refs in the bare repository, then the same announcement a push over HTTP gets (ref-events.ts).
 */
import { requireRepo, requireUser } from './accounts.ts';
import { type DoubleContext, refreshRepoStats } from './double-context.ts';
import { type GitPerson, ZERO_SHA } from './git-repo.ts';
import {
  goTimeNow,
  HOOK_EVENTS,
  type HookEventName,
  type HookRecord,
  type RepoRecord,
  type UserRecord,
} from './model.ts';
import { announceRefUpdates } from './ref-events.ts';
import type { DeliveryRecord } from './webhook-delivery.ts';

export interface CommitInput {
  /** Path → new content; `null` removes the file. */
  files: Record<string, string | null>;
  message: string;
  /** Default: the pusher. */
  author?: GitPerson;
  /** Default: the author. */
  committer?: GitPerson;
}

export interface PushResult {
  /** The new head of the branch. */
  sha: string;
  /** The head before the push; forty zeros for a new branch. */
  before: string;
  /** Every delivery this push caused (create, push, pull_request synchronized), in delivery order. */
  deliveries: DeliveryRecord[];
}

export interface RefChangeResult {
  sha: string;
  deliveries: DeliveryRecord[];
}

function personOf(user: UserRecord): GitPerson {
  return { name: user.fullName || user.username, email: user.email };
}

/** A repository's pusher defaults to its owner, which must then be a user. */
function pusherFor(context: DoubleContext, repo: RepoRecord, pusher: string | undefined): UserRecord {
  if (pusher) return requireUser(context.state, pusher);
  const owner = context.state.ownerOf(repo);
  if (owner.kind !== 'user')
    throw new Error(`gogs double: ${owner.username} is an organisation; name the pusher`);
  return owner;
}

export async function pushCommits(
  context: DoubleContext,
  input: {
    owner: string;
    name: string;
    branch: string;
    commits: readonly CommitInput[];
    pusher?: string;
    /** Where a new branch starts; default the head of the default branch (none in an empty repository). */
    from?: string;
  },
): Promise<PushResult> {
  const repo = requireRepo(context.state, input.owner, input.name);
  const pusher = pusherFor(context, repo, input.pusher);
  const git = context.gitOf(repo);
  const ref = `refs/heads/${input.branch}`;
  const before = (await git.resolveCommit(ref)) ?? ZERO_SHA;
  let head =
    before !== ZERO_SHA ? before : await git.resolveCommit(input.from ?? `refs/heads/${repo.defaultBranch}`);
  if (input.from && !head) throw new Error(`gogs double: nothing at ${input.from} to branch from`);
  for (const commit of input.commits) {
    const author = commit.author ?? personOf(pusher);
    head = await git.writeCommit({
      parent: head,
      files: commit.files,
      message: commit.message,
      author,
      committer: commit.committer ?? author,
    });
  }
  if (!head || input.commits.length === 0) throw new Error('gogs double: push at least one commit');
  await git.updateRef(ref, head);
  const deliveries = await announceRefUpdates(context, repo, pusher, [{ ref, before, after: head }]);
  return { sha: head, before, deliveries };
}

export async function createRef(
  context: DoubleContext,
  input: {
    owner: string;
    name: string;
    ref: string;
    /** A revision in the repository; default the default branch. */
    from?: string;
    /** For tags: make an annotated tag object with this message. */
    annotation?: string;
    pusher?: string;
  },
): Promise<RefChangeResult> {
  const repo = requireRepo(context.state, input.owner, input.name);
  const pusher = pusherFor(context, repo, input.pusher);
  const git = context.gitOf(repo);
  if (await git.revParse(input.ref)) throw new Error(`gogs double: ${input.ref} exists already`);
  const target = await git.resolveCommit(input.from ?? `refs/heads/${repo.defaultBranch}`);
  if (!target) throw new Error(`gogs double: nothing to point ${input.ref} at`);
  const sha =
    input.annotation === undefined
      ? target
      : await git.createTagObject({
          name: input.ref.replace(/^refs\/tags\//, ''),
          target,
          message: input.annotation,
          tagger: personOf(pusher),
        });
  await git.updateRef(input.ref, sha);
  const deliveries = await announceRefUpdates(context, repo, pusher, [
    { ref: input.ref, before: ZERO_SHA, after: sha },
  ]);
  return { sha, deliveries };
}

export async function deleteRef(
  context: DoubleContext,
  input: { owner: string; name: string; ref: string; pusher?: string },
): Promise<RefChangeResult> {
  const repo = requireRepo(context.state, input.owner, input.name);
  const pusher = pusherFor(context, repo, input.pusher);
  const git = context.gitOf(repo);
  const before = await git.revParse(input.ref);
  if (!before) throw new Error(`gogs double: no ref ${input.ref}`);
  await git.deleteRef(input.ref);
  const deliveries = await announceRefUpdates(context, repo, pusher, [
    { ref: input.ref, before, after: ZERO_SHA },
  ]);
  return { sha: before, deliveries };
}

export interface CreateRepoInput {
  owner: string;
  name: string;
  private?: boolean;
  /** Default `master`, like the recorded payloads. */
  defaultBranch?: string;
  description?: string;
  /** Seed the default branch with one commit (no webhooks, as Gogs' auto-init). */
  files?: Record<string, string>;
}

export async function createRepo(
  context: DoubleContext,
  input: CreateRepoInput,
  gitDirFor: (owner: string, name: string) => string,
): Promise<RepoRecord> {
  const owner = context.state.accountByName(input.owner);
  if (!owner) throw new Error(`gogs double: no account ${input.owner}`);
  if (context.state.repoByName(input.owner, input.name)) {
    throw new Error(`gogs double: ${input.owner}/${input.name} exists already`);
  }
  const now = goTimeNow();
  const repo: RepoRecord = {
    id: context.state.nextId('repo'),
    ownerId: owner.id,
    name: input.name,
    description: input.description ?? '',
    private: input.private ?? false,
    defaultBranch: input.defaultBranch ?? 'master',
    enableIssues: true,
    gitDir: gitDirFor(owner.username, input.name),
    createdAt: now,
    updatedAt: now,
    empty: true,
    sizeBytes: 0,
    collaborators: new Map(),
    hooks: [],
    issues: [],
    releases: [],
  };
  context.state.repos.push(repo);
  const git = context.gitOf(repo);
  await git.init(repo.defaultBranch);
  if (input.files) {
    const person =
      owner.kind === 'user'
        ? personOf(owner)
        : { name: owner.username, email: `${owner.username}@example.com` };
    const sha = await git.writeCommit({
      parent: null,
      files: input.files,
      message: 'Initial commit',
      author: person,
      committer: person,
    });
    await git.updateRef(`refs/heads/${repo.defaultBranch}`, sha);
  }
  await refreshRepoStats(context, repo);
  return repo;
}

export interface AddHookInput {
  owner: string;
  name: string;
  url: string;
  secret?: string;
  contentType?: 'json' | 'form';
  events?: readonly HookEventName[];
  active?: boolean;
}

/** A hook added behind the API's back (as the web UI would), for tests of delivery alone. */
export function addHook(context: DoubleContext, input: AddHookInput): HookRecord {
  const repo = requireRepo(context.state, input.owner, input.name);
  const now = goTimeNow();
  const wanted = input.events ?? ['push'];
  const hook: HookRecord = {
    id: context.state.nextId('hook'),
    type: 'gogs',
    url: input.url,
    contentType: input.contentType ?? 'json',
    secret: input.secret ?? '',
    events: new Set(HOOK_EVENTS.filter((event) => wanted.includes(event))),
    active: input.active ?? true,
    createdAt: now,
    updatedAt: now,
  };
  repo.hooks.push(hook);
  return hook;
}
