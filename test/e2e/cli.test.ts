import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, startSidecarProcess } from '../support/sidecar-process.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const LAUNCHER = join(REPO_ROOT, 'bin/drone-gogs.js');

/**
 * The machine's own Node, the first `node` on PATH outside node_modules, and older than the CLI needs (v20
 * here), so that bin/drone-gogs.js hands over to the project's Node.
 */
function systemNode(): string {
  const node = (process.env.PATH ?? '')
    .split(':')
    .filter((folder) => folder !== '' && !folder.includes('node_modules'))
    .map((folder) => join(folder, 'node'))
    .find((path) => existsSync(path));
  if (node === undefined) throw new Error('no system Node.js on PATH to run the launcher with');
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 18))
    throw new Error(`${node} is Node ${version}: it would run the CLI itself, not hand over`);
  return node;
}

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
    const result = run(['version'], { PATH: '/usr/bin:/bin' }, systemNode(), [LAUNCHER]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('answers --help and a bad option through the real bin, on this Node and handed over from an older one', async () => {
    const env = { DRONE_GOGS_DATA_DIR: join(dir.path, 'data'), DRONE_GOGS_LISTEN: '127.0.0.1:0' };
    const hooks = run(['hooks', '--help'], env, process.execPath, [LAUNCHER]);
    expect(hooks).toMatchObject({ code: 0, stderr: '' });
    expect(hooks.stdout).toMatch(/^Usage:\n {2}drone-gogs hooks rotate/);
    const serve = run(['serve', '-h'], env, systemNode(), [LAUNCHER]);
    expect(serve).toMatchObject({ code: 0, stderr: '' });
    expect(serve.stdout).toMatch(/^Usage: drone-gogs serve\n/);
    const bogus = run(['exec', '--bogus'], env, systemNode(), [LAUNCHER]);
    expect(bogus).toMatchObject({ code: 2, stdout: '' });
    expect(bogus.stderr).toMatch(/^drone-gogs: unknown option --bogus\n\nUsage: drone-gogs exec /);
    expect(bogus.stderr).not.toMatch(/^\s+at /m);
    expect(await readdir(dir.path)).toEqual([]);
  }, 90_000);
});

/** bin/drone-gogs.js on the machine's older Node: the server it hands over to stops with it. */
describe('bin/drone-gogs.js passes signals on', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let servers: number[] = [];
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    // A server the launcher left running would hold its port and the temp dir.
    for (const pid of servers) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    servers = [];
    await dir.remove();
  });

  function isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw error;
    }
  }

  function accepts(port: number): Promise<boolean> {
    return new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
  }

  async function serveThroughLauncher() {
    const sidecar = await startSidecarProcess({
      cwd: dir.path,
      env: { DRONE_GOGS_DATA_DIR: join(dir.path, 'data') },
      launcher: { node: systemNode(), script: LAUNCHER },
    });
    const launcher = sidecar.child.pid ?? 0;
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    servers.push(...children);
    expect(children).toHaveLength(1);
    const exit = once(sidecar.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    return { sidecar, server: children[0] ?? 0, exit, port: Number(new URL(sidecar.url).port) };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the launcher stops the server it started; the launcher exits with the server's status`, async () => {
      const { sidecar, server, exit, port } = await serveThroughLauncher();
      expect(await accepts(port)).toBe(true);
      const closed = once(sidecar.child, 'close');
      sidecar.child.kill(signal);
      const [code, killedBy] = await exit;
      expect({ code, killedBy }).toEqual({ code: 0, killedBy: null });
      expect(isAlive(server)).toBe(false);
      expect(await accepts(port)).toBe(false);
      await closed;
      expect(sidecar.output()).toContain(`serve: ${signal} received, stopping`);
      expect(sidecar.output()).toContain('serve: stopped');
    });
  }

  it('dies of the signal that killed the server', async () => {
    const { server, exit } = await serveThroughLauncher();
    process.kill(server, 'SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);
  });
});
