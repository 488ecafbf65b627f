/**
 * resolveRef against the Gogs test double's real git HTTP server: branches, tags (annotated ones peeled to
 * their commit, checked on a real clone), a pull request's refs/pull/N/head, refs the remote does not have,
 * private repositories, and a remote that never answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitRemote } from '../../sidecar/core/index.ts';
import { createGitRemote } from '../../sidecar/git/index.ts';
import { createGitCli, type GitCli, type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let gogs: GogsDouble;
let cli: GitCli;
let scratch: { path: string; remove: () => Promise<void> };
let git: GitRemote;
let publicUrl: string;
let privateUrl: string;
let token: string;
let master: string;

beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-git-refs-');
  cli = await createGitCli();
  gogs = await startGogsDouble();
  ({ token } = gogs.addUser({ username: 'alice', password: 'alice-password' }));
  ({ cloneUrl: publicUrl } = await gogs.createRepo({
    owner: 'alice',
    name: 'app',
    files: { 'a.txt': 'a\n' },
  }));
  ({ cloneUrl: privateUrl } = await gogs.createRepo({
    owner: 'alice',
    name: 'secret',
    private: true,
    files: { 'a.txt': 'a\n' },
  }));
  ({ sha: master } = await gogs.pushCommit({
    owner: 'alice',
    name: 'app',
    branch: 'master',
    files: { 'b.txt': 'b\n' },
    message: 'b',
  }));
  git = createGitRemote({ cacheDir: join(scratch.path, 'cache') });
});
afterAll(async () => {
  await gogs?.close();
  await cli?.cleanup();
  await scratch?.remove();
});

/** What `git rev-parse` says about `revision` in a fresh clone of the public repository. */
async function revParse(revision: string): Promise<string> {
  const directory = join(cli.workDir, `clone-${Math.random().toString(36).slice(2)}`);
  expect((await cli.run(['clone', '--quiet', publicUrl, directory])).code).toBe(0);
  const result = await cli.run(['rev-parse', '--verify', revision], directory);
  expect(result.code, result.output).toBe(0);
  return result.stdout.toString('utf8').trim();
}

describe('resolveRef', () => {
  it('names the commit a branch points at', async () => {
    expect(await git.resolveRef(publicUrl, 'refs/heads/master', null)).toBe(master);
  });

  it('names the commit of a lightweight tag', async () => {
    const { sha } = await gogs.createTag({ owner: 'alice', name: 'app', tag: 'v1' });
    expect(sha).toBe(master);
    expect(await git.resolveRef(publicUrl, 'refs/tags/v1', null)).toBe(master);
  });

  it('peels an annotated tag to its commit, not the tag object', async () => {
    const { sha: tagObject } = await gogs.createTag({
      owner: 'alice',
      name: 'app',
      tag: 'v2',
      message: 'release two',
    });
    const resolved = await git.resolveRef(publicUrl, 'refs/tags/v2', null);
    expect(await revParse('refs/tags/v2')).toBe(tagObject);
    expect(resolved).not.toBe(tagObject);
    expect(resolved).toBe(await revParse('refs/tags/v2^{commit}'));
    expect(resolved).toBe(master);
  });

  it("names a pull request's head commit at refs/pull/N/head", async () => {
    await gogs.createBranch({ owner: 'alice', name: 'app', branch: 'feature' });
    const { sha: head } = await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'feature',
      files: { 'feature.txt': 'f\n' },
      message: 'feature',
    });
    const { number } = await gogs.openPullRequest({
      owner: 'alice',
      name: 'app',
      headBranch: 'feature',
      baseBranch: 'master',
      title: 'Feature',
      author: 'alice',
    });
    expect(head).not.toBe(master);
    expect(await git.resolveRef(publicUrl, `refs/pull/${number}/head`, null)).toBe(head);
  });

  it('answers null for a ref the remote does not have', async () => {
    expect(await git.resolveRef(publicUrl, 'refs/heads/no-such-branch', null)).toBeNull();
    expect(await git.resolveRef(publicUrl, 'refs/pull/999/head', null)).toBeNull();
  });

  it('counts only the exact ref, not the refs ls-remote matches by their tail', async () => {
    const { sha: nested } = await gogs.pushCommit({
      owner: 'alice',
      name: 'app',
      branch: 'x/refs/heads/lonely',
      from: 'refs/heads/master',
      files: { 'nested.txt': 'n\n' },
      message: 'nested',
    });
    expect(await git.resolveRef(publicUrl, 'refs/heads/x/refs/heads/lonely', null)).toBe(nested);
    expect(await git.resolveRef(publicUrl, 'refs/heads/lonely', null)).toBeNull();
  });
});

describe('resolveRef on a private repository', () => {
  it('fails without credentials, saying to check the token', async () => {
    const failure = await git
      .resolveRef(privateUrl, 'refs/heads/master', null)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'GIT_FAILED' });
    expect((failure as Error).message).toContain(
      `check that the sidecar's Gogs token may read the repository at ${privateUrl}`,
    );
  });

  it('fails with a wrong password, and the message holds neither it nor its base64', async () => {
    const credentials = { username: 'alice', password: 'wrong-password-1234' };
    const failure = await git
      .resolveRef(privateUrl, 'refs/heads/master', credentials)
      .catch((error) => error);
    expect(failure).toMatchObject({ code: 'GIT_FAILED' });
    const message = (failure as Error).message;
    expect(message).toMatch(/^git ls-remote exited with 128 \(.+\): check that the sidecar's Gogs token/);
    expect(message).not.toContain(credentials.password);
    expect(message).not.toContain(Buffer.from(`alice:${credentials.password}`).toString('base64'));
  });

  it('answers with the access token as the Basic username', async () => {
    const head = await gogs.branchHead('alice', 'secret', 'master');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await git.resolveRef(privateUrl, 'refs/heads/master', { username: token, password: '' })).toBe(
      head,
    );
  });
});

describe('a remote that never answers', () => {
  let server: Server;
  const connections: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => {
      connections.push(socket);
      // Read (and drop) the request, so that the end of the connection is seen.
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('stops git ls-remote and its HTTP helper at the timeout, and says which command timed out', async () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const impatient = createGitRemote({ cacheDir: join(scratch.path, 'impatient'), timeoutMs: 300 });
    const failure = await impatient
      .resolveRef(`http://127.0.0.1:${address.port}/alice/app.git`, 'refs/heads/master', null)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'GIT_FAILED',
      message: 'git ls-remote timed out after 300 ms and was stopped',
    });
    // The connection was the helper's (git-remote-http); it closes only because the helper was killed too.
    expect(connections).toHaveLength(1);
    const connection = connections[0]!;
    if (!connection.closed) await new Promise((resolve) => connection.once('close', resolve));
    expect(connection.closed).toBe(true);
  });
});
