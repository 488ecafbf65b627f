import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../sidecar/config/index.ts';
import { isAppError } from '../../sidecar/core/index.ts';
import { openRunnerPool } from '../../sidecar/main.ts';
import { connectDocker, connectEngines } from '../../sidecar/runner/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { startTestEngine, type TestEngine } from '../support/docker-engine.ts';
import { startSshAgent, startSshd, type TestSshd } from '../support/sshd.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);

/** A logger that keeps its warnings and errors. */
function keptLogger(lines: string[] = []) {
  return createLogger({ format: 'text', level: 'warn', write: (line) => lines.push(line) });
}

function configError(connect: () => unknown): boolean {
  try {
    connect();
  } catch (error) {
    return isAppError(error, 'CONFIG_INVALID');
  }
  return false;
}

describe('connectDocker', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ tls: true });
  }, 120_000);
  afterAll(async () => {
    await engine?.dispose();
  }, 60_000);

  it('reaches the local engine by default and through a unix:// address', async () => {
    expect(await connectDocker().ping()).toBeTruthy();
    expect(await connectDocker('unix:///var/run/docker.sock').ping()).toBeTruthy();
  });

  it('reaches an engine over tcp with TLS, verifying it against the CA and showing the client certificate', async () => {
    const tls = engine.tls;
    if (tls === null) throw new Error('the test engine has no TLS address');
    const docker = connectDocker(tls.address, { tls });
    expect((await docker.version()).Os).toBe('linux');
    // Without TLS the engine refuses plain HTTP; with a CA that did not sign it the client refuses the engine.
    await expect(connectDocker(tls.address).ping()).rejects.toThrow();
    await expect(connectDocker(tls.address, { tls: { ...tls, ca: tls.cert } }).ping()).rejects.toThrow();
  });

  it('refuses addresses it cannot use and unreadable files, with a configuration error', () => {
    for (const address of ['ssh://user@host', 'ftp://host', 'not a url']) {
      expect(configError(() => connectDocker(address))).toBe(true);
    }
    // An ssh engine without pinned host keys (nor the INSECURE switch) is refused before any connection.
    expect(configError(() => connectDocker('ssh://user@host', { sshAgentSocket: '/run/agent.sock' }))).toBe(
      true,
    );
    const missing = { ca: '/nonexistent/ca.pem', cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' };
    expect(configError(() => connectDocker('tcp://127.0.0.1:2376', { tls: missing }))).toBe(true);
  });
});

describe("connectDocker over ssh, through a real sshd to this machine's dockerd", () => {
  let sshd: TestSshd;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let localEngineId: string;
  beforeAll(async () => {
    [sshd, dir] = await Promise.all([startSshd(), makeTempDir()]);
    localEngineId = (await connectDocker().info()).ID;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([sshd?.stop(), dir?.remove()]);
  }, 30_000);

  const pins = (...fingerprints: string[]) => ({ fingerprints, howToPin: 'pin it in the test' });

  it('reaches the engine when the host key presented is pinned', async () => {
    const docker = connectDocker(sshd.address, {
      sshIdentityFile: sshd.identityFile,
      sshHostKeys: pins(`SHA256:${'A'.repeat(43)}`, sshd.hostFingerprint),
    });
    expect((await docker.info()).ID).toBe(localEngineId);
  });

  it('refuses a host key that is not pinned, naming the key presented and how to pin it', async () => {
    const docker = connectDocker(sshd.address, {
      sshIdentityFile: sshd.identityFile,
      sshHostKeys: pins(`SHA256:${'A'.repeat(43)}`),
    });
    const error: unknown = await docker.info().catch((failure: unknown) => failure);
    expect(isAppError(error, 'SSH_HOST_KEY_UNKNOWN')).toBe(true);
    expect((error as Error).message).toBe(
      `ssh engine 127.0.0.1:${sshd.port} presented the host key ssh-ed25519 ${sshd.hostFingerprint}, which is not pinned; pin it in the test`,
    );
  });

  it('pins the keys ssh-keyscan -H wrote into DRONE_GOGS_SSH_KNOWN_HOSTS, or the engines file lists', async () => {
    const { stdout } = await run('ssh-keyscan', [
      '-H',
      '-t',
      'ed25519',
      '-p',
      String(sshd.port),
      '127.0.0.1',
    ]);
    expect(stdout).toMatch(/^\|1\|/);
    await writeFile(join(dir.path, 'known_hosts'), stdout);
    await writeFile(
      join(dir.path, 'engines.json'),
      JSON.stringify({
        engines: [
          { name: 'by-known-hosts', address: sshd.address, sshIdentityFile: sshd.identityFile },
          {
            name: 'by-engines-file',
            address: sshd.address,
            sshIdentityFile: sshd.identityFile,
            sshHostKeys: [sshd.hostPublicKey],
          },
        ],
      }),
    );
    const env = { DRONE_GOGS_ENGINES_FILE: 'engines.json', DRONE_GOGS_SSH_KNOWN_HOSTS: 'known_hosts' };
    const [byKnownHosts] = connectEngines(loadConfig(env, dir.path).runner.engines);
    expect(await byKnownHosts?.docker.ping()).toBeTruthy();

    // The same engines against an empty known_hosts: the first is down, saying what to run; the second is up.
    await writeFile(join(dir.path, 'empty_known_hosts'), '');
    const empty = loadConfig({ ...env, DRONE_GOGS_SSH_KNOWN_HOSTS: 'empty_known_hosts' }, dir.path);
    const warnings: string[] = [];
    const pool = openRunnerPool(empty, keptLogger(warnings));
    try {
      const [unknown, pinned] = await pool.checkEngines();
      expect(unknown).toMatchObject({ name: 'by-known-hosts', up: false });
      expect(unknown?.lastError).toContain(`presented the host key ssh-ed25519 ${sshd.hostFingerprint}`);
      expect(unknown?.lastError).toContain(
        `ssh-keyscan -H -p ${sshd.port} 127.0.0.1 >> ${join(dir.path, 'empty_known_hosts')}`,
      );
      expect(pinned).toMatchObject({ name: 'by-engines-file', up: true, lastError: null });
      // The warning says how to pin the key, not to check that dockerd runs.
      const down = warnings.filter((line) => line.includes('does not answer'));
      expect(down.join('\n')).toContain(sshd.hostFingerprint);
      expect(down.join('\n')).not.toContain('dockerd runs');
    } finally {
      pool.close();
    }
  });

  it('connects whatever the host key with DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY, warning when it connects', async () => {
    const agent = await startSshAgent(sshd.identityFile);
    const logged: string[] = [];
    const config = loadConfig(
      {
        DRONE_GOGS_DOCKER_HOST: sshd.address,
        DRONE_GOGS_SSH_KNOWN_HOSTS: join(dir.path, 'empty_known_hosts'),
        DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY: 'true',
        SSH_AUTH_SOCK: agent.socket,
      },
      dir.path,
    );
    const pool = openRunnerPool(config, keptLogger(logged));
    try {
      expect(logged).toEqual([expect.stringContaining('DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY is on')]);
      const [engine] = await pool.checkEngines();
      expect(engine).toMatchObject({ name: 'local', up: true, lastError: null });
    } finally {
      pool.close();
      await agent.stop();
    }
  });
});
