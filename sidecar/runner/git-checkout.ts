/**
 * The clone step's work, done on the runner's host: fetch one ref of the repository into a fresh directory and
 * check out the exact commit, the way drone/git does (spec §11) minus the pull request merge. Credentials go to
 * git as an HTTP header through GIT_CONFIG_* variables: not in arguments, not in .git/config, and the caller
 * masks them in the log. The ref and the commit come from pushers: they are checked first, and git reads every
 * argument derived from them after `--end-of-options`, so none of them can ever be read as an option.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, buildRefProblem, commitShaProblem } from '../core/index.ts';
import { gitEnvironment } from '../git/index.ts';

export interface GitCheckout {
  directory: string;
  remote: string;
  ref: string;
  sha: string;
  depth: number;
  retries: number;
  /** `clone: skip_verify`: TLS is not verified. Honoured with credentials for trusted repositories only. */
  skipVerify: boolean;
  /** The repository may use trusted-only settings (`repo set --trusted`). */
  trusted: boolean;
  credentials: { username: string; password: string } | null;
  /**
   * A bare repository on this host that may hold the commit already (the trigger's git cache): the commit is
   * fetched from it without credentials, and from `remote` when it cannot be (not there, file contents left out).
   * Never a path a pusher chose.
   */
  cache?: string;
  /** Waited for before the cache is read: a fetch into it may be under way. */
  cacheSettled?: () => Promise<void>;
  /** Receives the commands (`+ git fetch ...`) and git's output, line by line. */
  note: (line: string) => void;
  signal: AbortSignal;
}

/** The credentials git may send: never over a connection whose TLS an untrusted pipeline chose not to verify. */
function usableCredentials(checkout: GitCheckout): GitCheckout['credentials'] {
  return checkout.skipVerify && !checkout.trusted ? null : checkout.credentials;
}

function checkoutEnvironment(checkout: GitCheckout): Record<string, string> {
  return gitEnvironment({
    home: checkout.directory,
    credentials: usableCredentials(checkout),
    skipVerify: checkout.skipVerify,
  });
}

/** For the fetch from the local cache alone: no credentials, and the local transport as the only one. */
function cacheEnvironment(checkout: GitCheckout): Record<string, string> {
  return { ...gitEnvironment({ home: checkout.directory, credentials: null }), GIT_ALLOW_PROTOCOL: 'file' };
}

async function git(
  checkout: GitCheckout,
  args: string[],
  env: Record<string, string> = checkoutEnvironment(checkout),
): Promise<void> {
  checkout.note(`+ git ${args.join(' ')}`);
  await quietGit(checkout, args, env, (line) => checkout.note(line));
}

function quietGit(
  checkout: GitCheckout,
  args: string[],
  env: Record<string, string>,
  output: (line: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: checkout.directory,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: checkout.signal,
    });
    let pending = '';
    const onData = (data: Buffer) => {
      const lines = (pending + data.toString()).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line !== '') output(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') output(pending);
      if (code === 0) resolve();
      else reject(new Error(`git ${args[0]} exited with ${code}`));
    });
  });
}

async function withRetries(checkout: GitCheckout, args: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await git(checkout, args);
    } catch (error) {
      if (attempt >= checkout.retries || checkout.signal.aborted) throw error;
    }
  }
}

async function initialize(checkout: GitCheckout): Promise<void> {
  await git(checkout, ['init', '-q', '.']);
  await git(checkout, ['remote', 'add', '--end-of-options', 'origin', checkout.remote]);
}

/**
 * The commit from the local cache, as a fetch from the remote would have brought it (the same depth, no tags,
 * no ref written): true when it arrived. Its output stays out of the log (it would name the host's paths); on
 * failure the repository is made again, so that nothing of the attempt remains, and false says to use the remote.
 */
async function fetchFromCache(checkout: GitCheckout, depth: string[]): Promise<boolean> {
  if (checkout.cache === undefined || checkout.sha === '') return false;
  await checkout.cacheSettled?.();
  const args = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', ...depth, '--end-of-options'];
  try {
    await quietGit(checkout, [...args, checkout.cache, checkout.sha], cacheEnvironment(checkout), () => {});
    checkout.note(`${['+ git fetch --no-tags', ...depth].join(' ')} (${checkout.sha} from the local cache)`);
    return true;
  } catch {
    if (checkout.signal.aborted) throw checkout.signal.reason;
    checkout.note('drone-gogs: the commit is not in the local cache whole; fetching it from the remote');
    await rm(join(checkout.directory, '.git'), { recursive: true, force: true });
    await initialize(checkout);
    return false;
  }
}

/** Why git must not be given this ref and commit, or null. */
function inputProblem(checkout: GitCheckout): string | null {
  const refProblem = buildRefProblem(checkout.ref);
  if (refProblem !== null) return `the ref ${JSON.stringify(checkout.ref)} ${refProblem}`;
  const shaProblem = checkout.sha === '' ? null : commitShaProblem(checkout.sha);
  if (shaProblem !== null) return `the commit ${JSON.stringify(checkout.sha)}: ${shaProblem}`;
  return null;
}

export async function checkoutCommit(checkout: GitCheckout): Promise<void> {
  const problem = inputProblem(checkout);
  if (problem !== null) throw new AppError('BAD_REQUEST', `refusing to clone: ${problem}`);
  if (checkout.credentials !== null && usableCredentials(checkout) === null)
    checkout.note(
      'drone-gogs: clone without credentials: skip_verify needs a trusted repository to send them',
    );
  const depth = checkout.depth > 0 ? [`--depth=${checkout.depth}`] : [];
  await initialize(checkout);
  if (!(await fetchFromCache(checkout, depth))) {
    await withRetries(checkout, [
      'fetch',
      '--no-tags',
      ...depth,
      '--end-of-options',
      'origin',
      `+${checkout.ref}:`,
    ]);
  }
  const branch = checkout.ref.startsWith('refs/heads/') ? checkout.ref.slice('refs/heads/'.length) : null;
  const target = checkout.sha === '' ? 'FETCH_HEAD' : checkout.sha;
  // git switch, not checkout: git 2.39's checkout reads --end-of-options as a path.
  const switchArgs = [
    'switch',
    '-q',
    '--discard-changes',
    ...(branch === null ? ['--detach'] : [`--force-create=${branch}`]),
    '--end-of-options',
    target,
  ];
  try {
    await git(checkout, switchArgs);
  } catch (error) {
    // A shallow fetch may not reach the commit when the branch moved on since the push.
    if (checkout.sha === '' || depth.length === 0) throw error;
    await withRetries(checkout, ['fetch', '--no-tags', '--end-of-options', 'origin', checkout.sha]);
    await git(checkout, switchArgs);
  }
}
