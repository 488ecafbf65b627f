import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../sidecar/config/index.ts';
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
      { DRONE_GOGS_ENGINES_FILE: 'etc/engines.json', SSH_AUTH_SOCK: '/run/agent.sock' },
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
});
