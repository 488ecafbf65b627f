import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/sidecar-process.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/** The `drone-gogs` command as a user runs it: a real process, its exit code and what it prints. */
describe('drone-gogs CLI', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => dir.remove());

  function run(
    args: string[],
    env: Record<string, string> = {},
    command = process.execPath,
    prefix = [join(REPO_ROOT, 'sidecar/cli.ts')],
  ) {
    const result = spawnSync(command, [...prefix, ...args], {
      cwd: dir.path,
      env: { PATH: process.env.PATH ?? '', HOME: dir.path, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('prints help, and refuses an unknown command with exit code 2', () => {
    const help = run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('repo enable OWNER/NAME');
    const unknown = run(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
  });

  it('reports every bad setting at once and exits 1, without echoing secrets', () => {
    const result = run(['migrate'], {
      DRONE_GOGS_LISTEN: 'nope',
      DRONE_GOGS_GOGS_TOKEN: 'has spaces sekrit',
      DRONE_GOGS_DATABASE_URL: 'mysql://x',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DRONE_GOGS_LISTEN: expected host:port');
    expect(result.stderr).toContain('DRONE_GOGS_GOGS_TOKEN: expected a Gogs access token without spaces');
    expect(result.stderr).toContain('DRONE_GOGS_DATABASE_URL: expected file:PATH');
    expect(result.stderr).not.toContain('sekrit');
  });

  it('migrate creates the database and the secret key on embedded defaults', () => {
    const result = run(['migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `database at file://${join(dir.path, 'data', 'drone-gogs.db')} is up to date`,
    );
    expect(existsSync(join(dir.path, 'data', 'secret.key'))).toBe(true);
    expect(run(['migrate']).code).toBe(0);
  });

  it('repo list says how to begin when nothing is enabled', () => {
    const result = run(['repo', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('no repositories yet; enable one with `drone-gogs repo enable OWNER/NAME`\n');
  });

  it('bin/drone-gogs.js runs under an older Node by handing over to the project Node', () => {
    const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
    if (!systemNode) throw new Error('no system Node.js to run the launcher with');
    const result = run(['version'], { PATH: '/usr/bin:/bin' }, systemNode, [
      join(REPO_ROOT, 'bin/drone-gogs.js'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
