/**
 * The clone read from the trigger's git cache: the same workspace as a clone from the remote (files, HEAD,
 * .git/config, shallow boundary) without asking the remote, the remote again when the cache lacks the commit or
 * its file contents, and no credentials in the cache or the workspace.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitRemote, repositoryCacheKey } from '../../sidecar/core/index.ts';
import { basicAuthorization, createGitRemote } from '../../sidecar/git/index.ts';
import { checkoutCommit, type GitCheckout } from '../../sidecar/runner/git-checkout.ts';
import { createGitCli, type GitCli, type GogsDouble, startGogsDouble } from '../support/gogs-double/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const PASSWORD = 'pa55-word-of-carol';
const credentials = { username: 'carol', password: PASSWORD };
const cacheKey = repositoryCacheKey({ gogsId: 7 });
let gogs: GogsDouble;
let cli: GitCli;
let git: GitRemote;
let cloneUrl: string;
let firstSha: string;
let secondSha: string;
let scratch: { path: string; remove: () => Promise<void> };
let checkouts = 0;

const push = (files: Record<string, string>, message: string) =>
  gogs.pushCommit({ owner: 'carol', name: 'app', branch: 'master', files, message });

beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-clone-cache-');
  cli = await createGitCli();
  gogs = await startGogsDouble();
  gogs.addUser({ username: 'carol', password: PASSWORD });
  ({ cloneUrl } = await gogs.createRepo({
    owner: 'carol',
    name: 'app',
    private: true,
    files: { 'README.md': 'hi\n', 'src/a.txt': 'a\n' },
  }));
  firstSha = (await push({ 'version.txt': 'one\n' }, 'one')).sha;
  secondSha = (await push({ 'version.txt': 'two\n', 'src/b.txt': 'b\n' }, 'two')).sha;
  git = createGitRemote({ cacheDir: join(scratch.path, 'git-cache') });
  // What the trigger does for a push: the changed paths, which fetch the commits into the cache.
  await git.changedPaths({
    cacheKey,
    remote: cloneUrl,
    credentials,
    from: firstSha,
    to: secondSha,
    mergeBase: false,
  });
});
afterAll(async () => {
  await gogs?.close();
  await cli?.cleanup();
  await scratch?.remove();
});

/** Requests the double received for the repository's git endpoints since `from`. */
const gitRequests = (from: number) =>
  gogs
    .requests()
    .slice(from)
    .filter((request) => request.url.startsWith('/carol/app.git/'));

async function checkout(fields: Partial<GitCheckout>) {
  const directory = join(scratch.path, `checkout-${++checkouts}`);
  await mkdir(directory);
  const notes: string[] = [];
  const before = gogs.requests().length;
  await checkoutCommit({
    directory,
    remote: cloneUrl,
    ref: 'refs/heads/master',
    sha: secondSha,
    depth: 1,
    retries: 0,
    skipVerify: false,
    trusted: false,
    credentials,
    note: (line) => notes.push(line),
    signal: new AbortController().signal,
    ...fields,
  });
  return { directory, notes, remoteRequests: gitRequests(before).length };
}

/** What a step sees of a workspace, read with git and from the files themselves. */
async function workspaceOf(directory: string) {
  const inside = async (args: string[]) => (await cli.run(args, directory)).output;
  return {
    head: await inside(['symbolic-ref', 'HEAD']),
    commit: await inside(['rev-parse', 'HEAD']),
    tree: await inside(['ls-tree', '-r', '--full-tree', 'HEAD']),
    files: await inside(['ls-files', '--stage']),
    status: await inside(['status', '--porcelain', '--ignored']),
    log: await inside(['log', '--format=%H %s']),
    config: await readFile(join(directory, '.git', 'config'), 'utf8'),
    shallow: await readFile(join(directory, '.git', 'shallow'), 'utf8').catch(() => ''),
    version: await readFile(join(directory, 'version.txt'), 'utf8'),
  };
}

/** Every file under `directory`, .git included, as one string. */
async function everyFile(directory: string): Promise<string> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'latin1')))).join('\n');
}

