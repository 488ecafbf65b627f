import type { z } from 'zod';
import type { HookEvent, HookRepo, HookUser, NormalizeResult } from '../core/index.ts';
import {
  createPayloadSchema,
  deletePayloadSchema,
  type gogsRepoSchema,
  type gogsUserSchema,
  issueCommentPayloadSchema,
  pullRequestPayloadSchema,
  pushPayloadSchema,
  releasePayloadSchema,
} from './webhook-payloads.ts';

const IGNORED_EVENTS: Record<string, string> = {
  fork: 'fork events do not start builds',
  issues: 'issue events do not start builds',
};

type Normalizer = (payload: unknown) => NormalizeResult;

/**
 * Turns a verified, parsed Gogs payload into a HookEvent. Pure. Three outcomes: an event, an ignored event
 * with the reason, or an invalid payload with every problem found.
 */
export function normalizeGogsHook(eventName: string, payload: unknown): NormalizeResult {
  const ignored = IGNORED_EVENTS[eventName];
  if (ignored) return { outcome: 'ignored', reason: ignored };
  const normalizer = NORMALIZERS[eventName];
  if (!normalizer) return { outcome: 'ignored', reason: `unknown event "${eventName}"` };
  return normalizer(payload);
}

const NORMALIZERS: Record<string, Normalizer> = {
  push: parsedWith(pushPayloadSchema, (p) => {
    const ref = expandRef(p.ref, 'refs/heads/');
    if (ref.startsWith('refs/tags/'))
      return { outcome: 'ignored', reason: 'tag pushes arrive as create events' };
    return event(p.repository, p.sender, {
      kind: 'push',
      action: 'pushed',
      ref,
      branch: ref.replace(/^refs\/heads\//, ''),
      before: p.before,
      after: p.after,
      compareUrl: p.compare_url,
      commits: p.commits.map((commit) => ({
        sha: commit.id,
        message: commit.message,
        url: commit.url,
        author: { name: commit.author.name, email: commit.author.email, login: commit.author.username },
        added: commit.added,
        removed: commit.removed,
        modified: commit.modified,
      })),
    });
  }),
  create: parsedWith(createPayloadSchema, (p) =>
    event(p.repository, p.sender, refChange(p.ref_type, p.ref, 'created', p.sha)),
  ),
  delete: parsedWith(deletePayloadSchema, (p) =>
    event(p.repository, p.sender, refChange(p.ref_type, p.ref, 'deleted', '')),
  ),
  pull_request: parsedWith(pullRequestPayloadSchema, (p) => {
    const pr = p.pull_request;
    const baseFullName = pr.base_repo?.full_name || p.repository.full_name;
    const headFullName = pr.head_repo?.full_name || baseFullName;
    return event(p.repository, p.sender, {
      kind: 'pull_request',
      action: p.action,
      // Gogs sends no head SHA; refs/pull/N/head in the base repository holds it.
      ref: `refs/pull/${p.number}/head`,
      branch: pr.base_branch,
      after: pr.merged ? pr.merge_commit_sha : '',
      pullRequest: {
        number: p.number,
        title: pr.title,
        body: pr.body,
        url: pr.html_url,
        state: pr.state,
        merged: pr.merged,
        mergeCommitSha: pr.merge_commit_sha,
        headBranch: pr.head_branch,
        headRepoFullName: headFullName,
        headCloneUrl: pr.head_repo?.clone_url ?? '',
        baseBranch: pr.base_branch,
        fromFork: headFullName.toLowerCase() !== baseFullName.toLowerCase(),
      },
    });
  }),
  issue_comment: parsedWith(issueCommentPayloadSchema, (p) => {
    const onPullRequest = p.issue.pull_request != null;
    return event(p.repository, p.sender, {
      kind: 'comment',
      action: p.action,
      ref: onPullRequest ? `refs/pull/${p.issue.number}/head` : '',
      comment: { id: p.comment.id, body: p.comment.body, issueNumber: p.issue.number, onPullRequest },
    });
  }),
  release: parsedWith(releasePayloadSchema, (p) =>
    event(p.repository, p.sender, {
      kind: 'release',
      action: p.action,
      ref: `refs/tags/${p.release.tag_name}`,
      tag: p.release.tag_name,
      release: {
        id: p.release.id,
        tagName: p.release.tag_name,
        name: p.release.name,
        prerelease: p.release.prerelease,
        draft: p.release.draft,
      },
    }),
  ),
};

function parsedWith<S extends z.ZodType>(
  schema: S,
  build: (payload: z.output<S>) => NormalizeResult,
): Normalizer {
  return (payload) => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      return {
        outcome: 'invalid',
        problems: parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`,
        ),
      };
    }
    return build(parsed.data);
  };
}

function refChange(refType: 'branch' | 'tag', shortRef: string, action: 'created' | 'deleted', sha: string) {
  return refType === 'tag'
    ? { kind: 'tag' as const, action, ref: `refs/tags/${shortRef}`, tag: shortRef, after: sha }
    : { kind: 'branch' as const, action, ref: `refs/heads/${shortRef}`, branch: shortRef, after: sha };
}

/** Mirror syncs send short refs ("master"); every other push sends refs/heads/…. */
function expandRef(ref: string, prefix: string): string {
  return ref.startsWith('refs/') ? ref : `${prefix}${ref}`;
}

function event(
  repo: z.output<typeof gogsRepoSchema>,
  sender: z.output<typeof gogsUserSchema>,
  fields: Partial<HookEvent> & Pick<HookEvent, 'kind' | 'action' | 'ref'>,
): NormalizeResult {
  return {
    outcome: 'event',
    event: {
      branch: '',
      tag: '',
      before: '',
      after: '',
      commits: [],
      compareUrl: '',
      pullRequest: null,
      comment: null,
      release: null,
      ...fields,
      repo: toHookRepo(repo),
      sender: toHookUser(sender),
    },
  };
}

function toHookRepo(repo: z.output<typeof gogsRepoSchema>): HookRepo {
  const [owner = repo.owner.username, name = repo.name] = repo.full_name.split('/');
  return {
    gogsId: repo.id,
    owner,
    name,
    fullName: repo.full_name,
    private: repo.private,
    fork: repo.fork,
    htmlUrl: repo.html_url,
    cloneUrl: repo.clone_url,
    sshUrl: repo.ssh_url,
    defaultBranch: repo.default_branch,
  };
}

function toHookUser(user: z.output<typeof gogsUserSchema>): HookUser {
  return {
    login: user.username || user.login,
    name: user.full_name,
    email: user.email,
    avatarUrl: user.avatar_url,
  };
}
