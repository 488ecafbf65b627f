/**
 * changedPaths against the Gogs test double's real git HTTP server: pushes, new branches, pull requests whose
 * target moved on, awkward paths, the 10,000-path cap, the cache kept per key, and concurrent calls.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitRemote } from '../../sidecar/core/index.ts';
import { createGitRemote } from '../../sidecar/git/index.ts';
import { MAX_CHANGED_PATHS } from '../../sidecar/pipeline/index.ts';
import {
  createGitCli,
  type GitCli,
  type GogsDouble,
  startGogsDouble,
  ZERO_SHA,
} from '../support/gogs-double/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let gogs: GogsDouble;
let cli: GitCli;
let scratch: { path: string; remove: () => Promise<void> };
let git: GitRemote;
let remote: string;
let caches = 0;

beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-git-paths-');
  cli = await createGitCli();
  gogs = await startGogsDouble();
  gogs.addUser({ username: 'alice', password: 'alice-password' });
  ({ cloneUrl: remote } = await gogs.createRepo({
    owner: 'alice',
    name: 'app',
    files: { 'README.md': 'app\n', 'old-name.txt': 'moved\n', 'gone.txt': 'gone\n', 'keep.txt': 'k\n' },
  }));
  git = createGitRemote({ cacheDir: join(scratch.path, 'cache') });
});
afterAll(async () => {
  await gogs?.close();
  await cli?.cleanup();
  await scratch?.remove();
});

const push = (branch: string, files: Record<string, string | null>, from?: string) =>
  gogs.pushCommit({ owner: 'alice', name: 'app', branch, files, message: `change ${branch}`, from });

/** A cache directory no call has used yet. */
const freshCacheDir = () => join(scratch.path, `fresh-${++caches}`);

/** Requests the double received for the repository's git endpoints since `from`. */
const gitRequests = (from: number) =>
  gogs
    .requests()
    .slice(from)
    .filter((request) => request.url.startsWith('/alice/app.git/'));

/** `git` on a cache's bare repository, as an operator would look at it. */
async function inCache(cacheDir: string, cacheKey: string, args: string[]) {
  return cli.run(['--git-dir', join(cacheDir, `${cacheKey}.git`), ...args]);
}

describe('changedPaths of a push', () => {
  it('lists added, modified and removed files, and both names of a rename', async () => {
    const { before, sha } = await push('master', {
      'README.md': 'changed\n',
      'src/deep/new.ts': 'export {};\n',
      'gone.txt': null,
      'old-name.txt': null,
      'new-name.txt': 'moved\n',
    });
    const paths = await git.changedPaths({
      cacheKey: 'repo-1',
      remote,
      credentials: null,
      from: before,
      to: sha,
      mergeBase: false,
    });
    expect(paths?.sort()).toEqual([
      'README.md',
      'gone.txt',
      'new-name.txt',
      'old-name.txt',
      'src/deep/new.ts',
    ]);
  });

  it('keeps paths with newlines and spaces whole', async () => {
    const { before, sha } = await push('master', {
      'line\nbreak.txt': 'n\n',
      'with spaces/a b.txt': 's\n',
      ' leading.txt': 'l\n',
    });
    const paths = await git.changedPaths({
      cacheKey: 'repo-1',
      remote,
      credentials: null,
      from: before,
      to: sha,
      mergeBase: false,
    });
    expect(paths?.sort()).toEqual([' leading.txt', 'line\nbreak.txt', 'with spaces/a b.txt']);
  });

  it('answers null for a new branch (from all zeros or empty) and a deleted one', async () => {
    const { before, sha } = await push('fresh-branch', { 'fresh.txt': 'f\n' }, 'refs/heads/master');
    expect(before).toBe(ZERO_SHA);
    const request = { cacheKey: 'repo-1', remote, credentials: null, to: sha, mergeBase: false };
    expect(await git.changedPaths({ ...request, from: ZERO_SHA })).toBeNull();
    expect(await git.changedPaths({ ...request, from: '' })).toBeNull();
    expect(await git.changedPaths({ ...request, from: sha, to: ZERO_SHA })).toBeNull();
    // The same commits with a real base do have an answer.
    const master = await gogs.branchHead('alice', 'app', 'master');
    expect(await git.changedPaths({ ...request, from: master! })).toEqual(['fresh.txt']);
  });

  it('answers null when a commit is not on the remote', async () => {
    const master = (await gogs.branchHead('alice', 'app', 'master'))!;
    const request = { cacheKey: 'repo-missing', remote, credentials: null, mergeBase: false };
    expect(await git.changedPaths({ ...request, from: master, to: 'deadbeef'.repeat(5) })).toBeNull();
    expect(await git.changedPaths({ ...request, from: 'deadbeef'.repeat(5), to: master })).toBeNull();
  });
});

