/**
 * The clone's git work on the host, without a container: pusher-chosen refs and commits never reach git as
 * options, and the credentials stay out of git's arguments, the checkout's files and untrusted skip_verify fetches.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../sidecar/git/index.ts';
import { checkoutCommit, type GitCheckout } from '../../sidecar/runner/git-checkout.ts';
import { createGitCli, type GitCli, type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const PASSWORD = 'pa55-word-of-bob';
const credentials = { username: 'bob', password: PASSWORD };
let gogs: GogsDouble;
let cli: GitCli;
let cloneUrl: string;
let sha: string;
let scratch: { path: string; remove: () => Promise<void> };
let checkouts = 0;

beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-checkout-');
  cli = await createGitCli();
  gogs = await startGogsDouble();
  gogs.addUser({ username: 'bob', password: PASSWORD });
  ({ cloneUrl } = await gogs.createRepo({
    owner: 'bob',
    name: 'app',
    private: true,
    files: { 'a.txt': 'a' },
  }));
  ({ sha } = await gogs.pushCommit({
    owner: 'bob',
    name: 'app',
    branch: 'master',
    files: { 'version.txt': 'one' },
    message: 'one',
  }));
});
afterAll(async () => {
  await gogs?.close();
  await cli?.cleanup();
  await scratch?.remove();
});

/** A checkout into a fresh directory; `notes` holds what git was asked and said, unmasked. */
async function checkout(fields: Partial<GitCheckout>) {
  const directory = join(scratch.path, `checkout-${++checkouts}`);
  await mkdir(directory);
  const notes: string[] = [];
  const run = checkoutCommit({
    directory,
    remote: cloneUrl,
    ref: 'refs/heads/master',
    sha,
    depth: 0,
    retries: 0,
    skipVerify: false,
    trusted: false,
    credentials,
    note: (line) => notes.push(line),
    signal: new AbortController().signal,
    ...fields,
  });
  return { directory, notes, run };
}

/** A repository with one commit on master, reached by its path rather than over HTTP. */
async function localRepository(name: string): Promise<string> {
  const path = join(scratch.path, name);
  await cli.run(['init', '-q', path]);
  await cli.run(['commit', '-q', '--allow-empty', '-m', 'x'], path);
  return path;
}

/** Every file under `directory`, .git included, as one string. */
async function everyFile(directory: string): Promise<string> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'latin1')))).join('\n');
}

/** Requests the Gogs double received for the repository's git endpoints since `from`. */
const gitRequests = (from: number) =>
  gogs
    .requests()
    .slice(from)
    .filter((request) => request.url.startsWith('/bob/app.git/'));

describe('git checkout on the host', () => {
  it('refuses a commit that git would read as an option: --upload-pack never runs', async () => {
    // A local remote: --upload-pack is what git runs to fetch from it, through the shell.
    const remote = await localRepository('local-remote');
    const marker = join(scratch.path, 'upload-pack-ran');
    const { notes, run } = await checkout({
      remote,
      credentials: null,
      depth: 1,
      sha: `--upload-pack=touch ${marker};`,
    });
    const failure = await run.then(
      () => null,
      (error: unknown) => error,
    );
    expect(existsSync(marker)).toBe(false);
    expect(failure).toMatchObject({
      code: 'BAD_REQUEST',
      message: `refusing to clone: the commit "--upload-pack=touch ${marker};": expected a full commit SHA (40 or 64 lowercase hex characters)`,
    });
    expect(notes).toEqual([]);
  });

  it('fetches over HTTP(S) only, whatever transport the remote names', async () => {
    const remote = await localRepository('local-only');
    const { notes, run } = await checkout({ remote, credentials: null, sha: '' });
    await expect(run).rejects.toThrow('git fetch exited with 128');
    expect(notes).toContain("fatal: transport 'file' not allowed");
  });

  it.each([
    ['--upload-pack=touch /tmp/x', 'starts with "-"'],
    ['refs/heads/-x', 'starts with "-"'],
    ['refs/heads/a..b', 'contains ".."'],
    ['refs/heads/x y', 'contains " "'],
    ['master', 'has a single component (expected refs/…)'],
  ])('refuses the ref %j before running git', async (ref, problem) => {
    const { notes, run } = await checkout({ ref });
    await expect(run).rejects.toThrow(`refusing to clone: the ref ${JSON.stringify(ref)} ${problem}`);
    expect(notes).toEqual([]);
  });

  it('passes every pusher-derived argument after --end-of-options, and no credential in any argument or file', async () => {
    const from = gogs.requests().length;
    const { directory, notes, run } = await checkout({ depth: 1 });
    await run;
    expect(notes.filter((line) => line.startsWith('+ git '))).toEqual([
      '+ git init -q .',
      `+ git remote add --end-of-options origin ${cloneUrl}`,
      '+ git fetch --no-tags --depth=1 --end-of-options origin +refs/heads/master:',
      `+ git switch -q --discard-changes --force-create=master --end-of-options ${sha}`,
    ]);
    expect(await readFile(join(directory, 'version.txt'), 'utf8')).toBe('one');
    const authorization = basicAuthorization(credentials);
    const files = await everyFile(directory);
    expect(files).toContain(`url = ${cloneUrl}`);
    for (const evidence of [notes.join('\n'), files]) {
      expect(evidence).not.toContain(PASSWORD);
      expect(evidence).not.toContain(authorization.slice('Basic '.length));
      expect(evidence).not.toMatch(/extraheader|authorization/i);
    }
    // The credentials did go to Gogs, as a header.
    expect(gitRequests(from).map((request) => request.headers.authorization)).toContain(authorization);
  });

  it('skip_verify in an untrusted repository fetches without the credentials', async () => {
    const from = gogs.requests().length;
    const { notes, run } = await checkout({ skipVerify: true, trusted: false });
    await expect(run).rejects.toThrow('git fetch exited with 128');
    expect(notes).toContain(
      'drone-gogs: clone without credentials: skip_verify needs a trusted repository to send them',
    );
    const requests = gitRequests(from);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.map((request) => request.headers.authorization ?? 'none')).toEqual(
      requests.map(() => 'none'),
    );
  });

  it('skip_verify in a trusted repository keeps the credentials', async () => {
    const from = gogs.requests().length;
    const { directory, run } = await checkout({ skipVerify: true, trusted: true });
    await run;
    expect(await readFile(join(directory, 'version.txt'), 'utf8')).toBe('one');
    expect(gitRequests(from).map((request) => request.headers.authorization)).toContain(
      basicAuthorization(credentials),
    );
  });
});
