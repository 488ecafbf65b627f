/**
 * The paths `paths:` conditions look at, from git rather than from Gogs' payload (which stops listing files
 * early): `git diff-tree` between the two commits, or between the fork point and the head for a pull request.
 */
import { type ChangedPathsRequest, isCommitSha } from '../core/index.ts';
import { MAX_CHANGED_PATHS } from '../pipeline/index.ts';
import {
  type CommitCache,
  fetchCommits,
  missingCommits,
  openCommitCache,
  runInCache,
} from './commit-cache.ts';
import { cacheFailed } from './git-failure.ts';
import { checkCacheKey, checkCommit, checkRef, checkRemote } from './input-checks.ts';
import type { KeyedQueue } from './keyed-queue.ts';
import { resolveRemoteRef } from './remote-refs.ts';

/**
 * More output than this and the paths count as too many, whatever their number: 10,000 paths of a kilobyte,
 * where real paths are tens of bytes.
 */
const MAX_DIFF_OUTPUT_BYTES = MAX_CHANGED_PATHS * 1024;
/** A new branch (`before` of a create) or a deleted one (`after` of a delete). */
const NO_COMMIT = /^0+$/;

export interface ChangedPathsOptions {
  cacheDir: string;
  timeoutMs: number;
  queue: KeyedQueue;
}

/** Refuses what must not reach git; false when a side is no commit (a branch created or deleted). */
function checkRequest(request: ChangedPathsRequest): boolean {
  checkCacheKey(request.cacheKey);
  checkRemote(request.remote);
  checkCommit(request.to, 'head');
  if (request.from === '' || NO_COMMIT.test(request.from)) return false;
  if (request.mergeBase && !isCommitSha(request.from)) checkRef(request.from);
  else checkCommit(request.from, 'base');
  return !NO_COMMIT.test(request.to);
}

/** The newest common ancestor, or null when the histories are unrelated. */
async function forkPoint(cache: CommitCache, target: string, head: string): Promise<string | null> {
  const output = await runInCache(cache, ['merge-base', '--end-of-options', target, head]);
  if (output.exitCode === 1 && output.stdout.length === 0) return null;
  if (output.exitCode !== 0) throw cacheFailed('git merge-base', cache.gitDir, output);
  return output.stdout.toString('utf8').trim();
}

/** Both names of a rename count (--no-renames); paths are NUL-separated, since they may hold newlines. */
async function pathsBetween(cache: CommitCache, from: string, to: string): Promise<string[] | null> {
  const output = await runInCache(
    cache,
    ['diff-tree', '-r', '-z', '--name-only', '--no-renames', '--end-of-options', from, to],
    { maxStdoutBytes: MAX_DIFF_OUTPUT_BYTES },
  );
  if (output.stdoutOverflowed) return null;
  if (output.exitCode !== 0) throw cacheFailed('git diff-tree', cache.gitDir, output);
  const paths = output.stdout.toString('utf8').split('\0');
  paths.pop();
  return paths.length > MAX_CHANGED_PATHS ? null : paths;
}

export async function changedPathsOf(
  options: ChangedPathsOptions,
  request: ChangedPathsRequest,
): Promise<string[] | null> {
  if (!checkRequest(request)) return null;
  const { cacheKey, remote, credentials, to } = request;
  const from = isCommitSha(request.from)
    ? request.from
    : await resolveRemoteRef(
        { workDir: options.cacheDir, timeoutMs: options.timeoutMs },
        remote,
        request.from,
        credentials,
      );
  if (from === null) return null;
  // Only the fetch holds the cache's queue: reading the fetched commits does not keep the clone waiting.
  const cache = await options.queue.run(cacheKey, async () => {
    const opened = await openCommitCache(options.cacheDir, cacheKey, options.timeoutMs);
    const missing = await missingCommits(opened, [to, from]);
    if (missing.length > 0 && !(await fetchCommits(opened, remote, credentials, missing))) return null;
    return opened;
  });
  if (cache === null) return null;
  const base = request.mergeBase ? await forkPoint(cache, from, to) : from;
  return base === null ? null : pathsBetween(cache, base, to);
}
