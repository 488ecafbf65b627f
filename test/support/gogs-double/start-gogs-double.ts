/**
 * Starts the Gogs TEST DOUBLE (not Gogs): one HTTP server on 127.0.0.1 that routes /api/ to the API app and
 * `<owner>/<name>.git/…` to git smart HTTP, over state kept in memory and bare repositories in a temporary
 * directory that close() removes.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { addCollaborator, addOrg, addTeam, addToken, addUser, requireRepo, requireUser } from './accounts.ts';
import { createApiApp } from './api-app.ts';
import type { DoubleContext } from './double-context.ts';
import { createFaultInjector } from './faults.ts';
import { createGitHttpHandler, matchGitPath } from './git-http.ts';
import { createGitRepo, type GitRepo } from './git-repo.ts';
import type { GogsDouble, GogsDoubleOptions, HookSnapshot, RepoTarget } from './gogs-double.ts';
import { addComment, deleteComment, editComment, openIssue, publishRelease } from './issue-events.ts';
import { createDoubleState, type RepoRecord } from './model.ts';
import { closePullRequest, openPullRequest } from './pull-requests.ts';
import { addHook, createRef, createRepo, deleteRef, pushCommits } from './repo-actions.ts';
import { createDeliveryQueue } from './webhook-delivery.ts';
import { hookEventsOf } from './wire-shapes.ts';

function snapshotOf(hook: RepoRecord['hooks'][number]): HookSnapshot {
  return {
    id: hook.id,
    type: hook.type,
    url: hook.url,
    contentType: hook.contentType,
    secret: hook.secret,
    events: hookEventsOf(hook),
    active: hook.active,
  };
}

export async function startGogsDouble(options: GogsDoubleOptions = {}): Promise<GogsDouble> {
  const root = await mkdtemp(join(tmpdir(), 'gogs-double-'));
  const home = join(root, 'home');
  const reposRoot = join(root, 'repos');
  await mkdir(home);
  await mkdir(reposRoot);
  const environment = { home };
  const relativeGitDir = (owner: string, name: string) => `${owner.toLowerCase()}/${name.toLowerCase()}.git`;

  const state = createDoubleState();
  const gits = new Map<number, GitRepo>();
  const background = new Set<Promise<unknown>>();
  const failures: unknown[] = [];
  const deliveries = createDeliveryQueue({
    timeoutMs: options.deliverTimeoutMs ?? 15_000,
    localNetworkAllowlist: options.localNetworkAllowlist ?? ['*'],
  });
  const faults = createFaultInjector();

  const context: DoubleContext = {
    state,
    externalUrl: '',
    deliveries,
    feedMaxCommits: options.feedMaxCommits ?? 5,
    gitOf(repo) {
      let git = gits.get(repo.id);
      if (!git) {
        git = createGitRepo(repo.gitDir, environment);
        gits.set(repo.id, git);
      }
      return git;
    },
    track(work) {
      const settled = work
        .catch((error: unknown) => failures.push(error))
        .finally(() => background.delete(settled));
      background.add(settled);
    },
  };

  const api = getRequestListener(createApiApp(context, (error) => failures.push(error)).fetch);
  const gitHttp = createGitHttpHandler(context, {
    reposRoot,
    environment,
    relativeGitDir: (repo) => relativeGitDir(state.ownerOf(repo).username, repo.name),
  });

  const server = createServer((request, response) => {
    void (async () => {
      if (await faults.intercept(request, response)) return;
      const pathname = new URL(request.url ?? '/', 'http://double.invalid').pathname;
      if (pathname.startsWith('/api/')) return api(request, response);
      const target = matchGitPath(pathname);
      if (target) return gitHttp(request, response, target);
      response.writeHead(404).end();
    })().catch((error: unknown) => {
      failures.push(error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  context.externalUrl = url;

  const repoOf = (target: RepoTarget) => requireRepo(state, target.owner, target.name);
  const userOf = (username: string) => requireUser(state, username);

  async function idle(): Promise<void> {
    while (background.size > 0) await Promise.all([...background]);
    await deliveries.idle();
    if (failures.length > 0) {
      const errors = failures.splice(0);
      throw new AggregateError(errors, `gogs double: ${errors.length} background failure(s)`);
    }
  }

  return {
    url,
    apiUrl: `${url}api/v1`,
    addUser(input) {
      const { user, token } = addUser(state, input);
      return { id: user.id, username: user.username, token };
    },
    addToken(username, name) {
      return addToken(state, userOf(username), name);
    },
    deleteToken(username, name) {
      const user = userOf(username);
      const before = user.tokens.length;
      user.tokens = user.tokens.filter((token) => token.name !== name);
      return user.tokens.length < before;
    },
    tokenNames(username) {
      return userOf(username).tokens.map((token) => token.name);
    },
    addOrg(input) {
      return { id: addOrg(state, input).id };
    },
    addTeam(input) {
      return { id: addTeam(state, input).id };
    },
    async createRepo(input) {
      const repo = await createRepo(context, input, (owner, name) =>
        join(reposRoot, relativeGitDir(owner, name)),
      );
      return { id: repo.id, cloneUrl: `${url}${state.fullNameOf(repo)}.git` };
    },
    addCollaborator(input) {
      addCollaborator(state, input);
    },
    removeCollaborator(input) {
      repoOf(input).collaborators.delete(userOf(input.username).id);
    },
    removeTeamMember(teamId, username) {
      const team = state.teams.find((candidate) => candidate.id === teamId);
      if (!team) throw new Error(`gogs double: no team ${teamId}`);
      team.memberIds.delete(userOf(username).id);
    },
    setIssuesEnabled(target, enabled) {
      repoOf(target).enableIssues = enabled;
    },
    addHook(input) {
      return snapshotOf(addHook(context, input));
    },
    hooks(owner, name) {
      return repoOf({ owner, name }).hooks.map(snapshotOf);
    },
    pushCommit(input) {
      const { files, message, author, committer, ...rest } = input;
      return pushCommits(context, { ...rest, commits: [{ files, message, author, committer }] });
    },
    pushCommits(input) {
      return pushCommits(context, input);
    },
    createBranch(input) {
      return createRef(context, { ...input, ref: `refs/heads/${input.branch}` });
    },
    createTag(input) {
      return createRef(context, { ...input, ref: `refs/tags/${input.tag}`, annotation: input.message });
    },
    deleteBranch(input) {
      return deleteRef(context, { ...input, ref: `refs/heads/${input.branch}` });
    },
    deleteTag(input) {
      return deleteRef(context, { ...input, ref: `refs/tags/${input.tag}` });
    },
    async openIssue(input) {
      const opened = await openIssue(context, {
        repo: repoOf(input),
        title: input.title,
        body: input.body ?? '',
        poster: userOf(input.author),
      });
      return { number: opened.issue.number, deliveries: opened.deliveries };
    },
    async openPullRequest(input) {
      const base = repoOf(input);
      const head = input.headOwner ? requireRepo(state, input.headOwner, input.headName ?? input.name) : base;
      const opened = await openPullRequest(context, {
        base,
        head,
        headBranch: input.headBranch,
        baseBranch: input.baseBranch ?? base.defaultBranch,
        title: input.title,
        body: input.body ?? '',
        poster: userOf(input.author),
      });
      return { number: opened.issue.number, deliveries: opened.deliveries };
    },
    closePullRequest(input) {
      const repo = repoOf(input);
      const issue = state.issueOf(repo, input.number);
      if (!issue) throw new Error(`gogs double: no pull request #${input.number}`);
      return closePullRequest(context, {
        repo,
        issue,
        sender: userOf(input.sender),
        merge: input.merge ?? false,
      });
    },
    async addComment(input) {
      const repo = repoOf(input);
      const issue = state.issueOf(repo, input.number);
      if (!issue) throw new Error(`gogs double: no issue #${input.number}`);
      const added = addComment(context, { repo, issue, body: input.body, poster: userOf(input.author) });
      return { id: added.comment.id, deliveries: await added.delivered };
    },
    editComment(input) {
      return editComment(context, {
        repo: repoOf(input),
        commentId: input.id,
        body: input.body,
        sender: userOf(input.sender),
      });
    },
    deleteComment(input) {
      return deleteComment(context, {
        repo: repoOf(input),
        commentId: input.id,
        sender: userOf(input.sender),
      });
    },
    async publishRelease(input) {
      const repo = repoOf(input);
      const published = await publishRelease(context, {
        repo,
        tagName: input.tagName,
        target: input.target ?? repo.defaultBranch,
        title: input.title ?? input.tagName,
        note: input.note ?? '',
        draft: input.draft ?? false,
        prerelease: input.prerelease ?? false,
        publisher: userOf(input.author),
      });
      return published.deliveries;
    },
    branchHead(owner, name, branch) {
      return context.gitOf(repoOf({ owner, name })).resolveCommit(`refs/heads/${branch}`);
    },
    deliveries(filter = {}) {
      return deliveries
        .records()
        .filter(
          (record) =>
            (filter.repo === undefined || record.repo === filter.repo) &&
            (filter.event === undefined || record.event === filter.event),
        );
    },
    redeliver(deliveryId) {
      return deliveries.redeliver(deliveryId);
    },
    idle,
    requests() {
      return faults.requests();
    },
    injectFault(fault) {
      faults.add(fault);
    },
    clearFaults() {
      faults.clear();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.allSettled([...background]);
      await deliveries.idle();
      await rm(root, { recursive: true, force: true });
    },
  };
}
