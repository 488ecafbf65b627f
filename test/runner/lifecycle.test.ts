import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/docker.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('lifecycle');
const nothing = { containers: [], networks: [], volumes: [] };

const slowPipeline = `
kind: pipeline
name: default
clone: { disable: true }
services:
  - name: cache
    image: ${IMAGE}
    commands: [sleep 300]
steps:
  - name: slow
    image: ${IMAGE}
    commands: [echo started, sleep 300]
  - name: after
    image: ${IMAGE}
    commands: [echo after]
  - name: cleanup
    image: ${IMAGE}
    commands: [echo cleanup]
    when: { status: [success, failure] }
`;

describe('docker runner: timeout, cancellation, cleanup', () => {
  it('ends a stage that runs past its timeout as killed and removes everything', async () => {
    const { result } = await harness.run(stageFrom(slowPipeline), { timeoutMs: 3000 });
    expect(result.outcome).toBe('killed');
    expect(result.error).toBe('timed out after 3 s');
    expect(outcomes(result)).toEqual({
      cache: 'killed',
      slow: 'killed',
      after: 'skipped',
      cleanup: 'skipped',
    });
    expect(result.steps.find((step) => step.name === 'slow')?.exitCode).toBe(137);
    expect(await leftovers(docker, instance)).toEqual(nothing);
  });

  it('stops a running step within seconds when cancelled and removes everything', async () => {
    const controller = new AbortController();
    const statuses: string[] = [];
    const running = harness.run(stageFrom(slowPipeline), {
      signal: controller.signal,
      statuses: {
        step(state) {
          statuses.push(`${state.name}:${state.status}`);
          if (state.name === 'slow' && state.status === 'running') setTimeout(() => controller.abort(), 1500);
        },
      },
    });
    const { result } = await running;
    expect(result.outcome).toBe('killed');
    expect(result.error).toBe('cancelled');
    expect(outcomes(result)).toEqual({
      cache: 'killed',
      slow: 'killed',
      after: 'skipped',
      cleanup: 'skipped',
    });
    expect(statuses).toContain('slow:killed');
    expect(await leftovers(docker, instance)).toEqual(nothing);
  });

  it('does not start anything when cancelled before it begins', async () => {
    const controller = new AbortController();
    controller.abort();
    const { result } = await harness.run(stageFrom(slowPipeline), { signal: controller.signal });
    expect(result.outcome).toBe('killed');
    expect(result.steps.every((step) => step.status === 'skipped')).toBe(true);
    expect(await leftovers(docker, instance)).toEqual(nothing);
  });

  it('finds and removes what a dead instance labelled, and removing twice is fine', async () => {
    const runner = (await import('../../sidecar/runner/index.ts')).createDockerRunner({
      docker,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const labels = {
      'io.drone-gogs.instance': instance,
      'io.drone-gogs.build': 'orphan',
      'io.drone-gogs.stage': '1',
    };
    await docker.createVolume({ Name: `${instance}-orphan`, Labels: labels });
    await docker.createNetwork({ Name: `${instance}-orphan`, Labels: labels });
    const container = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: labels });
    await container.start();
    expect(await runner.resourceOwners()).toContain(instance);
    expect(await runner.removeResources({ instance, build: 'orphan' })).toBe(3);
    expect(await leftovers(docker, instance, 'orphan')).toEqual(nothing);
    expect(await runner.removeResources({ instance, build: 'orphan' })).toBe(0);
    expect(await runner.resourceOwners()).not.toContain(instance);
  });
});