describe('changedPaths of a pull request', () => {
  it("lists only the pull request's own files when its target moved on after the fork point", async () => {
    await gogs.createBranch({ owner: 'alice', name: 'app', branch: 'feature' });
    const { sha: head } = await push('feature', { 'feature.txt': 'f\n', 'README.md': 'feature readme\n' });
    await push('master', { 'master-only.txt': 'm\n' });
    const { number } = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      baseBranch: 'master',
      title: 'Feature',
      author: 'alice',
    });
    const pullHead = await git.resolveRef(remote, `refs/pull/${number}/head`, null);
    expect(pullHead).toBe(head);
    const request = { cacheKey: 'repo-1', remote, credentials: null, to: head };
    const own = await git.changedPaths({ ...request, from: 'refs/heads/master', mergeBase: true });
    expect(own?.sort()).toEqual(['README.md', 'feature.txt']);
    // Against the target's head itself, master's own change shows up: the fork point is what hides it.
    const master = (await gogs.branchHead('alice', 'app', 'master'))!;
    const direct = await git.changedPaths({ ...request, from: master, mergeBase: false });
    expect(direct?.sort()).toEqual(['README.md', 'feature.txt', 'master-only.txt']);
  });

  it('answers null when the target branch does not exist', async () => {
    const head = (await gogs.branchHead('alice', 'app', 'feature'))!;
    const paths = await git.changedPaths({
      cacheKey: 'repo-1',
      remote,
      credentials: null,
      from: 'refs/heads/no-such-target',
      to: head,
      mergeBase: true,
    });
    expect(paths).toBeNull();
  });
});

describe('the 10,000-path cap', () => {
  it('lists exactly 10,000 changed paths and answers null for one more', async () => {
    const work = join(cli.workDir, 'many');
    const pushUrl = new URL(remote);
    pushUrl.username = 'alice';
    pushUrl.password = 'alice-password';
    expect((await cli.run(['clone', '--quiet', pushUrl.href, work])).code).toBe(0);
    const base = (await cli.run(['rev-parse', 'HEAD'], work)).stdout.toString().trim();
    await mkdir(join(work, 'many'));
    const names = Array.from({ length: MAX_CHANGED_PATHS }, (_, index) => `many/f${index}.txt`);
    await Promise.all(names.map((name) => writeFile(join(work, name), '')));
    await cli.run(['add', 'many'], work);
    await cli.run(['commit', '--quiet', '-m', 'ten thousand files'], work);
    const atCap = (await cli.run(['rev-parse', 'HEAD'], work)).stdout.toString().trim();
    await writeFile(join(work, 'one-more.txt'), '');
    await cli.run(['add', 'one-more.txt'], work);
    await cli.run(['commit', '--quiet', '-m', 'one more'], work);
    const overCap = (await cli.run(['rev-parse', 'HEAD'], work)).stdout.toString().trim();
    const pushed = await cli.run(['push', '--quiet', pushUrl.href, 'HEAD:refs/heads/many'], work);
    expect(pushed.code, pushed.output).toBe(0);

    const request = { cacheKey: 'repo-many', remote, credentials: null, from: base, mergeBase: false };
    const paths = await git.changedPaths({ ...request, to: atCap });
    expect(paths).toHaveLength(MAX_CHANGED_PATHS);
    expect(new Set(paths)).toEqual(new Set(names));
    expect(await git.changedPaths({ ...request, to: overCap })).toBeNull();
  });
});

