/**
 * Which commit a ref names on a remote, asked with `git ls-remote` (no repository needed, nothing fetched).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, type GitCredentials, isCommitSha } from '../core/index.ts';
import { credentialSecrets, gitEnvironment } from './git-environment.ts';
import { gitFailed } from './git-failure.ts';
import { checkRef, checkRemote } from './input-checks.ts';
import { runGit } from './run-git.ts';

/** Two lines are expected; more than this is not an answer about one ref. */
const MAX_LS_REMOTE_BYTES = 64 * 1024;

export interface RemoteRefsOptions {
  /** The directory git runs in (made when missing); its parents are never searched for a repository. */
  workDir: string;
  timeoutMs: number;
}

/**
 * The object `ref` names, peeled: `ls-remote` prints `<tag object> refs/tags/v1` and `<commit> refs/tags/v1^{}`
 * for an annotated tag, and the peeled line wins. Patterns are tail matches (`refs/heads/x` also matches
 * `refs/heads/a/refs/heads/x`), so only lines naming exactly `ref` count.
 */
export function peeledObject(listing: string, ref: string): string | null {
  let direct: string | null = null;
  for (const line of listing.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab === -1) continue;
    const [sha, name] = [line.slice(0, tab), line.slice(tab + 1)];
    if (name === `${ref}^{}`) return sha;
    if (name === ref) direct = sha;
  }
  return direct;
}

export async function resolveRemoteRef(
  options: RemoteRefsOptions,
  remote: string,
  ref: string,
  credentials: GitCredentials,
): Promise<string | null> {
  checkRemote(remote);
  checkRef(ref);
  await mkdir(options.workDir, { recursive: true });
  const output = await runGit({
    args: ['ls-remote', '--end-of-options', remote, ref, `${ref}^{}`],
    env: {
      ...gitEnvironment({ home: options.workDir, credentials }),
      // ls-remote works outside a repository; one found around workDir must not lend it its configuration.
      GIT_CEILING_DIRECTORIES: dirname(options.workDir),
    },
    cwd: options.workDir,
    timeoutMs: options.timeoutMs,
    maxStdoutBytes: MAX_LS_REMOTE_BYTES,
    secrets: credentialSecrets(credentials),
  });
  if (output.stdoutOverflowed)
    throw new AppError(
      'GIT_FAILED',
      `git ls-remote printed more than ${MAX_LS_REMOTE_BYTES} bytes about one ref: check the clone URL ${remote}`,
    );
  if (output.exitCode !== 0) throw gitFailed('git ls-remote', remote, output);
  const sha = peeledObject(output.stdout.toString('utf8'), ref);
  if (sha !== null && !isCommitSha(sha))
    throw new AppError(
      'GIT_FAILED',
      `git ls-remote answered an object name that is not one: check the clone URL ${remote}`,
    );
  return sha;
}
