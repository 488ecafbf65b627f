/**
 * The clone step's work, done on the runner's host: fetch one ref of the repository into a fresh directory and
 * check out the exact commit, the way drone/git does (spec §11) minus the pull request merge. Credentials go to
 * git as an HTTP header through GIT_CONFIG_* variables: not in arguments, not in .git/config, and the caller
 * masks them in the log.
 */
import { spawn } from 'node:child_process';

export interface GitCheckout {
  directory: string;
  remote: string;
  ref: string;
  sha: string;
  depth: number;
  retries: number;
  skipVerify: boolean;
  credentials: { username: string; password: string } | null;
  /** Receives the commands (`+ git fetch ...`) and git's output, line by line. */
  note: (line: string) => void;
  signal: AbortSignal;
}

/** The Authorization header value git sends; the caller masks it along with the password. */
export function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function gitEnvironment(checkout: GitCheckout): Record<string, string> {
  const environment: Record<string, string> = {
    // Nothing from the sidecar's environment, the host's git configuration or credential helpers; never a prompt.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    HOME: checkout.directory,
    PATH: '/usr/local/bin:/usr/bin:/bin',
  };
  if (checkout.skipVerify) environment.GIT_SSL_NO_VERIFY = 'true';
  if (checkout.credentials !== null) {
    environment.GIT_CONFIG_COUNT = '1';
    environment.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    environment.GIT_CONFIG_VALUE_0 = `Authorization: ${basicAuthorization(checkout.credentials)}`;
  }
  return environment;
}

async function git(checkout: GitCheckout, args: string[]): Promise<void> {
  checkout.note(`+ git ${args.join(' ')}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: checkout.directory,
      env: gitEnvironment(checkout),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: checkout.signal,
    });
    let pending = '';
    const onData = (data: Buffer) => {
      const lines = (pending + data.toString()).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line !== '') checkout.note(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') checkout.note(pending);
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

export async function checkoutCommit(checkout: GitCheckout): Promise<void> {
  const depth = checkout.depth > 0 ? [`--depth=${checkout.depth}`] : [];
  await git(checkout, ['init', '-q', '.']);
  await git(checkout, ['remote', 'add', 'origin', checkout.remote]);
  await withRetries(checkout, ['fetch', '--no-tags', ...depth, 'origin', `+${checkout.ref}:`]);
  const branch = checkout.ref.startsWith('refs/heads/') ? checkout.ref.slice('refs/heads/'.length) : null;
  const target = checkout.sha === '' ? 'FETCH_HEAD' : checkout.sha;
  const checkoutArgs =
    branch === null ? ['checkout', '-qf', target] : ['checkout', '-qf', '-B', branch, target];
  try {
    await git(checkout, checkoutArgs);
  } catch (error) {
    // A shallow fetch may not reach the commit when the branch moved on since the push.
    if (checkout.sha === '' || depth.length === 0) throw error;
    await withRetries(checkout, ['fetch', '--no-tags', 'origin', checkout.sha]);
    await git(checkout, checkoutArgs);
  }
}