describe('the commit cache', () => {
  it('is a partial clone per key under cacheDir, and fetches nothing it already holds', async () => {
    const cacheDir = freshCacheDir();
    const local = createGitRemote({ cacheDir });
    const { before, sha } = await push('master', { 'cached.txt': 'c\n' });
    const request = {
      cacheKey: 'repo-7',
      remote,
      credentials: null,
      from: before,
      to: sha,
      mergeBase: false,
    };
    const first = gogs.requests().length;
    expect(await local.changedPaths(request)).toEqual(['cached.txt']);
    expect(gitRequests(first).length).toBeGreaterThan(0);

    const config = await readFile(join(cacheDir, 'repo-7.git', 'config'), 'utf8');
    expect(config).toMatch(/\[remote "origin"\]\n\tpromisor = true\n\tpartialclonefilter = blob:none\n/);
    const held = await inCache(cacheDir, 'repo-7', ['cat-file', '-t', sha]);
    expect(held.stdout.toString().trim()).toBe('commit');

    const again = gogs.requests().length;
    expect(await local.changedPaths(request)).toEqual(['cached.txt']);
    expect(gitRequests(again)).toEqual([]);
  });

  it('stays correct and whole when two calls on a fresh cache run at once, in one process or two', async () => {
    const { before, sha } = await push('master', { 'together.txt': 't\n', 'README.md': 'together\n' });
    const request = {
      cacheKey: 'repo-9',
      remote,
      credentials: null,
      from: before,
      to: sha,
      mergeBase: false,
    };
    const expected = ['README.md', 'together.txt'];

    const shared = freshCacheDir();
    const one = createGitRemote({ cacheDir: shared });
    const sameProcess = await Promise.all([one.changedPaths(request), one.changedPaths(request)]);
    expect(sameProcess.map((paths) => paths?.sort())).toEqual([expected, expected]);

    // Two remotes on one directory share no in-process queue: as two sidecar processes would, they race in git.
    const raced = freshCacheDir();
    const [left, right] = [createGitRemote({ cacheDir: raced }), createGitRemote({ cacheDir: raced })];
    const twoProcesses = await Promise.all([
      left.changedPaths(request),
      right.changedPaths(request),
      left.changedPaths({ ...request, from: sha, to: before }),
      right.changedPaths({ ...request, from: sha, to: before }),
    ]);
    expect(twoProcesses.map((paths) => paths?.sort())).toEqual([expected, expected, expected, expected]);

    for (const cacheDir of [shared, raced]) {
      const fsck = await inCache(cacheDir, 'repo-9', ['fsck', '--no-dangling']);
      expect(fsck.code, fsck.output).toBe(0);
      // The loser of the race to create the repository left no draft behind.
      expect(await readdir(cacheDir)).toEqual(['repo-9.git']);
    }
  });
});

describe('settled', () => {
  it('waits for every fetch under way, of any cache, so a stopping process leaves the cache alone', async () => {
    const { before, sha } = await push('master', { 'late.txt': 'late\n' });
    const remoteOfStop = createGitRemote({ cacheDir: freshCacheDir() });
    gogs.injectFault({
      match: (request) => request.path.endsWith('/git-upload-pack'),
      delayMs: 800,
      times: 2,
    });
    const ended: string[] = [];
    for (const cacheKey of ['repo-a', 'repo-b'])
      void remoteOfStop
        .changedPaths({ cacheKey, remote, credentials: null, from: before, to: sha, mergeBase: false })
        .then(() => ended.push(cacheKey));
    await remoteOfStop.settled();
    expect(ended.sort()).toEqual(['repo-a', 'repo-b']);
    // And at once when nothing is under way.
    await remoteOfStop.settled();
  });
});
