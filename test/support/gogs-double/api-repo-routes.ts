/**
 * Repository routes of the Gogs TEST DOUBLE's API. File, branch and commit answers are read from the real bare
 * repository, so they agree with whatever was pushed.
 */
import type { Hono } from 'hono';
import { bindJson } from './api-binding.ts';
import {
  type ApiEnv,
  assignRepo,
  assignRepoWithToken,
  emptyReply,
  jsonReply,
  pathAfter,
} from './api-support.ts';
import type { DoubleContext } from './double-context.ts';
import type { GitRepo } from './git-repo.ts';
import { addComment } from './issue-events.ts';
import type { UserRecord } from './model.ts';
import { branchCommitJson, collaboratorJson, commentJson, commitJson, repoJsonFor } from './wire-shapes.ts';

const SHA_MEDIA_TYPE = 'application/vnd.gogs.sha';

/**
 * Gogs' RepoRef() for `raw/<ref>/<path>`: the shortest leading segments that name a branch or a tag, else a
 * full 40-character SHA as the first segment. Short SHAs do not resolve.
 */
async function splitRefAndPath(git: GitRepo, rest: string): Promise<{ commit: string; path: string } | null> {
  const segments = rest.split('/');
  for (let count = 1; count <= segments.length; count++) {
    const name = segments.slice(0, count).join('/');
    const commit =
      (await git.resolveCommit(`refs/heads/${name}`)) ?? (await git.resolveCommit(`refs/tags/${name}`));
    if (commit) return { commit, path: segments.slice(count).join('/') };
  }
  const first = segments[0] ?? '';
  if (/^[0-9a-f]{40}$/.test(first)) {
    const commit = await git.resolveCommit(first);
    if (commit) return { commit, path: segments.slice(1).join('/') };
  }
  return null;
}

function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/** GetReferenceSHA: `refs/heads/x`, `refs/tags/x` or a bare branch/tag name; a tag is not peeled. */
async function referenceSha(git: GitRepo, ref: string): Promise<string | null> {
  if (ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/')) return git.revParse(ref);
  return (await git.revParse(`refs/heads/${ref}`)) ?? (await git.revParse(`refs/tags/${ref}`));
}

export function registerRepoRoutes(app: Hono<ApiEnv>, context: DoubleContext): void {
  const { state } = context;

  app.get('/repos/:owner/:repo', (c) => {
    const assigned = assignRepo(c, state);
    if (assigned instanceof Response) return assigned;
    return jsonReply(c, 200, repoJsonFor(context, assigned.repo, c.get('caller')));
  });

  app.get('/repos/:owner/:repo/raw/*', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: false });
    if (assigned instanceof Response) return assigned;
    const git = context.gitOf(assigned.repo);
    const target = await splitRefAndPath(git, pathAfter(c, '/raw/'));
    const bytes = target && target.path !== '' ? await git.readBlob(target.commit, target.path) : null;
    if (!bytes) return emptyReply(c, 404);
    const headers: Record<string, string> = looksBinary(bytes)
      ? { 'Content-Disposition': 'attachment', 'Content-Transfer-Encoding': 'binary' }
      : { 'Content-Type': 'text/plain; charset=utf-8' };
    return c.body(new Uint8Array(bytes), 200, headers);
  });

  app.get('/repos/:owner/:repo/branches', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: false });
    if (assigned instanceof Response) return assigned;
    const git = context.gitOf(assigned.repo);
    const branches = [];
    for (const [ref, sha] of await git.refs()) {
      if (!ref.startsWith('refs/heads/')) continue;
      branches.push({
        name: ref.slice('refs/heads/'.length),
        commit: branchCommitJson(context, await git.readCommit(sha)),
      });
    }
    return jsonReply(c, 200, branches);
  });

  app.get('/repos/:owner/:repo/branches/*', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: false });
    if (assigned instanceof Response) return assigned;
    const git = context.gitOf(assigned.repo);
    const name = pathAfter(c, '/branches/');
    const sha = await git.resolveCommit(`refs/heads/${name}`);
    if (!sha) return emptyReply(c, 404);
    return jsonReply(c, 200, { name, commit: branchCommitJson(context, await git.readCommit(sha)) });
  });

  app.get('/repos/:owner/:repo/commits/*', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: false });
    if (assigned instanceof Response) return assigned;
    const git = context.gitOf(assigned.repo);
    const rev = pathAfter(c, '/commits/');
    const wantsSha = (c.req.header('accept') ?? '').includes(SHA_MEDIA_TYPE);
    if (wantsSha || rev.includes('/')) {
      const sha = await referenceSha(git, rev);
      if (!sha) return emptyReply(c, 404);
      return c.text(sha, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    const sha = await git.revParse(rev);
    const commit = sha ? await git.resolveCommit(sha) : null;
    if (!sha || !commit) return emptyReply(c, 404);
    const requestPath = new URL(c.req.url).pathname;
    return jsonReply(
      c,
      200,
      commitJson(context, assigned.repo, { sha, commit: await git.readCommit(commit), requestPath }),
    );
  });

  app.get('/repos/:owner/:repo/collaborators', (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: true });
    if (assigned instanceof Response) return assigned;
    const collaborators = [...assigned.repo.collaborators].map(([userId, level]) =>
      collaboratorJson(context, state.accountById(userId) as UserRecord, level),
    );
    return jsonReply(c, 200, collaborators);
  });

  app.post('/repos/:owner/:repo/issues/:index/comments', async (c) => {
    const assigned = assignRepoWithToken(c, state, { admin: false });
    if (assigned instanceof Response) return assigned;
    const { repo, user } = assigned;
    if (!repo.enableIssues) return emptyReply(c, 404);
    const bound = await bindJson(c, 'CreateIssueCommentOption', [
      { json: 'body', go: 'Body', type: 'string', required: true },
    ]);
    if (bound instanceof Response) return bound;
    const issue = state.issueOf(repo, Number(c.req.param('index')));
    if (!issue) return emptyReply(c, 404);
    const { comment, delivered } = addComment(context, {
      repo,
      issue,
      body: bound.body as string,
      poster: user,
    });
    context.track(delivered);
    return jsonReply(c, 201, commentJson(context, repo, issue, comment));
  });
}
