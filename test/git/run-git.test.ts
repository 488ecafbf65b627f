/**
 * The bounds every git command of git/ runs under: a cap on the output read, secrets out of what git said, and
 * an environment that is built, never inherited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, gitEnvironment } from '../../sidecar/git/index.ts';
import { runGit } from '../../sidecar/git/run-git.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let scratch: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  scratch = await makeTempDir('drone-gogs-run-git-');
});
afterAll(async () => {
  await scratch?.remove();
});

const command = (args: string[], fields: Partial<Parameters<typeof runGit>[0]> = {}) =>
  runGit({
    args,
    env: gitEnvironment({ home: scratch.path, credentials: null }),
    cwd: scratch.path,
    timeoutMs: 30_000,
    maxStdoutBytes: 1024 * 1024,
    ...fields,
  });

describe('runGit', () => {
  it('reads no more standard output than its cap', async () => {
    const whole = await command(['help', '-a']);
    expect(whole.exitCode).toBe(0);
    expect(whole.stdoutOverflowed).toBe(false);
    expect(whole.stdout.length).toBeGreaterThan(1000);

    const capped = await command(['help', '-a'], { maxStdoutBytes: 100 });
    expect(capped.stdoutOverflowed).toBe(true);
    expect(capped.stdout).toEqual(whole.stdout.subarray(0, 100));
  });

  it('takes the secrets it was given out of what git said', async () => {
    // Nothing listens on port 1: git fails at once and names the URL, secret included.
    const url = 'http://127.0.0.1:1/s3cr3t-in-the-path.git';
    const plain = await command(['ls-remote', '--end-of-options', url]);
    expect(plain.exitCode).toBe(128);
    expect(plain.stderr).toContain('s3cr3t-in-the-path');

    const redacted = await command(['ls-remote', '--end-of-options', url], {
      secrets: ['s3cr3t-in-the-path'],
    });
    expect(redacted.exitCode).toBe(128);
    expect(redacted.stderr).not.toContain('s3cr3t');
    expect(redacted.stderr).toContain('http://127.0.0.1:1/***.git');
  });
});

describe('gitEnvironment', () => {
  it('is the whole environment: no host configuration, no prompt, http(s) only, credentials as a header', () => {
    const credentials = { username: 'alice', password: 'pw' };
    expect(
      gitEnvironment({
        home: '/cache',
        credentials,
        config: { 'remote.origin.url': 'https://gogs.test/a.git' },
      }),
    ).toEqual({
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      HOME: '/cache',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      GIT_ALLOW_PROTOCOL: 'http:https',
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('alice:pw').toString('base64')}`,
      GIT_CONFIG_KEY_1: 'remote.origin.url',
      GIT_CONFIG_VALUE_1: 'https://gogs.test/a.git',
    });
    expect(basicAuthorization(credentials)).toBe(`Basic ${Buffer.from('alice:pw').toString('base64')}`);
  });

  it('skips TLS verification only when asked, and sends no header without credentials', () => {
    const environment = gitEnvironment({ home: '/w', credentials: null, skipVerify: true });
    expect(environment.GIT_SSL_NO_VERIFY).toBe('true');
    expect(
      Object.keys(environment).filter(
        (key) =>
          key.startsWith('GIT_CONFIG_') && key !== 'GIT_CONFIG_NOSYSTEM' && key !== 'GIT_CONFIG_GLOBAL',
      ),
    ).toEqual([]);
    expect(gitEnvironment({ home: '/w', credentials: null }).GIT_SSL_NO_VERIFY).toBeUndefined();
  });
});
