/**
 * A bare repository per cache key holding the commits and trees of one remote, so that changed paths are
 * computed by git itself. It is a partial clone (`--filter=blob:none`): no file contents, where the server
 * allows filtering (`uploadpack.allowFilter`); a server that does not sends them anyway and git says so.
 *
 * Several processes may share a cache directory, so nothing here relies on being alone:
 * - a repository appears whole or not at all: it is made under a temporary name and renamed into place; the
 *   loser of a race removes its own and uses the winner's;
 * - its configuration is written once, at creation; fetches write none (the promisor remote is registered up
 *   front, the URL and credentials come in the environment), FETCH_HEAD is not written and gc never runs;
 * - objects arrive as packs git renames into place; the refs a fetch updates are waited for when another
 *   process holds their lock (core.filesRefLockTimeout) and a fetch that still lost a lock is tried again.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitCredentials } from '../core/index.ts';
import { credentialSecrets, gitEnvironment } from './git-environment.ts';
import { cacheFailed, gitFailed } from './git-failure.ts';
import { type GitOutput, runGit } from './run-git.ts';

/** Set once at creation; every value is ours, none comes from a request. */
const CACHE_CONFIG: readonly (readonly [string, string])[] = [
  // A partial clone: objects missing on purpose are promised by the remote named origin.
  ['core.repositoryformatversion', '1'],
  ['remote.origin.promisor', 'true'],
  ['remote.origin.partialclonefilter', 'blob:none'],
  ['core.hooksPath', '/dev/null'],
  // Fetched commits are kept even when no ref points at them any more.
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  // Another process may be updating the same ref: wait for its lock rather than fail at once.
  ['core.filesRefLockTimeout', '10000'],
  ['core.packedRefsTimeout', '10000'],
];

/** Fetches that lost a lock to another process are tried this many times in all. */
const FETCH_ATTEMPTS = 3;
const LOCK_CONFLICT = /cannot lock ref|unable to create '.*\.lock'|could not lock|is at .* but expected/i;
/** The remote does not have the commit (v2 `not our ref`; v0 servers refuse unadvertised objects). */
const NOT_ON_REMOTE = /not our ref|unadvertised object|couldn't find remote ref|no such remote ref/i;
/** Output of local commands is a few lines per commit asked about. */
const MAX_LOCAL_OUTPUT_BYTES = 64 * 1024;

export interface CommitCache {
  /** The bare repository. */
  readonly gitDir: string;
  readonly timeoutMs: number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** git on the cache alone: no credentials, no remote URL, so nothing can be fetched behind our back. */
export function runInCache(
  cache: CommitCache,
  args: readonly string[],
  options: { input?: string; maxStdoutBytes?: number } = {},
): Promise<GitOutput> {
  return runGit({
    args,
    env: { ...gitEnvironment({ home: cache.gitDir, credentials: null }), GIT_DIR: cache.gitDir },
    cwd: cache.gitDir,
    timeoutMs: cache.timeoutMs,
    maxStdoutBytes: options.maxStdoutBytes ?? MAX_LOCAL_OUTPUT_BYTES,
    input: options.input,
  });
}

/** Where the cache of `cacheKey` (already checked) lives under `cacheDir`. */
export function commitCachePath(cacheDir: string, cacheKey: string): string {
  return join(cacheDir, `${cacheKey}.git`);
}

/** The cache of `cacheKey` (already checked) under `cacheDir`, made on first use. */
export async function openCommitCache(
  cacheDir: string,
  cacheKey: string,
  timeoutMs: number,
): Promise<CommitCache> {
  const cache = { gitDir: commitCachePath(cacheDir, cacheKey), timeoutMs };
  if (await exists(cache.gitDir)) return cache;
  await mkdir(cacheDir, { recursive: true });
  // Not a valid cache key (those start with a letter or digit), so never another key's repository.
  const draft = { gitDir: join(cacheDir, `.draft-${cacheKey}-${randomBytes(6).toString('hex')}`), timeoutMs };
  try {
    const init = await runGit({
      args: ['init', '--bare', '--quiet', '--template=', '--end-of-options', draft.gitDir],
      env: gitEnvironment({ home: cacheDir, credentials: null }),
      cwd: cacheDir,
      timeoutMs,
      maxStdoutBytes: MAX_LOCAL_OUTPUT_BYTES,
    });
    if (init.exitCode !== 0) throw cacheFailed('git init', draft.gitDir, init);
    for (const [key, value] of CACHE_CONFIG) {
      const set = await runInCache(draft, ['config', key, value]);
      if (set.exitCode !== 0) throw cacheFailed('git config', draft.gitDir, set);
    }
    await rename(draft.gitDir, cache.gitDir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process made it first; its repository is as good as ours.
      if ((error.code === 'ENOTEMPTY' || error.code === 'EEXIST') && (await exists(cache.gitDir))) return;
      throw error;
    });
  } finally {
    await rm(draft.gitDir, { recursive: true, force: true });
  }
  return cache;
}