describe('clone from the git cache', () => {
  it.each([1, 0])(
    'gives the workspace a clone from the remote gives, without asking it (depth %i)',
    async (depth) => {
      const fromRemote = await checkout({ depth });
      const fromCache = await checkout({ depth, cache: git.cachedRepository(cacheKey) });

      expect(fromRemote.remoteRequests).toBeGreaterThan(0);
      expect(fromCache.remoteRequests).toBe(0);
      expect(fromCache.notes.join('\n')).toContain('from the local cache');
      const cached = await workspaceOf(fromCache.directory);
      expect(cached).toEqual(await workspaceOf(fromRemote.directory));
      expect(cached.config).toContain(`url = ${cloneUrl}`);
      expect(cached.commit.trim()).toBe(secondSha);
      expect(cached.head.trim()).toBe('refs/heads/master');
      expect(cached.version).toBe('two\n');
      expect(cached.shallow.trim()).toBe(depth === 1 ? secondSha : '');
    },
  );

  it('fetches from the remote when the cache does not hold the commit', async () => {
    const { sha: thirdSha } = await push({ 'version.txt': 'three\n' }, 'three');
    const fromCache = await checkout({ sha: thirdSha, cache: git.cachedRepository(cacheKey) });
    const fromRemote = await checkout({ sha: thirdSha });

    expect(fromCache.remoteRequests).toBeGreaterThan(0);
    expect(fromCache.notes.join('\n')).toContain('not in the local cache');
    expect(await workspaceOf(fromCache.directory)).toEqual(await workspaceOf(fromRemote.directory));
    expect((await workspaceOf(fromCache.directory)).version).toBe('three\n');
  });

  it('fetches from the remote when the cache holds the commit without its file contents', async () => {
    // A blob-less cache, as a server that honours --filter=blob:none leaves it.
    const source = (await checkout({ depth: 0 })).directory;
    await cli.run(['config', 'uploadpack.allowFilter', 'true'], source);
    const partial = join(scratch.path, 'partial.git');
    await cli.run(['init', '-q', '--bare', partial]);
    await cli.run(['config', 'remote.origin.promisor', 'true'], partial);
    await cli.run(['config', 'remote.origin.partialclonefilter', 'blob:none'], partial);
    const fetched = await cli.run(
      [
        '-c',
        'protocol.file.allow=always',
        'fetch',
        '-q',
        '--filter=blob:none',
        `file://${source}`,
        `+${secondSha}:refs/tips/x`,
      ],
      partial,
    );
    expect(fetched.code).toBe(0);
    const missing = await cli.run(['rev-list', '--objects', '--missing=print', secondSha], partial);
    expect(missing.output).toMatch(/^\?[0-9a-f]{40}/m);

    const fromCache = await checkout({ cache: partial });
    expect(fromCache.remoteRequests).toBeGreaterThan(0);
    expect(fromCache.notes.join('\n')).toContain('not in the local cache');
    expect(await workspaceOf(fromCache.directory)).toEqual(await workspaceOf((await checkout({})).directory));
  });

  it('keeps the credentials out of the cache and out of the workspace', async () => {
    const fromCache = await checkout({ depth: 0, cache: git.cachedRepository(cacheKey) });
    const basic = basicAuthorization(credentials).slice('Basic '.length);
    for (const [where, directory] of [
      ['cache', git.cachedRepository(cacheKey)],
      ['workspace', fromCache.directory],
    ] as const) {
      const text = await everyFile(directory);
      expect({
        where,
        password: text.includes(PASSWORD),
        basic: text.includes(basic),
        header: /extraheader|authorization/i.test(text),
      }).toEqual({ where, password: false, basic: false, header: false });
      // The evidence is real: both hold the commit's objects.
      expect(text.length).toBeGreaterThan(1000);
    }
    // Nor does the log name the host's cache path.
    expect(fromCache.notes.join('\n')).not.toContain(scratch.path);
  });
  it('waits for a fetch into the cache under way, and then reads the commit from it', async () => {
    const third = (await push({ 'version.txt': 'three\n' }, 'three')).sha;
    // The trigger's fetch of the new commit, held at the remote until well after the clone has begun.
    gogs.injectFault({ match: (request) => request.path.endsWith('/git-upload-pack'), delayMs: 1500 });
    const fetching = git.changedPaths({
      cacheKey,
      remote: cloneUrl,
      credentials,
      from: secondSha,
      to: third,
      mergeBase: false,
    });
    const fromCache = await checkout({
      sha: third,
      cache: git.cachedRepository(cacheKey),
      cacheSettled: () => git.cacheSettled(cacheKey),
    });
    expect(await fetching).toEqual(['version.txt']);
    expect(fromCache.notes.join('\n')).toContain(`${third} from the local cache`);
    expect(fromCache.notes.join('\n')).not.toContain('not in the local cache');
    expect(await readFile(join(fromCache.directory, 'version.txt'), 'utf8')).toBe('three\n');
  });
});
