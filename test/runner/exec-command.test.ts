/** `drone-gogs exec`: a sample project run in the local engine, driven in process like the other commands. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { execCommand, parseSecretFile } from '../../sidecar/commands/exec.ts';
import { createTestDocker, removeLabelled } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { type CommandOutcome, runCommand } from '../support/run-command.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { IMAGE } from './stage-harness.ts';

let project: { path: string; remove: () => Promise<void> };
const docker = createTestDocker();

const PIPELINES = `
kind: pipeline
name: test
steps:
  - name: build
    image: ${IMAGE}
    environment:
      TOKEN: { from_secret: token }
    commands:
      - cat src/message.txt
      - echo "token $TOKEN"
      - echo built > out.txt
  - name: check
    image: ${IMAGE}
    commands:
      - cat out.txt
---
kind: pipeline
name: broken
depends_on: [test]
clone: { disable: true }
steps:
  - name: fail
    image: ${IMAGE}
    commands: [echo failing on purpose, exit 4]
---
kind: pipeline
name: slow
trigger: { branch: [slow] }
clone: { disable: true }
steps:
  - name: wait
    image: ${IMAGE}
    commands: [echo waiting, sleep 300]
---
kind: pipeline
name: docs
trigger: { branch: [docs] }
steps:
  - name: docs
    image: ${IMAGE}
    commands: [echo docs]
`;

function exec(
  args: string[],
  isTTY = false,
  interrupted?: AbortSignal,
  env: NodeJS.ProcessEnv = {},
): Promise<CommandOutcome> {
  return runCommand(execCommand, args, {
    cwd: project.path,
    isTTY,
    env,
    ...(interrupted ? { interrupted } : {}),
  });
}

/** Waits until the step's container runs; returns its id. */
async function runningContainer(step: string): Promise<string> {
  const filters = JSON.stringify({ label: [repoLabel(), `io.drone-gogs.step=${step}`], status: ['running'] });
  for (;;) {
    const [found] = await docker.listContainers({ filters });
    if (found !== undefined) return found.Id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function repoLabel(): string {
  return `io.drone-gogs.repo=local/${basename(project.path)}`;
}

async function execLeftovers(): Promise<number> {
  const filters = JSON.stringify({ label: [repoLabel()] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes ?? []).length;
}

beforeAll(async () => {
  await ensureBusyboxImage();
  project = await makeTempDir('drone-gogs-exec-');
  await mkdir(join(project.path, 'src'));
  await writeFile(join(project.path, 'src', 'message.txt'), 'hello from the project\n');
  await writeFile(join(project.path, '.drone.yml'), PIPELINES);
  await writeFile(join(project.path, 'secrets.env'), '# local secrets\ntoken=tok-123456\n');
});
afterAll(async () => {
  await removeLabelled(docker, repoLabel());
  await project.remove();
});

describe('drone-gogs exec', () => {
  it('runs one pipeline with the current directory as workspace, masks secrets and prints a summary', async () => {
    const { code, stdout, stderr } = await exec([
      '--pipeline',
      'test',
      '--secret-file',
      'secrets.env',
      '--branch',
      'main',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('[build] hello from the project\n');
    expect(stdout).toContain('[build] token ******\n');
    expect(stdout).not.toContain('tok-123456');
    expect(stdout).toContain('[check] built\n');
    expect(stdout).toContain('[clone] drone-gogs: copying');
    expect(stdout).toMatch(/^PIPELINE +STEP +STATUS +EXIT +TIME$/m);
    expect(stdout).toMatch(/^test +success +\d+\.\ds$/m);
    expect(stdout).toMatch(/^ +build +success +0 +\d+\.\ds$/m);
    expect(await execLeftovers()).toBe(0);
  });

  it('runs every matching pipeline in order and exits 1 when one fails', async () => {
    const { code, stdout } = await exec(['--branch', 'main']);
    expect(code).toBe(1);
    expect(stdout).toContain('[fail]  failing on purpose\n');
    expect(stdout).toMatch(/^broken +failure/m);
    expect(stdout).toMatch(/^ +fail +failure +4 /m);
    expect(stdout).not.toContain('[docs]');
    expect(await execLeftovers()).toBe(0);
  });

  it('stops on Ctrl-C: the running step is killed, nothing is left, the exit code is 1', async () => {
    const interrupt = new AbortController();
    const running = exec(['--pipeline', 'slow', '--branch', 'slow'], false, interrupt.signal);
    await runningContainer('wait');
    interrupt.abort('SIGINT');
    const { code, stdout, stderr } = await running;
    expect(code).toBe(1);
    expect(stderr).toContain('drone-gogs: cancelling (containers are being removed)');
    expect(stdout).toMatch(/^slow +killed/m);
    expect(stdout).toMatch(/^ +wait +killed +137 /m);
    expect(await execLeftovers()).toBe(0);
  });

  it('runs steps with the runner settings serve uses (DRONE_GOGS_STEP_*), read from the real container', async () => {
    const interrupt = new AbortController();
    const running = exec(['--pipeline', 'slow', '--branch', 'slow'], false, interrupt.signal, {
      DRONE_GOGS_STEP_MEMORY_LIMIT: '96m',
      DRONE_GOGS_STEP_CPUS: '0.5',
      DRONE_GOGS_STEP_PIDS_LIMIT: '77',
    });
    const { HostConfig } = await docker.getContainer(await runningContainer('wait')).inspect();
    interrupt.abort('SIGINT');
    expect(HostConfig.Memory).toBe(96 * 1024 * 1024);
    expect(HostConfig.NanoCpus).toBe(500_000_000);
    expect(HostConfig.PidsLimit).toBe(77);
    expect((await running).code).toBe(1);
    expect(await execLeftovers()).toBe(0);
  });

  it('reports a bad DRONE_GOGS_* setting the way serve does, before running anything', async () => {
    const env = { DRONE_GOGS_STEP_MEMORY_LIMIT: 'lots', DRONE_GOGS_STEP_CPUZ: '1' };
    const viaCli = (command: string) => runCommand(runCli, [command], { cwd: project.path, env });
    const [exec, serve] = [await viaCli('exec'), await viaCli('serve')];
    expect(exec).toEqual(serve);
    expect(exec.code).toBe(1);
    expect(exec.stdout).toBe('');
    expect(exec.stderr).toContain(
      'DRONE_GOGS_STEP_MEMORY_LIMIT: expected a size such as 512m, 2g or 1048576',
    );
    expect(exec.stderr).toContain('DRONE_GOGS_STEP_CPUZ: unknown setting');
    expect(await execLeftovers()).toBe(0);
  });

  it('colours step prefixes on a terminal', async () => {
    const { code, stdout } = await exec(['--pipeline', 'docs', '--branch', 'docs'], true);
    expect(code).toBe(0);
    expect(stdout).toContain('\u001b[');
    expect(stdout).toContain('docs\n');
  });

  it('explains a pipeline that does not run and bad arguments', async () => {
    const skipped = await exec(['--pipeline', 'docs', '--branch', 'main']);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toContain('pipeline "docs" does not run for this event: branch');
    const unknown = await exec(['--pipeline', 'nope']);
    expect(unknown.stderr).toContain('no docker pipeline named "nope"');
    const usage = await exec(['a.yml', 'b.yml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: drone-gogs exec');
  });

  it('reads secret files as KEY=VALUE lines', () => {
    expect(parseSecretFile('# c\n\nA=1=2\nB= spaced \r\n')).toEqual({ A: '1=2', B: ' spaced ' });
    expect(parseSecretFile('novalue')).toBe('line 1: expected KEY=VALUE');
  });
});
