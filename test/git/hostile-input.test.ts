/**
 * What pushers and records hand git/ that must never become an option, a path or another transport, and the
 * credentials that must never be written down: refused before git runs (the double sees no request, the
 * cache directory stays empty), and nothing of the token in any file of the cache after a fetch with it.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitRemote } from '../../sidecar/core/index.ts';
import { basicAuthorization, createGitRemote } from '../../sidecar/git/index.ts';
import { type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let gogs: GogsDouble;
let scratch: { path: string; remove: () => Promise<void> };
let cacheDir: string;
let git: GitRemote;
let remote: string;
let token: string;
let before: string;
let after: string;
let marker: string;

beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-git-hostile-');
  marker = join(scratch.path, 'upload-pack-ran');
  cacheDir = join(scratch.path, 'cache');
  gogs = await startGogsDouble();
  ({ token } = gogs.addUser({ username: 'alice', password: 'alice-password' }));
  ({ cloneUrl: remote } = await gogs.createRepo({
    owner: 'alice',
    name: 'secret',
    private: true,
    files: { 'a.txt': 'a\n' },
  }));
  ({ before, sha: after } = await gogs.pushCommit({
    owner: 'alice',
    name: 'secret',
    branch: 'master',
    files: { 'b.txt': 'b\n' },
    message: 'b',
  }));
  git = createGitRemote({ cacheDir });
});
afterAll(async () => {
  await gogs?.close();
  await scratch?.remove();
});

const credentials = () => ({ username: token, password: '' });

/** Every file under `directory` as one string, or '' when there is none. */
async function everyFile(directory: string): Promise<string> {
  if (!existsSync(directory)) return '';
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'latin1')))).join('\n');
}

/** Runs `call`, expecting BAD_REQUEST with `message`, and that no git reached the double or the cache. */
async function expectRefusedBeforeGit(call: () => Promise<unknown>, message: string) {
  const from = gogs.requests().length;
  const cacheBefore = existsSync(cacheDir) ? await readdir(cacheDir) : [];
  await expect(call()).rejects.toMatchObject({ code: 'BAD_REQUEST', message });
  expect(gogs.requests().slice(from)).toEqual([]);
  expect(existsSync(cacheDir) ? await readdir(cacheDir) : []).toEqual(cacheBefore);
  expect(existsSync(marker)).toBe(false);
}

const hostileRefs: [string, string][] = [
  [`--upload-pack=touch ${'/tmp/x'}`, 'starts with "-"'],
  ['-c', 'starts with "-"'],
  ['refs/heads/a..b', 'contains ".."'],
  ['refs/heads/-x', 'starts with "-"'],
  ['refs/heads/x y', 'contains " "'],
  ['refs/heads/*', 'contains "*"'],
  ['master', 'has a single component (expected refs/…)'],
];

describe('refs refused before git runs', () => {
  it.each(hostileRefs)('resolveRef refuses %j', async (ref, problem) => {
    await expectRefusedBeforeGit(
      () => git.resolveRef(remote, ref, credentials()),
      `refusing to run git: the ref ${JSON.stringify(ref)} ${problem}`,
    );
  });

  it.each(hostileRefs)('changedPaths refuses %j as the target of a pull request', async (ref, problem) => {
    await expectRefusedBeforeGit(
      () =>
        git.changedPaths({
          cacheKey: 'k',
          remote,
          credentials: credentials(),
          from: ref,
          to: after,
          mergeBase: true,
        }),
      `refusing to run git: the ref ${JSON.stringify(ref)} ${problem}`,
    );
  });

  it('refuses an --upload-pack that would run a command, with the marker path it would touch', async () => {
    const ref = `--upload-pack=touch ${marker};`;
    await expectRefusedBeforeGit(
      () => git.resolveRef(remote, ref, null),
      `refusing to run git: the ref ${JSON.stringify(ref)} starts with "-"`,
    );
  });

  it('shows a long refused ref cut short', async () => {
    const ref = `refs/heads/${'a'.repeat(300)} b`;
    await expectRefusedBeforeGit(
      () => git.resolveRef(remote, ref, null),
      `refusing to run git: the ref ${JSON.stringify(ref.slice(0, 200))}… contains " "`,
    );
  });
});

