/**
 * The GIT_FAILED error of a git command that did not do its work: what ran, what git said last (already free of
 * the credentials, see runGit) and what the operator should check.
 */
import { AppError } from '../core/index.ts';
import type { GitOutput } from './run-git.ts';

/** How much of git's last words a message quotes. */
const MAX_QUOTED_CHARS = 600;

const REFUSED_CREDENTIALS =
  /authentication failed|could not read (username|password)|terminal prompts disabled|\b40[13]\b/i;
const NO_REPOSITORY = /not found|\b404\b|does not appear to be a git repository|repository .* not found/i;

function lastWords(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('warning: filtering not recognized'));
  const words = lines.slice(-3).join(' / ');
  return words.length > MAX_QUOTED_CHARS ? `…${words.slice(-MAX_QUOTED_CHARS)}` : words;
}

function whatToCheck(stderr: string, remote: string): string {
  if (REFUSED_CREDENTIALS.test(stderr))
    return `check that the sidecar's Gogs token may read the repository at ${remote}`;
  if (NO_REPOSITORY.test(stderr)) return `check the clone URL ${remote}`;
  return `check the clone URL ${remote}, that Gogs answers there and that the sidecar's Gogs token may read it`;
}

/** `command` says what ran (`git fetch`); `remote` is the checked clone URL. */
export function gitFailed(command: string, remote: string, output: GitOutput): AppError {
  const exit = output.exitCode === null ? 'was stopped' : `exited with ${output.exitCode}`;
  const said = lastWords(output.stderr);
  return new AppError(
    'GIT_FAILED',
    `${command} ${exit}${said === '' ? '' : ` (${said})`}: ${whatToCheck(output.stderr, remote)}`,
  );
}

/** GIT_FAILED for a command on the local cache, where the remote is not the one to blame. */
export function cacheFailed(command: string, cacheDir: string, output: GitOutput): AppError {
  const exit = output.exitCode === null ? 'was stopped' : `exited with ${output.exitCode}`;
  const said = lastWords(output.stderr);
  return new AppError(
    'GIT_FAILED',
    `${command} in the commit cache ${cacheDir} ${exit}${said === '' ? '' : ` (${said})`}: check the cache directory (it may be removed; it is refetched)`,
  );
}
