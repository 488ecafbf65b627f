/**
 * What git/ refuses before any git runs. Refs and commits come from pushers, the remote and the cache key from
 * the sidecar's records: each is checked here, so that whatever reaches git's command line after
 * `--end-of-options` is a well-formed name and never an option, a path or another transport.
 */
import { AppError, buildRefProblem, commitShaProblem } from '../core/index.ts';
import { MAX_REF_CHARS } from '../pipeline/index.ts';

/** Longer than any clone URL Gogs makes. */
const MAX_REMOTE_CHARS = 2048;
/** A cache key names one directory under the cache: a repository id, `owner-name`, never a path. */
const CACHE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** How much of a refused value a message shows. */
const SHOWN_CHARS = 200;

function refused(what: string): AppError {
  return new AppError('BAD_REQUEST', `refusing to run git: ${what}`);
}

/** A value as a message shows it: quoted, and cut short when long. */
function quoted(value: string): string {
  return value.length > SHOWN_CHARS
    ? `${JSON.stringify(value.slice(0, SHOWN_CHARS))}…`
    : JSON.stringify(value);
}

/** The clone URL, which must be http(s) with no credentials in it (they travel as a header, never in config). */
export function checkRemote(remote: string): void {
  if (remote.length > MAX_REMOTE_CHARS)
    throw refused(`the remote is longer than ${MAX_REMOTE_CHARS} characters`);
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    throw refused(`the remote ${quoted(remote)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw refused(`the remote must be an http(s) clone URL, not ${quoted(url.protocol)}`);
  if (url.username !== '' || url.password !== '')
    throw refused('the remote URL carries credentials; pass them as credentials instead');
  // new URL() accepts and strips some control characters; git must get exactly what was checked.
  if (/[\u0000-\u0020\u007f]/.test(remote))
    throw refused('the remote URL contains spaces or control characters');
}

export function checkRef(ref: string): void {
  if (ref.length > MAX_REF_CHARS)
    throw refused(`the ref ${quoted(ref)} is longer than ${MAX_REF_CHARS} characters`);
  const problem = buildRefProblem(ref);
  if (problem !== null) throw refused(`the ref ${quoted(ref)} ${problem}`);
}

export function checkCommit(sha: string, role: string): void {
  const problem = commitShaProblem(sha);
  if (problem !== null) throw refused(`the ${role} commit ${quoted(sha)}: ${problem}`);
}

export function checkCacheKey(cacheKey: string): void {
  if (!CACHE_KEY.test(cacheKey))
    throw refused(
      `the cache key ${quoted(cacheKey)} is not 1-128 letters, digits, ".", "_" or "-" starting with a letter or digit`,
    );
}