describe('commits, cache keys and remotes refused before git runs', () => {
  const sha = 'expected a full commit SHA (40 or 64 lowercase hex characters)';
  it.each([
    [{ to: '-c' }, `the head commit "-c": ${sha}`],
    [{ to: 'HEAD' }, `the head commit "HEAD": ${sha}`],
    [{ from: '--upload-pack=touch /tmp/x' }, `the base commit "--upload-pack=touch /tmp/x": ${sha}`],
    [{ from: 'AB'.repeat(20) }, `the base commit "${'AB'.repeat(20)}": ${sha}`],
    [{ from: 'refs/heads/master' }, `the base commit "refs/heads/master": ${sha}`],
  ])('changedPaths refuses %j', async (fields, problem) => {
    await expectRefusedBeforeGit(
      () =>
        git.changedPaths({
          cacheKey: 'k',
          remote,
          credentials: credentials(),
          from: before,
          to: after,
          mergeBase: false,
          ...fields,
        }),
      `refusing to run git: ${problem}`,
    );
  });

  it.each(['../outside', '.hidden', 'a/b', '', '-x', 'x'.repeat(129), 'a\nb'])(
    'changedPaths refuses the cache key %j',
    async (cacheKey) => {
      await expectRefusedBeforeGit(
        () =>
          git.changedPaths({
            cacheKey,
            remote,
            credentials: null,
            from: before,
            to: after,
            mergeBase: false,
          }),
        `refusing to run git: the cache key ${JSON.stringify(cacheKey.slice(0, 200))} is not 1-128 letters, digits, ".", "_" or "-" starting with a letter or digit`,
      );
    },
  );

  it.each([
    ['/srv/git/app.git', 'the remote "/srv/git/app.git" is not a URL'],
    ['file:///srv/git/app.git', 'the remote must be an http(s) clone URL, not "file:"'],
    ['ext::sh -c touch% /tmp/x', 'the remote must be an http(s) clone URL, not "ext:"'],
    ['--upload-pack=touch /tmp/x', 'the remote "--upload-pack=touch /tmp/x" is not a URL'],
    [
      'http://alice:pw@127.0.0.1/alice/app.git',
      'the remote URL carries credentials; pass them as credentials instead',
    ],
    ['http://127.0.0.1/alice/app.git\n', 'the remote URL contains spaces or control characters'],
  ])('refuses the remote %j', async (badRemote, problem) => {
    await expectRefusedBeforeGit(
      () => git.resolveRef(badRemote, 'refs/heads/master', null),
      `refusing to run git: ${problem}`,
    );
    await expectRefusedBeforeGit(
      () =>
        git.changedPaths({
          cacheKey: 'k',
          remote: badRemote,
          credentials: null,
          from: before,
          to: after,
          mergeBase: false,
        }),
      `refusing to run git: ${problem}`,
    );
  });
});

describe('credentials', () => {
  it('go to Gogs as a header and into no file of the cache', async () => {
    const from = gogs.requests().length;
    const paths = await git.changedPaths({
      cacheKey: 'secret-repo',
      remote,
      credentials: credentials(),
      from: before,
      to: after,
      mergeBase: false,
    });
    expect(paths).toEqual(['b.txt']);
    const authorization = basicAuthorization(credentials());
    const sent = gogs
      .requests()
      .slice(from)
      .map((request) => request.headers.authorization);
    expect(sent).toContain(authorization);

    const config = await readFile(join(cacheDir, 'secret-repo.git', 'config'), 'utf8');
    const files = await everyFile(cacheDir);
    expect(files).toContain(config);
    for (const evidence of [config, files]) {
      expect(evidence).not.toContain(token);
      expect(evidence).not.toContain(authorization.slice('Basic '.length));
      expect(evidence).not.toMatch(/extraheader|authorization/i);
      // Nor the URL: it comes with each fetch, so a cache never talks to a remote on its own.
      expect(evidence).not.toContain(remote);
    }
  });

  it('refused by Gogs make a GIT_FAILED whose message holds neither the token nor its base64', async () => {
    const wrong = { username: 'f'.repeat(40), password: 'wrong-password-of-alice' };
    for (const call of [
      () => git.resolveRef(remote, 'refs/heads/master', wrong),
      () =>
        git.changedPaths({
          cacheKey: 'wrong-credentials',
          remote,
          credentials: wrong,
          from: before,
          to: after,
          mergeBase: false,
        }),
    ]) {
      const failure = await call().catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'GIT_FAILED' });
      const message = (failure as Error).message;
      expect(message).toContain(`check that the sidecar's Gogs token may read the repository at ${remote}`);
      expect(message).not.toContain(wrong.username);
      expect(message).not.toContain(wrong.password);
      expect(message).not.toContain(basicAuthorization(wrong).slice('Basic '.length));
    }
  });
});
