import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig, insecureEngineWarnings, loadConfig } from '../../sidecar/config/index.ts';
import { makeSshKey } from '../support/sshd.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { problemsOf } from './config-problems.ts';

describe('runner settings', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  it('defaults to the local socket, two stages at once, 2 GiB, 2 CPUs, 10 MiB of log and an hour', () => {
    const { runner } = loadConfig({}, '/srv');
    expect(runner.engines).toEqual([{ name: 'local', address: '', capacity: 2 }]);
    expect(runner.step).toEqual({
      memoryBytes: 2 * 1024 ** 3,
      cpus: 2,
      pidsLimit: 4096,
      logLimitBytes: 10 * 1024 ** 2,
    });
    expect(runner.stageTimeoutMs).toBe(3_600_000);
  });

  it('reads sizes as Docker writes them, and limits of 0 as none', () => {
    const { runner } = loadConfig(
      {
        DRONE_GOGS_DOCKER_HOST: 'tcp://127.0.0.1:2375',
        DRONE_GOGS_RUNNER_CAPACITY: '5',
        DRONE_GOGS_STEP_MEMORY_LIMIT: '1.5g',
        DRONE_GOGS_STEP_CPUS: '0.5',
        DRONE_GOGS_STEP_PIDS_LIMIT: '0',
        DRONE_GOGS_STEP_LOG_LIMIT: '512k',
        DRONE_GOGS_STAGE_TIMEOUT_MINUTES: '90',
      },
      '/srv',
    );
    expect(runner.engines).toEqual([{ name: 'local', address: 'tcp://127.0.0.1:2375', capacity: 5 }]);
    expect(runner.step).toEqual({
      memoryBytes: 1.5 * 1024 ** 3,
      cpus: 0.5,
      pidsLimit: 0,
      logLimitBytes: 512 * 1024,
    });
    expect(runner.stageTimeoutMs).toBe(90 * 60_000);
    expect(loadConfig({ DRONE_GOGS_STEP_MEMORY_LIMIT: '1048576' }, '/srv').runner.step.memoryBytes).toBe(
      1048576,
    );
  });

  it('names each bad runner setting and what it expects', () => {
    const problems = problemsOf({
      DRONE_GOGS_STEP_MEMORY_LIMIT: 'lots',
      DRONE_GOGS_STEP_CPUS: 'two',
      DRONE_GOGS_RUNNER_CAPACITY: '0',
      DRONE_GOGS_STAGE_TIMEOUT_MINUTES: '-5',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^DRONE_GOGS_RUNNER_CAPACITY: expected at least 1/),
      expect.stringMatching(/^DRONE_GOGS_STEP_MEMORY_LIMIT: expected a size such as 512m/),
      expect.stringMatching(/^DRONE_GOGS_STEP_CPUS: expected a number of CPUs/),
      expect.stringMatching(/^DRONE_GOGS_STAGE_TIMEOUT_MINUTES: /),
    ]);
  });

  it('reads several engines from a file, with paths relative to it and the ssh agent of the environment', async () => {
    dir = await makeTempDir();
    await mkdir(join(dir.path, 'etc'));
    const file = join(dir.path, 'etc', 'engines.json');
    await writeFile(
      file,
      JSON.stringify({
        engines: [
          { name: 'local', capacity: 1 },
          {
            name: 'big',
            address: 'tcp://10.0.0.5:2376',
            capacity: 8,
            labels: { disk: 'ssd' },
            tls: { ca: 'certs/ca.pem', cert: 'certs/cert.pem', key: '/abs/key.pem' },
          },
          { name: 'arm', address: 'ssh://builder@10.0.0.6', platform: { os: 'linux', arch: 'arm64' } },
        ],
      }),
    );
    const config = loadConfig(
      { DRONE_GOGS_ENGINES_FILE: 'etc/engines.json', SSH_AUTH_SOCK: '/run/agent.sock', HOME: dir.path },
      dir.path,
    );
    expect(config.runner.engines).toEqual([
      { name: 'local', address: '', capacity: 1 },
      {
        name: 'big',
        address: 'tcp://10.0.0.5:2376',
        capacity: 8,
        labels: { disk: 'ssd' },
        tls: {
          ca: join(dir.path, 'etc', 'certs', 'ca.pem'),
          cert: join(dir.path, 'etc', 'certs', 'cert.pem'),
          key: '/abs/key.pem',
        },
      },
      {
        name: 'arm',
        address: 'ssh://builder@10.0.0.6',
        capacity: 2,
        platform: { os: 'linux', arch: 'arm64' },
        sshAgentSocket: '/run/agent.sock',
        // No ~/.ssh/known_hosts: no key is pinned, and every one will be refused with how to pin it.
        sshHostKeys: {
          fingerprints: [],
          howToPin: expect.stringMatching(
            /ssh-keyscan -H -p 22 10\.0\.0\.6 >> .*; or list its fingerprint in "sshHostKeys" of engine arm in .*engines\.json$/,
          ),
        },
      },
    ]);
    expect(config.runner.enginesFile).toBe(file);
    expect(describeConfig(config)).toEqual(
      expect.arrayContaining([
        'docker engine local: the local socket, 1 stage(s) at once',
        'docker engine big: tcp://10.0.0.5:2376, 8 stage(s) at once',
      ]),
    );
  });

  it('says what is wrong with an engines file: missing, not JSON, bad fields, repeated names', async () => {
    dir = await makeTempDir();
    const missing = problemsOf({ DRONE_GOGS_ENGINES_FILE: 'nope.json' }, dir.path);
    expect(missing).toEqual([
      expect.stringMatching(/^DRONE_GOGS_ENGINES_FILE: cannot read .*nope\.json: ENOENT/),
    ]);

    await writeFile(join(dir.path, 'broken.json'), '{"engines": [');
    expect(problemsOf({ DRONE_GOGS_ENGINES_FILE: 'broken.json' }, dir.path)).toEqual([
      expect.stringMatching(/broken\.json is not JSON/),
    ]);

    await writeFile(
      join(dir.path, 'bad.json'),
      JSON.stringify({
        engines: [
          { name: 'a b', capacity: 0 },
          { name: 'x', adress: 'tcp://h:1' },
        ],
      }),
    );
    const [bad] = problemsOf({ DRONE_GOGS_ENGINES_FILE: 'bad.json' }, dir.path);
    expect(bad).toMatch(/engines\.0\.name: expected a name/);
    expect(bad).toMatch(/engines\.0\.capacity: /);
    expect(bad).toMatch(/engines\.1: .*adress/);

    await writeFile(
      join(dir.path, 'twice.json'),
      JSON.stringify({ engines: [{ name: 'a' }, { name: 'a' }] }),
    );
    expect(problemsOf({ DRONE_GOGS_ENGINES_FILE: 'twice.json' }, dir.path)[0]).toMatch(
      /engine names must be unique/,
    );
  });

  describe('ssh host keys', () => {
    it('pins what ~/.ssh/known_hosts lists for the engine, or the file DRONE_GOGS_SSH_KNOWN_HOSTS names', async () => {
      dir = await makeTempDir();
      const [key, other] = await Promise.all([makeSshKey(dir.path, 'key'), makeSshKey(dir.path, 'other')]);
      await mkdir(join(dir.path, '.ssh'));
      const home = join(dir.path, '.ssh', 'known_hosts');
      await writeFile(home, `[10.0.0.6]:2222 ${key.publicKey}\n10.0.0.6 ${other.publicKey}\n`);
      const env = {
        DRONE_GOGS_DOCKER_HOST: 'ssh://builder@10.0.0.6:2222',
        SSH_AUTH_SOCK: '/run/a',
        HOME: dir.path,
      };
      const [engine] = loadConfig(env, dir.path).runner.engines;
      expect(engine).toEqual({
        name: 'local',
        address: 'ssh://builder@10.0.0.6:2222',
        capacity: 2,
        sshAgentSocket: '/run/a',
        sshHostKeys: { fingerprints: [key.fingerprint], howToPin: expect.any(String) },
      });
      if (engine?.sshHostKeys === 'any' || engine?.sshHostKeys === undefined) throw new Error('not pinned');
      expect(engine.sshHostKeys.howToPin).toContain(`ssh-keyscan -H -p 2222 10.0.0.6 >> ${home}`);
      expect(engine.sshHostKeys.howToPin).not.toContain('sshHostKeys');

      await writeFile(join(dir.path, 'pinned'), `[10.0.0.6]:2222 ${other.publicKey}\n`);
      const [chosen] = loadConfig({ ...env, DRONE_GOGS_SSH_KNOWN_HOSTS: 'pinned' }, dir.path).runner.engines;
      expect(chosen?.sshHostKeys).toMatchObject({ fingerprints: [other.fingerprint] });

      // A missing ~/.ssh/known_hosts pins nothing; a missing file that was named is a problem.
      const [bare] = loadConfig({ ...env, HOME: join(dir.path, 'nowhere') }, dir.path).runner.engines;
      expect(bare?.sshHostKeys).toMatchObject({ fingerprints: [] });
      expect(problemsOf({ ...env, DRONE_GOGS_SSH_KNOWN_HOSTS: 'missing' }, dir.path)).toEqual([
        `DRONE_GOGS_SSH_KNOWN_HOSTS: cannot read ${join(dir.path, 'missing')}: ENOENT`,
      ]);
      // Engines that are not ssh:// need no host keys.
      expect(loadConfig({ DRONE_GOGS_SSH_KNOWN_HOSTS: 'missing' }, dir.path).runner.engines).toEqual([
        { name: 'local', address: '', capacity: 2 },
      ]);
    });

    it('pins the sshHostKeys of an engine in the engines file, as fingerprints or public keys', async () => {
      dir = await makeTempDir();
      const [key, other] = await Promise.all([makeSshKey(dir.path, 'key'), makeSshKey(dir.path, 'other')]);
      const file = join(dir.path, 'engines.json');
      const arm = (sshHostKeys: string[]) => ({
        name: 'arm',
        address: 'ssh://builder@10.0.0.6',
        sshHostKeys,
      });
      await writeFile(file, JSON.stringify({ engines: [arm([key.fingerprint, `${other.publicKey} note`])] }));
      const [engine] = loadConfig({ DRONE_GOGS_ENGINES_FILE: file, HOME: dir.path }, dir.path).runner.engines;
      expect(engine?.sshHostKeys).toEqual({
        fingerprints: [key.fingerprint, other.fingerprint],
        howToPin: expect.stringContaining(`"sshHostKeys" of engine arm in ${file}`),
      });

      const engines = [
        arm(['SHA256:short', 'ssh-ed25519 AAAA']),
        { name: 'big', address: 'tcp://10.0.0.5:2376', sshHostKeys: [key.fingerprint] },
        { name: 'none', address: 'ssh://builder@10.0.0.7', sshHostKeys: [] },
      ];
      await writeFile(file, JSON.stringify({ engines }));
      const [problem] = problemsOf({ DRONE_GOGS_ENGINES_FILE: file }, dir.path);
      expect(problem).toMatch(/engines\.0\.sshHostKeys\.0: expected a host key fingerprint \(SHA256:/);
      expect(problem).toMatch(/engines\.0\.sshHostKeys\.1: expected a host key fingerprint/);
      expect(problem).toMatch(/engines\.1\.sshHostKeys: sshHostKeys is for ssh:\/\/ addresses/);
      expect(problem).toMatch(/engines\.2\.sshHostKeys: list at least one host key/);
    });

    it('accepts any host key with DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY, and says so at every start', async () => {
      dir = await makeTempDir();
      const env = {
        DRONE_GOGS_DOCKER_HOST: 'ssh://builder@10.0.0.6',
        SSH_AUTH_SOCK: '/run/a',
        HOME: dir.path,
      };
      const insecure = loadConfig({ ...env, DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY: 'true' }, dir.path);
      expect(insecure.runner.engines[0]?.sshHostKeys).toBe('any');
      expect(insecureEngineWarnings(insecure)).toEqual([
        expect.stringMatching(
          /^config: DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY is on: ssh:\/\/ engines are not checked/,
        ),
      ]);
      expect(insecureEngineWarnings(loadConfig(env, dir.path))).toEqual([]);
    });
  });
});
