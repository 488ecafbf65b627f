import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/docker.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('basics');

describe('docker runner: serial pipeline', () => {
  it('runs steps in order, prints the trace and leaves nothing behind', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: first
    image: ${IMAGE}
    commands:
      - echo one > /drone/src/order
      - echo "hello $DRONE_REPO"
  - name: second
    image: ${IMAGE}
    commands:
      - echo two >> order
      - cat order
`);
    const { result, logs, statuses } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    expect(outcomes(result)).toEqual({ first: 'success', second: 'success' });
    expect(logs.text('first')).toBe(
      '+ echo one > /drone/src/order\n+ echo "hello $DRONE_REPO"\nhello octo/hello',
    );
    expect(logs.text('second')).toContain('one\ntwo');
    // Running again once the container started, naming the image it runs.
    expect(statuses.of('first')).toEqual(['pending', 'running', 'running', 'success']);
    expect(
      result.steps.every(
        (step) => step.exitCode === 0 && step.startedAt !== null && step.finishedAt !== null,
      ),
    ).toBe(true);
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});

describe('docker runner: graph pipeline, services, environment, workspace', () => {
  it('runs independent steps in parallel once their dependency is done', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: root
    image: ${IMAGE}
    commands: [echo root]
  - name: left
    image: ${IMAGE}
    commands: [sleep 2]
    depends_on: [root]
  - name: right
    image: ${IMAGE}
    commands: [sleep 2]
    depends_on: [root]
  - name: join
    image: ${IMAGE}
    commands: [echo join]
    depends_on: [left, right]
`);
    const { result } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    const byName = Object.fromEntries(result.steps.map((step) => [step.name, step]));
    const [root, left, right, join] = ['root', 'left', 'right', 'join'].map((name) => byName[name]!);
    expect(left!.startedAt!).toBeGreaterThanOrEqual(root!.finishedAt!);
    expect(right!.startedAt!).toBeGreaterThanOrEqual(root!.finishedAt!);
    // Parallel: each branch started before the other one finished.
    expect(left!.startedAt!).toBeLessThan(right!.finishedAt!);
    expect(right!.startedAt!).toBeLessThan(left!.finishedAt!);
    expect(join!.startedAt!).toBeGreaterThanOrEqual(Math.max(left!.finishedAt!, right!.finishedAt!));
  });

  it('reaches a service by its name from a step and stops the service at the end', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
services:
  - name: web
    image: ${IMAGE}
    commands: [httpd -f -p 8080 -h /var/www]
steps:
  - name: fetch
    image: ${IMAGE}
    commands:
      - for i in $(seq 1 40); do wget -q -O - http://web:8080/ && exit 0; sleep 0.25; done; exit 1
`);
    const { result, logs } = await harness.run(stage);
    expect(outcomes(result)).toEqual({ web: 'success', fetch: 'success' });
    expect(logs.text('fetch')).toContain('hello from the service');
    expect(result.outcome).toBe('success');
  });

  it('gives steps the DRONE_* variables, including those only the runner knows', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: env
    image: ${IMAGE}
    environment:
      GREETING: hi
    commands:
      - echo "repo=$DRONE_REPO step=$DRONE_STEP_NAME number=$DRONE_STEP_NUMBER event=$DRONE_BUILD_EVENT"
      - echo "branch=$DRONE_BRANCH greeting=$GREETING workspace=$DRONE_WORKSPACE pwd=$(pwd)"
      - echo "network=\${DRONE_DOCKER_NETWORK_ID:+set} volume=\${DRONE_DOCKER_VOLUME_ID:+set} status=$DRONE_BUILD_STATUS"
      - echo "script=\${DRONE_SCRIPT:-unset}"
`);
    const { result, logs } = await harness.run(stage);
    expect(result.outcome).toBe('success');
    const text = logs.text('env');
    expect(text).toContain('repo=octo/hello step=env number=1 event=push');
    expect(text).toContain('branch=main greeting=hi workspace=/drone/src pwd=/drone/src');
    expect(text).toContain('network=set volume=set status=success');
    expect(text).toContain('script=unset');
  });

  it('copies a host directory into the workspace and reports it as the clone step', async () => {
    const dir = await makeTempDir();
    try {
      await writeFile(join(dir.path, 'greeting.txt'), 'copied from the host\n');
      const stage = stageFrom(`
kind: pipeline
name: default
workspace:
  path: src/app
steps:
  - name: read
    image: ${IMAGE}
    commands: [pwd, cat greeting.txt]
`);
      const { result, logs } = await harness.run(stage, { workspace: { kind: 'directory', path: dir.path } });
      expect(outcomes(result)).toEqual({ clone: 'success', read: 'success' });
      expect(logs.text('read')).toContain('/drone/src/src/app\n+ cat greeting.txt\ncopied from the host');
      expect(logs.text('clone')).toContain(`copying ${dir.path} into the workspace`);
    } finally {
      await dir.remove();
    }
  });
});