/** The commits of `shas` the cache does not hold. A commit held comes with its history: fetches are whole. */
export async function missingCommits(cache: CommitCache, shas: readonly string[]): Promise<string[]> {
  const check = await runInCache(cache, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    input: `${shas.join('\n')}\n`,
  });
  if (check.exitCode !== 0) throw cacheFailed('git cat-file', cache.gitDir, check);
  const held = new Set(
    check.stdout
      .toString('utf8')
      .split('\n')
      .filter((line) => line.endsWith(' commit'))
      .map((line) => line.slice(0, line.indexOf(' '))),
  );
  return [...new Set(shas)].filter((sha) => !held.has(sha));
}

/**
 * Where a fetched commit is kept as a ref: one of 256 tips picked by its first byte. The tips give the next
 * fetch something to negotiate from (without refs git would ask for the whole history again); a tip moved on
 * leaves its old commit in the cache, unreferenced but kept.
 */
function tipRefspecs(shas: readonly string[]): string[] {
  const taken = new Set<string>();
  return shas.map((sha) => {
    const tip = `refs/drone-gogs/tips/${sha.slice(0, 2)}`;
    if (taken.has(tip)) return sha;
    taken.add(tip);
    return `+${sha}:${tip}`;
  });
}

/**
 * Fetches `shas` (checked commit names) with their history but no file contents. False when the remote does
 * not have one of them; throws GIT_FAILED when it cannot be asked.
 */
export async function fetchCommits(
  cache: CommitCache,
  remote: string,
  credentials: GitCredentials,
  shas: readonly string[],
): Promise<boolean> {
  let wanted = [...shas];
  for (let attempt = 1; ; attempt++) {
    const fetch = await runGit({
      args: [
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        '--no-auto-maintenance',
        '--no-write-commit-graph',
        '--filter=blob:none',
        '--end-of-options',
        'origin',
        ...tipRefspecs(wanted),
      ],
      env: {
        ...gitEnvironment({ home: cache.gitDir, credentials, config: { 'remote.origin.url': remote } }),
        GIT_DIR: cache.gitDir,
      },
      cwd: cache.gitDir,
      timeoutMs: cache.timeoutMs,
      maxStdoutBytes: MAX_LOCAL_OUTPUT_BYTES,
      secrets: credentialSecrets(credentials),
    });
    if (fetch.exitCode === 0) return true;
    if (NOT_ON_REMOTE.test(fetch.stderr)) return false;
    if (attempt >= FETCH_ATTEMPTS || !LOCK_CONFLICT.test(fetch.stderr))
      throw gitFailed('git fetch', remote, fetch);
    // The objects may well have arrived before the ref update lost its lock.
    wanted = await missingCommits(cache, wanted);
    if (wanted.length === 0) return true;
  }
}
